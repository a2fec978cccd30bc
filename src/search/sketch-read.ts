/**
 * Read a few canonical rows of a tensor, never the whole matrix: what the
 * streamed search (stream-search.ts) holds. Consecutive rows are read as one
 * range; separate runs are fetched a few at a time so a remote source overlaps
 * its round trips. A view that must be decoded whole (transposed or N-D
 * layouts) is read once within the readers' in-memory caps, then picked from.
 */
import { mapLimit } from "../common/pool.js";
import { ViewReader } from "../align/read-view.js";
import { type TensorView, readsWhole } from "../align/view.js";
import type { WeightSource } from "../sources/types.js";
import { type Matrix, loadMatrix } from "./matrix.js";

/** Runs of rows fetched at once. */
const RUNS_IN_FLIGHT = 64;

export interface RowSetOptions {
  /** Keep only these columns, in this order (-1 gives a zero column). */
  columns?: Int32Array;
  /** Multiplies each requested row (its sign). */
  rowSign?: Float32Array;
  /** Multiplies each kept column. */
  columnSign?: Float32Array;
  /** Return the transpose, [columns, rows] (one copy instead of two). */
  transpose?: boolean;
}

/** Canonical rows `rows` of `view`, in that order (-1 gives a zero row); their transpose with `transpose`. */
export async function readRowSet(source: WeightSource, view: TensorView, rows: Int32Array, options: RowSetOptions = {}): Promise<Matrix> {
  const { columns, rowSign, columnSign, transpose } = options;
  const width = columns ? columns.length : view.cols;
  const out = new Float32Array(rows.length * width);
  // Element (row k, column x) of the result lives at k * width + x, or at x * rows + k transposed.
  const [rowStride, colStride] = transpose ? [1, rows.length] : [width, 1];
  const place = (k: number, row: Float32Array) => {
    const s = rowSign ? rowSign[k]! : 1;
    const o = k * rowStride;
    for (let x = 0; x < width; x++) {
      const c = columns ? columns[x]! : x;
      out[o + x * colStride] = c < 0 ? 0 : s * (columnSign ? columnSign[x]! : 1) * row[c]!;
    }
  };
  const result = (): Matrix => (transpose ? { rows: width, cols: rows.length, data: out } : { rows: rows.length, cols: width, data: out });
  // Where each stored row goes (a row may be asked for more than once).
  const wanted = new Map<number, number[]>();
  rows.forEach((r, k) => {
    if (r < 0) return;
    const list = wanted.get(r);
    if (list) list.push(k);
    else wanted.set(r, [k]);
  });
  if (readsWhole(view)) {
    const m = await loadMatrix(source, view);
    for (const [r, ks] of wanted) for (const k of ks) place(k, m.data.subarray(r * m.cols, (r + 1) * m.cols));
    return result();
  }
  const sorted = [...wanted.keys()].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const r of sorted) {
    const last = runs[runs.length - 1];
    if (last && r === last[1]) last[1] = r + 1;
    else runs.push([r, r + 1]);
  }
  await mapLimit(runs, RUNS_IN_FLIGHT, async ([r0, r1]) => {
    const reader = new ViewReader(source, view);
    const block = await reader.rows(r0, r1);
    for (let r = r0; r < r1; r++) for (const k of wanted.get(r)!) place(k, block.subarray((r - r0) * view.cols, (r - r0 + 1) * view.cols));
    reader.release();
  });
  return result();
}
