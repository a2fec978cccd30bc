/**
 * The CLI process, spawned for real (src/cli-main.ts through tsx, so the
 * source is what runs): it ends promptly once its report is written, even when
 * a request was still in flight; a Hub that accepts connections and never
 * answers costs --network-timeout, not minutes; a source that reads both as a
 * relative path and as a Hub repo says both readings when neither exists.
 *
 * Nothing here measures speed: each bound is an upper bound far below the
 * failure it guards against (a request left in flight, a timer still armed,
 * a budget not applied: tens of seconds to minutes), so a loaded machine
 * cannot trip it.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tempDir, tempEnv } from "../helpers/temp.js";
import { serializeSafetensors } from "../../src/safetensors/writer.js";
import { baseTensors, INDEX, SHARD_1, SHARD_2 } from "../helpers/corrupt.js";
import { tiny } from "../helpers/fixtures.js";
import { type HubServer, startHubServer } from "./server.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const ENTRY = path.join(REPO_ROOT, "src/cli-main.ts");

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  totalMs: number;
  /** From the last byte the process wrote (stdout or stderr) to its exit. */
  afterLastOutputMs: number;
}

/** Run the CLI as a child process, in `cwd`, with only the given environment (and PATH). */
function spawnCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let last = started;
    let stdout = "";
    let stderr = "";
    const child = spawn(process.execPath, ["--import", TSX, ENTRY, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { PATH: process.env.PATH ?? "", ...tempEnv(), ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => {
      last = Date.now();
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      last = Date.now();
      stderr += d.toString();
    });
    child.on("error", reject);
    // "exit", not "close": the moment the process ends, whatever its pipes.
    child.on("exit", (code) => {
      const now = Date.now();
      resolve({ code, stdout, stderr, totalMs: now - started, afterLastOutputMs: now - last });
    });
  });
}

/** A loopback port that nothing listens on (connection refused). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A server that accepts connections and never answers (nor closes them). */
async function silentServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const srv = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

/** A process that exits once its work is done, versus one held by something left armed (30 s and more here). */
const LEFT_ARMED_MS = 25_000;
/** A run bounded by a budget of a few seconds, versus one under the default 60 s budget. */
const BUDGET_IGNORED_S = 50;

let server: HubServer;
let tmp: string;
let candidate: string;
let reference: string;

beforeAll(async () => {
  tmp = await tempDir("cliexit");
  candidate = await tiny("llm-a-sft");
  reference = await tiny("llm-a");
  const [embed, q, norm] = baseTensors();
  server = await startHubServer({
    repos: {
      "open/llm-a": {
        files: {
          "model.safetensors": new Uint8Array(await readFile(path.join(reference, "model.safetensors"))),
          "config.json": await readFile(path.join(reference, "config.json"), "utf8"),
        },
        license: "mit",
      },
      "open/sharded": {
        files: {
          [SHARD_1]: serializeSafetensors([embed!, q!]),
          [SHARD_2]: serializeSafetensors([norm!]),
          [INDEX]: JSON.stringify({ metadata: { total_size: 416 }, weight_map: { [embed!.name]: SHARD_1, [q!.name]: SHARD_1, [norm!.name]: SHARD_2 } }),
        },
      },
    },
  });
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => server.faults.clear());

describe("the process ends once its report is written", () => {
  it("a clean run against the Hub: exit once the report is written, nothing left armed", async () => {
    const report = path.join(tmp, "clean.json");
    // A one-hour network timeout: anything left armed (a request, a stall timer of 30 s, a retry wait) would hold the process.
    const run = await spawnCli(["check", "--candidate", candidate, "--reference", "open/llm-a", "--endpoint", server.url, "--report", report, "--network-timeout", "3600"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`report written to ${report}`);
    expect(run.afterLastOutputMs, `exited ${run.afterLastOutputMs} ms after its last output`).toBeLessThan(LEFT_ARMED_MS);
  });

  it("a reference that fails while another request of it stalls: the stalled request is dropped, exit 3 once the report is written", async () => {
    // Shard 1's header is refused at once; shard 2's header read (in flight beside it) would hang for two minutes.
    server.faults.always(new RegExp(SHARD_1), { status: 404, body: "gone" }, { origin: "cdn" });
    server.faults.always(new RegExp(SHARD_2), { stall: 600_000 }, { origin: "cdn" });
    const report = path.join(tmp, "stalled-sibling.json");
    const run = await spawnCli(["check", "--candidate", candidate, "--reference", "hf://open/sharded", "--endpoint", server.url, "--report", report, "--quiet", "--network-timeout", "3600"]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/^error: open\/sharded@[0-9a-f]{40}: model-00001-of-00002\.safetensors not found \(HTTP 404: gone\)$/m);
    expect(JSON.parse(await readFile(report, "utf8")).error.exitCode).toBe(3);
    // The stalled read, left alone, would hold the process 30 s per attempt (a one-hour budget).
    expect(run.afterLastOutputMs, `exited ${run.afterLastOutputMs} ms after its last output`).toBeLessThan(LEFT_ARMED_MS);
  });
});

describe("--network-timeout: a Hub that accepts connections and never answers", () => {
  it("gives up within the budget (2 s) with exit 3, naming what stalled, the attempts and the budget", async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      const run = await spawnCli(["check", "--candidate", candidate, "--reference", "hf://open/llm-a", "--endpoint", silent.url, "--network-timeout", "2", "--quiet"]);
      const seconds = (Date.now() - started) / 1000;
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(
        new RegExp(
          `error: could not reach the Hub at ${silent.url.replace(/\./g, "\\.")} for open/llm-a\\. .*Cause: open/llm-a: no response from ${silent.url.replace(/\./g, "\\.")}/api/models/open/llm-a/revision/HEAD within 2 s \\([1-4] attempts?(, each dropped after [\\d.]+ s of silence, [\\d.]+ s in all)?; stalled connection\\); raise --network-timeout`,
        ),
      );
      expect(silent.connections()).toBeGreaterThanOrEqual(1);
      // Without the budget the default (60 s) would apply: far above this, whatever the machine's load.
      expect(seconds).toBeLessThan(BUDGET_IGNORED_S);
      expect(run.afterLastOutputMs).toBeLessThan(LEFT_ARMED_MS);
    } finally {
      await silent.close();
    }
  });

  it("is read from $FROMSCRATCH_NETWORK_TIMEOUT too", async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      const run = await spawnCli(["check", "--candidate", candidate, "--reference", "hf://open/llm-a", "--endpoint", silent.url, "--quiet"], {
        env: { FROMSCRATCH_NETWORK_TIMEOUT: "1.5" },
      });
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/no response from .* within 1\.5 s \(/);
      expect((Date.now() - started) / 1000).toBeLessThan(BUDGET_IGNORED_S);
    } finally {
      await silent.close();
    }
  });
});

describe("a source that reads as a relative path or a Hub repo, when neither exists", () => {
  it("no Hub answering (connection refused): could not reach the Hub, a mirror or a local folder instead, exit 3, in seconds", async () => {
    const port = await closedPort();
    const started = Date.now();
    const run = await spawnCli(["check", "--candidate", "models/noisyy", "--reference", reference, "--endpoint", `http://127.0.0.1:${port}`, "--quiet"], { cwd: tmp });
    const seconds = (Date.now() - started) / 1000;
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      new RegExp(
        `^error: could not reach the Hub at http://127\\.0\\.0\\.1:${port} for models/noisyy \\(and no local folder models/noisyy exists\\)\\. .*HF_ENDPOINT.*local folder.*Cause: models/noisyy: network error fetching http://127\\.0\\.0\\.1:${port}/api/models/models/noisyy/revision/HEAD: .*ECONNREFUSED`,
        "m",
      ),
    );
    // Four attempts with 0.5 + 1 + 2 s between them (~3.5 s measured), not the 60 s budget.
    expect(seconds).toBeLessThan(BUDGET_IGNORED_S);
  });

  it("the Hub has no such repo: 'no local path …; as a Hub repo: <not found>', exit 2", async () => {
    const report = path.join(tmp, "noisyy.json");
    const run = await spawnCli(["check", "--candidate", "models/noisyy", "--reference", reference, "--endpoint", server.url, "--quiet", "--report", report], { cwd: tmp });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^error: no local path models\/noisyy; as a Hub repo: models\/noisyy: repository not found on http:\/\/127\.0\.0\.1:\d+ \(HTTP 401 RepoNotFound/m);
    const saved = JSON.parse(await readFile(report, "utf8"));
    expect(saved.error).toMatchObject({ kind: "usage", exitCode: 2 });
    expect(saved.verdict).toBe("inconclusive");
  });
});
