/**
 * Tensors explained by a construction two models can share without copying.
 *
 * Two independently trained models can hold equal (or highly correlated)
 * tensors that carry no evidence of copying, because both built them from the
 * same recipe. This module recognises such tensors from their values alone.
 * The tensor name is a hint: when it suggests the construction (NAME_HINTS) a
 * threshold is lowered slightly (HINTED); it is never required and never
 * enough, and the structural conditions are never relaxed. Pure: no I/O.
 *
 * Singleton axes are squeezed first ([2F, 1, N] is [2F, N]; [1, P, d] is
 * [P, d]). Non-finite values and tensors of fewer than 2 elements are never
 * recognised. The detectors run in this order, the first to recognise wins
 * (exact and cheap first, specific before general). "explained" is, per
 * construction:
 *
 * - constant (any shape): every element equal to within 1e-6 of the largest
 *   magnitude (all-ones norm gains, zero biases); explained = 1. Exact on
 *   purpose rather than "≥ 0.9 explained": a gain of 1 ± 0.002 left by a
 *   short fine-tune is > 0.99 its mean, yet its deviations are what a copy
 *   shares and what the caller's correlation compares.
 * - identity (2-D [m, n], min(m, n) ≥ 2, rectangular "eye" too): A = s·I + E
 *   with s the mean of the diagonal (the least-squares s). Recognised when
 *   ‖E‖_F ≤ 0.5·‖s·I‖_F (0.55 hinted), which also rules out s ≈ 0 for a
 *   non-constant A; since E ⟂ I, s·I then carries ≥ 80% of the energy: a
 *   projector initialised to identity and trained a little. explained =
 *   1 − ‖E‖²/TSS, TSS = Σ(x − mean)² over the tensor. residualAfterConstruction
 *   returns E, the trained part, which the caller can still test.
 * - window (1-D, N ≥ 8): least squares on 1, cos(2πn/L), cos(4πn/L) with
 *   L = N (periodic) or N − 1 (symmetric): Hann, Hamming, Blackman.
 *   explained = R² about the vector's mean, recognised at ≥ 0.999 (0.995
 *   hinted), with a negative cos(2πn/L) coefficient (peak in the middle) and
 *   no element below −1e-3·max. High because a window is computed exactly
 *   (bf16 rounding costs ~1e-5) while a Hann window moved 5% by training
 *   still reaches ~0.98.
 * - rotary-frequencies (1-D, n ≥ 4): positive, strictly monotone, spanning at
 *   least a factor e, and geometric, log v_i = α + β·i (inv_freq =
 *   1/base^(2i/d)), or (12 ≤ n ≤ 1024) two geometric segments with one
 *   ratio joined by a ramp of ≤ n/3 steps (Llama-3 / YaRN scaled
 *   frequencies). explained = R² of log v, recognised at ≥ 0.9999 (0.999
 *   hinted). High because the construction is exact (bf16 costs ~1e-6) while
 *   sorted random positive values can be nearly log-linear (sorted
 *   log-uniform: R² ≈ 1 − 0.7/n).
 * - mel-filterbank (2-D, filters along either axis, ≥ 8 filters, ≥ 16 bins):
 *   structure first: no element below −1e-6·max; ≤ 1/4 of the filters empty;
 *   each filter's support contiguous and the filter unimodal on it; peaks,
 *   centroids and both support edges non-decreasing from filter to filter,
 *   and centroids and both edges each moving ≥ 1/8 of the bins (so a causal
 *   mask, either way round, is no filterbank); adjacent filters sharing a bin
 *   in at least half of the pairs (a triangular bank's feet are its
 *   neighbours' centres); supports ≥ 2 bins on average. Then the fit: each
 *   filter's rising and falling flanks as straight lines in the bin index
 *   (triangles in Hz: Slaney or HTK mel, normalised or not). explained =
 *   1 − RSS / Σ per-filter variance, recognised at ≥ 0.9 (0.85 hinted).
 * - dft-basis (2-D, signals of N ≥ 8 samples along either axis, 4 ≤ signals ≤
 *   2N + 2, ≥ 256 elements): each signal w(n)·(a·cos + b·sin)(2πkn/N) with an
 *   integer k (the zero-crossing count / 2, ± 2, by least squares) and a
 *   window w common to all: none, Hann or Hamming (periodic or symmetric), or
 *   the root-mean-square of the signals (any window, when cos and sin rows are
 *   both present). explained = 1 − RSS / Σ per-signal variance, recognised at
 *   ≥ 0.9 (0.85 hinted) with ≥ 4 distinct k and distinct k ≥ 0.4 × the
 *   signals with energy (a [cos | sin] basis has 0.5; one sinusoid stacked
 *   has 1 / count).
 * - sinusoid-table (2-D, positions along either axis, ≥ 8 positions, ≥ 2
 *   channels, ≥ 256 elements: sinusoidal position tables, interleaved or
 *   [sin | cos], rotary cos/sin caches): each channel a·sin(ωp) + b·cos(ωp)
 *   with its own ω ∈ [0, π], bracketed by the periodogram peak (zero-padded
 *   FFT) and by the zero-crossing count (with hysteresis), searched on a grid
 *   over each bracket and refined by golden section; a, b by least squares.
 *   explained = 1 − RSS / Σ per-channel variance, recognised at ≥ 0.9 (0.85
 *   hinted). A table moved a little by training (noise 0.1 of amplitude 1)
 *   stays ≥ 0.9; a Gaussian matrix of ≥ 256 elements stays below ~0.65
 *   (8 positions: the worst case), below 0.07 from 64 × 64 up.
 *
 * - sinusoid-grid (2-D, positions along either axis): the fixed 2D/3D sin-cos
 *   tables of MAE / MoCo-v3 / video ViTs, each channel a sinusoid of one grid
 *   coordinate, after up to 8 leading rows (class tokens); see
 *   src/stats/position-grid.ts. Recognised at ≥ 0.9.
 *
 * Why per-signal variance rather than the tensor's for the last three: their
 * models have no constant term, but ω = 0 (k = 0) fits a per-signal offset,
 * and a random non-negative matrix (uniform on [1, 2]) is > 0.9 offset.
 * Against each signal's variance about its own mean only the shape counts;
 * RSS is always that of the full model. 0.9 is the floor everywhere; it is
 * higher where the construction is exact and a few-parameter fit of a vector
 * could pass by luck.
 *
 * Cost: linear in the elements. Each fitting detector first fits ≤ 32 evenly
 * spaced signals and stops when they explain < 0.5; the sinusoid fit is one
 * FFT and ~30 passes per channel, the DFT fit ≤ 5 passes per row and window;
 * above 2^23 elements the sinusoid table is estimated from evenly spaced
 * channels. About 0.5 s for a 1500 × 1280 table, less for trained tensors
 * of a few million elements.
 */

import { roughLikeNoise, recogniseSinusoidGrid } from "./position-grid.js";
import { solve3 } from "./solve3.js";

export type Construction = "constant" | "identity" | "sinusoid-table" | "sinusoid-grid" | "rotary-frequencies" | "mel-filterbank" | "dft-basis" | "window";

export interface Recognised {
  construction: Construction;
  /** Fraction of the tensor's variance (or energy) the construction explains, 0..1 (defined per construction above). */
  explained: number;
  /** Human-readable, e.g. "scaled identity (s = 0.50) plus 4% training". */
  detail: string;
}

/** Recognition thresholds (see the module comment for what each measures). */
export const THRESHOLDS = {
  /** Largest spread (max − min) relative to the largest magnitude for a constant. */
  constantSpread: 1e-6,
  /** Largest ‖A − sI‖_F / ‖sI‖_F. */
  identityRatio: 0.5,
  window: 0.999,
  rotary: 0.9999,
  mel: 0.9,
  dft: 0.9,
  sinusoid: 0.9,
} as const;

/** The same, when the tensor's name suggests the construction: slightly lower, never a substitute for the values. */
export const HINTED = {
  identityRatio: 0.55,
  window: 0.995,
  rotary: 0.999,
  mel: 0.85,
  dft: 0.85,
  sinusoid: 0.85,
} as const;

const NAME_HINTS: Partial<Record<Construction, RegExp>> = {
  identity: /identity|(^|[._])eye([._]|$)/i,
  window: /window|hann|hamming|blackman/i,
  "rotary-frequencies": /inv_freq|rotary|rope|freq/i,
  "mel-filterbank": /mel|fbank|filterbank|filter_bank/i,
  "dft-basis": /basis|stft|dft|fft|fourier/i,
  "sinusoid-table": /pos|sinus|rotary|rope|cos_cache|sin_cache/i,
};

function hinted(name: string | undefined, c: Construction): boolean {
  const re = NAME_HINTS[c];
  return !!name && !!re && re.test(name);
}

/** Quick look at this many evenly spaced signals before fitting them all. */
const PROBE_SIGNALS = 32;
/** The probe must explain at least this much for the full fit to run. */
const PROBE_MIN = 0.5;
/** The fitting detectors (DFT basis, sinusoid table) need this many elements: a 3-parameter fit of a few short signals explains much of anything. */
const MIN_FIT_ELEMENTS = 256;
/** Position tables on a grid have at most this many positions (a 128 × 128 patch grid). */
const MAX_GRID_POSITIONS = 16384;
/** Above this many elements the sinusoid fit uses evenly spaced channels. */
const MAX_FIT_ELEMENTS = 1 << 23;

/**
 * Which construction explains this tensor, or null. `values`: the whole tensor
 * in row-major order; `shape`: its shape; `name`: a hint only.
 */
export function recognise(values: Float32Array, shape: readonly number[], name?: string): Recognised | null {
  const n = elementsOf(shape);
  if (n !== values.length) throw new RangeError(`shape [${shape.join(", ")}] holds ${n} elements, values ${values.length}`);
  if (n < 2) return null;
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i]!)) return null;
  const constant = recogniseConstant(values);
  if (constant) return constant;
  const dims = shape.filter((d) => d !== 1);
  if (dims.length === 1) return recogniseWindow(values, name) ?? recogniseRotary(values, name);
  if (dims.length !== 2) return null;
  const [rows, cols] = dims as [number, number];
  const identity = recogniseIdentity(values, rows, cols, name);
  if (identity) return identity;
  // A trained matrix (no order along either axis) is rough like noise along both: no fit can explain it.
  if (!hinted(name, "sinusoid-table") && roughLikeNoise(values, rows, cols)) return null;
  return (
    recogniseMel(values, rows, cols, name) ??
    recogniseDft(values, rows, cols, name) ??
    recogniseSinusoidTable(values, rows, cols, name) ??
    sinusoidGrid(values, rows, cols)
  );
}

function sinusoidGrid(values: Float32Array, rows: number, cols: number): Recognised | null {
  if (Math.max(rows, cols) > MAX_GRID_POSITIONS) return null;
  const fit = recogniseSinusoidGrid(values, rows, cols);
  return fit ? { construction: "sinusoid-grid", ...fit } : null;
}

/**
 * For "identity": the residual A − s·I (what two independently trained
 * identity-initialised projectors do not share), same shape as `values`.
 * Null for other constructions.
 */
export function residualAfterConstruction(values: Float32Array, shape: readonly number[], r: Recognised): Float32Array | null {
  if (r.construction !== "identity") return null;
  const dims = shape.filter((d) => d !== 1);
  if (dims.length !== 2 || elementsOf(shape) !== values.length) return null;
  const [rows, cols] = dims as [number, number];
  const s = diagonalMean(values, rows, cols);
  const out = Float32Array.from(values);
  const k = Math.min(rows, cols);
  for (let i = 0; i < k; i++) out[i * cols + i] = values[i * cols + i]! - s;
  return out;
}

function elementsOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function fmt(x: number, digits = 2): string {
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-2) ? x.toExponential(digits - 1) : x.toFixed(digits);
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

// ---------------------------------------------------------------- constant

function recogniseConstant(v: Float32Array): Recognised | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const scale = Math.max(Math.abs(min), Math.abs(max));
  if (max - min > THRESHOLDS.constantSpread * scale) return null;
  const value = scale === 0 ? 0 : v[0]!;
  return {
    construction: "constant",
    explained: 1,
    detail: value === 0 ? `all zeros (${v.length} elements)` : `constant ${Number(value.toPrecision(6))} (all ${v.length} elements equal)`,
  };
}

// ---------------------------------------------------------------- identity

function diagonalMean(v: Float32Array, rows: number, cols: number): number {
  const k = Math.min(rows, cols);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += v[i * cols + i]!;
  return sum / k;
}

function totalSumOfSquares(v: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]!;
  const mean = sum / v.length;
  let tss = 0;
  for (let i = 0; i < v.length; i++) tss += (v[i]! - mean) ** 2;
  return tss;
}

function recogniseIdentity(v: Float32Array, rows: number, cols: number, name?: string): Recognised | null {
  const k = Math.min(rows, cols);
  if (k < 2) return null;
  const s = diagonalMean(v, rows, cols);
  if (s === 0) return null;
  const signal = s * s * k;
  const limit = (hinted(name, "identity") ? HINTED.identityRatio : THRESHOLDS.identityRatio) ** 2 * signal;
  // ‖A − sI‖², stopping as soon as it exceeds the limit (the usual case for trained matrices).
  let rss = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const e = v[base + c]! - (r === c ? s : 0);
      rss += e * e;
    }
    if (rss > limit) return null;
  }
  const ratio = Math.sqrt(rss / signal);
  const tss = totalSumOfSquares(v);
  const shape = rows === cols ? `${rows}×${cols}` : `rectangular ${rows}×${cols}`;
  const what = Math.abs(s - 1) < 5e-3 ? `identity ${shape}` : `scaled identity ${shape} (s = ${fmt(s)})`;
  const training = ratio < 5e-4 ? "" : ` plus ${ratio < 0.01 ? "<1" : Math.round(ratio * 100)}% training (‖A − sI‖/‖sI‖)`;
  return { construction: "identity", explained: clamp01(tss > 0 ? 1 - rss / tss : 1), detail: what + training };
}

// ---------------------------------------------------------------- small linear algebra

/** Projected energy of x onto span{a, b} from the Gram entries: the 2-regressor least squares. */
function project2(aa: number, ab: number, bb: number, xa: number, xb: number): number {
  let best = 0;
  if (aa > 0) best = (xa * xa) / aa;
  if (bb > 0) best = Math.max(best, (xb * xb) / bb);
  const det = aa * bb - ab * ab;
  if (aa > 0 && bb > 0 && det > 1e-12 * aa * bb) best = Math.max(best, (bb * xa * xa - 2 * ab * xa * xb + aa * xb * xb) / det);
  return best;
}

/** Least squares of y on the columns of X (n × p, row-major): coefficients and residual sum of squares (normal equations, Gaussian elimination). */
function leastSquares(X: Float64Array, y: Float64Array, n: number, p: number): { beta: Float64Array; rss: number } {
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  let yy = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    yy += yi * yi;
    for (let j = 0; j < p; j++) {
      const xij = X[i * p + j]!;
      b[j] += xij * yi;
      for (let l = j; l < p; l++) A[j * p + l] += xij * X[i * p + l]!;
    }
  }
  for (let j = 0; j < p; j++) for (let l = 0; l < j; l++) A[j * p + l] = A[l * p + j]!;
  // Solve A β = b with partial pivoting, dropping near-singular directions.
  const M = Float64Array.from(A);
  const beta = Float64Array.from(b);
  const used: boolean[] = [];
  const scale = Math.max(...Array.from({ length: p }, (_, j) => Math.abs(A[j * p + j]!)), 1e-300);
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(M[r * p + col]!) > Math.abs(M[piv * p + col]!)) piv = r;
    if (Math.abs(M[piv * p + col]!) < 1e-12 * scale) {
      used[col] = false;
      continue;
    }
    used[col] = true;
    if (piv !== col) {
      for (let l = 0; l < p; l++) [M[col * p + l], M[piv * p + l]] = [M[piv * p + l]!, M[col * p + l]!];
      [beta[col], beta[piv]] = [beta[piv]!, beta[col]!];
    }
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = M[r * p + col]! / M[col * p + col]!;
      if (f === 0) continue;
      for (let l = col; l < p; l++) M[r * p + l] -= f * M[col * p + l]!;
      beta[r] -= f * beta[col]!;
    }
  }
  for (let j = 0; j < p; j++) beta[j] = used[j] ? beta[j]! / M[j * p + j]! : 0;
  // RSS computed directly (no cancellation against yy).
  let rss = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let j = 0; j < p; j++) f += X[i * p + j]! * beta[j]!;
    rss += (y[i]! - f) ** 2;
  }
  return { beta, rss: Math.min(rss, yy) };
}

function sumOfSquaresAboutMean(y: ArrayLike<number>, off: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += y[off + i]!;
  const m = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[off + i]! - m) ** 2;
  return ss;
}

function signChanges(x: ArrayLike<number>, off: number, n: number): number {
  let prev = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = x[off + i]!;
    if (v > 0) {
      if (prev < 0) c++;
      prev = 1;
    } else if (v < 0) {
      if (prev > 0) c++;
      prev = -1;
    }
  }
  return c;
}

/**
 * Signals of the tensor (its rows, or its columns when byColumns), all or the
 * listed ones, as one contiguous row-major array: the values themselves for
 * all rows, otherwise a copy.
 */
function signalsOf(v: Float32Array, rows: number, cols: number, byColumns: boolean, which: number[] | null = null): Float32Array {
  if (!byColumns) {
    if (!which) return v;
    const out = new Float32Array(which.length * cols);
    which.forEach((r, i) => out.set(v.subarray(r * cols, (r + 1) * cols), i * cols));
    return out;
  }
  const list = which ?? Array.from({ length: cols }, (_, c) => c);
  const out = new Float32Array(list.length * rows);
  if (!which) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c]!;
  } else {
    list.forEach((c, i) => {
      for (let r = 0; r < rows; r++) out[i * rows + r] = v[r * cols + c]!;
    });
  }
  return out;
}

const indices = (count: number) => Array.from({ length: count }, (_, i) => i);

function evenlySpaced(count: number, want: number): number[] {
  if (count <= want) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: want }, (_, i) => Math.floor(((i + 0.5) * count) / want));
}

// ---------------------------------------------------------------- window

function recogniseWindow(v: Float32Array, name?: string): Recognised | null {
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

// ---------------------------------------------------------------- rotary frequencies

function recogniseRotary(v: Float32Array, name?: string): Recognised | null {
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

// ---------------------------------------------------------------- mel filterbank

function recogniseMel(v: Float32Array, rows: number, cols: number, name?: string): Recognised | null {
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x > max) max = x;
    if (x < min) min = x;
  }
  if (!(max > 0) || min < -1e-6 * max) return null;
  const threshold = hinted(name, "mel-filterbank") ? HINTED.mel : THRESHOLDS.mel;
  for (const byColumns of [false, true]) {
    const M = byColumns ? cols : rows;
    const F = byColumns ? rows : cols;
    if (M < 8 || F < 16) continue;
    const r = melFit(signalsOf(v, rows, cols, byColumns), M, F, max);
    if (r && r.explained >= threshold) {
      return {
        construction: "mel-filterbank",
        explained: clamp01(r.explained),
        detail: `mel filterbank: ${M} triangular filters (${byColumns ? "columns" : "rows"}) over ${F} frequency bins${r.empty ? `, ${r.empty} empty` : ""}`,
      };
    }
  }
  return null;
}

function melFit(x: Float32Array, M: number, F: number, globalMax: number): { explained: number; empty: number } | null {
  let empty = 0;
  let prevPeak = -1;
  let prevCentroid = -Infinity;
  let firstCentroid = NaN;
  let firstLo = 0;
  let firstHi = 0;
  let prevLo = -1;
  let prevHi = -1;
  let pairs = 0;
  let overlaps = 0;
  let widthSum = 0;
  let rss = 0;
  let tss = 0;
  for (let m = 0; m < M; m++) {
    const off = m * F;
    let mx = 0;
    let peak = 0;
    for (let i = 0; i < F; i++) {
      if (x[off + i]! > mx) {
        mx = x[off + i]!;
        peak = i;
      }
    }
    if (mx <= 1e-6 * globalMax) {
      empty++;
      continue;
    }
    const tol = 1e-6 * mx;
    let lo = 0;
    while (x[off + lo]! <= tol) lo++;
    let hi = F - 1;
    while (x[off + hi]! <= tol) hi--;
    const eps = 1e-4 * mx;
    for (let i = lo; i <= hi; i++) {
      if (x[off + i]! <= tol) return null; // support not contiguous
      if (i < peak && x[off + i + 1]! < x[off + i]! - eps) return null; // not rising up to the peak
      if (i > peak && x[off + i]! > x[off + i - 1]! + eps) return null; // not falling after it
    }
    let s = 0;
    let sw = 0;
    for (let i = lo; i <= hi; i++) {
      s += x[off + i]!;
      sw += i * x[off + i]!;
    }
    const centroid = sw / s;
    // The filters move up the spectrum: peaks, centroids and both support edges non-decreasing.
    if (peak < prevPeak || centroid < prevCentroid - 1e-6 * F || lo < prevLo || hi < prevHi) return null;
    if (Number.isNaN(firstCentroid)) {
      firstCentroid = centroid;
      firstLo = lo;
      firstHi = hi;
    }
    if (prevHi >= 0) {
      pairs++;
      if (lo <= prevHi && prevLo <= hi) overlaps++;
    }
    prevPeak = peak;
    prevCentroid = centroid;
    prevLo = lo;
    prevHi = hi;
    widthSum += hi - lo + 1;
    rss += triangleRss(x, off, lo, peak, hi);
    tss += sumOfSquaresAboutMean(x, off, F);
  }
  const filters = M - empty;
  if (empty > M / 4 || filters < 8) return null;
  if (overlaps < pairs / 2 || widthSum / filters < 2) return null;
  if (prevCentroid - firstCentroid < F / 8 || prevLo - firstLo < F / 8 || prevHi - firstHi < F / 8) return null;
  return { explained: tss > 0 ? 1 - rss / tss : 0, empty };
}

/** RSS of a filter's support as two straight lines (rising to the peak, falling after it), the peak bin on either side. */
function triangleRss(x: Float32Array, off: number, lo: number, peak: number, hi: number): number {
  const a = lineRss(x, off, lo, peak) + lineRss(x, off, peak + 1, hi);
  const b = lineRss(x, off, lo, peak - 1) + lineRss(x, off, peak, hi);
  return Math.min(a, b);
}

function lineRss(x: Float32Array, off: number, from: number, to: number): number {
  const n = to - from + 1;
  if (n <= 2) return 0;
  let si = 0;
  let sy = 0;
  let sii = 0;
  let siy = 0;
  let syy = 0;
  for (let i = from; i <= to; i++) {
    const t = i - from;
    const y = x[off + i]!;
    si += t;
    sy += y;
    sii += t * t;
    siy += t * y;
    syy += y * y;
  }
  const vi = sii - (si * si) / n;
  const cov = siy - (si * sy) / n;
  const vy = syy - (sy * sy) / n;
  return Math.max(0, vy - (cov * cov) / vi);
}

// ---------------------------------------------------------------- DFT basis

function recogniseDft(v: Float32Array, rows: number, cols: number, name?: string): Recognised | null {
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
    const probeX = signalsOf(v, rows, cols, byColumns, probeIdx);
    const windows = dftWindows(v, rows, cols, byColumns);
    const passed = windows.filter(([, w]) => dftFit(probeX, N, w, cosT, sinT, indices(probeIdx.length)).explained >= PROBE_MIN);
    if (passed.length === 0) continue;
    const x = R <= PROBE_SIGNALS ? probeX : signalsOf(v, rows, cols, byColumns);
    let best: { explained: number; window: string; distinct: number } | null = null;
    for (const [window, w] of passed) {
      const fit = dftFit(x, N, w, cosT, sinT, indices(R));
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

/** Fit the listed signals of x (contiguous, N samples each) by w·(a·cos + b·sin)(2πkn/N), k integer. */
function dftFit(
  x: Float32Array,
  N: number,
  w: Float64Array,
  cosT: Float64Array,
  sinT: Float64Array,
  which: number[],
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

// ---------------------------------------------------------------- sinusoid table

function recogniseSinusoidTable(v: Float32Array, rows: number, cols: number, name?: string): Recognised | null {
  const threshold = hinted(name, "sinusoid-table") ? HINTED.sinusoid : THRESHOLDS.sinusoid;
  let best: (Recognised & { score: number }) | null = null;
  for (const byColumns of [true, false]) {
    const L = byColumns ? rows : cols;
    const C = byColumns ? cols : rows;
    if (L < 8 || C < 2 || L * C < MIN_FIT_ELEMENTS) continue;
    const probeIdx = evenlySpaced(C, PROBE_SIGNALS);
    const probe = sinusoidFit(signalsOf(v, rows, cols, byColumns, probeIdx), L, indices(probeIdx.length));
    if (probe.explained < PROBE_MIN) continue;
    const sampled = C * L > MAX_FIT_ELEMENTS ? evenlySpaced(C, Math.max(PROBE_SIGNALS, Math.floor(MAX_FIT_ELEMENTS / L))) : null;
    const fit = C <= PROBE_SIGNALS ? probe : sinusoidFit(signalsOf(v, rows, cols, byColumns, sampled), L, indices(sampled ? sampled.length : C));
    if (fit.explained < threshold || (best && fit.explained <= best.score)) continue;
    const omegas = fit.omegas;
    const lo = Math.min(...omegas);
    const hi = Math.max(...omegas);
    best = {
      construction: "sinusoid-table",
      explained: clamp01(fit.explained),
      score: fit.explained,
      detail:
        `sinusoid table: ${L} positions × ${C} channels (positions along the ${byColumns ? "rows" : "columns"}), ` +
        `frequencies ${fmt(lo)}..${fmt(hi)} rad/position${sampled ? ` (fitted on ${sampled.length} channels)` : arrangement(omegas, L)}`,
    };
  }
  if (!best) return null;
  const { score: _score, ...recognised } = best;
  return recognised;
}

/** How the channels' frequencies are laid out: pairs (interleaved), two halves ([sin | cos]), or neither. */
function arrangement(omegas: number[], L: number): string {
  const C = omegas.length;
  // Frequencies below ~1/L are not resolved by L positions: any two of them count as the same.
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-3 * Math.max(a, b) + 0.5 / L;
  if (C >= 4 && C % 2 === 0) {
    if (omegas.every((w, i) => i % 2 === 1 || same(w, omegas[i + 1]!))) return ", interleaved sin/cos pairs";
    if (omegas.every((w, i) => i >= C / 2 || same(w, omegas[i + C / 2]!))) return ", two halves ([sin | cos] or repeated)";
  }
  return "";
}

/** Projected energy of x[off..off+L) onto span{sin(ωp), cos(ωp)}, p = 0..L−1 (rotation recurrence: no trig in the loop). */
function sinusoidProjection(x: Float32Array, off: number, L: number, omega: number): number {
  const cw = Math.cos(omega);
  const sw = Math.sin(omega);
  let c = 1;
  let s = 0;
  let xs = 0;
  let xc = 0;
  if (omega * L > 0.5 && Math.abs(sw) > 1e-9) {
    // The Gram entries in closed form: Σcos(2ωp) and Σsin(2ωp) over p < L.
    const k = Math.sin(L * omega) / sw;
    const c2 = k * Math.cos((L - 1) * omega);
    const s2 = k * Math.sin((L - 1) * omega);
    for (let p = 0; p < L; p++) {
      const v = x[off + p]!;
      xs += v * s;
      xc += v * c;
      const t = c * cw - s * sw;
      s = s * cw + c * sw;
      c = t;
    }
    return project2((L - c2) / 2, s2 / 2, (L + c2) / 2, xs, xc);
  }
  let ss = 0;
  let sc = 0;
  let cc = 0;
  for (let p = 0; p < L; p++) {
    const v = x[off + p]!;
    ss += s * s;
    sc += s * c;
    cc += c * c;
    xs += v * s;
    xc += v * c;
    const t = c * cw - s * sw;
    s = s * cw + c * sw;
    c = t;
  }
  return project2(ss, sc, cc, xs, xc);
}

const GRID = 8;
const GOLDEN_STEPS = 16;
const INV_PHI = (Math.sqrt(5) - 1) / 2;

/** A radix-2 FFT of fixed size M (a power of two), reused for every signal of one tensor. */
class Periodogram {
  readonly M: number;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly rev: Uint32Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  constructor(minSize: number) {
    let M = 1;
    let bits = 0;
    while (M < minSize) {
      M <<= 1;
      bits++;
    }
    this.M = M;
    this.re = new Float64Array(M);
    this.im = new Float64Array(M);
    this.rev = new Uint32Array(M);
    for (let i = 0; i < M; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.cos = Float64Array.from({ length: M / 2 }, (_, k) => Math.cos((2 * Math.PI * k) / M));
    this.sin = Float64Array.from({ length: M / 2 }, (_, k) => -Math.sin((2 * Math.PI * k) / M));
  }
  /** The frequency (rad/sample, 0..π) of the largest |X(ω)|² of x[off..off+L) zero-padded to M. */
  peak(x: Float32Array, off: number, L: number): number {
    const { M, re, im, rev } = this;
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < L; i++) re[rev[i]!] = x[off + i]!;
    for (let size = 2; size <= M; size <<= 1) {
      const half = size >> 1;
      const step = M / size;
      for (let start = 0; start < M; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step]!;
          const wi = this.sin[k * step]!;
          const i = start + k;
          const j = i + half;
          const tr = re[j]! * wr - im[j]! * wi;
          const ti = re[j]! * wi + im[j]! * wr;
          re[j] = re[i]! - tr;
          im[j] = im[i]! - ti;
          re[i] += tr;
          im[i] += ti;
        }
      }
    }
    let best = 0;
    let bestK = 0;
    for (let k = 0; k <= M / 2; k++) {
      const p = re[k]! ** 2 + im[k]! ** 2;
      if (p > best) {
        best = p;
        bestK = k;
      }
    }
    return (2 * Math.PI * bestK) / M;
  }
}

/** Sign changes counted with hysteresis (±0.3 rms), so noise around a crossing counts once. */
function crossingsWithHysteresis(x: Float32Array, off: number, L: number): number {
  let ss = 0;
  for (let i = 0; i < L; i++) ss += x[off + i]! ** 2;
  const h = 0.3 * Math.sqrt(ss / L);
  let state = 0;
  let c = 0;
  for (let i = 0; i < L; i++) {
    const v = x[off + i]!;
    if (v > h) {
      if (state < 0) c++;
      state = 1;
    } else if (v < -h) {
      if (state > 0) c++;
      state = -1;
    }
  }
  return c;
}

/**
 * The best a·sin(ωp) + b·cos(ωp) for one signal: ω bracketed twice (±1.5 bins
 * around the periodogram peak; ±1.5 crossings around the zero-crossing
 * count), a grid over each bracket, then golden section around the best point.
 */
function fitOneSinusoid(x: Float32Array, off: number, L: number, fft: Periodogram): { projected: number; omega: number } {
  const bin = (2 * Math.PI) / fft.M;
  const peak = fft.peak(x, off, L);
  const crossings = crossingsWithHysteresis(x, off, L);
  const brackets: [number, number][] = [[peak - 1.5 * bin, peak + 1.5 * bin]];
  const zl = (Math.PI * (crossings - 1.5)) / (L - 1);
  const zh = (Math.PI * (crossings + 1.5)) / (L - 1);
  // The zero-crossing bracket only when it is not already covered (clean sinusoids: it is).
  if (zl < peak - 1.5 * bin || zh > peak + 1.5 * bin) brackets.push([zl, zh]);
  let bestP = -1;
  let bestW = 0;
  let a = 0;
  let b = 0;
  for (const [l, h] of brackets) {
    const lo = Math.max(0, l);
    const hi = Math.min(Math.PI, h);
    const step = (hi - lo) / (GRID - 1);
    for (let i = 0; i < GRID; i++) {
      const w = lo + i * step;
      const p = sinusoidProjection(x, off, L, w);
      if (p > bestP) {
        bestP = p;
        bestW = w;
        a = Math.max(0, w - step);
        b = Math.min(Math.PI, w + step);
      }
    }
  }
  let c = b - INV_PHI * (b - a);
  let d = a + INV_PHI * (b - a);
  let pc = sinusoidProjection(x, off, L, c);
  let pd = sinusoidProjection(x, off, L, d);
  for (let it = 0; it < GOLDEN_STEPS; it++) {
    if (pc > pd) {
      b = d;
      d = c;
      pd = pc;
      c = b - INV_PHI * (b - a);
      pc = sinusoidProjection(x, off, L, c);
    } else {
      a = c;
      c = d;
      pc = pd;
      d = a + INV_PHI * (b - a);
      pd = sinusoidProjection(x, off, L, d);
    }
  }
  if (pc >= bestP && pc >= pd) return { projected: pc, omega: c };
  if (pd >= bestP) return { projected: pd, omega: d };
  return { projected: bestP, omega: bestW };
}

function sinusoidFit(x: Float32Array, L: number, which: number[]): { explained: number; omegas: number[] } {
  let rss = 0;
  let tss = 0;
  const omegas: number[] = [];
  const fft = new Periodogram(2 * L);
  for (const j of which) {
    const off = j * L;
    let energy = 0;
    for (let p = 0; p < L; p++) energy += x[off + p]! ** 2;
    const { projected, omega } = fitOneSinusoid(x, off, L, fft);
    rss += Math.max(0, energy - projected);
    tss += sumOfSquaresAboutMean(x, off, L);
    omegas.push(omega);
  }
  return { explained: tss > 0 ? 1 - rss / tss : 0, omegas };
}
