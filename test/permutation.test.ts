/**
 * The per-tensor permutation test: Hoeffding's exact moments agree with
 * Monte-Carlo permutations, its p-values are valid under H0 even with heavy
 * units and a structure both models share, and a copy stands far out.
 */
import { describe, expect, it } from "vitest";
import { permutationTest, standardised } from "../src/stats/permutation.js";
import { xorshift } from "./helpers/xorshift.js";

const rng = xorshift;
function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}
/**
 * n units of m features, stored [n, m] (axis "rows") or [m, n] (axis "cols"). What H0 allows both models
 * to share: a structure that is the same for every unit (a common mean unit) and heavy *features* (the
 * same token rows heavy in both, as special tokens are). Which units come out heavy (x40) is the model's
 * own draw, as it is for hidden units trained from a random initialisation.
 */
function model(n: number, m: number, seed: number, shared: Float32Array, axis: "rows" | "cols" = "rows", heavyUnits = 2): Float32Array {
  const r = rng(seed);
  const heavy = new Set(Array.from({ length: heavyUnits }, () => Math.floor(r() * n)));
  const x = new Float32Array(n * m);
  for (let u = 0; u < n; u++) {
    for (let k = 0; k < m; k++) {
      const scale = (heavy.has(u) ? 40 : 1) * (k % 16 === 0 ? 30 : 1);
      x[axis === "rows" ? u * m + k : k * n + u] = scale * gauss(r) + shared[k]!;
    }
  }
  return x;
}

describe("permutation test of independence", () => {
  it("Hoeffding's mean and variance match 4,000 random permutations of the units", () => {
    const n = 40;
    const m = 24;
    const shared = Float32Array.from({ length: m }, (_, k) => Math.sin(k));
    const a = model(n, m, 1, shared);
    const b = model(n, m, 2, shared);
    const t = permutationTest({ a, b, rows: n, cols: m }, "rows")!;
    // Monte Carlo: T under uniform permutations of b's units, on the same standardised units.
    const sa = standardised(a, n, m, m, "rows")!;
    const sb = standardised(b, n, m, m, "rows")!;
    const r = rng(7);
    const perm = Array.from({ length: n }, (_, i) => i);
    const stat = (p: number[]) => {
      let s = 0;
      // Feature-major: feature k of unit u at k * n + u.
      for (let u = 0; u < n; u++) for (let k = 0; k < m; k++) s += sa[k * n + u]! * sb[k * n + p[u]!]!;
      return s;
    };
    const values: number[] = [];
    for (let i = 0; i < 4000; i++) {
      for (let j = n - 1; j > 0; j--) {
        const k = Math.floor(r() * (j + 1));
        [perm[j], perm[k]] = [perm[k]!, perm[j]!];
      }
      values.push(stat(perm));
    }
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    const identity = stat(Array.from({ length: n }, (_, i) => i));
    // z from the Monte-Carlo moments equals the test's z (Monte-Carlo error on the moments ~2-3%).
    expect((identity - mean) / sd).toBeCloseTo(t.z, 1);
    expect(t.units).toBe(n);
    expect(t.features).toBe(m);
  });

  it("is valid under H0: independent pairs with heavy units and a shared mean unit reject at most at the nominal rate, on either axis", () => {
    const n = 64;
    const m = 48;
    const shared = Float32Array.from({ length: m }, (_, k) => 3 * Math.cos(k / 3));
    const trials = 600;
    let at10 = 0;
    let at01 = 0;
    for (let i = 0; i < trials; i++) {
      const axis = i % 2 ? "rows" : "cols";
      const [rows, cols] = axis === "rows" ? [n, m] : [m, n];
      const t = permutationTest({ a: model(n, m, 1000 + i, shared, axis), b: model(n, m, 5000 + i, shared, axis), rows, cols }, axis)!;
      if (t.log10p <= -1) at10++;
      if (t.log10p <= -2) at01++;
    }
    // Binomial slack: 600 trials, alpha 0.1 -> sd 0.012; alpha 0.01 -> sd 0.004.
    expect(at10 / trials).toBeLessThan(0.1 + 3 * 0.012);
    expect(at01 / trials).toBeLessThan(0.01 + 3 * 0.004);
  });

  it("a copy (noisy, rescaled, negated) stands far out; a constant side gives no test", () => {
    const n = 64;
    const m = 48;
    const shared = new Float32Array(m);
    const a = model(n, m, 11, shared, "rows", 0);
    const r = rng(3);
    const copy = a.map((v) => -0.5 * v + 0.5 * gauss(r));
    const t = permutationTest({ a, b: copy, rows: n, cols: m }, "rows")!;
    expect(t.z).toBeLessThan(-20);
    expect(t.log10p).toBeLessThan(-80);
    expect(permutationTest({ a, b: new Float32Array(n * m).fill(1), rows: n, cols: m }, "rows")).toBeNull();
  });
});
