import type { ShiftedSums } from "../kernels/kernel.js";

/**
 * Exact statistics of an aligned tensor pair, streamed block by block:
 * raw cosine, Pearson (centred, merged across blocks with Chan's formulas so
 * large means do not cancel), and element identity. Float64 accumulators;
 * constant tensors give a null Pearson, never NaN.
 */

export interface PairStats {
  /** Element pairs counted (non-finite pairs are skipped and counted in nonFinite). */
  n: number;
  cosine: number | null;
  pearson: number | null;
  identical: boolean;
  nonFinite: number;
  meanA: number;
  meanB: number;
  sdA: number;
  sdB: number;
}

/** One block's count, means, centred sums (caa, cbb, cab) and raw sums (raa, rbb, rab). */
interface BlockMoments {
  n: number;
  ma: number;
  mb: number;
  caa: number;
  cbb: number;
  cab: number;
  raa: number;
  rbb: number;
  rab: number;
}

export class PairAccumulator {
  private n = 0;
  private meanA = 0;
  private meanB = 0;
  private m2A = 0;
  private m2B = 0;
  private cAB = 0;
  private rawAA = 0;
  private rawBB = 0;
  private rawAB = 0;
  private identical = true;
  private nonFinite = 0;

  /** Add one block of paired values (same length). */
  add(a: Float32Array, b: Float32Array, len = a.length): void {
    let n = 0;
    let sa = 0;
    let sb = 0;
    let saa = 0;
    let sbb = 0;
    let sab = 0;
    let same = this.identical;
    for (let i = 0; i < len; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x !== y) same = false;
      if (x - x !== 0 || y - y !== 0) {
        this.nonFinite++;
        continue;
      }
      n++;
      sa += x;
      sb += y;
      saa += x * x;
      sbb += y * y;
      sab += x * y;
    }
    this.identical = same;
    if (n === 0) return;
    const ma = sa / n;
    const mb = sb / n;
    // Second pass, centred on the block means: exact even when |mean| >> sd.
    let caa = 0;
    let cbb = 0;
    let cab = 0;
    for (let i = 0; i < len; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x - x !== 0 || y - y !== 0) continue;
      const dx = x - ma;
      const dy = y - mb;
      caa += dx * dx;
      cbb += dy * dy;
      cab += dx * dy;
    }
    this.merge({ n, ma, mb, caa, cbb, cab, raa: saa, rbb: sbb, rab: sab });
  }

  /** Chan's parallel merge of one block (its count, means, centred sums and raw sums). */
  private merge(b: BlockMoments): void {
    const { n, ma, mb, caa, cbb, cab, raa, rbb, rab } = b;
    const tot = this.n + n;
    const da = ma - this.meanA;
    const db = mb - this.meanB;
    const f = (this.n * n) / tot;
    this.m2A += caa + da * da * f;
    this.m2B += cbb + db * db * f;
    this.cAB += cab + da * db * f;
    this.meanA += (da * n) / tot;
    this.meanB += (db * n) / tot;
    this.n = tot;
    this.rawAA += raa;
    this.rawBB += rbb;
    this.rawAB += rab;
  }

  /** Merge one block of shifted sums from the SIMD kernel (values a = ka + a', b = kb + b'). */
  addShifted(s: ShiftedSums): void {
    const n = s.n;
    if (n === 0) return;
    if (s.differs) this.identical = false;
    const ma = s.ka + s.sa / n;
    const mb = s.kb + s.sb / n;
    const caa = Math.max(0, s.saa - (s.sa * s.sa) / n);
    const cbb = Math.max(0, s.sbb - (s.sb * s.sb) / n);
    const cab = s.sab - (s.sa * s.sb) / n;
    this.merge({
      n,
      ma,
      mb,
      caa,
      cbb,
      cab,
      raa: s.saa + 2 * s.ka * s.sa + n * s.ka * s.ka,
      rbb: s.sbb + 2 * s.kb * s.sb + n * s.kb * s.kb,
      rab: s.sab + s.kb * s.sa + s.ka * s.sb + n * s.ka * s.kb,
    });
  }

  result(): PairStats {
    const { n } = this;
    const cosDen = Math.sqrt(this.rawAA * this.rawBB);
    // Relative tolerance: a tensor whose spread is float noise around its mean is constant.
    const constA = this.m2A <= 1e-12 * Math.max(this.rawAA, Number.MIN_VALUE);
    const constB = this.m2B <= 1e-12 * Math.max(this.rawBB, Number.MIN_VALUE);
    const pearson = n > 1 && !constA && !constB ? clamp(this.cAB / Math.sqrt(this.m2A * this.m2B)) : null;
    return {
      n,
      cosine: cosDen > 0 ? clamp(this.rawAB / cosDen) : null,
      pearson,
      identical: this.identical && this.nonFinite === 0 && n > 0,
      nonFinite: this.nonFinite,
      meanA: this.meanA,
      meanB: this.meanB,
      sdA: n > 0 ? Math.sqrt(this.m2A / n) : 0,
      sdB: n > 0 ? Math.sqrt(this.m2B / n) : 0,
    };
  }
}

export function clamp(x: number): number {
  return x > 1 ? 1 : x < -1 ? -1 : x;
}

/** Pearson of two equal-length sample arrays (or of `b` read through an index map). */
export function pearson(a: Float32Array, b: Float32Array, index?: (i: number) => number): number | null {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[index ? index(i) : i]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let caa = 0;
  let cbb = 0;
  let cab = 0;
  for (let i = 0; i < n; i++) {
    const dx = a[i]! - ma;
    const dy = b[index ? index(i) : i]! - mb;
    caa += dx * dx;
    cbb += dy * dy;
    cab += dx * dy;
  }
  if (!(caa > 0 && cbb > 0) || !Number.isFinite(cab)) return null;
  return clamp(cab / Math.sqrt(caa * cbb));
}

/** An array's mean and centred sum of squares, as `pearson` computes them. */
export interface Moments {
  mean: number;
  ss: number;
}

export function momentsOf(a: Float32Array): Moments {
  const n = a.length;
  let sa = 0;
  for (let i = 0; i < n; i++) sa += a[i]!;
  const mean = sa / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - mean;
    ss += d * d;
  }
  return { mean, ss };
}

/**
 * `pearson` for many pairs among the same arrays (the nulls' cross-layer pairs, the layer matrix):
 * each array's moments are computed once, so a pair costs one pass instead of two. The same sums in
 * the same order: the same value to the last bit. Arrays must not change while the function is used.
 */
export function pearsonOfMany(): (a: Float32Array, b: Float32Array) => number | null {
  const known = new Map<Float32Array, Moments>();
  const of = (x: Float32Array) => {
    let m = known.get(x);
    if (!m) known.set(x, (m = momentsOf(x)));
    return m;
  };
  return (a, b) => {
    const n = a.length;
    const { mean: ma, ss: caa } = of(a);
    const { mean: mb, ss: cbb } = of(b);
    let cab = 0;
    for (let i = 0; i < n; i++) cab += (a[i]! - ma) * (b[i]! - mb);
    if (!(caa > 0 && cbb > 0) || !Number.isFinite(cab)) return null;
    return clamp(cab / Math.sqrt(caa * cbb));
  };
}

/** Σ(a − b)² / Σb²: how far `a` is from the same values as `b` (0 for equal; Infinity when b is all zero). */
export function relativeSquaredDifference(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return n > 0 ? d / n : Infinity;
}
