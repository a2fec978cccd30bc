/**
 * Which axis of a compared pair's canonical matrix holds a layer's own units (MLP and expert hidden units,
 * conv output channels): the permutation test along it alone is valid in any architecture, and expert
 * matching, which cannot see those units, costs it nothing (src/engine/expert-match.ts).
 */
import type { AlignedPair } from "../align/align.js";
import { expertRole } from "../align/names.js";
import { canonicalShape } from "../align/view.js";
import { MLP_IN, MLP_OUT, type MlpLayout, mlpLayout, mlpUnitAxis } from "./tensor-roles.js";

/** Widths that are both a tensor's units (canonical rows) and another's inputs: hidden widths. */
export function hiddenWidths(pairs: AlignedPair[]): Set<number> {
  const units = new Set<number>();
  const inputs = new Set<number>();
  for (const p of pairs) {
    const v = p.candidate;
    const shape = v.entry.shape;
    if (shape.length < 2 || v.rowStart !== 0) continue;
    const canon = v.axes ? canonicalShape(shape, v.axes) : v.transpose ? [shape[1]!, shape[0]!] : [...shape];
    units.add(canon[0]!);
    inputs.add(canon[1]!);
  }
  return new Set([...units].filter((u) => inputs.has(u)));
}

/** What `internalUnits` needs of a component: its hidden widths, its residual width and MLP layout. */
export interface UnitRules {
  widths: Set<number>;
  layout: MlpLayout;
}

export const unitRules = (pairs: AlignedPair[]): UnitRules => ({ widths: hiddenWidths(pairs), layout: mlpLayout(pairs) });

/** Transforms of an expert part cut from a fused slab (either side). */
const FUSED_EXPERTS = /split-(reference-)?experts|experts-transposed|gate-up-interleaved|layout:/;

/**
 * The axis of a pair's canonical matrix that holds internal units in any architecture, or null (then the
 * larger p of the two axes is taken): an MLP's or an expert's hidden units (by role, and by shape against the residual
 * width: GPT-2's Conv1D stores them [in, out], tensor-roles.ts), a conv kernel's output channels when they
 * feed another layer (a hidden width of the model: a classifier conv's classes do not). Attention rows are
 * not: RoPE ties them to frequencies inside a head.
 */
export function internalUnits(pair: AlignedPair, rules: UnitRules): "rows" | "cols" | null {
  // An expert's (routed or shared) gate, up and down are an MLP's: their hidden units are the expert's own.
  // A square part cut from a fused slab keeps no storage convention the component's vote could vouch for
  // (GPT-OSS: hidden width = model width, [E, D, 2F]): neither axis is named, so the choice is paid for.
  const expert = expertRole(pair.role);
  if (expert && pair.reference.rows === pair.reference.cols && pair.transform.some((t) => FUSED_EXPERTS.test(t))) return null;
  const role = expert?.base ?? pair.role;
  if (MLP_IN.test(role) || MLP_OUT.test(role)) return mlpUnitAxis(role, pair.reference.rows, pair.reference.cols, rules.layout);
  if (pair.candidate.entry.shape.length === 4 && pair.reference.entry.shape.length === 4 && rules.widths.has(pair.candidate.rows)) return "rows";
  return null;
}
