/**
 * Factored and split storage (issue 24 item 2): a reference's matrices stored as SVD factors (named as
 * SVD-compression methods name them, or renamed and found by shape chains), as an unmerged LoRA beside its
 * base, or cut into row or column blocks, are compared as the map they make, by probing, and count in the
 * share; an independent model stored so, and the factors of another model's matrices, are not reused.
 */
import { renderTransforms } from "../src/align/transform.js";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { alignModels } from "../src/align/align.js";
import type { ComponentResult, Report } from "../src/report/schema.js";
import type { TensorEntry } from "../src/sources/types.js";
import { uniform } from "./helpers/evasions.js";
import { factorModel, splitModel } from "./helpers/factor.js";
import { tiny } from "./helpers/fixtures.js";
import { type FloatTensors, loadModel, saveModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

let base: FloatTensors;
let other: FloatTensors;
let refDir: string;

beforeAll(async () => {
  refDir = await tiny("llm-a");
  base = (await loadModel(refDir)).tensors;
  other = (await loadModel(await tiny("llm-b"))).tensors;
});

async function check(candidate: FloatTensors): Promise<{ code: number; report: Report; model: ComponentResult }> {
  const dir = await tempDir("factored");
  await saveModel(path.join(dir, "cand"), candidate);
  const out = path.join(dir, "report.json");
  const { code } = await runCli(["check", "--candidate", path.join(dir, "cand"), "--reference", refDir, "--report", out, "--quiet"]);
  const report = await readReport(out);
  return { code, report, model: report.references[0]!.components[0]! };
}

const OUTSIDE_LAYERS = /embed_tokens|lm_head/;

/** The embeddings and the LM head taken from the independent model: only the layers are copied. */
function withIndependentEnds(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [n, t] of m) out.set(n, OUTSIDE_LAYERS.test(n) ? other.get(n.replace(/^base_model\.model\./, ""))! : t);
  return out;
}

const parameters = (m: FloatTensors, keep: (name: string) => boolean = () => true) => [...m].filter(([n]) => keep(n)).reduce((s, [, t]) => s + t.data.length, 0);
/** The fraction of a candidate's parameters that are the reference's matrices, stored otherwise (norms are not evidence). */
const copiedMatrices = (m: FloatTensors) => parameters(m, (n) => !OUTSIDE_LAYERS.test(n) && m.get(n)!.shape.length === 2) / parameters(m);

function expectReusedWithShare(r: { code: number; report: Report; model: ComponentResult }, cand: FloatTensors): void {
  expect(r.report.verdict).toBe("reused");
  expect(r.code).toBe(1);
  const copied = copiedMatrices(cand);
  expect(copied).toBeGreaterThanOrEqual(0.9);
  expect(r.model.share).toBeGreaterThanOrEqual(0.9);
  expect(Math.abs(r.model.share - copied)).toBeLessThan(0.02);
  expect(r.model.unmatchedTensors).toBe(0);
}

/** Opaque names per layer (`model.layers.L.tK.weight`), in a shuffled order: only shapes can pair them. */
function renameInLayers(m: FloatTensors, seed: number): FloatTensors {
  const rand = uniform(seed);
  const layerTensors = [...m].filter(([n, t]) => /\.layers\.\d+\./.test(n) && t.shape.length === 2);
  const shuffled = layerTensors.map((x) => ({ x, key: rand() })).sort((a, b) => a.key - b.key);
  const out: FloatTensors = new Map([...m].filter(([n, t]) => !(/\.layers\.\d+\./.test(n) && t.shape.length === 2)));
  shuffled.forEach(({ x: [n, t] }, k) => out.set(`${/^(.*\.layers\.\d+\.)/.exec(n)![1]}t${k}.weight`, t));
  return out;
}

describe("factored storage", () => {
  it("SVD factors at rank 50% (q_u_proj [out, r], q_v_proj [r, in]) under an independent embedding and head: reused, share = the copied fraction", async () => {
    const cand = withIndependentEnds(factorModel(base, { rankFraction: 0.5 }));
    const r = await check(cand);
    expectReusedWithShare(r, cand);
    const maps = r.model.tensors.filter((t) => t.factored);
    expect(maps.length).toBe(28);
    expect(maps.every((t) => t.standsOut && t.transform === "factored" && t.factored!.tensors.length === 2)).toBe(true);
    // The probed maps are the reference's matrices up to the discarded singular values.
    expect(Math.min(...maps.map((t) => t.effect!))).toBeGreaterThan(0.5);
  }, 120_000);

  it("rank 75%, singular values in the right factor, factors renamed in a shuffled order: found by shape chains, the choice paid for", async () => {
    const cand = withIndependentEnds(renameInLayers(factorModel(base, { rankFraction: 0.75, fold: "right" }), 7));
    const r = await check(cand);
    expectReusedWithShare(r, cand);
    const maps = r.model.tensors.filter((t) => t.factored);
    expect(maps.length).toBe(28);
    expect(maps.every((t) => t.transform === "renamed+factored" && t.factored!.options > 1)).toBe(true);
    // Every map met the reference matrix its factors came from: q with q, down with down.
    const roles = new Set(maps.map((t) => `${t.layer}|${t.role}`));
    expect(roles.size).toBe(28);
  }, 180_000);

  it("an unmerged LoRA beside its base (W + B·A, PEFT names, and the base under its own name): the adapter counts", async () => {
    const rand = uniform(11);
    const lora = (m: FloatTensors, peft: boolean): FloatTensors => {
      const out: FloatTensors = new Map();
      for (const [n, t] of m) {
        if (!/\.layers\.\d+\..*_proj\.weight$/.test(n)) {
          out.set(peft ? `base_model.model.${n}` : n, t);
          continue;
        }
        const [rows, cols] = t.shape as [number, number];
        const stem = (peft ? `base_model.model.${n}` : n).replace(/\.weight$/, "");
        const small = (len: number, scale: number) => Float32Array.from({ length: len }, () => (rand() - 0.5) * scale);
        out.set(peft ? `${stem}.base_layer.weight` : n, t);
        out.set(`${stem}.lora_A${peft ? ".default" : ""}.weight`, { shape: [8, cols], data: small(8 * cols, 0.2) });
        out.set(`${stem}.lora_B${peft ? ".default" : ""}.weight`, { shape: [rows, 8], data: small(rows * 8, 0.02) });
      }
      return out;
    };
    for (const peft of [true, false]) {
      const cand = withIndependentEnds(lora(base, peft));
      const r = await check(cand);
      expectReusedWithShare(r, cand);
      const maps = r.model.tensors.filter((t) => t.factored);
      expect(maps.length).toBe(28);
      expect(maps.every((t) => t.transform === "adapter-unmerged" && t.factored!.tensors.length === 3 && t.standsOut)).toBe(true);
    }
  }, 180_000);
});

describe("split storage", () => {
  it("row blocks (attention) and column blocks (MLP) under their own names, and two row blocks under opaque names", async () => {
    const attn = (n: string) => /self_attn\..*_proj\.weight$/.test(n);
    const mlp = (n: string) => /mlp\..*_proj\.weight$/.test(n);
    const named = withIndependentEnds(splitModel(splitModel(base, 0, 2, (n, k) => n.replace(/\.weight$/, `.${k}.weight`), attn), 1, 3, (n, k) => `${n}.${k}`, mlp));
    const r = await check(named);
    expectReusedWithShare(r, named);
    const maps = r.model.tensors.filter((t) => t.factored);
    expect(maps.filter((t) => t.transform === "split-rows").length).toBe(16);
    expect(maps.filter((t) => t.transform === "split-cols").length).toBe(12);
    const opaque = withIndependentEnds(renameInLayers(splitModel(base, 0, 2, (n, k) => `${n}.${k}`), 3));
    const o = await check(opaque);
    expectReusedWithShare(o, opaque);
    expect(o.model.tensors.filter((t) => t.transform === "renamed+split-rows" && t.standsOut).length).toBe(28);
  }, 240_000);
});

describe("not reused", () => {
  it("an independent model stored as factors is independent, exit 0", async () => {
    const cand = factorModel(other, { rankFraction: 0.5, fold: "sqrt" });
    const r = await check(cand);
    expect(r.report.verdict).toBe("independent");
    expect(r.code).toBe(0);
    expect(r.model.tensors.filter((t) => t.factored).length).toBe(28);
    expect(r.model.tensors.some((t) => t.standsOut)).toBe(false);
  }, 120_000);

  it("the reference's embedding and head beside the factors of an independent model's matrices: no factored map stands out, not reused", async () => {
    const cand: FloatTensors = new Map();
    for (const [n, t] of factorModel(other, { rankFraction: 0.5 })) cand.set(n, OUTSIDE_LAYERS.test(n) ? base.get(n)! : t);
    const r = await check(cand);
    expect(r.report.verdict).not.toBe("reused");
    const maps = r.model.tensors.filter((t) => t.factored);
    expect(maps.length).toBe(28);
    expect(maps.some((t) => t.standsOut)).toBe(false);
    expect(r.model.share).toBeLessThan(0.1);
  }, 120_000);
});

describe("alignment", () => {
  const entry = (name: string, shape: number[]): TensorEntry => ({ name, dtype: "F32", shape, file: "m.safetensors", begin: 0, end: 4 * shape.reduce((a, b) => a * b, 1) });
  it("named factors meet their matrix; unrelated leftovers whose product fits no free matrix stay unmatched", () => {
    const reference = [entry("model.layers.0.self_attn.q_proj.weight", [64, 64]), entry("model.layers.0.mlp.up_proj.weight", [128, 64])];
    const candidate = [
      entry("model.layers.0.self_attn.q_u_proj.weight", [64, 32]),
      entry("model.layers.0.self_attn.q_v_proj.weight", [32, 64]),
      entry("model.layers.0.extra.a.weight", [100, 16]),
      entry("model.layers.0.extra.b.weight", [16, 50]),
    ];
    const [comp] = alignModels(candidate, reference).components;
    expect(comp!.factored!.map((f) => [f.reference.name, renderTransforms(f.transform)])).toEqual([["model.layers.0.self_attn.q_proj.weight", "factored"]]);
    expect(comp!.unmatched).toEqual(["model.layers.0.extra.a.weight", "model.layers.0.extra.b.weight"]);
  });
});
