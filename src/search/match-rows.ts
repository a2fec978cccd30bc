/**
 * Step 2 and 4 of the alignment search (deep-align.ts): match the hidden units
 * (rows) of one candidate tensor to a reference tensor's by a linear
 * assignment on |cos|, keeping signs, and count the units on which two such
 * matchings agree.
 */
import { invertMatching, maximizeAssignment } from "./assignment.js";
import { type Matrix, columnSubset, leadingCols, pickRows, rowCosines } from "./matrix.js";
import { PairAccumulator } from "../stats/pair-stats.js";

/** Hidden-unit matching of one candidate tensor against one reference tensor (both in [hidden, residual] form). */
export interface Match {
  /** Pearson of the matched rows (signs undone). */
  r: number;
  cos: number;
  /** Candidate row -> reference row (-1 for rows not matched or not sampled). */
  perm: Int32Array;
  identityFraction: number;
  flipped: number;
}

const SCORE_COLUMNS = 512;

/** Candidate rows matched per tensor pair at most: a deterministic subset above this (~SEARCH_ROWS). */
const SEARCH_ROWS = 256;

/**
 * Which candidate rows to match. All of them when few; else a deterministic
 * subset chosen by a hash of (row mod `modulus`), so tensors with the same
 * hidden size, and every block of a fused [k*d] tensor against a [d] one,
 * sample the same units (their matchings can then be compared).
 */
function searchRows(n: number, modulus: number): Int32Array {
  if (n <= SEARCH_ROWS) return Int32Array.from({ length: n }, (_, i) => i);
  const mod = modulus > 0 && n % modulus === 0 ? modulus : n;
  const keep = Math.min(1, SEARCH_ROWS / mod);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (((Math.imul(i % mod, 2654435761) >>> 0) / 4294967296) < keep) out.push(i);
  return Int32Array.from(out);
}

/** |score| as an n x m matrix, or its transpose (m x n) when the assignment runs the other way. */
function absScore(cos: Float64Array, n: number, m: number, swap: boolean): Float64Array {
  const out = new Float64Array(n * m);
  if (!swap) {
    for (let i = 0; i < n * m; i++) out[i] = Math.abs(cos[i]!);
  } else {
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = Math.abs(cos[i * m + j]!);
  }
  return out;
}

export function matchRows(cFull: Matrix, r: Matrix, modulus = 0): Match {
  const picked = searchRows(cFull.rows, modulus);
  const c = picked.length === cFull.rows ? cFull : pickRows(cFull, picked);
  const n = c.rows;
  const m = r.rows;
  const w = Math.min(c.cols, r.cols);
  const cc = c.cols === w ? c : leadingCols(c, w);
  const rr = r.cols === w ? r : leadingCols(r, w);
  const cols = n * m * w > 2e8 ? columnSubset(w, SCORE_COLUMNS) : undefined;
  const cos = rowCosines(cc, rr, cols);
  const swap = n > m;
  const abs = absScore(cos, n, m, swap);
  const perm = swap ? invertMatching(maximizeAssignment(abs, m, n), n) : maximizeAssignment(abs, n, m);
  const acc = new PairAccumulator();
  const a = new Float32Array(w);
  let flipped = 0;
  let matched = 0;
  for (let i = 0; i < n; i++) {
    const j = perm[i]!;
    if (j < 0) continue;
    matched++;
    const s = cos[i * m + j]! < 0 ? -1 : 1;
    if (s < 0) flipped++;
    for (let k = 0; k < w; k++) a[k] = s * cc.data[i * w + k]!;
    acc.add(a, rr.data.subarray(j * w, j * w + w));
  }
  const st = acc.result();
  // Back to full row indices: unmatched (unsampled) rows are -1.
  const fullPerm = new Int32Array(cFull.rows).fill(-1);
  let identical = 0;
  picked.forEach((row, k) => {
    fullPerm[row] = perm[k]!;
    if (perm[k] === row) identical++;
  });
  return { r: st.pearson ?? 0, cos: st.cosine ?? 0, perm: fullPerm, identityFraction: identical / Math.max(1, matched), flipped: flipped / Math.max(1, matched) };
}

/**
 * Units on which two matchings agree. Equal sizes: one count. When one is k
 * times the other (a fused qkv [3d] against an output projection [d]), each of
 * the k blocks of the larger, taken relative to its block, is compared with
 * the smaller: one count per block (each a separate test).
 */
export function agreements(a: Int32Array, b: Int32Array): number[] {
  const [big, small] = a.length >= b.length ? [a, b] : [b, a];
  const n = small.length;
  if (n === 0 || big.length % n !== 0 || big.length / n > 4) return [];
  const counts: number[] = [];
  for (let block = 0; block < big.length / n; block++) {
    const off = block * n;
    let k = 0;
    for (let i = 0; i < n; i++) if (small[i]! >= 0 && big[off + i]! - off === small[i]) k++;
    counts.push(k);
  }
  return counts;
}
