/**
 * The reason a residual-only tensor carries names its other axis: ViT patch and position embeddings
 * (whose names contain "embed") are pixels and positions, not the vocabulary.
 */
import { describe, expect, it } from "vitest";
import { floorIfResidualOnly } from "../src/engine/tensor-roles.js";
import type { TensorEvidence } from "../src/report/evidence.js";

function tensor(role: string): TensorEvidence {
  return {
    candidate: role,
    reference: role,
    elements: 65 * 192,
    cosine: 0,
    pearson: 0,
    z: null,
    identical: false,
    transform: [],
    layer: null,
    role,
    informative: true,
    null: null,
    dtype: { candidate: "F32", reference: "F32" },
    permutation: { units: 65, features: 192, z: 0.5, log10p: -0.2, effect: 0.01 },
  };
}

describe("residual-only tensors: which other axis the reason names", () => {
  it.each([
    ["embed", "the vocabulary"],
    ["head", "the vocabulary"],
    ["classifier", "the classes"],
    ["embeddings.patch_embeddings.projection.weight", "the pixels"],
    ["embeddings.position_embeddings", "the positions"],
    ["wpe.weight", "the positions"],
  ])("%s: %s", (role, axis) => {
    const t = floorIfResidualOnly(tensor(role), role);
    expect(t.structureOnly).toContain(`its other axis is ${axis})`);
    expect(t.permutation?.log10p).toBe(0);
  });
});
