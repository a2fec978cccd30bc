/**
 * The search for reuse that was hidden on purpose. A copier can permute the
 * residual dimension (consistently in every tensor), the hidden units of each
 * MLP, the heads of each attention layer, flip signs where the activation
 * allows, and drop, duplicate or reorder layers; the function is unchanged and
 * element-wise Pearson drops to ~0. Undo it the way the provenance literature
 * does (AWM; Zhu et al.):
 *
 * 1. residual basis: a linear assignment on |cos| of embedding columns over
 *    shared token ids (or of patch-embedding rows for a vision tower), keeping
 *    signs;
 * 2. hidden units: per tensor pair, a linear assignment on |cos| of rows in
 *    that shared basis, keeping signs; aligned Pearson is then computed on the
 *    matched rows;
 * 3. layers: every candidate layer is compared with every reference layer;
 *    each takes its best reference layer (duplication and reordering allowed);
 * 4. evidence: agreement. Tensors that share one hidden permutation (gate, up
 *    and down; q, k, v and o heads) are matched independently, and the number
 *    of units on which two matchings agree is ~Poisson(1) for unrelated models
 *    but ~n for a copy; log10 p is computed in log space. The aligned Pearson
 *    is the effect size; the null of the same pipeline run on the reference
 *    layers not chosen (reference self-duplicates excluded) is reported, but
 *    it does not decide: layer 0 of two unrelated models trained on the same
 *    data aligns better than other layers (it reads the embeddings), so that
 *    null is not exchangeable with the matched layer.
 */
import { zFromLog10P } from "../stats/pvalues.js";
import { alignOnce } from "./align-once.js";
import type { DeepReport, DeepResult, RoleGroup } from "./deep-types.js";
import { type Basis, type ResidualTransform, residualMap, residualRotation } from "./residual.js";

/** Called as the search matches candidate matrices (it runs synchronously: the only sign of life). */
export type SearchProgress = (message: string) => void;

/**
 * Run the search with the residual basis as it is and, when the recovered
 * permutation is not the identity, with that permutation too (and with a
 * rotation when the embeddings say the stream was rotated); each tensor keeps
 * the stronger evidence, its p-value paying for every extra look.
 */
export function deepAlign(groups: RoleGroup[], basis: Basis | null, residualSize = 0, progress?: SearchProgress): DeepReport {
  const map = basis ? residualMap(basis) : null;
  // A clean permutation far better than the identity needs no second look at the identity.
  const clean = map !== null && map.quality >= 0.5 && map.identityQuality < 0.5 * map.quality;
  const perm: ResidualTransform | null = map && !map.identity ? { kind: "permutation", map } : null;
  const transforms: (ResidualTransform | null)[] = !perm ? [null] : clean ? [perm] : [null, perm];
  const rotation = basis && !clean ? residualRotation(basis) : null;
  if (rotation) transforms.push(rotation);
  const runs = transforms.map((t, i) =>
    alignOnce(groups, t, residualSize, progress ? (done, total) => progress(`residual look ${i + 1}/${transforms.length} (${t ? t.kind : "as stored"}): ${done}/${total} matrices matched`) : undefined),
  );
  const looks = Math.log10(transforms.length);
  // Runs are matched by candidate tensor, not by position: a run may leave a tensor out (its chosen
  // reference layer lacks that role, e.g. an unread reference tensor).
  const byCandidate = new Map<string, DeepResult>();
  for (const run of runs) {
    for (const r of run.results) {
      const prev = byCandidate.get(r.candidate);
      if (!prev || r.log10p < prev.log10p) byCandidate.set(r.candidate, r);
    }
  }
  const results = [...byCandidate.values()].map((best) => {
    const log10p = Math.min(0, best.log10p + looks);
    return { ...best, log10p, z: zFromLog10P(log10p) };
  });
  const dups = new Map(runs.flatMap((r) => r.referenceDuplicates).map((d) => [`${d[0]}|${d[1]}`, d] as const));
  return {
    results,
    residualPermuted: results.some((r) => /residual-(permuted|rotated)/.test(r.transform)),
    residualMatchQuality: map ? map.quality : null,
    referenceDuplicates: [...dups.values()],
  };
}
