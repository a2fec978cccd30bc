/** What the alignment search (deep-align.ts) takes and gives. */
import type { Matrix } from "./matrix.js";

export interface DeepTensor {
  name: string;
  layer: number | null;
  /** Canonical matrix: rows x cols as stored in the aligned view. */
  m: Matrix;
}

export interface RoleGroup {
  role: string;
  /** Which axis of the canonical matrix holds the hidden units (the other is the residual stream). */
  hidden: "rows" | "cols";
  candidate: DeepTensor[];
  reference: DeepTensor[];
}

export interface DeepResult {
  candidate: string;
  reference: string;
  pearson: number;
  cosine: number;
  /** log10 p of the agreement test (0 when no partner tensor shares the hidden units). */
  log10p: number;
  /**
   * The evidence as a z: the agreement test's p turned into a one-sided normal z
   * (zFromLog10P(log10p); 0 when there is no agreement evidence). The aligned
   * Pearson's z against the aligned null is not part of it (see the top of this file).
   */
  z: number;
  /** The aligned null of the tensor's role: its candidate layers against the reference layers they did not choose. */
  null: { mean: number; sd: number; n: number };
  transform: string;
  elements: number;
}

export interface DeepReport {
  results: DeepResult[];
  residualPermuted: boolean;
  /** Mean |cos| of the residual matching (1 = a clean permutation). */
  residualMatchQuality: number | null;
  /** Reference layers that are near-copies of each other (excluded from each other's null). */
  referenceDuplicates: [number, number][];
}
