/**
 * window (1-D, N ≥ 8): least squares on 1, cos(2πn/L), cos(4πn/L) with
 * L = N (periodic) or N − 1 (symmetric): Hann, Hamming, Blackman.
 * explained = R² about the vector's mean, recognised at ≥ 0.999 (0.995
 * hinted), with a negative cos(2πn/L) coefficient (peak in the middle) and
 * no element below −1e-3·max. High because a window is computed exactly
 * (bf16 rounding costs ~1e-5) while a Hann window moved 5% by training
 * still reaches ~0.98.
 */

import { leastSquares, sumOfSquaresAboutMean } from "./fit-helpers.js";
import { type Recognised, clamp01, fmt, HINTED, hinted, THRESHOLDS } from "./recognised.js";

export function recogniseWindow(v: Float32Array, name?: string): Recognised | null {
  const N = v.length;
  if (N < 8) return null;
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < N; i++) {
    max = Math.max(max, v[i]!);
    min = Math.min(min, v[i]!);
  }
  if (max <= 0 || min < -1e-3 * max) return null;
  const tss = sumOfSquaresAboutMean(v, 0, N);
  if (!(tss > 0)) return null;
  const y = Float64Array.from(v);
  let best: { r2: number; L: number; a: Float64Array } | null = null;
  for (const L of [N, N - 1]) {
    const X = new Float64Array(N * 3);
    for (let n = 0; n < N; n++) {
      X[n * 3] = 1;
      X[n * 3 + 1] = Math.cos((2 * Math.PI * n) / L);
      X[n * 3 + 2] = Math.cos((4 * Math.PI * n) / L);
    }
    const fit = leastSquares(X, y, N, 3);
    const r2 = 1 - fit.rss / tss;
    if (!best || r2 > best.r2) best = { r2, L, a: fit.beta };
  }
  const threshold = hinted(name, "window") ? HINTED.window : THRESHOLDS.window;
  if (!best || best.r2 < threshold || best.a[1]! >= 0) return null;
  const [a0, a1, a2] = [best.a[0]!, best.a[1]!, best.a[2]!];
  const total = a0 - a1 + a2; // the peak (n = L/2): a0 + a1·cos π + a2·cos 2π
  const [b0, b1, b2] = [a0 / total, -a1 / total, a2 / total];
  const kind =
    Math.abs(b0 - 0.5) < 0.01 && Math.abs(b2) < 0.01
      ? "Hann"
      : Math.abs(b0 - 0.54) < 0.01 && Math.abs(b2) < 0.01
        ? "Hamming"
        : Math.abs(b0 - 0.42) < 0.01 && Math.abs(b2 - 0.08) < 0.01
          ? "Blackman"
          : "raised-cosine";
  return {
    construction: "window",
    explained: clamp01(best.r2),
    detail:
      `${kind} window, N = ${N} (${best.L === N ? "periodic" : "symmetric"}): ${fmt(b0)} − ${fmt(b1)}·cos(2πn/${best.L})` +
      (Math.abs(b2) >= 0.01 ? ` + ${fmt(b2)}·cos(4πn/${best.L})` : ""),
  };
}
