/**
 * Read a TensorView as canonical Float32 row blocks. Plain views stream by
 * byte range; a transposed view needs the whole stored tensor decoded once.
 */
import { FormatError } from "../common/errors.js";
import { DECODABLE, bytesPerElement, decodeInto } from "../safetensors/dtypes.js";
import type { WeightSource } from "../sources/types.js";
import { MAX_PERMUTE_ELEMENTS, type TensorView, permuteAxes, reorderColumns } from "./view.js";

/** A transposed view is decoded whole: at most this many elements (256 MiB as Float32). */
export const MAX_TRANSPOSE_ELEMENTS = 64 * 1024 * 1024;

/** Elements per block: 1 Mi floats = 4 MiB per side. */
export const BLOCK_ELEMENTS = 1 << 20;

function checkDecodable(v: TensorView): void {
  if (!DECODABLE.has(v.entry.dtype)) {
    throw new FormatError(v.entry.file, `unsupported dtype ${v.entry.dtype} (decodable: ${[...DECODABLE].join(", ")})`, v.entry.name);
  }
}

export class ViewReader {
  private whole: Float32Array | null = null;
  private scratch: Float32Array | null = null;

  constructor(
    private readonly source: WeightSource,
    readonly view: TensorView,
  ) {
    checkDecodable(view);
  }

  /** Canonical rows [r0, r1) as a Float32Array of (r1 - r0) * cols values (reused between calls). */
  async rows(r0: number, r1: number): Promise<Float32Array> {
    const out = await this.storedOrderRows(r0, r1);
    // Another flatten order (a port's dense layer after the flatten): columns reordered row by row.
    if (this.view.columnOrder) reorderColumns(out, this.view.cols, this.view.columnOrder);
    return out;
  }

  /** Canonical rows [r0, r1) with their columns in the order read (before `columnOrder`). */
  private async storedOrderRows(r0: number, r1: number): Promise<Float32Array> {
    const v = this.view;
    const n = (r1 - r0) * v.cols;
    if (!this.scratch || this.scratch.length < n) this.scratch = new Float32Array(n);
    const out = this.scratch.subarray(0, n);
    const bpe = bytesPerElement(v.entry.dtype);
    if (v.axes) {
      if (!this.whole) {
        const total = v.storedRows * v.storedCols;
        if (total > MAX_PERMUTE_ELEMENTS) {
          throw new FormatError(v.entry.file, `too large to compare in layout [${v.axes.join(", ")}] in memory (${total} elements, limit ${MAX_PERMUTE_ELEMENTS}); counted as unread`, v.entry.name);
        }
        const bytes = await this.source.read(v.entry.file, v.entry.begin, v.entry.begin + total * bpe);
        const stored = new Float32Array(total);
        decodeInto(v.entry.dtype, bytes, 0, total, stored);
        this.whole = permuteAxes(stored, v.entry.shape, v.axes);
      }
      const from = (v.rowStart + r0) * v.cols;
      out.set(this.whole.subarray(from, from + n));
      return out;
    }
    if (v.transpose) {
      if (!this.whole) {
        const total = v.storedRows * v.storedCols;
        if (total > MAX_TRANSPOSE_ELEMENTS) {
          // Bounded memory whatever the file claims: the pair is reported unread, never independent.
          throw new FormatError(v.entry.file, `too large to compare transposed in memory (${total} elements, limit ${MAX_TRANSPOSE_ELEMENTS}); counted as unread`, v.entry.name);
        }
        const bytes = await this.source.read(v.entry.file, v.entry.begin, v.entry.begin + total * bpe);
        this.whole = new Float32Array(total);
        decodeInto(v.entry.dtype, bytes, 0, total, this.whole);
      }
      const w = this.whole;
      const sc = v.storedCols;
      for (let i = 0; i < r1 - r0; i++) {
        const storedCol = v.rowStart + r0 + i;
        const o = i * v.cols;
        for (let j = 0; j < v.cols; j++) out[o + j] = w[j * sc + storedCol]!;
      }
      return out;
    }
    const first = v.rowStart + r0;
    const begin = v.entry.begin + first * v.storedCols * bpe;
    if (v.cols === v.storedCols) {
      const bytes = await this.source.read(v.entry.file, begin, begin + n * bpe);
      decodeInto(v.entry.dtype, bytes, 0, n, out);
      return out;
    }
    // Leading columns only: read whole rows (one range), decode the leading part of each.
    const bytes = await this.source.read(v.entry.file, begin, begin + (r1 - r0) * v.storedCols * bpe);
    for (let i = 0; i < r1 - r0; i++) decodeInto(v.entry.dtype, bytes, i * v.storedCols * bpe, v.cols, out, i * v.cols);
    return out;
  }

  release(): void {
    this.whole = null;
    this.scratch = null;
  }
}
