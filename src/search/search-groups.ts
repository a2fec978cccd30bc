/**
 * What the alignment search works on, whichever way it reads the weights
 * (whole matrices, deep-stage.ts; sampled sketches, stream-search.ts): the
 * role groups of candidate and reference views, which axis holds the hidden
 * units, the residual basis tensors, and the candidate tensors it could not read.
 */
import type { SearchEvidence, TensorEvidence } from "../report/evidence.js";
import type { WeightSource } from "../sources/types.js";
import type { ComponentAlignment, Located } from "../align/align.js";
import type { BasisBlock } from "./residual.js";
import { unpairedResult } from "./fold-findings.js";
import type { Matrix } from "./matrix.js";
import { componentKind } from "../align/names.js";
import { type TensorView, viewElements, viewKey, viewLike } from "../align/view.js";


export const HIDDEN_ON_COLS = /(^|\.)(o|down)\.weight$/;
const SKIP_ROLES = /(^|\.)(embed|head)\.weight$/;
/** Tensors whose other axis both models share (tokens, pixels): they reveal the residual permutation. */
export const BASIS_ROLES: { re: RegExp; residual: "rows" | "cols" }[] = [
  { re: /(^|\.)embed\.weight$/, residual: "cols" },
  { re: /(^|\.)head\.weight$/, residual: "cols" },
  { re: /(^|\.)(wpe|position_embeddings?|pos_embed)\.weight$/, residual: "cols" },
  { re: /(^|\.)patch_embed\.proj\.weight$/, residual: "rows" },
];
export const NORM_ROLE = /norm/;

export function shapeKey(v: TensorView): string {
  return `${v.rows}x${v.cols}`;
}

export type CandidateView = TensorView & { layer: number | null; pairIndex: number | null };
export type ReferenceView = TensorView & { layer: number | null };
/** One role's matrices of one shape pair: candidate views (paired and unmatched) and every reference view of the role. */
export interface ViewGroup {
  role: string;
  cand: Map<string, CandidateView>;
  refs: Map<string, ReferenceView>;
}
export interface SearchOutcome {
  summary: SearchEvidence;
  /** The given tensors with the search's looks (new records where it looked or could not read). */
  tensors: readonly TensorEvidence[];
  /** Tensor results for candidate tensors that had no name counterpart but were matched by the search. */
  added: TensorEvidence[];
}

/** The search's summary while it is built (handed over read-only, as SearchEvidence). */
export type SummaryDraft = { -readonly [K in keyof SearchEvidence]: SearchEvidence[K] };

/** A search that has not run (yet): the summary it starts from. */
export const notRunSummary = (): SummaryDraft => ({ ran: false, status: "not-run", note: "", residualMatchQuality: null, referenceDuplicateLayers: [] });

export type Usable = { p: ComponentAlignment["pairs"][number]; t: Pick<TensorEvidence, "error" | "pearson">; explained: boolean };
export type Unread = { view: TensorView; layer: number | null; pairIndex: number | null; message: string };

/**
 * Which axis of a matrix holds the hidden units (the other reads or writes the
 * residual stream): decided by the residual width when the shape tells, else by
 * the role in the Linear [out, in] layout (o and down write the residual stream).
 */
export function hiddenAxis(role: string, v: TensorView, residualSize: number | null, conv1d: boolean): "rows" | "cols" {
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
export function storesConv1D(views: { role: string; view: TensorView }[], residualSize: number | null): boolean {
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

export const basisResidual = (role: string) => BASIS_ROLES.find((x) => x.re.test(role))!.residual;

/**
 * Which pairs the search uses: basis tensors, matrices of roles still open, and norm gains. `explained`:
 * per pair, whether its tensor already stands out (the policy's answer, given to the search).
 */
export function selectPairs(comp: ComponentAlignment, tensors: readonly Pick<TensorEvidence, "error" | "pearson">[], explained: readonly boolean[]) {
  const usable = comp.pairs.map((p, i) => ({ p, t: tensors[i]!, explained: explained[i] ?? false })).filter(({ p, t }) => p.informative && !t.error && t.pearson !== null);
  const basisPairs = usable.filter(({ p }) => BASIS_ROLES.some((b) => b.re.test(p.role)));
  const isBasis = (p: Usable["p"]) => basisPairs.some((b) => b.p === p);
  // Roles where every layer already stood out need no search.
  const openRoles = new Set(usable.filter((u) => !u.explained).map(({ p }) => p.role));
  // Candidate layers with no name counterpart (a deeper copy) may still match a reference layer.
  for (const u of comp.unmatchedEntries) openRoles.add(u.role);
  const groupPairs = usable.filter(({ p }) => openRoles.has(p.role) && !SKIP_ROLES.test(p.role) && !isBasis(p) && p.candidate.entry.shape.length >= 2);
  // Norm gains: one value per residual dimension in both models (never evidence, but a profile of each dimension).
  const normPairs = comp.pairs.filter((p, i) => NORM_ROLE.test(p.role) && p.candidate.entry.shape.length === 1 && !tensors[i]!.error);
  return { basisPairs, groupPairs, normPairs };
}

/** Role groups: candidate views (paired and unmatched) against every reference tensor of the role. */
export function viewGroups(comp: ComponentAlignment, groupPairs: Usable[], referenceTensors: Located[]): Map<string, ViewGroup> {
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

export const isWhole = (v: TensorView) => v.rowStart === 0 && v.rows === (v.axes ? v.entry.shape[v.axes[0]!] : v.transpose ? v.storedCols : v.storedRows);

/** Elements the search would hold in memory (both models). */
export function searchElements(groups: Map<string, ViewGroup>, basisPairs: Usable[]): number {
  let elements = 0;
  for (const g of groups.values()) for (const v of [...g.cand.values(), ...g.refs.values()]) elements += viewElements(v);
  for (const b of basisPairs) elements += viewElements(b.p.candidate) + viewElements(b.p.reference);
  return elements;
}

/**
 * Candidate matrices the search could not decode: reported unread, so they can never count as independent
 * (a paired one gets a new record in `tensors`; the others are returned, added).
 */
export function unreadResults(unread: Map<string, Unread>, groups: Map<string, ViewGroup>, tensors: TensorEvidence[]): TensorEvidence[] {
  const added: TensorEvidence[] = [];
  for (const [name, u] of unread) {
    if (u.pairIndex !== null) {
      const t = tensors[u.pairIndex]!;
      if (t.error === undefined || t.error === null) tensors[u.pairIndex] = { ...t, error: u.message };
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


/** Norm gain vectors of one length, stacked [k, d] per model: each residual dimension's profile. */
export async function stackNorms(
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
