/**
 * What was undone to meet the reference, as data: a typed list, in the order the steps were taken. It is
 * rendered into the report's string (the kinds joined by "+", "none" for an empty list) only at the
 * report's edge (src/report/render.ts), and read back from a saved report only there (merge).
 */

/** A layout's label (src/align/layout.ts): `layout:native`, or the layout a kernel is stored in. */
export type LayoutLabel = `layout:${string}`;

/** How an expert's part met its partner (src/align/align.ts, expert-slots.ts). */
export type ExpertRelation =
  | "expert-matched"
  | "expert-of-dense"
  | "shared-expert"
  | "shared-expert-of-dense"
  | "shared-expert-of-expert"
  | "dense-of-shared-expert"
  | "dense-of-expert";

export type Transform =
  // names and layouts (src/align/)
  | "transpose"
  | "renamed"
  | "leading-block"
  | "layer-matched"
  | "split-qkv"
  | "split-gate-up"
  | LayoutLabel
  // experts: how a fused slab was cut, the relation, the views' labels (the reference's prefixed)
  | "split-experts"
  | "split-reference-experts"
  | ExpertRelation
  | "experts-transposed"
  | "gate-up-interleaved"
  | `reference-${LayoutLabel | "experts-transposed" | "gate-up-interleaved"}`
  // maps stored as several tensors (src/align/factor-chains.ts)
  | "factored"
  | "adapter-unmerged"
  | "split-rows"
  | "split-cols"
  // the engine's looks (src/engine/)
  | "rearranged"
  | "negated"
  // the alignment search (src/search/)
  | "layer-shift"
  | "residual-permuted"
  | "residual-rotated"
  | `residual-rotated-${string}`
  | "permuted-rows"
  | "sign-flips";

/** Transforms undone, in order; empty: as stored. */
export type Transforms = readonly Transform[];

/** Nothing undone. */
export const AS_STORED: Transforms = Object.freeze([]);

/** The report's form: the kinds joined by "+", "none" when nothing was undone. */
export function renderTransforms(ts: Transforms): string {
  return ts.length === 0 ? "none" : ts.join("+");
}

/** A saved report's string read back (merge): "none" or "" is nothing undone. */
export function parseTransforms(s: string): Transforms {
  return s === "none" || s === "" ? AS_STORED : (s.split("+") as Transform[]);
}

/** Exactly this one step (not one among several). */
export const isOnly = (ts: Transforms, kind: Transform): boolean => ts.length === 1 && ts[0] === kind;

/** Whether a step changed the residual stream's basis (permuted or rotated it). */
export const movesResidual = (kind: Transform): boolean => kind === "residual-permuted" || kind.startsWith("residual-rotated");

/** Whether a step read a tensor in another stored layout (the candidate's, or the reference's). */
export const isLayout = (kind: Transform): boolean => kind.startsWith("layout:") || kind.startsWith("reference-layout:");
