/**
 * mel-filterbank (2-D, filters along either axis, ≥ 8 filters, ≥ 16 bins):
 * structure first: no element below −1e-6·max; ≤ 1/4 of the filters empty;
 * each filter's support contiguous and the filter unimodal on it; peaks,
 * centroids and both support edges non-decreasing from filter to filter,
 * and centroids and both edges each moving ≥ 1/8 of the bins (so a causal
 * mask, either way round, is no filterbank); adjacent filters sharing a bin
 * in at least half of the pairs (a triangular bank's feet are its
 * neighbours' centres); supports ≥ 2 bins on average. Then the fit: each
 * filter's rising and falling flanks as straight lines in the bin index
 * (triangles in Hz: Slaney or HTK mel, normalised or not). explained =
 * 1 − RSS / Σ per-filter variance, recognised at ≥ 0.9 (0.85 hinted).
 */

import { signalsOf, sumOfSquaresAboutMean } from "./fit-helpers.js";
import { type Recognised, clamp01, HINTED, hinted, THRESHOLDS } from "./recognised.js";

export function recogniseMel(v: Float32Array, rows: number, cols: number, name?: string): Recognised | null {
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
    const r = melFit(signalsOf({ data: v, rows, cols }, byColumns), M, F, max);
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
    rss += triangleRss(x, off, { lo, peak, hi });
    tss += sumOfSquaresAboutMean(x, off, F);
  }
  const filters = M - empty;
  if (empty > M / 4 || filters < 8) return null;
  if (overlaps < pairs / 2 || widthSum / filters < 2) return null;
  if (prevCentroid - firstCentroid < F / 8 || prevLo - firstLo < F / 8 || prevHi - firstHi < F / 8) return null;
  return { explained: tss > 0 ? 1 - rss / tss : 0, empty };
}

/** RSS of a filter's support as two straight lines (rising to the peak, falling after it), the peak bin on either side. */
function triangleRss(x: Float32Array, off: number, { lo, peak, hi }: { lo: number; peak: number; hi: number }): number {
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
