/**
 * Mixture-of-experts storage: one expert's gate, up or down matrix, wherever a checkpoint keeps it.
 *
 * | stored as | per expert e | canonical gate / up [F, D], down [D, F] |
 * |---|---|---|
 * | per-expert `mlp.experts.5.gate_proj.weight` [F, D] | the tensor | as stored |
 * | fused `experts.gate_up_proj` [E, 2F, D] (Qwen-MoE, Mixtral in recent transformers) | slab [2F, D] | rows [0, F) gate, [F, 2F) up |
 * | fused `experts.gate_up_proj` [E, D, 2F] (GPT-OSS, Llama 4) | slab [D, 2F] | transposed; halves [gate; up], or interleaved (GPT-OSS `[..., ::2]` / `[..., 1::2]`) |
 * | fused `experts.down_proj` [E, D, F] / [E, F, D] | slab | as stored / transposed |
 *
 * Which orientation a fused tensor is in, the shapes decide against the model's hidden width (its norms'
 * length); what they leave open (2F = D, F = D, and always [gate; up] against interleaved for [E, D, 2F])
 * is returned as several views, most likely first: the engine compares each and pays for the looks.
 */
import type { TensorEntry } from "../sources/types.js";
import { type TensorView, fullView, numel, sliceRows } from "./view.js";
import { AS_STORED, type ExpertRelation, type Transform, type Transforms } from "./transform.js";

const TRANSPOSED: Transforms = ["experts-transposed"];
const TRANSPOSED_INTERLEAVED: Transforms = ["experts-transposed", "gate-up-interleaved"];

/** One way of reading an expert's matrix, with the transform words it adds (`experts-transposed`, `gate-up-interleaved`). */
export interface ExpertView {
  view: TensorView;
  label: Transforms;
}

/** A routed expert's matrix (one expert, one dense role) on either side. */
export interface ExpertPart {
  /** The dense MLP role it stands for: `mlp.gate.weight`, `mlp.up.weight`, `mlp.down.weight`. */
  base: string;
  /** The role it is reported under: the tensor's own, or `base` for a part of a fused tensor. */
  role: string;
  /** Routed expert index (-1: a dense MLP or shared expert). */
  expert: number;
  /** Cut out of a tensor holding every expert. */
  fused: boolean;
  /** The stored tensor it comes from. */
  entry: TensorEntry;
  /** Ways to read it, most likely first. */
  views: ExpertView[];
}

const FUSED_EXPERTS = /(^|\.)experts\.(gate_up|down)(\.weight)?$/;

/** Hidden widths of a model: the lengths of its layer and final norms (the residual stream's width). */
export function hiddenWidths(entries: readonly TensorEntry[], roleOf: (e: TensorEntry) => string | null): Set<number> {
  const out = new Set<number>();
  for (const e of entries) {
    const role = roleOf(e);
    if (role && e.shape.length === 1 && /(^|\.)(norm1|norm2|final_norm)\.weight$/.test(role)) out.add(e.shape[0]!);
  }
  return out;
}

/** Expert `e`'s slab of a fused [E, …] tensor: a tensor of its own (same name, its byte range). */
function slab(entry: TensorEntry, e: number, shape: number[] = entry.shape.slice(1)): TensorEntry {
  const bytes = (entry.end - entry.begin) / entry.shape[0]!;
  const begin = entry.begin + e * bytes;
  return { ...entry, shape, begin, end: begin + bytes };
}

/** Rows [half·F, half·F + F) of a [D, 2F] slab read as [2, F, D] through [D, F, 2] (GPT-OSS `[..., half::2]`, transposed). */
function interleavedHalf(s: TensorEntry, d: number, f: number, half: 0 | 1): TensorView {
  const entry: TensorEntry = { ...s, shape: [d, f, 2] };
  return { entry, storedRows: d, storedCols: 2 * f, transpose: false, rowStart: half * f, rows: f, cols: d, axes: [2, 1, 0] };
}

/**
 * Every expert's parts of a fused tensor (`experts.gate_up_proj`, `experts.down_proj`, rank 3), each with
 * the views its storage leaves open; null for any other tensor. `hidden`: the model's hidden widths
 * (empty: the shapes alone decide nothing, every orientation is kept).
 */
export function fusedExpertParts(entry: TensorEntry, role: string, hidden: ReadonlySet<number>): ExpertPart[] | null {
  const m = FUSED_EXPERTS.exec(role);
  if (!m || entry.shape.length !== 3 || numel(entry.shape) === 0) return null;
  const [e, a, b] = entry.shape as [number, number, number];
  if ((entry.end - entry.begin) % e !== 0) return null;
  const knows = (w: number) => hidden.size === 0 || hidden.has(w);
  const out: ExpertPart[] = [];
  if (m[2] === "down") {
    // [E, D, F] as stored; [E, F, D] transposed (both when F = D, or when no width tells).
    let standard = knows(a);
    let transposed = knows(b);
    if (!standard && !transposed) standard = transposed = true;
    for (let x = 0; x < e; x++) {
      const s = slab(entry, x);
      const views: ExpertView[] = [];
      if (standard) views.push({ view: fullView(s), label: AS_STORED });
      if (transposed) views.push({ view: fullView(s, true), label: TRANSPOSED });
      out.push({ base: "mlp.down.weight", role: "mlp.down.weight", expert: x, fused: true, entry, views });
    }
    return out;
  }
  // gate_up: [E, 2F, D] halves of rows; [E, D, 2F] halves of columns, concatenated or interleaved.
  let standard = a % 2 === 0 && knows(b);
  let transposed = b % 2 === 0 && knows(a);
  if (!standard && !transposed) [standard, transposed] = [a % 2 === 0, b % 2 === 0];
  if (!standard && !transposed) return null;
  for (let x = 0; x < e; x++) {
    const s = slab(entry, x);
    const gate: ExpertView[] = [];
    const up: ExpertView[] = [];
    if (standard) {
      gate.push({ view: sliceRows(fullView(s), 0, a / 2), label: AS_STORED });
      up.push({ view: sliceRows(fullView(s), a / 2, a / 2), label: AS_STORED });
    }
    if (transposed) {
      const f = b / 2;
      gate.push({ view: sliceRows(fullView(s, true), 0, f), label: TRANSPOSED });
      up.push({ view: sliceRows(fullView(s, true), f, f), label: TRANSPOSED });
      gate.push({ view: interleavedHalf(s, a, f, 0), label: TRANSPOSED_INTERLEAVED });
      up.push({ view: interleavedHalf(s, a, f, 1), label: TRANSPOSED_INTERLEAVED });
    }
    out.push({ base: "mlp.gate.weight", role: "mlp.gate.weight", expert: x, fused: true, entry, views: gate });
    out.push({ base: "mlp.up.weight", role: "mlp.up.weight", expert: x, fused: true, entry, views: up });
  }
  return out;
}

/** A whole tensor (per-expert, shared or dense) as a part: one view, as stored. */
export function perExpertPart(entry: TensorEntry, base: string, expert: number, role: string): ExpertPart {
  return { base, role, expert, fused: false, entry, views: [{ view: fullView(entry), label: AS_STORED }] };
}

/** The pairs of views of two parts whose canonical shapes agree, the most likely first. */
export function fittingViews(c: ExpertPart, r: ExpertPart): { candidate: ExpertView; reference: ExpertView }[] {
  const out: { candidate: ExpertView; reference: ExpertView }[] = [];
  for (const rv of r.views) for (const cv of c.views) if (cv.view.rows === rv.view.rows && cv.view.cols === rv.view.cols) out.push({ candidate: cv, reference: rv });
  return out;
}

/**
 * The transform of an expert pair: how the candidate's part was cut out (`split-experts`), the relation
 * (`expert-matched`, `expert-of-dense`, …), how the reference's was (`split-reference-experts`), and the
 * views' labels (the reference's prefixed `reference-`).
 */
export function expertTransform(relation: ExpertRelation | null, c: { fused: boolean; label: Transforms }, r: { fused: boolean; label: Transforms }): Transforms {
  return [
    ...(c.fused ? (["split-experts"] as const) : []),
    ...(relation ? [relation] : []),
    ...(r.fused ? (["split-reference-experts"] as const) : []),
    ...c.label,
    ...r.label.map((w) => `reference-${w}` as Transform),
  ];
}

/**
 * A routed expert's part paired by index above the count every pairing can be compared for, its partner
 * to be chosen by the data (src/align/expert-slots.ts, src/engine/expert-match.ts).
 */
export interface ExpertSlot {
  /** One matching per (component, layer): every role of the layer's experts follows it. */
  group: string;
  /** The candidate's part (its expert index, views). */
  part: ExpertPart;
  /** The reference's experts of the same role the part may meet (one array shared by the layer's parts). */
  refs: readonly ExpertPart[];
  /** The relation of a re-paired part (`expert-matched`), and whether the pair is evidence by its shapes. */
  relation: ExpertRelation;
  informative: boolean;
}
