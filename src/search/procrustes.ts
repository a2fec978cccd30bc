/**
 * Orthogonal Procrustes: the rotation Q (d x d) that best maps one model's
 * residual basis onto another's, from a tensor both read over shared tokens
 * (embeddings): Q = U V^T for A^T B = U S V^T. A copier who rotates the
 * residual stream (norms folded) leaves nothing for a permutation search to
 * find; undoing Q brings the rows back. One-sided Jacobi SVD: fine up to a
 * few hundred dimensions, which is where it is used.
 */
import { rowDots } from "../kernels/dots.js";
import type { Matrix } from "./matrix.js";

/** Residual widths above this are not searched for rotations (Jacobi is O(d^3) per sweep). */
const PROCRUSTES_MAX_DIM = 512;

/** Q (row-major d x d) minimising ||a Q - b|| for a, b [rows, d]; and the fit (mean row cosine after mapping). */
export function procrustes(a: Matrix, b: Matrix): { q: Float64Array; fit: number } | null {
  const d = a.cols;
  if (d !== b.cols || d > PROCRUSTES_MAX_DIM || d < 2) return null;
  const rows = Math.min(a.rows, b.rows);
  // M = a^T b (d x d): row dots of the columns, summed over rows in order.
  const m = rowDots(columns(a, rows), d, columns(b, rows), d, rows);
  const { u, v } = svd(m, d);
  // Q = U V^T
  const q = rowDots(u, d, v, d, d);
  // Fit: mean cosine between rows of a Q and b.
  const mapped = rowDots(a.data, rows, transpose(q, d), d, d);
  let fit = 0;
  for (let r = 0; r < rows; r++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = 0; j < d; j++) {
      const x = mapped[r * d + j]!;
      const y = b.data[r * d + j]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    fit += aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
  }
  return { q, fit: fit / Math.max(1, rows) };
}

/** The first `rows` rows of m, transposed: [cols, rows]. */
function columns(m: Matrix, rows: number): Float32Array {
  const out = new Float32Array(m.cols * rows);
  for (let r = 0; r < rows; r++) for (let i = 0; i < m.cols; i++) out[i * rows + r] = m.data[r * m.cols + i]!;
  return out;
}

function transpose(q: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[j * d + i] = q[i * d + j]!;
  return out;
}

/** One-sided Jacobi SVD of a square matrix (row-major): m = u diag(s) v^T; columns of u and v. */
function svd(m: Float64Array, d: number): { u: Float64Array; s: Float64Array; v: Float64Array } {
  // Worked on column-major copies (a column is contiguous: the rotations sweep columns), returned row-major.
  const a = transpose(m, d); // columns orthogonalised in place
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < d - 1; p++) {
      const pc = p * d;
      for (let q = p + 1; q < d; q++) {
        const qc = q * d;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < d; i++) {
          const x = a[pc + i]!;
          const y = a[qc + i]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < d; i++) {
          const x = a[pc + i]!;
          const y = a[qc + i]!;
          a[pc + i] = c * x - s * y;
          a[qc + i] = s * x + c * y;
          const vx = v[pc + i]!;
          const vy = v[qc + i]!;
          v[pc + i] = c * vx - s * vy;
          v[qc + i] = s * vx + c * vy;
        }
      }
    }
    if (off < 1e-12) break;
  }
  const s = new Float64Array(d);
  const u = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let n = 0;
    for (let i = 0; i < d; i++) n += a[j * d + i]! ** 2;
    n = Math.sqrt(n);
    s[j] = n;
    for (let i = 0; i < d; i++) u[i * d + j] = n > 0 ? a[j * d + i]! / n : i === j ? 1 : 0;
  }
  return { u, s, v: transpose(v, d) };
}

/** m [rows, d] times q (d x d): the rows mapped into the other basis. */
export function rotateRows(m: Matrix, q: Float64Array): Matrix {
  const d = m.cols;
  // out[r][j] = sum_i m[r][i] q[i][j]: row dots of m with the columns of q, summed over i in order.
  const qt = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) qt[j * d + i] = q[i * d + j]!;
  return { rows: m.rows, cols: d, data: Float32Array.from(rowDots(m.data, m.rows, qt, d, d)) };
}
