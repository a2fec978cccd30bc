/**
 * Evidence first, one decision: the policy decides on frozen evidence without changing it, the report is
 * rendered from the two, and a transform (a typed list inside) reaches the report in its string form.
 */
import { describe, expect, it } from "vitest";
import { type Transforms, parseTransforms, renderTransforms } from "../src/align/transform.js";
import { DEFAULT_THRESHOLDS, combinationOf, decideComponent } from "../src/policy/policy.js";
import type { ComponentEvidence, TensorEvidence } from "../src/report/evidence.js";
import { evidenceOfResult, renderComponent } from "../src/report/render.js";

function tensor(name: string, log10p: number, effect: number, transform: Transforms = []): TensorEvidence {
  const t: TensorEvidence = {
    candidate: name,
    reference: name,
    elements: 4096,
    cosine: effect,
    pearson: effect,
    z: null,
    identical: false,
    transform,
    layer: 0,
    role: "mlp.up.weight",
    informative: true,
    null: null,
    dtype: { candidate: "F32", reference: "F32" },
    log10p,
    effect,
  };
  return Object.freeze(t);
}

function component(tensors: TensorEvidence[]): ComponentEvidence {
  return Object.freeze({ name: "language", candidateParameters: 4096 * tensors.length, unmatchedTensors: 0, unmatchedParameters: 0, tensors: Object.freeze(tensors), combination: combinationOf(tensors), search: null, layerMatrix: null });
}

describe("the report's transform strings", () => {
  const cases: [Transforms, string][] = [
    [[], "none"],
    [["transpose"], "transpose"],
    [["renamed", "layout:tf-hwio", "layout:taps-swapped"], "renamed+layout:tf-hwio+layout:taps-swapped"],
    [["split-experts", "expert-matched", "reference-experts-transposed"], "split-experts+expert-matched+reference-experts-transposed"],
    [["layer-shift", "residual-rotated-hadamard-reference", "permuted-rows"], "layer-shift+residual-rotated-hadamard-reference+permuted-rows"],
  ];
  it.each(cases)("%j is written %s and read back the same", (ts, s) => {
    expect(renderTransforms(ts)).toBe(s);
    expect(parseTransforms(s)).toEqual(ts);
  });
});

describe("one decision on frozen evidence", () => {
  const copied = component([tensor("a", -30, -0.9, ["permuted-rows"]), tensor("b", -30, 0.9), tensor("c", -0.2, 0.01)]);

  it("decides without changing the evidence, and the same evidence gets the same decision", () => {
    const d = decideComponent(copied, 1, DEFAULT_THRESHOLDS);
    expect(d.verdict).toBe("reused");
    expect(d.standsOut).toEqual([true, true, false]);
    expect(d.share).toBeCloseTo(2 / 3, 12);
    expect(decideComponent(copied, 1, DEFAULT_THRESHOLDS)).toEqual(d);
  });

  it("renders the decision's fields, a negative standing-out tensor shown negated, and reads back to the same result", () => {
    const result = renderComponent(copied, decideComponent(copied, 1, DEFAULT_THRESHOLDS));
    expect(result.tensors.map((t) => [t.standsOut, t.transform])).toEqual([
      [true, "permuted-rows+negated"],
      [true, "none"],
      [false, "none"],
    ]);
    expect(result.combination).toEqual({ method: "truncated-cauchy", tensors: 3 });
    const again = evidenceOfResult(JSON.parse(JSON.stringify(result)), combinationOf);
    expect(renderComponent(again, decideComponent(again, 1, DEFAULT_THRESHOLDS))).toEqual(result);
  });
});
