/** What the alignment search (deep-align.ts) takes and gives. */
import type { Transforms } from "../align/transform.js";
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
  /** log10 p of the held-out test (match-rows.ts): two-sided, 0 when it could not run. */
  log10p: number;
  /** The held-out test's normal score under its permutation null. */
  z: number;
  /** The held-out test's effect size (Pearson of the standardised matched units on held-out features). */
  effect: number;
  /** The aligned null of the tensor's role: its candidate layers against the reference layers they did not choose. */
  null: { mean: number; sd: number; n: number };
  /** What the look undid (layer shift, residual permutation or rotation, permuted rows, sign flips). */
  transform: Transforms;
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
