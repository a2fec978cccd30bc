/**
 * The report's component and tensor results, rendered once from evidence and decision (evidence.ts), and
 * read back into evidence where a saved report is decided again (merge).
 */
import { median } from "../common/median.js";
import { parseTransforms, renderTransforms } from "../align/transform.js";
import type { ComponentDecision, ComponentEvidence, Combination, SearchEvidence, TensorEvidence } from "./evidence.js";
import { comparedParametersOf, isCompared } from "./evidence.js";
import { isByteIdentical } from "./format.js";
import type { ComponentResult, NullSummary, TensorResult } from "./schema.js";

/** A tensor's result: its evidence, whether it stands out, and a negative likeness that stands out shown as undone. */
export function renderTensor(t: TensorEvidence, standsOut: boolean): TensorResult {
  const negated = standsOut && t.pearson !== null && t.pearson < 0 && !t.transform.includes("negated");
  const { aligned, ...rest } = t;
  const out: TensorResult = { ...rest, standsOut, transform: renderTransforms(negated ? [...t.transform, "negated"] : t.transform) };
  return aligned ? { ...out, aligned: { ...aligned, transform: renderTransforms(aligned.transform) } } : out;
}

/** A component's result: its evidence's aggregates (shares, pooled null, medians, identical matrices) and the decision. */
export function renderComponent(e: ComponentEvidence, d: ComponentDecision): ComponentResult {
  const compared = e.tensors.filter(isCompared);
  const tensors = e.tensors.map((t, i) => renderTensor(t, d.standsOut[i] ?? false));
  const result: ComponentResult = {
    name: e.name,
    verdict: d.verdict,
    reason: d.reason,
    share: d.share,
    candidateParameters: e.candidateParameters,
    matchedParameters: d.matchedParameters,
    comparedParameters: comparedParametersOf(e.tensors),
    null: pooledSummary(compared.flatMap((t) => (t.null ? [t.null] : []))),
    pearsonMedian: median(compared.map((t) => t.pearson!)),
    zMedian: median(compared.map((t) => Math.abs(t.z ?? 0))),
    unmatchedTensors: e.unmatchedTensors,
    unmatchedParameters: e.unmatchedParameters,
    unreadTensors: e.tensors.filter((t) => t.error).length,
    identical: identicalOf(tensors),
    search: e.search ? { ...e.search, matched: d.search?.matched ?? 0, residualPermuted: d.search?.residualPermuted ?? false } : null,
    layerMatrix: e.layerMatrix,
    deterministic: deterministicOf(tensors),
    tensors,
  };
  if (!e.combination || d.log10pCorrected === null) return result;
  const c = e.combination;
  return { ...result, log10p: c.log10p, log10pCorrected: d.log10pCorrected, effect: c.effect, combination: { method: c.method, tensors: c.tensors } };
}

/**
 * A saved component result read back as evidence (a shard's partial report, decided again by merge with
 * the plan's family): the decision's fields left out, `combination` for the caller to recompute.
 */
export function evidenceOfResult(c: ComponentResult, combination: (tensors: readonly TensorEvidence[]) => Combination | null): ComponentEvidence {
  const tensors = c.tensors.map(({ standsOut: _, transform, aligned, ...t }): TensorEvidence => {
    const read = { ...t, transform: parseTransforms(transform) };
    return aligned ? { ...read, aligned: { ...aligned, transform: parseTransforms(aligned.transform) } } : read;
  });
  let search: SearchEvidence | null = null;
  if (c.search) {
    const { matched: _m, residualPermuted: _r, ...rest } = c.search;
    search = rest;
  }
  return {
    name: c.name,
    candidateParameters: c.candidateParameters,
    unmatchedTensors: c.unmatchedTensors,
    unmatchedParameters: c.unmatchedParameters,
    tensors,
    combination: combination(tensors),
    search,
    layerMatrix: c.layerMatrix,
  };
}

/** Informative matrices byte-identical to the reference's (a shared construction is no copy: not counted). */
function identicalOf(tensors: readonly TensorResult[]): { tensors: number; parameters: number } {
  // Same dtype, same layout, every element equal: the stored bytes are the same.
  const same = tensors.filter((t) => t.informative && isByteIdentical(t) && !(t.deterministic && !t.deterministic.residualTested));
  return { tensors: same.length, parameters: same.reduce((s, t) => s + t.elements, 0) };
}

/** Tensors recognised as a shared construction. */
function deterministicOf(tensors: readonly TensorResult[]): { tensors: number; parameters: number } {
  const d = tensors.filter((t) => t.deterministic && !t.deterministic.residualTested);
  return { tensors: d.length, parameters: d.reduce((s, t) => s + t.elements, 0) };
}

/** Pool per-tensor nulls (each a mean, sd and count) into one. */
function pooledSummary(nulls: NullSummary[]): NullSummary | null {
  const n = nulls.reduce((s, x) => s + x.n, 0);
  if (n === 0) return null;
  const mean = nulls.reduce((s, x) => s + x.mean * x.n, 0) / n;
  const ss = nulls.reduce((s, x) => s + (x.n - 1) * x.sd * x.sd + x.n * (x.mean - mean) ** 2, 0);
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}
