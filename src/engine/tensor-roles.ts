/**
 * Rules about a tensor's role that every comparison path shares (pairs compared directly:
 * compare-component.ts; factored maps: compare-factored.ts).
 */
import type { AlignedPair } from "../align/align.js";
import type { TensorEvidence } from "../report/evidence.js";
import { FUNCTIONAL_FLOOR } from "../search/deep-align.js";
import { BASIS_ROLES, HIDDEN_ON_COLS, NORM_ROLE, basisResidual } from "../search/search-groups.js";
import type { UnitAxis } from "../stats/permutation.js";

/** MLP roles: the hidden units are the rows of gate and up (Linear [out, in]) and the columns of down. */
export const MLP_IN = /(^|\.)mlp\.(gate|up)\.weight$/;
export const MLP_OUT = /(^|\.)mlp\.down\.weight$/;

/**
 * What tells which axis of a component's MLP matrices (as compared) holds the hidden units: the residual
 * width (from the embeddings, heads, position tables, else the norms) and whether its matrices are stored
 * Conv1D [in, out] (GPT-2) rather than Linear [out, in], by the vote of the matrices whose shape tells
 * (null: no such matrix, or a tie).
 */
export interface MlpLayout {
  residual: number | null;
  conv1d: boolean | null;
}

export function mlpLayout(pairs: AlignedPair[]): MlpLayout {
  // A 2-D basis tensor keeps the residual on its columns; a patch conv on its rows (a 3-D position table does not tell).
  const basis = pairs.find((p) => BASIS_ROLES.some((b) => b.re.test(p.role)) && (basisResidual(p.role) === "rows" ? p.reference.entry.shape.length >= 2 : p.reference.entry.shape.length === 2));
  const residual = basis ? (basisResidual(basis.role) === "cols" ? basis.reference.cols : basis.reference.rows) : normWidth(pairs);
  let linear = 0;
  let conv1d = 0;
  for (const p of pairs) {
    const v = p.reference;
    if (residual === null || v.entry.shape.length !== 2 || v.rows === v.cols || !/(^|\.)(mlp|attn)\./.test(p.role)) continue;
    const hidden = v.cols === residual ? "rows" : v.rows === residual ? "cols" : null;
    if (!hidden) continue;
    if (hidden === (HIDDEN_ON_COLS.test(p.role) ? "cols" : "rows")) linear++;
    else conv1d++;
  }
  return { residual, conv1d: linear === conv1d ? null : conv1d > linear };
}

/** The most common length of the component's 1-D norm gains (one per residual dimension), or null. */
function normWidth(pairs: AlignedPair[]): number | null {
  const counts = new Map<number, number>();
  for (const p of pairs) if (NORM_ROLE.test(p.role) && p.reference.entry.shape.length === 1) counts.set(p.reference.entry.shape[0]!, (counts.get(p.reference.entry.shape[0]!) ?? 0) + 1);
  const best = [...counts].sort((a, b) => b[1] - a[1])[0];
  return best ? best[0] : null;
}

/**
 * The axis of an MLP matrix ([rows, cols] as compared) that holds its hidden units, whose permutation test
 * alone is then taken; null when the tensor is no MLP matrix or neither shape nor layout tells (then the
 * larger p of the two axes: valid whichever axis is exchangeable). By role alone (Linear [out, in]) a
 * GPT-2 Conv1D matrix, stored [in, out], was tested along its residual axis alone: valid only where the
 * residual dimensions are free (no fixed position table ties them across models), which the hidden
 * units always are. The residual width decides where the shape tells; a square matrix follows the
 * component's layout vote.
 */
export function mlpUnitAxis(role: string, rows: number, cols: number, layout: MlpLayout): UnitAxis | null {
  if (!MLP_IN.test(role) && !MLP_OUT.test(role)) return null;
  const { residual, conv1d } = layout;
  if (residual !== null && rows !== cols) {
    if (cols === residual) return "rows";
    if (rows === residual) return "cols";
  }
  if (conv1d === null) return null;
  const linear: UnitAxis = MLP_IN.test(role) ? "rows" : "cols";
  return conv1d ? (linear === "rows" ? "cols" : "rows") : linear;
}

/**
 * Tensors whose only exchangeable axis can be the residual stream: token embeddings and LM heads (their
 * other axis is the vocabulary), classifier heads (classes), position tables (positions) and patch
 * embeddings (pixels). Their test is valid only where residual dimensions are exchangeable, and a fixed
 * position table added to the stream (sinusoids, 2D grids) ties them to the same frequencies in
 * independent models, and its near-constant low-frequency dimensions act as a bias both models use the
 * same way: LM heads of independent sinusoid-PE models reached effect 0.21 at p 1e-4 and, at width 64,
 * effect 0.44 (raw Pearson 0.72) at p 1e-9 (docs/calibration.md). Such a tensor counts only when its
 * effect reaches the search's functional floor, and even then is never decisive on its own
 * (`structureOnly`: a component reused on it alone is inconclusive, with the reason).
 */
export const RESIDUAL_ONLY = /(^|\.)(embed|head|classifier|score|wpe|position_embeddings?|pos_embed|patch_embed\.proj|patch_embeddings\.projection)(\.weight)?$/;

/** A residual-only tensor (by role) is marked `structureOnly` and counts only from the functional floor up: the tensor as it then is. */
export function floorIfResidualOnly(t: TensorEvidence, role: string): TensorEvidence {
  if (!t.permutation || !RESIDUAL_ONLY.test(role)) return t;
  const structureOnly = `only its residual axis can be permuted (its other axis is ${/patch/.test(role) ? "the pixels" : /position|pos_embed|wpe/.test(role) ? "the positions" : /classifier/.test(role) ? "the classes" : /embed|head|score/.test(role) ? "the vocabulary" : "the positions"}), and a fixed position table can tie residual dimensions across independent models`;
  if (Math.abs(t.permutation.effect ?? 0) >= FUNCTIONAL_FLOOR.asStored || t.promoted) return { ...t, structureOnly };
  return { ...t, structureOnly, permutation: { ...t.permutation, tested: t.permutation.log10p, log10p: 0, floor: FUNCTIONAL_FLOOR.asStored } };
}
