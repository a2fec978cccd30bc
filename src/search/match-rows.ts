/**
 * Step 2 and 4 of the alignment search (deep-align.ts): match the hidden units
 * (rows) of one candidate tensor to a reference tensor's by a linear
 * assignment on |cos| over the even residual features, keeping signs, and
 * test the matching on the odd ones.
 */
import { invertMatching, maximizeAssignment } from "./assignment.js";
import { Scratch } from "../common/scratch.js";
import { type Matrix, leadingCols, pickRows, rowBlock, rowCosines } from "./matrix.js";
import { PairAccumulator } from "../stats/pair-stats.js";
import { type PermutationTest, permutationTest } from "../stats/permutation.js";

/** Hidden-unit matching of one candidate tensor against one reference tensor (both in [hidden, residual] form). */
export interface Match {
  /** Pearson of the matched rows on the features that chose the matching (what the layer choice uses). */
  select: number;
  /**
   * The matching judged on the held-out (odd) features: Pearson and cosine of the matched rows (signs
   * undone) and the permutation test (null when too few). Computed on first call: only the matchings
   * the layer choice keeps are judged.
   */
  heldOut: () => { test: PermutationTest | null; pearson: number; cosine: number };
  /** Candidate row -> reference row (-1 for rows not matched or not sampled). */
  perm: Int32Array;
  /** Candidate row -> the sign its match needed (1 or -1; 0 where unmatched). */
  signs: Int8Array;
  identityFraction: number;
  flipped: number;
}

/** A matching of candidate rows to reference rows: the partner of each (-1: none) and the sign it needed. */
export type RowMatching = Pick<Match, "perm" | "signs">;

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

/** Cells of the Float64 cosine block scored at a time (2 MiB): the whole n x m block is never held in Float64. */
const COS_BLOCK_CELLS = 1 << 18;
/** The Float64 block those cosines are scored into, reused from call to call. */
const COS_BLOCK = new Scratch();

/**
 * |cos| of every candidate row with every reference row over `cols`, as an n x m matrix or its transpose
 * (m x n) when the assignment runs the other way (Float32: half the memory of the cosines, which are
 * scored a block of rows at a time).
 */
function absCosines(c: Matrix, r: Matrix, cols: Int32Array | undefined, swap: boolean): Float32Array {
  const n = c.rows;
  const m = r.rows;
  const out = new Float32Array(n * m);
  const step = Math.max(1, Math.min(n, Math.floor(COS_BLOCK_CELLS / Math.max(1, m))));
  const block = COS_BLOCK.take(step * m);
  for (let i0 = 0; i0 < n; i0 += step) {
    const rows = Math.min(step, n - i0);
    const cos = rowCosines(rowBlock(c, i0, i0 + rows), r, cols, block);
    for (let k = 0; k < rows; k++) {
      const i = i0 + k;
      if (!swap) for (let j = 0; j < m; j++) out[i * m + j] = Math.abs(cos[k * m + j]!);
      else for (let j = 0; j < m; j++) out[j * n + i] = Math.abs(cos[k * m + j]!);
    }
  }
  return out;
}

/** Sign of the dot product of candidate row i and reference row j over `cols` (all columns when absent). */
function dotSign(c: Matrix, r: Matrix, i: number, j: number, cols: Int32Array | undefined): number {
  const w = cols ? cols.length : Math.min(c.cols, r.cols);
  let dot = 0;
  for (let x = 0; x < w; x++) {
    const col = cols ? cols[x]! : x;
    dot += c.data[i * c.cols + col]! * r.data[j * r.cols + col]!;
  }
  return dot < 0 ? -1 : 1;
}

export function matchRows(cFull: Matrix, r: Matrix, modulus = 0): Match {
  const picked = searchRows(cFull.rows, modulus);
  const c = picked.length === cFull.rows ? cFull : pickRows(cFull, picked);
  const n = c.rows;
  const m = r.rows;
  const w = Math.min(c.cols, r.cols);
  const cc = c.cols === w ? c : leadingCols(c, w);
  const rr = r.cols === w ? r : leadingCols(r, w);
  // Split the residual features: the matching (and the layer choice, from `select`) sees the even
  // ones only; the test sees the odd ones only, so the selection never grades itself.
  const { choose, held } = splitFeatures(w, n * m * Math.ceil(w / 2) > 2e8 ? SCORE_COLUMNS : w);
  const swap = n > m;
  const abs = absCosines(cc, rr, choose, swap);
  const perm = swap ? invertMatching(maximizeAssignment(abs, m, n), n) : maximizeAssignment(abs, n, m);
  const signs = new Int8Array(n);
  let flipped = 0;
  let matched = 0;
  for (let i = 0; i < n; i++) {
    const j = perm[i]!;
    if (j < 0) continue;
    matched++;
    signs[i] = dotSign(cc, rr, i, j, choose);
    if (signs[i]! < 0) flipped++;
  }
  const matching: RowMatching = { perm, signs };
  const select = matchedPearson(cc, rr, matching, choose ?? allColumns(w));
  let judged: ReturnType<Match["heldOut"]> | null = null;
  const heldOut = () => (judged ??= heldOutTest(cc, rr, matching, held));
  // Back to full row indices: unmatched (unsampled) rows are -1.
  const fullPerm = new Int32Array(cFull.rows).fill(-1);
  const fullSigns = new Int8Array(cFull.rows);
  let identical = 0;
  picked.forEach((row, k) => {
    fullPerm[row] = perm[k]!;
    fullSigns[row] = signs[k]!;
    if (perm[k] === row) identical++;
  });
  return { select, heldOut, perm: fullPerm, signs: fullSigns, identityFraction: identical / Math.max(1, matched), flipped: flipped / Math.max(1, matched) };
}

/** Even features (at most `limit`, evenly spaced) choose the matching; odd features test it. */
export function splitFeatures(w: number, limit: number): { choose: Int32Array; held: Int32Array } {
  const even = Array.from({ length: Math.ceil(w / 2) }, (_, i) => 2 * i);
  const odd = Array.from({ length: Math.floor(w / 2) }, (_, i) => 2 * i + 1);
  const thin = (xs: number[]) => (xs.length <= limit ? xs : Array.from({ length: limit }, (_, i) => xs[Math.floor((i * xs.length) / limit)]!));
  return { choose: Int32Array.from(thin(even)), held: Int32Array.from(odd) };
}

const allColumns = (w: number) => Int32Array.from({ length: w }, (_, i) => i);

/** Pearson of the matched rows (signs undone) over the given columns. */
function matchedPearson(c: Matrix, r: Matrix, matching: RowMatching, cols: Int32Array): number {
  const { a, b } = matchedColumns(c, r, matching, cols);
  const acc = new PairAccumulator();
  acc.add(a, b);
  return acc.result().pearson ?? 0;
}

/** The matched rows restricted to `cols`, as two [rows, cols] samples on one grid. */
function matchedColumns(c: Matrix, r: Matrix, { perm, signs }: RowMatching, cols: Int32Array): { a: Float32Array; b: Float32Array; rows: number } {
  const rows: number[] = [];
  for (let i = 0; i < perm.length; i++) if (perm[i]! >= 0) rows.push(i);
  const k = cols.length;
  const a = new Float32Array(rows.length * k);
  const b = new Float32Array(rows.length * k);
  rows.forEach((i, q) => {
    const j = perm[i]!;
    const s = signs[i]!;
    for (let x = 0; x < k; x++) {
      a[q * k + x] = s * c.data[i * c.cols + cols[x]!]!;
      b[q * k + x] = r.data[j * r.cols + cols[x]!]!;
    }
  });
  return { a, b, rows: rows.length };
}

/**
 * The matching judged on the held-out features: a permutation test of the features (residual
 * dimensions, exchangeable under H0 and untouched by the matching), the matched rows as features.
 * Valid whatever the matching did, and whatever a model's own tensors share (aligned gate and up
 * rows cannot help: nothing here depends on another tensor).
 */
export function heldOutTest(c: Matrix, r: Matrix, matching: RowMatching, held: Int32Array): { test: PermutationTest | null; pearson: number; cosine: number } {
  const { a, b, rows } = matchedColumns(c, r, matching, held);
  const acc = new PairAccumulator();
  acc.add(a, b);
  const st = acc.result();
  const test = rows >= 1 && held.length >= 3 ? permutationTest({ a, b, rows, cols: held.length }, "cols") : null;
  return { test, pearson: st.pearson ?? 0, cosine: st.cosine ?? 0 };
}
