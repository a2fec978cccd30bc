/** Stream one aligned pair: exact statistics plus a sample of both sides for the controls. */
import type { WeightSource } from "../sources/types.js";
import type { AlignedPair } from "./align.js";
import { PairAccumulator, type PairStats } from "./pair-stats.js";
import { BLOCK_ELEMENTS, ViewReader } from "./read-view.js";
import { type SampleGrid, SampleCollector, sampleGrid } from "./sample.js";
import { bytesPerElement, decodeInto } from "../safetensors/dtypes.js";
import { PairKernel, pairKernel } from "./kernel.js";
import type { TensorView } from "./view.js";
import type { SampledPair } from "./controls.js";

export interface PairOutcome {
  stats: PairStats;
  sample: SampledPair;
}

/** Blocks in flight per pair on the fast path (each up to BLOCK_ELEMENTS per side). */
export const DEFAULT_PREFETCH_DEPTH = 4;

export async function comparePair(
  pair: AlignedPair,
  candidate: WeightSource,
  reference: WeightSource,
  depth = DEFAULT_PREFETCH_DEPTH,
): Promise<PairOutcome> {
  const cr = new ViewReader(candidate, pair.candidate);
  const rr = new ViewReader(reference, pair.reference);
  const { rows, cols } = pair.candidate;
  const grid = sampleGrid(rows, cols);
  const sa = new SampleCollector(grid, cols);
  const sb = new SampleCollector(grid, cols);
  const acc = new PairAccumulator();
  const step = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, cols)));
  const a = pair.candidate;
  const b = pair.reference;
  if (isPlain(a) && isPlain(b) && PairKernel.supports(a.entry.dtype, b.entry.dtype)) {
    // Fast path: file bytes straight into the SIMD kernel; only sampled values are decoded.
    const dtype = a.entry.dtype as "BF16" | "F32";
    const bpe = bytesPerElement(dtype);
    const kernel = pairKernel();
    let ka = 0;
    let kb = 0;
    // Keep `depth` blocks in flight so transfers overlap the kernel (wall time ~ max, not sum).
    const pending: Promise<[Uint8Array, Uint8Array]>[] = [];
    let nextRow = 0;
    const issue = () => {
      if (nextRow >= rows) return;
      const q0 = nextRow;
      const q1 = Math.min(rows, q0 + step);
      nextRow = q1;
      const p = Promise.all([readRows(candidate, a, q0, q1, bpe), readRows(reference, b, q0, q1, bpe)]);
      p.catch(() => undefined); // surfaced when awaited below
      pending.push(p);
    };
    for (let i = 0; i < depth; i++) issue();
    for (let r0 = 0; r0 < rows; r0 += step) {
      const r1 = Math.min(rows, r0 + step);
      const n = (r1 - r0) * cols;
      const [ba, bb] = await pending.shift()!;
      issue();
      if (r0 === 0) {
        // Shift by each tensor's approximate mean so the f32 partial sums do not cancel.
        ka = leadingMean(dtype, ba, n);
        kb = leadingMean(dtype, bb, n);
      }
      const s = kernel.run(dtype, ba, bb, n, ka, kb);
      if (s.nonFinite) {
        // Rare: let the Float32 path skip and count the non-finite values.
        const fa = new Float32Array(n);
        const fb = new Float32Array(n);
        decodeInto(dtype, ba, 0, n, fa);
        decodeInto(dtype, bb, 0, n, fb);
        acc.add(fa, fb, n);
      } else acc.addShifted(s);
      sa.offerRaw(r0, ba, r1 - r0, dtype);
      sb.offerRaw(r0, bb, r1 - r0, dtype);
    }
    return { stats: acc.result(), sample: sampled(pair, grid, sa, sb) };
  }
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const [a, b] = await Promise.all([cr.rows(r0, r1), rr.rows(r0, r1)]);
    acc.add(a, b, (r1 - r0) * cols);
    sa.offer(r0, a, r1 - r0);
    sb.offer(r0, b, r1 - r0);
  }
  cr.release();
  rr.release();
  return { stats: acc.result(), sample: sampled(pair, grid, sa, sb) };
}

function sampled(pair: AlignedPair, grid: SampleGrid, sa: SampleCollector, sb: SampleCollector): SampledPair {
  return { layer: pair.layer, role: pair.role, rowsSampled: grid.rows.length, colsSampled: grid.cols.length, a: sa.values, b: sb.values };
}

/** Whole stored rows in storage order: canonical row blocks are contiguous byte ranges. */
function isPlain(v: TensorView): boolean {
  return !v.transpose && v.cols === v.storedCols;
}

function readRows(source: WeightSource, v: TensorView, r0: number, r1: number, bpe: number): Promise<Uint8Array> {
  const begin = v.entry.begin + (v.rowStart + r0) * v.storedCols * bpe;
  return source.read(v.entry.file, begin, begin + (r1 - r0) * v.cols * bpe);
}

/** Mean of the first values of a block (finite ones), as the kernel's shift. */
function leadingMean(dtype: string, bytes: Uint8Array, n: number): number {
  const k = Math.min(n, 4096);
  const f = new Float32Array(k);
  decodeInto(dtype, bytes, 0, k, f);
  let s = 0;
  let c = 0;
  for (let i = 0; i < k; i++) if (Number.isFinite(f[i]!)) {
    s += f[i]!;
    c++;
  }
  return c ? s / c : 0;
}
