/**
 * Experts at any count (src/align/expert-slots.ts): before the planned pass, every layer whose routed
 * experts were paired by index is matched on sketches, and its parts re-paired.
 *
 * Per expert, k residual rows of its down matrix give G = S Sᵀ (k x k), a sum over the expert's hidden
 * units: unchanged by reordering them or the experts. Per layer and side, G's upper triangle is centred
 * across the side's experts (what every expert of a layer shares: the residual stream's scales) and each
 * expert's vector normalised; the score of a candidate expert against a reference expert is their inner
 * product, plus the same for their router rows (router row e routes to expert e) where both layers have
 * a router. A linear assignment keeps one reference expert per candidate expert (several candidates may
 * keep one reference expert when the candidate has more: many-to-one, an upcycle of fewer experts).
 *
 * The choice is paid for: every re-paired part's p-value is multiplied by the number of reference experts
 * it could have met (Bonferroni over its options: valid whatever chose the partner). Reads are linear in
 * the expert count (k rows of each down matrix, both sides), held as k x k Gram matrices only.
 */
import type { AlignedPair, ComponentAlignment } from "../align/align.js";
import type { ExpertPart, ExpertSlot } from "../align/experts.js";
import { expertSketchReads, sketchGroups, sketchRows, sketchView, slotPair } from "../align/expert-slots.js";
import type { TensorView } from "../align/view.js";
import { FromScratchError } from "../common/errors.js";
import { mapLimit } from "../common/pool.js";
import type { TensorEvidence } from "../report/evidence.js";
import { assign, gramTriangle, similarity, standardise } from "../search/expert-gram.js";
import { loadMatrix } from "../search/matrix.js";
import { readRowSet } from "../search/sketch-read.js";
import { bonferroniLog10 } from "../stats/combine.js";
import type { UnitAxis } from "../stats/permutation.js";
import type { WeightSource } from "../sources/types.js";

export { assign, gramTriangle, standardise };

/** Sketches read at once (each one ranged read). */
const SKETCHES_IN_FLIGHT = 16;
/** The router rows' weight beside the sketches' (both are correlations). */
const ROUTER_WEIGHT = 0.5;

export interface ExpertMatchContext {
  cand: WeightSource;
  ref: WeightSource;
  fraction: number;
  /** Read-ahead spans (the sources coalesce the sketches' reads). */
  readAheadSpans: number;
  onProgress?: (message: string) => void;
}

/** What the matching did, per layer: for the report's notes and tests. */
export interface ExpertMatchSummary {
  group: string;
  candidateExperts: number;
  referenceExperts: number;
  /** Candidate experts whose partner is not the expert of the same index. */
  moved: number;
  routers: boolean;
}

/**
 * Match every slotted layer of every component, re-pairing its parts in place (`comp.pairs` replaced).
 * A layer whose sketches cannot be read (an undecodable dtype) keeps its pairing by index, unpaid.
 */
export async function matchExperts(components: ComponentAlignment[], ctx: ExpertMatchContext): Promise<ExpertMatchSummary[]> {
  const reads = { candidate: [] as ReturnType<typeof expertSketchReads>["candidate"], reference: [] as ReturnType<typeof expertSketchReads>["reference"] };
  for (const comp of components) {
    const r = expertSketchReads(comp.pairs, ctx.fraction);
    reads.candidate.push(...r.candidate);
    reads.reference.push(...r.reference);
  }
  const out: ExpertMatchSummary[] = [];
  if (reads.candidate.length === 0 && !components.some((c) => c.pairs.some((p) => p.expertSlot))) return out;
  ctx.cand.expect?.(reads.candidate, ctx.readAheadSpans);
  ctx.ref.expect?.(reads.reference, ctx.readAheadSpans);
  for (const comp of components) {
    const matched = new Map<string, Map<number, number>>();
    for (const [group, parts] of sketchGroups(comp.pairs)) {
      ctx.onProgress?.(`matching ${parts.candidate.length} experts against ${parts.reference.length} in ${group.replace(/\|experts$/, "").replace("|", " layer ")} on sketches`);
      const m = await matchGroup(comp.pairs, group, parts, ctx);
      if (!m) continue;
      matched.set(group, m.partner);
      out.push(m.summary);
    }
    comp.pairs = comp.pairs.map((p) => repaired(p, matched));
  }
  return out;
}

/** A slotted pair re-paired with the reference expert its layer's matching chose (paid for), or unslotted as it was. */
function repaired(p: AlignedPair, matched: Map<string, Map<number, number>>): AlignedPair {
  const slot = p.expertSlot;
  if (!slot) return p;
  const partner = matched.get(slot.group)?.get(slot.part.expert);
  const r = partner === undefined ? undefined : refByExpert(slot.refs).get(partner);
  const next = r ? slotPair(p, slot, r) : null;
  if (next) return { ...next, paidOptions: optionsOf(slot) };
  const { expertSlot: _, ...kept } = p;
  return kept;
}

const byExpert = new WeakMap<readonly ExpertPart[], Map<number, ExpertPart>>();
function refByExpert(refs: readonly ExpertPart[]): Map<number, ExpertPart> {
  let m = byExpert.get(refs);
  if (!m) byExpert.set(refs, (m = new Map(refs.map((r) => [r.expert, r]))));
  return m;
}

/** The reference experts a slotted part could have met: its p-value's Bonferroni count. */
function optionsOf(slot: ExpertSlot): number {
  return new Set(slot.refs.map((r) => r.expert)).size;
}

type Sketched = { expert: number; vector: Float64Array };

/** One layer: both sides' sketches, the routers' rows, the assignment. Null when the sketches cannot be read. */
async function matchGroup(
  pairs: readonly AlignedPair[],
  group: string,
  parts: { candidate: ExpertPart[]; reference: readonly ExpertPart[] },
  ctx: ExpertMatchContext,
): Promise<{ partner: Map<number, number>; summary: ExpertMatchSummary } | null> {
  let cand: Sketched[];
  let ref: Sketched[];
  try {
    cand = await sketchesOf(ctx.cand, parts.candidate, ctx.fraction);
    ref = await sketchesOf(ctx.ref, parts.reference, ctx.fraction);
  } catch (e) {
    if (e instanceof FromScratchError && e.kind === "format") return null;
    throw e;
  }
  if (cand.length === 0 || ref.length === 0 || cand[0]!.vector.length !== ref[0]!.vector.length) return null;
  standardise(cand);
  standardise(ref);
  const score = similarity(cand, ref);
  const routers = await addRouterScores(pairs, group, { cand, ref, score }, ctx);
  const chosen = assign(score, cand.length, ref.length);
  const partner = new Map<number, number>();
  let moved = 0;
  cand.forEach((c, i) => {
    const j = chosen[i]!;
    if (j < 0) return;
    partner.set(c.expert, ref[j]!.expert);
    if (ref[j]!.expert !== c.expert) moved++;
  });
  return { partner, summary: { group, candidateExperts: cand.length, referenceExperts: ref.length, moved, routers } };
}

/** Each part's sketch vector (the upper triangle of G, diagonal included), in the parts' order. */
async function sketchesOf(source: WeightSource, parts: readonly ExpertPart[], fraction: number): Promise<Sketched[]> {
  const usable = parts.map((p) => ({ p, v: sketchView(p) })).filter((x): x is { p: ExpertPart; v: TensorView } => x.v !== null);
  return mapLimit(usable, SKETCHES_IN_FLIGHT, async ({ p, v }) => {
    const rows = sketchRows(v.rows, fraction);
    const s = await readRowSet(source, v, rows);
    return { expert: p.expert, vector: gramTriangle(s.data, rows.length, s.cols) };
  });
}

/**
 * The layer's routers (a `mlp.gate.weight` pair of [E, d] matrices, one row per expert, in the layer of
 * the group): their rows, centred across experts and normalised, add their inner products to the score.
 * `score`: the cand x ref similarity of the sketches (updated). Returns whether they did.
 */
async function addRouterScores(
  pairs: readonly AlignedPair[],
  group: string,
  { cand, ref, score }: { cand: Sketched[]; ref: Sketched[]; score: Float64Array },
  ctx: ExpertMatchContext,
): Promise<boolean> {
  const layer = pairs.find((p) => p.expertSlot?.group === group)?.layer;
  const router = pairs.find((p) => p.layer === layer && !p.expertSlot && /(^|\.)mlp\.gate\.weight$/.test(p.role) && p.candidate.rows === cand.length && p.reference.rows === ref.length && cand.length > 1);
  if (!router) return false;
  let a;
  let b;
  try {
    [a, b] = [await loadMatrix(ctx.cand, router.candidate), await loadMatrix(ctx.ref, router.reference)];
  } catch (e) {
    if (e instanceof FromScratchError && e.kind === "format") return false;
    throw e;
  }
  const rows = (m: { cols: number; data: Float32Array }, experts: Sketched[]) => experts.map((x) => ({ vector: Float64Array.from(m.data.subarray(x.expert * m.cols, (x.expert + 1) * m.cols)) }));
  if (cand.some((x) => x.expert >= a.rows) || ref.some((x) => x.expert >= b.rows)) return false;
  const ra = rows(a, cand);
  const rb = rows(b, ref);
  standardise(ra);
  standardise(rb);
  const s = similarity(ra, rb);
  for (let i = 0; i < score.length; i++) score[i]! += ROUTER_WEIGHT * s[i]!;
  return true;
}

/**
 * The matching's price on a re-paired part's direct test (the looks that run later pay for themselves).
 *
 * Nothing to pay when that test permutes the expert's own hidden units (`unitsOf`, the axis the direct
 * test takes for an MLP part): the choice rests on G = S Sᵀ, a sum over those units, and on router
 * rows, which do not see them, so permuting an expert's units changes neither the choice nor the law
 * of the weights under independence (its units are exchangeable); conditional on the choice the
 * permutation test is then exact, as if no choice had been made. A test along another axis (the
 * residual rows the sketches are made of) is not protected: its p-value is multiplied by the reference
 * experts the part could have met (`paidOptions`, Bonferroni: valid whatever chose).
 */
export function payForExpertMatching(pairs: readonly AlignedPair[], tensors: readonly TensorEvidence[], unitsOf: (pair: AlignedPair) => UnitAxis | null): TensorEvidence[] {
  return tensors.map((t, i) => {
    const p = pairs[i];
    if (!p || (p.paidOptions ?? 1) <= 1 || !t.permutation) return t;
    if (t.permutation.axis === unitsOf(p)) return t;
    return { ...t, permutation: { ...t.permutation, log10p: bonferroniLog10(t.permutation.log10p, p.paidOptions!) } };
  });
}

/**
 * The same price on what the alignment search saw of a re-paired part (`aligned`: its own looks are paid by
 * the search). A look whose partner the search chose again (`expert-matched` in its transforms, under a
 * moved residual stream: src/search/expert-partners.ts) has paid for that choice, and the planned pass's
 * choice did not feed it: nothing more to pay.
 */
export function payForExpertMatchingInSearch(pairs: readonly AlignedPair[], tensors: readonly TensorEvidence[]): TensorEvidence[] {
  return tensors.map((t, i) => {
    const p = pairs[i];
    if (!p || !t.aligned || (p.paidOptions ?? 1) <= 1 || t.aligned.transform.includes("expert-matched")) return t;
    return { ...t, aligned: { ...t.aligned, log10p: bonferroniLog10(t.aligned.log10p, p.paidOptions!) } };
  });
}
