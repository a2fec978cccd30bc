/**
 * The whole gate against a Hub-like server on loopback: references and
 * candidate as `org/name[@rev]`, revisions pinned to the sha, licences in the
 * report, only the needed bytes fetched, the token kept off the CDN.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHeader, readHeaderLength } from "../../src/safetensors/header.js";
import { tiny } from "../helpers/fixtures.js";
import { readReport, runCli } from "../helpers/run-cli.js";
import { type HubServer, startHubServer } from "./server.js";
import { tempDir } from "../helpers/temp.js";

let server: HubServer;
let tmp: string;
const files: Record<string, Uint8Array> = {};

async function repoFiles(name: Parameters<typeof tiny>[0]): Promise<Record<string, Uint8Array | string>> {
  const dir = await tiny(name);
  const bytes = new Uint8Array(await readFile(path.join(dir, "model.safetensors")));
  files[name] = bytes;
  return { "model.safetensors": bytes, "config.json": await readFile(path.join(dir, "config.json"), "utf8") };
}

beforeAll(async () => {
  tmp = await tempDir("hubcli");
  server = await startHubServer({
    token: "hf_test",
    repos: {
      "open/vlm-ref": { files: await repoFiles("vlm-ref"), license: "apache-2.0" },
      "open/llm-a": { files: await repoFiles("llm-a"), license: "mit", gated: true },
      "lab/vlm-cand": { files: await repoFiles("vlm-cand"), license: "other" },
      "lab/llm-b": { files: await repoFiles("llm-b") },
    },
  });
});
afterAll(async () => {
  await server?.close();
});

async function check(args: string[]) {
  const report = path.join(tmp, `r-${Math.random().toString(36).slice(2)}.json`);
  const run = await runCli(["check", ...args, "--endpoint", server.url, "--report", report, "--quiet"]);
  let parsed = null;
  try {
    parsed = await readReport(report);
  } catch {
    // no report written
  }
  return { ...run, report: parsed };
}

describe("fromscratch check through a Hub-like server", () => {
  it("finds the reused vision tower, pins revisions to the Hub's sha and records licences", async () => {
    const { code, report } = await check(["--candidate", "lab/vlm-cand", "--reference", "hf://open/vlm-ref@main"]);
    expect(code).toBe(1);
    const ref = report!.references[0]!;
    expect(ref.revision).toBe(server.shaOf("open/vlm-ref"));
    expect(ref.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(ref.license).toBe("apache-2.0");
    expect(report!.candidate.revision).toBe(server.shaOf("lab/vlm-cand"));
    expect(ref.components.find((c) => c.name === "vision")!.verdict).toBe("reused");
    expect(ref.components.find((c) => c.name === "language")!.verdict).toBe("independent");
  });

  it("a gated reference: a token opens it and never reaches the CDN; without one, exit 3 with advice", async () => {
    const before = server.requests.length;
    const ok = await check(["--candidate", "lab/llm-b", "--reference", "open/llm-a", "--token", "hf_test"]);
    expect(ok.code).toBe(0);
    expect(ok.report!.verdict).toBe("independent");
    const reqs = server.requests.slice(before);
    expect(reqs.some((r) => r.origin === "cdn")).toBe(true);
    expect(reqs.filter((r) => r.origin === "cdn").every((r) => !r.authorization)).toBe(true);
    expect(ok.stdout + ok.stderr).not.toMatch(/hf_test/);
    expect(JSON.stringify(ok.report)).not.toMatch(/hf_test/);

    const denied = await check(["--candidate", "lab/llm-b", "--reference", "open/llm-a"]);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/licen[cs]e/i);
    expect(denied.stderr).toMatch(/token/);
    expect(denied.report!.verdict).not.toBe("independent");
  });

  it("HF_TOKEN and HF_ENDPOINT are the defaults of --token and --endpoint", async () => {
    const report = path.join(tmp, "env.json");
    const run = await runCli(["check", "--candidate", "lab/llm-b", "--reference", "open/llm-a", "--report", report, "--quiet"], {
      HF_TOKEN: "hf_test",
      HF_ENDPOINT: server.url,
    });
    expect(run.code).toBe(0);
    expect((await readReport(report)).references[0]!.license).toBe("mit");
  });

  it("a missing repo given as hf://org/name is exit 3 naming it", async () => {
    const { code, stderr } = await check(["--candidate", "lab/llm-b", "--reference", "hf://open/does-not-exist"]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^error: open\/does-not-exist: repository not found/m);
  });

  it("a missing repo given as org/name, which is no local path either, is exit 2 saying both readings", async () => {
    const { code, stderr } = await check(["--candidate", "lab/llm-b", "--reference", "open/does-not-exist"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: no local path open\/does-not-exist; as a Hub repo: open\/does-not-exist: repository not found/m);
  });

  it("a component-limited check reads only that component's bytes (plus headers), by Range", async () => {
    const before = server.requests.length;
    const { code, report } = await check([
      "--candidate",
      "lab/vlm-cand",
      "--reference",
      "open/vlm-ref",
      "--components",
      "vision=model.vision_model.*",
    ]);
    expect(code).toBe(1);
    const served = server.requests.slice(before).filter((r) => r.origin === "cdn");
    const bytesServed = served.reduce((s, r) => s + r.bytes, 0);
    expect(served.every((r) => r.range !== null && r.status === 206)).toBe(true);
    // What the compared tensors occupy in both files, plus both headers.
    let needed = 0;
    let tensorsRead = 0;
    for (const name of ["vlm-cand", "vlm-ref"]) {
      const bytes = files[name]!;
      const n = readHeaderLength(name, bytes.subarray(0, 8), bytes.length);
      needed += 8 + n;
      const header = parseHeader(name, bytes.subarray(8, 8 + n), bytes.length);
      const compared = new Set(report!.references[0]!.components.flatMap((c) => c.tensors.map((t) => (name === "vlm-cand" ? t.candidate : t.reference))));
      needed += header.tensors.filter((t) => compared.has(t.name)).reduce((s, t) => s + t.end - t.begin, 0);
      tensorsRead += compared.size;
    }
    // Gaps between compared tensors may be read through to join requests, within 5% in all (the target).
    expect(bytesServed).toBeLessThanOrEqual(1.05 * needed);
    // Adjacent tensors share ranged requests: far fewer weight requests than tensors read.
    const weightRequests = served.filter((r) => !/^bytes=(0-7|8-)/.test(r.range!)).length;
    expect(weightRequests).toBeLessThan(tensorsRead / 4);
    expect(bytesServed).toBeLessThan(0.5 * (files["vlm-cand"]!.length + files["vlm-ref"]!.length));
    expect(report!.bytesRead).toBeGreaterThanOrEqual(bytesServed);
  });

  it("a normal check prints no Node warning (the read-ahead's many requests in flight add no listener each to one signal)", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      const { code } = await check(["--candidate", "lab/vlm-cand", "--reference", "open/vlm-ref"]);
      expect(code).toBe(1);
      // Node emits warnings on a later tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
  });
});
