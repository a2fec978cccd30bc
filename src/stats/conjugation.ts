/**
 * A test of independence for square matrices whose rows and columns index the
 * same units (an identity-initialised projector A = sI + ΔA): under H0 the law
 * of ΔA is invariant only under permuting rows and columns together
 * (P ΔA Pᵀ), not rows alone, so the row-permutation test does not apply.
 * This is Mantel's test: T = Σᵢⱼ ΔAᵢⱼ ΔBᵢⱼ against T under uniform
 * simultaneous permutations of one side, with the null mean and sd estimated
 * from Monte-Carlo permutations and a normal tail (Mantel 1967's normal
 * approximation; the permutations are seeded, so the result is reproducible).
 */
import { twoSidedNormalLog10 } from "./pvalues.js";

export interface ConjugationTest {
  units: number;
  z: number;
  log10p: number;
  /** Pearson of the two residuals (the effect size). */
  effect: number;
}

const PERMUTATIONS = 400;

/** `a`, `b`: row-major n x n residuals on the same unit indices. */
export function conjugationTest(a: Float32Array, b: Float32Array, n: number): ConjugationTest | null {
  if (n < 4) return null;
  const ca = centred(a);
  const cb = centred(b);
  const ssa = ca.reduce((s, x) => s + x * x, 0);
  const ssb = cb.reduce((s, x) => s + x * x, 0);
  if (!(ssa > 0 && ssb > 0)) return null;
  const stat = (p: Int32Array | null) => {
    let t = 0;
    for (let i = 0; i < n; i++) {
      const pi = p ? p[i]! : i;
      for (let j = 0; j < n; j++) t += ca[pi * n + (p ? p[j]! : j)]! * cb[i * n + j]!;
    }
    return t;
  };
  const t0 = stat(null);
  let rng = 0x9e3779b9;
  const next = () => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return (rng >>> 0) / 4294967296;
  };
  const p = new Int32Array(n);
  let sum = 0;
  let sum2 = 0;
  for (let k = 0; k < PERMUTATIONS; k++) {
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      const x = p[i]!;
      p[i] = p[j]!;
      p[j] = x;
    }
    const t = stat(p);
    sum += t;
    sum2 += t * t;
  }
  const mean = sum / PERMUTATIONS;
  const sd = Math.sqrt(Math.max(0, sum2 / PERMUTATIONS - mean * mean) * (PERMUTATIONS / (PERMUTATIONS - 1)));
  if (!(sd > 0)) return null;
  const z = (t0 - mean) / sd;
  return { units: n, z, log10p: twoSidedNormalLog10(z), effect: t0 / Math.sqrt(ssa * ssb) };
}

function centred(x: Float32Array): Float64Array {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  return Float64Array.from(x, (v) => v - m);
}
