/**
 * Which rows of an aligned pair are read: all of them, or in sampled mode a
 * fraction in a few contiguous chunks, and the blocks they are read in. Pure:
 * the engine turns them into byte ranges and reads (engine/stream-pair.ts).
 */

/** Rows [r0, r1) of one block, inside the chunk (row range) `chunk`. */
export interface RowBlock {
  r0: number;
  r1: number;
  chunk: number;
}

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

/**
 * The rows to read: all of them, or in sampled mode ~fraction of them in
 * 2 to SAMPLE_CHUNKS contiguous chunks of at least CHUNK_MIN_ELEMENTS each
 * (few ranged requests), spread evenly with a
 * deterministic offset derived from the *reference* tensor's name: every
 * candidate compared with that reference reads the same reference rows, so the
 * reference cache serves them all, whatever the candidates' names.
 */
export function rowRanges(rows: number, cols: number, fraction: number, name: string): [number, number][] {
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
export function blocksOf(ranges: [number, number][], step: number): RowBlock[] {
  const out: RowBlock[] = [];
  ranges.forEach(([s, e], chunk) => {
    for (let r0 = s; r0 < e; r0 += step) out.push({ r0, r1: Math.min(e, r0 + step), chunk });
  });
  return out;
}
