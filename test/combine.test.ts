/**
 * The Cauchy combination and the family correction: exact under independence,
 * equal to the piece when there is one, robust to p ≈ 1, and usable at the
 * p-values copies reach (10^-3000) without underflow.
 */
import { describe, expect, it } from "vitest";
import { bonferroniLog10, cauchyCombineLog10, combineLog10 } from "../src/stats/combine.js";
import { xorshiftOpen } from "./helpers/xorshift.js";

const rng = xorshiftOpen;

describe("Cauchy combination", () => {
  it("is the piece itself for one piece, and for identical pieces", () => {
    expect(cauchyCombineLog10([-3.5])).toBeCloseTo(-3.5, 10);
    expect(cauchyCombineLog10([-4, -4, -4, -4])).toBeCloseTo(-4, 3);
    expect(cauchyCombineLog10([])).toBe(0);
  });

  it("keeps copies' p-values in log space (no underflow), about min p over k", () => {
    const lp = cauchyCombineLog10([-3000, -0.1, -0.5, -0.2]);
    expect(lp).toBeGreaterThan(-3000.7);
    expect(lp).toBeLessThan(-2999);
    expect(cauchyCombineLog10([-3000, -2000])).toBeCloseTo(-3000 + Math.log10(2), 6);
  });

  it("is calibrated for independent uniform pieces: P(p <= alpha) ~ alpha", () => {
    const r = rng(7);
    const trials = 20000;
    for (const k of [2, 8, 30]) {
      let at10 = 0;
      let at01 = 0;
      for (let i = 0; i < trials; i++) {
        const lp = cauchyCombineLog10(Array.from({ length: k }, () => Math.log10(r())));
        if (lp <= -1) at10++;
        if (lp <= -2) at01++;
      }
      // Pieces held at p <= 0.999 make it slightly liberal at most; conservative otherwise.
      expect(at10 / trials, `k ${k}`).toBeLessThan(0.1 + 0.008);
      expect(at10 / trials, `k ${k}`).toBeGreaterThan(0.07);
      expect(at01 / trials, `k ${k}`).toBeLessThan(0.01 + 0.003);
    }
  });

  it("stays valid when the pieces are perfectly dependent (all equal)", () => {
    const r = rng(11);
    let hits = 0;
    for (let i = 0; i < 20000; i++) {
      const p = Math.log10(r());
      if (cauchyCombineLog10([p, p, p, p, p]) <= -2) hits++;
    }
    expect(hits / 20000).toBeLessThan(0.013);
  });

  it("a piece at p = 1 does not wipe out strong evidence", () => {
    expect(cauchyCombineLog10([-12, 0, 0, 0])).toBeLessThan(-10);
  });
});

describe("Bonferroni over the family", () => {
  it("multiplies by the family size and caps at 1", () => {
    expect(bonferroniLog10(-8, 100)).toBeCloseTo(-6, 10);
    expect(bonferroniLog10(-1, 1000)).toBe(0);
    expect(bonferroniLog10(-5, 0)).toBe(-5);
  });
});

describe("the component's combination (Cauchy or min-p, paid twice)", () => {
  it("is not dragged by many pieces at p ~ 1: one strong piece among 40 null ones still counts", () => {
    const pieces = [-4, ...Array.from({ length: 40 }, () => -0.0004)];
    // The Cauchy alone is pulled towards 1 by 40 terms of about -318 each.
    expect(cauchyCombineLog10(pieces)).toBeGreaterThan(-0.5);
    const c = combineLog10(pieces);
    expect(c.rule).toBe("min-p");
    expect(c.log10p).toBeCloseTo(-4 + Math.log10(41) + Math.log10(2), 6);
  });

  it("keeps the Cauchy's power when evidence is spread over many pieces", () => {
    const c = combineLog10(Array.from({ length: 20 }, () => -4));
    expect(c.rule).toBe("cauchy");
    expect(c.log10p).toBeCloseTo(-4 + Math.log10(2), 2);
  });

  it("is calibrated under independence and under perfect dependence", () => {
    const r = rng(5);
    const trials = 20000;
    for (const k of [2, 10, 40]) {
      let at10 = 0;
      let at01 = 0;
      let equal01 = 0;
      for (let i = 0; i < trials; i++) {
        if (combineLog10(Array.from({ length: k }, () => Math.log10(r()))).log10p <= -1) at10++;
        const lp = Math.log10(r());
        if (combineLog10(Array.from({ length: k }, () => lp)).log10p <= -2) equal01++;
        if (combineLog10(Array.from({ length: k }, () => Math.log10(r()))).log10p <= -2) at01++;
      }
      expect(at10 / trials, `k ${k}`).toBeLessThan(0.1);
      expect(at01 / trials, `k ${k}`).toBeLessThan(0.01);
      expect(equal01 / trials, `k ${k}`).toBeLessThan(0.01);
    }
  });
});
