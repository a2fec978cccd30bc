/**
 * The evasion matrix: every hiding transform applied to a derived model (alone
 * and combined), and every trap an honest model might fall into. Shared by the
 * test suite (test/evasions.test.ts) and anyone who wants to print the table.
 */
import { gpt2Derived, gpt2Model, permuteHeadsGpt2, permuteMlpGpt2, permuteResidualGpt2, renameGpt2ToOpaque } from "../helpers/arch2.js";
import {
  type FloatTensors,
  rotateResidual,
  addPrefix,
  compose,
  constantsLikeInit,
  continueTraining,
  addNoise,
  dropLayers,
  duplicateLayers,
  extendVocab,
  flipSigns,
  fuseGateUp,
  fuseQkv,
  permuteHeads,
  permuteMlp,
  permuteResidual,
  renameGguf,
  renameGpt2,
  renameOpaque,
  reorderLayers,
  rescale,
  selfDuplicate,
  stripPrefix,
  transposeAll,
  truncateVocab,
} from "../helpers/evasions.js";
import type { SaveDtype } from "../helpers/model-io.js";
import { shuffleLarge } from "../helpers/ports.js";

export interface ModelSpec {
  /** Base model: a tiny fixture name, or a generated GPT-2-like model. */
  from: "llm-a" | "llm-a-sft" | "llm-b" | "vlm-ref" | "gpt2-base" | "gpt2-derived" | "gpt2-independent";
  transform?: (m: FloatTensors) => FloatTensors;
  dtype?: SaveDtype;
  shards?: number;
}

export interface EvasionCase {
  name: string;
  candidate: ModelSpec;
  reference: ModelSpec;
  expect: "reused" | "not-reused";
  /**
   * The fraction of the candidate's parameters actually copied or derived from the reference, from how the
   * case builds it: 1 for a derived model under any transform, 0 for a trap, less where parameters were added.
   */
  copied?: number;
}

/** What `share` should come within 0.1 of (docs/statistics.md, "The share"). */
export function copiedOf(c: EvasionCase): number {
  return c.copied ?? (c.expect === "reused" ? 1 : 0);
}

const HEADS = { heads: 4, headDim: 32 };

/** The GPT-2-like second architecture, generated deterministically. */
export function gpt2(from: ModelSpec["from"]): FloatTensors {
  const base = gpt2Model(11);
  if (from === "gpt2-base") return base;
  if (from === "gpt2-derived") return gpt2Derived(base, 12, 0.3);
  return gpt2Model(13);
}

const derived = (name: string, transform: ModelSpec["transform"], extra: Partial<ModelSpec> = {}): EvasionCase => ({
  name,
  candidate: { from: "llm-a-sft", transform, ...extra },
  reference: { from: "llm-a" },
  expect: "reused",
});

export const EVASIONS: EvasionCase[] = [
  derived("renamed to GPT-2 names (fused Conv1D c_attn, transposed MLP)", renameGpt2),
  derived("renamed to GGUF names", (m) => renameGguf(m)),
  derived("renamed to an opaque scheme", (m) => renameOpaque(m, 5)),
  derived("prefix added", (m) => addPrefix(m, "backbone.")),
  derived("a modality's prefix added to the whole model (visual.)", (m) => addPrefix(m, "visual.")),
  derived("prefix removed", (m) => stripPrefix(m, "model.")),
  derived("re-sharded into 3 files with an index", undefined, { shards: 3 }),
  derived("every matrix transposed", (m) => transposeAll(m)),
  derived("QKV fused", fuseQkv),
  derived("gate and up fused", fuseGateUp),
  derived("stored as F32", undefined, { dtype: "F32" }),
  derived("stored as F16", undefined, { dtype: "F16" }),
  derived("stored as F8_E4M3", undefined, { dtype: "F8_E4M3" }),
  derived("per-tensor rescaling (W*a, next W/a)", (m) => rescale(m, 3)),
  derived("MLP hidden units permuted", (m) => permuteMlp(m, 4)),
  derived("attention heads permuted", (m) => permuteHeads(m, 5, HEADS)),
  derived("residual dimension permuted everywhere", (m) => permuteResidual(m, 6)),
  derived("hidden-unit sign flips", (m) => flipSigns(m, 7, { headDim: 32 })),
  derived("residual stream rotated by a random orthogonal matrix (norms folded)", (m) => rotateResidual(m, 61)),
  derived("a layer dropped", (m) => dropLayers(m, [1])),
  derived("layers duplicated (depth up-scaling)", (m) => duplicateLayers(m, [0, 1, 2, 3, 2, 3])),
  derived("layers reordered", (m) => reorderLayers(m, [3, 1, 0, 2])),
  // 60 new rows in the embedding and the LM head (d 128) of llm-a's 870,528 parameters are not copied.
  { ...derived("vocabulary extended", (m) => extendVocab(m, 60, 8)), copied: 870_528 / (870_528 + 2 * 60 * 128) },
  derived("vocabulary truncated", (m) => truncateVocab(m, 200)),
  derived("continued training to Pearson ~0.2 plus noise", (m) => addNoise(continueTraining(m, 9, 0.22), 10, 0.05)),
  derived(
    "all function-preserving hiding at once, renamed and re-stored",
    compose(
      (m) => permuteMlp(m, 21),
      (m) => permuteHeads(m, 22, HEADS),
      (m) => permuteResidual(m, 23),
      (m) => flipSigns(m, 24, { headDim: 32 }),
      (m) => rescale(m, 25),
      (m) => reorderLayers(m, [2, 0, 3, 1]),
      renameGpt2,
    ),
    { dtype: "F16", shards: 2 },
  ),
  derived("permuted, reordered and trained further (Pearson ~0.5)", compose((m) => continueTraining(m, 31, 0.5), (m) => permuteMlp(m, 32), (m) => permuteResidual(m, 33), (m) => reorderLayers(m, [1, 0, 3, 2]))),
  {
    name: "an exact copy with every large matrix's elements shuffled and reshaped (no layout rule explains it)",
    candidate: { from: "llm-a", transform: (m) => shuffleLarge(m, 71) },
    reference: { from: "llm-a" },
    expect: "reused",
  },
  {
    name: "second architecture (GPT-2-like): a fine-tune",
    candidate: { from: "gpt2-derived" },
    reference: { from: "gpt2-base" },
    expect: "reused",
  },
  {
    name: "second architecture: MLP, heads and residual permuted, opaque names",
    candidate: { from: "gpt2-derived", transform: compose((m) => permuteMlpGpt2(m, 41), (m) => permuteHeadsGpt2(m, 42, 4), (m) => permuteResidualGpt2(m, 43), (m) => renameGpt2ToOpaque(m, 44)) },
    reference: { from: "gpt2-base" },
    expect: "reused",
  },
];

export const TRAPS: EvasionCase[] = [
  { name: "same architecture, data and init scheme, other seed", candidate: { from: "llm-b" }, reference: { from: "llm-a" }, expect: "not-reused" },
  {
    name: "identical constants: all-ones norms and rotary buffers in both",
    candidate: { from: "llm-b", transform: (m) => constantsLikeInit(m, { headDim: 32 }) },
    reference: { from: "llm-a", transform: (m) => constantsLikeInit(m, { headDim: 32 }) },
    expect: "not-reused",
  },
  {
    name: "a model built by duplicating its own layers, against an unrelated reference",
    candidate: { from: "llm-b", transform: (m) => selfDuplicate(m, [0, 1, 2, 3, 0, 1, 2, 3]) },
    reference: { from: "llm-a" },
    expect: "not-reused",
  },
  {
    name: "an unrelated model against a reference that duplicated its own layers",
    candidate: { from: "llm-b" },
    reference: { from: "llm-a", transform: (m) => selfDuplicate(m, [0, 1, 2, 3, 0, 1, 2, 3]) },
    expect: "not-reused",
  },
  {
    name: "an unrelated model under every hiding transform (the search must not invent a match)",
    candidate: { from: "llm-b", transform: compose((m) => permuteMlp(m, 51), (m) => permuteResidual(m, 52), (m) => reorderLayers(m, [3, 2, 1, 0]), renameGpt2) },
    reference: { from: "llm-a" },
    expect: "not-reused",
  },
  { name: "second architecture: two seeds", candidate: { from: "gpt2-independent" }, reference: { from: "gpt2-base" }, expect: "not-reused" },
];

/** A derived model against a reference that duplicated its own layers: still reused, the null not inflated. */
export const DUPLICATED_REFERENCE: EvasionCase = {
  name: "a fine-tune against a reference that duplicated its own layers",
  candidate: { from: "llm-a-sft", transform: (m) => selfDuplicate(m, [0, 1, 2, 3, 0, 1, 2, 3]) },
  reference: { from: "llm-a", transform: (m) => selfDuplicate(m, [0, 1, 2, 3, 0, 1, 2, 3]) },
  expect: "reused",
};

/** Known limits: printed in the table (npm run evasions), not asserted as detections. */
export const LIMITS: EvasionCase[] = [
  derived(
    "permuted (MLP + residual) and trained further to Pearson ~0.2",
    compose((m) => continueTraining(m, 62, 0.2), (m) => permuteMlp(m, 63), (m) => permuteResidual(m, 64)),
  ),
];
