/**
 * Two whole tensors seen along their right axes (src/align/layout.ts): which layouts fit, which transform
 * a fit undoes (transpose, leading block, a framework's layout), and a fused tensor cut into its parts.
 * What counts as informative (large enough to be evidence) is decided here too.
 */
import { AS_STORED, type LayoutLabel, type Transforms } from "./transform.js";
import type { TensorEntry } from "../sources/types.js";
import type { Alternative } from "./align.js";
import { type LayoutFamily, NATIVE, layoutOptionsIn } from "./layout.js";
import { type TensorView, canonicalShape, fullView, layoutView, leadingBlock, sliceRows, storedMatrixShape, viewElements } from "./view.js";

/**
 * Matrices under this many elements (and every vector) are reported but carry no weight. Small matrices
 * count (a first conv layer of 24 x 3 x 3 x 3 is the plainest trace of a shared start): their permutation
 * tests are exact at their size (src/stats/small-permutation.ts), so few units simply cannot reach a small p.
 */
const MIN_INFORMATIVE_ELEMENTS = 64;
/** ... and along their longer axis at least this many units or features. */
const MIN_INFORMATIVE_SIDE = 8;

export function isInformative(v: TensorView): boolean {
  return v.entry.shape.length >= 2 && v.rows >= 2 && v.cols >= 2 && Math.max(v.rows, v.cols) >= MIN_INFORMATIVE_SIDE && viewElements(v) >= MIN_INFORMATIVE_ELEMENTS;
}

/** Each model's layout family, from its kernels that names or shapes decide (src/align/layout.ts). */
export type Families = { candidate: LayoutFamily | null; reference: LayoutFamily | null };
export const NO_FAMILIES: Families = { candidate: null, reference: null };

export type WholePair = { cv: TensorView; rv: TensorView; transform: Transforms; alternatives?: Alternative[] };

/** The transform of a pair of layouts: none when the same, else the candidate's and the reference's (`reference-layout:…`). */
function layoutTransform(c: LayoutLabel, r: LayoutLabel): Transforms {
  if (c === r) return AS_STORED;
  if (r === NATIVE) return [c];
  return c === NATIVE ? [`reference-${r}`] : [c, `reference-${r}`];
}

/**
 * Pair two whole tensors, each seen along its right axes (src/align/layout.ts): every layout of the
 * candidate and of the reference whose canonical shapes agree; several that fit become alternatives the
 * engine tries (and pays for), the most likely first. Tensors whose layouts are both native keep the
 * shape rules of pairWhole.
 */
export function pairLayouts(c: TensorEntry, r: TensorEntry, families: Families = NO_FAMILIES): WholePair | null {
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
export function pairWhole(c: TensorEntry, r: TensorEntry): { cv: TensorView; rv: TensorView; transform: Transforms } | null {
  const [cr, cc] = storedMatrixShape(c.shape);
  const [rr, rc] = storedMatrixShape(r.shape);
  if (cr === rr && cc === rc) return { cv: fullView(c), rv: fullView(r), transform: AS_STORED };
  if (c.shape.length === 2 && r.shape.length === 2 && cr === rc && cc === rr) {
    // Canonical orientation is the reference's: copies are transformed, references are the standard layout.
    return { cv: fullView(c, true), rv: fullView(r), transform: ["transpose"] };
  }
  if (c.shape.length === r.shape.length) {
    const rows = Math.min(cr, rr);
    const cols = Math.min(cc, rc);
    // A leading block must keep at least half of the smaller tensor, or it is not the same tensor grown.
    if (rows * cols * 2 >= Math.min(cr * cc, rr * rc)) {
      return { cv: leadingBlock(fullView(c), rows, cols), rv: leadingBlock(fullView(r), rows, cols), transform: ["leading-block"] };
    }
  }
  return null;
}

/**
 * A fused tensor against its parts. Returns a view of the fused tensor per part
 * (rows sliced along the output axis), and the part views, or null.
 */
export function splitFused(fused: TensorEntry, parts: TensorEntry[]): { fusedViews: TensorView[]; partViews: TensorView[]; transposed: boolean } | null {
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
