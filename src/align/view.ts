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

export function sliceRows(v: TensorView, rowStart: number, rows: number): TensorView {
  return { ...v, rowStart: v.rowStart + rowStart, rows };
}

export function leadingBlock(v: TensorView, rows: number, cols: number): TensorView {
  return { ...v, rows, cols };
}

export function viewElements(v: TensorView): number {
  return v.rows * v.cols;
}
