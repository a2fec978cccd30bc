/**
 * The per-tensor test keeps the larger p of its two axes, so it is valid when
 * only one axis holds exchangeable units: here output classes (rows) whose
 * structure both models learn from the same data (class frequency), the case
 * that made the row-only test reject half of the independent classifier pairs.
 */
import { describe, expect, it } from "vitest";
import { tensorIndependence } from "../src/stats/independence.js";
import { permutationTest } from "../src/stats/permutation.js";
import { xorshiftOpen } from "./helpers/xorshift.js";

const rng = xorshiftOpen;
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());

/** A classifier head [classes, hidden]: per-class offset and scale shared by both models (the data), own random directions. */
function head(classes: number, hidden: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(classes * hidden);
  for (let c = 0; c < classes; c++) {
    const offset = Math.log(1 + c); // class frequency: the same in every model trained on these data
    const scale = 1 + (c % 7) / 3;
    for (let h = 0; h < hidden; h++) x[c * hidden + h] = offset + scale * gauss(r);
  }
  return x;
}

describe("tensor independence test (larger p of the two axes)", () => {
  it("stays calibrated when one axis (classes) is not exchangeable, where the row-only test fails", () => {
    const C = 48;
    const H = 64;
    let rowsOnly = 0;
    let both = 0;
    const trials = 300;
    for (let i = 0; i < trials; i++) {
      const a = head(C, H, 1000 + 2 * i);
      const b = head(C, H, 1001 + 2 * i);
      if (permutationTest({ a, b, rows: C, cols: H }, "rows")!.log10p <= -2) rowsOnly++;
      if (tensorIndependence({ a, b, rowsSampled: C, colsSampled: H })!.log10p <= -2) both++;
    }
    expect(rowsOnly / trials).toBeGreaterThan(0.5);
    expect(both / trials).toBeLessThanOrEqual(0.01 + 0.02);
  });

  it("a copy, and a per-unit rescaled copy, reject overwhelmingly with effect ~1", () => {
    const a = head(48, 64, 5);
    const r = rng(9);
    // Every unit (row) rescaled by a log-normal factor with sigma 4 (e^±8 and beyond).
    const factor = Array.from({ length: 48 }, () => Math.exp(4 * gauss(r)));
    const scaled = Float32Array.from(a, (v, i) => v * factor[Math.floor(i / 64)]!);
    for (const b of [a, scaled]) {
      const t = tensorIndependence({ a, b, rowsSampled: 48, colsSampled: 64 })!;
      expect(t.log10p).toBeLessThan(-50);
    }
    expect(tensorIndependence({ a, b: a, rowsSampled: 48, colsSampled: 64 })!.effect).toBeCloseTo(1, 6);
  });

  it("a negated copy is still a copy (two-sided)", () => {
    const a = head(32, 32, 3);
    const t = tensorIndependence({ a, b: Float32Array.from(a, (v) => -v), rowsSampled: 32, colsSampled: 32 })!;
    // 32 units: no permutation p goes below 1/32! (1e-35.4); the exact bound gets within a factor 4.
    expect(t.log10p).toBeLessThan(-34);
    expect(t.log10p).toBeGreaterThanOrEqual(-35.5);
    expect(t.effect).toBeCloseTo(-1, 6);
  });
});
