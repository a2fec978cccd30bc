/**
 * Factored storage of a model's matrices, as SVD-compression methods, LoRA
 * adapters and tensor-parallel shards store them: a rank-r truncated SVD
 * (symmetric Jacobi on the smaller Gram matrix, Float64; fine at test sizes),
 * the singular values folded into either factor or split between them, and a
 * matrix cut into row or column blocks.
 */
import type { FloatTensors } from "./model-io.js";

/** Where the singular values go: into the left factor, the right one, or their square roots into both. */
export type Fold = "left" | "right" | "sqrt";

/** Eigen-decomposition of a symmetric n x n matrix (row-major, overwritten): eigenvalues and column eigenvectors. */
function jacobiEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i]! ** 2;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    // Converged to ~1e-8 relative: far below what a test of likeness can see.
    if (off <= 1e-16 * total) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq * apq <= 1e-30 * total) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

/**
 * The rank-r truncated SVD of w [rows, cols] as two factors, left [rows, r] and right [r, cols], whose
 * product is the best rank-r approximation of w.
 */
export function lowRankFactors(w: Float32Array, rows: number, cols: number, rank: number, fold: Fold = "left"): { left: Float32Array; right: Float32Array } {
  // Eigenvectors of the smaller Gram matrix give one side's singular vectors; w gives the other's.
  const byCols = cols <= rows;
  const n = byCols ? cols : rows;
  const g = new Float64Array(n * n);
  const at = (i: number, j: number) => w[i * cols + j]!;
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      let s = 0;
      if (byCols) for (let i = 0; i < rows; i++) s += at(i, p) * at(i, q);
      else for (let j = 0; j < cols; j++) s += at(p, j) * at(q, j);
      g[p * n + q] = g[q * n + p] = s;
    }
  }
  const { values, vectors } = jacobiEigen(g, n);
  const order = [...values.keys()].sort((x, y) => values[y]! - values[x]!).slice(0, rank);
  const left = new Float32Array(rows * rank);
  const right = new Float32Array(rank * cols);
  order.forEach((e, k) => {
    const sigma = Math.sqrt(Math.max(values[e]!, 1e-30));
    const [sl, sr] = fold === "left" ? [sigma, 1] : fold === "right" ? [1, sigma] : [Math.sqrt(sigma), Math.sqrt(sigma)];
    // u = w v / sigma (byCols) or v = wᵀ u / sigma: both unit singular vectors.
    const u = new Float64Array(rows);
    const v = new Float64Array(cols);
    if (byCols) {
      for (let j = 0; j < cols; j++) v[j] = vectors[j * n + e]!;
      for (let i = 0; i < rows; i++) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += at(i, j) * v[j]!;
        u[i] = s / sigma;
      }
    } else {
      for (let i = 0; i < rows; i++) u[i] = vectors[i * n + e]!;
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += at(i, j) * u[i]!;
        v[j] = s / sigma;
      }
    }
    for (let i = 0; i < rows; i++) left[i * rank + k] = u[i]! * sl;
    for (let j = 0; j < cols; j++) right[k * cols + j] = v[j]! * sr;
  });
  return { left, right };
}

export interface FactorOptions {
  /** Rank as a fraction of min(rows, cols). */
  rankFraction: number;
  fold?: Fold;
  /** The names of the two factors, from the matrix's name (default: SVD-LLM's `q_proj` -> `q_u_proj`, `q_v_proj`). */
  names?: (name: string) => [string, string];
  /** Which matrices to factor (default: every layer's 2-D `*_proj.weight`). */
  select?: (name: string) => boolean;
}

const svdLlmNames = (name: string): [string, string] => [name.replace(/_proj\.weight$/, "_u_proj.weight"), name.replace(/_proj\.weight$/, "_v_proj.weight")];
const layerProjection = (name: string) => /\.layers\.\d+\..*_proj\.weight$/.test(name);

/** Every selected matrix of `model` replaced by its two rank-r factors (in place of the matrix, file order kept). */
export function factorModel(model: FloatTensors, opts: FactorOptions): FloatTensors {
  const out: FloatTensors = new Map();
  const names = opts.names ?? svdLlmNames;
  const select = opts.select ?? layerProjection;
  for (const [name, t] of model) {
    if (t.shape.length !== 2 || !select(name)) {
      out.set(name, t);
      continue;
    }
    const [rows, cols] = t.shape as [number, number];
    const rank = Math.max(1, Math.round(opts.rankFraction * Math.min(rows, cols)));
    const { left, right } = lowRankFactors(t.data, rows, cols, rank, opts.fold);
    const [ln, rn] = names(name);
    out.set(ln, { shape: [rows, rank], data: left });
    out.set(rn, { shape: [rank, cols], data: right });
  }
  return out;
}

/** Every selected matrix cut into `parts` row blocks (`axis` 0) or column blocks (`axis` 1), named `NAME.k`. */
export function splitModel(model: FloatTensors, axis: 0 | 1, parts: number, name: (base: string, k: number) => string, select = layerProjection): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [n, t] of model) {
    if (t.shape.length !== 2 || !select(n)) {
      out.set(n, t);
      continue;
    }
    const [rows, cols] = t.shape as [number, number];
    const size = axis === 0 ? rows : cols;
    let start = 0;
    for (let k = 0; k < parts; k++) {
      const len = Math.floor(size / parts) + (k < size % parts ? 1 : 0);
      const shape = axis === 0 ? [len, cols] : [rows, len];
      const data = new Float32Array(shape[0]! * shape[1]!);
      for (let i = 0; i < shape[0]!; i++) {
        for (let j = 0; j < shape[1]!; j++) data[i * shape[1]! + j] = axis === 0 ? t.data[(start + i) * cols + j]! : t.data[i * cols + start + j]!;
      }
      out.set(name(n, k), { shape, data });
      start += len;
    }
  }
  return out;
}
