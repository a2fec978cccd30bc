/**
 * The alignment search at any size and in sampled mode: the same steps and
 * the same held-out test as the whole-matrix search (deep-align.ts), on
 * sketches read row by row, so memory and bytes stay bounded at 7B width.
 *
 * What is read, per matrix in [hidden units, residual] form:
 * - the residual features: FEATURES residual dimensions R of the reference
 *   (16 contiguous chunks, chosen from the width alone, so every candidate
 *   reads the same reference rows), and for the candidate the dimensions the
 *   residual look maps onto them (as stored, or through the permutation
 *   recovered from sampled token rows of the embeddings);
 * - matrices whose hidden units sit on the stored columns (o, down: they write
 *   the residual stream): rows R of the reference, every unit on FEATURES
 *   features; UNITS units of the candidate. Its units are matched to the
 *   reference's by a linear assignment on the even features, tested on the
 *   odd ones (match-rows.ts);
 * - gate and up, whose units are down's: the candidate's UNITS rows and the
 *   reference rows down matched them to, tested on the odd features with no
 *   further choice (the matching saw down's even features only: the test
 *   stays a permutation test of the held-out residual dimensions);
 * - other matrices with units on rows (q, k, v): every ROW_CLASS-th row on
 *   both sides (head sizes are multiples of 16, so whole heads keep their
 *   rows in the sample whatever order the heads are in), matched and tested
 *   as above.
 * Layers: every candidate layer takes the reference layer that the cheapest
 * row-sampled role scores best on the even features (drops, duplicates and
 * reordering allowed); the other roles are read at that layer only.
 *
 * Not searched here (said in the summary): a rotated residual stream (the
 * whole-matrix search fits one for components under its budget) and the
 * transposed look at square matrices under permutation.
 */
import { collectGarbage } from "../common/collect-garbage.js";
import { Scratch } from "../common/scratch.js";
import { FromScratchError } from "../common/errors.js";
import { count } from "../common/words.js";
import type { SearchSummary, TensorResult, Thresholds } from "../report/schema.js";
import type { ByteRange, WeightSource } from "../sources/types.js";
import type { ComponentAlignment } from "../align/align.js";
import { type TensorView, readsWhole, viewElements, viewKey } from "../align/view.js";
import { bytesPerElement } from "../safetensors/dtypes.js";
import { FUNCTIONAL_FLOOR, combineLooks } from "./deep-align.js";
import type { DeepResult, RoleGroup } from "./deep-types.js";
import { type Origin, bestOrientation, foldFindings } from "./fold-findings.js";
import { heldOutTest, type Match, matchRows, splitFeatures } from "./match-rows.js";
import { type Matrix, loadMatrix, pickColumns, pickRows, rowBlock, rowCosines } from "./matrix.js";
import { rowDots } from "../kernels/dots.js";
import { PairAccumulator } from "../stats/pair-stats.js";
import { permutationTest } from "../stats/permutation.js";
import { type Basis, type BasisBlock, type ResidualMap, type ResidualTransform, residualMap } from "./residual.js";
import { readRowSet } from "./sketch-read.js";
import { hadamardRows } from "./hadamard.js";
import {
  type CandidateView,
  type ReferenceView,
  type SearchOutcome,
  type Unread,
  type ViewGroup,
  basisResidual,
  hiddenAxis,
  selectPairs,
  stackNorms,
  storesConv1D,
  unreadResults,
  viewGroups,
} from "./search-groups.js";

/** Residual dimensions of the reference read per matrix: an eighth of the width, within these bounds. */
const FEATURES = { min: 64, max: 256 };
/** Candidate hidden units matched per matrix. */
const UNITS = 128;
/** Row-sampled roles keep every ROW_CLASS-th row (head sizes are multiples of it). */
const ROW_CLASS = 16;
/** Row-sampled roles with this many rows or fewer are read whole. */
const ALL_ROWS = 256;
/** Token rows of the embeddings read to recover the residual permutation: an eighth of the vocabulary, within these bounds. */
const TOKENS = { min: 128, max: 512 };
/** Gate and up tensors of the reference kept whole in exact mode up to this many bytes in all (streamSearchReferenceRanges). */
const SIBLINGS_KEPT_BYTES = 64 << 20;
/** Even features the layer choice scores on. */
const SCORE_FEATURES = 64;
/** Bytes of reference sketches kept at most (they are dropped anyway when the search moves to the next reference layer). */
const REFERENCE_SKETCH_BYTES = 48 << 20;

type Kind = "cols" | "rows" | "sibling";
/** How a reference sketch is read: a group's kind, or rows taken through H/√d (the Hadamard look). */
type ReadKind = Kind | "rows-hadamard";
/** A matching of units kept for the siblings (gate, up) of the matrix it was found on (down). */
interface UnitMatch {
  match: Pick<Match, "perm" | "signs" | "identityFraction">;
  units: Int32Array;
}
interface Group {
  g: ViewGroup;
  kind: Kind;
  /** For a sibling (gate, up): the role whose matching gives its units (down). */
  via?: string;
}
/** How the candidate's residual axis is read for one look: the candidate dimension (and sign) behind each reference feature. */
interface Look {
  transform: ResidualTransform | null;
  dims: Int32Array;
  sign: Float32Array;
  /** A Hadamard look: the residual axis of this side is taken through H/√d first (see hadamardLooks). */
  hadamard?: "reference" | "candidate";
}

/** How the summary names a residual look. */
function lookName(l: Look): string {
  if (l.hadamard) return `Hadamard on the ${l.hadamard}'s side`;
  return l.transform ? "recovered permutation" : "as stored";
}

/** Evenly spread indices: all of `n` when few, else `k` of them in `chunks` contiguous runs. */
function spread(n: number, k: number, chunks: number): Int32Array {
  if (n <= k) return Int32Array.from({ length: n }, (_, i) => i);
  const per = Math.max(1, Math.floor(k / chunks));
  const out: number[] = [];
  for (let c = 0; c < chunks && out.length < k; c++) {
    const start = Math.floor((c * n) / chunks);
    for (let i = start; i < Math.min(n, start + per) && out.length < k; i++) out.push(i);
  }
  return Int32Array.from(out);
}

function classRows(n: number): Int32Array {
  if (n <= ALL_ROWS) return Int32Array.from({ length: n }, (_, i) => i);
  return Int32Array.from({ length: Math.ceil(n / ROW_CLASS) }, (_, i) => i * ROW_CLASS);
}

function looksFor(map: ResidualMap | null, features: Int32Array, candidateWidth: number): Look[] {
  const asStored: Look = {
    transform: null,
    dims: Int32Array.from(features, (r) => (r < candidateWidth ? r : -1)),
    sign: new Float32Array(features.length).fill(1),
  };
  if (!map || map.identity) return [asStored];
  const permuted = permutationLook(map, features);
  // A clean permutation far better than the identity needs no second look at the identity.
  return isClean(map) ? [permuted] : [asStored, permuted];
}

const isClean = (map: ResidualMap) => map.quality >= 0.5 && map.identityQuality < 0.5 * map.quality;

/** The look through a recovered residual permutation: the candidate dimension (and sign) behind each reference feature. */
function permutationLook(map: ResidualMap, features: Int32Array): Look {
  const inverse = new Int32Array(Math.max(...features) + 1).fill(-1);
  map.perm.forEach((r, c) => {
    if (r >= 0 && r < inverse.length) inverse[r] = c;
  });
  const dims = Int32Array.from(features, (r) => inverse[r]!);
  const sign = Float32Array.from(dims, (c) => (c >= 0 ? map.sign[c]! : 1));
  return { transform: { kind: "permutation", map }, dims, sign };
}

/**
 * The rotation-invariant look. Any orthogonal change of the residual basis Q (a general rotation,
 * SliceGPT's, a learned one) leaves the Gram matrix of a matrix's units unchanged: (WQ)(WQ)ᵀ = WWᵀ.
 * Where the units keep their order, the candidate's unit Gram matrix is the reference's (up to
 * training), with no Q to find. Tested as anchor features (anchorFeatures): valid whenever units are
 * exchangeable under H0, with nothing recovered from the data. (Mantel's test on the whole Gram
 * matrices, with its Monte-Carlo normal tail, was tried first: on the zoo's independent pairs it
 * rejected 0.87% of tensors at 0.001.) v, gate and up only: q and k rows carry RoPE frequencies by
 * position within a head, the same in independent models, so their units are not exchangeable.
 * Rows read: GRAM_ROWS in 16 runs, the same indices on both sides, at the same layer index.
 * It runs when the embeddings' token Gram matrices agree (a rotated copy keeps its embeddings'
 * geometry; the gate saves time, the test needs none), and pays one more look.
 */
const GRAM_ROWS = 256;
const GRAM_ROLES = /(^|\.)(v|gate|up)\.weight$/;
/** Pearson of the token Gram matrices (off the diagonal, 256 tokens) above which the Gram look runs. */
const ROTATION_GRAM_MIN = 0.5;

function tokenGramAgreement(basis: Basis): number {
  const block = basis.blocks.find((b) => !b.signed && b.residual === "cols");
  if (!block) return 0;
  const k = Math.min(256, block.candidate.rows, block.reference.rows);
  if (k < 16) return 0;
  const gc = rowDots(block.candidate.data, k, block.candidate.data, k, block.candidate.cols);
  const gr = rowDots(block.reference.data, k, block.reference.data, k, block.reference.cols);
  const a = new Float32Array((k * (k - 1)) / 2);
  const b = new Float32Array(a.length);
  let at = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      a[at] = gc[i * k + j]!;
      b[at++] = gr[i * k + j]!;
    }
  }
  const acc = new PairAccumulator();
  acc.add(a, b);
  return acc.result().pearson ?? 0;
}

async function gramLook(groups: Group[], reader: SketchReader): Promise<DeepResult[]> {
  const results: DeepResult[] = [];
  for (const x of groups) {
    if (x.kind === "cols" || !GRAM_ROLES.test(x.g.role)) continue;
    for (const [key, v] of x.g.cand) {
      const refView = [...x.g.refs.values()].find((r) => r.layer === v.layer);
      if (!refView || refView.rows !== v.rows) continue;
      const rows = spread(v.rows, GRAM_ROWS, 16);
      // Each tensor's rows (a few MiB a side) are dead after its test: collected before the next's.
      collectGarbage();
      const [c, r] = await Promise.all([reader.candidateRows(v, rows), reader.referenceRows(refView, rows)]);
      if (!c || !r) continue;
      const fc = anchorFeatures(c);
      const fr = anchorFeatures(r);
      const test = permutationTest(fc.data, fr.data, fc.rows, fc.cols, "rows");
      if (!test) continue;
      results.push({
        candidate: key,
        reference: refView.entry.name,
        pearson: test.effect,
        cosine: test.effect,
        log10p: test.log10p,
        z: test.z,
        effect: test.effect,
        null: { mean: 0, sd: 0, n: 0 },
        transform: "residual-rotated-gram",
        elements: viewElements(v),
      });
    }
  }
  return results;
}

/**
 * Every 4th read row is an anchor; each other row (a unit) is described by its inner products with
 * the anchors, which no orthogonal change of the residual basis alters. The units are then tested
 * like any matrix's (stats/permutation.ts: Hoeffding's exact moments under permutations of the
 * units, the anchors held fixed on both sides).
 */
function anchorFeatures(m: Matrix): Matrix {
  const anchors: number[] = [];
  const units: number[] = [];
  for (let i = 0; i < m.rows; i++) (i % 4 === 0 ? anchors : units).push(i);
  const a = pickRows(m, Int32Array.from(anchors));
  const u = pickRows(m, Int32Array.from(units));
  return { rows: units.length, cols: anchors.length, data: Float32Array.from(rowDots(u.data, u.rows, a.data, a.rows, m.cols)) };
}

/**
 * Tokens the Hadamard screens compare, and the mean |cos| of the matched dimensions a screen needs: a
 * rotated fine-tune at Pearson ~0.9 sits near 0.9; a forced matching of unrelated dimensions at width
 * 4096 on 256 tokens, near the largest of 4096 chance cosines (~0.36).
 */
const HADAMARD_TOKENS = 256;
const HADAMARD_MIN_QUALITY = 0.6;

const isPowerOfTwo = (n: number) => n >= 2 && (n & (n - 1)) === 0;

/**
 * Hadamard looks: a rotation of the residual stream by a randomised Hadamard matrix (QuaRot, QuIP#;
 * SpinQuant starts from one), Q = H·diag(s)·P/√d or diag(s)·H·P/√d, is a signed permutation once one
 * side's residual axis is taken through the fixed orthogonal H/√d (H/√d is its own inverse). So
 * the permutation look runs again with H applied to the reference, or to the candidate, when the
 * embeddings' dimensions then match cleanly (on HADAMARD_TOKENS token rows). H is fixed before the
 * data is seen: the look is the calibrated permutation look on a transformed model, with its floor
 * and one more Bonferroni look. Units on stored columns (o, down) need every residual row, so only
 * matrices with units on rows (q, k, v, gate, up, read at every 16th row) are tested in it.
 */
function hadamardLooks(basis: Basis, main: ResidualMap | null, features: Int32Array): Look[] {
  if (main && isClean(main)) return [];
  const looks: Look[] = [];
  const embeddings = basis.blocks.filter((b) => !b.signed && b.residual === "cols" && b.candidate.cols === b.reference.cols && isPowerOfTwo(b.reference.cols));
  if (!embeddings.length) return looks;
  const head = (m: Matrix) => rowBlock(m, 0, Math.min(HADAMARD_TOKENS, m.rows));
  for (const side of ["reference", "candidate"] as const) {
    // The previous map's unit rows (the main map's, or the other side's) are dead by now.
    collectGarbage();
    const blocks = embeddings.map((b) => ({
      ...b,
      candidate: side === "candidate" ? hadamardRows(head(b.candidate)) : head(b.candidate),
      reference: side === "reference" ? hadamardRows(head(b.reference)) : head(b.reference),
    }));
    // After H a rotated copy is a signed permutation, often the identity with random signs: the match
    // itself must be good (mean |cos| of the matched dimensions), whatever the permutation. A probe
    // of 256 candidate dimensions decides first (the full map at width 4096 costs seconds).
    const probeDims = spread(blocks[0]!.candidate.cols, 256, 16);
    const probe = residualMap({ blocks: blocks.map((b) => ({ ...b, candidate: pickColumns(b.candidate, probeDims) })) });
    if (!probe || probe.quality < HADAMARD_MIN_QUALITY) continue;
    const map = residualMap({ blocks });
    if (map && map.quality >= HADAMARD_MIN_QUALITY) looks.push({ ...permutationLook(map, features), hadamard: side });
  }
  return looks;
}

/**
 * The search on one component whose role groups the caller made (deep-stage.ts: `selected` from
 * selectPairs, `viewGroupsByKey` from viewGroups, at least one group).
 */
export async function streamSearch(
  comp: ComponentAlignment,
  tensors: TensorResult[],
  selected: ReturnType<typeof selectPairs>,
  viewGroupsByKey: Map<string, ViewGroup>,
  cand: WeightSource,
  ref: WeightSource,
  thresholds: Thresholds,
  progress?: (message: string) => void,
): Promise<SearchOutcome> {
  const summary: SearchSummary = { ran: false, note: "", residualPermuted: false, residualMatchQuality: null, referenceDuplicateLayers: [] };
  const { basisPairs, normPairs } = selected;
  const { width, candidateWidth } = widths(basisPairs, [...viewGroupsByKey.values()]);
  orientSquare([...viewGroupsByKey.values()]);
  const groups = classify([...viewGroupsByKey.values()], width, candidateWidth);
  if (groups.length === 0) {
    summary.note = "no matrix reads or writes the residual stream: nothing the streamed search can test";
    return { summary, added: [] };
  }
  const say = (m: string) => progress?.(`alignment search in ${comp.name}: ${m}`);
  say(`reading the residual basis (${count(basisPairs.length, "embedding-like tensor", "embedding-like tensors")}, sampled tokens)`);
  const features = featureDims(width);
  // What the element-wise pass left behind is dead: collected before the search's biggest arrays.
  collectGarbage();
  // The token rows are needed for the maps only: not held through the layers.
  const { map, looks, gram } = await sketchBasis(basisPairs, normPairs, cand, ref).then((basis) => {
    const main = basis ? residualMap(basis) : null;
    // The Gram look, when the permutation look found no clean map and the token geometry agrees.
    const gram = basis !== null && !(main && isClean(main)) && tokenGramAgreement(basis) >= ROTATION_GRAM_MIN;
    return { map: main, looks: [...looksFor(main, features, candidateWidth), ...(basis ? hadamardLooks(basis, main, features) : [])], gram };
  });
  // The basis and the last map are dead now.
  collectGarbage();
  const reader = new SketchReader(cand, ref, features);
  const runs = await searchLooks(groups, looks, reader, say);
  const transforms = looks.map((l) => l.transform);
  const floors: number[] = looks.map((l) => (l.transform ? FUNCTIONAL_FLOOR.permutation : FUNCTIONAL_FLOOR.asStored));
  if (gram) {
    reader.dropReferenceSketches();
    collectGarbage();
    say("rotation-invariant look: unit Gram matrices of v, gate and up");
    runs.push(await gramLook(groups, reader));
    transforms.push(null);
    // Units matched by index, tested by permuting units: no residual axis involved, no floor.
    floors.push(0);
  }
  const results = combineLooks(runs, transforms, floors);

  summary.ran = true;
  summary.residualMatchQuality = map ? map.quality : null;
  const idToPair = new Map<string, Origin>();
  const roleGroups: RoleGroup[] = [];
  for (const { g } of groups) {
    const empty: Matrix = { rows: 0, cols: 0, data: new Float32Array(0) };
    roleGroups.push({ role: g.role, hidden: "rows", candidate: [...g.cand.keys()].map((k) => ({ name: k, layer: g.cand.get(k)!.layer, m: empty })), reference: [] });
    for (const [k, v] of g.cand) idToPair.set(k, { pairIndex: v.pairIndex, view: v, layer: v.layer });
  }
  const best = bestOrientation(results);
  const found = foldFindings(best, { roleGroups, idToPair }, tensors, thresholds, summary);
  const added = [...found.added, ...unreadResults(reader.unreadCandidate, viewGroupsByKey, tensors)];
  const parts = [
    found.count
      ? `the streamed alignment search matched ${count(found.count, "matrix", "matrices")} that element-wise comparison missed (of ${count(best.size, "matrix", "matrices")} searched)`
      : `the streamed alignment search (residual basis, hidden units, layers) found nothing in ${count(best.size, "matrix", "matrices")}`,
    `${features.length} of ${width} residual dimensions and up to ${UNITS} units per matrix read`,
    `residual looks: ${[...looks.map(lookName), ...(gram ? ["rotation-invariant (v, gate, up)"] : [])].join(", ")}`,
  ];
  if (reader.unreadCandidate.size) parts.push(`${count(reader.unreadCandidate.size, "candidate matrix", "candidate matrices")} unread, left out of the search`);
  if (reader.unreadReference.size) parts.push(`${count(reader.unreadReference.size, "reference matrix", "reference matrices")} unread, left out of the search (${[...reader.unreadReference.values()][0]})`);
  summary.note = parts.join("; ");
  return { summary, added };
}

/**
 * A square candidate matrix has no shape to tell its orientation, and the element-wise transposed look
 * may have flipped it on chance evidence: the search reads it the way the model's other matrices are
 * stored (it has no budget to read both ways at this size).
 */
function orientSquare(groups: ViewGroup[]): void {
  const square = (v: TensorView) => !v.axes && v.rowStart === 0 && v.storedRows === v.storedCols;
  let transposed = 0;
  let plain = 0;
  for (const g of groups) for (const v of g.cand.values()) if (!v.axes && !square(v)) (v.transpose ? transposed++ : plain++);
  const transpose = transposed > plain;
  for (const g of groups) for (const [k, v] of g.cand) if (square(v) && v.transpose !== transpose) g.cand.set(k, { ...v, transpose, rows: v.cols, cols: v.rows });
}

/** The residual width of both models: from an embedding-like tensor, else the width most matrices share. */
function widths(basisPairs: ReturnType<typeof selectPairs>["basisPairs"], groups: ViewGroup[]): { width: number; candidateWidth: number } {
  let width: number | null = null;
  let candidateWidth: number | null = null;
  for (const b of basisPairs) {
    const onCols = basisResidual(b.p.role) === "cols";
    width ??= onCols ? b.p.reference.cols : b.p.reference.rows;
    candidateWidth ??= onCols ? b.p.candidate.cols : b.p.candidate.rows;
  }
  width ??= commonWidth(groups);
  return { width, candidateWidth: candidateWidth ?? width };
}

/** An eighth of `n` indices within `bounds`, evenly spread in 16 runs. */
const anEighth = (n: number, bounds: { min: number; max: number }) => spread(n, Math.min(bounds.max, Math.max(bounds.min, Math.ceil(n / 8))), 16);

/** The reference's residual dimensions read: an eighth of the width, within FEATURES. */
const featureDims = (width: number) => anEighth(width, FEATURES);

/** Token ids read from an embedding-like pair (the same on both sides): an eighth of the vocabulary, within TOKENS. */
const tokenRows = (c: TensorView, r: TensorView) => anEighth(Math.min(c.rows, r.rows), TOKENS);

/**
 * The whole-matrix search holds whole matrices and matches every feature: above this many elements
 * (both models, the matrices it would load) the streamed search runs instead, which costs a small
 * multiple of the element-wise pass at any size. Below it the whole-matrix search adds what the
 * streamed one leaves out (a rotated residual stream, the transposed look under permutation) in well
 * under a second.
 */
export const WHOLE_SEARCH_MAX_ELEMENTS = 4_000_000;

/** Whether a component's search is the streamed one: in sampled mode, and above the whole-matrix budget (a plan's estimate: every matrix pair). */
export function streamsSearch(comp: ComponentAlignment, fraction: number): boolean {
  if (fraction < 1) return true;
  let elements = 0;
  for (const p of comp.pairs) if (p.candidate.entry.shape.length >= 2) elements += viewElements(p.candidate) + viewElements(p.reference);
  return elements > WHOLE_SEARCH_MAX_ELEMENTS;
}

/** The search's groups as a plan sees them, from headers alone: every role open, every matrix searched. */
function plannedSearch(comp: ComponentAlignment) {
  const open = comp.pairs.map(() => ({ error: undefined, pearson: 0, standsOut: false }) as unknown as TensorResult);
  const { basisPairs, groupPairs } = selectPairs(comp, open);
  if (groupPairs.length === 0) return null;
  const viewGroupList = [...viewGroups(comp, groupPairs, []).values()];
  const { width, candidateWidth } = widths(basisPairs, viewGroupList);
  return { basisPairs, groups: classify(viewGroupList, width, candidateWidth), features: featureDims(width) };
}

/**
 * What the streamed search reads when it runs on every matrix of the component (each role open), one
 * residual look, as byte counts per side: for `plan`. Rows the search picks by the data (the units a
 * sibling's matching points to) are counted by number, not place.
 */
export function streamSearchBytes(comp: ComponentAlignment): { candidate: number; reference: number } {
  const planned = plannedSearch(comp);
  if (!planned) return { candidate: 0, reference: 0 };
  const { basisPairs, groups } = planned;
  const features = planned.features.length;
  const cost = (v: TensorView, rows: number) => (readsWhole(v) ? storedBytes(v) : rows * v.cols * bytesPerElement(v.entry.dtype));
  let candidate = 0;
  let reference = 0;
  for (const b of basisPairs) {
    if (basisResidual(b.p.role) !== "cols") continue;
    const tokens = tokenRows(b.p.candidate, b.p.reference).length;
    candidate += cost(b.p.candidate, tokens);
    reference += cost(b.p.reference, tokens);
  }
  for (const x of groups) {
    for (const v of x.g.cand.values()) candidate += cost(v, x.kind === "cols" ? features : candidateUnits(x, v).length);
    // A sibling's reference rows are the ones its matching points to, different under each residual
    // look: one look when the embeddings give a clean permutation, two otherwise; counted as 1.5.
    for (const v of x.g.refs.values()) reference += cost(v, x.kind === "cols" ? features : x.kind === "sibling" ? 1.5 * UNITS : classRows(v.rows).length);
  }
  return { candidate, reference };
}

/**
 * The reference byte ranges the streamed search will read whatever the data (token rows, residual rows
 * of o and down, class rows of q, k, v): in exact mode the element-wise pass reads them anyway, and a
 * source that keeps them (SpanCacheSource keepOnly) serves the search without a second fetch.
 */
export function streamSearchReferenceRanges(comp: ComponentAlignment): ByteRange[] {
  const planned = plannedSearch(comp);
  if (!planned) return [];
  const { basisPairs, groups, features } = planned;
  const out: ByteRange[] = [];
  const rowsOf = (v: TensorView, rows: Int32Array) => {
    if (readsWhole(v)) return;
    for (const r of rows) out.push(storedRowRange(v, r, r + 1));
  };
  for (const b of basisPairs) if (basisResidual(b.p.role) === "cols") rowsOf(b.p.reference, tokenRows(b.p.candidate, b.p.reference));
  const siblings: TensorView[] = [];
  for (const x of groups) {
    if (x.kind === "sibling") siblings.push(...x.g.refs.values());
    else for (const v of x.g.refs.values()) rowsOf(v, x.kind === "cols" ? features : classRows(v.rows));
  }
  // Gate and up are read where down's matching points: unknown before, so kept whole while that is cheap.
  if (siblings.reduce((sum, v) => sum + storedBytes(v), 0) <= SIBLINGS_KEPT_BYTES) {
    for (const v of siblings) if (!readsWhole(v)) out.push(storedRowRange(v, 0, v.rows));
  }
  return out;
}

/** Bytes of a view's whole stored matrix. */
const storedBytes = (v: TensorView) => v.storedRows * v.storedCols * bytesPerElement(v.entry.dtype);

/** The byte range of stored rows [r0, r1) of a plain (row-read) view. */
function storedRowRange(v: TensorView, r0: number, r1: number): ByteRange {
  const bytes = v.storedCols * bytesPerElement(v.entry.dtype);
  return { file: v.entry.file, begin: v.entry.begin + (v.rowStart + r0) * bytes, end: v.entry.begin + (v.rowStart + r1) * bytes };
}

/** The width most matrices share on one axis: the residual stream's, when no embedding says it. */
function commonWidth(groups: ViewGroup[]): number {
  const votes = new Map<number, number>();
  for (const g of groups) {
    for (const v of g.refs.values()) {
      votes.set(v.rows, (votes.get(v.rows) ?? 0) + 1);
      votes.set(v.cols, (votes.get(v.cols) ?? 0) + 1);
    }
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
}

/**
 * Each role group's reading: units on the stored columns (o, down), units given by a sibling (gate and
 * up by down), or rows sampled by class. A group whose other axis is not the residual stream (pixels,
 * classes) has no exchangeable features to test on and is left out.
 */
function classify(viewGroupList: ViewGroup[], width: number, candidateWidth: number): Group[] {
  const conv1d = storesConv1D(
    viewGroupList.map((g) => ({ role: g.role, view: g.refs.values().next().value as TensorView })),
    width,
  );
  const out: Group[] = [];
  for (const g of viewGroupList) {
    const r = g.refs.values().next().value as TensorView;
    const c = g.cand.values().next().value as TensorView;
    const hidden = hiddenAxis(g.role, r, width, conv1d);
    const refResidual = hidden === "rows" ? r.cols : r.rows;
    const candResidual = hidden === "rows" ? c.cols : c.rows;
    if (refResidual !== width || candResidual !== candidateWidth) continue;
    out.push({ g, kind: hidden === "cols" ? "cols" : "rows" });
  }
  for (const x of out) {
    if (x.kind !== "rows" || !/(^|\.)(gate|up)\.weight$/.test(x.g.role)) continue;
    const down = x.g.role.replace(/(gate|up)\.weight$/, "down.weight");
    const c = x.g.cand.values().next().value as TensorView;
    const sib = out.find((y) => y.kind === "cols" && y.g.role === down && (y.g.cand.values().next().value as TensorView).cols === c.rows);
    if (sib) Object.assign(x, { kind: "sibling", via: down });
  }
  // Units first on the stored columns, so that their matchings are there for the siblings.
  const order: Record<Kind, number> = { cols: 0, rows: 1, sibling: 2 };
  return out.sort((a, b) => order[a.kind] - order[b.kind]);
}

/** The residual basis from sampled token rows (the same token ids on both sides) and the norm gains. */
async function sketchBasis(basisPairs: ReturnType<typeof selectPairs>["basisPairs"], normPairs: ComponentAlignment["pairs"], cand: WeightSource, ref: WeightSource): Promise<Basis | null> {
  const blocks: BasisBlock[] = [];
  for (const b of basisPairs) {
    const residual = basisResidual(b.p.role);
    try {
      if (residual === "cols") {
        const tokens = tokenRows(b.p.candidate, b.p.reference);
        const c = await readRowSet(cand, b.p.candidate, tokens);
        const r = await readRowSet(ref, b.p.reference, tokens);
        blocks.push({ candidate: c, reference: r, residual, signed: false, center: false });
      } else if (b.p.candidate.rows * b.p.candidate.cols <= 1 << 22 && b.p.reference.rows * b.p.reference.cols <= 1 << 22) {
        blocks.push({ candidate: await loadMatrix(cand, b.p.candidate), reference: await loadMatrix(ref, b.p.reference), residual, signed: false, center: false });
      }
    } catch (e) {
      if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
    }
  }
  try {
    const norms = await stackNorms(normPairs, cand, ref, loadMatrix);
    if (norms) blocks.push(norms);
  } catch (e) {
    if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
  }
  return blocks.length ? { blocks } : null;
}

/**
 * Sketches in [units, features] form. Reference sketches are cached (a few); candidate sketches
 * depend on the look and are read when needed. A tensor that cannot be decoded is reported unread.
 */
class SketchReader {
  readonly unreadCandidate = new Map<string, Unread>();
  readonly unreadReference = new Map<string, string>();
  private readonly refCache = new Map<string, { bytes: number; matrix: Promise<Matrix | null> }>();
  private refBytes = 0;
  private readonly pinned = new Map<string, Promise<Matrix | null>>();

  constructor(
    readonly cand: WeightSource,
    readonly ref: WeightSource,
    readonly features: Int32Array,
  ) {}

  /** The reference's units of `v` (all, or the given rows) on the features. */
  reference(v: ReferenceView, kind: ReadKind, rows?: Int32Array, pin = false): Promise<Matrix | null> {
    const key = `${viewKey(v)}|${kind}|${rows ? rows.join(",") : ""}`;
    const pinned = this.pinned.get(key);
    if (pinned) return pinned;
    let hit = this.refCache.get(key);
    if (hit) {
      this.refCache.delete(key);
      this.refCache.set(key, hit);
      return hit.matrix;
    }
    const units = kind === "cols" ? v.cols : (rows ?? classRows(v.rows)).length;
    hit = {
      bytes: units * this.features.length * 4,
      matrix: this.guard(
        () =>
          kind === "cols"
            ? readRowSet(this.ref, v, this.features, { transpose: true })
            : kind === "rows-hadamard"
              ? readRowSet(this.ref, v, rows ?? classRows(v.rows)).then((m) => pickColumns(hadamardRows(m, true), this.features))
              : readRowSet(this.ref, v, rows ?? classRows(v.rows), { columns: this.features }),
        this.referenceUnread(v),
      ),
    };
    if (pin) {
      // The layer choice's sketches of every layer: small, kept for the whole search.
      this.pinned.set(key, hit.matrix);
      return hit.matrix;
    }
    this.refCache.set(key, hit);
    this.refBytes += hit.bytes;
    for (const [k, old] of this.refCache) {
      if (this.refBytes <= REFERENCE_SKETCH_BYTES || k === key) break;
      this.refCache.delete(k);
      this.refBytes -= old.bytes;
    }
    return hit.matrix;
  }

  /** Forget the reference sketches read so far (the next reference layer's are read afresh). */
  dropReferenceSketches(): void {
    this.refCache.clear();
    this.refBytes = 0;
  }

  /** Whole rows of the candidate (the Gram look). */
  candidateRows(v: CandidateView, rows: Int32Array): Promise<Matrix | null> {
    return this.guard(
      () => readRowSet(this.cand, v, rows),
      this.candidateUnread(v),
    );
  }

  /** Whole rows of the reference (the Gram look). */
  referenceRows(v: ReferenceView, rows: Int32Array): Promise<Matrix | null> {
    return this.guard(
      () => readRowSet(this.ref, v, rows),
      this.referenceUnread(v),
    );
  }

  /** The candidate's rows `units` of `v` on a Hadamard look's features (through H/√d first when the look says so). */
  candidateHadamard(v: CandidateView, look: Look, units: Int32Array): Promise<Matrix | null> {
    return this.guard(
      () =>
        look.hadamard === "candidate"
          ? readRowSet(this.cand, v, units).then((m) => pickColumns(hadamardRows(m, true), look.dims, look.sign))
          : readRowSet(this.cand, v, units, { columns: look.dims, columnSign: look.sign }),
      this.candidateUnread(v),
    );
  }

  /** The candidate's `units` of `v` on the look's features. */
  candidate(v: CandidateView, kind: Kind, look: Look, units: Int32Array): Promise<Matrix | null> {
    return this.guard(
      () =>
        kind === "cols"
          ? readRowSet(this.cand, v, look.dims, { columns: units, rowSign: look.sign, transpose: true })
          : readRowSet(this.cand, v, units, { columns: look.dims, columnSign: look.sign }),
      this.candidateUnread(v),
    );
  }

  private candidateUnread(v: CandidateView): (message: string) => void {
    return (message) => this.unreadCandidate.set(v.entry.name, { view: v, layer: v.layer, pairIndex: v.pairIndex, message });
  }

  private referenceUnread(v: ReferenceView): (message: string) => void {
    return (message) => this.unreadReference.set(v.entry.name, message);
  }

  private async guard(read: () => Promise<Matrix>, unread: (message: string) => void): Promise<Matrix | null> {
    try {
      return await read();
    } catch (e) {
      if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
      unread(e.message);
      return null;
    }
  }
}

/** The candidate units read of a view: the units axis is rows of the [units, features] form. */
function candidateUnits(x: Group, v: TensorView): Int32Array {
  if (x.kind === "cols") return spread(v.cols, UNITS, 1);
  if (x.kind === "sibling") return spread(v.rows, UNITS, 1);
  return classRows(v.rows);
}

/**
 * Every residual look: choose each candidate layer's reference layer per look, then layer by layer
 * match and test every role there under each look (a reference layer's sketches are read once for
 * all looks, and memory holds about one layer's).
 */
async function searchLooks(groups: Group[], looks: Look[], reader: SketchReader, say: (m: string) => void): Promise<DeepResult[][]> {
  const selector = await selectorSketches(groups, reader);
  const chosen: Map<number | null, number | null>[] = [];
  // A Hadamard look keeps each layer's index (the selector's sketches are not taken through H).
  for (let i = 0; i < looks.length; i++) chosen.push(looks[i]!.hadamard ? new Map() : await chooseLayers(selector, looks[i]!, reader, (m) => say(`residual look ${i + 1}/${looks.length}: ${m}`)));
  const results: DeepResult[][] = looks.map(() => []);
  const { held } = splitFeatures(reader.features.length, reader.features.length);
  // One job per look and candidate layer, grouped by the reference layer it chose: each reference
  // layer's sketches are read once (whatever the looks chose) and dropped before the next.
  const layers = [...new Set(groups.flatMap(({ g }) => [...g.cand.values()].map((v) => v.layer)))];
  const jobs = looks.flatMap((_, i) => layers.map((layer) => ({ i, layer, want: chosen[i]!.has(layer) ? chosen[i]!.get(layer)! : layer })));
  jobs.sort((a, b) => (a.want ?? -1) - (b.want ?? -1) || a.i - b.i || (a.layer ?? -1) - (b.layer ?? -1));
  let current: number | null | undefined;
  let done = 0;
  for (const job of jobs) {
    if (job.want !== current) {
      reader.dropReferenceSketches();
      collectGarbage();
    }
    current = job.want;
    say(`${++done}/${jobs.length} layer looks: matching units`);
    /** The units matched by down (for gate and up), this job only. */
    const viaMatch = new Map<string, UnitMatch>();
    for (const x of groups) {
      for (const [key, v] of x.g.cand) {
        if (v.layer !== job.layer) continue;
        const refView = [...x.g.refs.values()].find((r) => r.layer === job.want);
        if (!refView) continue;
        const result = await judge(x, key, v, refView, looks[job.i]!, reader, held, viaMatch);
        if (result) results[job.i]!.push(result);
      }
    }
  }
  return results;
}

async function judge(
  x: Group,
  key: string,
  v: CandidateView,
  refView: ReferenceView,
  look: Look,
  reader: SketchReader,
  held: Int32Array,
  viaMatch: Map<string, UnitMatch>,
): Promise<DeepResult | null> {
  const base = { candidate: key, reference: refView.entry.name, null: { mean: 0, sd: 0, n: 0 }, elements: viewElements(v) };
  const shift = refView.layer !== v.layer ? ["layer-shift"] : [];
  const residual = look.hadamard ? [`residual-rotated-hadamard-${look.hadamard}`] : look.transform ? ["residual-permuted"] : [];
  if (look.hadamard) {
    // Units on rows only, read at every 16th row on both sides (gate and up too: no down matching here).
    if (x.kind === "cols") return null;
    const units = classRows(v.rows);
    const [c, r] = await Promise.all([reader.candidateHadamard(v, look, units), reader.reference(refView, look.hadamard === "reference" ? "rows-hadamard" : "rows", units)]);
    if (!c || !r) return null;
    const match = matchRows(c, r, 0);
    const { test, pearson, cosine } = match.heldOut();
    const transforms = [...shift, ...residual];
    if (match.identityFraction < 0.9) transforms.push("permuted-rows");
    return { ...base, pearson, cosine, log10p: test?.log10p ?? 0, z: test?.z ?? 0, effect: test?.effect ?? 0, transform: transforms.join("+") };
  }
  if (x.kind === "sibling") {
    const via = viaMatch.get(`${v.layer}|${x.via}`);
    if (!via) return null;
    const units = via.units.filter((u) => via.match.perm[u]! >= 0);
    const [c, r] = await Promise.all([reader.candidate(v, x.kind, look, Int32Array.from(units)), reader.reference(refView, x.kind, Int32Array.from(units, (u) => via.match.perm[u]!))]);
    if (!c || !r) return null;
    const rowSign = Int8Array.from(units, (u) => via.match.signs[u]!);
    const identity = Int32Array.from({ length: units.length }, (_, i) => i);
    const { test, pearson, cosine } = heldOutTest(c, r, identity, rowSign, held);
    const permuted = via.match.identityFraction < 0.9 ? ["permuted-rows"] : [];
    return { ...base, pearson, cosine, log10p: test?.log10p ?? 0, z: test?.z ?? 0, effect: test?.effect ?? 0, transform: [...shift, ...residual, ...permuted].join("+") || "none" };
  }
  const units = candidateUnits(x, v);
  const [c, r] = await Promise.all([reader.candidate(v, x.kind, look, units), reader.reference(refView, x.kind)]);
  if (!c || !r) return null;
  const match = matchRows(c, r, 0);
  if (x.kind === "cols") {
    // Units in the candidate's own indices, for the siblings.
    const perm = new Int32Array(v.cols).fill(-1);
    const signs = new Int8Array(v.cols);
    units.forEach((u, k) => {
      perm[u] = match.perm[k]!;
      signs[u] = match.signs[k]!;
    });
    // Only the matching is kept (not the sketches its held-out test closes over): memory stays one layer's.
    viaMatch.set(`${v.layer}|${x.g.role}`, { match: { perm, signs, identityFraction: match.identityFraction }, units });
  }
  const { test, pearson, cosine } = match.heldOut();
  const transforms = [...shift, ...residual];
  if (match.identityFraction < 0.9) transforms.push("permuted-rows");
  if (match.flipped > 0.1 && match.flipped < 0.9) transforms.push("sign-flips");
  return { ...base, pearson, cosine, log10p: test?.log10p ?? 0, z: test?.z ?? 0, effect: test?.effect ?? 0, transform: transforms.join("+") || "none" };
}

/** The cheapest row-sampled role and its reference sketches at every layer (read once for every look). */
async function selectorSketches(groups: Group[], reader: SketchReader): Promise<{ group: Group; refs: { layer: number | null; m: Matrix }[] } | null> {
  const rowGroups = groups.filter((x) => x.kind === "rows");
  if (rowGroups.length === 0) return null;
  const size = (x: Group) => (x.g.refs.values().next().value as TensorView).rows;
  const group = rowGroups.reduce((a, b) => (size(b) < size(a) ? b : a));
  const refs: { layer: number | null; m: Matrix }[] = [];
  for (const r of group.g.refs.values()) {
    const m = await reader.reference(r, "rows", undefined, true);
    if (m) refs.push({ layer: r.layer, m });
  }
  return { group, refs };
}

/**
 * Each candidate layer's reference layer, by the cheapest row-sampled role: the mean over its sampled
 * rows of the best |cos| against the reference layer's rows, on even features only (the test never
 * sees them). Without such a role, layers keep their own index.
 */
async function chooseLayers(selector: Awaited<ReturnType<typeof selectorSketches>>, look: Look, reader: SketchReader, say: (m: string) => void): Promise<Map<number | null, number | null>> {
  const chosen = new Map<number | null, number | null>();
  if (!selector) return chosen;
  const { choose } = splitFeatures(reader.features.length, SCORE_FEATURES);
  say(`choosing layers (${selector.group.g.role}: ${selector.group.g.cand.size} candidate x ${selector.refs.length} reference layers)`);
  for (const v of selector.group.g.cand.values()) {
    const c = await reader.candidate(v, "rows", look, classRows(v.rows));
    if (!c) continue;
    let best: number | null = v.layer;
    let bestScore = -Infinity;
    for (const r of selector.refs) {
      const score = meanBestCos(c, r.m, choose);
      // Prefer the same index on ties: no shift is claimed without evidence.
      if (score > bestScore + 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && r.layer === v.layer)) {
        best = r.layer;
        bestScore = score;
      }
    }
    chosen.set(v.layer, best);
  }
  return chosen;
}

/** The layer choice's cosine block, reused from pair to pair. */
const BEST_COS = new Scratch();
function meanBestCos(c: Matrix, r: Matrix, cols: Int32Array): number {
  const cos = rowCosines(c, r, cols, BEST_COS.take(c.rows * r.rows));
  let total = 0;
  const m = r.rows;
  for (let i = 0; i < c.rows; i++) {
    let b = 0;
    for (let k = i * m, end = k + m; k < end; k++) {
      const v = cos[k]!;
      if (v > b) b = v;
      else if (-v > b) b = -v;
    }
    total += b;
  }
  return total / Math.max(1, c.rows);
}
