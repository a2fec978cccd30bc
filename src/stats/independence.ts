/**
 * The per-tensor test of independence: a permutation test along each axis of
 * the matrix, and the larger p-value of the two.
 *
 * Why both axes: the permutation test along one axis is exact when that axis's
 * units are exchangeable in the model's law (hidden units, residual
 * dimensions), and invalid when they are not (vocabulary rows, output classes,
 * RoPE dimensions inside a head, rows grouped in heads, pixels of an input
 * layer). Which axis is exchangeable depends on the role and the layout; for a
 * transformer's matrices at least one of the two always is (the residual
 * stream is exchangeable in pre-norm transformers; hidden MLP units are).
 * max(p_rows, p_cols) is a valid p-value whenever either one is:
 * P(max ≤ α) ≤ P(p_valid ≤ α) ≤ α. A copy correlates along both axes, so
 * the price in power is small.
 */
import { type PermutationTest, type UnitAxis, permutationTest } from "./permutation.js";

export interface TensorTest {
  /** log10 of the tensor's p-value: the larger of the two axes' (two-sided). */
  log10p: number;
  /** The normal score of the axis that gave the p-value (a true z under that axis's permutation null). */
  z: number;
  /** Effect size of that axis: the Pearson of the standardised units, in [-1, 1]. */
  effect: number;
  /** The axis whose test gave the p-value, and both axes' tests (only the known axis's when it decided). */
  axis: "rows" | "cols";
  rows: PermutationTest | null;
  cols: PermutationTest | null;
}

/** The two tensors' samples on one grid: `a`, `b` row-major [rowsSampled, colsSampled]. */
export interface GridSample {
  a: Float32Array;
  b: Float32Array;
  rowsSampled: number;
  colsSampled: number;
}

/**
 * Null when neither axis has 3 units or a side is
 * constant. `units`: an axis known to hold a model's internal units whatever the architecture (an MLP's
 * hidden units, a conv layer's output channels: nothing outside the layer gives them an order), whose
 * test alone is then valid: its p-value is taken, not the larger of the two (which is conservative, and
 * piles null p-values towards 1).
 */
export function tensorIndependence({ a, b, rowsSampled: rows, colsSampled: cols }: GridSample, units?: UnitAxis | null): TensorTest | null {
  // The known axis's test alone decides when it can be made; the other is then not computed.
  const known = units ? permutationTest({ a, b, rows, cols }, units) : null;
  const byRows = units === "rows" ? known : known ? null : permutationTest({ a, b, rows, cols }, "rows");
  const byCols = units === "cols" ? known : known ? null : permutationTest({ a, b, rows, cols }, "cols");
  const pick = pickAxis(byRows, byCols, units);
  if (!pick) return null;
  return { log10p: pick.log10p, z: pick.z, effect: pick.effect, axis: pick === byRows ? "rows" : "cols", rows: byRows, cols: byCols };
}

/**
 * The test a tensor's p-value comes from: the known internal-unit axis when there is one, else the larger
 * p of the two axes (valid whichever axis the architecture ties; conservative).
 */
export function pickAxis(byRows: PermutationTest | null, byCols: PermutationTest | null, units?: UnitAxis | null): PermutationTest | null {
  const known = units === "rows" ? byRows : units === "cols" ? byCols : null;
  return known ?? (!byRows ? byCols : !byCols ? byRows : byRows.log10p >= byCols.log10p ? byRows : byCols);
}
