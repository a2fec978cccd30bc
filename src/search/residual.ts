/**
 * Step 1 of the alignment search (deep-align.ts): how the candidate's residual
 * axis maps onto the reference's. A permutation with signs, recovered by a
 * linear assignment on dimension profiles over an axis both models share
 * (token ids, positions, pixels, norm gains), or a rotation when the
 * embeddings say the stream was rotated.
 */
import { invertMatching, maximizeAssignment } from "./assignment.js";
import { rowDots } from "../kernels/dots.js";
import { type Matrix, columnSubset } from "./matrix.js";
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

/**
 * Residual dimensions as unit rows over the shared axis, in one copy: row i is residual dimension i,
 * over the first `shared` entries of the other axis (at `cols` of them when given), centred per entry
 * across dimensions first when asked (the mean is over every dimension). Cosines between these rows are
 * the profiles' cosines.
 */
function unitResidualRows(m: Matrix, { residual, center }: { residual: "rows" | "cols"; center: boolean }, { cols, shared }: { cols: Int32Array | undefined; shared: number }): Float32Array {
  const d = residual === "rows" ? m.rows : m.cols;
  const k = cols ? cols.length : shared;
  // Element (dimension i, shared entry j) of the stored matrix.
  const at = residual === "rows" ? (i: number, j: number) => i * m.cols + j : (i: number, j: number) => j * m.cols + i;
  const mean = new Float64Array(k);
  if (center)
    for (let x = 0; x < k; x++) {
      const j = cols ? cols[x]! : x;
      let mu = 0;
      for (let i = 0; i < d; i++) mu += m.data[at(i, j)]!;
      mean[x] = mu / d;
    }
  const out = new Float32Array(d * k);
  for (let i = 0; i < d; i++) {
    const row = out.subarray(i * k, (i + 1) * k);
    let ss = 0;
    for (let x = 0; x < k; x++) {
      const v = Math.fround(m.data[at(i, cols ? cols[x]! : x)]! - mean[x]!);
      row[x] = v;
      ss += v * v;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let x = 0; x < k; x++) row[x]! *= inv;
  }
  return out;
}

/** Candidate dimensions scored at a time (bounds the cosine block at width 4096 to a few MiB). */
const ROW_CHUNK = 128;
/** Above this many cells the score matrix is not held: each candidate dimension keeps its TOP_K best reference dimensions. */
const DENSE_MAX_CELLS = 4 << 20;
const TOP_K = 32;

/** One block's profiles as unit rows: candidate [n, k], reference [m, k]. */
type Profiles = { c: Float32Array; r: Float32Array; k: number; w: number; signed: boolean };

/**
 * The residual permutation (candidate dim -> reference dim) with signs: a linear
 * assignment on the sum of every block's cosine between dimension profiles,
 * each scaled by sqrt(profile length) so blocks weigh by how much they know.
 * Scored in row chunks; above DENSE_MAX_CELLS (width > 2048) only each candidate
 * dimension's TOP_K best reference dimensions are kept and matched greedily (a
 * permutation that is really there puts each partner first), so memory stays a
 * few MiB at width 8192 beyond one unit-row copy of each block.
 */
export function residualMap(basis: Basis): ResidualMap | null {
  const blocks: Profiles[] = [];
  let n = 0;
  let m = 0;
  for (const b of basis.blocks) {
    const dims = (x: Matrix) => (b.residual === "rows" ? x.rows : x.cols);
    const other = (x: Matrix) => (b.residual === "rows" ? x.cols : x.rows);
    if (blocks.length && (dims(b.candidate) !== n || dims(b.reference) !== m)) continue;
    const shared = Math.min(other(b.candidate), other(b.reference));
    if (shared < 2) continue;
    n = dims(b.candidate);
    m = dims(b.reference);
    const cols = columnSubset(shared, 4096);
    const k = cols ? cols.length : shared;
    const over = { cols, shared };
    blocks.push({ c: unitResidualRows(b.candidate, b, over), r: unitResidualRows(b.reference, b, over), k, w: Math.sqrt(k), signed: b.signed });
  }
  if (!blocks.length) return null;
  /** The first unsigned block's profiles: its cosines give the signs and the match quality. */
  const signing = blocks.find((b) => !b.signed) ?? null;
  const dense = n * m <= DENSE_MAX_CELLS;
  const total = dense ? new Float32Array(n * m) : null;
  const top = dense ? null : { col: new Int32Array(n * TOP_K).fill(-1), score: new Float32Array(n * TOP_K).fill(-Infinity) };
  const chunk = new Float32Array(Math.min(ROW_CHUNK, n) * m);
  const cosBlock = new Float64Array(Math.min(ROW_CHUNK, n) * m);
  for (let i0 = 0; i0 < n; i0 += ROW_CHUNK) {
    const rows = Math.min(ROW_CHUNK, n - i0);
    const cells = rows * m;
    chunk.fill(0, 0, cells);
    for (const b of blocks) {
      const cos = rowDots(b.c.subarray(i0 * b.k, (i0 + rows) * b.k), rows, b.r, m, b.k, cosBlock);
      for (let k = 0; k < cells; k++) chunk[k] += b.w * (b.signed ? cos[k]! : Math.abs(cos[k]!));
    }
    if (total) total.set(chunk.subarray(0, cells), i0 * m);
    else for (let k = 0; k < rows; k++) keepTop(chunk.subarray(k * m, (k + 1) * m), top!.col, top!.score, (i0 + k) * TOP_K);
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

/** Cosine of candidate profile i with reference profile j (the rows are unit: their dot product). */
function profileCos(s: Profiles, i: number, j: number): number {
  let dot = 0;
  for (let x = 0; x < s.k; x++) dot += s.c[i * s.k + x]! * s.r[j * s.k + x]!;
  return dot;
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
