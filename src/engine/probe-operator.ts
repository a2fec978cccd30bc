/**
 * Probe a linear map stored as several tensors without multiplying it out:
 * M R (right probes, [rows, k]) and Lᵀ M (left probes, [k, cols]) for fixed
 * random Gaussian R, L, computed factor by factor (U (V R), (Lᵀ U) V), each
 * tensor streamed in row blocks. Memory is O((rows + cols + r) k) whatever the
 * size of the map: the product of two factors is never formed.
 */
import { BLOCK_ELEMENTS, ViewReader } from "../align/read-view.js";
import type { LinearOperator } from "../align/operator.js";
import type { TensorView } from "../align/view.js";
import type { WeightSource } from "../sources/types.js";

/** A dense row-major matrix. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

const zeros = (rows: number, cols: number): Mat => ({ rows, cols, data: new Float64Array(rows * cols) });

/**
 * Fixed probe matrix [n, k] of standard normals, from a seed that depends only on (n, k, which side): the
 * same for the candidate and the reference, chosen before any value is seen.
 */
export function gaussianProbes(n: number, k: number, side: "right" | "left"): Mat {
  let s = (0x9e3779b9 ^ Math.imul(n, 0x85ebca6b) ^ Math.imul(k, 0xc2b2ae35) ^ (side === "right" ? 0x27d4eb2f : 0x165667b1)) >>> 0 || 1;
  const uniform = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const m = zeros(n, k);
  for (let i = 0; i < m.data.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const a = 2 * Math.PI * uniform();
    m.data[i] = r * Math.cos(a);
    if (i + 1 < m.data.length) m.data[i + 1] = r * Math.sin(a);
  }
  return m;
}

function transposeMat(m: Mat): Mat {
  const out = zeros(m.cols, m.rows);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.data[j * m.rows + i] = m.data[i * m.cols + j]!;
  return out;
}

function addInto(into: Mat, m: Mat): Mat {
  for (let i = 0; i < into.data.length; i++) into.data[i]! += m.data[i]!;
  return into;
}

/** Rows [r0, r0 + n) of m. */
function rowSlice(m: Mat, r0: number, n: number): Mat {
  return { rows: n, cols: m.cols, data: m.data.subarray(r0 * m.cols, (r0 + n) * m.cols) };
}

/** Blocks of a stack along its axis, with where each starts. */
function offsets(sizes: number[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(at);
    at += s;
  }
  return out;
}

/** Streams each stored tensor in canonical row blocks; remembers a leaf's probes by the shared random ones. */
export class OperatorProber {
  private readonly memo = new Map<string, Mat>();
  /** The shared random probe matrices, by identity (only their products are remembered). */
  private readonly shared = new Map<Mat, string>();

  constructor(private readonly source: WeightSource) {}

  /** Mark `m` a shared probe matrix (its products with a tensor are worth remembering). */
  share(m: Mat, key: string): Mat {
    this.shared.set(m, key);
    return m;
  }

  /** M X for X [cols, k]: [rows, k]. */
  async right(op: LinearOperator, x: Mat): Promise<Mat> {
    switch (op.kind) {
      case "matrix":
        return this.leaf(op.view, x, "right");
      case "product":
        return this.right(op.left, await this.right(op.right, x));
      case "sum": {
        let acc: Mat | null = null;
        for (const t of op.terms) acc = acc ? addInto(acc, await this.right(t, x)) : copy(await this.right(t, x));
        return acc!;
      }
      case "stack": {
        const parts: Mat[] = [];
        const sizes = op.blocks.map((b) => (op.axis === "cols" ? blockCols(b) : 0));
        const at = offsets(sizes);
        for (let i = 0; i < op.blocks.length; i++) parts.push(await this.right(op.blocks[i]!, op.axis === "cols" ? rowSlice(x, at[i]!, sizes[i]!) : x));
        if (op.axis === "cols") return parts.slice(1).reduce(addInto, copy(parts[0]!));
        return { rows: parts.reduce((s, p) => s + p.rows, 0), cols: x.cols, data: concat(parts) };
      }
    }
  }

  /** Yᵀ M for Y [rows, k]: [k, cols]. */
  async left(op: LinearOperator, y: Mat): Promise<Mat> {
    switch (op.kind) {
      case "matrix":
        return this.leaf(op.view, y, "left");
      case "product":
        return this.left(op.right, transposeMat(await this.left(op.left, y)));
      case "sum": {
        let acc: Mat | null = null;
        for (const t of op.terms) acc = acc ? addInto(acc, await this.left(t, y)) : copy(await this.left(t, y));
        return acc!;
      }
      case "stack": {
        const parts: Mat[] = [];
        const sizes = op.blocks.map((b) => (op.axis === "rows" ? blockRows(b) : 0));
        const at = offsets(sizes);
        for (let i = 0; i < op.blocks.length; i++) parts.push(await this.left(op.blocks[i]!, op.axis === "rows" ? rowSlice(y, at[i]!, sizes[i]!) : y));
        if (op.axis === "rows") return parts.slice(1).reduce(addInto, copy(parts[0]!));
        return transposeMat({ rows: parts.reduce((s, p) => s + p.cols, 0), cols: y.cols, data: concat(parts.map(transposeMat)) });
      }
    }
  }

  /** One stored tensor times a probe block, in one streamed pass. */
  private async leaf(view: TensorView, x: Mat, side: "right" | "left"): Promise<Mat> {
    const sharedKey = this.shared.get(x);
    const key = sharedKey ? `${side}|${sharedKey}|${view.entry.file}|${view.entry.name}|${view.transpose}|${view.rowStart}|${view.rows}|${view.cols}` : null;
    const known = key ? this.memo.get(key) : undefined;
    if (known) return known;
    const k = x.cols;
    const out = side === "right" ? zeros(view.rows, k) : zeros(k, view.cols);
    const reader = new ViewReader(this.source, view);
    const step = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, view.cols)));
    for (let r0 = 0; r0 < view.rows; r0 += step) {
      const r1 = Math.min(view.rows, r0 + step);
      const rows: StoredRows = { data: await reader.rows(r0, r1), r0, r1, cols: view.cols };
      if (side === "right") multiplyRows(rows, x, out);
      else accumulateLeft(rows, x, out);
    }
    reader.release();
    if (key) this.memo.set(key, out);
    return out;
  }
}

function copy(m: Mat): Mat {
  return { rows: m.rows, cols: m.cols, data: new Float64Array(m.data) };
}

function concat(parts: Mat[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.data.length;
  }
  return out;
}

function blockCols(op: LinearOperator): number {
  return op.kind === "matrix" ? op.view.cols : op.kind === "product" ? blockCols(op.right) : op.kind === "sum" ? blockCols(op.terms[0]!) : op.axis === "cols" ? op.blocks.reduce((s, b) => s + blockCols(b), 0) : blockCols(op.blocks[0]!);
}

function blockRows(op: LinearOperator): number {
  return op.kind === "matrix" ? op.view.rows : op.kind === "product" ? blockRows(op.left) : op.kind === "sum" ? blockRows(op.terms[0]!) : op.axis === "rows" ? op.blocks.reduce((s, b) => s + blockRows(b), 0) : blockRows(op.blocks[0]!);
}

/** Canonical rows [r0, r1) of a tensor, `cols` wide, as streamed. */
interface StoredRows {
  data: Float32Array;
  r0: number;
  r1: number;
  cols: number;
}

/** out[r0..r1) = block · x. */
function multiplyRows({ data: block, r0, r1, cols }: StoredRows, x: Mat, out: Mat): void {
  const k = x.cols;
  const xd = x.data;
  for (let i = r0; i < r1; i++) {
    const o = i * k;
    const b = (i - r0) * cols;
    for (let j = 0; j < cols; j++) {
      const w = block[b + j]!;
      if (w === 0) continue;
      const xo = j * k;
      for (let c = 0; c < k; c++) out.data[o + c]! += w * xd[xo + c]!;
    }
  }
}

/** out += y[r0..r1)ᵀ · block (out [k, cols]). */
function accumulateLeft({ data: block, r0, r1, cols }: StoredRows, y: Mat, out: Mat): void {
  const k = y.cols;
  for (let i = r0; i < r1; i++) {
    const b = (i - r0) * cols;
    for (let c = 0; c < k; c++) {
      const yc = y.data[i * k + c]!;
      if (yc === 0) continue;
      const o = c * cols;
      for (let j = 0; j < cols; j++) out.data[o + j]! += yc * block[b + j]!;
    }
  }
}
