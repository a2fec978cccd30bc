/**
 * The decision on structure the null cannot price: a component whose only evidence is a smooth table
 * with equal values (a learned or shared position table) is inconclusive with the reason, never
 * reused; the same table beside real evidence does not stop a reused verdict.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_THRESHOLDS, combinationOf, decideComponent } from "../src/policy/policy.js";
import type { ComponentEvidence, TensorEvidence } from "../src/report/evidence.js";

function tensor(name: string, log10p: number, effect: number, extra: Partial<TensorEvidence> = {}): TensorEvidence {
  return {
    candidate: name,
    reference: name,
    elements: 65 * 192,
    cosine: 0.1,
    pearson: 0.1,
    z: null,
    identical: false,
    transform: [],
    layer: null,
    role: "x",
    informative: true,
    null: null,
    dtype: { candidate: "F32", reference: "F32" },
    log10p,
    effect,
    ...extra,
  };
}

function component(tensors: TensorEvidence[]): ComponentEvidence {
  return { name: "vision", candidateParameters: 1e6, unmatchedTensors: 0, unmatchedParameters: 0, tensors, combination: combinationOf(tensors), search: null, layerMatrix: null };
}

describe("a verdict driven only by structure", () => {
  const table = tensor("vit.embeddings.position_embeddings", -40, 1, { identical: true, pearson: 1, structureOnly: "the same values on both sides in a table smooth along its positions (roughness 0.05)" });
  const unrelated = Array.from({ length: 12 }, (_, i) => tensor(`vit.encoder.layer.${i}.intermediate.dense.weight`, -0.3, 0.01));

  it("is inconclusive, naming the table, when nothing else reaches the level", () => {
    const c = decideComponent(component([table, ...unrelated]), 1, DEFAULT_THRESHOLDS);
    expect(c.verdict).toBe("inconclusive");
    expect(c.reason).toMatch(/structure the null cannot price \(vit\.embeddings\.position_embeddings: /);
  });

  it("stays reused when the other tensors are evidence on their own", () => {
    const copied = unrelated.map((t) => ({ ...t, log10p: -30, effect: 0.9 }));
    const c = decideComponent(component([table, ...copied]), 1, DEFAULT_THRESHOLDS);
    expect(c.verdict).toBe("reused");
  });

  it("does not touch a component without such tensors", () => {
    const c = decideComponent(component([{ ...table, structureOnly: undefined }, ...unrelated]), 1, DEFAULT_THRESHOLDS);
    expect(c.verdict).toBe("reused");
  });
});
