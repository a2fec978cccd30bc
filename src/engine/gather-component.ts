/**
 * A component's tensor records -> its evidence (each tensor's p from its looks, the combination), sealed:
 * the policy decides on it once, the report is rendered from both (src/report/render.ts).
 */
import type { AlignedPair, ComponentAlignment } from "../align/align.js";
import { combinationOf, withTensorP } from "../policy/policy.js";
import type { ComponentEvidence, SearchEvidence, TensorEvidence } from "../report/evidence.js";
import type { LayerMatrix } from "../report/schema.js";
import { type SampledPair, layerMatrixOf, rawCosine } from "../stats/controls.js";
import { pearsonOfMany } from "../stats/pair-stats.js";

/** The component's evidence from its tensor records, frozen. */
export function gatherComponent(
  comp: Pick<ComponentAlignment, "name" | "candidateParameters" | "unmatched" | "unmatchedParameters">,
  tensors: readonly TensorEvidence[],
  search: SearchEvidence | null,
  layerMatrix: LayerMatrix | null,
): ComponentEvidence {
  const priced = Object.freeze(tensors.map((t) => Object.freeze(withTensorP(t))));
  return Object.freeze({
    name: comp.name,
    candidateParameters: comp.candidateParameters,
    unmatchedTensors: comp.unmatched.length,
    unmatchedParameters: comp.unmatchedParameters,
    tensors: priced,
    combination: combinationOf(priced),
    search,
    layerMatrix,
  });
}

/** The layer x layer picture of a component (matrices' Pearson; norms' Pearson and raw cosine). */
export function layerMatrix(pairs: AlignedPair[], samples: (SampledPair | null)[]): LayerMatrix | null {
  const informative = new Set(pairs.filter((p) => p.informative).map((p) => p.role));
  const isNorm = (p: SampledPair) => /norm/.test(p.role) && p.colsSampled === 1;
  // Every sample meets every other layer's: each array's moments once.
  const pearson = pearsonOfMany();
  const m = layerMatrixOf(samples, (p) => informative.has(p.role), pearson);
  if (!m) return null;
  const np = layerMatrixOf(samples, isNorm, pearson);
  const nc = layerMatrixOf(samples, isNorm, rawCosine);
  const align = (x: typeof np) => (x && x.candidateLayers.join() === m.candidateLayers.join() ? x.values : null);
  return { candidateLayers: m.candidateLayers, referenceLayers: m.referenceLayers, pearson: m.values, normPearson: align(np), normCosine: align(nc) };
}
