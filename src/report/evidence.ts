/**
 * Evidence first, one decision. The engine (and the search inside it) gathers these immutable records;
 * the policy (src/policy/policy.ts) turns a component's evidence into its decision, once; the report's
 * ComponentResult and TensorResult are rendered from the two at the end (render.ts). Nothing here decides.
 */
import type { Transforms } from "../align/transform.js";
import type { LayerMatrix, SearchSummary, TensorResult, Verdict } from "./schema.js";

/** What the alignment search's look found for a tensor (TensorResult.aligned), its transforms typed. */
export type AlignedLook = Readonly<Omit<NonNullable<TensorResult["aligned"]>, "transform">> & { readonly transform: Transforms };

/**
 * One compared tensor pair: its pairing (candidate, reference, layer, role), look (cosine, Pearson,
 * sampling), transforms undone (a typed list, rendered at the report's edge), test (`permutation`,
 * `aligned`, `direct`), p and effect. The report's TensorResult without the decision (`standsOut`).
 */
export type TensorEvidence = Readonly<Omit<TensorResult, "standsOut" | "transform" | "aligned">> & {
  readonly transform: Transforms;
  readonly aligned?: AlignedLook;
};

/** What the alignment search did; what it may claim (matched matrices, a permuted residual) is the policy's. */
export type SearchEvidence = Readonly<Omit<SearchSummary, "matched" | "residualPermuted">>;

/** The Cauchy combination of a component's tested tensors' p-values, before any correction. */
export interface Combination {
  readonly log10p: number;
  /** |effect| of the strongest tested tensor (smallest p). */
  readonly effect: number;
  readonly tensors: number;
  readonly method: "truncated-cauchy";
}

/** One candidate component against one reference, as measured. */
export interface ComponentEvidence {
  readonly name: string;
  readonly candidateParameters: number;
  readonly unmatchedTensors: number;
  readonly unmatchedParameters: number;
  readonly tensors: readonly TensorEvidence[];
  /** null when nothing was tested. */
  readonly combination: Combination | null;
  readonly search: SearchEvidence | null;
  readonly layerMatrix: LayerMatrix | null;
}

/** The policy's decision on a component's evidence (policy.ts decideComponent). */
export interface ComponentDecision {
  readonly verdict: Verdict;
  readonly reason: string;
  /** Per tensor, in the evidence's order: evidence on its own (see TensorResult.standsOut). */
  readonly standsOut: readonly boolean[];
  readonly matchedParameters: number;
  readonly share: number;
  /** The combination's log10 p corrected over the family; null when nothing was tested. */
  readonly log10pCorrected: number | null;
  /** What the search may claim; null when no search summary exists. */
  readonly search: { readonly matched: number; readonly residualPermuted: boolean } | null;
}

/** Candidate parameters in informative pairs that were compared. */
export function comparedParametersOf(tensors: readonly TensorEvidence[]): number {
  return tensors.filter(isCompared).reduce((s, t) => s + t.elements, 0);
}

/** An informative matrix that was read and compared. */
export const isCompared = (t: TensorEvidence): boolean => t.informative && t.pearson !== null && !t.error;
