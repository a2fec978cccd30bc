/**
 * Run the alignment search (deep-align.ts) for one component whose
 * element-wise comparison found no reuse: gather role groups (every layer of
 * both models, unmatched candidate layers included), load the matrices, and
 * fold what the search finds back into the tensor results.
 */
import { FromScratchError } from "../common/errors.js";
import type { SearchSummary, TensorResult, Thresholds } from "../report/schema.js";
import type { WeightSource } from "../sources/types.js";
import type { ComponentAlignment, Located } from "../align/align.js";
import { deepAlign } from "./deep-align.js";
import type { DeepTensor, RoleGroup } from "./deep-types.js";
import type { Basis, BasisBlock } from "./residual.js";
import { FLIPPED, type Origin, bestOrientation, foldFindings, unpairedResult } from "./fold-findings.js";
import { type Matrix, loadMatrix } from "./matrix.js";
import { componentKind } from "../align/names.js";
import { count } from "../common/words.js";
import { type TensorView, viewElements, viewKey, viewLike } from "../align/view.js";

/** The search holds whole matrices: above this many elements (both models) it is skipped, and says so. */
const SEARCH_MAX_ELEMENTS = 48_000_000;

const HIDDEN_ON_COLS = /(^|\.)(o|down)\.weight$/;
const SKIP_ROLES = /(^|\.)(embed|head)\.weight$/;
/** Tensors whose other axis both models share (tokens, pixels): they reveal the residual permutation. */
const BASIS_ROLES: { re: RegExp; residual: "rows" | "cols" }[] = [
  { re: /(^|\.)embed\.weight$/, residual: "cols" },
  { re: /(^|\.)head\.weight$/, residual: "cols" },
  { re: /(^|\.)(wpe|position_embeddings?|pos_embed)\.weight$/, residual: "cols" },
  { re: /(^|\.)patch_embed\.proj\.weight$/, residual: "rows" },
];
const NORM_ROLE = /norm/;

function shapeKey(v: TensorView): string {
  return `${v.rows}x${v.cols}`;
}

type CandidateView = TensorView & { layer: number | null; pairIndex: number | null };
type ReferenceView = TensorView & { layer: number | null };
/** One role's matrices of one shape pair: candidate views (paired and unmatched) and every reference view of the role. */
interface ViewGroup {
  role: string;
  cand: Map<string, CandidateView>;
  refs: Map<string, ReferenceView>;
}
type Usable = { p: ComponentAlignment["pairs"][number]; t: TensorResult };
type Unread = { view: TensorView; layer: number | null; pairIndex: number | null; message: string };

export interface SearchOutcome {
  summary: SearchSummary;
  /** Tensor results for candidate tensors that had no name counterpart but were matched by the search. */
  added: TensorResult[];
}

/**
 * Which axis of a matrix holds the hidden units (the other reads or writes the
 * residual stream): decided by the residual width when the shape tells, else by
 * the role in the Linear [out, in] layout (o and down write the residual stream).
 */
function hiddenAxis(role: string, v: TensorView, residualSize: number | null, conv1d: boolean): "rows" | "cols" {
  const bySize = hiddenBySize(v, residualSize);
  if (bySize) return bySize;
  const byRole = HIDDEN_ON_COLS.test(role) ? "cols" : "rows";
  return conv1d ? (byRole === "rows" ? "cols" : "rows") : byRole;
}

function hiddenBySize(v: TensorView, residualSize: number | null): "rows" | "cols" | null {
  if (residualSize === null || v.rows === v.cols) return null;
  if (v.cols === residualSize) return "rows";
  if (v.rows === residualSize) return "cols";
  return null;
}

/**
 * Whether the reference stores matrices as Conv1D [in, out] (GPT-2) rather than
 * Linear [out, in]: its non-square matrices say so, and square ones (attention
 * output) follow the same convention.
 */
function storesConv1D(views: { role: string; view: TensorView }[], residualSize: number | null): boolean {
  let agree = 0;
  let disagree = 0;
  for (const { role, view } of views) {
    const bySize = hiddenBySize(view, residualSize);
    if (!bySize) continue;
    if (bySize === (HIDDEN_ON_COLS.test(role) ? "cols" : "rows")) agree++;
    else disagree++;
  }
  return disagree > agree;
}

/** Norm gain vectors of one length, stacked [k, d] per model: each residual dimension's profile. */
async function stackNorms(
  pairs: ComponentAlignment["pairs"],
  cand: WeightSource,
  ref: WeightSource,
  load: (src: WeightSource, v: TensorView) => Promise<Matrix>,
): Promise<BasisBlock | null> {
  if (pairs.length < 2) return null;
  const dc = pairs[0]!.candidate.rows;
  const dr = pairs[0]!.reference.rows;
  const use = pairs.filter((p) => p.candidate.rows === dc && p.reference.rows === dr);
  if (use.length < 2) return null;
  const c = new Float32Array(use.length * dc);
  const r = new Float32Array(use.length * dr);
  for (let k = 0; k < use.length; k++) {
    c.set((await load(cand, use[k]!.candidate)).data, k * dc);
    r.set((await load(ref, use[k]!.reference)).data, k * dr);
  }
  return {
    candidate: { rows: use.length, cols: dc, data: c },
    reference: { rows: use.length, cols: dr, data: r },
    residual: "cols",
    signed: true,
    center: true,
  };
}

export async function searchComponent(
  comp: ComponentAlignment,
  tensors: TensorResult[],
  referenceTensors: Located[],
  cand: WeightSource,
  ref: WeightSource,
  thresholds: Thresholds,
  progress?: (message: string) => void,
): Promise<SearchOutcome> {
  const summary: SearchSummary = { ran: false, note: "", residualPermuted: false, residualMatchQuality: null, referenceDuplicateLayers: [] };
  const { basisPairs, groupPairs, normPairs } = selectPairs(comp, tensors);
  if (groupPairs.length === 0) {
    summary.note = "no matrices to search";
    return { summary, added: [] };
  }
  const groups = viewGroups(comp, groupPairs, referenceTensors);
  const elements = searchElements(groups, basisPairs);
  if (elements > SEARCH_MAX_ELEMENTS) {
    summary.note = `skipped: ${elements.toLocaleString("en-US")} elements exceed the search's in-memory budget (${SEARCH_MAX_ELEMENTS.toLocaleString("en-US")}); permuted copies of this component would not be found`;
    return { summary, added: [] };
  }
  // The residual width, from a tensor that carries it next to a shared axis (tokens, positions, pixels).
  let residualSize: number | null = null;
  for (const b of basisPairs) residualSize ??= basisResidual(b.p.role) === "cols" ? b.p.reference.cols : b.p.reference.rows;
  const loader = new MatrixLoader(cand, ref);
  const loaded = await loadRoleGroups(comp.name, groups, loader, residualSize, progress);
  const basis = await loadBasis(basisPairs, normPairs, loader);
  const deep = deepAlign(loaded.roleGroups, basis, residualSize ?? 0, progress && ((m) => progress(`alignment search in ${comp.name}: ${m}`)));

  summary.ran = true;
  // Claimed only when a matrix the search matched needed it.
  summary.residualPermuted = false;
  summary.residualMatchQuality = deep.residualMatchQuality;
  summary.referenceDuplicateLayers = deep.referenceDuplicates;
  const best = bestOrientation(deep.results);
  const found = foldFindings(best, loaded, tensors, thresholds, summary);
  const added = [...found.added, ...unreadResults(loaded.unreadCandidate, groups, tensors)];
  const searched = best.size;
  const parts = [
    found.count
      ? `the alignment search matched ${count(found.count, "matrix", "matrices")} that element-wise comparison missed (of ${count(searched, "matrix", "matrices")} searched)`
      : `the alignment search (residual basis, hidden units, layers) found nothing in ${count(searched, "matrix", "matrices")}`,
  ];
  if (loaded.unreadCandidate.size) parts.push(`${count(loaded.unreadCandidate.size, "candidate matrix", "candidate matrices")} unread, left out of the search`);
  if (loaded.unreadReference.size) parts.push(`${count(loaded.unreadReference.size, "reference matrix", "reference matrices")} unread, left out of the search (${[...loaded.unreadReference.values()][0]})`);
  summary.note = parts.join("; ");
  return { summary, added };
}

const basisResidual = (role: string) => BASIS_ROLES.find((x) => x.re.test(role))!.residual;

/** Which pairs the search uses: basis tensors, matrices of roles still open, and norm gains. */
function selectPairs(comp: ComponentAlignment, tensors: TensorResult[]) {
  const usable: Usable[] = comp.pairs.map((p, i) => ({ p, t: tensors[i]! })).filter(({ p, t }) => p.informative && !t.error && t.pearson !== null);
  const basisPairs = usable.filter(({ p }) => BASIS_ROLES.some((b) => b.re.test(p.role)));
  const isBasis = (p: Usable["p"]) => basisPairs.some((b) => b.p === p);
  // Roles where every layer already stood out need no search.
  const openRoles = new Set(usable.filter(({ t }) => !t.standsOut).map(({ p }) => p.role));
  // Candidate layers with no name counterpart (a deeper copy) may still match a reference layer.
  for (const u of comp.unmatchedEntries) openRoles.add(u.role);
  const groupPairs = usable.filter(({ p }) => openRoles.has(p.role) && !SKIP_ROLES.test(p.role) && !isBasis(p) && p.candidate.entry.shape.length >= 2);
  // Norm gains: one value per residual dimension in both models (never evidence, but a profile of each dimension).
  const normPairs = comp.pairs.filter((p, i) => NORM_ROLE.test(p.role) && p.candidate.entry.shape.length === 1 && !tensors[i]!.error);
  return { basisPairs, groupPairs, normPairs };
}

/** Role groups: candidate views (paired and unmatched) against every reference tensor of the role. */
function viewGroups(comp: ComponentAlignment, groupPairs: Usable[], referenceTensors: Located[]): Map<string, ViewGroup> {
  const groups = new Map<string, ViewGroup>();
  for (const { p } of groupPairs) {
    const key = `${p.role}|${shapeKey(p.candidate)}|${shapeKey(p.reference)}`;
    let g = groups.get(key);
    if (!g) {
      g = { role: p.role, cand: new Map(), refs: new Map() };
      groups.set(key, g);
    }
    g.cand.set(viewKey(p.candidate), { ...p.candidate, layer: p.layer, pairIndex: comp.pairs.indexOf(p) });
    g.refs.set(viewKey(p.reference), { ...p.reference, layer: p.layer });
  }
  const kind = componentKind(comp.name);
  const sameKind = (l: Located) => (kind === "language" || kind === "vision" || kind === "audio" || kind === "projector" ? l.kind === kind : true);
  for (const g of groups.values()) {
    const anyRef = g.refs.values().next().value as TensorView;
    const anyCand = g.cand.values().next().value as TensorView;
    // Whole tensors only: slices (split-qkv) already bring every reference layer through their pairs.
    if (isWhole(anyRef)) {
      for (const l of referenceTensors) {
        if (!sameKind(l) || l.role !== g.role) continue;
        const v = viewLike(l.entry, anyRef);
        if (v.rows === anyRef.rows && v.cols === anyRef.cols && !g.refs.has(viewKey(v))) g.refs.set(viewKey(v), { ...v, layer: l.layer });
      }
    }
    if (isWhole(anyCand)) {
      for (const l of comp.unmatchedEntries) {
        if (l.role !== g.role) continue;
        const v = viewLike(l.entry, anyCand);
        if (v.rows === anyCand.rows && v.cols === anyCand.cols) g.cand.set(viewKey(v), { ...v, layer: l.layer, pairIndex: null });
      }
    }
  }
  return groups;
}

const isWhole = (v: TensorView) => v.rowStart === 0 && v.rows === (v.axes ? v.entry.shape[v.axes[0]!] : v.transpose ? v.storedCols : v.storedRows);

/** Elements the search would hold in memory (both models). */
function searchElements(groups: Map<string, ViewGroup>, basisPairs: Usable[]): number {
  let elements = 0;
  for (const g of groups.values()) for (const v of [...g.cand.values(), ...g.refs.values()]) elements += viewElements(v);
  for (const b of basisPairs) elements += viewElements(b.p.candidate) + viewElements(b.p.reference);
  return elements;
}

/**
 * Whole matrices, each read once per side. A tensor that cannot be decoded (an unsupported dtype, a
 * bad slice) is left out of the search and reported unread; it never stops the search from using
 * every other tensor (junk tensors must not buy an evasion). Fetch and auth errors still stop the run.
 */
class MatrixLoader {
  private readonly loaded = new Map<string, Promise<Matrix>>();
  constructor(
    readonly cand: WeightSource,
    readonly ref: WeightSource,
  ) {}

  load(src: WeightSource, v: TensorView): Promise<Matrix> {
    const k = `${src === this.cand ? "c" : "r"}:${viewKey(v)}`;
    if (!this.loaded.has(k)) this.loaded.set(k, loadMatrix(src, v));
    return this.loaded.get(k)!;
  }

  /** The matrix, or the reason it cannot be decoded. */
  async tryLoad(src: WeightSource, v: TensorView): Promise<Matrix | string> {
    try {
      return await this.load(src, v);
    } catch (e) {
      if (e instanceof FromScratchError && e.kind === "format") return e.message;
      throw e;
    }
  }
}

/** Load every group's matrices (both orientations of square candidate matrices) into the search's role groups. */
async function loadRoleGroups(name: string, groups: Map<string, ViewGroup>, loader: MatrixLoader, residualSize: number | null, progress?: (message: string) => void) {
  const conv1d = storesConv1D(
    [...groups.values()].map((g) => ({ role: g.role, view: g.refs.values().next().value as TensorView })),
    residualSize,
  );
  const unreadCandidate = new Map<string, Unread>();
  const unreadReference = new Map<string, string>();
  const roleGroups: RoleGroup[] = [];
  const idToPair = new Map<string, Origin>();
  let loadedGroups = 0;
  for (const g of groups.values()) {
    progress?.(`alignment search in ${name}: reading matrices, role ${++loadedGroups}/${groups.size} (${g.role})`);
    const candidate = await loadCandidates(g, loader, idToPair, unreadCandidate);
    const reference: DeepTensor[] = [];
    for (const v of g.refs.values()) {
      const m = await loader.tryLoad(loader.ref, v);
      if (typeof m === "string") unreadReference.set(v.entry.name, m);
      else reference.push({ name: v.entry.name, layer: v.layer, m });
    }
    if (candidate.length === 0 || reference.length === 0) continue;
    roleGroups.push({ role: g.role, hidden: hiddenAxis(g.role, g.refs.values().next().value as TensorView, residualSize, conv1d), candidate, reference });
  }
  return { roleGroups, idToPair, unreadCandidate, unreadReference };
}

async function loadCandidates(g: ViewGroup, loader: MatrixLoader, idToPair: Map<string, Origin>, unread: Map<string, Unread>): Promise<DeepTensor[]> {
  const candidate: DeepTensor[] = [];
  for (const [k, v] of g.cand) {
    const m = await loader.tryLoad(loader.cand, v);
    if (typeof m === "string") {
      unread.set(v.entry.name, { view: v, layer: v.layer, pairIndex: v.pairIndex, message: m });
      continue;
    }
    candidate.push({ name: k, layer: v.layer, m });
    idToPair.set(k, { pairIndex: v.pairIndex, view: v, layer: v.layer });
    // A square matrix may be stored transposed with nothing in its shape to say so: try both.
    if (!v.axes && v.rows === v.cols && v.rowStart === 0 && v.storedRows === v.storedCols) {
      const mf = await loader.tryLoad(loader.cand, { ...v, transpose: !v.transpose });
      if (typeof mf === "string") continue;
      candidate.push({ name: `${k}${FLIPPED}`, layer: v.layer, m: mf });
      idToPair.set(`${k}${FLIPPED}`, { pairIndex: v.pairIndex, view: v, layer: v.layer });
    }
  }
  return candidate;
}

/** The residual basis: embedding-like blocks, then the stacked norm gains. */
async function loadBasis(basisPairs: Usable[], normPairs: ComponentAlignment["pairs"], loader: MatrixLoader): Promise<Basis | null> {
  const blocks: BasisBlock[] = [];
  for (const b of basisPairs) {
    const c = await loader.tryLoad(loader.cand, b.p.candidate);
    const r = await loader.tryLoad(loader.ref, b.p.reference);
    if (typeof c !== "string" && typeof r !== "string") blocks.push({ candidate: c, reference: r, residual: basisResidual(b.p.role), signed: false, center: false });
  }
  const normBlock = await stackNorms(normPairs, loader.cand, loader.ref, (src, v) => loader.load(src, v));
  if (normBlock) blocks.push(normBlock);
  return blocks.length ? { blocks } : null;
}

/** Candidate matrices the search could not decode: reported unread, so they can never count as independent. */
function unreadResults(unread: Map<string, Unread>, groups: Map<string, ViewGroup>, tensors: TensorResult[]): TensorResult[] {
  const added: TensorResult[] = [];
  for (const [name, u] of unread) {
    if (u.pairIndex !== null) {
      tensors[u.pairIndex]!.error ??= u.message;
      continue;
    }
    added.push({
      ...unpairedResult(u.view, u.layer, ""),
      candidate: name,
      role: [...groups.values()].find((g) => g.cand.has(viewKey(u.view)))?.role ?? "",
      error: u.message,
    });
  }
  return added;
}
