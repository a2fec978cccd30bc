/**
 * Orthogonal Procrustes: the rotation Q (d x d) that best maps one model's
 * residual basis onto another's, from a tensor both read over shared tokens
 * (embeddings): Q = U V^T for A^T B = U S V^T. A copier who rotates the
 * residual stream (norms folded) leaves nothing for a permutation search to
 * find; undoing Q brings the rows back. One-sided Jacobi SVD: fine up to a
 * few hundred dimensions, which is where it is used.
 */
import { rowDots } from "./dots.js";
import type { Matrix } from "./matrix.js";

/** Residual widths above this are not searched for rotations (Jacobi is O(d^3) per sweep). */
export const PROCRUSTES_MAX_DIM = 512;

/** Q (row-major d x d) minimising ||a Q - b|| for a, b [rows, d]; and the fit (mean row cosine after mapping). */
export function procrustes(a: Matrix, b: Matrix): { q: Float64Array; fit: number } | null {
  const d = a.cols;
  if (d !== b.cols || d > PROCRUSTES_MAX_DIM || d < 2) return null;
  const rows = Math.min(a.rows, b.rows);
  // M = a^T b (d x d)
  const m = new Float64Array(d * d);
  for (let r = 0; r < rows; r++) {
    const ao = r * d;
    for (let i = 0; i < d; i++) {
      const ai = a.data[ao + i]!;
      if (ai === 0) continue;
      const row = i * d;
      for (let j = 0; j < d; j++) m[row + j] += ai * b.data[ao + j]!;
    }
  }
  const { u, v } = svd(m, d);
  // Q = U V^T
  const q = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += u[i * d + k]! * v[j * d + k]!;
    q[i * d + j] = s;
  }
  // Fit: mean cosine between rows of a Q and b.
  let fit = 0;
  const tmp = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    tmp.fill(0);
    for (let i = 0; i < d; i++) {
      const ai = a.data[r * d + i]!;
      for (let j = 0; j < d; j++) tmp[j] += ai * q[i * d + j]!;
    }
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = 0; j < d; j++) {
      const x = tmp[j]!;
      const y = b.data[r * d + j]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    fit += aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
  }
  return { q, fit: fit / Math.max(1, rows) };
}

/** One-sided Jacobi SVD of a square matrix (row-major): m = u diag(s) v^T; columns of u and v. */
export function svd(m: Float64Array, d: number): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const a = Float64Array.from(m); // columns orthogonalised in place
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < d; i++) {
          const x = a[i * d + p]!;
          const y = a[i * d + q]!;
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
          const x = a[i * d + p]!;
          const y = a[i * d + q]!;
          a[i * d + p] = c * x - s * y;
          a[i * d + q] = s * x + c * y;
          const vx = v[i * d + p]!;
          const vy = v[i * d + q]!;
          v[i * d + p] = c * vx - s * vy;
          v[i * d + q] = s * vx + c * vy;
        }
      }
    }
    if (off < 1e-12) break;
  }
  const s = new Float64Array(d);
  const u = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let n = 0;
    for (let i = 0; i < d; i++) n += a[i * d + j]! ** 2;
    n = Math.sqrt(n);
    s[j] = n;
    for (let i = 0; i < d; i++) u[i * d + j] = n > 0 ? a[i * d + j]! / n : i === j ? 1 : 0;
  }
  return { u, s, v };
}

/** m [rows, d] times q (d x d): the rows mapped into the other basis. */
export function rotateRows(m: Matrix, q: Float64Array): Matrix {
  const d = m.cols;
  // out[r][j] = sum_i m[r][i] q[i][j]: row dots of m with the columns of q, summed over i in order.
  const qt = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) qt[j * d + i] = q[i * d + j]!;
  return { rows: m.rows, cols: d, data: Float32Array.from(rowDots(m.data, m.rows, qt, d, d)) };
}
