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
import { randomOrthogonal } from "./helpers/evasions.js";
import { loadModel, saveModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

const SHAPE = { d: 256, ff: 688, heads: 4, kvHeads: 2, layers: 5, vocab: 512, seed: 11 };
let dir: string;

beforeAll(async () => {
  dir = await tempDir("stream-search");
  await generateWide(dir, { ...SHAPE, only: ["base", "finetune", "permuted", "rotated", "independent", "dropped", "duplicated", "reordered"] });
  await rotateGenerally(path.join(dir, "finetune"), path.join(dir, "orthogonal"));
});

/**
 * The fine-tune with its residual stream rotated by a general orthogonal Q (not a Hadamard one), as
 * SliceGPT does: norm gains folded into the matrices that read them, then set to 1; embeddings and
 * the matrices that read the stream times Q, the ones that write it Qᵀ times. Function-identical.
 */
async function rotateGenerally(from: string, to: string): Promise<void> {
  const model = await loadModel(from);
  const d = SHAPE.d;
  const q = randomOrthogonal(d, 99);
  const t = model.tensors;
  const get = (name: string) => t.get(name)!;
  const times = (w: Float32Array, rows: number, gain: Float32Array | null): Float32Array => {
    const out = new Float32Array(rows * d);
    for (let i = 0; i < rows; i++) {
      for (let k = 0; k < d; k++) {
        const v = w[i * d + k]! * (gain ? gain[k]! : 1);
        if (v === 0) continue;
        for (let j = 0; j < d; j++) out[i * d + j]! += v * q[k * d + j]!;
      }
    }
    return out;
  };
  const transposedTimes = (w: Float32Array, cols: number): Float32Array => {
    const out = new Float32Array(d * cols);
    for (let k = 0; k < d; k++) for (let i = 0; i < d; i++) {
      const qki = q[k * d + i]!;
      for (let j = 0; j < cols; j++) out[i * cols + j]! += qki * w[k * cols + j]!;
    }
    return out;
  };
  const ones = new Float32Array(d).fill(1);
  const set = (name: string, data: Float32Array) => (get(name).data = data);
  set("model.embed_tokens.weight", times(get("model.embed_tokens.weight").data, SHAPE.vocab, null));
  set("lm_head.weight", times(get("lm_head.weight").data, SHAPE.vocab, get("model.norm.weight").data));
  set("model.norm.weight", ones);
  for (let l = 0; l < SHAPE.layers; l++) {
    const p = `model.layers.${l}.`;
    const g1 = get(`${p}input_layernorm.weight`).data;
    const g2 = get(`${p}post_attention_layernorm.weight`).data;
    for (const n of ["q", "k", "v"]) set(`${p}self_attn.${n}_proj.weight`, times(get(`${p}self_attn.${n}_proj.weight`).data, get(`${p}self_attn.${n}_proj.weight`).shape[0]!, g1));
    for (const n of ["gate", "up"]) set(`${p}mlp.${n}_proj.weight`, times(get(`${p}mlp.${n}_proj.weight`).data, SHAPE.ff, g2));
    set(`${p}self_attn.o_proj.weight`, transposedTimes(get(`${p}self_attn.o_proj.weight`).data, d));
    set(`${p}mlp.down_proj.weight`, transposedTimes(get(`${p}mlp.down_proj.weight`).data, SHAPE.ff));
    set(`${p}input_layernorm.weight`, ones);
    set(`${p}post_attention_layernorm.weight`, ones);
  }
  await saveModel(to, t, { dtype: "BF16" });
}

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
    expect(component.search?.note).toMatch(/streamed alignment search/);
    // The policy, not the search, says how many matrices stand out only once aligned, and that the residual stream was permuted.
    expect(component.search?.matched).toBeGreaterThan(0);
    expect(component.search?.residualPermuted).toBe(true);
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
    // q, k, v, gate and up (units on rows) are found at every layer, each by the stronger of the
    // Hadamard look and the Gram look (which covers v, gate and up only); q and k by the Hadamard look.
    const rotated = matrices(report).filter((t) => /residual-rotated-(hadamard|gram)/.test(t.transform));
    expect(rotated.length).toBe(5 * SHAPE.layers);
    for (const t of rotated) expect(t.aligned!.log10p, t.candidate).toBeLessThan(-6);
    const qk = rotated.filter((t) => /[qk]_proj/.test(t.candidate));
    expect(qk.length).toBe(2 * SHAPE.layers);
    for (const t of qk) expect(t.transform).toMatch(/residual-rotated-hadamard-reference/);
  });

  it("finds it the other way round too (the rotation then sits on the candidate's side: diag(s)·H)", async () => {
    const { report } = await check("finetune", "rotated");
    expect(report.verdict).toBe("reused");
    const rotated = matrices(report).filter((t) => /residual-rotated-(hadamard|gram)/.test(t.transform));
    expect(rotated.length).toBe(5 * SHAPE.layers);
    const qk = rotated.filter((t) => /[qk]_proj/.test(t.candidate));
    for (const t of qk) expect(t.transform).toMatch(/residual-rotated-hadamard-candidate/);
  });

  it("finds a fine-tune whose residual stream was rotated by a general orthogonal matrix (SliceGPT-style), through the units' Gram matrices", async () => {
    const { code, report } = await check("orthogonal");
    expect(report.verdict).toBe("reused");
    expect(code).toBe(1);
    // v, gate and up (units on rows, no RoPE) are tested by their Gram matrices at every layer.
    const rotated = matrices(report).filter((t) => /residual-rotated-gram/.test(t.transform));
    expect(rotated.length).toBe(3 * SHAPE.layers);
    for (const t of rotated) expect(t.aligned!.log10p, t.candidate).toBeLessThan(-6);
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
