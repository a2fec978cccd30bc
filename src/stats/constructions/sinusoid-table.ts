/**
 * sinusoid-table (2-D, positions along either axis, ≥ 8 positions, ≥ 2
 * channels, ≥ 256 elements: sinusoidal position tables, interleaved or
 * [sin | cos], rotary cos/sin caches): each channel a·sin(ωp) + b·cos(ωp)
 * with its own ω ∈ [0, π], bracketed by the periodogram peak (zero-padded
 * FFT) and by the zero-crossing count (with hysteresis), searched on a grid
 * over each bracket and refined by golden section; a, b by least squares.
 * explained = 1 − RSS / Σ per-channel variance, recognised at ≥ 0.9 (0.85
 * hinted). A table moved a little by training (noise 0.1 of amplitude 1)
 * stays ≥ 0.9; a Gaussian matrix of ≥ 256 elements stays below ~0.65
 * (8 positions: the worst case), below 0.07 from 64 × 64 up.
 */

import { evenlySpaced, indices, project2, signalsOf, sumOfSquaresAboutMean } from "./fit-helpers.js";
import { type Recognised, clamp01, fmt, HINTED, hinted, MAX_FIT_ELEMENTS, MIN_FIT_ELEMENTS, PROBE_MIN, PROBE_SIGNALS, THRESHOLDS } from "./recognised.js";

export function recogniseSinusoidTable(v: Float32Array, rows: number, cols: number, name?: string): Recognised | null {
  const threshold = hinted(name, "sinusoid-table") ? HINTED.sinusoid : THRESHOLDS.sinusoid;
  let best: (Recognised & { score: number }) | null = null;
  for (const byColumns of [true, false]) {
    const L = byColumns ? rows : cols;
    const C = byColumns ? cols : rows;
    if (L < 8 || C < 2 || L * C < MIN_FIT_ELEMENTS) continue;
    const probeIdx = evenlySpaced(C, PROBE_SIGNALS);
    const probe = sinusoidFit(signalsOf({ data: v, rows, cols }, byColumns, probeIdx), L, indices(probeIdx.length));
    if (probe.explained < PROBE_MIN) continue;
    const sampled = C * L > MAX_FIT_ELEMENTS ? evenlySpaced(C, Math.max(PROBE_SIGNALS, Math.floor(MAX_FIT_ELEMENTS / L))) : null;
    const fit = C <= PROBE_SIGNALS ? probe : sinusoidFit(signalsOf({ data: v, rows, cols }, byColumns, sampled), L, indices(sampled ? sampled.length : C));
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
