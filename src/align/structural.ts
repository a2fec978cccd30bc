/**
 * Tensors whose names matched nothing, met by shape: same layer index first, layer-less names against any
 * layer (in graph order above MAX_WIDE_OPTIONS options), several options an ambiguity group the engine
 * resolves and pays for.
 */
import { isOnly } from "./transform.js";
import type { TensorEntry } from "../sources/types.js";
import type { ComponentAlignment, Located } from "./align.js";
import { type NameInfo, componentKind } from "./names.js";
import { type Families, type WholePair, isInformative, pairLayouts } from "./pair-layouts.js";
import { numel } from "./view.js";

/** The standard component kinds (a custom component name meets reference tensors of any kind). */
export const STANDARD = new Set(["language", "vision", "audio", "projector"]);

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
  still: Located[],
  { layerOfRef, rInfo }: { layerOfRef: (e: TensorEntry) => number | null; rInfo: Map<string, NameInfo | null> },
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
export function genericLayer(name: string): number | null {
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
export interface StructuralContext {
  reference: TensorEntry[];
  rInfo: Map<string, NameInfo | null>;
  /** Reference tensors already met (updated). */
  usedRef: Set<string>;
  families: Families;
  /** Whether a reference tensor of another component kind may be met (a one-component candidate). */
  anyKind: boolean;
}

export function structuralFallback(comps: Map<string, ComponentAlignment>, { reference, rInfo, usedRef, families, anyKind }: StructuralContext): void {
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
          .filter((x): x is { ref: TensorEntry; whole: WholePair } => x.whole !== null && !isOnly(x.whole.transform, "leading-block"));
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
      const same = fits.filter((f) => !isOnly(f.whole.transform, "transpose"));
      const chosen = same.length ? same : fits;
      if (chosen.length) {
        options.set(u, chosen);
        if (wide) widened.push(u);
      } else still.push(u);
    }
    pairWideInOrder(widened, options, still, { layerOfRef, rInfo });
    nextId = pairGroups(comp, options, { rInfo, usedRef, nextId });
    comp.unmatchedEntries = still;
    comp.unmatched = still.map((x) => x.entry.name);
    comp.unmatchedParameters = still.reduce((sum, x) => sum + numel(x.entry.shape), 0);
  }
}

/**
 * Connected groups of candidates sharing options become pairs: a group with a choice is an ambiguity group
 * (its id from `nextId`), which the engine resolves and pays for. Returns the next free id.
 */
function pairGroups(
  comp: ComponentAlignment,
  options: Map<Located, { ref: TensorEntry; whole: WholePair }[]>,
  g: { rInfo: Map<string, NameInfo | null>; usedRef: Set<string>; nextId: number },
): number {
  const { rInfo, usedRef } = g;
  let nextId = g.nextId;
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
          transform: ["renamed", ...o.whole.transform],
          informative: isInformative(o.whole.cv),
          ambiguity: id,
          ...(o.whole.alternatives ? { alternatives: o.whole.alternatives.map((a) => ({ ...a, transform: ["renamed", ...a.transform] })) } : {}),
        });
        usedRef.add(o.ref.name);
      }
    }
  }
  return nextId;
}
