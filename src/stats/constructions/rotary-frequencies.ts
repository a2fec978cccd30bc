/**
 * rotary-frequencies (1-D, n ≥ 4): positive, strictly monotone, spanning at
 * least a factor e, and geometric, log v_i = α + β·i (inv_freq =
 * 1/base^(2i/d)), or (12 ≤ n ≤ 1024) two geometric segments with one
 * ratio joined by a ramp of ≤ n/3 steps (Llama-3 / YaRN scaled
 * frequencies). explained = R² of log v, recognised at ≥ 0.9999 (0.999
 * hinted). High because the construction is exact (bf16 costs ~1e-6) while
 * sorted random positive values can be nearly log-linear (sorted
 * log-uniform: R² ≈ 1 − 0.7/n).
 */

import { leastSquares, sumOfSquaresAboutMean } from "./fit-helpers.js";
import { type Recognised, clamp01, fmt, HINTED, hinted, THRESHOLDS } from "./recognised.js";
import { solve3 } from "./solve3.js";

export function recogniseRotary(v: Float32Array, name?: string): Recognised | null {
  const n = v.length;
  if (n < 4) return null;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!(v[i]! > 0)) return null;
    y[i] = Math.log(v[i]!);
  }
  const increasing = y[1]! > y[0]!;
  for (let i = 1; i < n; i++) if (increasing ? !(y[i]! > y[i - 1]!) : !(y[i]! < y[i - 1]!)) return null;
  if (Math.abs(y[n - 1]! - y[0]!) < 1) return null;
  const tss = sumOfSquaresAboutMean(y, 0, n);
  const threshold = hinted(name, "rotary-frequencies") ? HINTED.rotary : THRESHOLDS.rotary;
  const X = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    X[i * 2] = 1;
    X[i * 2 + 1] = i;
  }
  let r2 = 1 - leastSquares(X.subarray(0, n * 2), y, n, 2).rss / tss;
  let shifted: { a: number; b: number } | null = null;
  if (r2 < threshold && n >= 12 && n <= 1024) {
    const ramp = bestRamp(y);
    if (ramp) {
      // Report the directly computed fit of the chosen model.
      for (let i = 0; i < n; i++) {
        X[i * 3] = 1;
        X[i * 3 + 1] = i;
        X[i * 3 + 2] = i <= ramp.a ? 0 : i >= ramp.b ? 1 : (i - ramp.a) / (ramp.b - ramp.a);
      }
      const r = 1 - leastSquares(X, y, n, 3).rss / tss;
      if (r > r2) {
        r2 = r;
        shifted = ramp;
      }
    }
  }
  if (r2 < threshold) return null;
  // inv_freq_i = base^(−2i/d), d = 2n: the per-step log ratio is −ln(base)/n over the unshifted segment.
  const head = shifted ? shifted.a + 1 : n;
  const slope = (y[head - 1]! - y[0]!) / (head - 1);
  const base = Math.exp(Math.abs(slope) * n);
  return {
    construction: "rotary-frequencies",
    explained: clamp01(r2),
    detail:
      `${increasing ? "increasing" : "decreasing"} geometric frequencies, ${n} values, ratio ${fmt(Math.exp(slope), 4)} per step` +
      ` (1/base^(2i/d) with d = ${2 * n}, base ≈ ${base >= 100 ? Math.round(base) : fmt(base, 3)})` +
      (shifted ? `, scaled between steps ${shifted.a} and ${shifted.b}` : ""),
  };
}

/**
 * The best "two geometric segments with one ratio" model for log-frequencies y:
 * y_i ≈ α + β·i + δ·h_i, h = 0 up to a, a linear ramp from a to b (b − a ≤ n/3), 1 from b.
 * O(1) per (a, b) from prefix sums, so O(n²) in all.
 */
function bestRamp(y: Float64Array): { a: number; b: number } | null {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  const z0 = new Float64Array(n + 1);
  const z1 = new Float64Array(n + 1);
  let zz = 0;
  for (let i = 0; i < n; i++) {
    const z = y[i]! - mean;
    z0[i + 1] = z0[i]! + z;
    z1[i + 1] = z1[i]! + i * z;
    zz += z * z;
  }
  const s1 = (p: number, q: number) => (q * (q - 1) - p * (p - 1)) / 2; // Σ i, p ≤ i < q
  const sq = (k: number) => ((k - 1) * k * (2 * k - 1)) / 6;
  const sumI = s1(0, n);
  const sumI2 = sq(n);
  const sumZ = z0[n]!;
  const sumIZ = z1[n]!;
  let best: { a: number; b: number; rss: number } | null = null;
  const maxRamp = Math.floor(n / 3);
  for (let a = 2; a < n - 3; a++) {
    for (let b = a + 1; b <= Math.min(n - 3, a + maxRamp); b++) {
      const D = b - a;
      const st = ((D - 1) * D) / 2; // Σ t over the ramp, t = i − a for a < i < b
      const st2 = ((D - 1) * D * (2 * D - 1)) / 6;
      const tail = n - b;
      const sh = st / D + tail;
      const sh2 = st2 / (D * D) + tail;
      const sih = (st2 + a * st) / D + s1(b, n);
      const rampZ = z0[b]! - z0[a + 1]!;
      const rampIZ = z1[b]! - z1[a + 1]!;
      const shz = (rampIZ - a * rampZ) / D + (z0[n]! - z0[b]!);
      const beta = solve3([n, sumI, sh, sumI, sumI2, sih, sh, sih, sh2], [sumZ, sumIZ, shz]);
      if (!beta) continue;
      const rss = zz - (beta[0]! * sumZ + beta[1]! * sumIZ + beta[2]! * shz);
      if (!best || rss < best.rss) best = { a, b, rss };
    }
  }
  return best ? { a: best.a, b: best.b } : null;
}
