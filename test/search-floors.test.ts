/**
 * Every look of the alignment search rests on a valid test or does not count. The held-out test of the
 * as-stored look permutes residual dimensions, which a fixed position table (sinusoids, 2D grids) ties
 * to the same meaning in independent models: such a look, like one through a recovered basis, counts
 * only above the functional floor. A look that permutes hidden units (the rotation-invariant one) needs
 * no floor.
 */
import { describe, expect, it } from "vitest";
import { FUNCTIONAL_FLOOR, combineLooks } from "../src/search/deep-align.js";
import type { DeepResult } from "../src/search/deep-types.js";

const result = (candidate: string, log10p: number, effect: number): DeepResult => ({
  candidate,
  reference: candidate,
  pearson: effect,
  cosine: effect,
  log10p,
  z: 0,
  effect,
  null: { mean: 0, sd: 0, n: 0 },
  transform: ["permuted-rows"],
  elements: 192 * 192,
});

describe("the search's floors", () => {
  it("drops an as-stored look below the floor (independent sinusoid-PE models: effect 0.19 at p 1e-33)", () => {
    const [r] = combineLooks([[result("layers.0.q", -33, 0.19)]], [null]);
    expect(r!.log10p).toBe(0);
    expect(FUNCTIONAL_FLOOR.asStored).toBeGreaterThan(0.23);
  });

  it("keeps a copy's as-stored look (effect 0.9), paying for every look", () => {
    const [r] = combineLooks([[result("layers.0.q", -80, 0.9)], [result("layers.0.q", -2, 0.4)]], [null, null]);
    expect(r!.log10p).toBeCloseTo(-80 + Math.log10(2), 6);
  });

  it("a look whose floor the caller sets to 0 (units permuted, no residual axis) keeps a weak effect", () => {
    const [r] = combineLooks([[result("layers.0.v", -9, 0.2)]], [null], [0]);
    expect(r!.log10p).toBeCloseTo(-9, 6);
  });
});
