/**
 * Factored and split storage: candidate tensors that meet a reference matrix
 * only together. By name first (SVD compression's `q_u_proj` [out, r] and
 * `q_v_proj` [r, in], ASVD's `BLinear`/`ALinear`, an unmerged LoRA's
 * `lora_B`/`lora_A` beside its base `W`, row or column blocks `q_proj.0`,
 * `q_proj.1`), then by shape chains among what names left unmatched in a layer:
 * X [out, r] then Y [r, in] with r below both sides (the product has a free
 * reference matrix's shape), or two blocks that stack to it. Shape chains are
 * options: the engine probes each (src/engine/compare-factored.ts), keeps the
 * assignment the data supports and pays for the choice (Bonferroni over the
 * options of the chain's group).
 */
import type { Transforms } from "./transform.js";
import type { TensorEntry } from "../sources/types.js";
import type { ComponentAlignment, Located } from "./align.js";
import { type NameInfo, componentKind, parseName } from "./names.js";
import { type LinearOperator, operatorFits } from "./operator.js";
import { fullView } from "./view.js";

export interface FactoredPair {
  component: string;
  layer: number | null;
  /** The reference matrix's canonical role. */
  role: string;
  candidate: LinearOperator;
  /** The candidate tensors the map reads (they count in the share when the map is shown derived). */
  tensors: Located[];
  reference: TensorEntry;
  /** "factored", "adapter-unmerged", "split-rows", "split-cols"; after "renamed" when found by shape. */
  transform: Transforms;
  /** Options found by shape share an id: the engine keeps the assignment the data supports, paying for it. */
  ambiguity?: number;
}

export interface FactorContext {
  reference: TensorEntry[];
  rInfo: Map<string, NameInfo | null>;
  /** Reference tensors already met (updated). */
  usedRef: Set<string>;
  /** Whether a reference tensor of another component kind may be met (a one-component candidate). */
  anyKind: boolean;
}

/** Above this many shape options in one layer, its leftovers stay unmatched (each option reads its tensors). */
const MAX_SHAPE_OPTIONS = 512;

type Side = "left" | "right" | "base";
/** Factor spellings: the pattern, what the matrix's own name has instead, the factor's place. */
const FACTOR_NAMES: { re: RegExp; to: string; side: Side; adapter: boolean }[] = [
  { re: /_u_proj(?=\.|$)/, to: "_proj", side: "left", adapter: false },
  { re: /_v_proj(?=\.|$)/, to: "_proj", side: "right", adapter: false },
  { re: /\.BLinear(?=\.)/, to: "", side: "left", adapter: false },
  { re: /\.ALinear(?=\.)/, to: "", side: "right", adapter: false },
  { re: /\.lora_B(\.[^.]+)?(?=\.weight$)/, to: "", side: "left", adapter: true },
  { re: /\.lora_A(\.[^.]+)?(?=\.weight$)/, to: "", side: "right", adapter: true },
  { re: /\.lora_up(?=\.)/, to: "", side: "left", adapter: true },
  { re: /\.lora_down(?=\.)/, to: "", side: "right", adapter: true },
  { re: /\.base_layer(?=\.)/, to: "", side: "base", adapter: true },
];
/** Block spellings: `NAME.k.weight`, `NAME.weight.k`, `NAME_partk.weight`. */
const BLOCK_NAMES = [/^(.*)\.(\d+)(\.weight)$/, /^(.*\.weight)\.(\d+)()$/, /^(.*)[._](?:part|shard|block)_?(\d+)(\.weight)$/];

const keyOf = (kind: string, layer: number | null, role: string) => `${kind}|${layer ?? "-"}|${role}`;
const is2d = (e: TensorEntry) => e.shape.length === 2 && e.shape[0]! >= 1 && e.shape[1]! >= 1;
const leaf = (e: TensorEntry): LinearOperator => ({ kind: "matrix", view: fullView(e) });

/**
 * Pair what names allow in every component: named factors and blocks (before the structural fallback, which
 * would pair a factor by its shape alone).
 */
export function pairNamedFactors(comps: Iterable<ComponentAlignment>, ctx: FactorContext): void {
  const refs = new Map<string, TensorEntry>();
  for (const e of ctx.reference) {
    const info = ctx.rInfo.get(e.name);
    if (info && is2d(e)) refs.set(keyOf(componentKind(info.component), info.layer, info.role), e);
  }
  for (const comp of comps) {
    if (comp.unmatchedEntries.length === 0) continue;
    const taken = new Set<string>();
    const found = namedFactors(comp, refs, ctx.usedRef);
    for (const p of found) for (const t of p.tensors) taken.add(t.entry.name);
    found.push(...namedBlocks(comp, refs, ctx.usedRef, taken));
    record(comp, found, ctx.usedRef);
  }
}

/**
 * Pair by shape chains what names and the structural fallback left unmatched (so a renamed model's tensors
 * keep their own shapes' pairing): options grouped where they share a tensor or a matrix, each group an
 * ambiguity the engine resolves.
 */
export function pairShapeChains(comps: Iterable<ComponentAlignment>, ctx: FactorContext): void {
  let nextGroup = 1;
  for (const comp of comps) {
    if (comp.unmatchedEntries.length < 2) continue;
    const found: FactoredPair[] = [];
    for (const group of shapeChains(comp, ctx)) {
      const id = group.length > 1 ? nextGroup++ : undefined;
      for (const p of group) found.push(id === undefined ? p : { ...p, ambiguity: id });
    }
    record(comp, found, ctx.usedRef);
  }
}

/** Add the maps found to the component; their tensors leave the unmatched ones, their matrices are met. */
function record(comp: ComponentAlignment, found: FactoredPair[], usedRef: Set<string>): void {
  if (found.length === 0) return;
  const taken = new Set(found.flatMap((p) => p.tensors.map((t) => t.entry.name)));
  for (const p of found) usedRef.add(p.reference.name);
  comp.factored = [...(comp.factored ?? []), ...found];
  comp.unmatchedEntries = comp.unmatchedEntries.filter((u) => !taken.has(u.entry.name));
  comp.unmatched = comp.unmatchedEntries.map((u) => u.entry.name);
  comp.unmatchedParameters = comp.unmatchedEntries.reduce((s, u) => s + u.entry.shape.reduce((a, b) => a * b, 1), 0);
}

/** The matrix a factor's name stands for, and its place. */
function factorName(name: string): { base: string; side: Side; adapter: boolean } | null {
  for (const f of FACTOR_NAMES) if (f.re.test(name)) return { base: name.replace(f.re, f.to), side: f.side, adapter: f.adapter };
  return null;
}

/** Named factor pairs (and an adapter's base, unmatched or paired by its own name) against the matrix they stand for. */
function namedFactors(comp: ComponentAlignment, refs: Map<string, TensorEntry>, usedRef: Set<string>): FactoredPair[] {
  const groups = new Map<string, Partial<Record<Side, Located>> & { adapter: boolean }>();
  for (const u of comp.unmatchedEntries) {
    const f = is2d(u.entry) ? factorName(u.entry.name) : null;
    if (!f) continue;
    const g = groups.get(f.base) ?? { adapter: f.adapter };
    g[f.side] = u;
    groups.set(f.base, g);
  }
  const out: FactoredPair[] = [];
  const kind = componentKind(comp.name);
  for (const [base, g] of groups) {
    if (!g.left || !g.right) continue;
    const info = parseName(base);
    const ref = refs.get(keyOf(kind, info.layer, info.role));
    if (!ref) continue;
    // An adapter's base paired under its own name (`q_proj.weight` beside `q_proj.lora_A.weight`) becomes the map's first term.
    const paired = g.adapter ? comp.pairs.findIndex((p) => p.candidate.entry.name === base && p.transform.length === 0 && p.reference.entry.name === ref.name) : -1;
    if (usedRef.has(ref.name) && paired < 0) continue;
    const product: LinearOperator = { kind: "product", left: leaf(g.left.entry), right: leaf(g.right.entry) };
    const tensors = [g.left, g.right];
    let op: LinearOperator = product;
    if (g.adapter) {
      const w = g.base ?? (paired >= 0 ? { entry: comp.pairs[paired]!.candidate.entry, kind, layer: info.layer, role: info.role } : null);
      if (w) {
        op = { kind: "sum", terms: [leaf(w.entry), product] };
        if (!operatorFits(op, ref.shape[0]!, ref.shape[1]!)) continue;
        if (paired >= 0 && !g.base) comp.pairs.splice(paired, 1);
        tensors.unshift(w);
      }
    }
    if (!operatorFits(op, ref.shape[0]!, ref.shape[1]!)) continue;
    out.push({ component: comp.name, layer: info.layer, role: info.role, candidate: op, tensors, reference: ref, transform: [op.kind === "sum" ? "adapter-unmerged" : "factored"] });
  }
  return out;
}

/** Named row or column blocks (`q_proj.0.weight`, `q_proj.1.weight`) that stack to the matrix they stand for. */
function namedBlocks(comp: ComponentAlignment, refs: Map<string, TensorEntry>, usedRef: Set<string>, taken: Set<string>): FactoredPair[] {
  const groups = new Map<string, { index: number; u: Located }[]>();
  for (const u of comp.unmatchedEntries) {
    if (!is2d(u.entry) || taken.has(u.entry.name)) continue;
    for (const re of BLOCK_NAMES) {
      const m = re.exec(u.entry.name);
      if (!m) continue;
      const base = `${m[1]}${m[3]}`;
      groups.set(base, [...(groups.get(base) ?? []), { index: Number(m[2]), u }]);
      break;
    }
  }
  const out: FactoredPair[] = [];
  const kind = componentKind(comp.name);
  for (const [base, blocks] of groups) {
    if (blocks.length < 2) continue;
    const info = parseName(base);
    const ref = refs.get(keyOf(kind, info.layer, info.role));
    if (!ref || usedRef.has(ref.name)) continue;
    const ordered = [...blocks].sort((a, b) => a.index - b.index).map((b) => b.u);
    for (const axis of ["rows", "cols"] as const) {
      const op: LinearOperator = { kind: "stack", axis, blocks: ordered.map((u) => leaf(u.entry)) };
      if (!operatorFits(op, ref.shape[0]!, ref.shape[1]!)) continue;
      out.push({ component: comp.name, layer: info.layer, role: info.role, candidate: op, tensors: ordered, reference: ref, transform: [axis === "rows" ? "split-rows" : "split-cols"] });
      break;
    }
  }
  return out;
}

/** Two-tensor maps that fit a reference matrix [a, b]: X [a, r] · Y [r, b] with r < min(a, b); two stacked blocks. */
function shapeOptions(pool: Located[], a: number, b: number): { op: LinearOperator; tensors: Located[]; transform: Transforms }[] {
  const out: { op: LinearOperator; tensors: Located[]; transform: Transforms }[] = [];
  for (const x of pool) {
    const [xr, xc] = x.entry.shape as [number, number];
    for (const y of pool) {
      if (y === x) continue;
      const [yr, yc] = y.entry.shape as [number, number];
      const pair = [x, y];
      if (xr === a && yc === b && xc === yr && xc < Math.min(a, b)) out.push({ op: { kind: "product", left: leaf(x.entry), right: leaf(y.entry) }, tensors: pair, transform: ["renamed", "factored"] });
      if (xc === b && yc === b && xr + yr === a) out.push({ op: { kind: "stack", axis: "rows", blocks: [leaf(x.entry), leaf(y.entry)] }, tensors: pair, transform: ["renamed", "split-rows"] });
      if (xr === a && yr === a && xc + yc === b) out.push({ op: { kind: "stack", axis: "cols", blocks: [leaf(x.entry), leaf(y.entry)] }, tensors: pair, transform: ["renamed", "split-cols"] });
    }
  }
  return out;
}

/**
 * Shape chains among the component's leftovers, layer by layer, against the free reference matrices of
 * that layer. Returns groups of options that share a tensor or a reference (connected components).
 */
function shapeChains(comp: ComponentAlignment, ctx: FactorContext): FactoredPair[][] {
  const kind = componentKind(comp.name);
  const byLayer = new Map<number | null, Located[]>();
  for (const u of comp.unmatchedEntries) {
    if (!is2d(u.entry)) continue;
    byLayer.set(u.layer, [...(byLayer.get(u.layer) ?? []), u]);
  }
  const groups: FactoredPair[][] = [];
  for (const [layer, pool] of byLayer) {
    if (pool.length < 2) continue;
    const free = ctx.reference.filter((e) => {
      const info = ctx.rInfo.get(e.name);
      return info && is2d(e) && !ctx.usedRef.has(e.name) && info.layer === layer && (ctx.anyKind || componentKind(info.component) === kind);
    });
    const options: FactoredPair[] = [];
    for (const ref of free) {
      const info = ctx.rInfo.get(ref.name)!;
      for (const o of shapeOptions(pool, ref.shape[0]!, ref.shape[1]!)) {
        options.push({ component: comp.name, layer, role: info.role, candidate: o.op, tensors: o.tensors, reference: ref, transform: o.transform });
      }
    }
    if (options.length === 0 || options.length > MAX_SHAPE_OPTIONS) continue;
    groups.push(...connected(options));
  }
  return groups;
}

/** Options that share a candidate tensor or a reference matrix, transitively (union-find). */
function connected(options: FactoredPair[]): FactoredPair[][] {
  const parent = options.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const owner = new Map<string, number>();
  options.forEach((o, i) => {
    for (const name of [o.reference.name, ...o.tensors.map((t) => t.entry.name)]) {
      const j = owner.get(name);
      if (j === undefined) owner.set(name, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, FactoredPair[]>();
  options.forEach((o, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), o]));
  return [...groups.values()];
}
