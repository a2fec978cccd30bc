/**
 * A tensor seen as a 2-D matrix in a canonical orientation: stored shape
 * [R, C...] is R x prod(C...); a vector is n x 1. A view may transpose the
 * stored matrix and take a block of leading rows and columns, which is how
 * transposed layouts, fused QKV slices and vocabulary-extended copies line up.
 */
import type { TensorEntry } from "../sources/types.js";

export interface TensorView {
  entry: TensorEntry;
  /** Rows and columns of the stored matrix (before transposition). */
  storedRows: number;
  storedCols: number;
  /** Canonical = stored transposed. */
  transpose: boolean;
  /** First canonical row of the view, and its size. Columns are always the leading `cols`. */
  rowStart: number;
  rows: number;
  cols: number;
  /**
   * An N-D layout seen along its right axes: the stored axes in canonical order ([out, in, k…]), so
   * the canonical matrix is the tensor permuted to [shape[axes[0]], shape[axes[1]], …] and reshaped to
   * [shape[axes[0]], rest]. Such a view is decoded and permuted whole in memory (at most
   * MAX_PERMUTE_ELEMENTS); `transpose` is then false. 2-D layouts use `transpose` (no axes).
   */
  axes?: number[];
  /**
   * The canonical columns in another flatten order (src/align/port-layouts.ts): each canonical row, as read
   * without it, holds `groups` runs of `size` columns, and the view interleaves them, column s·groups + g
   * = read column g·size + s. A dense layer after a flatten stored channels-first (C·H·W) is seen
   * channels-last (H·W·C) with { groups: C, size: H·W }, and the reverse with { groups: H·W, size: C }.
   * Applied row by row after reading: streaming views stay streaming.
   */
  columnOrder?: { groups: number; size: number };
}

export function storedMatrixShape(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, 1];
  return [shape[0]!, shape.slice(1).reduce((a, b) => a * b, 1)];
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The whole tensor, optionally transposed. */
export function fullView(entry: TensorEntry, transpose = false): TensorView {
  const [r, c] = storedMatrixShape(entry.shape);
  return {
    entry,
    storedRows: r,
    storedCols: c,
    transpose,
    rowStart: 0,
    rows: transpose ? c : r,
    cols: transpose ? r : c,
  };
}

/**
 * A permuted view is materialised in memory: at most this many elements (16 Mi, 64 MiB as Float32, twice
 * while permuting). Convolution kernels are far below (a [3, 3, 512, 512] kernel is 2.4 M); a larger one
 * is reported unread, never independent.
 */
export const MAX_PERMUTE_ELEMENTS = 16 * 1024 * 1024;

function isIdentity(axes: readonly number[]): boolean {
  return axes.every((a, i) => a === i);
}

/** The tensor's shape in canonical axis order. */
export function canonicalShape(shape: readonly number[], axes: readonly number[] | null): number[] {
  return axes ? axes.map((a) => shape[a]!) : [...shape];
}

/**
 * The whole tensor seen through a layout (`axes`: stored axes in canonical order; null = as stored):
 * identity -> the plain view; a 2-D swap -> the transposed view; anything else -> a permuted view.
 */
export function layoutView(entry: TensorEntry, axes: readonly number[] | null): TensorView {
  if (!axes || isIdentity(axes)) return fullView(entry);
  if (entry.shape.length === 2) return fullView(entry, true);
  const [r, c] = storedMatrixShape(entry.shape);
  const canon = canonicalShape(entry.shape, axes);
  const rows = canon[0]!;
  return { entry, storedRows: r, storedCols: c, transpose: false, rowStart: 0, rows, cols: numel(canon) / Math.max(1, rows), axes: [...axes] };
}

/** Rows of `data` (each `cols` long) with their columns put in the view's order (`columnOrder`), in place. */
export function reorderColumns(data: Float32Array, cols: number, order: { groups: number; size: number }, scratch: Float32Array = new Float32Array(cols)): void {
  const { groups, size } = order;
  for (let o = 0; o + cols <= data.length; o += cols) {
    scratch.set(data.subarray(o, o + cols));
    for (let g = 0; g < groups; g++) for (let s = 0; s < size; s++) data[o + s * groups + g] = scratch[g * size + s]!;
  }
}

/** Another tensor seen the way `like` sees its own (same transposition or axes). */
export function viewLike(entry: TensorEntry, like: TensorView): TensorView {
  if (like.axes && like.axes.length === entry.shape.length) return layoutView(entry, like.axes);
  return fullView(entry, like.transpose);
}

/** A view that must be decoded whole (transposed or permuted). */
export function readsWhole(v: TensorView): boolean {
  return v.transpose || v.axes !== undefined;
}

/** Permute a decoded tensor (row-major, `shape`) to the canonical axis order `axes`. */
export function permuteAxes(data: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let k = rank - 1; k >= 0; k--) {
    strides[k] = s;
    s *= shape[k]!;
  }
  const dims = axes.map((a) => shape[a]!);
  const step = axes.map((a) => strides[a]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  const last = rank - 1;
  const lastDim = dims[last]!;
  const lastStep = step[last]!;
  for (let o = 0; o < out.length; ) {
    // Innermost canonical axis in one run.
    for (let j = 0; j < lastDim; j++) out[o++] = data[src + j * lastStep]!;
    // Carry into the outer axes.
    let k = last - 1;
    while (k >= 0) {
      idx[k]!++;
      src += step[k]!;
      if (idx[k]! < dims[k]!) break;
      src -= step[k]! * dims[k]!;
      idx[k] = 0;
      k--;
    }
    if (k < 0) break;
  }
  return out;
}

/**
 * What a view reads, as a key: two views of one stored tensor (an expert's slab of a fused tensor, a part
 * of a fused qkv) differ in byte range, layout or rows.
 */
export function viewKey(v: TensorView): string {
  const order = v.columnOrder ? `G${v.columnOrder.groups}x${v.columnOrder.size}:` : "";
  return `${v.entry.name}@${v.entry.begin}:${v.transpose ? "T" : ""}${v.axes ? `P${v.axes.join("")}:` : ""}${order}${v.rowStart}+${v.rows}x${v.cols}`;
}

/**
 * Which stored part a view reads, whatever layout it reads it in: the looks at one tensor in several layouts
 * (src/align/layout.ts, port-layouts.ts) are one candidate when ambiguous pairs are resolved.
 */
export function partKey(v: TensorView): string {
  return `${v.entry.name}@${v.entry.begin}:${v.rowStart}`;
}

export function sliceRows(v: TensorView, rowStart: number, rows: number): TensorView {
  return { ...v, rowStart: v.rowStart + rowStart, rows };
}

export function leadingBlock(v: TensorView, rows: number, cols: number): TensorView {
  return { ...v, rows, cols };
}

export function viewElements(v: TensorView): number {
  return v.rows * v.cols;
}
