/**
 * A permutation test of independence for one tensor pair, with no Gaussian
 * guess about the weights.
 *
 * Null (H0): the candidate was trained independently of the reference, and the
 * reference's law is invariant under permuting its units along an exchangeable
 * axis (hidden units, residual dimensions: initialisation distributions and
 * per-coordinate optimisers do not know the order of units; the vocabulary axis
 * is *not* exchangeable and is never permuted). Then T(A, PB) has the law of
 * T(A, B) for every permutation P, so comparing T with its distribution over
 * uniform P is an exact randomisation test, conditional on the weights.
 *
 * T = Σᵢ ⟨ãᵢ, b̃ᵢ⟩ over units i, where ã, b̃ are the units after a robust
 * standardisation that treats every unit alike (see `standardised`). Hoeffding's combinatorial CLT (1951) gives its
 * exact mean and variance under uniform P without forming the n x n matrix:
 * with Ā, B̄ the unit-centred matrices (each unit minus the mean unit),
 *   T − E[T] = Σᵢ ⟨āᵢ, b̄ᵢ⟩,   Var[T] = ‖Ā B̄ᵀ‖²_F / (n − 1) = ⟨ĀᵀĀ, B̄ᵀB̄⟩_F / (n − 1),
 * and the tail is the normal one. A heavy unit (a special token's row, a
 * constant row) widens the null by itself instead of faking evidence.
 *
 * It runs on the pair's sample grid (evenly spaced rows and columns chosen
 * before the values are seen): the test restricted to those units and features
 * is still exact under H0.
 */
import { normalTailLog10 } from "./pvalues.js";
import { rowDots } from "../search/dots.js";

export interface PermutationTest {
  /** Units permuted (n). */
  units: number;
  /** Features per unit in the inner products. */
  features: number;
  /** (T − E[T]) / sd[T] under uniform permutations of the units. */
  z: number;
  /** log10 of the two-sided normal tail of z (a negated copy is still a copy). */
  log10p: number;
  /**
   * The effect size: T / sqrt(Σ‖ã‖² Σ‖b̃‖²), the Pearson of the standardised units (1 for a copy, also a
   * per-unit rescaled one; about 0 for independent models). Scale-invariant by construction.
   */
  effect: number;
}

/** Which axis of a canonical [rows, cols] matrix holds exchangeable units. */
export type UnitAxis = "rows" | "cols";

/**
 * `a`, `b`: row-major [rows, cols] samples of the two tensors on one grid.
 * Returns null when there are too few units or a side is constant.
 */
export function permutationTest(a: Float32Array, b: Float32Array, rows: number, cols: number, axis: UnitAxis): PermutationTest | null {
  const n = axis === "rows" ? rows : cols;
  const m = axis === "rows" ? cols : rows;
  if (n < 3 || m < 1) return null;
  const ca = standardised(a, n, m, cols, axis);
  const cb = standardised(b, n, m, cols, axis);
  if (!ca || !cb) return null;
  let t = 0;
  let ssa = 0;
  let ssb = 0;
  for (let i = 0; i < n * m; i++) {
    t += ca[i]! * cb[i]!;
    ssa += ca[i]! * ca[i]!;
    ssb += cb[i]! * cb[i]!;
  }
  const s = m <= n ? gramInner(ca, cb, n, m) : crossSquares(ca, cb, n, m);
  const variance = s / (n - 1);
  if (!(variance > 0)) return null;
  const z = t / Math.sqrt(variance);
  return { units: n, features: m, z, log10p: Math.min(0, Math.log10(2) + normalTailLog10(Math.abs(z))), effect: t / Math.sqrt(ssa * ssb) };
}

/**
 * One model's units as [n, m] Float64, made robust without breaking exchangeability (every step treats
 * all units alike): each unit scaled to unit length (a per-unit rescaling is undone before anything
 * mixes units), each feature centred and scaled to unit spread across units (a heavy feature, e.g. a special
 * token, cannot dominate), each unit scaled to unit length (a heavy or rescaled unit counts once: a
 * per-unit rescaled copy stays a copy), then the mean unit subtracted (what Hoeffding's moments need).
 * Null when every unit is the same (nothing to permute).
 */
export function standardised(x: Float32Array, n: number, m: number, cols: number, axis: UnitAxis): Float64Array | null {
  const out = new Float64Array(n * m);
  for (let u = 0; u < n; u++) for (let k = 0; k < m; k++) out[u * m + k] = axis === "rows" ? x[u * cols + k]! : x[k * cols + u]!;
  // Each unit to unit length first: a per-unit rescaled copy (factors e^±8) must not let its big units
  // set the feature means the next step removes from every unit.
  const unitLength = (): boolean => {
    let any = false;
    for (let u = 0; u < n; u++) {
      let ss = 0;
      for (let k = 0; k < m; k++) ss += out[u * m + k]! ** 2;
      if (ss > 0) any = true;
      const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      for (let k = 0; k < m; k++) out[u * m + k]! *= inv;
    }
    return any;
  };
  unitLength();
  const centre = () => {
    for (let k = 0; k < m; k++) {
      let mean = 0;
      for (let u = 0; u < n; u++) mean += out[u * m + k]!;
      mean /= n;
      for (let u = 0; u < n; u++) out[u * m + k]! -= mean;
    }
  };
  centre();
  // Every unit the same (up to rounding): nothing to permute.
  let spread = 0;
  for (let i = 0; i < n * m; i++) spread += out[i]! ** 2;
  if (!(spread > 1e-12 * n)) return null;
  for (let k = 0; k < m; k++) {
    let ss = 0;
    for (let u = 0; u < n; u++) ss += out[u * m + k]! ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss / n) : 0;
    for (let u = 0; u < n; u++) out[u * m + k]! *= inv;
  }
  if (!unitLength()) return null;
  centre();
  return out;
}

/**
 * ⟨ĀᵀĀ, B̄ᵀB̄⟩_F through the m x m Gram matrices (cheaper when m <= n), each formed by the SIMD
 * row-dot kernel on the transposed samples (every entry summed over units in order).
 */
function gramInner(ca: Float64Array, cb: Float64Array, n: number, m: number): number {
  const ga = rowDots(...selfOf(transpose(ca, n, m), m, n));
  const gb = rowDots(...selfOf(transpose(cb, n, m), m, n));
  let s = 0;
  for (let i = 0; i < m * m; i++) s += ga[i]! * gb[i]!;
  return s;
}

const selfOf = (x: Float64Array, rows: number, w: number) => [x, rows, x, rows, w] as const;

function transpose(x: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let u = 0; u < n; u++) for (let k = 0; k < m; k++) out[k * n + u] = x[u * m + k]!;
  return out;
}

/** ‖Ā B̄ᵀ‖²_F through the n x n cross products (cheaper when n < m). */
function crossSquares(ca: Float64Array, cb: Float64Array, n: number, m: number): number {
  let s = 0;
  for (let u = 0; u < n; u++) {
    for (let v = 0; v < n; v++) {
      let d = 0;
      for (let k = 0; k < m; k++) d += ca[u * m + k]! * cb[v * m + k]!;
      s += d * d;
    }
  }
  return s;
}
