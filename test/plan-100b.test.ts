/**
 * `plan` on 100B-class references, headers only: a GLM-4.5-Air-shaped MoE
 * (~106.9 B parameters, 128 routed + 1 shared expert) and a
 * Qwen2.5-VL-72B-shaped VLM (~73.4 B), as sparse sharded checkpoints served
 * by the Hub-like server from disk. It prints each reference's parameters,
 * the bytes the check's read plan reads (computed here again from the
 * headers: every informative pair's sampled rows, the rest whole) and a time
 * at the given link; the server serves only the headers.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GLM_45_AIR, moeSpecs, numelOf, qwen25Vl72bSpecs, type SparseShard, type TensorSpec, writeSparseCheckpoint } from "./helpers/large-shapes.js";
import { runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";
import { type FileContent, type HubServer, startHubServer } from "./hub/server.js";
import { readFile } from "node:fs/promises";

let server: HubServer;
let dir: string;
const models: Record<string, { specs: TensorSpec[]; shards: SparseShard[]; local: string }> = {};

beforeAll(async () => {
  dir = await tempDir("plan-100b");
  const repos: Record<string, { files: Record<string, FileContent> }> = {};
  for (const [repo, specs] of [
    ["zai-org/GLM-4.5-Air", moeSpecs(GLM_45_AIR)],
    ["Qwen/Qwen2.5-VL-72B-Instruct", qwen25Vl72bSpecs()],
  ] as const) {
    const local = path.join(dir, repo.replace("/", "_"));
    await mkdir(local);
    const shards = await writeSparseCheckpoint(local, specs);
    models[repo] = { specs, shards, local };
    const files: Record<string, FileContent> = { "model.safetensors.index.json": await readFile(path.join(local, "model.safetensors.index.json"), "utf8") };
    for (const s of shards) files[s.name] = { path: s.path, size: s.size };
    repos[repo] = { files };
  }
  server = await startHubServer({ repos });
});

afterAll(async () => {
  await server?.close();
});

const CHUNKS = 16;

/** Rows a sampled matrix reads: ~fraction of them, at least 256 Ki elements at 5% and above, scaled with the fraction below it (32 Ki at least), in equal chunks. */
function sampledRows(rows: number, cols: number, fraction: number): number {
  const min = Math.max(1 << 15, Math.min(1 << 18, Math.round(((1 << 18) * fraction) / 0.05)));
  if (fraction >= 1 || rows * cols <= min || rows < 2 * CHUNKS) return rows;
  const want = Math.min(rows, Math.max(Math.ceil(fraction * rows), Math.ceil(min / cols)));
  if (want >= rows) return rows;
  // In 2 to 16 equal chunks of at least 64 Ki elements each.
  const chunks = Math.max(2, Math.min(CHUNKS, Math.floor((want * cols) / (1 << 16))));
  return Math.min(rows, chunks * Math.ceil(want / chunks));
}

/**
 * The bytes a check of `specs` against itself reads, from the headers alone:
 * the auto rule's fraction (exact up to 4 GiB of informative bytes on both
 * sides, else 1 GiB of them, at least 1%), then per side every informative
 * matrix's sampled rows (a fused qkv read as its three parts), every other
 * tensor whole, and the expert matching's sketches; plus the reference's headers.
 */
function expectedBytes(specs: TensorSpec[], shards: SparseShard[]): { bytes: number; fraction: number } {
  const views: { rows: number; cols: number; informative: boolean }[] = [];
  for (const s of specs) {
    const rows = s.shape[0]!;
    const cols = numelOf(s.shape) / rows;
    const informative = s.shape.length >= 2 && rows >= 2 && cols >= 2 && rows * cols >= 4096;
    const parts = /\.qkv\.weight$/.test(s.name) ? 3 : 1;
    for (let p = 0; p < parts; p++) views.push({ rows: rows / parts, cols, informative });
  }
  const informativeBytes = 2 * views.filter((v) => v.informative).reduce((a, v) => a + v.rows * v.cols * 2, 0);
  const fraction = informativeBytes <= 4 * 1024 ** 3 ? 1 : Math.max(0.01, 1024 ** 3 / informativeBytes);
  let side = 0;
  for (const v of views) side += (v.informative ? sampledRows(v.rows, v.cols, fraction) : v.rows) * v.cols * 2;
  // Routed experts are matched first on sketches: 16 residual rows of every expert's down matrix (32 when exact).
  for (const s of specs) if (/\.experts\.\d+\.down_proj\.weight$/.test(s.name)) side += Math.min(s.shape[0]!, fraction < 1 ? 16 : 32) * s.shape[1]! * 2;
  const headers = shards.reduce((a, s) => a + s.headerBytes, 0);
  return { bytes: 2 * side + headers, fraction };
}

describe("plan on 100B-class references (headers only, sparse checkpoints on a Hub-like server)", () => {
  for (const [repo, billions] of [
    ["zai-org/GLM-4.5-Air", 106],
    ["Qwen/Qwen2.5-VL-72B-Instruct", 73],
  ] as const) {
    it(`${repo}: parameters, the bytes the read plan reads and the time at the link; only headers served`, async () => {
      const m = models[repo]!;
      const parameters = m.specs.reduce((a, s) => a + numelOf(s.shape), 0);
      expect(Math.abs(parameters / 1e9 / billions - 1)).toBeLessThan(0.02);
      const before = server.requests.length;
      const run = await runCli(["plan", "--candidate", m.local, "--reference", repo, "--shards", "1", "--endpoint", server.url, "--link-mbs", "100", "--link-latency-ms", "20"]);
      expect(run.code, run.stderr).toBe(0);
      const line = run.stderr.split("\n").find((l) => l.includes(`reference ${repo}: `) && l.includes("parameters"))!;
      expect(line, run.stderr).toBeDefined();
      // "reference org/name: 106.9 B parameters, reads 18.34 GB (sampled 1.0%; ...), ~46.2 min at 100 MB/s"
      const printed = Number(/: ([\d.]+) B parameters/.exec(line)![1]);
      expect(Math.abs(printed / billions - 1)).toBeLessThan(0.02);
      expect(Math.abs(printed * 1e9 - parameters) / parameters).toBeLessThan(0.001);
      expect(line).toMatch(/reads [\d.]+ GB \(sampled 1\.0%/);
      expect(line).toMatch(/~[\d.]+ (s|min|h) at 100 MB\/s$/);
      expect(run.stderr).toMatch(/total: reads [\d.]+ GB, fetches [\d.]+ GB in \d+ requests, ~[\d.]+ (s|min|h) at 100 MB\/s and 20 ms per request/);
      const planned = (JSON.parse(run.stdout) as { include: { bytes: number }[] }).include[0]!.bytes;
      const expected = expectedBytes(m.specs, m.shards);
      expect(expected.fraction).toBeCloseTo(0.01, 6);
      expect(Math.abs(planned / expected.bytes - 1), `planned ${planned}, expected ${expected.bytes}`).toBeLessThan(0.05);
      // Headers only: per shard, its 8-byte length and JSON header (tens of KB), far below 1 MB.
      const served = new Map<string, number>();
      for (const r of server.requests.slice(before)) {
        const shard = /(model-\d+-of-\d+\.safetensors)/.exec(decodeURIComponent(r.url))?.[1];
        if (shard && r.origin === "cdn") served.set(shard, (served.get(shard) ?? 0) + r.bytes);
      }
      expect(served.size).toBe(m.shards.length);
      for (const s of m.shards) {
        expect(served.get(s.name)).toBe(s.headerBytes);
        expect(served.get(s.name)!).toBeLessThan(1e6);
      }
      console.log(`${repo}: ${line.trim()} | expected bytes ${expected.bytes}, planned ${planned}, ${m.shards.length} shards`);
    });
  }
});
