/**
 * The streamed alignment search (src/search/stream-search.ts), which runs in sampled mode and on
 * components too large for the whole-matrix search: on checkpoints from bench/wide-models.ts (a
 * fine-tune hidden by permutations of the residual stream, MLP units and heads, renamed and stored
 * F16; layer drops, duplicates and reordering; an independent model), through the real CLI.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateWide } from "../bench/wide-models.js";
import type { Report } from "../src/report/schema.js";
import { readFile } from "node:fs/promises";
import { startHubServer } from "./hub/server.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

const SHAPE = { d: 256, ff: 688, heads: 4, kvHeads: 2, layers: 5, vocab: 512, seed: 11 };
let dir: string;

beforeAll(async () => {
  dir = await tempDir("stream-search");
  await generateWide(dir, { ...SHAPE, only: ["base", "finetune", "permuted", "rotated", "independent", "dropped", "duplicated", "reordered"] });
}, 120_000);

async function check(candidate: string, reference = "base"): Promise<{ code: number; report: Report }> {
  const out = path.join(dir, `${candidate}-vs-${reference}.json`);
  // Sampled mode: the streamed search runs (the whole-matrix search is for exact runs of small models).
  const r = await runCli(["check", "--candidate", path.join(dir, candidate), "--reference", path.join(dir, reference), "--sample", "0.5", "--report", out, "--quiet"]);
  return { code: r.code, report: await readReport(out) };
}

const matrices = (report: Report) => report.references[0]!.components.flatMap((c) => c.tensors).filter((t) => t.informative && !/embed|head/.test(t.role));

describe("the streamed alignment search", () => {
  it("finds a fine-tune hidden by permuted residual stream, MLP units and grouped heads (renamed, F16)", async () => {
    const { code, report } = await check("permuted");
    expect(report.verdict).toBe("reused");
    expect(code).toBe(1);
    const component = report.references[0]!.components[0]!;
    expect(component.search?.ran).toBe(true);
    expect(component.search?.note).toMatch(/streamed alignment search matched/);
    // Every layer matrix found, each through the residual permutation and its own unit permutation.
    for (const t of matrices(report)) {
      expect(t.aligned, t.candidate).toBeDefined();
      expect(t.aligned!.log10p, t.candidate).toBeLessThan(-6);
      expect(t.aligned!.effect, t.candidate).toBeGreaterThan(0.8);
      expect(t.transform, t.candidate).toMatch(/residual-permuted/);
    }
    expect(component.share).toBeGreaterThan(0.8);
  });

  it("finds dropped, duplicated and reordered layers at the reference layers they came from", async () => {
    for (const edit of ["dropped", "duplicated", "reordered"]) {
      const { report } = await check(edit);
      expect(report.verdict, edit).toBe("reused");
      const shifted = matrices(report).filter((t) => /layer-shift/.test(t.transform));
      expect(shifted.length, edit).toBeGreaterThan(0);
      for (const t of shifted) expect(t.aligned!.effect, `${edit} ${t.candidate}`).toBeGreaterThan(0.8);
    }
  });

  it("finds a fine-tune whose residual stream was rotated QuaRot-style (norms folded, randomised Hadamard)", async () => {
    const { code, report } = await check("rotated");
    expect(report.verdict).toBe("reused");
    expect(code).toBe(1);
    // q, k, v, gate and up (units on rows) are tested through the Hadamard look at every layer.
    const rotated = matrices(report).filter((t) => /residual-rotated-hadamard/.test(t.transform));
    expect(rotated.length).toBe(5 * SHAPE.layers);
    for (const t of rotated) expect(t.aligned!.effect, t.candidate).toBeGreaterThan(0.8);
  });

  it("finds it the other way round too (the rotation then sits on the candidate's side: diag(s)·H)", async () => {
    const { report } = await check("finetune", "rotated");
    expect(report.verdict).toBe("reused");
    const rotated = matrices(report).filter((t) => /residual-rotated-hadamard-candidate/.test(t.transform));
    expect(rotated.length).toBe(5 * SHAPE.layers);
    for (const t of rotated) expect(t.aligned!.effect, t.candidate).toBeGreaterThan(0.8);
  });

  it("leaves an independent model of the same shapes independent, having searched", async () => {
    const { code, report } = await check("independent");
    expect(report.verdict).not.toBe("reused");
    expect(code).toBe(0);
    const component = report.references[0]!.components[0]!;
    expect(component.search?.ran).toBe(true);
    for (const t of matrices(report)) expect(Math.abs(t.aligned?.effect ?? 0), t.candidate).toBeLessThan(0.3);
  });

  it("fetches a Hub reference's bytes once in exact mode, the search included (it keeps the rows it will want as the element-wise pass reads them)", async () => {
    const file = await readFile(path.join(dir, "base", "model.safetensors"));
    const server = await startHubServer({ repos: { "org/base": { files: { "model.safetensors": new Uint8Array(file) } } } });
    try {
      const out = path.join(dir, "hub-exact.json");
      const r = await runCli(["check", "--candidate", path.join(dir, "independent"), "--reference", "org/base", "--endpoint", server.url, "--sample", "exact", "--report", out, "--quiet"]);
      const report = await readReport(out);
      expect(r.code).toBe(0);
      expect(report.verdict).not.toBe("reused");
      // Exact mode, and the streamed search ran (these shapes are over the whole-matrix search's budget).
      expect(report.references[0]!.sampling).toMatchObject({ fraction: 1 });
      expect(report.references[0]!.components[0]!.search?.note).toMatch(/streamed alignment search/);
      const served = server.requests.filter((q) => q.origin === "cdn").reduce((sum, q) => sum + q.bytes, 0);
      expect(served / file.length).toBeLessThan(1.05);
    } finally {
      await server.close();
    }
  });
});
