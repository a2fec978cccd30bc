/**
 * Calibration of the per-tensor independence test, measured: a zoo of small
 * models trained here from scratch (test/helpers/train-zoo.ts: three
 * architectures, two datasets each, disjoint pairs of independently trained
 * models, fine-tunes as derived pairs) goes through the real CLI, and every
 * tensor's permutation p-value is read from the JSON report. Over the
 * independent pairs, P(p <= alpha) must stay within the 99.9% one-sided
 * binomial bound of Binomial(n, alpha) at alpha = 0.1 and 0.01; every derived
 * pair must have a tensor with p <= 1e-6.
 *
 * FROMSCRATCH_ZOO_DIR=DIR keeps the zoo in DIR between runs (trainZoo reuses
 * what matches); without it the zoo is trained in a temp folder.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type PairP, type RateRow, binomialQuantile, formatRates, pairRates, rates, zooPValues } from "./helpers/calibration.js";
import { tempDir } from "./helpers/temp.js";
import { CI_ZOO, type Zoo, trainZoo } from "./helpers/train-zoo.js";

const ALPHAS = [0.1, 0.01];

describe("binomialQuantile", () => {
  it("is the exact quantile (values of scipy.stats.binom.ppf(0.999, n, p))", () => {
    expect(binomialQuantile(100, 0.1, 0.999)).toBe(20);
    expect(binomialQuantile(216, 0.1, 0.999)).toBe(36);
    expect(binomialQuantile(216, 0.01, 0.999)).toBe(8);
    expect(binomialQuantile(50, 0.1, 0.999)).toBe(13);
    expect(binomialQuantile(1000, 0.001, 0.999)).toBe(5);
    expect(binomialQuantile(5, 0.5, 0.999)).toBe(5);
    expect(binomialQuantile(0, 0.1, 0.999)).toBe(0);
  });
});

describe("calibration on a zoo trained from scratch (per-tensor permutation test)", () => {
  let zoo: Zoo;
  let independent: PairP[];
  let derived: PairP[];
  let tensorRows: RateRow[];

  beforeAll(async () => {
    const started = performance.now();
    const dir = process.env.FROMSCRATCH_ZOO_DIR || (await tempDir("calibration-zoo"));
    zoo = await trainZoo(dir, CI_ZOO);
    const trained = performance.now();
    const results = await zooPValues(dir, zoo.pairs, await tempDir("calibration-reports"));
    independent = results.filter((r) => r.pair.relation !== "derived");
    derived = results.filter((r) => r.pair.relation === "derived");
    tensorRows = rates(independent, ALPHAS);
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      [
        `calibration zoo: ${zoo.models.length} models (${zoo.reused} reused), training ${zoo.seconds.toFixed(1)} s; ` +
          `${independent.length} independent pairs, ${derived.length} derived; engine ${seconds(performance.now() - trained)}, total ${seconds(performance.now() - started)}`,
        "",
        "P(p <= alpha) per tensor over the independent pairs (bound: 99.9% binomial quantile of Binomial(n, alpha)):",
        formatRates([...tensorRows, ...pairRates(independent, ALPHAS)]),
        "",
        "by relation and architecture:",
        formatRates([...rates(independent, ALPHAS, (_, p) => p.pair.relation), ...rates(independent, ALPHAS, (_, p) => p.pair.arch)]),
        "",
        "by role:",
        formatRates(rates(independent, ALPHAS, (t) => t.role)),
        "",
        "derived pairs (fine-tune vs base), smallest log10 p: " + derived.map((d) => `${d.pair.candidate} ${minLog10p(d).toFixed(1)}`).join(", "),
      ].join("\n"),
    );
  }, 600_000);

  it("has at least 50 disjoint independent pairs, each with tested tensors", () => {
    expect(independent.length).toBeGreaterThanOrEqual(50);
    const names = independent.flatMap((r) => [r.pair.candidate, r.pair.reference]);
    expect(new Set(names).size).toBe(names.length);
    for (const r of independent) expect(r.tensors.some((t) => t.informative && t.log10p !== null), r.pair.candidate).toBe(true);
  });

  it.each(ALPHAS)("independent pairs: P(p <= %s) per tensor within the binomial bound", (alpha) => {
    const row = tensorRows.find((r) => r.alpha === alpha)!;
    expect(row.n).toBeGreaterThanOrEqual(150);
    expect(row.count, `${row.count} of ${row.n} tensors at p <= ${alpha} (rate ${row.rate.toFixed(4)}); the 99.9% bound is ${row.bound}`).toBeLessThanOrEqual(row.bound);
  });

  it("derived pairs (a fine-tune against its base): some tensor at p <= 1e-6", () => {
    expect(derived.length).toBeGreaterThanOrEqual(3);
    for (const d of derived) expect(minLog10p(d), d.pair.candidate).toBeLessThanOrEqual(-6);
  });
});

function minLog10p(r: PairP): number {
  return Math.min(0, ...r.tensors.filter((t) => t.log10p !== null).map((t) => t.log10p!));
}
