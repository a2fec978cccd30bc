/**
 * A fixed grid of sample positions on a canonical matrix: rows and columns
 * spread evenly (one per bucket, at a walking offset). Two views with the same canonical shape are sampled at the
 * same positions, so samples of different layers can be paired for controls.
 */

/** Target sample size per tensor: Pearson over 16 Ki values has sd 1/128 under independence. */
const SAMPLE_TARGET = 16384;
const MAX_SAMPLE_COLS = 128;

export interface SampleGrid {
  rows: Int32Array;
  cols: Int32Array;
}

/**
 * The k-th of m positions spread over n: one per bucket [k·n/m, (k+1)·n/m), at an offset that walks
 * through the bucket (7k mod its width). Evenly spaced positions alias with periodic layouts: a conv
 * kernel's canonical columns are in·kh·kw, so every 18th column of a 3x3 kernel is one and the same tap,
 * which may be constant (a quantized kernel's zero) and leave nothing to test. Positions depend on the
 * shape alone, so the test restricted to them stays exact, and rows and columns of a square matrix stay
 * the same indices (its diagonal is on the grid).
 */
function spread(k: number, n: number, m: number): number {
  const start = Math.floor((k * n) / m);
  const width = Math.floor(((k + 1) * n) / m) - start;
  return start + (width > 1 ? (7 * k) % width : 0);
}

function sampleGrid(rows: number, cols: number): SampleGrid {
  const mc = Math.min(cols, MAX_SAMPLE_COLS);
  const mr = Math.min(rows, Math.max(1, Math.floor(SAMPLE_TARGET / mc)));
  const r = new Int32Array(mr);
  const c = new Int32Array(mc);
  for (let k = 0; k < mr; k++) r[k] = spread(k, rows, mr);
  for (let k = 0; k < mc; k++) c[k] = spread(k, cols, mc);
  return { rows: r, cols: c };
}

import { bf16Bits, bytesPerElement, decodeInto } from "../safetensors/dtypes.js";

/** A grid whose rows all lie inside the given row ranges (sampled mode reads only those). */
export function sampleGridIn(ranges: [number, number][], cols: number): SampleGrid {
  const total = ranges.reduce((s, [a, b]) => s + b - a, 0);
  const inner = sampleGrid(total, cols);
  const rows = new Int32Array(inner.rows.length);
  let k = 0;
  let before = 0;
  for (const [a, b] of ranges) {
    while (k < rows.length && inner.rows[k]! < before + (b - a)) {
      rows[k] = a + inner.rows[k]! - before;
      k++;
    }
    before += b - a;
  }
  return { rows, cols: inner.cols };
}

/** Collects the grid's values while canonical row blocks stream past. */
export class SampleCollector {
  readonly values: Float32Array;
  private next = 0;

  constructor(
    readonly grid: SampleGrid,
    private readonly cols: number,
  ) {
    this.values = new Float32Array(grid.rows.length * grid.cols.length);
  }

  /** Offer rows [r0, r0 + rowCount) as raw bytes of whole rows (plain views): only sampled values are decoded. */
  offerRaw(r0: number, bytes: Uint8Array, rowCount: number, dtype: string): void {
    const { rows, cols } = this.grid;
    const mc = cols.length;
    const bpe = bytesPerElement(dtype);
    // BF16 (the common case) widens inline through one u32 view; other dtypes decode value by value.
    const u32 = dtype === "BF16" ? new Uint32Array(this.values.buffer, this.values.byteOffset, this.values.length) : null;
    while (this.next < rows.length && rows[this.next]! < r0 + rowCount) {
      const base = (rows[this.next]! - r0) * this.cols * bpe;
      const o = this.next * mc;
      if (u32) {
        for (let j = 0; j < mc; j++) u32[o + j] = bf16Bits(bytes, base + cols[j]! * 2);
      } else for (let j = 0; j < mc; j++) decodeInto(dtype, bytes, base + cols[j]! * bpe, 1, this.values, o + j);
      this.next++;
    }
  }

  /** Offer rows [r0, r0 + block.length / cols) of the canonical matrix. */
  offer(r0: number, block: Float32Array, rowCount: number): void {
    const { rows, cols } = this.grid;
    const mc = cols.length;
    while (this.next < rows.length && rows[this.next]! < r0 + rowCount) {
      const local = rows[this.next]! - r0;
      const base = local * this.cols;
      const o = this.next * mc;
      for (let j = 0; j < mc; j++) this.values[o + j] = block[base + cols[j]!]!;
      this.next++;
    }
  }
}
