/**
 * The Action's reference cache on a GitHub-hosted runner: the bundled action
 * (dist/index.js, run as the runner runs it) saves a Hub reference's cache
 * entry to the cache service through the real @actions/cache, and a later
 * job on a fresh machine (an empty RUNNER_TOOL_CACHE elsewhere) restores it
 * and reads no weights from the reference. A failing or unreachable cache
 * service is a warning, never a failed step. Build first: `npm run build`.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pathToFileURL } from "node:url";
import { archiveCalls } from "../src/action/archive-calls.js";
import { cacheHelper } from "../src/action/cache-client.js";
import { ActionsCacheStore, actionsCacheStoreFor, parseActionsCacheMode } from "../src/action/cache-store.js";
import { drifted, llamaConfig, llamaModel, toSafetensors, writeModel } from "../src/examples/generate.js";
import type { Report } from "../src/report/schema.js";
import { type ActionsCacheService, startActionsCacheService } from "./helpers/actions-cache-service.js";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { type HubServer, startHubServer } from "./hub/server.js";
import { tempDir, tempEnv } from "./helpers/temp.js";

const SHAPE = { hidden: 512, intermediate: 1408, layers: 2, vocab: 2048 };
const HF_TOKEN = "hf_actioncachetoken";

interface ActionRun {
  status: number | null;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
  /** The JSON report (null when the step stopped before writing it). */
  report: Report | null;
  toolCache: string;
  /** Hub-like server requests made during this run. */
  hub: HubServer["requests"];
}

let workspace: string;
let hub: HubServer;
let sha: string;

/** Parse the GITHUB_OUTPUT file format (`name<<delimiter ... delimiter`). */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join("\n");
  }
  return out;
}

beforeAll(async () => {
  workspace = await tempDir("ws-cache");
  const base = llamaModel(SHAPE, 1);
  await writeModel(path.join(workspace, "models", "finetune"), drifted(base, 2, 0.8), llamaConfig(SHAPE));
  hub = await startHubServer({
    token: HF_TOKEN,
    repos: { "open/base": { files: { "model.safetensors": toSafetensors(base), "config.json": JSON.stringify(llamaConfig(SHAPE)) }, license: "mit" } },
  });
  sha = hub.shaOf("open/base");
});
afterAll(async () => {
  await hub?.close();
});

/**
 * One step on a fresh hosted machine: its own RUNNER_TEMP and an empty
 * RUNNER_TOOL_CACHE (unless one is reused, as on a self-hosted runner); the
 * same workspace path (as in the jobs of one repo).
 */
async function runAction(inputs: Record<string, string>, env: Record<string, string>, reuseToolCache?: string): Promise<ActionRun> {
  const dir = await tempDir("runner");
  const toolCache = reuseToolCache ?? path.join(dir, "toolcache");
  const temp = path.join(dir, "temp");
  await mkdir(toolCache, { recursive: true });
  await mkdir(temp);
  const outputFile = path.join(dir, "output");
  const summaryFile = path.join(dir, "summary");
  await writeFile(outputFile, "");
  await writeFile(summaryFile, "");
  const full: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    ...tempEnv(),
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: toolCache,
    RUNNER_ENVIRONMENT: "github-hosted",
    ...env,
  };
  const all = { candidate: "models/finetune", references: "open/base", endpoint: hub.url, "hf-token": HF_TOKEN, sample: "0.1", "report-path": path.join(dir, "report.json"), ...inputs };
  for (const [k, v] of Object.entries(all)) full[`INPUT_${k.toUpperCase()}`] = v;
  const before = hub.requests.length;
  // Asynchronous, so the servers in this process can answer the action.
  const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "dist/index.js")], { cwd: workspace, env: full });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (status) => resolve({ status, out }));
  });
  return {
    status: r.status,
    stdout: r.out,
    outputs: parseOutputs(await readFile(outputFile, "utf8")),
    summary: await readFile(summaryFile, "utf8"),
    report: await readFile(path.join(dir, "report.json"), "utf8").then((t) => JSON.parse(t) as Report, () => null),
    toolCache,
    hub: hub.requests.slice(before),
  };
}

function serviceEnv(service: { url: string; token: string }): Record<string, string> {
  return { ACTIONS_RESULTS_URL: service.url, ACTIONS_RUNTIME_TOKEN: service.token, ACTIONS_CACHE_SERVICE_V2: "True" };
}

/** The one reference's result. */
const ref = (run: ActionRun) => run.report!.references[0]!;
const pearsons = (run: ActionRun) => ref(run).components.flatMap((c) => c.tensors.map((t) => t.pearson));

describe("the action's reference cache through the GitHub cache service (@actions/cache)", () => {
  let service: ActionsCacheService;
  beforeAll(async () => {
    service = await startActionsCacheService();
  });
  afterAll(async () => {
    await service?.close();
  });

  it("saves a sampled run's reference entry, and a fresh machine restores it and reads no weights from the reference", async () => {
    const key = `fromscratch-ref-v1-open_base@${sha}`;

    const first = await runAction({}, serviceEnv(service));
    expect(first.status).toBe(1);
    expect(first.outputs.verdict).toBe("reused");
    const cache1 = ref(first).cache!;
    expect(cache1).toMatchObject({ listing: "miss", rangesHit: 0, store: { name: "actions/cache", key, restored: false, saved: true } });
    expect(cache1.rangesStored).toBeGreaterThan(0);
    expect(first.hub.filter((q) => q.origin === "cdn").length).toBeGreaterThan(0);
    expect(first.stdout).toMatch(new RegExp(`cache saved: open/base to actions/cache \\(key ${key}\\)`));
    // What the service saw: a lookup that missed, then reserve, upload, finalize.
    const rpcs1 = service.requests.map((q) => q.rpc ?? q.op);
    expect(rpcs1).toEqual(["GetCacheEntryDownloadURL", "CreateCacheEntry", "put-blob", "FinalizeCacheEntryUpload"]);
    expect(service.requests.every((q) => q.status >= 200 && q.status < 300)).toBe(true);
    const entry = service.entry(key)!;
    expect(entry).toBeDefined();
    expect(service.requests[0]!.body).toMatchObject({ key, version: entry.version });
    // The runtime token goes to the service, never to blob storage.
    for (const q of service.requests) expect(q.authorization).toBe(q.kind === "twirp" ? `Bearer ${service.token}` : null);
    // The entry is the reference's directory, relative to the cache root (so any RUNNER_TOOL_CACHE can restore it), zstd-compressed, with no token inside.
    const archive = path.join(first.toolCache, "..", "entry.tzst");
    await writeFile(archive, service.blobs.get(entry.blob)!);
    const names = execFileSync("tar", ["--use-compress-program", "unzstd", "-tf", archive], { encoding: "utf8" }).trim().split("\n");
    expect(names).toContain(`open_base@${sha}/listing.json`);
    expect(names.every((n) => n.startsWith(`open_base@${sha}/`))).toBe(true);
    expect(names.filter((n) => n.endsWith(".bin")).length).toBe(cache1.rangesStored);
    const tarText = execFileSync("tar", ["--use-compress-program", "unzstd", "-xOf", archive], { maxBuffer: 1 << 28 });
    expect(tarText.includes(HF_TOKEN)).toBe(false);

    // A fresh machine: a different, empty tool cache.
    const seen = service.requests.length;
    const second = await runAction({}, serviceEnv(service));
    expect(second.toolCache).not.toBe(first.toolCache);
    expect(second.status).toBe(1);
    expect(second.outputs.verdict).toBe("reused");
    const cache2 = ref(second).cache!;
    expect(cache2).toMatchObject({ listing: "hit", rangesStored: 0, store: { name: "actions/cache", key, restored: true, saved: false } });
    expect(cache2.rangesHit).toBe(cache1.rangesStored);
    expect(second.stdout).toMatch(new RegExp(`cache restored: open/base @ ${sha} from actions/cache \\(key ${key}\\)`));
    expect(second.stdout).toMatch(/Cache restored successfully/);
    // From the reference: only the model-info call that resolves the revision; no weights, no headers.
    expect(second.hub.length).toBeGreaterThan(0);
    expect(second.hub.every((q) => q.origin === "hub" && q.url.startsWith("/api/models/open/base"))).toBe(true);
    // From the service: a lookup that hit and one download of the archive; nothing saved again.
    expect(service.requests.slice(seen).map((q) => q.rpc ?? q.op)).toEqual(["GetCacheEntryDownloadURL", "get"]);
    // Same evidence.
    expect(ref(second).revision).toBe(sha);
    expect(pearsons(second)).toEqual(pearsons(first));
    expect(second.report!.verdict).toBe(first.report!.verdict);
  });

  it("an entry that already exists is not saved again: an info line, not a warning", async () => {
    const key = `fromscratch-ref-v1-open_base@${sha}`;
    expect(service.entry(key)).toBeDefined();
    // A persistent tool cache (self-hosted, actions-cache: true) with the listing on disk, so nothing to
    // restore, but without its ranges: the run stores them again, tries to save, and the entry exists.
    const first = await runAction({ "actions-cache": "true" }, { ...serviceEnv(service), RUNNER_ENVIRONMENT: "self-hosted" });
    expect(ref(first).cache!.store).toMatchObject({ restored: true });
    await rm(path.join(first.toolCache, "fromscratch", `open_base@${sha}`, "ranges"), { recursive: true });
    const seen = service.requests.length;
    const again = await runAction({ "actions-cache": "true" }, { ...serviceEnv(service), RUNNER_ENVIRONMENT: "self-hosted" }, first.toolCache);
    expect(again.status).toBe(1);
    expect(again.outputs.verdict).toBe("reused");
    expect(ref(again).cache).toMatchObject({ listing: "hit", store: { key, restored: false, saved: false } });
    expect(ref(again).cache!.rangesStored).toBeGreaterThan(0);
    const tried = service.requests.slice(seen);
    expect(tried.map((q) => q.rpc ?? q.op)).toEqual(["CreateCacheEntry"]);
    expect(tried[0]!.status).toBe(409);
    expect(again.stdout).toMatch(/^Failed to save: Unable to reserve cache with key /m);
    expect(again.stdout).not.toMatch(/^::warning::/m);
  });

  it("actions-cache: false never calls the service; auto on a self-hosted runner neither (its tool cache persists)", async () => {
    const seen = service.requests.length;
    const off = await runAction({ "actions-cache": "false" }, serviceEnv(service));
    expect(off.status).toBe(1);
    expect(off.outputs.verdict).toBe("reused");
    expect(ref(off).cache!.store).toBeUndefined();
    const selfHosted = await runAction({}, { ...serviceEnv(service), RUNNER_ENVIRONMENT: "self-hosted" });
    expect(selfHosted.status).toBe(1);
    expect(ref(selfHosted).cache!.store).toBeUndefined();
    expect(selfHosted.stdout).toMatch(/self-hosted runner: not using actions\/cache/);
    expect(service.requests.slice(seen)).toEqual([]);
  });

  it("rejects an actions-cache value other than auto, true or false", async () => {
    const run = await runAction({ "actions-cache": "yes" }, serviceEnv(service));
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/::error::input actions-cache must be auto, true or false/);
  });
});

describe("a failing cache service is a warning in the log, never an annotation or a failed step", () => {
  it("unreachable: a warning, and the check gives its verdict and exit code", async () => {
    // A port nothing listens on.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const env = { ACTIONS_RESULTS_URL: `http://127.0.0.1:${port}/`, ACTIONS_RUNTIME_TOKEN: "unused", ACTIONS_CACHE_SERVICE_V2: "True" };

    const gate = await runAction({}, env);
    expect(gate.status).toBe(1);
    expect(gate.outputs.verdict).toBe("reused");
    expect(gate.stdout).toMatch(/^warning: Failed to restore: .*ECONNREFUSED/m);
    // A log line, not an annotation: the only annotations are the verdict's and the failed gate's.
    expect(gate.stdout).not.toMatch(/^::warning/m);
    expect(gate.stdout.split("\n").filter((l) => l.startsWith("::error"))).toHaveLength(2);

    // With the gate open (fail-on: never), the step passes: nothing from the cache fails it.
    const open = await runAction({ "fail-on": "never" }, env);
    expect(open.status).toBe(0);
    expect(open.outputs.verdict).toBe("reused");
    expect(open.stdout).not.toMatch(/^::error::/m);
    expect(ref(open).cache).toMatchObject({ listing: "miss", store: { restored: false, saved: false } });
  });

  it("answering 500: the library retries, warns, and the run goes on without the service", async () => {
    const service = await startActionsCacheService();
    try {
      service.fail = { status: 500 };
      const run = await runAction({ "fail-on": "never" }, serviceEnv(service));
      expect(run.status).toBe(0);
      expect(run.outputs.verdict).toBe("reused");
      // Only the reused reference's annotation; no error line from the cache.
      expect(run.stdout).not.toMatch(/^::error::/m);
      expect(run.stdout).toMatch(/^warning: Failed to restore: Failed to GetCacheEntryDownloadURL: .*\(500\)/m);
      expect(run.stdout).toMatch(/^warning: actions\/cache: the cache service did not answer the restore in \d+ s; not using it for the rest of this run/m);
      expect(run.stdout).not.toMatch(/^::warning/m);
      expect(ref(run).cache).toMatchObject({ listing: "miss", store: { name: "actions/cache", restored: false, saved: false } });
      // @actions/cache tries 5 times; the save is not attempted against a service that just failed that way.
      expect(service.requests.map((q) => q.rpc)).toEqual(Array(5).fill("GetCacheEntryDownloadURL"));
      // Same evidence as without a cache.
      const plain = await runAction({ "fail-on": "never", "actions-cache": "false" }, {});
      expect(pearsons(run)).toEqual(pearsons(plain));
    } finally {
      await service.close();
    }
  });
});

describe("ActionsCacheStore (in process)", () => {
  const quiet = () => {
    const lines: string[] = [];
    return { lines, logger: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) } };
  };

  it("never throws, and leaves the working directory and GITHUB_WORKSPACE as they were", async () => {
    const root = await tempDir("store");
    const { lines, logger } = quiet();
    const cwd = process.cwd();
    const workspace = process.env.GITHUB_WORKSPACE;
    const seen: string[] = [];
    const store = new ActionsCacheStore(
      logger,
      archiveCalls({
        restoreCache: async (paths: string[]) => {
          seen.push(`${process.cwd()} ${process.env.GITHUB_WORKSPACE} ${paths.join(",")}`);
          throw new Error("boom");
        },
        saveCache: async (paths: string[]) => {
          seen.push(`${process.cwd()} ${process.env.GITHUB_WORKSPACE} ${paths.join(",")}`);
          throw new Error("bang");
        },
      }),
    );
    const dir = path.join(root, "cache", "org_name@abc");
    expect(await store.restore("k", dir)).toBe(false);
    expect(await store.save("k", dir)).toBe(false);
    // The entry's path is its directory name, from the cache root: an entry does not depend on where the root is.
    // A restore extracts under GITHUB_WORKSPACE (the working directory stays); a save also globs the name from the working directory.
    const cacheRoot = path.join(root, "cache");
    expect(seen).toEqual([`${cwd} ${cacheRoot} org_name@abc`, `${cacheRoot} ${cacheRoot} org_name@abc`]);
    expect(process.cwd()).toBe(cwd);
    expect(process.env.GITHUB_WORKSPACE).toBe(workspace);
    expect(lines).toEqual(["warn actions/cache: could not restore k: boom", "warn actions/cache: could not save k: bang"]);
  });

  it("stops asking a service that answers a miss only after the library's retries", async () => {
    const root = await tempDir("store");
    const { lines, logger } = quiet();
    let clock = 0;
    let calls = 0;
    const store = new ActionsCacheStore(
      logger,
      archiveCalls({
        restoreCache: async () => {
          calls++;
          clock += 30_000;
          return undefined;
        },
        saveCache: async () => {
          calls++;
          return 1;
        },
      }),
      () => clock,
    );
    expect(await store.restore("a", path.join(root, "a"))).toBe(false);
    expect(await store.save("a", path.join(root, "a"))).toBe(false);
    expect(await store.restore("b", path.join(root, "b"))).toBe(false);
    expect(calls).toBe(1);
    expect(lines).toEqual(["warn actions/cache: the cache service did not answer the restore in 30 s; not using it for the rest of this run"]);
  });

  it("is chosen on GitHub-hosted runners with the service (auto), on any runner with it (true), never with false", async () => {
    const on = () => true;
    const off = () => false;
    const calls = archiveCalls({ restoreCache: async () => undefined, saveCache: async () => -1 });
    let asked = 0;
    const pick = async (mode: string, env: NodeJS.ProcessEnv, available: () => boolean, cacheDir = "/cache") =>
      (await actionsCacheStoreFor(parseActionsCacheMode(mode), { env, cacheDir, logger: quiet().logger, access: { ...calls, available: async () => (asked++, available()) } })) !== null;
    const hosted = { RUNNER_ENVIRONMENT: "github-hosted" };
    const selfHosted = { RUNNER_ENVIRONMENT: "self-hosted" };
    expect(await pick("", hosted, on)).toBe(true);
    expect(await pick("auto", hosted, off)).toBe(false);
    expect(await pick("true", selfHosted, on)).toBe(true);
    expect(await pick("TRUE", {}, off)).toBe(false);
    expect(asked).toBe(4);
    // The service is not even asked about (no helper process is started) when it would not be used.
    expect(await pick("auto", selfHosted, on)).toBe(false);
    expect(await pick("false", hosted, on)).toBe(false);
    expect(await pick("auto", hosted, on, "")).toBe(false);
    expect(asked).toBe(4);
    expect(() => parseActionsCacheMode("on")).toThrow(/auto, true or false/);
  });

  it("a helper process that dies fails its waiting calls as a warning; the next call starts a new one", async () => {
    const root = await tempDir("store");
    // A helper that answers 'available' and dies on its first cache call.
    const helper = path.join(root, "helper.mjs");
    await writeFile(helper, `process.on("message", (m) => { if (m.op === "available") process.send({ id: m.id, value: true }); else process.exit(3); });\n`);
    const access = cacheHelper(pathToFileURL(helper));
    const { lines, logger } = quiet();
    try {
      const store = await actionsCacheStoreFor(parseActionsCacheMode("true"), { env: {}, cacheDir: path.join(root, "cache"), logger, access });
      expect(store).not.toBeNull();
      expect(await store!.restore("k", path.join(root, "cache", "a"))).toBe(false);
      expect(await store!.save("k", path.join(root, "cache", "a"))).toBe(false);
      expect(lines.slice(1)).toEqual([
        "warn actions/cache: could not restore k: the cache helper process ended (exit code 3)",
        "warn actions/cache: could not save k: the cache helper process ended (exit code 3)",
      ]);
    } finally {
      access.close();
    }
  });
});
