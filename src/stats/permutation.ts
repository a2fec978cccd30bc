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
import { twoSidedNormalLog10 } from "./pvalues.js";
import { smallPermutationLog10p } from "./small-permutation.js";
import { rowDots } from "../kernels/dots.js";
import { Scratch } from "../common/scratch.js";

/** One test's working blocks, reused from test to test (a test is synchronous). */
const SIDE_A = new Scratch();
const SIDE_B = new Scratch();
const UNITS_A = new Scratch();
const UNITS_B = new Scratch();
const PRODUCTS_A = new Scratch();
const PRODUCTS_B = new Scratch();

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

/**
 * Below this many units Hoeffding's normal tail is not trusted: the p-value is the Monte-Carlo one or an
 * exact Chernoff bound over all n! permutations (small-permutation.ts).
 */
export const SMALL_UNITS = 64;

/** Which axis of a canonical [rows, cols] matrix holds exchangeable units. */
export type UnitAxis = "rows" | "cols";

/** Row-major [rows, cols] samples of the two tensors on one grid. */
export interface SamplePair {
  a: Float32Array;
  b: Float32Array;
  rows: number;
  cols: number;
}

/** The test along `axis` of the two samples; null when there are too few units or a side is constant. */
export function permutationTest({ a, b, rows, cols }: SamplePair, axis: UnitAxis): PermutationTest | null {
  const n = axis === "rows" ? rows : cols;
  const m = axis === "rows" ? cols : rows;
  if (n < 3 || m < 1) return null;
  const ca = standardised(a, n, m, cols, axis, SIDE_A.take(m * n));
  const cb = standardised(b, n, m, cols, axis, SIDE_B.take(m * n));
  if (!ca || !cb) return null;
  let t = 0;
  let ssa = 0;
  let ssb = 0;
  for (let i = 0; i < n * m; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    t += x * y;
    ssa += x * x;
    ssb += y * y;
  }
  // Few units: the n x n cross products, and a p-value with no normal approximation (small-permutation.ts).
  if (n < SMALL_UNITS) {
    const cross = crossProducts(ca, cb, n, m);
    let s = 0;
    for (let i = 0; i < n * n; i++) s += cross[i]! * cross[i]!;
    const variance = s / (n - 1);
    if (!(variance > 0)) return null;
    const z = t / Math.sqrt(variance);
    return { units: n, features: m, z, log10p: smallPermutationLog10p(cross, n), effect: t / Math.sqrt(ssa * ssb) };
  }
  // The m x m Grams cost 2 n m² products, the n x n cross products n² m: the cheaper one.
  const s = 2 * m < n ? gramInner(ca, cb, n, m) : crossSquares(ca, cb, n, m);
  const variance = s / (n - 1);
  if (!(variance > 0)) return null;
  const z = t / Math.sqrt(variance);
  return { units: n, features: m, z, log10p: twoSidedNormalLog10(z), effect: t / Math.sqrt(ssa * ssb) };
}

/**
 * One model's units, made robust without breaking exchangeability (every step treats all units alike):
 * each unit scaled to unit length (a per-unit rescaling is undone before anything mixes units), each
 * feature centred and scaled to unit spread across units (a heavy feature, e.g. a special token, cannot
 * dominate), each unit scaled to unit length (a heavy or rescaled unit counts once: a per-unit rescaled
 * copy stays a copy), then the mean unit subtracted (what Hoeffding's moments need).
 *
 * Feature-major Float64 [m, n] (feature k of unit u at k * n + u), so every pass runs along memory: the
 * per-feature steps over one row, the per-unit ones accumulate a length per unit across rows.
 * Null when every unit is the same (nothing to permute). Written into `into` (m * n) when given.
 */
export function standardised(x: Float32Array, n: number, m: number, cols: number, axis: UnitAxis, into?: Float64Array): Float64Array | null {
  const out = into ?? new Float64Array(m * n);
  if (axis === "cols") for (let i = 0; i < m * n; i++) out[i] = x[i]!;
  else for (let u = 0; u < n; u++) for (let k = 0, i = u * cols; k < m; k++, i++) out[k * n + u] = x[i]!;
  const inv = new Float64Array(n);
  // Unit length first: a per-unit rescaled copy (factors e^±8) must not let its big units set the
  // feature means the next step removes from every unit.
  unitLengths(out, n, m, inv);
  let spread = 0;
  const featureSs = new Float64Array(m);
  for (let k = 0; k < m; k++) spread += featureSs[k] = scaleAndCentre(out, k * n, n, inv);
  // Every unit the same (up to rounding): nothing to permute.
  if (!(spread > 1e-12 * n)) return null;
  for (let k = 0; k < m; k++) {
    const ss = featureSs[k]!;
    scaleRow(out, k * n, n, ss > 0 ? 1 / Math.sqrt(ss / n) : 0);
  }
  if (!unitLengths(out, n, m, inv)) return null;
  for (let k = 0; k < m; k++) scaleAndCentre(out, k * n, n, inv);
  return out;
}

/** The inverse length of each unit (column) of feature-major `x` into `inv`; false when every unit is zero. */
function unitLengths(x: Float64Array, n: number, m: number, inv: Float64Array): boolean {
  inv.fill(0);
  for (let k = 0; k < m; k++) {
    const o = k * n;
    for (let u = 0; u < n; u++) {
      const v = x[o + u]!;
      inv[u] = inv[u]! + v * v;
    }
  }
  let any = false;
  for (let u = 0; u < n; u++) {
    const ss = inv[u]!;
    if (ss > 0) any = true;
    inv[u] = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  }
  return any;
}

/** Row x[o .. o + n): each unit scaled by `inv`, then the row centred; its sum of squares after. */
function scaleAndCentre(x: Float64Array, o: number, n: number, inv: Float64Array): number {
  let sum = 0;
  for (let u = 0; u < n; u++) {
    const v = x[o + u]! * inv[u]!;
    x[o + u] = v;
    sum += v;
  }
  const mean = sum / n;
  let ss = 0;
  for (let u = 0; u < n; u++) {
    const v = x[o + u]! - mean;
    x[o + u] = v;
    ss += v * v;
  }
  return ss;
}

function scaleRow(x: Float64Array, o: number, n: number, s: number): void {
  for (let u = 0; u < n; u++) x[o + u] = x[o + u]! * s;
}

/**
 * ⟨ĀᵀĀ, B̄ᵀB̄⟩_F through the m x m Gram matrices (cheaper when 2m < n), each formed by the SIMD
 * row-dot kernel on the feature rows (every entry summed over units in order).
 */
function gramInner(ca: Float64Array, cb: Float64Array, n: number, m: number): number {
  const ga = rowDots(ca, m, ca, m, n, PRODUCTS_A.take(m * m));
  const gb = rowDots(cb, m, cb, m, n, PRODUCTS_B.take(m * m));
  let s = 0;
  for (let i = 0; i < m * m; i++) s += ga[i]! * gb[i]!;
  return s;
}

/** The n x n cross products ⟨āᵢ, b̄ⱼ⟩ (row-major), by the row-dot kernel on the units. */
function crossProducts(ca: Float64Array, cb: Float64Array, n: number, m: number): Float64Array {
  return rowDots(unitMajor(ca, n, m, UNITS_A.take(n * m)), n, unitMajor(cb, n, m, UNITS_B.take(n * m)), n, m, PRODUCTS_A.take(n * n));
}

/** ‖Ā B̄ᵀ‖²_F through the n x n cross products (cheaper when n <= 2m), by the row-dot kernel on the units. */
function crossSquares(ca: Float64Array, cb: Float64Array, n: number, m: number): number {
  const cross = rowDots(unitMajor(ca, n, m, UNITS_A.take(n * m)), n, unitMajor(cb, n, m, UNITS_B.take(n * m)), n, m, PRODUCTS_A.take(n * n));
  let s = 0;
  for (let i = 0; i < n * n; i++) s += cross[i]! * cross[i]!;
  return s;
}

/** Feature-major [m, n] -> unit-major [n, m], into `out`. */
function unitMajor(x: Float64Array, n: number, m: number, out: Float64Array): Float64Array {
  for (let k = 0; k < m; k++) for (let u = 0, i = k * n; u < n; u++, i++) out[u * m + k] = x[i]!;
  return out;
}
