/**
 * A component's tensor results -> its aggregates (matched share, pooled null,
 * medians, identical matrices, layer picture) and its verdict (by the policy).
 */
import { median } from "../common/median.js";
import type { AlignedPair, ComponentAlignment } from "../align/align.js";
import { decideComponent, tensorEvidence } from "../policy/policy.js";
import { isByteIdentical } from "../report/format.js";
import type { ComponentResult, LayerMatrix, SearchSummary, TensorResult, Thresholds } from "../report/schema.js";
import { type SampledPair, layerMatrixOf, rawCosine } from "../stats/controls.js";
import { pearsonOfMany } from "../stats/pair-stats.js";

/** Aggregates and verdict of a component from its tensor results. */
export function summariseComponent(
  comp: Pick<ComponentAlignment, "name" | "candidateParameters" | "unmatched" | "unmatchedParameters">,
  tensors: TensorResult[],
  thresholds: Thresholds,
  search: SearchSummary | null,
  family: number,
): ComponentResult {
  for (const t of tensors) {
    const ev = tensorEvidence(t);
    if (ev) Object.assign(t, { log10p: ev.log10p, effect: ev.effect, z: ev.z });
  }
  const informative = tensors.filter((t) => t.informative && t.pearson !== null && !t.error);
  const comparedParameters = informative.reduce((s, t) => s + t.elements, 0);
  const nulls = informative.flatMap((t) => (t.null ? [t.null] : []));
  const result: ComponentResult = {
    name: comp.name,
    verdict: "inconclusive",
    reason: "",
    share: 0,
    candidateParameters: comp.candidateParameters,
    matchedParameters: 0,
    comparedParameters,
    null: pooledSummary(nulls),
    pearsonMedian: median(informative.map((t) => t.pearson!)),
    zMedian: median(informative.map((t) => Math.abs(t.z ?? 0))),
    unmatchedTensors: comp.unmatched.length,
    unmatchedParameters: comp.unmatchedParameters,
    unreadTensors: tensors.filter((t) => t.error).length,
    identical: identicalOf(tensors),
    search,
    layerMatrix: null,
    deterministic: deterministicOf(tensors),
    tensors,
  };
  decideComponent(result, family, thresholds);
  for (const t of tensors) {
    if (t.standsOut && t.pearson !== null && t.pearson < 0 && !/negated/.test(t.transform)) t.transform = t.transform === "none" ? "negated" : `${t.transform}+negated`;
  }
  return result;
}

/** The layer x layer picture of a component (matrices' Pearson; norms' Pearson and raw cosine). */
export function layerMatrix(pairs: AlignedPair[], samples: (SampledPair | null)[]): LayerMatrix | null {
  const informative = new Set(pairs.filter((p) => p.informative).map((p) => p.role));
  const isNorm = (p: SampledPair) => /norm/.test(p.role) && p.colsSampled === 1;
  // Every sample meets every other layer's: each array's moments once.
  const pearson = pearsonOfMany();
  const m = layerMatrixOf(samples, (p) => informative.has(p.role), pearson);
  if (!m) return null;
  const np = layerMatrixOf(samples, isNorm, pearson);
  const nc = layerMatrixOf(samples, isNorm, rawCosine);
  const align = (x: typeof np) => (x && x.candidateLayers.join() === m.candidateLayers.join() ? x.values : null);
  return { candidateLayers: m.candidateLayers, referenceLayers: m.referenceLayers, pearson: m.values, normPearson: align(np), normCosine: align(nc) };
}

/** Informative matrices byte-identical to the reference's (a shared construction is no copy: not counted). */
function identicalOf(tensors: TensorResult[]): { tensors: number; parameters: number } {
  // Same dtype, same layout, every element equal: the stored bytes are the same.
  const same = tensors.filter((t) => t.informative && isByteIdentical(t) && !(t.deterministic && !t.deterministic.residualTested));
  return { tensors: same.length, parameters: same.reduce((s, t) => s + t.elements, 0) };
}

/** Tensors recognised as a shared construction. */
function deterministicOf(tensors: TensorResult[]): { tensors: number; parameters: number } {
  const d = tensors.filter((t) => t.deterministic && !t.deterministic.residualTested);
  return { tensors: d.length, parameters: d.reduce((s, t) => s + t.elements, 0) };
}

/** Pool per-tensor nulls (each a mean, sd and count) into one. */
function pooledSummary(nulls: { mean: number; sd: number; n: number }[]): { mean: number; sd: number; n: number } | null {
  const n = nulls.reduce((s, x) => s + x.n, 0);
  if (n === 0) return null;
  const mean = nulls.reduce((s, x) => s + x.mean * x.n, 0) / n;
  const ss = nulls.reduce((s, x) => s + (x.n - 1) * x.sd * x.sd + x.n * (x.mean - mean) ** 2, 0);
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}
