/**
 * Nulls measured on the same kind of tensor, in the same run:
 * - cross-layer: the candidate's layer i against the reference's layer j != i
 *   of the same role and shape (what two unrelated tensors of this kind give);
 * - shifted: the candidate's sample against the reference's sample with rows
 *   (or columns) shifted, which keeps any row/column pattern both tensors
 *   share by construction (unused-token rows, per-channel scales) and destroys
 *   the element-by-element correspondence a copy would have.
 */
import { clamp, momentsOf, pearson, pearsonOfMany } from "./pair-stats.js";
import type { SampleGrid } from "./sample.js";
import { Scratch } from "../common/scratch.js";

export interface SampledPair {
  layer: number | null;
  role: string;
  rowsSampled: number;
  colsSampled: number;
  /** Candidate and reference samples on the same grid. */
  a: Float32Array;
  b: Float32Array;
  /** The grid's canonical row and column indices (when the pair was streamed). */
  grid?: SampleGrid;
}

export interface NullStats {
  mean: number;
  sd: number;
  n: number;
  values: number[];
}

const SHIFTS = [1, 2, 3, 5, 8, 13, 21, 34];
/** The shifted controls' centred samples, reused from pair to pair (the controls run one pair at a time). */
const CENTRED_A = new Scratch();
const CENTRED_B = new Scratch();
/** Two reference layers whose samples correlate this much are copies of each other (depth up-scaling). */
const DUPLICATE_LAYER_R = 0.5;
const MAX_CROSS = 32;

function shiftedControls(p: SampledPair): number[] {
  const out: number[] = [];
  const mr = p.rowsSampled;
  const mc = p.colsSampled;
  if (p.a.length !== mr * mc || p.b.length !== mr * mc) {
    for (const s of SHIFTS) {
      const r1 = s < mr ? pearson(p.a, p.b, (i) => ((Math.floor(i / mc) + s) % mr) * mc + (i % mc)) : null;
      if (r1 !== null) out.push(r1);
      const r2 = s < mc ? pearson(p.a, p.b, (i) => i - (i % mc) + (((i % mc) + s) % mc)) : null;
      if (r2 !== null) out.push(r2);
    }
    return out;
  }
  // A shift only reorders b: the means and sums of squares are those of the unshifted pair, so each
  // shift costs one pass of centred products, both samples read in place.
  const { mean: ma, ss: caa } = momentsOf(p.a);
  const { mean: mb, ss: cbb } = momentsOf(p.b);
  if (!(caa > 0 && cbb > 0)) return out;
  const push = (cab: number) => (Number.isFinite(cab) ? out.push(clamp(cab / Math.sqrt(caa * cbb))) : 0);
  // Both samples centred once (the same differences the products would take, so the same sums).
  const n = mr * mc;
  const ca = CENTRED_A.take(n);
  const cb = CENTRED_B.take(n);
  for (let i = 0; i < n; i++) {
    ca[i] = p.a[i]! - ma;
    cb[i] = p.b[i]! - mb;
  }
  /** Σ (a[i + k] − ma)(b[j + k] − mb) over k < len. */
  const dot = (i: number, j: number, len: number) => {
    let s = 0;
    for (let k = 0; k < len; k++) s += ca[i + k]! * cb[j + k]!;
    return s;
  };
  for (const s of SHIFTS) {
    if (s < mr) {
      // Row r against b's row (r + s) mod mr: two runs of the flat arrays.
      const cut = (mr - s) * mc;
      push(dot(0, s * mc, cut) + dot(cut, 0, n - cut));
    }
    if (s < mc) {
      // Column c against b's column (c + s) mod mc, row by row.
      let cab = 0;
      for (let o = 0; o < n; o += mc) cab += dot(o, o + s, mc - s) + dot(o + mc - s, o, s);
      push(cab);
    }
  }
  return out;
}

function summarise(values: number[]): NullStats {
  const n = values.length;
  if (n === 0) return { mean: 0, sd: 0, n: 0, values };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n, values };
}

/** One null per pair: its own shifted controls plus cross-layer pairs of the same role and shape. */
export function nullsFor(pairs: (SampledPair | null)[]): (NullStats | null)[] {
  const groups = new Map<string, number[]>();
  pairs.forEach((p, i) => {
    if (!p) return;
    const key = `${p.role}|${p.rowsSampled}x${p.colsSampled}|${p.a.length}`;
    const g = groups.get(key) ?? [];
    g.push(i);
    groups.set(key, g);
  });
  // Pearson is symmetric bit for bit, so each reference-pair duplicate check is computed once; each
  // sample meets up to MAX_CROSS others, so its moments are computed once too.
  const dupR = new Map<number, number | null>();
  const pearsonOf = pearsonOfMany();
  return pairs.map((p, i) => {
    if (!p) return null;
    const values = shiftedControls(p);
    const group = groups.get(`${p.role}|${p.rowsSampled}x${p.colsSampled}|${p.a.length}`)!;
    let cross = 0;
    for (const j of group) {
      if (j === i || cross >= MAX_CROSS) continue;
      const q = pairs[j]!;
      if (q.layer === p.layer) continue;
      // A reference that duplicated its own layers makes this control a copy of the match: skip it.
      const key = Math.min(i, j) * pairs.length + Math.max(i, j);
      let dup = dupR.get(key);
      if (dup === undefined) dupR.set(key, (dup = pearsonOf(p.b, q.b)));
      if (dup !== null && Math.abs(dup) > DUPLICATE_LAYER_R) continue;
      const r = pearsonOf(p.a, q.b);
      if (r !== null) {
        values.push(r);
        cross++;
      }
    }
    return summarise(values);
  });
}

/** Raw (uncentred) cosine of two sample arrays. */
export function rawCosine(a: Float32Array, b: Float32Array): number | null {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null;
}

/**
 * Layer x layer similarity from the samples: for each role with one sample
 * grid, candidate layer i's sample against reference layer j's. `pick`
 * chooses which roles count; values are averaged over roles.
 */
export function layerMatrixOf(
  pairs: (SampledPair | null)[],
  pick: (p: SampledPair) => boolean,
  stat: (a: Float32Array, b: Float32Array) => number | null,
): { candidateLayers: number[]; referenceLayers: number[]; values: (number | null)[][] } | null {
  const usable = pairs.filter((p): p is SampledPair => p !== null && p.layer !== null && pick(p));
  if (usable.length === 0) return null;
  const layers = [...new Set(usable.map((p) => p.layer!))].sort((a, b) => a - b);
  const sum = layers.map(() => layers.map(() => 0));
  const cnt = layers.map(() => layers.map(() => 0));
  const groups = new Map<string, SampledPair[]>();
  for (const p of usable) {
    const key = `${p.role}|${p.rowsSampled}x${p.colsSampled}|${p.a.length}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  for (const g of groups.values()) {
    for (const c of g) {
      for (const r of g) {
        const v = stat(c.a, r.b);
        if (v === null) continue;
        const i = layers.indexOf(c.layer!);
        const j = layers.indexOf(r.layer!);
        sum[i]![j]! += v;
        cnt[i]![j]! += 1;
      }
    }
  }
  return { candidateLayers: layers, referenceLayers: layers, values: sum.map((row, i) => row.map((v, j) => (cnt[i]![j]! ? v / cnt[i]![j]! : null))) };
}
