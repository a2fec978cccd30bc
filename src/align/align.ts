/**
 * Which candidate tensor meets which reference tensor. Names are compared in
 * canonical form (component kind, layer, role); shapes decide the transform
 * (none, transpose, split-qkv / split-gate-up, leading-block). Candidate
 * tensors without a counterpart are kept in `unmatched`, never dropped.
 */
import type { TensorEntry } from "../sources/types.js";
import { type LayoutFamily, NATIVE, layoutOptionsIn, modelLayoutFamily, referenceLayout } from "./layout.js";
import { type ExpertPart, type ExpertSlot, expertTransform, fittingViews, fusedExpertParts, hiddenWidths, perExpertPart } from "./experts.js";
import { type ComponentSpec, type NameInfo, assignComponents, componentKind, expertRole } from "./names.js";
import { pairDepthsByEvidence } from "./depth-options.js";
import { type FactoredPair, pairNamedFactors, pairShapeChains } from "./factor-chains.js";
import { addPortAlternatives } from "./port-layouts.js";
import {
  type TensorView,

  canonicalShape,
  fullView,
  layoutView,
  leadingBlock,
  numel,
  sliceRows,
  storedMatrixShape,
  viewElements,
} from "./view.js";

/**
 * Matrices under this many elements (and every vector) are reported but carry no weight. Small matrices
 * count (a first conv layer of 24 x 3 x 3 x 3 is the plainest trace of a shared start): their permutation
 * tests are exact at their size (src/stats/small-permutation.ts), so few units simply cannot reach a small p.
 */
const MIN_INFORMATIVE_ELEMENTS = 64;
/** ... and along their longer axis at least this many units or features. */
const MIN_INFORMATIVE_SIDE = 8;

export interface AlignedPair {
  component: string;
  layer: number | null;
  /** Canonical role of the compared part, e.g. "attn.q.weight" (a slice of a fused qkv gets "attn.q.weight"). */
  role: string;
  candidate: TensorView;
  reference: TensorView;
  /** Transforms undone, joined by "+": "none", "transpose", "split-qkv", "split-gate-up", "leading-block". */
  transform: string;
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

export type Alternative = { candidate: TensorView; reference?: TensorView; transform: string };

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

const FUSED: { fused: RegExp; parts: string[]; transform: string }[] = [
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

function isInformative(v: TensorView): boolean {
  return v.entry.shape.length >= 2 && v.rows >= 2 && v.cols >= 2 && Math.max(v.rows, v.cols) >= MIN_INFORMATIVE_SIDE && viewElements(v) >= MIN_INFORMATIVE_ELEMENTS;
}

/** Each model's layout family, from its kernels that names or shapes decide (src/align/layout.ts). */
type Families = { candidate: LayoutFamily | null; reference: LayoutFamily | null };
const NO_FAMILIES: Families = { candidate: null, reference: null };

type WholePair = { cv: TensorView; rv: TensorView; transform: string; alternatives?: Alternative[] };

/** The transform of a pair of layouts: none when the same, else the candidate's and the reference's (`reference-layout:…`). */
function layoutTransform(c: string, r: string): string {
  if (c === r) return "none";
  if (r === NATIVE) return c;
  return c === NATIVE ? `reference-${r}` : `${c}+reference-${r}`;
}

/**
 * Pair two whole tensors, each seen along its right axes (src/align/layout.ts): every layout of the
 * candidate and of the reference whose canonical shapes agree; several that fit become alternatives the
 * engine tries (and pays for), the most likely first. Tensors whose layouts are both native keep the
 * shape rules of pairWhole.
 */
function pairLayouts(c: TensorEntry, r: TensorEntry, families: Families = NO_FAMILIES): WholePair | null {
  const cOpts = layoutOptionsIn(c.name, c.shape, families.candidate);
  const rOpts = layoutOptionsIn(r.name, r.shape, families.reference);
  const onlyNative = (opts: typeof cOpts) => opts.length === 1 && opts[0]!.label === NATIVE;
  if (onlyNative(rOpts) && onlyNative(cOpts)) return pairWhole(c, r);
  const fits: Alternative[] = [];
  for (const ro of rOpts) {
    const want = canonicalShape(r.shape, ro.axes);
    for (const co of cOpts) {
      const got = canonicalShape(c.shape, co.axes);
      if (got.length === want.length && got.every((d, i) => d === want[i])) fits.push({ candidate: layoutView(c, co.axes), reference: layoutView(r, ro.axes), transform: layoutTransform(co.label, ro.label) });
    }
  }
  // Nothing fits along the right axes: the stored shapes' rules only when both sides may be stored natively
  // (a name that decided the layout never meets a tensor by its raw shape: fc1 [in, out] is not fc2 [out, in]).
  if (fits.length === 0) return rOpts.some((o) => o.label === NATIVE) && cOpts.some((o) => o.label === NATIVE) ? pairWhole(c, r) : null;
  const [first, ...rest] = fits;
  return { cv: first!.candidate, rv: first!.reference!, transform: first!.transform, ...(rest.length ? { alternatives: rest } : {}) };
}

/** Pair two whole tensors: same shape, transposed, or their leading block. */
function pairWhole(c: TensorEntry, r: TensorEntry): { cv: TensorView; rv: TensorView; transform: string } | null {
  const [cr, cc] = storedMatrixShape(c.shape);
  const [rr, rc] = storedMatrixShape(r.shape);
  if (cr === rr && cc === rc) return { cv: fullView(c), rv: fullView(r), transform: "none" };
  if (c.shape.length === 2 && r.shape.length === 2 && cr === rc && cc === rr) {
    // Canonical orientation is the reference's: copies are transformed, references are the standard layout.
    return { cv: fullView(c, true), rv: fullView(r), transform: "transpose" };
  }
  if (c.shape.length === r.shape.length) {
    const rows = Math.min(cr, rr);
    const cols = Math.min(cc, rc);
    // A leading block must keep at least half of the smaller tensor, or it is not the same tensor grown.
    if (rows * cols * 2 >= Math.min(cr * cc, rr * rc)) {
      return { cv: leadingBlock(fullView(c), rows, cols), rv: leadingBlock(fullView(r), rows, cols), transform: "leading-block" };
    }
  }
  return null;
}

/**
 * A fused tensor against its parts. Returns a view of the fused tensor per part
 * (rows sliced along the output axis), and the part views, or null.
 */
function splitFused(fused: TensorEntry, parts: TensorEntry[]): { fusedViews: TensorView[]; partViews: TensorView[]; transposed: boolean } | null {
  const partShapes = parts.map((p) => storedMatrixShape(p.shape));
  const [fr, fc] = storedMatrixShape(fused.shape);
  const vector = fused.shape.length === 1;
  // Try each orientation of the fused tensor and of the parts (Linear [out, in] or Conv1D [in, out]).
  for (const fT of vector ? [false] : [false, true]) {
    for (const pT of vector ? [false] : [false, true]) {
      const [fRows, fCols] = fT ? [fc, fr] : [fr, fc];
      const pc = partShapes.map(([r, c]) => (pT ? [c, r] : [r, c]) as [number, number]);
      if (pc.some(([, c]) => c !== fCols)) continue;
      if (pc.reduce((s, [r]) => s + r, 0) !== fRows) continue;
      let start = 0;
      const fusedViews: TensorView[] = [];
      const partViews: TensorView[] = [];
      parts.forEach((p, i) => {
        fusedViews.push(sliceRows(fullView(fused, fT), start, pc[i]![0]));
        partViews.push(fullView(p, pT));
        start += pc[i]![0];
      });
      return { fusedViews, partViews, transposed: fT || pT };
    }
  }
  return null;
}

export function alignModels(candidate: TensorEntry[], reference: TensorEntry[], spec?: ComponentSpec | null): Alignment {
  const cInfo = assignComponents(
    candidate.map((t) => t.name),
    spec,
  );
  const rInfo = assignComponents(reference.map((t) => t.name));
  const families: Families = { candidate: modelLayoutFamily(candidate), reference: modelLayoutFamily(reference) };
  const refByKey = new Map<string, Keyed>();
  for (const entry of reference) {
    const info = rInfo.get(entry.name)!;
    if (!info) continue;
    refByKey.set(keyOf(componentKind(info.component), info.layer, info.role), { entry, info });
  }
  // A custom component name matches reference tensors of any kind: prefer the best shape fit.
  const singleComponent = new Set([...cInfo.values()].flatMap((i) => (i ? [i.component] : []))).size === 1;
  const lookupAll = (info: NameInfo, role: string): Keyed[] => {
    const kind = componentKind(info.component);
    // A candidate that is one component under a modality's name (`visual.` added to a whole language
    // model) could hide behind it: its own kind first, then every other.
    const kinds = STANDARD.has(kind) && !singleComponent ? [kind] : [kind, ...[...STANDARD].filter((k) => k !== kind)];
    return kinds.map((k) => refByKey.get(keyOf(k, info.layer, role))).filter((x): x is Keyed => x !== undefined);
  };
  const lookup = (info: NameInfo, role: string): Keyed | undefined => lookupAll(info, role)[0];
  const RANK = (t: string) => (t === "none" ? 0 : t === "transpose" || /(^|-)layout:/.test(t) ? 1 : 2);
  const bestWhole = (entry: TensorEntry, info: NameInfo) =>
    lookupAll(info, info.role)
      .map((r) => pairLayouts(entry, r.entry, families))
      .filter((x) => x !== null)
      .sort((a, b) => RANK(a.transform) - RANK(b.transform))[0] ?? null;

  const roleIn = (infos: Map<string, NameInfo | null>) => (e: TensorEntry) => infos.get(e.name)?.role ?? null;
  const cHidden = hiddenWidths(candidate, roleIn(cInfo));
  const { routed: refExperts, shared: refShared } = expertIndex(reference, rInfo, hiddenWidths(reference, roleIn(rInfo)));
  // A router (`mlp.gate.weight` [E, d] beside experts) is no dense gate projection: it meets only a router.
  const moeLayers = (infos: Map<string, NameInfo | null>) =>
    new Set([...infos.values()].filter((i): i is NameInfo => i !== null && expertRole(i.role) !== null).map((i) => `${componentKind(i.component)}|${i.layer}`));
  const candMoe = moeLayers(cInfo);
  const refMoe = moeLayers(rInfo);
  const isRouter = (info: NameInfo, moe: Set<string>) => info.role === "mlp.gate.weight" && moe.has(`${componentKind(info.component)}|${info.layer}`);
  let nextExpertGroup = EXPERT_GROUPS;
  const expertGroups = new Map<string, number>();
  /** The reference's dense MLP tensor of a role in this layer (never a router). */
  const denseOf = (info: NameInfo, base: string): Keyed | undefined => lookupAll({ ...info, role: base }, base).find((r) => !isRouter(r.info, refMoe));

  const usedRef = new Set<string>();
  const comps = new Map<string, ComponentAlignment>();
  const excluded: string[] = [];
  for (const entry of candidate) {
    const info = cInfo.get(entry.name);
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
    const add = (cv: TensorView, rv: TensorView, role: string, transform: string, alternatives?: WholePair["alternatives"]) => {
      comp!.pairs.push({ component: info.component, layer: info.layer, role, candidate: cv, reference: rv, transform, informative: isInformative(cv), ...(alternatives ? { alternatives } : {}) });
      usedRef.add(rv.entry.name);
    };
    /** An expert part against a reference part in every view that fits (the first compared, the rest alternatives). */
    const pairOne = (c: ExpertPart, r: ExpertPart, relation: string, ambiguity: number | undefined): boolean => {
      const fits = fittingViews(c, r);
      if (fits.length === 0) return false;
      const transform = (f: (typeof fits)[number]) => expertTransform(relation, { fused: c.fused, label: f.candidate.label }, { fused: r.fused, label: f.reference.label });
      const [first, ...rest] = fits;
      comp!.pairs.push({
        component: info.component,
        layer: info.layer,
        role: r.role,
        candidate: first!.candidate.view,
        reference: first!.reference.view,
        transform: transform(first!),
        informative: isInformative(first!.candidate.view),
        ...(ambiguity !== undefined ? { ambiguity } : {}),
        ...(rest.length ? { alternatives: rest.map((f) => ({ candidate: f.candidate.view, reference: f.reference.view, transform: transform(f) })) } : {}),
      });
      usedRef.add(r.entry.name);
      return true;
    };
    const kind = componentKind(info.component);
    /** A dense or shared MLP tensor against the reference's routed experts (any one of them, the choice paid for). */
    const pairWithExperts = (part: ExpertPart, relation: string): boolean => {
      const refs = (refExperts.get(keyOf(kind, info.layer, part.base)) ?? []).filter((r) => fittingViews(part, r).length > 0);
      if (refs.length === 0 || refs.length > MAX_DENSE_OF_EXPERT_OPTIONS) return false;
      const id = refs.length > 1 ? nextExpertGroup++ : undefined;
      for (const r of refs) pairOne(part, r, relation, id);
      return true;
    };
    /**
     * Routed parts against the reference's experts of the same role in any order (above MAX_EXPERT_OPTIONS
     * by index, marked for the engine's matching on sketches), else its dense MLP.
     */
    const matchRouted = (parts: ExpertPart[]): boolean => {
      let any = false;
      for (const part of parts) {
        const k = keyOf(kind, info.layer, part.base);
        const refs = (refExperts.get(k) ?? []).filter((r) => fittingViews(part, r).length > 0);
        if (refs.length > MAX_EXPERT_OPTIONS) {
          // Paired by index for now; the engine matches the layer's experts on sketches (src/engine/expert-match.ts).
          const same = refs.find((r) => r.expert === part.expert) ?? refs[Math.max(0, part.expert) % refs.length]!;
          if (pairOne(part, same, "", undefined)) {
            const pair = comp!.pairs[comp!.pairs.length - 1]!;
            pair.expertSlot = { group: keyOf(kind, info.layer, "experts"), part, refs: refExperts.get(k)!, relation: "expert-matched", informative: pair.informative };
            any = true;
          }
          continue;
        }
        if (refs.length > 0) {
          let id: number | undefined;
          if (refs.length > 1) {
            id = expertGroups.get(k);
            if (id === undefined) expertGroups.set(k, (id = nextExpertGroup++));
          }
          for (const r of refs) pairOne(part, r, "expert-matched", id);
          any = true;
          continue;
        }
        const dense = denseOf(info, part.base);
        if (dense && pairOne(part, perExpertPart(dense.entry, part.base, -1, dense.info.role), "expert-of-dense", undefined)) any = true;
      }
      return any;
    };

    // Routed experts, per-expert or fused in one tensor ([E, 2F, D], [E, D, 2F]: src/align/experts.ts):
    // against the reference's experts of the same layer and role in any order, per-expert or fused (an
    // ambiguity group the data resolves, its selection paid for), or many-to-one against its dense MLP (upcycling).
    const ex = expertRole(info.role);
    const routed = ex ? (ex.expert >= 0 ? [perExpertPart(entry, ex.base, ex.expert, info.role)] : null) : fusedExpertParts(entry, info.role, cHidden);
    if (routed && matchRouted(routed)) continue;
    // A shared expert is a dense MLP: the reference's shared expert, else its dense MLP, else its experts.
    if (ex && ex.expert < 0) {
      const shared = refShared.get(keyOf(kind, info.layer, ex.base));
      const part = perExpertPart(entry, ex.base, -1, info.role);
      if (shared && pairOne(part, perExpertPart(shared.entry, ex.base, -1, shared.info.role), shared.info.role === info.role ? "" : "shared-expert", undefined)) continue;
      const dense = denseOf(info, ex.base);
      if (dense && pairOne(part, perExpertPart(dense.entry, ex.base, -1, dense.info.role), "shared-expert-of-dense", undefined)) continue;
      if (pairWithExperts(part, "shared-expert-of-expert")) continue;
    }
    const whole = isRouter(info, candMoe) !== isRouter(info, refMoe) ? null : bestWhole(entry, info);
    if (whole) {
      add(whole.cv, whole.rv, info.role, whole.transform, whole.alternatives);
      continue;
    }
    // Fused on one side, split on the other.
    let done = false;
    for (const f of FUSED) {
      if (f.fused.test(info.role)) {
        const partRoles = f.parts.map((p) => info.role.replace(f.fused, (m, a: string, b: string) => `${a}${p}${b}`));
        const parts = partRoles.map((r) => lookup(info, r));
        if (parts.every((p) => p)) {
          const s = splitFused(entry, parts.map((p) => p!.entry));
          if (s) {
            s.fusedViews.forEach((fv, i) => add(fv, s.partViews[i]!, partRoles[i]!, s.transposed ? `transpose+${f.transform}` : f.transform));
            done = true;
          }
        }
      } else {
        const m = f.parts.findIndex((p) => new RegExp(`(^|\\.)${p}(\\.|$)`).test(info.role));
        if (m < 0) continue;
        const fusedRole = info.role.replace(new RegExp(`(^|\\.)${f.parts[m]}(\\.|$)`), (_x, a: string, b: string) => `${a}${f.parts.join("_").replace("q_k_v", "qkv")}${b}`);
        const fused = lookup(info, fusedRole);
        if (!fused) continue;
        const partRoles = f.parts.map((p) => fusedRole.replace(f.fused, (_x, a: string, b: string) => `${a}${p}${b}`));
        // Sizes of the other parts come from the candidate's own split tensors when it has them.
        const siblings = partRoles.map((r) => candidate.find((t) => {
          const i2 = cInfo.get(t.name);
          return i2 && i2.component === info.component && i2.layer === info.layer && i2.role === r;
        }));
        if (siblings.some((s) => !s)) continue;
        const s = splitFused(fused.entry, siblings.map((x) => x!));
        if (s) {
          add(s.partViews[m]!, s.fusedViews[m]!, info.role, s.transposed ? `transpose+${f.transform}` : f.transform);
          done = true;
        }
      }
      if (done) break;
    }
    // A dense MLP against a reference that has only a shared expert or routed experts there (one kept: pruned from an MoE).
    if (!done && !ex && DENSE_MLP.test(info.role) && !isRouter(info, candMoe)) {
      const part = perExpertPart(entry, info.role, -1, info.role);
      const shared = refShared.get(keyOf(kind, info.layer, info.role));
      done = (shared !== undefined && pairOne(part, perExpertPart(shared.entry, info.role, -1, shared.info.role), "dense-of-shared-expert", undefined)) || pairWithExperts(part, "dense-of-expert");
    }
    if (!done) {
      comp.unmatched.push(entry.name);
      comp.unmatchedParameters += numel(entry.shape);
      comp.unmatchedEntries.push({ entry, kind: componentKind(info.component), layer: info.layer, role: info.role });
    }
  }
  const factorContext = { reference, rInfo, usedRef, anyKind: singleComponent };
  pairNamedFactors(comps.values(), factorContext);
  structuralFallback(comps, reference, rInfo, usedRef, families, singleComponent);
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

const STANDARD = new Set(["language", "vision", "audio", "projector"]);

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

/** Above this many candidate x reference options, layer-less names are paired in order (below). */
const MAX_WIDE_OPTIONS = 256;
/** The order roles come in inside a layer (exporters walk the graph in this order). */
const ROLE_ORDER = ["q", "k", "v", "qkv", "o", "gate", "up", "gate_up", "down"];

function roleRank(role: string): number {
  const segs = role.split(".");
  const i = ROLE_ORDER.findIndex((r) => segs.includes(r));
  return i < 0 ? ROLE_ORDER.length : i;
}

/** Names compared with their numbers as numbers (`onnx::MatMul_98` before `onnx::MatMul_102`). */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/**
 * Layer-less names (ONNX `onnx::MatMul_N`, Keras `dense_N/kernel:0`) that may meet any layer make
 * groups that grow with the square of the depth (every q, k, v, o of 32 layers against every other: 16k
 * comparisons of whole matrices). Above MAX_WIDE_OPTIONS per shape, they are paired in order instead,
 * without looking at the values: candidates in natural name order (exporters number initialisers in
 * graph order), references by layer then role order. The data never chooses, so nothing is to pay.
 */
function pairWideInOrder(
  widened: Located[],
  options: Map<Located, { ref: TensorEntry; whole: WholePair }[]>,
  layerOfRef: (e: TensorEntry) => number | null,
  rInfo: Map<string, NameInfo | null>,
  still: Located[],
): void {
  const byShape = new Map<string, Located[]>();
  for (const u of widened) {
    const v = options.get(u)![0]!.whole.cv;
    const key = `${v.rows}x${v.cols}`;
    byShape.set(key, [...(byShape.get(key) ?? []), u]);
  }
  for (const cands of byShape.values()) {
    const refs = new Map<string, TensorEntry>();
    for (const u of cands) for (const o of options.get(u)!) refs.set(o.ref.name, o.ref);
    if (cands.length * refs.size <= MAX_WIDE_OPTIONS) continue;
    const orderedRefs = [...refs.values()].sort(
      (a, b) => (layerOfRef(a) ?? -1) - (layerOfRef(b) ?? -1) || roleRank(rInfo.get(a.name)!.role) - roleRank(rInfo.get(b.name)!.role) || naturalCompare(a.name, b.name),
    );
    // Each side in graph order: by layer, then role order, then name (names with neither: natural name order).
    const candLayer = (u: Located) => u.layer ?? genericLayer(u.entry.name) ?? -1;
    const orderedCands = [...cands].sort((a, b) => candLayer(a) - candLayer(b) || roleRank(a.role) - roleRank(b.role) || naturalCompare(a.entry.name, b.entry.name));
    orderedCands.forEach((u, i) => {
      const ref = orderedRefs[i];
      const o = ref ? options.get(u)!.find((x) => x.ref.name === ref.name) : undefined;
      if (o) options.set(u, [o]);
      else {
        options.delete(u);
        still.push(u);
      }
    });
  }
}

/** The first all-digit segment of a name: a layer index when names follow no known scheme. */
function genericLayer(name: string): number | null {
  const segs = name.split(".");
  // A name that is only an index (`17`) numbers tensors, not layers.
  if (segs.length === 1) return null;
  const seg = segs.find((x) => /^\d+$/.test(x));
  return seg === undefined ? null : Number(seg);
}

/**
 * Candidate tensors whose names matched nothing meet the unused reference
 * tensors of the same layer index by shape (same, else transposed). A shape
 * several tensors share in a layer (q, k, v, o) makes an ambiguity group: every
 * option is compared and the engine keeps the assignment the data supports.
 */
function structuralFallback(
  comps: Map<string, ComponentAlignment>,
  reference: TensorEntry[],
  rInfo: Map<string, NameInfo | null>,
  usedRef: Set<string>,
  families: Families,
  anyKind: boolean,
): void {
  let nextId = 1;
  for (const comp of comps.values()) {
    if (comp.unmatchedEntries.length === 0) continue;
    const kind = componentKind(comp.name);
    const free = reference.filter((e) => {
      const info = rInfo.get(e.name);
      return info && !usedRef.has(e.name) && (anyKind || !STANDARD.has(kind) || componentKind(info.component) === kind);
    });
    const layerOfRef = (e: TensorEntry) => rInfo.get(e.name)!.layer ?? genericLayer(e.name);
    const still: Located[] = [];
    const widened: Located[] = [];
    // Options per candidate tensor: same-shape references first, else transposed ones.
    const options = new Map<Located, { ref: TensorEntry; whole: WholePair }[]>();
    for (const u of comp.unmatchedEntries) {
      const layer = u.layer ?? genericLayer(u.entry.name);
      const fitsIn = (refs: TensorEntry[]) =>
        refs
          .map((r) => ({ ref: r, whole: pairLayouts(u.entry, r, families) }))
          .filter((x): x is { ref: TensorEntry; whole: WholePair } => x.whole !== null && x.whole.transform !== "leading-block");
      let fits = fitsIn(free.filter((r) => layerOfRef(r) === layer));
      // A name with no layer index at all (ONNX `onnx::MatMul_N`, Keras `dense_3/kernel:0`) that fits no
      // layer-less reference tensor may meet a tensor of any layer; and the mirror, a tensor of a layer that
      // fits none of its layer may meet a layer-less reference tensor (a reference stored that way).
      let wide = false;
      if (fits.length === 0) {
        fits = fitsIn(layer === null ? free : free.filter((r) => layerOfRef(r) === null));
        wide = true;
      }
      // The layout the names decided (or the stored shape) first; a transposed fit only when nothing else fits.
      const same = fits.filter((f) => f.whole.transform !== "transpose");
      const chosen = same.length ? same : fits;
      if (chosen.length) {
        options.set(u, chosen);
        if (wide) widened.push(u);
      } else still.push(u);
    }
    pairWideInOrder(widened, options, layerOfRef, rInfo, still);
    // Connected groups of candidates sharing options.
    const seen = new Set<Located>();
    for (const u of options.keys()) {
      if (seen.has(u)) continue;
      const group: Located[] = [];
      const refs = new Set<string>();
      const queue = [u];
      seen.add(u);
      while (queue.length) {
        const x = queue.pop()!;
        group.push(x);
        for (const o of options.get(x)!) refs.add(o.ref.name);
        for (const y of options.keys()) {
          if (!seen.has(y) && options.get(y)!.some((o) => refs.has(o.ref.name))) {
            seen.add(y);
            queue.push(y);
          }
        }
      }
      const ambiguous = group.length > 1 || options.get(u)!.length > 1;
      const id = ambiguous ? nextId++ : undefined;
      for (const c of group) {
        for (const o of options.get(c)!) {
          const info = rInfo.get(o.ref.name)!;
          comp.pairs.push({
            component: comp.name,
            layer: c.layer ?? genericLayer(c.entry.name),
            role: info.role,
            candidate: o.whole.cv,
            reference: o.whole.rv,
            transform: o.whole.transform === "none" ? "renamed" : `renamed+${o.whole.transform}`,
            informative: isInformative(o.whole.cv),
            ambiguity: id,
            ...(o.whole.alternatives ? { alternatives: o.whole.alternatives.map((a) => ({ ...a, transform: a.transform === "none" ? "renamed" : `renamed+${a.transform}` })) } : {}),
          });
          usedRef.add(o.ref.name);
        }
      }
    }
    comp.unmatchedEntries = still;
    comp.unmatched = still.map((x) => x.entry.name);
    comp.unmatchedParameters = still.reduce((sum, x) => sum + numel(x.entry.shape), 0);
  }
}
