/**
 * Structural pairs that compete for the same tensors (see align.ts
 * structuralFallback): keep the assignment the data supports, drop the rest.
 */
import type { AlignedPair } from "../align/align.js";
import { partKey } from "../align/view.js";
import type { TensorEvidence } from "../report/evidence.js";
import { maximizeAssignment } from "../search/assignment.js";

/**
 * Per ambiguity group, the assignment of candidate to reference tensors with
 * the largest total |Pearson|. Returns which pairs to keep.
 */
export function resolveAmbiguity(pairs: AlignedPair[], tensors: readonly TensorEvidence[]): boolean[] {
  const keep = pairs.map((p) => p.ambiguity === undefined);
  const groups = new Map<number, number[]>();
  pairs.forEach((p, i) => {
    if (p.ambiguity !== undefined) groups.set(p.ambiguity, [...(groups.get(p.ambiguity) ?? []), i]);
  });
  for (const idx of groups.values()) {
    if (pairs[idx[0]!]!.manyToOne) {
      keepBestPerCandidate(pairs, tensors, idx, keep);
      continue;
    }
    // Stored parts, not tensor names: every expert of a fused tensor is a candidate (or reference) of its own, and
    // one part kept in another layout (layout looks) is still the same candidate.
    const cands = [...new Set(idx.map((i) => partKey(pairs[i]!.candidate)))];
    const refs = [...new Set(idx.map((i) => partKey(pairs[i]!.reference)))];
    const swap = cands.length > refs.length;
    const [rows, cols] = swap ? [refs, cands] : [cands, refs];
    const score = new Float64Array(rows.length * cols.length).fill(-1);
    const at = new Map<string, number>();
    for (const i of idx) {
      const c = partKey(pairs[i]!.candidate);
      const r = partKey(pairs[i]!.reference);
      const [a, b] = swap ? [refs.indexOf(r), cands.indexOf(c)] : [cands.indexOf(c), refs.indexOf(r)];
      score[a * cols.length + b] = Math.abs(tensors[i]!.pearson ?? 0);
      at.set(`${a}|${b}`, i);
    }
    maximizeAssignment(score, rows.length, cols.length).forEach((b, a) => {
      const i = at.get(`${a}|${b}`);
      if (i !== undefined) keep[i] = true;
    });
  }
  return keep;
}

/** Many-to-one: each candidate keeps the option with the largest |Pearson| (first on ties). */
function keepBestPerCandidate(pairs: AlignedPair[], tensors: readonly TensorEvidence[], idx: number[], keep: boolean[]): void {
  const best = new Map<string, number>();
  for (const i of idx) {
    const c = partKey(pairs[i]!.candidate);
    const j = best.get(c);
    if (j === undefined || Math.abs(tensors[i]!.pearson ?? 0) > Math.abs(tensors[j]!.pearson ?? 0)) best.set(c, i);
  }
  for (const i of best.values()) keep[i] = true;
}
