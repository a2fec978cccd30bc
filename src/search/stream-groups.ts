/**
 * What the streamed search reads of each matrix (stream-search.ts): the role
 * groups it can test and how each is read (units on the stored columns, units
 * given by a sibling, rows sampled by class), the residual width, and the
 * evenly spread features, tokens and units it samples.
 */
import type { TensorView } from "../align/view.js";
import { type ViewGroup, basisResidual, hiddenAxis, type selectPairs, storesConv1D } from "./search-groups.js";

/** Residual dimensions of the reference read per matrix: an eighth of the width, within these bounds. */
const FEATURES = { min: 64, max: 256 };
/** Candidate hidden units matched per matrix. */
export const UNITS = 128;
/** Row-sampled roles keep every ROW_CLASS-th row (head sizes are multiples of it). */
const ROW_CLASS = 16;
/** Row-sampled roles with this many rows or fewer are read whole. */
const ALL_ROWS = 256;
/** Token rows of the embeddings read to recover the residual permutation: an eighth of the vocabulary, within these bounds. */
const TOKENS = { min: 128, max: 512 };

/** How a group's units are read: on the stored columns (o, down), on rows by class (q, k, v), or where a sibling's matching points (gate, up). */
export type Kind = "cols" | "rows" | "sibling";
/** A role group of the search and how it is read. */
export interface Group {
  g: ViewGroup;
  kind: Kind;
  /** For a sibling (gate, up): the role whose matching gives its units (down). */
  via?: string;
}

/** Evenly spread indices: all of `n` when few, else `k` of them in `chunks` contiguous runs. */
export function spread(n: number, k: number, chunks: number): Int32Array {
  if (n <= k) return Int32Array.from({ length: n }, (_, i) => i);
  const per = Math.max(1, Math.floor(k / chunks));
  const out: number[] = [];
  for (let c = 0; c < chunks && out.length < k; c++) {
    const start = Math.floor((c * n) / chunks);
    for (let i = start; i < Math.min(n, start + per) && out.length < k; i++) out.push(i);
  }
  return Int32Array.from(out);
}

/** The rows a row-sampled role reads: all of them when few, else every ROW_CLASS-th. */
export function classRows(n: number): Int32Array {
  if (n <= ALL_ROWS) return Int32Array.from({ length: n }, (_, i) => i);
  return Int32Array.from({ length: Math.ceil(n / ROW_CLASS) }, (_, i) => i * ROW_CLASS);
}

/**
 * A square candidate matrix has no shape to tell its orientation, and the element-wise transposed look
 * may have flipped it on chance evidence: the search reads it the way the model's other matrices are
 * stored (it has no budget to read both ways at this size).
 */
export function orientSquare(groups: ViewGroup[]): void {
  const square = (v: TensorView) => !v.axes && v.rowStart === 0 && v.storedRows === v.storedCols;
  let transposed = 0;
  let plain = 0;
  for (const g of groups) for (const v of g.cand.values()) if (!v.axes && !square(v)) (v.transpose ? transposed++ : plain++);
  const transpose = transposed > plain;
  for (const g of groups) for (const [k, v] of g.cand) if (square(v) && v.transpose !== transpose) g.cand.set(k, { ...v, transpose, rows: v.cols, cols: v.rows });
}

/** The residual width of both models: from an embedding-like tensor, else the width most matrices share. */
export function widths(basisPairs: ReturnType<typeof selectPairs>["basisPairs"], groups: ViewGroup[]): { width: number; candidateWidth: number } {
  let width: number | null = null;
  let candidateWidth: number | null = null;
  for (const b of basisPairs) {
    const onCols = basisResidual(b.p.role) === "cols";
    width ??= onCols ? b.p.reference.cols : b.p.reference.rows;
    candidateWidth ??= onCols ? b.p.candidate.cols : b.p.candidate.rows;
  }
  width ??= commonWidth(groups);
  return { width, candidateWidth: candidateWidth ?? width };
}

/** An eighth of `n` indices within `bounds`, evenly spread in 16 runs. */
const anEighth = (n: number, bounds: { min: number; max: number }) => spread(n, Math.min(bounds.max, Math.max(bounds.min, Math.ceil(n / 8))), 16);

/** The reference's residual dimensions read: an eighth of the width, within FEATURES. */
export const featureDims = (width: number) => anEighth(width, FEATURES);

/** Token ids read from an embedding-like pair (the same on both sides): an eighth of the vocabulary, within TOKENS. */
export const tokenRows = (c: TensorView, r: TensorView) => anEighth(Math.min(c.rows, r.rows), TOKENS);

/** The width most matrices share on one axis: the residual stream's, when no embedding says it. */
function commonWidth(groups: ViewGroup[]): number {
  const votes = new Map<number, number>();
  for (const g of groups) {
    for (const v of g.refs.values()) {
      votes.set(v.rows, (votes.get(v.rows) ?? 0) + 1);
      votes.set(v.cols, (votes.get(v.cols) ?? 0) + 1);
    }
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
}

/**
 * Each role group's reading: units on the stored columns (o, down), units given by a sibling (gate and
 * up by down), or rows sampled by class. A group whose other axis is not the residual stream (pixels,
 * classes) has no exchangeable features to test on and is left out.
 */
export function classify(viewGroupList: ViewGroup[], width: number, candidateWidth: number): Group[] {
  const conv1d = storesConv1D(
    viewGroupList.map((g) => ({ role: g.role, view: g.refs.values().next().value as TensorView })),
    width,
  );
  const out: Group[] = [];
  for (const g of viewGroupList) {
    const r = g.refs.values().next().value as TensorView;
    const c = g.cand.values().next().value as TensorView;
    const hidden = hiddenAxis(g.role, r, width, conv1d);
    const refResidual = hidden === "rows" ? r.cols : r.rows;
    const candResidual = hidden === "rows" ? c.cols : c.rows;
    if (refResidual !== width || candResidual !== candidateWidth) continue;
    out.push({ g, kind: hidden === "cols" ? "cols" : "rows" });
  }
  const classified = out.map((x) => {
    if (x.kind !== "rows" || !/(^|\.)(gate|up)\.weight$/.test(x.g.role)) return x;
    const down = x.g.role.replace(/(gate|up)\.weight$/, "down.weight");
    const c = x.g.cand.values().next().value as TensorView;
    const sib = out.find((y) => y.kind === "cols" && y.g.role === down && (y.g.cand.values().next().value as TensorView).cols === c.rows);
    return sib ? { ...x, kind: "sibling" as const, via: down } : x;
  });
  // Units first on the stored columns, so that their matchings are there for the siblings.
  const order: Record<Kind, number> = { cols: 0, rows: 1, sibling: 2 };
  return classified.sort((a, b) => order[a.kind] - order[b.kind]);
}

/** The candidate units read of a view: the units axis is rows of the [units, features] form. */
export function candidateUnits(x: Group, v: TensorView): Int32Array {
  if (x.kind === "cols") return spread(v.cols, UNITS, 1);
  if (x.kind === "sibling") return spread(v.rows, UNITS, 1);
  return classRows(v.rows);
}
