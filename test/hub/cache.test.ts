/**
 * The reference cache (--cache-dir): a second sampled run against the same
 * Hub reference fetches no weights from it (one API call resolves the
 * revision), gives the same result, says so in the log and the report, and
 * stores no token.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drifted, llamaConfig, llamaModel, toSafetensors, writeModel } from "../../src/examples/generate.js";
import { readReport, runCli } from "../helpers/run-cli.js";
import { type HubServer, startHubServer } from "./server.js";
import { tempDir } from "../helpers/temp.js";

const SHAPE = { hidden: 512, intermediate: 1408, layers: 2, vocab: 2048 };
let server: HubServer;
let dir: string;

beforeAll(async () => {
  dir = await tempDir("cache");
  const base = llamaModel(SHAPE, 1);
  await writeModel(path.join(dir, "finetune"), drifted(base, 2, 0.8), llamaConfig(SHAPE));
  // Another candidate of the same reference under other names (no "model." prefix).
  const other = new Map([...drifted(base, 3, 0.8)].map(([k, v]) => [k.replace(/^model\./, ""), v]));
  await writeModel(path.join(dir, "other-names"), other, llamaConfig(SHAPE));
  server = await startHubServer({
    token: "hf_cachetoken",
    repos: { "open/base": { files: { "model.safetensors": toSafetensors(base), "config.json": JSON.stringify(llamaConfig(SHAPE)) }, gated: true, license: "mit" } },
  });
});
afterAll(async () => {
  await server?.close();
});

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true })) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe("reference cache", () => {
  it("serves a second sampled run from disk: no weight bytes from the reference, same verdict", async () => {
    const cacheDir = path.join(dir, "cache");
    const run = async (name: string) => {
      const before = server.requests.length;
      const out = path.join(dir, `${name}.json`);
      const r = await runCli(
        ["check", "--candidate", path.join(dir, "finetune"), "--reference", "open/base", "--endpoint", server.url, "--sample", "0.1", "--cache-dir", cacheDir, "--report", out],
        { HF_TOKEN: "hf_cachetoken" },
      );
      return { ...r, report: await readReport(out), requests: server.requests.slice(before) };
    };
    const first = await run("first");
    expect(first.code).toBe(1);
    expect(first.report.references[0]!.cache).toMatchObject({ listing: "miss", rangesHit: 0 });
    expect(first.report.references[0]!.cache!.rangesStored).toBeGreaterThan(0);
    expect(first.requests.filter((q) => q.origin === "cdn").length).toBeGreaterThan(0);

    const second = await run("second");
    expect(second.code).toBe(1);
    expect(second.report.references[0]!.cache).toMatchObject({ listing: "hit", rangesStored: 0 });
    expect(second.report.references[0]!.cache!.rangesHit).toBe(first.report.references[0]!.cache!.rangesStored);
    // No weights (CDN) and no header reads: only the revision is resolved.
    expect(second.requests.filter((q) => q.origin === "cdn")).toEqual([]);
    expect(second.requests.every((q) => q.url.startsWith("/api/models/"))).toBe(true);
    expect(second.stderr).toMatch(/cache hit: open\/base @ [0-9a-f]{40}/);
    // The report says so too, under the reference.
    expect(first.stdout).toMatch(/^ {2}cache miss: headers fetched and cached, \d+ ranges stored$/m);
    expect(second.stdout).toMatch(new RegExp(`^ {2}cache hit: headers from the cache, ${first.report.references[0]!.cache!.rangesStored} ranges \\([\\d.]+ MB\\) from the cache$`, "m"));
    // Same evidence, same revision.
    expect(second.report.references[0]!.revision).toBe(first.report.references[0]!.revision);
    const pearsons = (r: typeof first.report) => r.references[0]!.components[0]!.tensors.map((t) => t.pearson);
    expect(pearsons(second.report)).toEqual(pearsons(first.report));
    // Nothing secret on disk.
    for (const f of await filesUnder(cacheDir)) expect((await readFile(f)).includes("hf_cachetoken")).toBe(false);
  });

  it("a second candidate with other tensor names reads the same reference rows: served from the cache", async () => {
    const cacheDir = path.join(dir, "cache-two-candidates");
    const run = async (candidate: string) => {
      const before = server.requests.length;
      const out = path.join(dir, `${candidate}-two.json`);
      const r = await runCli(
        ["check", "--candidate", path.join(dir, candidate), "--reference", "open/base", "--endpoint", server.url, "--sample", "0.1", "--cache-dir", cacheDir, "--report", out, "--quiet"],
        { HF_TOKEN: "hf_cachetoken" },
      );
      return { ...r, report: await readReport(out), requests: server.requests.slice(before) };
    };
    const first = await run("finetune");
    const second = await run("other-names");
    expect(first.code).toBe(1);
    expect(second.code).toBe(1);
    expect(second.report.references[0]!.components[0]!.tensors[0]!.candidate).not.toMatch(/^model\./);
    expect(second.report.references[0]!.cache).toMatchObject({ listing: "hit", rangesStored: 0 });
    expect(second.report.references[0]!.cache!.rangesHit).toBe(first.report.references[0]!.cache!.rangesStored);
    expect(second.requests.filter((q) => q.origin === "cdn")).toEqual([]);
  });

  it("exact mode keeps only headers in the cache (it would otherwise copy whole models)", async () => {
    const cacheDir = path.join(dir, "cache-exact");
    const out = path.join(dir, "exact.json");
    const r = await runCli(
      ["check", "--candidate", path.join(dir, "finetune"), "--reference", "open/base", "--endpoint", server.url, "--sample", "exact", "--cache-dir", cacheDir, "--report", out],
      { HF_TOKEN: "hf_cachetoken" },
    );
    expect(r.code).toBe(1);
    expect((await readReport(out)).references[0]!.cache).toMatchObject({ listing: "miss", rangesStored: 0 });
    const files = await filesUnder(cacheDir);
    expect(files.map((f) => path.basename(f))).toEqual(["listing.json"]);
  });
});
