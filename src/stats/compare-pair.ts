/** Stream one aligned pair: exact statistics plus a sample of both sides for the controls. */
import type { ByteRange, WeightSource } from "../sources/types.js";
import type { AlignedPair } from "../align/align.js";
import { PairAccumulator, type PairStats } from "./pair-stats.js";
import { BLOCK_ELEMENTS, MAX_TRANSPOSE_ELEMENTS, ViewReader } from "../align/read-view.js";
import { type SampleGrid, SampleCollector, sampleGridIn } from "./sample.js";
import { DECODABLE, bytesPerElement, decodeInto } from "../safetensors/dtypes.js";
import { PairKernel, pairKernel } from "../kernels/kernel.js";
import { MAX_PERMUTE_ELEMENTS, type TensorView, readsWhole } from "../align/view.js";
import type { SampledPair } from "./controls.js";

export interface PairOutcome {
  stats: PairStats;
  sample: SampledPair;
  /** Set in sampled mode when only some rows were read. */
  sampling: { fraction: number; elements: number; pearsonSe: number | null } | null;
}

/** Blocks in flight per pair on the fast path (each up to BLOCK_ELEMENTS per side). */
const DEFAULT_PREFETCH_DEPTH = 4;
/**
 * Elements a sampled matrix reads at least (tensors this small are read whole): 256 Ki from a 5%
 * sample up, scaled down with the fraction below it to 32 Ki, so that the auto rule's small fractions
 * (a 100B MoE's ~17k expert matrices of ~6 M elements) read about the fraction asked, not the floor.
 * The direct test's grid holds at most 16 Ki values either way.
 */
export function sampleMinElements(fraction: number): number {
  return Math.max(1 << 15, Math.min(1 << 18, Math.round(((1 << 18) * fraction) / 0.05)));
}
/** Chunks per sampled matrix at most, and the elements a chunk holds at least (fewer, larger chunks for small matrices: a 100B MoE has ~17k expert matrices, each chunk a request). */
const SAMPLE_CHUNKS = 16;
const CHUNK_MIN_ELEMENTS = 1 << 16;

export interface PairOptions {
  /** Blocks in flight (fast path). */
  depth?: number;
  /** Fraction of rows to read (1 = exact). */
  fraction?: number;
}

/**
 * The rows to read: all of them, or in sampled mode ~fraction of them in
 * 2 to SAMPLE_CHUNKS contiguous chunks of at least CHUNK_MIN_ELEMENTS each
 * (few ranged requests), spread evenly with a
 * deterministic offset derived from the *reference* tensor's name: every
 * candidate compared with that reference reads the same reference rows, so the
 * reference cache serves them all, whatever the candidates' names.
 */
function rowRanges(rows: number, cols: number, fraction: number, name: string): [number, number][] {
  const minElements = sampleMinElements(fraction);
  if (fraction >= 1 || rows * cols <= minElements || rows < 2 * SAMPLE_CHUNKS) return [[0, rows]];
  const want = Math.min(rows, Math.max(Math.ceil(fraction * rows), Math.ceil(minElements / cols)));
  if (want >= rows) return [[0, rows]];
  const chunks = Math.max(2, Math.min(SAMPLE_CHUNKS, Math.floor((want * cols) / CHUNK_MIN_ELEMENTS)));
  const chunkRows = Math.max(1, Math.ceil(want / chunks));
  const spacing = rows / chunks;
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  const slack = Math.max(0, Math.floor(spacing) - chunkRows);
  const offset = slack > 0 ? h % (slack + 1) : 0;
  const out: [number, number][] = [];
  for (let c = 0; c < chunks; c++) {
    const start = Math.min(rows - 1, Math.floor(c * spacing) + offset);
    const end = Math.min(rows, start + chunkRows);
    if (out.length && start < out[out.length - 1]![1]) continue;
    out.push([start, end]);
  }
  return out;
}

/** Blocks of at most `step` rows inside the ranges, each tagged with its range index. */
function blocksOf(ranges: [number, number][], step: number): { r0: number; r1: number; chunk: number }[] {
  const out: { r0: number; r1: number; chunk: number }[] = [];
  ranges.forEach(([s, e], chunk) => {
    for (let r0 = s; r0 < e; r0 += step) out.push({ r0, r1: Math.min(e, r0 + step), chunk });
  });
  return out;
}

/**
 * The byte ranges comparePair will read for `pair`, per side, in the order it
 * reads them (for the sources' read-ahead). Pairs that cannot be read (a dtype
 * that does not decode, a transposed tensor over the in-memory cap) read nothing.
 */
export function pairReads(pair: AlignedPair, fraction: number): { candidate: ByteRange[]; reference: ByteRange[] } {
  const a = pair.candidate;
  const b = pair.reference;
  const none = { candidate: [], reference: [] };
  if (!DECODABLE.has(a.entry.dtype) || !DECODABLE.has(b.entry.dtype)) return none;
  for (const v of [a, b]) if (v.transpose && v.storedRows * v.storedCols > MAX_TRANSPOSE_ELEMENTS) return none;
  for (const v of [a, b]) if (v.axes && v.storedRows * v.storedCols > MAX_PERMUTE_ELEMENTS) return none;
  const ranges = rowRanges(a.rows, a.cols, fraction, b.entry.name);
  const step = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, a.cols)));
  const blocks = blocksOf(ranges, step);
  const side = (v: TensorView): ByteRange[] => {
    const bpe = bytesPerElement(v.entry.dtype);
    // A transposed or permuted view is read whole, once.
    if (readsWhole(v)) return [{ file: v.entry.file, begin: v.entry.begin, end: v.entry.begin + v.storedRows * v.storedCols * bpe }];
    return blocks.map(({ r0, r1 }) => {
      const begin = v.entry.begin + (v.rowStart + r0) * v.storedCols * bpe;
      return { file: v.entry.file, begin, end: begin + (r1 - r0) * v.storedCols * bpe };
    });
  };
  return { candidate: side(a), reference: side(b) };
}

export async function comparePair(
  pair: AlignedPair,
  candidate: WeightSource,
  reference: WeightSource,
  options: PairOptions = {},
): Promise<PairOutcome> {
  const depth = options.depth ?? DEFAULT_PREFETCH_DEPTH;
  const cr = new ViewReader(candidate, pair.candidate);
  const rr = new ViewReader(reference, pair.reference);
  const { rows, cols } = pair.candidate;
  const ranges = rowRanges(rows, cols, options.fraction ?? 1, pair.reference.entry.name);
  const grid = sampleGridIn(ranges, cols);
  const sa = new SampleCollector(grid, cols);
  const sb = new SampleCollector(grid, cols);
  const acc = new PairAccumulator();
  // In sampled mode, one accumulator per chunk measures the sampling error empirically.
  const chunkAcc = ranges.length > 1 ? ranges.map(() => new PairAccumulator()) : null;
  const step = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, cols)));
  const blocks = blocksOf(ranges, step);
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
    let next = 0;
    const issue = () => {
      if (next >= blocks.length) return;
      const { r0, r1 } = blocks[next++]!;
      const p = Promise.all([readRows(candidate, a, r0, r1, bpe), readRows(reference, b, r0, r1, bpe)]);
      p.catch(() => undefined); // surfaced when awaited below
      pending.push(p);
    };
    for (let i = 0; i < depth; i++) issue();
    for (let i = 0; i < blocks.length; i++) {
      const { r0, r1, chunk } = blocks[i]!;
      const n = (r1 - r0) * cols;
      const [ba, bb] = await pending.shift()!;
      issue();
      if (i === 0) {
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
        chunkAcc?.[chunk]!.add(fa, fb, n);
      } else {
        acc.addShifted(s);
        chunkAcc?.[chunk]!.addShifted(s);
      }
      sa.offerRaw(r0, ba, r1 - r0, dtype);
      sb.offerRaw(r0, bb, r1 - r0, dtype);
    }
    return outcome(pair, grid, sa, sb, acc, chunkAcc, rows);
  }
  // Other dtypes and layouts: decoded to Float32 rows, then summed by the same SIMD kernel as F32.
  const kernel = pairKernel();
  let ka: number | null = null;
  let kb = 0;
  for (const { r0, r1, chunk } of blocks) {
    const [fa, fb] = await Promise.all([cr.rows(r0, r1), rr.rows(r0, r1)]);
    const n = (r1 - r0) * cols;
    if (ka === null) {
      ka = finiteMean(fa, n);
      kb = finiteMean(fb, n);
    }
    const s = kernel.run("F32", new Uint8Array(fa.buffer, fa.byteOffset, n * 4), new Uint8Array(fb.buffer, fb.byteOffset, n * 4), n, ka, kb);
    if (s.nonFinite) {
      acc.add(fa, fb, n);
      chunkAcc?.[chunk]!.add(fa, fb, n);
    } else {
      acc.addShifted(s);
      chunkAcc?.[chunk]!.addShifted(s);
    }
    sa.offer(r0, fa, r1 - r0);
    sb.offer(r0, fb, r1 - r0);
  }
  cr.release();
  rr.release();
  return outcome(pair, grid, sa, sb, acc, chunkAcc, rows);
}

function outcome(
  pair: AlignedPair,
  grid: SampleGrid,
  sa: SampleCollector,
  sb: SampleCollector,
  acc: PairAccumulator,
  chunkAcc: PairAccumulator[] | null,
  rows: number,
): PairOutcome {
  const stats = acc.result();
  let sampling: PairOutcome["sampling"] = null;
  if (chunkAcc) {
    const rs = chunkAcc.map((c) => c.result().pearson).filter((r): r is number => r !== null);
    const m = rs.length;
    const mean = rs.reduce((x, y) => x + y, 0) / Math.max(1, m);
    const sd = m > 1 ? Math.sqrt(rs.reduce((x, y) => x + (y - mean) ** 2, 0) / (m - 1)) : null;
    const readRows = pair.candidate.cols > 0 ? stats.n / pair.candidate.cols : 0;
    sampling = { fraction: readRows / rows, elements: stats.n, pearsonSe: sd === null ? null : sd / Math.sqrt(m) };
  }
  return { stats, sample: sampled(pair, grid, sa, sb), sampling };
}

function sampled(pair: AlignedPair, grid: SampleGrid, sa: SampleCollector, sb: SampleCollector): SampledPair {
  return { layer: pair.layer, role: pair.role, rowsSampled: grid.rows.length, colsSampled: grid.cols.length, a: sa.values, b: sb.values, grid };
}

/** Whole stored rows in storage order: canonical row blocks are contiguous byte ranges. */
function isPlain(v: TensorView): boolean {
  return !readsWhole(v) && v.cols === v.storedCols;
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
  return finiteMean(f, k);
}

/** Mean of the finite values among the first min(n, 4096) (the kernel's shift, so f32 partial sums do not cancel). */
function finiteMean(f: Float32Array, n: number): number {
  const k = Math.min(n, 4096);
  let s = 0;
  let c = 0;
  for (let i = 0; i < k; i++) if (Number.isFinite(f[i]!)) {
    s += f[i]!;
    c++;
  }
  return c ? s / c : 0;
}
