/**
 * The component's combination (a truncated Cauchy combination) and the family correction: calibrated under
 * independence, under strong dependence and under perfect dependence, equal to the piece when there is one,
 * not dragged by pieces at p ~ 1, and usable at the p-values copies reach (10^-3000) without underflow.
 */
import { describe, expect, it } from "vitest";
import { bonferroniLog10, combineLog10, weightedLog10 } from "../src/stats/combine.js";
import { normalTailLog10 } from "../src/stats/pvalues.js";
import { xorshiftOpen } from "./helpers/xorshift.js";

const rng = xorshiftOpen;
const combined = (lps: number[]) => combineLog10(lps).log10p;

/** A standard normal draw (Box-Muller) from a uniform source. */
function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
}

/** P(p <= alpha) over `trials` draws of k pieces, each the one-sided p of a normal score with correlation rho. */
function rejectionRates(k: number, rho: number, trials: number, seed: number): { at10: number; at01: number; at001: number } {
  const r = rng(seed);
  let at10 = 0, at01 = 0, at001 = 0;
  for (let i = 0; i < trials; i++) {
    const shared = normal(r);
    const lps = Array.from({ length: k }, () => {
      const z = Math.sqrt(rho) * shared + Math.sqrt(1 - rho) * normal(r);
      return z > 0 ? normalTailLog10(z) : Math.log10(1 - 10 ** normalTailLog10(-z));
    });
    const lp = combined(lps);
    if (lp <= -1) at10++;
    if (lp <= -2) at01++;
    if (lp <= -3) at001++;
  }
  return { at10: at10 / trials, at01: at01 / trials, at001: at001 / trials };
}

/** Binomial upper bound: alpha plus 3 standard errors at n trials. */
const upper = (alpha: number, n: number) => alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / n);

describe("the component's combination (truncated Cauchy)", () => {
  it("is the piece itself for one piece, 1 for none, and about the piece for identical strong pieces", () => {
    expect(combined([-3.5])).toBeCloseTo(-3.5, 10);
    expect(combined([])).toBe(0);
    expect(combined([-4, -4, -4, -4])).toBeLessThan(-3.9);
    expect(combined([-4, -4, -4, -4])).toBeGreaterThan(-4.1);
  });

  it("keeps copies' p-values in log space (no underflow), about min p times k", () => {
    const lp = combined([-3000, -0.1, -0.5, -0.2]);
    expect(lp).toBeGreaterThan(-3000);
    expect(lp).toBeLessThan(-2999);
    expect(combined([-3000, -2000])).toBeCloseTo(-3000 + Math.log10(2) + Math.log10(1.1), 6);
  });

  it("is not dragged by many pieces at p ~ 1: one strong piece among 40 null ones still counts, like k * min p", () => {
    const pieces = [-6, ...Array.from({ length: 40 }, () => -0.0004)];
    const lp = combined(pieces);
    expect(lp).toBeLessThan(-6 + Math.log10(41) + 0.1);
    expect(lp).toBeGreaterThan(-6);
    expect(combined([-12, 0, 0, 0])).toBeLessThan(-11);
  });

  it("adds up moderate evidence spread over many pieces (beyond what min p gives)", () => {
    const lp = combined(Array.from({ length: 20 }, () => -4));
    expect(lp).toBeLessThan(-4 + Math.log10(20) - 1);
  });

  it("its null p is not piled at 1: independent uniform pieces give a median near 1/2", () => {
    const r = rng(3);
    const ps = Array.from({ length: 4000 }, () => 10 ** combined(Array.from({ length: 30 }, () => Math.log10(r())))).sort((a, b) => a - b);
    const median = ps[2000]!;
    expect(median).toBeGreaterThan(0.4);
    expect(median).toBeLessThan(0.75);
  });

  it("is calibrated: P(p <= alpha) <= alpha within binomial error at 0.1 / 0.01 / 0.001, independent or correlated pieces", () => {
    const trials = 20000;
    for (const [k, rho, seed] of [[2, 0, 5], [10, 0, 6], [60, 0, 7], [10, 0.9, 8], [60, 0.5, 9]] as const) {
      const rates = rejectionRates(k, rho, trials, seed);
      expect(rates.at10, `k ${k} rho ${rho}`).toBeLessThan(upper(0.1, trials));
      expect(rates.at01, `k ${k} rho ${rho}`).toBeLessThan(upper(0.01, trials));
      expect(rates.at001, `k ${k} rho ${rho}`).toBeLessThan(upper(0.001, trials));
    }
  });

  it("stays valid when the pieces are perfectly dependent (all equal)", () => {
    const r = rng(11);
    let at01 = 0;
    let at10 = 0;
    for (let i = 0; i < 20000; i++) {
      const p = Math.log10(r());
      const lp = combined([p, p, p, p, p, p, p, p]);
      if (lp <= -2) at01++;
      if (lp <= -1) at10++;
    }
    expect(at01 / 20000).toBeLessThan(0.01);
    expect(at10 / 20000).toBeLessThan(0.1);
  });
});

describe("weighted Bonferroni over looks", () => {
  it("divides a look's p by its weight and caps at 1", () => {
    expect(weightedLog10(-5, 0.1)).toBeCloseTo(-4, 10);
    expect(weightedLog10(-0.01, 0.9)).toBe(0);
  });

  it("the smaller of p/0.9 and q/0.1 is valid when both looks are null", () => {
    const r = rng(13);
    let hits = 0;
    for (let i = 0; i < 20000; i++) if (Math.min(weightedLog10(Math.log10(r()), 0.9), weightedLog10(Math.log10(r()), 0.1)) <= -2) hits++;
    expect(hits / 20000).toBeLessThan(upper(0.01, 20000));
  });
});

describe("Bonferroni over the family", () => {
  it("multiplies by the family size and caps at 1", () => {
    expect(bonferroniLog10(-8, 100)).toBeCloseTo(-6, 10);
    expect(bonferroniLog10(-1, 1000)).toBe(0);
    expect(bonferroniLog10(-5, 0)).toBe(-5);
  });
});
