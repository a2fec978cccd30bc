/** Whole decoded matrices for the alignment search, and the row geometry it needs. */
import type { WeightSource } from "../sources/types.js";
import { rowDots } from "../kernels/dots.js";
import { ViewReader } from "../align/read-view.js";
import type { TensorView } from "../align/view.js";

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export async function loadMatrix(source: WeightSource, view: TensorView): Promise<Matrix> {
  const reader = new ViewReader(source, view);
  const block = await reader.rows(0, view.rows);
  const data = block.slice();
  reader.release();
  return { rows: view.rows, cols: view.cols, data };
}

export function transposed(m: Matrix): Matrix {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j]!;
  return { rows: m.cols, cols: m.rows, data: out };
}

/** Unit rows already computed per matrix (the search compares each matrix with many others). */
const unitCache = new WeakMap<Matrix, Map<string, { data: Float32Array; width: number }>>();

/** Rows scaled to unit length (zero rows stay zero), optionally restricted to some columns. */
function unitRows(m: Matrix, colSubset?: Int32Array): { data: Float32Array; width: number } {
  const key = colSubset ? `${colSubset.length}:${colSubset[0]}:${colSubset[colSubset.length - 1]}` : "all";
  let perMatrix = unitCache.get(m);
  const hit = perMatrix?.get(key);
  if (hit) return hit;
  const computed = computeUnitRows(m, colSubset);
  if (!perMatrix) unitCache.set(m, (perMatrix = new Map()));
  perMatrix.set(key, computed);
  return computed;
}

function computeUnitRows(m: Matrix, colSubset?: Int32Array): { data: Float32Array; width: number } {
  const width = colSubset ? colSubset.length : m.cols;
  const out = new Float32Array(m.rows * width);
  for (let i = 0; i < m.rows; i++) {
    let ss = 0;
    const base = i * m.cols;
    for (let k = 0; k < width; k++) {
      const v = m.data[base + (colSubset ? colSubset[k]! : k)]!;
      out[i * width + k] = v;
      ss += v * v;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let k = 0; k < width; k++) out[i * width + k]! *= inv;
  }
  return { data: out, width };
}

/** Row-by-row cosine matrix (a.rows x b.rows) of two matrices with the same columns. */
export function rowCosines(a: Matrix, b: Matrix, colSubset?: Int32Array, into?: Float64Array): Float64Array {
  const ua = unitRows(a, colSubset);
  const ub = unitRows(b, colSubset);
  return rowDots(ua.data, a.rows, ub.data, b.rows, ua.width, into);
}

/** Evenly spaced column subset of at most `k` columns (a cheap projection for wide rows). */
export function columnSubset(cols: number, k: number): Int32Array | undefined {
  if (cols <= k) return undefined;
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = Math.floor((i * cols) / k);
  return out;
}

/** Map the columns of `m` into another basis: out[:, perm[c]] = sign[c] * m[:, c]. */
export function mapColumns(m: Matrix, perm: Int32Array, sign: Float32Array, targetCols: number): Matrix {
  const out = new Float32Array(m.rows * targetCols);
  for (let i = 0; i < m.rows; i++) {
    const base = i * m.cols;
    const ob = i * targetCols;
    for (let c = 0; c < m.cols; c++) {
      const t = perm[c]!;
      if (t >= 0 && t < targetCols) out[ob + t] = sign[c]! * m.data[base + c]!;
    }
  }
  return { rows: m.rows, cols: targetCols, data: out };
}

/** The first `cols` columns of every row. */
export function leadingCols(m: Matrix, cols: number): Matrix {
  const out = new Float32Array(m.rows * cols);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols, i * m.cols + cols), i * cols);
  return { rows: m.rows, cols, data: out };
}

/** Rows [r0, r1) as a view of the same data (no copy). */
export function rowBlock(m: Matrix, r0: number, r1: number): Matrix {
  return { rows: r1 - r0, cols: m.cols, data: m.data.subarray(r0 * m.cols, r1 * m.cols) };
}

/** The given columns of every row (-1 gives zeros), each times its sign. */
export function pickColumns(m: Matrix, columns: Int32Array, sign?: Float32Array): Matrix {
  const out = new Float32Array(m.rows * columns.length);
  for (let i = 0; i < m.rows; i++) {
    for (let x = 0; x < columns.length; x++) {
      const c = columns[x]!;
      out[i * columns.length + x] = c < 0 ? 0 : (sign ? sign[x]! : 1) * m.data[i * m.cols + c]!;
    }
  }
  return { rows: m.rows, cols: columns.length, data: out };
}

/** The given rows, in the given order. */
export function pickRows(m: Matrix, rows: Int32Array): Matrix {
  const out = new Float32Array(rows.length * m.cols);
  rows.forEach((r, k) => out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return { rows: rows.length, cols: m.cols, data: out };
}
