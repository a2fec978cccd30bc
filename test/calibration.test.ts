/**
 * Calibration of the per-tensor independence test, measured: a zoo of small
 * models trained here from scratch (test/helpers/train-zoo.ts: three
 * architectures, two datasets each, disjoint pairs of independently trained
 * models, fine-tunes as derived pairs) goes through the real CLI, and every
 * p-value is read from the JSON report: the direct test, the alignment
 * search's held-out test, the tensor's p as the decision uses it, and each
 * component's combined p. Over the independent pairs, P(p <= alpha) must stay
 * within the 99.9% one-sided binomial bound of Binomial(n, alpha) at alpha =
 * 0.1, 0.01 and 0.001 for each; no independent pair may be `reused`, every
 * derived pair must be, with a component at p <= 1e-6.
 *
 * FROMSCRATCH_ZOO_DIR=DIR keeps the zoo in DIR between runs (trainZoo reuses
 * what matches); without it the zoo is trained in a temp folder.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type PairP, binomialQuantile, components, formatRates, rates, searchLog10p, stage, usedLog10p, zooPValues } from "./helpers/calibration.js";
import { tempDir } from "./helpers/temp.js";
import { CI_ZOO, type Zoo, trainZoo } from "./helpers/train-zoo.js";

const ALPHAS = [0.1, 0.01, 0.001];

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

describe("calibration on a zoo trained from scratch (both stages, per tensor and per component)", () => {
  let zoo: Zoo;
  let independent: PairP[];
  let derived: PairP[];
  const stages: Record<string, PairP[]> = {};

  beforeAll(async () => {
    const started = performance.now();
    const dir = process.env.FROMSCRATCH_ZOO_DIR || (await tempDir("calibration-zoo"));
    zoo = await trainZoo(dir, CI_ZOO);
    const trained = performance.now();
    const results = await zooPValues(dir, zoo.pairs, await tempDir("calibration-reports"));
    independent = results.filter((r) => r.pair.relation !== "derived");
    derived = results.filter((r) => r.pair.relation === "derived");
    stages.direct = independent;
    stages.search = stage(independent, searchLog10p);
    stages.tensor = stage(independent, usedLog10p);
    stages.component = components(independent);
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const table = (name: string, pairs: PairP[]) => [`${name}:`, formatRates(rates(pairs, ALPHAS)), ""];
    console.log(
      [
        `calibration zoo: ${zoo.models.length} models (${zoo.reused} reused), training ${zoo.seconds.toFixed(1)} s; ` +
          `${independent.length} independent pairs, ${derived.length} derived; engine ${seconds(performance.now() - trained)}, total ${seconds(performance.now() - started)}`,
        "",
        "P(p <= alpha) over the independent pairs (bound: 99.9% binomial quantile of Binomial(n, alpha)):",
        ...table("direct test, per tensor", stages.direct),
        ...table("alignment search's held-out test, per tensor", stages.search),
        ...table("tensor p-value as the decision uses it", stages.tensor),
        ...table("component, Cauchy combination", stages.component),
        "by relation and architecture (direct):",
        formatRates([...rates(independent, ALPHAS, (_, p) => p.pair.relation), ...rates(independent, ALPHAS, (_, p) => p.pair.arch)]),
        "",
        "by role (direct):",
        formatRates(rates(independent, ALPHAS, (t) => t.role)),
        "",
        "verdicts: independent pairs " + JSON.stringify(count(independent.map((p) => p.verdict))) + ", derived " + JSON.stringify(count(derived.map((p) => p.verdict))),
        "derived pairs (fine-tune vs base), component log10 p: " + derived.map((d) => `${d.pair.candidate} ${minLog10p(components([d])[0]!).toFixed(1)}`).join(", "),
      ].join("\n"),
    );
  }, 600_000);

  it("has at least 50 disjoint independent pairs, each with tested tensors", () => {
    expect(independent.length).toBeGreaterThanOrEqual(50);
    const names = independent.flatMap((r) => [r.pair.candidate, r.pair.reference]);
    expect(new Set(names).size).toBe(names.length);
    for (const r of independent) expect(r.tensors.some((t) => t.informative && t.log10p !== null), r.pair.candidate).toBe(true);
  });

  const cases = ["direct", "search", "tensor", "component"].flatMap((name) => ALPHAS.map((alpha) => [name, alpha] as const));
  it.each(cases)("independent pairs, %s: P(p <= %s) within the binomial bound", (name, alpha) => {
    const row = rates(stages[name]!, [alpha])[0]!;
    expect(row.n).toBeGreaterThanOrEqual(name === "component" ? 50 : 150);
    expect(row.count, `${name}: ${row.count} of ${row.n} at p <= ${alpha} (rate ${row.rate.toFixed(4)}); the 99.9% bound is ${row.bound}`).toBeLessThanOrEqual(row.bound);
  });

  it("no independent pair is reused; every derived pair is, with a component at p <= 1e-6", () => {
    expect(independent.filter((p) => p.verdict === "reused").map((p) => p.pair.candidate)).toEqual([]);
    expect(derived.length).toBeGreaterThanOrEqual(3);
    for (const d of derived) {
      expect(d.verdict, d.pair.candidate).toBe("reused");
      expect(minLog10p(components([d])[0]!), d.pair.candidate).toBeLessThanOrEqual(-6);
    }
  });
});

function count(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

function minLog10p(r: PairP): number {
  return Math.min(0, ...r.tensors.filter((t) => t.log10p !== null).map((t) => t.log10p!));
}
