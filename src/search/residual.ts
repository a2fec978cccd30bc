/**
 * Step 1 of the alignment search (deep-align.ts): how the candidate's residual
 * axis maps onto the reference's. A permutation with signs, recovered by a
 * linear assignment on dimension profiles over an axis both models share
 * (token ids, positions, pixels, norm gains), or a rotation when the
 * embeddings say the stream was rotated.
 */
import { invertMatching, maximizeAssignment } from "./assignment.js";
import { type Matrix, columnSubset, leadingCols, pickRows, rowCosines, transposed } from "./matrix.js";
import { procrustes } from "./procrustes.js";

/**
 * Tensors that carry the residual axis next to an axis both models share, from
 * which the residual permutation is recovered: embedding and LM-head columns
 * over token ids, norm gains (a per-dimension profile), patch embeddings over
 * pixels.
 */
export interface BasisBlock {
  candidate: Matrix;
  reference: Matrix;
  /** Residual axis of the block: embeddings [tokens, d] have it on cols, patch embeddings [d, pixels] on rows. */
  residual: "rows" | "cols";
  /** Values keep their sign under the evasions (norm gains); else a residual dimension may be negated. */
  signed: boolean;
  /** Centre each vector across dimensions first (norm gains sit near 1). */
  center: boolean;
}

export interface Basis {
  blocks: BasisBlock[];
}

export interface ResidualMap {
  /** Candidate dimension -> reference dimension (-1 where unmatched). */
  perm: Int32Array;
  sign: Float32Array;
  /** The permutation is (almost) the identity with no sign flipped. */
  identity: boolean;
  /** Mean |cos| of the matching (1 = a clean permutation); 0 without an unsigned block. */
  quality: number;
  /** Mean |cos| of the identity matching, for comparison. */
  identityQuality: number;
}

/** How the candidate's residual axis is brought into the reference's basis. */
export type ResidualTransform = { kind: "permutation"; map: ResidualMap } | { kind: "rotation"; q: Float64Array; d: number; fit: number };

/** Procrustes fit (mean row cosine) above which a rotation of the residual stream is worth searching. */
const ROTATION_MIN_FIT = 0.9;

/** Residual dimensions as rows, [d, shared axis], optionally centred per column. */
function residualRows(m: Matrix, residual: "rows" | "cols", center: boolean): Matrix {
  const r = residual === "rows" ? m : transposed(m);
  if (!center) return r;
  const out = new Float32Array(r.data);
  for (let j = 0; j < r.cols; j++) {
    let mu = 0;
    for (let i = 0; i < r.rows; i++) mu += out[i * r.cols + j]!;
    mu /= r.rows;
    for (let i = 0; i < r.rows; i++) out[i * r.cols + j]! -= mu;
  }
  return { rows: r.rows, cols: r.cols, data: out };
}

/** Candidate dimensions scored at a time (bounds the cosine block at width 4096 to a few MiB). */
const ROW_CHUNK = 256;
/** Above this many cells the score matrix is not held: each candidate dimension keeps its TOP_K best reference dimensions. */
const DENSE_MAX_CELLS = 4 << 20;
const TOP_K = 32;

type Profiles = { c: Matrix; r: Matrix; cols: Int32Array | undefined; w: number; signed: boolean };

/**
 * The residual permutation (candidate dim -> reference dim) with signs: a linear
 * assignment on the sum of every block's cosine between dimension profiles,
 * each scaled by sqrt(profile length) so blocks weigh by how much they know.
 * Scored in row chunks; above DENSE_MAX_CELLS (width > 2048) only each candidate
 * dimension's TOP_K best reference dimensions are kept and matched greedily (a
 * permutation that is really there puts each partner first), so memory stays a
 * few MiB at width 8192.
 */
export function residualMap(basis: Basis): ResidualMap | null {
  const blocks: Profiles[] = [];
  let n = 0;
  let m = 0;
  for (const b of basis.blocks) {
    let c = residualRows(b.candidate, b.residual, b.center);
    let r = residualRows(b.reference, b.residual, b.center);
    if (blocks.length && (c.rows !== n || r.rows !== m)) continue;
    const shared = Math.min(c.cols, r.cols);
    if (shared < 2) continue;
    if (c.cols !== shared) c = leadingCols(c, shared);
    if (r.cols !== shared) r = leadingCols(r, shared);
    n = c.rows;
    m = r.rows;
    const cols = columnSubset(shared, 4096);
    blocks.push({ c, r, cols, w: Math.sqrt(cols ? cols.length : shared), signed: b.signed });
  }
  if (!blocks.length) return null;
  /** The first unsigned block's profiles: its cosines give the signs and the match quality. */
  const signing = blocks.find((b) => !b.signed) ?? null;
  const dense = n * m <= DENSE_MAX_CELLS;
  const total = dense ? new Float32Array(n * m) : null;
  const top = dense ? null : { col: new Int32Array(n * TOP_K).fill(-1), score: new Float32Array(n * TOP_K).fill(-Infinity) };
  const chunk = new Float32Array(Math.min(ROW_CHUNK, n) * m);
  for (let i0 = 0; i0 < n; i0 += ROW_CHUNK) {
    const rows = Int32Array.from({ length: Math.min(ROW_CHUNK, n - i0) }, (_, k) => i0 + k);
    const cells = rows.length * m;
    chunk.fill(0, 0, cells);
    for (const b of blocks) {
      const cos = rowCosines(pickRows(b.c, rows), b.r, b.cols);
      for (let k = 0; k < cells; k++) chunk[k] += b.w * (b.signed ? cos[k]! : Math.abs(cos[k]!));
    }
    if (total) total.set(chunk.subarray(0, cells), i0 * m);
    else for (let k = 0; k < rows.length; k++) keepTop(chunk.subarray(k * m, (k + 1) * m), top!.col, top!.score, (i0 + k) * TOP_K);
  }
  let a: Int32Array;
  if (total) {
    const swap = n > m;
    const score = swap ? transposeScore(total, n, m) : total;
    a = swap ? invertMatching(maximizeAssignment(score, m, n), n) : maximizeAssignment(score, n, m);
  } else {
    a = sparseGreedy(top!.col, top!.score, n, m);
  }
  return withSigns(a, signing, n, m);
}

/** Keep the TOP_K largest of `row` (column and score) at `at` of the lists, best first. */
function keepTop(row: Float32Array, col: Int32Array, score: Float32Array, at: number): void {
  for (let j = 0; j < row.length; j++) {
    const v = row[j]!;
    if (!(v > score[at + TOP_K - 1]!)) continue;
    let k = TOP_K - 1;
    while (k > 0 && score[at + k - 1]! < v) {
      score[at + k] = score[at + k - 1]!;
      col[at + k] = col[at + k - 1]!;
      k--;
    }
    score[at + k] = v;
    col[at + k] = j;
  }
}

/** Greedy matching on the kept candidates, best score first, each row and column once (rows left over stay -1). */
function sparseGreedy(col: Int32Array, score: Float32Array, n: number, m: number): Int32Array {
  const order = Array.from({ length: n * TOP_K }, (_, k) => k).filter((k) => col[k]! >= 0);
  order.sort((x, y) => score[y]! - score[x]!);
  const out = new Int32Array(n).fill(-1);
  const taken = new Uint8Array(m);
  for (const k of order) {
    const i = Math.floor(k / TOP_K);
    const j = col[k]!;
    if (out[i] !== -1 || taken[j]) continue;
    out[i] = j;
    taken[j] = 1;
  }
  return out;
}

/** Cosine of candidate profile i with reference profile j. */
function profileCos(s: Profiles, i: number, j: number): number {
  const k = s.cols ? s.cols.length : s.c.cols;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let x = 0; x < k; x++) {
    const col = s.cols ? s.cols[x]! : x;
    const u = s.c.data[i * s.c.cols + col]!;
    const v = s.r.data[j * s.r.cols + col]!;
    dot += u * v;
    na += u * u;
    nb += v * v;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** Signs and qualities of a residual matching, from the cosines of the first unsigned block. */
function withSigns(a: Int32Array, signing: Profiles | null, n: number, m: number): ResidualMap {
  const sign = new Float32Array(n);
  let same = 0;
  let quality = 0;
  for (let i = 0; i < n; i++) {
    const j = a[i]!;
    const sv = signing && j >= 0 ? profileCos(signing, i, j) : 1;
    sign[i] = sv < 0 ? -1 : 1;
    if (signing && j >= 0) quality += Math.abs(sv);
    if (j === i && sign[i] > 0) same++;
  }
  let identityQuality = 0;
  if (signing) for (let i = 0; i < Math.min(n, m); i++) identityQuality += Math.abs(profileCos(signing, i, i));
  return { perm: a, sign, identity: same >= 0.98 * n, quality: signing ? quality / n : 0, identityQuality: signing ? identityQuality / n : 0 };
}

function transposeScore(s: Float32Array, n: number, m: number): Float32Array {
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = s[i * m + j]!;
  return out;
}

/** The rotation that maps the candidate's embeddings onto the reference's, when it fits (a rotated copy). */
export function residualRotation(basis: Basis): ResidualTransform | null {
  const block = basis.blocks.find((b) => !b.signed && b.residual === "cols");
  if (!block) return null;
  const p = procrustes(block.candidate, block.reference);
  return p && p.fit >= ROTATION_MIN_FIT ? { kind: "rotation", q: p.q, d: block.candidate.cols, fit: p.fit } : null;
}
