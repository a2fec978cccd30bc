/**
 * Experts at any count: which reference expert a candidate's routed expert meets is left to the data
 * when a layer holds more experts than every pairing can be compared for (align.ts MAX_EXPERT_OPTIONS).
 * The alignment pairs each part by expert index and marks it with a slot (the candidate's part and the
 * reference's experts it could be); the engine reads one small sketch per expert, invariant to the
 * order of the expert's hidden units, matches experts layer by layer, and re-pairs every slotted part
 * (src/engine/expert-match.ts).
 *
 * The sketch: canonical down is [D, F] (residual dimensions x hidden units). Rows J of it (k residual
 * dimensions, the same for every expert of both models, chosen from D alone) give S = down[J, :] (k x F)
 * and G = S Sᵀ (k x k) = Σ_f down[J, f] down[J, f]ᵀ, a sum over hidden units: reordering them (or the
 * expert's place in the layer) leaves G unchanged; a fine-tuned copy keeps G, an independent expert does
 * not. Reading k rows of each expert's down is linear in the expert count and a sliver of its bytes.
 */
import type { AlignedPair } from "./align.js";
import { type ExpertPart, type ExpertSlot, expertTransform, fittingViews } from "./experts.js";
import { type TensorView, readsWhole } from "./view.js";
import { bytesPerElement } from "../safetensors/dtypes.js";
import type { ByteRange } from "../sources/types.js";

export type { ExpertSlot };

/** Residual rows per sketch: exact mode, and sampled mode (the sketch's bytes then count against the sample's). */
export const SKETCH_ROWS_EXACT = 32;
export const SKETCH_ROWS_SAMPLED = 16;

/** The k residual rows every expert's sketch reads: one contiguous run in the middle of [0, d) (one request per expert). */
export function sketchRows(d: number, fraction: number): Int32Array {
  const k = Math.min(d, fraction >= 1 ? SKETCH_ROWS_EXACT : SKETCH_ROWS_SAMPLED);
  const start = Math.floor((d - k) / 2);
  return Int32Array.from({ length: k }, (_, i) => start + i);
}

/** The view of a down part whose canonical rows are residual dimensions ([D, F]), or null (not a down part). */
export function sketchView(part: ExpertPart): TensorView | null {
  if (part.base !== "mlp.down.weight") return null;
  return part.views[0]?.view ?? null;
}

/** The byte ranges reading canonical rows `rows` of `view` takes (a transposed or permuted view is read whole). */
export function rowReads(view: TensorView, rows: Int32Array): ByteRange[] {
  const bpe = bytesPerElement(view.entry.dtype);
  if (readsWhole(view)) return [{ file: view.entry.file, begin: view.entry.begin, end: view.entry.begin + view.storedRows * view.storedCols * bpe }];
  const out: ByteRange[] = [];
  let i = 0;
  while (i < rows.length) {
    let j = i + 1;
    while (j < rows.length && rows[j] === rows[j - 1]! + 1) j++;
    const begin = view.entry.begin + (view.rowStart + rows[i]!) * view.storedCols * bpe;
    out.push({ file: view.entry.file, begin, end: begin + (j - i) * view.storedCols * bpe });
    i = j;
  }
  return out;
}

/** Every slotted group's sketch parts: candidate down parts and the reference's, per group (pure: headers only). */
export function sketchGroups(pairs: readonly AlignedPair[]): Map<string, { candidate: ExpertPart[]; reference: readonly ExpertPart[] }> {
  const out = new Map<string, { candidate: ExpertPart[]; reference: readonly ExpertPart[] }>();
  const seen = new Set<ExpertPart>();
  for (const p of pairs) {
    const s = p.expertSlot;
    if (!s || s.part.base !== "mlp.down.weight" || seen.has(s.part)) continue;
    seen.add(s.part);
    const g = out.get(s.group);
    if (g) g.candidate.push(s.part);
    else out.set(s.group, { candidate: [s.part], reference: s.refs });
  }
  return out;
}

/** The reads of every sketch the engine will take for `pairs` (candidate and reference sides), for the read plan. */
export function expertSketchReads(pairs: readonly AlignedPair[], fraction: number): { candidate: ByteRange[]; reference: ByteRange[] } {
  const candidate: ByteRange[] = [];
  const reference: ByteRange[] = [];
  for (const g of sketchGroups(pairs).values()) {
    const views = (parts: readonly ExpertPart[]) => parts.map(sketchView).filter((v): v is TensorView => v !== null);
    for (const v of views(g.candidate)) candidate.push(...rowReads(v, sketchRows(v.rows, fraction)));
    for (const v of views(g.reference)) reference.push(...rowReads(v, sketchRows(v.rows, fraction)));
  }
  return { candidate, reference };
}

/** The pair of a slotted part with reference expert `r`, in the first views that fit (the rest as alternatives), or null. */
export function slotPair(base: AlignedPair, slot: ExpertSlot, r: ExpertPart): AlignedPair | null {
  const fits = fittingViews(slot.part, r);
  if (fits.length === 0) return null;
  const transform = (f: (typeof fits)[number]) => expertTransform(slot.relation, { fused: slot.part.fused, label: f.candidate.label }, { fused: r.fused, label: f.reference.label });
  const [first, ...rest] = fits;
  const { alternatives: _a, expertSlot: _s, ...unslotted } = base;
  const out: AlignedPair = { ...unslotted, role: r.role, candidate: first!.candidate.view, reference: first!.reference.view, transform: transform(first!), informative: slot.informative };
  return rest.length ? { ...out, alternatives: rest.map((f) => ({ candidate: f.candidate.view, reference: f.reference.view, transform: transform(f) })) } : out;
}
