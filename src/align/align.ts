/**
 * Which candidate tensor meets which reference tensor. Names are compared in
 * canonical form (component kind, layer, role); shapes decide the transform
 * (none, transpose, split-qkv / split-gate-up, leading-block). Candidate
 * tensors without a counterpart are kept in `unmatched`, never dropped.
 */
import type { TensorEntry } from "../sources/types.js";
import { modelLayoutFamily } from "./layout.js";
import { type ExpertRelation, type Transform, type Transforms, isLayout, isOnly } from "./transform.js";
import { type ExpertPart, type ExpertSlot, expertTransform, fittingViews, fusedExpertParts, hiddenWidths, perExpertPart } from "./experts.js";
import { type ComponentSpec, type NameInfo, assignComponents, componentKind, expertRole } from "./names.js";
import { pairDepthsByEvidence } from "./depth-options.js";
import { type FactoredPair, pairNamedFactors, pairShapeChains } from "./factor-chains.js";
import { addPortAlternatives } from "./port-layouts.js";
import { type Families, type WholePair, isInformative, pairLayouts, splitFused } from "./pair-layouts.js";
import { STANDARD, structuralFallback } from "./structural.js";
import { type TensorView, numel } from "./view.js";

export interface AlignedPair {
  component: string;
  layer: number | null;
  /** Canonical role of the compared part, e.g. "attn.q.weight" (a slice of a fused qkv gets "attn.q.weight"). */
  role: string;
  candidate: TensorView;
  reference: TensorView;
  /** Transforms undone, in order (empty: as stored): "transpose", "split-qkv", "split-gate-up", "leading-block", ... */
  transform: Transforms;
  /** A matrix large enough to be evidence (not a norm, bias, constant or tiny tensor). */
  informative: boolean;
  /**
   * Set when names did not decide and shapes left several options: pairs sharing an id compete,
   * and the engine keeps the assignment the data supports (each tensor used once).
   */
  ambiguity?: number;
  /** An ambiguity group in which several candidates may keep the same reference (layers dropped or duplicated). */
  manyToOne?: boolean;
  /**
   * Other layouts either side may be stored in (names and shapes left them open, src/align/layout.ts and
   * src/align/experts.ts): the engine compares each and keeps the best-supported one, paying for every
   * look (Bonferroni). A missing `reference` is the pair's own.
   */
  alternatives?: Alternative[];
  /** A routed expert paired by index whose partner the data chooses (src/align/expert-slots.ts). */
  expertSlot?: ExpertSlot;
  /** The partners the data chose this pair among (expert matching): its p-value is multiplied by it. */
  paidOptions?: number;
}

export type Alternative = { candidate: TensorView; reference?: TensorView; transform: Transforms };

export interface ComponentAlignment {
  name: string;
  /** Every candidate tensor in the component. */
  candidateParameters: number;
  candidateTensors: number;
  pairs: AlignedPair[];
  /** Candidate tensors with no counterpart in the reference. */
  unmatched: string[];
  unmatchedParameters: number;
  /** The unmatched tensors with their canonical (layer, role), for the alignment search. */
  unmatchedEntries: Located[];
  /** Matrices stored as several tensors (factors, an unmerged adapter, blocks): src/align/factor-chains.ts. */
  factored?: FactoredPair[];
}

export interface Located {
  entry: TensorEntry;
  kind: string;
  layer: number | null;
  role: string;
}

export interface Alignment {
  components: ComponentAlignment[];
  /** Candidate tensors no component rule covered (only with --components). */
  excludedTensors: string[];
  /** Reference tensors no candidate tensor met. */
  referenceUnmatched: number;
  /** Every reference tensor with its canonical (kind, layer, role). */
  referenceTensors: Located[];
}

const FUSED: { fused: RegExp; parts: string[]; transform: Transform }[] = [
  { fused: /(^|\.)qkv(\.|$)/, parts: ["q", "k", "v"], transform: "split-qkv" },
  { fused: /(^|\.)gate_up(\.|$)/, parts: ["gate", "up"], transform: "split-gate-up" },
];

type Keyed = { entry: TensorEntry; info: NameInfo };

function keyOf(kind: string, layer: number | null, role: string): string {
  return `${kind}|${layer ?? "-"}|${role}`;
}

function isCounter(e: TensorEntry): boolean {
  return numel(e.shape) <= 1 && /^(I|U)\d+$|^BOOL$/.test(e.dtype);
}


export function alignModels(candidate: TensorEntry[], reference: TensorEntry[], spec?: ComponentSpec | null): Alignment {
  const ctx = alignContext(candidate, reference, spec);
  const comps = new Map<string, ComponentAlignment>();
  const excluded: string[] = [];
  for (const entry of candidate) {
    const info = ctx.cInfo.get(entry.name);
    if (!info) {
      excluded.push(entry.name);
      continue;
    }
    let comp = comps.get(info.component);
    if (!comp) {
      comp = { name: info.component, candidateParameters: 0, candidateTensors: 0, pairs: [], unmatched: [], unmatchedParameters: 0, unmatchedEntries: [] };
      comps.set(info.component, comp);
    }
    comp.candidateParameters += numel(entry.shape);
    comp.candidateTensors++;
    // An integer scalar (BatchNorm's `num_batches_tracked`, a step counter) is bookkeeping, never a weight:
    // not compared, so an undecodable I64 counter cannot make a whole check unread.
    if (isCounter(entry)) continue;
    const t: TensorAt = { entry, info, comp, kind: componentKind(info.component), ex: expertRole(info.role) };
    if (MATCHERS.some((match) => match(ctx, t))) continue;
    comp.unmatched.push(entry.name);
    comp.unmatchedParameters += numel(entry.shape);
    comp.unmatchedEntries.push({ entry, kind: t.kind, layer: info.layer, role: info.role });
  }
  // Then the passes over what names left: named factors, shapes, factor chains, depths, ports.
  const { rInfo, usedRef, families, singleComponent } = ctx;
  const factorContext = { reference, rInfo, usedRef, anyKind: singleComponent };
  pairNamedFactors(comps.values(), factorContext);
  structuralFallback(comps, { ...factorContext, families });
  pairShapeChains(comps.values(), factorContext);
  pairDepthsByEvidence(comps.values(), { reference, rInfo, usedRef, pairWhole: (c, r) => pairLayouts(c, r, families), isInformative });
  // Ports between frameworks: swapped kernel taps, the other flatten order (src/align/port-layouts.ts).
  addPortAlternatives(comps.values(), candidate);
  return {
    components: [...comps.values()],
    excludedTensors: excluded,
    referenceUnmatched: reference.filter((t) => !usedRef.has(t.name)).length,
    referenceTensors: reference.flatMap((entry) => {
      const info = rInfo.get(entry.name);
      return info ? [{ entry, kind: componentKind(info.component), layer: info.layer, role: info.role }] : [];
    }),
  };
}

/** What every matcher sees: both models' names, the reference indexed by (kind, layer, role), experts, what is used. */
interface AlignContext {
  candidate: TensorEntry[];
  cInfo: Map<string, NameInfo | null>;
  rInfo: Map<string, NameInfo | null>;
  families: Families;
  refByKey: Map<string, Keyed>;
  /** The candidate is one component (a custom name matches reference tensors of any kind). */
  singleComponent: boolean;
  cHidden: ReadonlySet<number>;
  refExperts: Map<string, ExpertPart[]>;
  refShared: Map<string, Keyed>;
  candMoe: Set<string>;
  refMoe: Set<string>;
  usedRef: Set<string>;
  expertGroups: Map<string, number>;
  nextExpertGroup: number;
}

/** One candidate tensor being matched. */
interface TensorAt {
  entry: TensorEntry;
  info: NameInfo;
  comp: ComponentAlignment;
  kind: string;
  ex: ReturnType<typeof expertRole>;
}

/** Tries in order; the first that pairs the tensor wins (else it is unmatched, for the passes after). */
const MATCHERS: ((ctx: AlignContext, t: TensorAt) => boolean)[] = [matchRoutedExperts, matchSharedExpert, matchWhole, matchFused, matchDenseToExperts];

function alignContext(candidate: TensorEntry[], reference: TensorEntry[], spec?: ComponentSpec | null): AlignContext {
  const cInfo = assignComponents(
    candidate.map((t) => t.name),
    spec,
  );
  const rInfo = assignComponents(reference.map((t) => t.name));
  const refByKey = new Map<string, Keyed>();
  for (const entry of reference) {
    const info = rInfo.get(entry.name)!;
    if (!info) continue;
    refByKey.set(keyOf(componentKind(info.component), info.layer, info.role), { entry, info });
  }
  const roleIn = (infos: Map<string, NameInfo | null>) => (e: TensorEntry) => infos.get(e.name)?.role ?? null;
  const { routed: refExperts, shared: refShared } = expertIndex(reference, rInfo, hiddenWidths(reference, roleIn(rInfo)));
  return {
    candidate,
    cInfo,
    rInfo,
    families: { candidate: modelLayoutFamily(candidate), reference: modelLayoutFamily(reference) },
    refByKey,
    singleComponent: new Set([...cInfo.values()].flatMap((i) => (i ? [i.component] : []))).size === 1,
    cHidden: hiddenWidths(candidate, roleIn(cInfo)),
    refExperts,
    refShared,
    candMoe: moeLayers(cInfo),
    refMoe: moeLayers(rInfo),
    usedRef: new Set<string>(),
    expertGroups: new Map<string, number>(),
    nextExpertGroup: EXPERT_GROUPS,
  };
}

/** Layers (kind|layer) that hold routed experts: there, `mlp.gate.weight` [E, d] is a router. */
function moeLayers(infos: Map<string, NameInfo | null>): Set<string> {
  return new Set([...infos.values()].filter((i): i is NameInfo => i !== null && expertRole(i.role) !== null).map((i) => `${componentKind(i.component)}|${i.layer}`));
}

/** A router (`mlp.gate.weight` [E, d] beside experts) is no dense gate projection: it meets only a router. */
function isRouter(info: NameInfo, moe: Set<string>): boolean {
  return info.role === "mlp.gate.weight" && moe.has(`${componentKind(info.component)}|${info.layer}`);
}

/**
 * The reference's tensors of a role at the tensor's layer. A candidate that is one component under a
 * modality's name (`visual.` added to a whole language model) could hide behind it: its own kind first,
 * then every other.
 */
function lookupAll(ctx: AlignContext, info: NameInfo, role: string): Keyed[] {
  const kind = componentKind(info.component);
  const kinds = STANDARD.has(kind) && !ctx.singleComponent ? [kind] : [kind, ...[...STANDARD].filter((k) => k !== kind)];
  return kinds.map((k) => ctx.refByKey.get(keyOf(k, info.layer, role))).filter((x): x is Keyed => x !== undefined);
}

/** The reference's dense MLP tensor of a role in this layer (never a router). */
function denseOf(ctx: AlignContext, info: NameInfo, base: string): Keyed | undefined {
  return lookupAll(ctx, { ...info, role: base }, base).find((r) => !isRouter(r.info, ctx.refMoe));
}

function addPair(ctx: AlignContext, t: TensorAt, p: { cv: TensorView; rv: TensorView; role: string; transform: Transforms; alternatives?: WholePair["alternatives"] }): void {
  t.comp.pairs.push({ component: t.info.component, layer: t.info.layer, role: p.role, candidate: p.cv, reference: p.rv, transform: p.transform, informative: isInformative(p.cv), ...(p.alternatives ? { alternatives: p.alternatives } : {}) });
  ctx.usedRef.add(p.rv.entry.name);
}

/** Which expert part meets which, how (the relation: null when they are the same kind of part), and its ambiguity group. */
type PartMeeting = { c: ExpertPart; r: ExpertPart; relation: ExpertRelation | null; ambiguity?: number };

/** An expert part against a reference part in every view that fits (the first compared, the rest alternatives). */
function pairOne(ctx: AlignContext, t: TensorAt, m: PartMeeting): boolean {
  const { c, r, relation, ambiguity } = m;
  const fits = fittingViews(c, r);
  if (fits.length === 0) return false;
  const transform = (f: (typeof fits)[number]) => expertTransform(relation, { fused: c.fused, label: f.candidate.label }, { fused: r.fused, label: f.reference.label });
  const [first, ...rest] = fits;
  t.comp.pairs.push({
    component: t.info.component,
    layer: t.info.layer,
    role: r.role,
    candidate: first!.candidate.view,
    reference: first!.reference.view,
    transform: transform(first!),
    informative: isInformative(first!.candidate.view),
    ...(ambiguity !== undefined ? { ambiguity } : {}),
    ...(rest.length ? { alternatives: rest.map((f) => ({ candidate: f.candidate.view, reference: f.reference.view, transform: transform(f) })) } : {}),
  });
  ctx.usedRef.add(r.entry.name);
  return true;
}

/** A dense or shared MLP tensor against the reference's routed experts (any one of them, the choice paid for). */
function pairWithExperts(ctx: AlignContext, t: TensorAt, part: ExpertPart, relation: ExpertRelation): boolean {
  const refs = (ctx.refExperts.get(keyOf(t.kind, t.info.layer, part.base)) ?? []).filter((r) => fittingViews(part, r).length > 0);
  if (refs.length === 0 || refs.length > MAX_DENSE_OF_EXPERT_OPTIONS) return false;
  const id = refs.length > 1 ? ctx.nextExpertGroup++ : undefined;
  for (const r of refs) pairOne(ctx, t, { c: part, r, relation, ambiguity: id });
  return true;
}

/**
 * Routed experts, per-expert or fused in one tensor ([E, 2F, D], [E, D, 2F]: src/align/experts.ts): against
 * the reference's experts of the same layer and role in any order, per-expert or fused (an ambiguity group
 * the data resolves, its selection paid for; above MAX_EXPERT_OPTIONS by index, marked for the engine's
 * matching on sketches), else many-to-one against its dense MLP (upcycling).
 */
function matchRoutedExperts(ctx: AlignContext, t: TensorAt): boolean {
  const { entry, info, ex } = t;
  const parts = ex ? (ex.expert >= 0 ? [perExpertPart(entry, ex.base, ex.expert, info.role)] : null) : fusedExpertParts(entry, info.role, ctx.cHidden);
  if (!parts) return false;
  let any = false;
  for (const part of parts) {
    const k = keyOf(t.kind, info.layer, part.base);
    const refs = (ctx.refExperts.get(k) ?? []).filter((r) => fittingViews(part, r).length > 0);
    if (refs.length > MAX_EXPERT_OPTIONS) {
      // Paired by index for now; the engine matches the layer's experts on sketches (src/engine/expert-match.ts).
      const same = refs.find((r) => r.expert === part.expert) ?? refs[Math.max(0, part.expert) % refs.length]!;
      if (pairOne(ctx, t, { c: part, r: same, relation: null })) {
        const pair = t.comp.pairs[t.comp.pairs.length - 1]!;
        pair.expertSlot = { group: keyOf(t.kind, info.layer, "experts"), part, refs: ctx.refExperts.get(k)!, relation: "expert-matched", informative: pair.informative };
        any = true;
      }
      continue;
    }
    if (refs.length > 0) {
      let id: number | undefined;
      if (refs.length > 1) {
        id = ctx.expertGroups.get(k);
        if (id === undefined) ctx.expertGroups.set(k, (id = ctx.nextExpertGroup++));
      }
      for (const r of refs) pairOne(ctx, t, { c: part, r, relation: "expert-matched", ambiguity: id });
      any = true;
      continue;
    }
    const dense = denseOf(ctx, info, part.base);
    if (dense && pairOne(ctx, t, { c: part, r: perExpertPart(dense.entry, part.base, -1, dense.info.role), relation: "expert-of-dense" })) any = true;
  }
  return any;
}

/** A shared expert is a dense MLP: the reference's shared expert, else its dense MLP, else its experts. */
function matchSharedExpert(ctx: AlignContext, t: TensorAt): boolean {
  const { entry, info, ex } = t;
  if (!ex || ex.expert >= 0) return false;
  const shared = ctx.refShared.get(keyOf(t.kind, info.layer, ex.base));
  const part = perExpertPart(entry, ex.base, -1, info.role);
  if (shared && pairOne(ctx, t, { c: part, r: perExpertPart(shared.entry, ex.base, -1, shared.info.role), relation: shared.info.role === info.role ? null : "shared-expert" })) return true;
  const dense = denseOf(ctx, info, ex.base);
  if (dense && pairOne(ctx, t, { c: part, r: perExpertPart(dense.entry, ex.base, -1, dense.info.role), relation: "shared-expert-of-dense" })) return true;
  return pairWithExperts(ctx, t, part, "shared-expert-of-expert");
}

/** As stored first, then a transpose or a layout (the first step, or the reference's), then anything else. */
const RANK = (t: Transforms) => (t.length === 0 ? 0 : isOnly(t, "transpose") || isLayout(t[0]!) || t.some((k) => k.startsWith("reference-layout:")) ? 1 : 2);

/** The same name's reference tensor, whole, in the best-ranked layout that fits (never a router with a dense gate). */
function matchWhole(ctx: AlignContext, t: TensorAt): boolean {
  const { entry, info } = t;
  if (isRouter(info, ctx.candMoe) !== isRouter(info, ctx.refMoe)) return false;
  const whole =
    lookupAll(ctx, info, info.role)
      .map((r) => pairLayouts(entry, r.entry, ctx.families))
      .filter((x) => x !== null)
      .sort((a, b) => RANK(a.transform) - RANK(b.transform))[0] ?? null;
  if (!whole) return false;
  addPair(ctx, t, { cv: whole.cv, rv: whole.rv, role: info.role, transform: whole.transform, alternatives: whole.alternatives });
  return true;
}

/** Fused on one side, split on the other. */
function matchFused(ctx: AlignContext, t: TensorAt): boolean {
  const { entry, info } = t;
  for (const f of FUSED) {
    if (f.fused.test(info.role)) {
      const partRoles = f.parts.map((p) => info.role.replace(f.fused, (m, a: string, b: string) => `${a}${p}${b}`));
      const parts = partRoles.map((r) => lookupAll(ctx, info, r)[0]);
      if (!parts.every((p) => p)) continue;
      const s = splitFused(entry, parts.map((p) => p!.entry));
      if (!s) continue;
      s.fusedViews.forEach((fv, i) => addPair(ctx, t, { cv: fv, rv: s.partViews[i]!, role: partRoles[i]!, transform: s.transposed ? ["transpose", f.transform] : [f.transform] }));
      return true;
    }
    const m = f.parts.findIndex((p) => new RegExp(`(^|\\.)${p}(\\.|$)`).test(info.role));
    if (m < 0) continue;
    const fusedRole = info.role.replace(new RegExp(`(^|\\.)${f.parts[m]}(\\.|$)`), (_x, a: string, b: string) => `${a}${f.parts.join("_").replace("q_k_v", "qkv")}${b}`);
    const fused = lookupAll(ctx, info, fusedRole)[0];
    if (!fused) continue;
    const partRoles = f.parts.map((p) => fusedRole.replace(f.fused, (_x, a: string, b: string) => `${a}${p}${b}`));
    // Sizes of the other parts come from the candidate's own split tensors when it has them.
    const siblings = partRoles.map((r) =>
      ctx.candidate.find((c) => {
        const i2 = ctx.cInfo.get(c.name);
        return i2 && i2.component === info.component && i2.layer === info.layer && i2.role === r;
      }),
    );
    if (siblings.some((x) => !x)) continue;
    const s = splitFused(fused.entry, siblings.map((x) => x!));
    if (!s) continue;
    addPair(ctx, t, { cv: s.partViews[m]!, rv: s.fusedViews[m]!, role: info.role, transform: s.transposed ? ["transpose", f.transform] : [f.transform] });
    return true;
  }
  return false;
}

/** A dense MLP against a reference that has only a shared expert or routed experts there (one kept: pruned from an MoE). */
function matchDenseToExperts(ctx: AlignContext, t: TensorAt): boolean {
  const { entry, info } = t;
  if (t.ex || !DENSE_MLP.test(info.role) || isRouter(info, ctx.candMoe)) return false;
  const part = perExpertPart(entry, info.role, -1, info.role);
  const shared = ctx.refShared.get(keyOf(t.kind, info.layer, info.role));
  return (shared !== undefined && pairOne(ctx, t, { c: part, r: perExpertPart(shared.entry, info.role, -1, shared.info.role), relation: "dense-of-shared-expert" })) || pairWithExperts(ctx, t, part, "dense-of-expert");
}


/** Ambiguity ids of expert groups start here (structural groups count from 1). */
const EXPERT_GROUPS = 1_000_000;
/**
 * Above this many reference experts per role, experts are paired by index and matched by the engine on
 * sketches (src/align/expert-slots.ts): comparing every pairing grows as E².
 */
const MAX_EXPERT_OPTIONS = 4;
/** Above this many reference experts, a dense MLP is not compared with each of them (one pair per expert). */
const MAX_DENSE_OF_EXPERT_OPTIONS = 16;

/** A dense MLP projection's canonical role. */
const DENSE_MLP = /^mlp\.(gate|up|down)\.weight$/;

/**
 * The reference's routed experts per (kind, layer, dense role), per-expert tensors and fused ones cut per
 * expert alike (src/align/experts.ts), and its shared experts.
 */
function expertIndex(
  reference: TensorEntry[],
  rInfo: Map<string, NameInfo | null>,
  hidden: ReadonlySet<number>,
): { routed: Map<string, ExpertPart[]>; shared: Map<string, Keyed> } {
  const routed = new Map<string, ExpertPart[]>();
  const shared = new Map<string, Keyed>();
  for (const entry of reference) {
    const info = rInfo.get(entry.name);
    if (!info) continue;
    const kind = componentKind(info.component);
    const ex = expertRole(info.role);
    if (ex && ex.expert < 0) {
      shared.set(keyOf(kind, info.layer, ex.base), { entry, info });
      continue;
    }
    const parts = ex ? [perExpertPart(entry, ex.base, ex.expert, info.role)] : (fusedExpertParts(entry, info.role, hidden) ?? []);
    for (const p of parts) {
      const k = keyOf(kind, info.layer, p.base);
      routed.set(k, [...(routed.get(k) ?? []), p]);
    }
  }
  return { routed, shared };
}
