/**
 * Routed experts re-paired inside the streamed search, under a look that moves the residual stream.
 *
 * Before the planned pass, experts are matched on k residual rows taken at the same indices on both sides
 * (src/engine/expert-match.ts). When the copier also permuted the residual stream, those rows meet other
 * rows and the partners are wrong; the search's role groups are keyed by the full role (expert index
 * included), so a candidate expert would only ever meet the reference expert it was paired with.
 *
 * Under a look through the recovered residual permutation, each candidate layer's experts are therefore
 * matched again against the experts of the reference layer it chose: per expert, the Gram matrix of its
 * down sketch over a few even features, in the reference's basis (a sum over its hidden units: blind to
 * their order and signs), centred across the layer's experts and normalised; a linear assignment keeps
 * one partner per candidate expert. Only even features choose (as the units' matching and the layer
 * choice); the held-out test runs on the odd ones. The choice is paid for all the same: every re-paired
 * part's p-value is multiplied by the number of reference experts it chose among (Bonferroni), and the
 * look is marked `expert-matched` so that the engine does not pay for the planned matching on top.
 */
import { bonferroniLog10 } from "../stats/combine.js";
import { zFromLog10P } from "../stats/pvalues.js";
import type { DeepResult } from "./deep-types.js";
import { assign, columnGram, similarity, standardise } from "./expert-gram.js";
import { splitFeatures } from "./match-rows.js";
import type { Look } from "./residual-looks.js";
import type { CandidateView, ReferenceView } from "./search-groups.js";
import type { SketchReader } from "./sketch-reader.js";
import { type Group, candidateUnits } from "./stream-groups.js";

/** Even features each Gram sketch is made of (a k x k Gram, as before the planned pass). */
export const GRAM_FEATURES = 32;
/** A routed expert's role: the prefix up to `experts.`, its index, the part (`down.weight`). */
export const EXPERT_ROLE = /^((?:.*\.)?experts\.)(\d+)\.(.+)$/;

/** A candidate expert part's own expert, from its tensor's name (gate, up and down of one expert agree even where each
 * part was paired on its own), else the expert of the group it sits in (a fused tensor: its parts were re-paired together). */
export function candidateExpert(prefix: string, name: string, groupExpert: number): string {
  const m = /(?:^|\.)experts\.(\d+)\./.exec(name);
  return m ? `${prefix}#${m[1]}` : `${prefix}${groupExpert}`;
}

/**
 * Under which name a matching of units is kept for the siblings (gate, up) of the matrix it was found on
 * (down): the role, its expert index taken from the candidate's tensor (candidateExpert), so that an
 * expert's gate meets its own down's matching wherever each part was paired.
 */
export function unitsKey(role: string, candidateName: string): string {
  const m = EXPERT_ROLE.exec(role);
  return m ? `${candidateExpert(m[1]!, candidateName, Number(m[2]))}.${m[3]}` : role;
}

/** A candidate part's partner: the same part of the chosen reference expert (its group's reference views), and how many experts it chose among. */
export interface Partner {
  refs: Map<string, ReferenceView>;
  options: number;
}

/** One layer look: which layers meet, through which look. */
export interface PartnerLook {
  look: Look;
  reader: SketchReader;
  layer: number | null;
  want: number | null;
}

/** Whether any group holds routed experts (the re-pairing's only trigger besides the look). */
export const hasExpertGroups = (groups: Group[]): boolean => groups.some((x) => EXPERT_ROLE.test(x.g.role));

/** A candidate view's partner in its group (its role), or undefined: as paired. */
export type PartnerOf = (x: Group, v: CandidateView) => Partner | undefined;

/**
 * Each candidate expert part's partner at the chosen reference layer (the down groups choose; gate and up
 * follow their expert). Undefined when no layer has two experts to choose among.
 */
export async function choosePartners(groups: Group[], at: PartnerLook): Promise<PartnerOf> {
  const bases = new Map<string, { x: Group; prefix: string; expert: number }[]>();
  for (const x of groups) {
    const m = EXPERT_ROLE.exec(x.g.role);
    if (!m || x.kind !== "cols") continue;
    const key = `${m[1]}*.${m[3]}`;
    bases.set(key, [...(bases.get(key) ?? []), { x, prefix: m[1]!, expert: Number(m[2]) }]);
  }
  const byExpert = new Map<string, { expert: string; options: number }>();
  for (const items of bases.values()) for (const [from, to] of await matchLayer(items, at)) byExpert.set(from, to);
  // A role in two groups (two shapes) keeps its pairing.
  const byRole = new Map<string, Group | null>();
  for (const x of groups) byRole.set(x.g.role, byRole.has(x.g.role) ? null : x);
  return (x, v) => {
    const m = EXPERT_ROLE.exec(x.g.role);
    const to = m ? byExpert.get(candidateExpert(m[1]!, v.entry.name, Number(m[2]))) : undefined;
    const other = to && byRole.get(`${to.expert}.${m![3]}`);
    return other && other.kind === x.kind ? { refs: other.g.refs, options: to.options } : undefined;
  };
}

export type Sketch = { key: string; vector: Float64Array };

/** One base role's experts at one layer look: `prefix+expert` of each candidate expert -> its partner's and the options. */
async function matchLayer(items: { x: Group; prefix: string; expert: number }[], at: PartnerLook): Promise<Map<string, { expert: string; options: number }>> {
  const { reader, look } = at;
  const { choose } = splitFeatures(reader.features.length, GRAM_FEATURES);
  const cand: Sketch[] = [];
  const ref: Sketch[] = [];
  for (const { x, prefix, expert } of items) {
    const views = [...x.g.cand.values()].filter((v) => v.layer === at.layer);
    // One candidate expert per group and layer (an ambiguous or extra one keeps its pairing).
    const c = views.length === 1 ? await reader.candidate(views[0]!, "cols", look, candidateUnits(x, views[0]!)) : null;
    if (c) cand.push({ key: candidateExpert(prefix, views[0]!.entry.name, expert), vector: columnGram(c, choose) });
    const rv: ReferenceView | undefined = [...x.g.refs.values()].find((r) => r.layer === at.want);
    const r = rv ? await reader.reference(rv, "cols") : null;
    if (r) ref.push({ key: `${prefix}${expert}`, vector: columnGram(r, choose) });
  }
  if (new Set(cand.map((c) => c.key)).size !== cand.length) return new Map();
  return pairSketches(cand, ref);
}

/** Each candidate sketch's partner among the reference's (standardised in place): a linear assignment, or none when either side has fewer than two. */
export function pairSketches(cand: Sketch[], ref: Sketch[]): Map<string, { expert: string; options: number }> {
  if (cand.length < 2 || ref.length < 2) return new Map();
  standardise(cand);
  standardise(ref);
  return pairStandardised(cand, ref);
}

/** pairSketches on sketches already standardised (each side's once: standardising is not idempotent). */
export function pairStandardised(cand: Sketch[], ref: Sketch[]): Map<string, { expert: string; options: number }> {
  const out = new Map<string, { expert: string; options: number }>();
  if (cand.length < 2 || ref.length < 2) return out;
  const chosen = assign(similarity(cand, ref), cand.length, ref.length);
  cand.forEach((c, i) => {
    const j = chosen[i]!;
    if (j >= 0) out.set(c.key, { expert: ref[j]!.key, options: ref.length });
  });
  return out;
}

/** A re-paired part's look, paid for its partner's choice (Bonferroni over the options) and marked. */
export function paidPartner(result: DeepResult, options: number): DeepResult {
  const log10p = bonferroniLog10(result.log10p, options);
  return { ...result, log10p, z: zFromLog10P(log10p), transform: ["expert-matched", ...result.transform] };
}
