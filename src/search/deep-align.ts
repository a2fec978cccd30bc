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
 * 4. evidence: a held-out test. Steps 2-3 see the even residual features
 *    only; each chosen matching is tested on the odd features by permuting
 *    them (match-rows.ts). With the residual basis as stored, that test is
 *    exact under H0 whatever the tensors share inside a model (aligned gate
 *    and up rows cannot help: no other tensor is involved).
 *
 * A residual basis recovered from the embeddings (step 1) is a data-driven
 * alignment: two models trained independently on the same data converge
 * functionally, so once their bases are aligned by what the embeddings do,
 * their layers correlate (held-out effects 0.1-0.4 measured on independent
 * zoo pairs, docs/calibration.md) and exchangeability no longer holds. A look
 * through a recovered basis therefore counts only when its held-out effect
 * reaches FUNCTIONAL_FLOOR, above what functional convergence gave; a derived
 * model so aligned sits at 0.5-1.0. Below it, its p-value is dropped.
 * The null of the same pipeline run on the reference layers not chosen
 * (reference self-duplicates excluded) is reported, never decides.
 */
import { movesResidual } from "../align/transform.js";
import { zFromLog10P } from "../stats/pvalues.js";
import { alignOnce } from "./align-once.js";
import type { DeepReport, DeepResult, RoleGroup } from "./deep-types.js";
import { type Basis, type ResidualTransform, residualMap, residualRotation } from "./residual.js";

/** Called as the search matches candidate matrices (it runs synchronously: the only sign of life). */
export type SearchProgress = (message: string) => void;

/**
 * The held-out effect a look through a recovered residual basis needs to count (see the top of this
 * file). Measured on the independent pairs of the calibration zoo (docs/calibration.md): the largest
 * held-out effect was 0.31 through a recovered permutation (612 tensors) and 0.43 through a fitted
 * rotation (2,586 tensors); as stored, 0.09.
 */
export const FUNCTIONAL_FLOOR = { permutation: 0.35, rotation: 0.5, asStored: 0.35 } as const;

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
  const results = combineLooks(
    runs.map((r) => r.results),
    transforms,
  );
  const dups = new Map(runs.flatMap((r) => r.referenceDuplicates).map((d) => [`${d[0]}|${d[1]}`, d] as const));
  return {
    results,
    residualPermuted: results.some((r) => r.transform.some(movesResidual)),
    residualMatchQuality: map ? map.quality : null,
    referenceDuplicates: [...dups.values()],
  };
}

/**
 * Each candidate tensor keeps its strongest look over the residual transforms tried, paying for the
 * number of looks (Bonferroni); a look through a recovered basis counts only above FUNCTIONAL_FLOOR.
 * Looks are matched by candidate tensor, not by position: a look may leave a tensor out (its chosen
 * reference layer lacks that role, e.g. an unread reference tensor).
 */
export function combineLooks(looks: DeepResult[][], transforms: (ResidualTransform | null)[], floors?: number[]): DeepResult[] {
  const penalty = Math.log10(transforms.length);
  const byCandidate = new Map<string, DeepResult>();
  looks.forEach((results, i) => {
    const t = transforms[i];
    const floor = floors?.[i] ?? (t ? FUNCTIONAL_FLOOR[t.kind] : FUNCTIONAL_FLOOR.asStored);
    for (const raw of results) {
      const r = Math.abs(raw.effect) < floor ? { ...raw, log10p: 0, z: 0 } : raw;
      const prev = byCandidate.get(r.candidate);
      if (!prev || r.log10p < prev.log10p) byCandidate.set(r.candidate, r);
    }
  });
  return [...byCandidate.values()].map((best) => {
    const log10p = Math.min(0, best.log10p + penalty);
    return { ...best, log10p, z: zFromLog10P(log10p) };
  });
}
