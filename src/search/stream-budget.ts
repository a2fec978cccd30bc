/**
 * The streamed search as a plan sees it, from headers alone: whether a
 * component's search streams, the bytes it reads per side (for `plan`), and
 * the reference ranges it reads whatever the data (kept by the run's span
 * cache in exact mode).
 */
import type { ComponentAlignment } from "../align/align.js";
import { type TensorView, readsWhole, viewElements } from "../align/view.js";
import { bytesPerElement } from "../safetensors/dtypes.js";
import type { ByteRange } from "../sources/types.js";
import { basisResidual, selectPairs, viewGroups } from "./search-groups.js";
import { UNITS, candidateUnits, classRows, classify, featureDims, tokenRows, widths } from "./stream-groups.js";

/** Gate and up tensors of the reference kept whole in exact mode up to this many bytes in all (streamSearchReferenceRanges). */
const SIBLINGS_KEPT_BYTES = 64 << 20;

/**
 * The whole-matrix search holds whole matrices and matches every feature: above this many elements
 * (both models, the matrices it would load) the streamed search runs instead, which costs a small
 * multiple of the element-wise pass at any size. Below it the whole-matrix search adds what the
 * streamed one leaves out (a rotated residual stream, the transposed look under permutation) in well
 * under a second.
 */
export const WHOLE_SEARCH_MAX_ELEMENTS = 4_000_000;

/** Whether a component's search is the streamed one: in sampled mode, and above the whole-matrix budget (a plan's estimate: every matrix pair). */
export function streamsSearch(comp: ComponentAlignment, fraction: number): boolean {
  if (fraction < 1) return true;
  let elements = 0;
  for (const p of comp.pairs) if (p.candidate.entry.shape.length >= 2) elements += viewElements(p.candidate) + viewElements(p.reference);
  return elements > WHOLE_SEARCH_MAX_ELEMENTS;
}

/** The search's groups as a plan sees them, from headers alone: every role open, every matrix searched. */
function plannedSearch(comp: ComponentAlignment) {
  const open = comp.pairs.map(() => ({ error: undefined, pearson: 0 }));
  const { basisPairs, groupPairs } = selectPairs(comp, open, []);
  if (groupPairs.length === 0) return null;
  const viewGroupList = [...viewGroups(comp, groupPairs, []).values()];
  const { width, candidateWidth } = widths(basisPairs, viewGroupList);
  return { basisPairs, groups: classify(viewGroupList, width, candidateWidth), features: featureDims(width) };
}

/**
 * What the streamed search reads when it runs on every matrix of the component (each role open), one
 * residual look, as byte counts per side: for `plan`. Rows the search picks by the data (the units a
 * sibling's matching points to) are counted by number, not place.
 */
export function streamSearchBytes(comp: ComponentAlignment): { candidate: number; reference: number } {
  const planned = plannedSearch(comp);
  if (!planned) return { candidate: 0, reference: 0 };
  const { basisPairs, groups } = planned;
  const features = planned.features.length;
  const cost = (v: TensorView, rows: number) => (readsWhole(v) ? storedBytes(v) : rows * v.cols * bytesPerElement(v.entry.dtype));
  let candidate = 0;
  let reference = 0;
  for (const b of basisPairs) {
    if (basisResidual(b.p.role) !== "cols") continue;
    const tokens = tokenRows(b.p.candidate, b.p.reference).length;
    candidate += cost(b.p.candidate, tokens);
    reference += cost(b.p.reference, tokens);
  }
  for (const x of groups) {
    for (const v of x.g.cand.values()) candidate += cost(v, x.kind === "cols" ? features : candidateUnits(x, v).length);
    // A sibling's reference rows are the ones its matching points to, different under each residual
    // look: one look when the embeddings give a clean permutation, two otherwise; counted as 1.5.
    for (const v of x.g.refs.values()) reference += cost(v, x.kind === "cols" ? features : x.kind === "sibling" ? 1.5 * UNITS : classRows(v.rows).length);
  }
  return { candidate, reference };
}

/**
 * The reference byte ranges the streamed search will read whatever the data (token rows, residual rows
 * of o and down, class rows of q, k, v): in exact mode the element-wise pass reads them anyway, and a
 * source that keeps them (SpanCacheSource keepOnly) serves the search without a second fetch.
 */
export function streamSearchReferenceRanges(comp: ComponentAlignment): ByteRange[] {
  const planned = plannedSearch(comp);
  if (!planned) return [];
  const { basisPairs, groups, features } = planned;
  const out: ByteRange[] = [];
  const rowsOf = (v: TensorView, rows: Int32Array) => {
    if (readsWhole(v)) return;
    for (const r of rows) out.push(storedRowRange(v, r, r + 1));
  };
  for (const b of basisPairs) if (basisResidual(b.p.role) === "cols") rowsOf(b.p.reference, tokenRows(b.p.candidate, b.p.reference));
  const siblings: TensorView[] = [];
  for (const x of groups) {
    if (x.kind === "sibling") siblings.push(...x.g.refs.values());
    else for (const v of x.g.refs.values()) rowsOf(v, x.kind === "cols" ? features : classRows(v.rows));
  }
  // Gate and up are read where down's matching points: unknown before, so kept whole while that is cheap.
  if (siblings.reduce((sum, v) => sum + storedBytes(v), 0) <= SIBLINGS_KEPT_BYTES) {
    for (const v of siblings) if (!readsWhole(v)) out.push(storedRowRange(v, 0, v.rows));
  }
  return out;
}

/** Bytes of a view's whole stored matrix. */
const storedBytes = (v: TensorView) => v.storedRows * v.storedCols * bytesPerElement(v.entry.dtype);

/** The byte range of stored rows [r0, r1) of a plain (row-read) view. */
function storedRowRange(v: TensorView, r0: number, r1: number): ByteRange {
  const bytes = v.storedCols * bytesPerElement(v.entry.dtype);
  return { file: v.entry.file, begin: v.entry.begin + (v.rowStart + r0) * bytes, end: v.entry.begin + (v.rowStart + r1) * bytes };
}
