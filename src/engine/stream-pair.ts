/**
 * Stream one aligned pair from its two sources: the rows sampled-rows.ts
 * chooses, read block by block (a few blocks in flight on the fast path) and
 * fed to the pure accumulation in stats/pair-blocks.ts; and the same reads as
 * byte ranges, for the sources' read-ahead (read-plan.ts).
 */
import type { AlignedPair } from "../align/align.js";
import { BLOCK_ELEMENTS, MAX_TRANSPOSE_ELEMENTS, ViewReader } from "../align/read-view.js";
import { MAX_PERMUTE_ELEMENTS, type TensorView, readsWhole } from "../align/view.js";
import { PairKernel, acquireSlots } from "../kernels/kernel.js";
import { DECODABLE, bytesPerElement } from "../safetensors/dtypes.js";
import { type ByteRange, type WeightSource, readInto } from "../sources/types.js";
import { type PairOutcome, PairBlocks } from "../stats/pair-blocks.js";
import { type RowBlock, blocksOf, rowRanges } from "../stats/sampled-rows.js";

export type { PairOutcome } from "../stats/pair-blocks.js";

/** Blocks in flight per pair on the fast path (each up to BLOCK_ELEMENTS per side). */
const DEFAULT_PREFETCH_DEPTH = 4;

export interface PairOptions {
  /** Blocks in flight (fast path). */
  depth?: number;
  /** Fraction of rows to read (1 = exact). */
  fraction?: number;
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

/** Read `pair` (every row, or a sample of `options.fraction`) and return its statistics and sample. */
export async function comparePair(
  pair: AlignedPair,
  candidate: WeightSource,
  reference: WeightSource,
  options: PairOptions = {},
): Promise<PairOutcome> {
  const depth = options.depth ?? DEFAULT_PREFETCH_DEPTH;
  const cr = new ViewReader(candidate, pair.candidate);
  const rr = new ViewReader(reference, pair.reference);
  const { cols } = pair.candidate;
  const ranges = rowRanges(pair.candidate.rows, cols, options.fraction ?? 1, pair.reference.entry.name);
  const into = new PairBlocks(pair, ranges);
  const step = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, cols)));
  const blocks = blocksOf(ranges, step);
  const a = pair.candidate;
  const b = pair.reference;
  if (isPlain(a) && isPlain(b) && PairKernel.supports(a.entry.dtype, b.entry.dtype)) {
    await streamPlain({ pair, candidate, reference, blocks, depth }, into);
    return into.outcome();
  }
  // Other dtypes and layouts: decoded to Float32 rows, then summed by the same SIMD kernel as F32.
  for (const block of blocks) {
    const [fa, fb] = await Promise.all([cr.rows(block.r0, block.r1), rr.rows(block.r0, block.r1)]);
    into.addDecoded(block, fa, fb);
  }
  cr.release();
  rr.release();
  return into.outcome();
}

/** What the fast path reads: both views' stored rows, block by block, `depth` blocks in flight. */
interface PlainReads {
  pair: AlignedPair;
  candidate: WeightSource;
  reference: WeightSource;
  blocks: RowBlock[];
  depth: number;
}

/**
 * Fast path: file bytes straight into the SIMD kernel; only sampled values are decoded. Each block is
 * read into a slot of a slot kernel's memory (depth + 1 slot pairs: `depth` in flight and the one being
 * summed), so no buffer is allocated or copied per block.
 */
async function streamPlain(reads: PlainReads, into: PairBlocks): Promise<void> {
  const { pair, candidate, reference, blocks, depth } = reads;
  const a = pair.candidate;
  const b = pair.reference;
  const dtype = a.entry.dtype as "BF16" | "F32";
  const bpe = bytesPerElement(dtype);
  const pairs = depth + 1;
  const largest = blocks.reduce((m, { r0, r1 }) => Math.max(m, (r1 - r0) * a.cols), 0);
  const kernel = acquireSlots(Math.max(BLOCK_ELEMENTS, largest) * bpe, 2 * pairs);
  const candSide: PlainSide = { source: candidate, view: a, bpe };
  const refSide: PlainSide = { source: reference, view: b, bpe };
  // Keep `depth` blocks in flight so transfers overlap the kernel (wall time ~ max, not sum).
  const pending: Promise<unknown>[] = [];
  let next = 0;
  const issue = () => {
    if (next >= blocks.length) return;
    const k = next++;
    const block = blocks[k]!;
    const slot = 2 * (k % pairs);
    const p = Promise.all([readRows(candSide, block, kernel.slot(slot)), readRows(refSide, block, kernel.slot(slot + 1))]);
    p.catch(() => undefined); // surfaced when awaited below
    pending.push(p);
  };
  try {
    for (let i = 0; i < depth; i++) issue();
    for (let i = 0; i < blocks.length; i++) {
      await pending.shift()!;
      issue();
      const { r0, r1 } = blocks[i]!;
      const bytes = (r1 - r0) * a.cols * bpe;
      const slot = 2 * (i % pairs);
      const ba = kernel.slot(slot).subarray(0, bytes);
      const bb = kernel.slot(slot + 1).subarray(0, bytes);
      into.addRaw(blocks[i]!, dtype, ba, bb, (n, ka, kb) => kernel.runSlots(dtype, slot, slot + 1, n, ka, kb));
    }
  } finally {
    // Reads still in flight (after a failure) write into the slots: give the kernel back only once they settle.
    await Promise.allSettled(pending);
    kernel.release();
  }
}

/** Whole stored rows in storage order: canonical row blocks are contiguous byte ranges. */
function isPlain(v: TensorView): boolean {
  return !readsWhole(v) && v.cols === v.storedCols && !v.columnOrder;
}

/** One side of a plain pair: where its bytes come from, its view, and the bytes per element. */
interface PlainSide {
  source: WeightSource;
  view: TensorView;
  bpe: number;
}

/** Stored rows [r0, r1) of a plain view, read into `slot`. */
function readRows({ source, view: v, bpe }: PlainSide, { r0, r1 }: RowBlock, slot: Uint8Array): Promise<void> {
  const begin = v.entry.begin + (v.rowStart + r0) * v.storedCols * bpe;
  const length = (r1 - r0) * v.cols * bpe;
  return readInto(source, { file: v.entry.file, begin, end: begin + length }, slot.subarray(0, length));
}
