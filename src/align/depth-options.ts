/**
 * Layers of models with different depths, paired by evidence.
 *
 * Generic layer-less names (`features.12.weight`, `conv2d_5/kernel:0`) pair by name, and a deeper model's
 * names either meet nothing or meet a layer at the same index that has nothing to do with them (a 19-layer
 * net against a 13-layer one built by the same script). When a component's names do not line up one to one
 * (candidate tensors left unmatched, or reference tensors left unused), every informative candidate tensor
 * of such a name meets every reference tensor of its shape in that component: an ambiguity group that the
 * engine resolves many-to-one (each candidate keeps its best-supported partner; layers may be dropped or
 * duplicated) and pays for (the kept pair's p times the number of options its candidate had:
 * src/engine/compare-component.ts dropAmbiguous). Bounded: above MAX_OPTIONS comparisons or MAX_ELEMENTS
 * elements read per shape, names decide as before (large models have the layer search instead).
 */
import { AS_STORED, type Transforms } from "./transform.js";
import type { TensorEntry } from "../sources/types.js";
import type { AlignedPair, ComponentAlignment, Located } from "./align.js";
import { type NameInfo, componentKind } from "./names.js";
import { type TensorView, numel } from "./view.js";

/** Ambiguity ids of depth groups start here (structural groups count from 1, expert groups from 1,000,000). */
export const DEPTH_GROUPS = 2_000_000;
const MAX_OPTIONS = 1024;
const LAYER_MATCHED: Transforms = ["layer-matched"];
const MAX_ELEMENTS = 1 << 25;

export interface DepthContext {
  reference: TensorEntry[];
  rInfo: Map<string, NameInfo | null>;
  usedRef: Set<string>;
  /** The stored layouts of a candidate and a reference tensor, or null when they do not fit. */
  pairWhole: (c: TensorEntry, r: TensorEntry) => { cv: TensorView; rv: TensorView; transform: Transforms } | null;
  isInformative: (v: TensorView) => boolean;
}

export function pairDepthsByEvidence(comps: Iterable<ComponentAlignment>, ctx: DepthContext): void {
  let nextId = DEPTH_GROUPS;
  for (const comp of comps) {
    const kind = componentKind(comp.name);
    const refs = ctx.reference.filter((r) => {
      const info = ctx.rInfo.get(r.name);
      return info && info.layer === null && componentKind(info.component) === kind && r.shape.length >= 2;
    });
    const named = comp.pairs.filter((p) => p.layer === null && p.ambiguity === undefined && !p.alternatives && p.transform.length === 0 && p.informative && p.candidate.entry.name === p.reference.entry.name);
    const loose = comp.unmatchedEntries.filter((u) => u.layer === null && u.entry.shape.length >= 2);
    const unused = refs.filter((r) => !ctx.usedRef.has(r.name));
    if (loose.length === 0 && unused.length === 0) continue;
    const byShape = new Map<string, { cands: (AlignedPair | Located)[]; refs: TensorEntry[] }>();
    const shapeKey = (e: TensorEntry) => e.shape.join("x");
    for (const r of refs) {
      const g = byShape.get(shapeKey(r)) ?? { cands: [], refs: [] };
      g.refs.push(r);
      byShape.set(shapeKey(r), g);
    }
    for (const c of [...named, ...loose]) byShape.get(shapeKey(entryOf(c)))?.cands.push(c);
    for (const g of byShape.values()) {
      const options = g.cands.length * g.refs.length;
      if (g.cands.length === 0 || g.refs.length < 2 || options > MAX_OPTIONS || options * numel(g.refs[0]!.shape) > MAX_ELEMENTS) continue;
      const group: DepthGroup = { component: comp.name, refs: g.refs, id: nextId };
      const pairs = g.cands.flatMap((c) => optionsOf(c, group, ctx));
      if (pairs.length === 0) continue;
      nextId++;
      // The name pairs these options replace (the group's candidates that were pairs, not loose tensors).
      comp.pairs = [...comp.pairs.filter((p) => !g.cands.includes(p)), ...pairs];
      comp.unmatchedEntries = comp.unmatchedEntries.filter((u) => !g.cands.includes(u));
      for (const r of g.refs) ctx.usedRef.add(r.name);
    }
    comp.unmatched = comp.unmatchedEntries.map((u) => u.entry.name);
    comp.unmatchedParameters = comp.unmatchedEntries.reduce((s, u) => s + numel(u.entry.shape), 0);
  }
}

function entryOf(c: AlignedPair | Located): TensorEntry {
  return "entry" in c ? c.entry : c.candidate.entry;
}

/** One ambiguity group: a component's reference tensors of one shape, and the group's id. */
interface DepthGroup {
  component: string;
  refs: TensorEntry[];
  id: number;
}

/** A candidate tensor against every reference tensor of its shape, stored as named (no transposed look here). */
function optionsOf(c: AlignedPair | Located, { component, refs, id }: DepthGroup, ctx: DepthContext): AlignedPair[] {
  const entry = entryOf(c);
  return refs.flatMap((r) => {
    const whole = ctx.pairWhole(entry, r);
    if (!whole || whole.transform.length > 0) return [];
    const role = ctx.rInfo.get(r.name)!.role;
    return [{ component, layer: null, role, candidate: whole.cv, reference: whole.rv, transform: r.name === entry.name ? AS_STORED : LAYER_MATCHED, informative: ctx.isInformative(whole.cv), ambiguity: id, manyToOne: true }];
  });
}
