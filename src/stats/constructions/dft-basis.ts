/**
 * dft-basis (2-D, signals of N ≥ 8 samples along either axis, 4 ≤ signals ≤
 * 2N + 2, ≥ 256 elements): each signal w(n)·(a·cos + b·sin)(2πkn/N) with an
 * integer k (the zero-crossing count / 2, ± 2, by least squares) and a
 * window w common to all: none, Hann or Hamming (periodic or symmetric), or
 * the root-mean-square of the signals (any window, when cos and sin rows are
 * both present). explained = 1 − RSS / Σ per-signal variance, recognised at
 * ≥ 0.9 (0.85 hinted) with ≥ 4 distinct k and distinct k ≥ 0.4 × the
 * signals with energy (a [cos | sin] basis has 0.5; one sinusoid stacked
 * has 1 / count).
 */

import { evenlySpaced, indices, project2, signalsOf, signChanges, sumOfSquaresAboutMean } from "./fit-helpers.js";
import { type Recognised, clamp01, HINTED, hinted, MIN_FIT_ELEMENTS, PROBE_MIN, PROBE_SIGNALS, THRESHOLDS } from "./recognised.js";

export function recogniseDft(v: Float32Array, rows: number, cols: number, name?: string): Recognised | null {
  const threshold = hinted(name, "dft-basis") ? HINTED.dft : THRESHOLDS.dft;
  for (const byColumns of [false, true]) {
    const N = byColumns ? rows : cols;
    const R = byColumns ? cols : rows;
    if (N < 8 || R < 4 || R > 2 * N + 2 || N * R < MIN_FIT_ELEMENTS) continue;
    const cosT = new Float64Array(N);
    const sinT = new Float64Array(N);
    for (let n = 0; n < N; n++) {
      cosT[n] = Math.cos((2 * Math.PI * n) / N);
      sinT[n] = Math.sin((2 * Math.PI * n) / N);
    }
    const probeIdx = evenlySpaced(R, PROBE_SIGNALS);
    const probeX = signalsOf({ data: v, rows, cols }, byColumns, probeIdx);
    const windows = dftWindows(v, rows, cols, byColumns);
    const passed = windows.filter(([, w]) => dftFit({ x: probeX, N, which: indices(probeIdx.length) }, w, { cosT, sinT }).explained >= PROBE_MIN);
    if (passed.length === 0) continue;
    const x = R <= PROBE_SIGNALS ? probeX : signalsOf({ data: v, rows, cols }, byColumns);
    let best: { explained: number; window: string; distinct: number } | null = null;
    for (const [window, w] of passed) {
      const fit = dftFit({ x, N, which: indices(R) }, w, { cosT, sinT });
      if (fit.distinct < 4 || fit.distinct < 0.4 * fit.active) continue;
      // A listed window wins ties with the estimated one (which equals it for a full basis).
      const margin = window.startsWith("an estimated") ? 1e-6 : 0;
      if (!best || fit.explained > best.explained + margin) best = { explained: fit.explained, window, distinct: fit.distinct };
    }
    if (best && best.explained >= threshold) {
      return {
        construction: "dft-basis",
        explained: clamp01(best.explained),
        detail: `DFT basis: ${R} ${byColumns ? "columns" : "rows"} of cos/sin(2πkn/${N}) for ${best.distinct} integer frequencies k, ${best.window} window`,
      };
    }
  }
  return null;
}

function dftWindows(v: Float32Array, rows: number, cols: number, byColumns: boolean): [string, Float64Array][] {
  const N = byColumns ? rows : cols;
  const R = byColumns ? cols : rows;
  const cosine = (a0: number, L: number) => Float64Array.from({ length: N }, (_, n) => a0 - (1 - a0) * Math.cos((2 * Math.PI * n) / L));
  const rms = new Float64Array(N);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) rms[byColumns ? r : c] += v[r * cols + c]! ** 2;
  for (let n = 0; n < N; n++) rms[n] = Math.sqrt(rms[n]! / R);
  return [
    ["no", new Float64Array(N).fill(1)],
    ["periodic Hann", cosine(0.5, N)],
    ["symmetric Hann", cosine(0.5, N - 1)],
    ["periodic Hamming", cosine(0.54, N)],
    ["symmetric Hamming", cosine(0.54, N - 1)],
    ["an estimated (root-mean-square)", rms],
  ];
}

/** Fit the listed signals of x (contiguous, N samples each) by w·(a·cos + b·sin)(2πkn/N), k integer (cosT, sinT: the tables of cos and sin(2πn/N)). */
function dftFit(
  { x, N, which }: { x: Float32Array; N: number; which: number[] },
  w: Float64Array,
  { cosT, sinT }: { cosT: Float64Array; sinT: Float64Array },
): { explained: number; distinct: number; active: number } {
  let rss = 0;
  let tss = 0;
  const ks: number[] = [];
  const energies: number[] = [];
  for (const r of which) {
    const off = r * N;
    let energy = 0;
    for (let n = 0; n < N; n++) energy += x[off + n]! ** 2;
    const k0 = Math.round(signChanges(x, off, N) / 2);
    let best = 0;
    let bestK = -1;
    for (let k = Math.max(0, k0 - 2); k <= Math.min(N >> 1, k0 + 2); k++) {
      let aa = 0;
      let ab = 0;
      let bb = 0;
      let xa = 0;
      let xb = 0;
      let idx = 0;
      for (let n = 0; n < N; n++) {
        const u = w[n]! * cosT[idx]!;
        const s = w[n]! * sinT[idx]!;
        const xn = x[off + n]!;
        aa += u * u;
        ab += u * s;
        bb += s * s;
        xa += xn * u;
        xb += xn * s;
        idx += k;
        if (idx >= N) idx -= N;
      }
      const p = project2(aa, ab, bb, xa, xb);
      if (p > best) {
        best = p;
        bestK = k;
      }
    }
    rss += Math.max(0, energy - best);
    tss += sumOfSquaresAboutMean(x, off, N);
    ks.push(bestK);
    energies.push(energy);
  }
  const maxEnergy = Math.max(...energies);
  const activeKs = ks.filter((_, i) => energies[i]! > 1e-6 * maxEnergy);
  return { explained: tss > 0 ? 1 - rss / tss : 0, distinct: new Set(activeKs).size, active: activeKs.length };
}
