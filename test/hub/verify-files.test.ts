/**
 * A result others can verify: the JSON report names every compared file (`candidate.files[]`,
 * `references[].files[]`) by path, size and sha256. Through the real CLI and the Hub-like server:
 * a Hub file's sha256 is the one its tree lists (`lfs.oid`), with no request reading it whole; a
 * local file's is computed over its bytes (the index as it is read, the shards by a streamed hash);
 * the reference cache keeps the digests, and a cached listing from before them is listed again.
 */
import { createHash } from "node:crypto";
import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelFile, Report } from "../../src/report/schema.js";
import { tiny } from "../helpers/fixtures.js";
import { loadModel, saveModel } from "../helpers/model-io.js";
import { readReport, runCli } from "../helpers/run-cli.js";
import { tempDir } from "../helpers/temp.js";
import { type HubServer, startHubServer } from "./server.js";

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

let server: HubServer;
let tmp: string;
/** The local sharded candidate: index + 2 shards of llm-a-sft. */
let sharded: string;
/** The bytes the Hub serves for open/llm-a (sharded: index kept in plain git, shards in LFS). */
const served: Record<string, Uint8Array | string> = {};

beforeAll(async () => {
  tmp = await tempDir("verify-files");
  sharded = path.join(tmp, "llm-a-sft-sharded");
  await saveModel(sharded, (await loadModel(await tiny("llm-a-sft"))).tensors, { shards: 2 });
  const ref = path.join(tmp, "llm-a-sharded");
  await saveModel(ref, (await loadModel(await tiny("llm-a"))).tensors, { shards: 2 });
  for (const f of await readdir(ref)) served[f] = f.endsWith(".json") ? await readFile(path.join(ref, f), "utf8") : new Uint8Array(await readFile(path.join(ref, f)));
  const single = new Uint8Array(await readFile(path.join(await tiny("llm-b"), "model.safetensors")));
  server = await startHubServer({ repos: { "open/llm-a": { files: served, license: "mit" }, "open/llm-b": { files: { "model.safetensors": single } } } });
});
afterAll(async () => {
  await server?.close();
});

async function check(args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const report = path.join(tmp, `r-${Math.random().toString(36).slice(2)}.json`);
  const run = await runCli(["check", ...args, "--endpoint", server.url, "--report", report]);
  return { code: run.code, report: await readReport(report), stderr: run.stderr };
}

/** What a third party computes over a local folder: every file the report names, hashed. */
async function onDisk(dir: string, names: string[]): Promise<ModelFile[]> {
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(path.join(dir, name));
      return { path: name, size: bytes.length, sha256: sha256(bytes), sha256From: "computed" as const };
    }),
  );
}

describe("every compared file, by path, size and sha256", () => {
  it("a local sharded candidate: the index and each shard, hashed over their bytes", async () => {
    const { code, report, stderr } = await check(["--candidate", sharded, "--reference", await tiny("llm-a")]);
    expect(code).toBe(1);
    const shards = (await readdir(sharded)).filter((f) => f.endsWith(".safetensors")).sort();
    expect(shards).toHaveLength(2);
    expect(report.candidate.files).toEqual(await onDisk(sharded, ["model.safetensors.index.json", ...shards]));
    expect(report.references[0]!.files).toEqual(await onDisk(await tiny("llm-a"), ["model.safetensors"]));
    expect(stderr).toMatch(new RegExp(`candidate ${sharded}: sha256 of 2 files \\([0-9.]+ MB\\) in [0-9.]+ s, for the report`));
  });

  it("a Hub reference: the revision, the sha256 its tree lists for LFS files, the index hashed as read, no file fetched whole", async () => {
    const before = server.requests.length;
    const { code, report } = await check(["--candidate", sharded, "--reference", "open/llm-a", "--reference", "hf://open/llm-b"]);
    expect(code).toBe(1);
    const [a, b] = report.references;
    expect(a!.revision).toBe(server.shaOf("open/llm-a"));
    const shards = Object.keys(served).filter((f) => f.endsWith(".safetensors")).sort();
    expect(a!.files!.map(({ gitOid, ...rest }) => rest)).toEqual([
      { path: "model.safetensors.index.json", size: Buffer.byteLength(served["model.safetensors.index.json"] as string), sha256: sha256(served["model.safetensors.index.json"]!), sha256From: "computed" },
      ...shards.map((f) => ({ path: f, size: (served[f] as Uint8Array).length, sha256: sha256(served[f]!), sha256From: "hub" })),
    ]);
    expect(a!.files!.every((f) => /^[0-9a-f]{40}$/.test(f.gitOid ?? ""))).toBe(true);
    expect(b!.files!.map((f) => [f.path, f.sha256From])).toEqual([["model.safetensors", "hub"]]);
    // The digests cost no download: every request for a weight file asked for a byte range.
    const weightReads = server.requests.slice(before).filter((r) => r.method === "GET" && /\.safetensors(\?|$)/.test(r.url));
    expect(weightReads.length).toBeGreaterThan(0);
    expect(weightReads.every((r) => r.range !== null)).toBe(true);
  });

  it("the reference cache keeps the digests; a listing cached without them is listed again", async () => {
    const cacheDir = path.join(tmp, "cache");
    const args = ["--candidate", sharded, "--reference", "open/llm-a", "--cache-dir", cacheDir];
    const first = await check(args);
    expect(first.report.references[0]!.cache!.listing).toBe("miss");
    const second = await check(args);
    expect(second.report.references[0]!.cache!.listing).toBe("hit");
    expect(second.report.references[0]!.files).toEqual(first.report.references[0]!.files);
    // A cache entry written before files were identified: no fileIds in its listing.
    const [entry] = await readdir(cacheDir);
    const listingFile = path.join(cacheDir, entry!, "listing.json");
    const cached = JSON.parse(await readFile(listingFile, "utf8")) as { listing: { fileIds?: unknown } };
    delete cached.listing.fileIds;
    await writeFile(listingFile, JSON.stringify(cached));
    const third = await check(args);
    expect(third.report.references[0]!.cache!.listing).toBe("miss");
    expect(third.report.references[0]!.files).toEqual(first.report.references[0]!.files);
  });

  it("a Hub candidate is named by the Hub's digests too", async () => {
    const { report } = await check(["--candidate", "open/llm-b", "--reference", sharded]);
    expect(report.candidate.revision).toBe(server.shaOf("open/llm-b"));
    expect(report.candidate.files!.map((f) => [f.path, f.sha256From])).toEqual([["model.safetensors", "hub"]]);
    expect(report.candidate.files![0]!.sha256).toBe(sha256(new Uint8Array(await readFile(path.join(await tiny("llm-b"), "model.safetensors")))));
  });
});
