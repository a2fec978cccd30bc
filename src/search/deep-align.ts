/**
 * The search for reuse that was hidden on purpose. A copier can permute the
 * residual dimension (consistently in every tensor), the hidden units of each
 * MLP, the heads of each attention layer, flip signs where the activation
 * allows, and drop, duplicate or reorder layers; the function is unchanged and
 * element-wise Pearson drops to ~0. Undo it the way the provenance literature
 * does (AWM; Zhu et al.):
 *
 * 1. residual basis: a linear assignment on |cos| of embedding columns over
 *    shared token ids (or of patch-embedding rows for a vision tower), keeping
 *    signs;
 * 2. hidden units: per tensor pair, a linear assignment on |cos| of rows in
 *    that shared basis, keeping signs; aligned Pearson is then computed on the
 *    matched rows;
 * 3. layers: every candidate layer is compared with every reference layer;
 *    each takes its best reference layer (duplication and reordering allowed);
 * 4. evidence: agreement. Tensors that share one hidden permutation (gate, up
 *    and down; q, k, v and o heads) are matched independently, and the number
 *    of units on which two matchings agree is ~Poisson(1) for unrelated models
 *    but ~n for a copy; log10 p is computed in log space. The aligned Pearson
 *    is the effect size, and its z against the same pipeline run on the
 *    reference layers not chosen (reference self-duplicates excluded) is
 *    reported, but it does not decide: layer 0 of two unrelated models trained
 *    on the same data aligns better than other layers (it reads the
 *    embeddings), so that null is not exchangeable with the matched layer.
 */
import { maximizeAssignment } from "./assignment.js";
import { type Matrix, columnSubset, mapColumns, rowCosines, transposed } from "./matrix.js";
import { PairAccumulator } from "../stats/pair-stats.js";
import { procrustes, rotateRows } from "./procrustes.js";
import { poissonTailLog10, zFromLog10P } from "../stats/pvalues.js";

export interface DeepTensor {
  name: string;
  layer: number | null;
  /** Canonical matrix: rows x cols as stored in the aligned view. */
  m: Matrix;
}

export interface RoleGroup {
  role: string;
  /** Which axis of the canonical matrix holds the hidden units (the other is the residual stream). */
  hidden: "rows" | "cols";
  candidate: DeepTensor[];
  reference: DeepTensor[];
}

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

export interface DeepResult {
  candidate: string;
  reference: string;
  pearson: number;
  cosine: number;
  /** z of the aligned Pearson against the aligned null. */
  zAligned: number;
  /** log10 p of the agreement test (0 when no partner tensor shares the hidden units). */
  log10p: number;
  /** Strongest evidence as a z (max of zAligned and the z of the agreement p). */
  z: number;
  null: { mean: number; sd: number; n: number };
  transform: string;
  elements: number;
}

export interface DeepReport {
  results: DeepResult[];
  residualPermuted: boolean;
  /** Mean |cos| of the residual matching (1 = a clean permutation). */
  residualMatchQuality: number | null;
  /** Reference layers that are near-copies of each other (excluded from each other's null). */
  referenceDuplicates: [number, number][];
}

/** Hidden-unit matching of one candidate tensor against one reference tensor (both in [hidden, residual] form). */
interface Match {
  r: number;
  cos: number;
  perm: Int32Array;
  identityFraction: number;
  flipped: number;
  n: number;
}

const SCORE_COLUMNS = 512;
const DUPLICATE_R = 0.5;

function hForm(t: DeepTensor, hidden: "rows" | "cols"): Matrix {
  return hidden === "rows" ? t.m : transposed(t.m);
}

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

/**
 * The residual permutation (candidate dim -> reference dim) with signs: a linear
 * assignment on the sum of every block's cosine between dimension profiles,
 * each scaled by sqrt(profile length) so blocks weigh by how much they know.
 */
export function residualMap(
  basis: Basis,
): { perm: Int32Array; sign: Float32Array; identity: boolean; quality: number; identityQuality: number } | null {
  let total: Float64Array | null = null;
  let signs: Float64Array | null = null;
  let n = 0;
  let m = 0;
  for (const b of basis.blocks) {
    let c = residualRows(b.candidate, b.residual, b.center);
    let r = residualRows(b.reference, b.residual, b.center);
    if (total && (c.rows !== n || r.rows !== m)) continue;
    const shared = Math.min(c.cols, r.cols);
    if (shared < 2) continue;
    if (c.cols !== shared) c = leadingCols(c, shared);
    if (r.cols !== shared) r = leadingCols(r, shared);
    n = c.rows;
    m = r.rows;
    const cols = columnSubset(shared, 4096);
    const cos = rowCosines(c, r, cols);
    const w = Math.sqrt(cols ? cols.length : shared);
    total ??= new Float64Array(n * m);
    for (let i = 0; i < n * m; i++) total[i] += w * (b.signed ? cos[i]! : Math.abs(cos[i]!));
    if (!b.signed && !signs) signs = cos;
  }
  if (!total) return null;
  const swap = n > m;
  const score = swap ? transposeScore(total, n, m) : total;
  const a = swap ? invert(maximizeAssignment(score, m, n), n) : maximizeAssignment(score, n, m);
  const sign = new Float32Array(n);
  let same = 0;
  let quality = 0;
  for (let i = 0; i < n; i++) {
    const j = a[i]!;
    const sv = signs && j >= 0 ? signs[i * m + j]! : 1;
    sign[i] = sv < 0 ? -1 : 1;
    if (signs && j >= 0) quality += Math.abs(sv);
    if (j === i && sign[i] > 0) same++;
  }
  let identityQuality = 0;
  if (signs) for (let i = 0; i < Math.min(n, m); i++) identityQuality += Math.abs(signs[i * m + i]!);
  return { perm: a, sign, identity: same >= 0.98 * n, quality: signs ? quality / n : 0, identityQuality: signs ? identityQuality / n : 0 };
}

function transposeScore(s: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = s[i * m + j]!;
  return out;
}

function leadingCols(m: Matrix, cols: number): Matrix {
  const out = new Float32Array(m.rows * cols);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols, i * m.cols + cols), i * cols);
  return { rows: m.rows, cols, data: out };
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

/** Turn a matching of m items into n targets into its inverse (n -> m, -1 where unmatched). */
function invert(a: Int32Array, n: number): Int32Array {
  const out = new Int32Array(n).fill(-1);
  a.forEach((j, i) => {
    if (j >= 0) out[j] = i;
  });
  return out;
}

/** Candidate rows matched per tensor pair at most: a deterministic subset above this (~SEARCH_ROWS). */
export const SEARCH_ROWS = 256;

/**
 * Which candidate rows to match. All of them when few; else a deterministic
 * subset chosen by a hash of (row mod `modulus`), so tensors with the same
 * hidden size, and every block of a fused [k*d] tensor against a [d] one,
 * sample the same units (their matchings can then be compared).
 */
export function searchRows(n: number, modulus: number): Int32Array {
  if (n <= SEARCH_ROWS) return Int32Array.from({ length: n }, (_, i) => i);
  const mod = modulus > 0 && n % modulus === 0 ? modulus : n;
  const keep = Math.min(1, SEARCH_ROWS / mod);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (((Math.imul(i % mod, 2654435761) >>> 0) / 4294967296) < keep) out.push(i);
  return Int32Array.from(out);
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
  const perm = swap ? invert(maximizeAssignment(abs, m, n), n) : maximizeAssignment(abs, n, m);
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
  return { r: st.pearson ?? 0, cos: st.cosine ?? 0, perm: fullPerm, identityFraction: identical / Math.max(1, matched), flipped: flipped / Math.max(1, matched), n: matched * w };
}

function pickRows(m: Matrix, rows: Int32Array): Matrix {
  const out = new Float32Array(rows.length * m.cols);
  rows.forEach((r, k) => out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return { rows: rows.length, cols: m.cols, data: out };
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

function directPearson(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) return 0;
  const acc = new PairAccumulator();
  acc.add(a.data, b.data);
  return acc.result().pearson ?? 0;
}

function summarise(values: number[]): { mean: number; sd: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, sd: 0, n: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

type ResidualMap = NonNullable<ReturnType<typeof residualMap>>;
/** How the candidate's residual axis is brought into the reference's basis. */
type ResidualTransform = { kind: "permutation"; map: ResidualMap } | { kind: "rotation"; q: Float64Array; d: number; fit: number };

/** Procrustes fit (mean row cosine) above which a rotation of the residual stream is worth searching. */
export const ROTATION_MIN_FIT = 0.9;

/** The rotation that maps the candidate's embeddings onto the reference's, when it fits (a rotated copy). */
function residualRotation(basis: Basis): ResidualTransform | null {
  const block = basis.blocks.find((b) => !b.signed && b.residual === "cols");
  if (!block) return null;
  const p = procrustes(block.candidate, block.reference);
  return p && p.fit >= ROTATION_MIN_FIT ? { kind: "rotation", q: p.q, d: block.candidate.cols, fit: p.fit } : null;
}

/**
 * Run the search with the residual basis as it is and, when the recovered
 * permutation is not the identity, with that permutation too (and with a
 * rotation when the embeddings say the stream was rotated); each tensor keeps
 * the stronger evidence, its p-value paying for every extra look.
 */
/** Called as the search matches candidate matrices (it runs synchronously: the only sign of life). */
export type SearchProgress = (message: string) => void;

export function deepAlign(groups: RoleGroup[], basis: Basis | null, residualSize = 0, progress?: SearchProgress): DeepReport {
  const map = basis ? residualMap(basis) : null;
  // A clean permutation far better than the identity needs no second look at the identity.
  const clean = map !== null && map.quality >= 0.5 && map.identityQuality < 0.5 * map.quality;
  const perm: ResidualTransform | null = map && !map.identity ? { kind: "permutation", map } : null;
  const transforms: (ResidualTransform | null)[] = !perm ? [null] : clean ? [perm] : [null, perm];
  const rotation = basis && !clean ? residualRotation(basis) : null;
  if (rotation) transforms.push(rotation);
  const runs = transforms.map((t, i) =>
    alignOnce(groups, t, residualSize, progress ? (done, total) => progress(`residual look ${i + 1}/${transforms.length} (${t ? t.kind : "as stored"}): ${done}/${total} matrices matched`) : undefined),
  );
  const looks = Math.log10(transforms.length);
  // Runs are matched by candidate tensor, not by position: a run may leave a tensor out (its chosen
  // reference layer lacks that role, e.g. an unread reference tensor).
  const byCandidate = new Map<string, DeepResult>();
  for (const run of runs) {
    for (const r of run.results) {
      const prev = byCandidate.get(r.candidate);
      if (!prev || r.log10p < prev.log10p) byCandidate.set(r.candidate, r);
    }
  }
  const results = [...byCandidate.values()].map((best) => {
    const log10p = Math.min(0, best.log10p + looks);
    return { ...best, log10p, z: zFromLog10P(log10p) };
  });
  const dups = new Map(runs.flatMap((r) => r.referenceDuplicates).map((d) => [`${d[0]}|${d[1]}`, d] as const));
  return {
    results,
    residualPermuted: results.some((r) => /residual-(permuted|rotated)/.test(r.transform)),
    residualMatchQuality: map ? map.quality : null,
    referenceDuplicates: [...dups.values()],
  };
}

function alignOnce(groups: RoleGroup[], transform: ResidualTransform | null, residualSize: number, progress?: (done: number, total: number) => void): DeepReport {
  const toMatch = groups.reduce((n, g) => n + g.candidate.length, 0);
  const matched = new Set<DeepTensor>();
  const map = transform?.kind === "permutation" ? transform.map : null;
  const residualPermuted = transform !== null;
  // Put every candidate tensor into the reference's residual basis, in [hidden, residual] form.
  const toRef = (t: DeepTensor, g: RoleGroup, refCols: number): Matrix => {
    const h = hForm(t, g.hidden);
    if (transform?.kind === "rotation") return h.cols === transform.d && refCols === transform.d ? rotateRows(h, transform.q) : h;
    if (!map || h.cols !== map.perm.length) return h;
    return mapColumns(h, map.perm, map.sign, refCols);
  };

  // Layer-by-layer matrix of aligned Pearson per role, and the matchings behind it. The full
  // candidate-layer x reference-layer matrix is computed for the cheapest roles only (they choose the
  // layers); costlier roles are matched at the chosen layer alone.
  type Cell = Match & { refName: string; refLayer: number | null };
  const cells = new Map<string, Cell[]>(); // key: role|candidateName -> cells against reference tensors
  const refDup = new Set<string>();
  const referenceDuplicates: [number, number][] = [];
  const refForms = new Map<RoleGroup, Matrix[]>();
  const cost = (g: RoleGroup) => {
    const c = hForm(g.candidate[0]!, g.hidden);
    const r = hForm(g.reference[0]!, g.hidden);
    return c.rows * r.rows * Math.min(c.cols, r.cols);
  };
  const cheapest = Math.min(...groups.filter((g) => g.candidate.length && g.reference.length).map(cost));
  const selecting = new Set(groups.filter((g) => g.candidate.length && g.reference.length && cost(g) <= 2 * cheapest));
  for (const g of groups) {
    const refH = g.reference.map((t) => hForm(t, g.hidden));
    refForms.set(g, refH);
    for (let a = 0; a < g.reference.length; a++) {
      for (let b = a + 1; b < g.reference.length; b++) {
        if (directPearson(refH[a]!, refH[b]!) > DUPLICATE_R) {
          const la = g.reference[a]!.layer ?? -1;
          const lb = g.reference[b]!.layer ?? -1;
          const key = `${Math.min(la, lb)}|${Math.max(la, lb)}`;
          if (!refDup.has(key)) referenceDuplicates.push([Math.min(la, lb), Math.max(la, lb)]);
          refDup.add(key);
        }
      }
    }
  }
  const fillRow = (g: RoleGroup, ct: DeepTensor, only: (layer: number | null) => boolean) => {
    matched.add(ct);
    progress?.(matched.size, toMatch);
    const refH = refForms.get(g)!;
    const row: Cell[] = [];
    const mapped = new Map<number, Matrix>();
    g.reference.forEach((rt, k) => {
      if (!only(rt.layer)) return;
      const cols = refH[k]!.cols;
      if (!mapped.has(cols)) mapped.set(cols, toRef(ct, g, cols));
      row.push({ ...matchRows(mapped.get(cols)!, refH[k]!, residualSize), refName: rt.name, refLayer: rt.layer });
    });
    cells.set(`${g.role}|${ct.name}`, row);
  };
  for (const g of selecting) for (const ct of g.candidate) fillRow(g, ct, () => true);

  // Each candidate layer picks the reference layer with the highest total aligned Pearson over the selecting roles.
  const layerScore = new Map<number | null, Map<number | null, number>>();
  for (const g of selecting) {
    for (const ct of g.candidate) {
      const scores = layerScore.get(ct.layer) ?? new Map<number | null, number>();
      for (const cell of cells.get(`${g.role}|${ct.name}`)!) scores.set(cell.refLayer, (scores.get(cell.refLayer) ?? 0) + cell.r);
      layerScore.set(ct.layer, scores);
    }
  }
  const chosenLayer = new Map<number | null, number | null>();
  for (const [cl, scores] of layerScore) {
    let best: number | null = null;
    let bestScore = -Infinity;
    for (const [rl, sc] of scores) {
      // Prefer the same index on ties: no shift is claimed without evidence.
      if (sc > bestScore + 1e-12 || (Math.abs(sc - bestScore) <= 1e-12 && rl === cl)) {
        best = rl;
        bestScore = sc;
      }
    }
    chosenLayer.set(cl, best);
  }
  // The other roles: at the chosen layer, or against every layer when their layer was not chosen above.
  for (const g of groups) {
    if (selecting.has(g)) continue;
    for (const ct of g.candidate) {
      const want = chosenLayer.get(ct.layer);
      if (want === undefined) fillRow(g, ct, () => true);
      else fillRow(g, ct, (l) => l === want);
    }
  }
  for (const g of groups) {
    if (selecting.has(g)) continue;
    for (const ct of g.candidate) {
      if (chosenLayer.has(ct.layer)) continue;
      const row = cells.get(`${g.role}|${ct.name}`)!;
      const best = row.reduce<Cell | null>((a, b) => (a === null || b.r > a.r ? b : a), null);
      if (best) chosenLayer.set(ct.layer, best.refLayer);
    }
  }
  const isDup = (a: number | null, b: number | null) => refDup.has(`${Math.min(a ?? -1, b ?? -1)}|${Math.max(a ?? -1, b ?? -1)}`);

  const results: DeepResult[] = [];
  // Agreement partners: tensors of one candidate layer matched to the same reference layer, same hidden size.
  const chosenCells = new Map<string, { cell: Cell; group: RoleGroup; ct: DeepTensor }>();
  for (const g of groups) {
    for (const ct of g.candidate) {
      const want = chosenLayer.get(ct.layer);
      const cell = cells.get(`${g.role}|${ct.name}`)!.find((c) => c.refLayer === want);
      if (cell) chosenCells.set(`${g.role}|${ct.name}`, { cell, group: g, ct });
    }
  }
  for (const g of groups) {
    // The aligned null of this role: every candidate layer against the reference layers it did not choose.
    const nullValues: number[] = [];
    for (const ct of g.candidate) {
      const want = chosenLayer.get(ct.layer);
      for (const cell of cells.get(`${g.role}|${ct.name}`)!) {
        if (cell.refLayer === want || isDup(cell.refLayer, want ?? null)) continue;
        nullValues.push(cell.r);
      }
    }
    const nul = summarise(nullValues);
    for (const ct of g.candidate) {
      const chosen = chosenCells.get(`${g.role}|${ct.name}`);
      if (!chosen) continue;
      const { cell } = chosen;
      const floor = 1 / Math.sqrt(Math.max(1, cell.n));
      const zAligned = nul.n > 0 ? (cell.r - nul.mean) / Math.max(nul.sd, floor) : 0;
      // Agreement with every partner sharing the hidden units; Bonferroni over partners.
      let bestLog10p = 0;
      let partners = 0;
      for (const [key, other] of chosenCells) {
        if (key === `${g.role}|${ct.name}` || other.ct.layer !== ct.layer) continue;
        for (const k of agreements(cell.perm, other.cell.perm)) {
          partners++;
          bestLog10p = Math.min(bestLog10p, poissonTailLog10(k, 1));
        }
      }
      const log10p = partners > 0 ? Math.min(0, bestLog10p + Math.log10(partners)) : 0;
      // Decisive evidence is the agreement test: the aligned-Pearson null (other layers) is not
      // exchangeable with the matched layer when layers share structure by construction (layer 0
      // reads the embeddings), so zAligned is reported but never decides.
      const z = zFromLog10P(log10p);
      const transforms: string[] = [];
      if (cell.refLayer !== ct.layer) transforms.push("layer-shift");
      if (residualPermuted) transforms.push(transform?.kind === "rotation" ? "residual-rotated" : "residual-permuted");
      if (cell.identityFraction < 0.9) transforms.push("permuted-rows");
      if (cell.flipped > 0.1 && cell.flipped < 0.9) transforms.push("sign-flips");
      results.push({
        candidate: ct.name,
        reference: cell.refName,
        pearson: cell.r,
        cosine: cell.cos,
        zAligned,
        log10p,
        z,
        null: nul,
        transform: transforms.join("+") || "none",
        elements: ct.m.rows * ct.m.cols,
      });
    }
  }
  return { results, residualPermuted, residualMatchQuality: map ? map.quality : null, referenceDuplicates };
}
