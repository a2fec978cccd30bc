/**
 * The arithmetic of matching experts on Gram sketches, shared by the matching before the planned pass
 * (src/engine/expert-match.ts: k residual rows as stored) and the streamed search's re-pairing under a
 * recovered residual look (expert-partners.ts: even features in the reference's basis). A Gram matrix
 * sums over an expert's hidden units: blind to their order and signs.
 */
import { maximizeAssignment } from "./assignment.js";
import type { Matrix } from "./matrix.js";

/** The upper triangle (diagonal included) of S Sᵀ for S (k x f, row-major), Float64 sums. */
export function gramTriangle(s: Float32Array, k: number, f: number): Float64Array {
  const out = new Float64Array((k * (k + 1)) / 2);
  let o = 0;
  for (let a = 0; a < k; a++) {
    const ra = a * f;
    for (let b = a; b < k; b++) {
      const rb = b * f;
      let sum = 0;
      for (let x = 0; x < f; x++) sum += s[ra + x]! * s[rb + x]!;
      out[o++] = sum;
    }
  }
  return out;
}

/** Centre every coordinate across the side's experts, then each vector to mean 0 and unit length. */
export function standardise(items: { vector: Float64Array }[]): void {
  const n = items[0]?.vector.length ?? 0;
  const mean = new Float64Array(n);
  for (const it of items) for (let i = 0; i < n; i++) mean[i]! += it.vector[i]! / items.length;
  for (const it of items) {
    const v = it.vector;
    let m = 0;
    for (let i = 0; i < n; i++) m += (v[i]! -= mean[i]!) / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (v[i]! -= m) ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let i = 0; i < n; i++) v[i]! *= inv;
  }
}

/** Inner products of every candidate vector with every reference vector, row-major (candidates x references). */
export function similarity(cand: readonly { vector: Float64Array }[], ref: readonly { vector: Float64Array }[]): Float64Array {
  const out = new Float64Array(cand.length * ref.length);
  cand.forEach((c, i) =>
    ref.forEach((r, j) => {
      let s = 0;
      for (let x = 0; x < c.vector.length; x++) s += c.vector[x]! * r.vector[x]!;
      out[i * ref.length + j] = s;
    }),
  );
  return out;
}

/**
 * One reference expert per candidate expert: a linear assignment (maximum total score) when the candidate
 * has no more experts than the reference, else each candidate's best (many-to-one). -1: none.
 */
export function assign(score: Float64Array, n: number, m: number): Int32Array {
  if (n <= m) return maximizeAssignment(score, n, m);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < m; j++) if (score[i * m + j]! > score[i * m + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/** The upper triangle (diagonal included) of the Gram matrix of `m`'s columns `cols` (summed over its rows), Float64 sums. */
export function columnGram(m: Matrix, cols: Int32Array): Float64Array {
  // Those columns as the rows of a k x rows sketch: gramTriangle's sums, in the same order.
  const k = cols.length;
  const s = new Float32Array(k * m.rows);
  for (let a = 0; a < k; a++) for (let u = 0; u < m.rows; u++) s[a * m.rows + u] = m.data[u * m.cols + cols[a]!]!;
  return gramTriangle(s, k, m.rows);
}
