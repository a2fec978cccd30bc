/**
 * What the alignment search found, folded back into the component's tensor
 * results (deep-stage.ts runs the search).
 */
import { AS_STORED, type Transforms } from "../align/transform.js";
import type { TensorEvidence } from "../report/evidence.js";
import { zFromLog10P } from "../stats/pvalues.js";
import { type TensorView, viewElements } from "../align/view.js";
import type { DeepResult, RoleGroup } from "./deep-types.js";

/** Suffix of the id under which the search holds the transposed look at a square candidate matrix. */
export const FLIPPED = "#transposed";

/** The search's bookkeeping for a candidate matrix it loaded (under its id, FLIPPED for the transposed look). */
export type Origin = { pairIndex: number | null; view: TensorView; layer: number | null };

/** Of both orientations of a square matrix keep the stronger, paying for the second look. */
export function bestOrientation(results: DeepResult[]): Map<string, DeepResult> {
  const best = new Map<string, DeepResult>();
  for (const d of results) {
    const key = d.candidate.endsWith(FLIPPED) ? d.candidate.slice(0, -FLIPPED.length) : d.candidate;
    const prev = best.get(key);
    const flippedToo = prev !== undefined;
    const pick = !prev || d.log10p < prev.log10p ? d : prev;
    const log10p = flippedToo ? Math.min(0, pick.log10p + Math.log10(2)) : pick.log10p;
    const transform: Transforms = pick.candidate.endsWith(FLIPPED) ? ["transpose", ...pick.transform] : pick.transform;
    best.set(key, { ...pick, candidate: key, log10p, z: zFromLog10P(log10p), transform });
  }
  return best;
}

/**
 * Fold what the search found into the tensor results. Every searched matrix keeps the search's look in
 * `aligned` (its p-value enters the tensor's, paid for: see policy tensorEvidence); where that look is
 * stronger than the element-wise one, it also becomes what the tensor shows (reference, Pearson,
 * transform), the element-wise result kept in `direct`. A matrix with no name counterpart is added.
 * The search proposes and pays; whether a look counts is the policy's decision (policy.ts searchClaims).
 * Returns the tensors with the search's looks (new records where it looked) and the ones it added.
 */
export function foldFindings(
  best: Map<string, DeepResult>,
  loaded: { roleGroups: RoleGroup[]; idToPair: Map<string, Origin> },
  given: readonly TensorEvidence[],
): { tensors: TensorEvidence[]; added: TensorEvidence[] } {
  const tensors = [...given];
  const added: TensorEvidence[] = [];
  for (const d of best.values()) {
    const origin = loaded.idToPair.get(d.candidate)!;
    const existing = origin.pairIndex !== null ? tensors[origin.pairIndex]! : null;
    const aligned = { reference: d.reference, pearson: d.pearson, z: d.z, log10p: d.log10p, effect: d.effect, transform: d.transform };
    const directLog10p = existing?.permutation?.log10p ?? 0;
    const stronger = !existing || d.log10p < directLog10p;
    let folded: TensorEvidence = existing
      ? { ...existing, aligned }
      : { ...unpairedResult(origin.view, origin.layer, d.reference), aligned, role: loaded.roleGroups.find((g) => g.candidate.some((c) => c.name === d.candidate))!.role };
    if (stronger) {
      if (existing) folded = { ...folded, direct: { reference: existing.reference, pearson: existing.pearson, cosine: existing.cosine, z: existing.z, log10p: existing.permutation?.log10p } };
      folded = { ...folded, reference: d.reference, pearson: d.pearson, cosine: d.cosine, z: d.z, null: d.null, transform: d.transform };
    }
    if (existing) tensors[origin.pairIndex!] = folded;
    else added.push(folded);
  }
  return { tensors, added };
}

/** The result of a candidate matrix with no name counterpart, before the search's findings. */
export function unpairedResult(view: TensorView, layer: number | null, reference: string): TensorEvidence {
  return {
    candidate: view.entry.name,
    reference,
    elements: viewElements(view),
    cosine: null,
    pearson: null,
    z: null,
    identical: false,
    transform: AS_STORED,
    layer,
    role: "",
    informative: true,
    null: null,
    dtype: { candidate: view.entry.dtype, reference: "" },
  };
}
