/**
 * Layouts a port between frameworks leaves behind (Caffe -> TensorFlow -> PyTorch and back), added as
 * alternatives to the aligned pairs (src/align/align.ts): the engine compares each and keeps the
 * best-supported one, paying for every look (Bonferroni, src/engine/compare-component.ts).
 *
 * - **Swapped kernel taps.** A conv kernel whose two spatial axes were exchanged (kh <-> kw): the
 *   candidate's canonical [out, in, kh, kw] read as [out, in, kw, kh].
 * - **The other flatten order.** The first dense layer after a flatten has its input columns in the
 *   order of the flatten that fed it: channels-first C·H·W (Caffe, PyTorch) or channels-last H·W·C
 *   (TensorFlow, Keras). Its columns are then a fixed permutation of the reference's, given C (a conv's
 *   output channel count) and H·W = in / C (`columnOrder` in src/align/view.ts: read row by row, so even
 *   a VGG fc6 of 100 M elements streams).
 *
 * Names and shapes only: no value is looked at here.
 */
import type { Transform, Transforms } from "./transform.js";
import type { TensorEntry } from "../sources/types.js";
import { layoutOptions } from "./layout.js";
import { type TensorView, canonicalShape, layoutView, numel, viewElements, viewKey } from "./view.js";

/** The transform a look adds (after the look's own). */
export const TAPS_SWAPPED: Transform = "layout:taps-swapped";
export const FLATTEN_TO_HWC: Transform = "layout:flatten-chw-to-hwc";
export const FLATTEN_TO_CHW: Transform = "layout:flatten-hwc-to-chw";

/** At most this many channel counts are tried per dense layer (each in both directions). */
const MAX_CHANNEL_OPTIONS = 2;

/** A look at a pair (align.ts's Alternative): the candidate's view, the reference's (the pair's own when absent), the transform. */
type Alternative = { candidate: TensorView; reference?: TensorView; transform: Transforms };
/** What this file needs of an aligned pair (align.ts's AlignedPair). */
interface PairLooks {
  candidate: TensorView;
  reference: TensorView;
  transform: Transforms;
  alternatives?: Alternative[];
}

/** What the candidate model's shapes say about its flatten: conv output channel counts, and the widths tensors produce. */
export interface PortContext {
  /** Output channels of the candidate's conv kernels (rank 4, canonical [out, in, kh, kw]). */
  convChannels: number[];
  /** Every dimension of every candidate tensor of rank 2, with how many tensors have it. */
  denseDims: Map<number, number>;
}

export function portContext(candidate: readonly TensorEntry[]): PortContext {
  const convChannels = new Set<number>();
  const denseDims = new Map<number, number>();
  for (const e of candidate) {
    if (e.shape.length === 4) {
      const o = layoutOptions(e.name, e.shape)[0]!;
      const out = canonicalShape(e.shape, o.axes)[0]!;
      if (out > 1) convChannels.add(out);
    } else if (e.shape.length === 2) {
      for (const d of new Set(e.shape)) denseDims.set(d, (denseDims.get(d) ?? 0) + 1);
    }
  }
  return { convChannels: [...convChannels], denseDims };
}

const isWhole = (v: TensorView) => v.rowStart === 0 && !v.columnOrder && viewElements(v) === numel(v.entry.shape);

const join = (transform: Transforms, extra: Transform): Transforms => [...transform, extra];

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The look with the candidate's kernel taps swapped, when that reads other values and fits the reference. */
function tapsSwapped(look: Alternative, reference: TensorView): Alternative | null {
  const c = look.candidate;
  const shape = c.entry.shape;
  if (shape.length !== 4 || reference.entry.shape.length !== 4 || !isWhole(c) || !isWhole(reference) || c.transpose || reference.transpose) return null;
  const axes = c.axes ? [...c.axes] : [0, 1, 2, 3];
  // A tap axis of size 1 leaves the element order as it is: nothing new to look at.
  if (shape[axes[2]!] === 1 || shape[axes[3]!] === 1) return null;
  [axes[2], axes[3]] = [axes[3]!, axes[2]!];
  if (!sameShape(canonicalShape(shape, axes), canonicalShape(reference.entry.shape, reference.axes ?? null))) return null;
  return { candidate: layoutView(c.entry, axes), reference, transform: join(look.transform, TAPS_SWAPPED) };
}

const isSquareNumber = (n: number) => Number.isInteger(Math.sqrt(n));

/**
 * Channel counts C that may have fed a dense layer of `inputs` features through a flatten: a conv's output
 * channels dividing it, H·W = inputs / C ≥ 2, and an input width that no other rank-2 tensor has (a
 * width another layer produces is a hidden width, not a flatten). Square H·W first, then wider C.
 */
function flattenChannels(inputs: number, units: number, ctx: PortContext): number[] {
  if (inputs === units || (ctx.denseDims.get(inputs) ?? 0) > 1) return [];
  return ctx.convChannels
    .filter((c) => inputs % c === 0 && inputs / c >= 2)
    .sort((a, b) => Number(isSquareNumber(inputs / b)) - Number(isSquareNumber(inputs / a)) || b - a)
    .slice(0, MAX_CHANNEL_OPTIONS);
}

/** The looks with the candidate's input columns in the other flatten order (both directions). */
function flattenOrders(look: Alternative, reference: TensorView, ctx: PortContext): Alternative[] {
  const c = look.candidate;
  if (c.entry.shape.length !== 2 || !isWhole(c) || !isWhole(reference) || c.cols !== reference.cols || c.rows !== reference.rows) return [];
  const out: Alternative[] = [];
  for (const channels of flattenChannels(c.cols, c.rows, ctx)) {
    const spatial = c.cols / channels;
    out.push({ candidate: { ...c, columnOrder: { groups: channels, size: spatial } }, reference, transform: join(look.transform, FLATTEN_TO_HWC) });
    // C = H·W: the same permutation both ways.
    if (spatial !== channels) out.push({ candidate: { ...c, columnOrder: { groups: spatial, size: channels } }, reference, transform: join(look.transform, FLATTEN_TO_CHW) });
  }
  return out;
}

/** A pair's looks (its own first) with the port layouts that fit added to its alternatives. */
function withPortLooks<P extends PairLooks>(pair: P, ctx: PortContext): P {
  const own: Alternative = { candidate: pair.candidate, reference: pair.reference, transform: pair.transform };
  const looks = [own, ...(pair.alternatives ?? [])];
  const seen = new Set(looks.map((l) => `${viewKey(l.candidate)}|${viewKey(l.reference ?? pair.reference)}`));
  const added: Alternative[] = [];
  for (const look of looks) {
    const reference = look.reference ?? pair.reference;
    const swapped = tapsSwapped(look, reference);
    for (const alt of [...(swapped ? [swapped] : []), ...flattenOrders(look, reference, ctx)]) {
      const key = `${viewKey(alt.candidate)}|${viewKey(reference)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      added.push(alt);
    }
  }
  return added.length ? { ...pair, alternatives: [...(pair.alternatives ?? []), ...added] } : pair;
}

/** Add the port layouts (swapped taps, the other flatten order) to every pair they fit, in place. */
export function addPortAlternatives<P extends PairLooks>(components: Iterable<{ pairs: P[] }>, candidate: readonly TensorEntry[]): void {
  const ctx = portContext(candidate);
  for (const comp of components) comp.pairs = comp.pairs.map((p) => withPortLooks(p, ctx));
}
