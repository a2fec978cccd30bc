/**
 * Rules about a tensor's role that every comparison path shares (pairs compared directly:
 * compare-component.ts; factored maps: compare-factored.ts).
 */
import type { TensorEvidence } from "../report/evidence.js";
import { FUNCTIONAL_FLOOR } from "../search/deep-align.js";

/** MLP roles: the hidden units are the rows of gate and up (canonical [out, in]) and the columns of down. */
export const MLP_IN = /(^|\.)mlp\.(gate|up)\.weight$/;
export const MLP_OUT = /(^|\.)mlp\.down\.weight$/;

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
  const structureOnly = `only its residual axis can be permuted (its other axis is ${/embed|head|score/.test(role) ? "the vocabulary" : /classifier/.test(role) ? "the classes" : /patch/.test(role) ? "the pixels" : "the positions"}), and a fixed position table can tie residual dimensions across independent models`;
  if (Math.abs(t.permutation.effect ?? 0) >= FUNCTIONAL_FLOOR.asStored || t.promoted) return { ...t, structureOnly };
  return { ...t, structureOnly, permutation: { ...t.permutation, tested: t.permutation.log10p, log10p: 0, floor: FUNCTIONAL_FLOOR.asStored } };
}
