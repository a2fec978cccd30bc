/**
 * The per-tensor test where units are few (a first conv layer: 24 output channels of 27 taps): valid at
 * that size (no normal approximation), and strong enough that a shared start (r ~ 0.9 on every channel)
 * is far below any level the decision uses.
 */
import { describe, expect, it } from "vitest";
import { permutationTest } from "../src/stats/permutation.js";
import { tensorIndependence } from "../src/stats/independence.js";
import { xorshiftOpen } from "./helpers/xorshift.js";

function gaussian(n: number, r: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()));
}

describe("small-unit permutation test", () => {
  it("is calibrated for independent 24 x 27 kernels (P(p <= alpha) <= alpha)", () => {
    const r = xorshiftOpen(21);
    const trials = 600;
    let at10 = 0;
    let at02 = 0;
    for (let k = 0; k < trials; k++) {
      const t = permutationTest({ a: gaussian(24 * 27, r), b: gaussian(24 * 27, r), rows: 24, cols: 27 }, "rows")!;
      if (t.log10p <= -1) at10++;
      if (t.log10p <= Math.log10(0.02)) at02++;
    }
    // Binomial 99.9% bounds at 600 trials: 0.1 -> 0.138, 0.02 -> 0.041.
    expect(at10 / trials).toBeLessThan(0.138);
    expect(at02 / trials).toBeLessThan(0.041);
  });

  it("finds a shared start: r ~ 0.9 on every channel gives p far below 1e-10 on both axes", () => {
    const r = xorshiftOpen(5);
    const a = gaussian(24 * 27, r);
    const noise = gaussian(24 * 27, r);
    const b = a.map((x, i) => 0.9 * x + Math.sqrt(1 - 0.81) * noise[i]!);
    const t = tensorIndependence({ a, b, rowsSampled: 24, colsSampled: 27 })!;
    expect(t.log10p).toBeLessThan(-10);
    expect(t.effect).toBeGreaterThan(0.8);
    // A weak link stays modest, never astronomically small.
    const weak = a.map((x, i) => 0.1 * x + noise[i]!);
    expect(tensorIndependence({ a, b: weak, rowsSampled: 24, colsSampled: 27 })!.log10p).toBeGreaterThan(-6);
  });
});
