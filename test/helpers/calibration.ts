/**
 * The calibration harness: run pairs of models through the real CLI
 * (in-process, as a user would), collect every tensor's per-tensor p-value
 * from the JSON report, and tabulate P(p <= alpha) against an exact one-sided
 * binomial bound. Used by test/calibration.test.ts on the TypeScript zoo
 * (test/helpers/train-zoo.ts); a script can call the same functions on any
 * zoo.json.
 */
import path from "node:path";
import type { Report, TensorResult } from "../../src/report/schema.js";
import { readReport, runCli } from "./run-cli.js";
import type { ZooPair } from "./train-zoo.js";

/** One tensor of one pair: its p-value, or null when the engine reported none. */
export interface TensorP {
  /** Candidate tensor name. */
  tensor: string;
  /** Short role: embed, q, k, v, o, gate, up, down, lm_head, fc1..fc3, else the engine's role. */
  role: string;
  component: string;
  /** A matrix the engine counts as evidence (it tests only these). */
  informative: boolean;
  /** log10 of the per-tensor permutation p-value; null when missing (errors, or no test for it). */
  log10p: number | null;
}

export interface PairP {
  pair: ZooPair;
  verdict: Report["verdict"];
  tensors: TensorP[];
  /** The whole report, for other stages' p-values (see `stage`). */
  report: Report;
}

/** The short role of a tensor name, for tables by role. */
export function roleLabel(name: string, engineRole = ""): string {
  const m = /(embed_tokens|lm_head|[qkvo]_proj|gate_proj|up_proj|down_proj)\.weight$/.exec(name);
  if (m) return m[1] === "embed_tokens" ? "embed" : m[1] === "lm_head" ? "lm_head" : m[1]!.replace(/_proj$/, "");
  const fc = /(?:^|\.)(fc\d+)\.weight$/.exec(name);
  if (fc) return fc[1]!;
  return engineRole || name;
}

/** What a p-value harness reads of a tensor's result. */
export type PValueOf = (t: TensorResult) => number | null | undefined;
/** The direct (element-wise) test. */
export const permutationLog10p: PValueOf = (t) => t.permutation?.log10p;
/** The alignment search's held-out test (absent where the search did not look at the tensor). */
export const searchLog10p: PValueOf = (t) => t.aligned?.log10p;
/** The tensor's p-value as the decision uses it (both looks paid for). */
export const usedLog10p: PValueOf = (t) => (t.deterministic && !t.deterministic.residualTested ? null : t.log10p);

/** The same pairs with another stage's p-values (shared constructions are not tested: left out). */
export function stage(pairs: PairP[], pValueOf: PValueOf): PairP[] {
  return pairs.map((p) => ({ ...p, tensors: tensorsOf(p.report, pValueOf).filter((t) => t.log10p !== null) }));
}

/** Per component: the combined p-value (Cauchy over its tensors), as one "tensor" per component. */
export function components(pairs: PairP[]): PairP[] {
  return pairs.map((p) => ({
    ...p,
    tensors: p.report.references.flatMap((r) =>
      r.components.filter((c) => c.log10p !== undefined).map((c) => ({ tensor: c.name, role: c.name, component: c.name, informative: true, log10p: c.log10p! })),
    ),
  }));
}

function tensorsOf(report: Report, pValueOf: PValueOf): TensorP[] {
  const tensors: TensorP[] = [];
  for (const ref of report.references) {
    for (const c of ref.components) {
      for (const t of c.tensors) {
        const p = t.error ? null : pValueOf(t);
        tensors.push({ tensor: t.candidate, role: roleLabel(t.candidate, t.role), component: c.name, informative: t.informative, log10p: typeof p === "number" && Number.isFinite(p) ? p : null });
      }
    }
  }
  return tensors;
}

/**
 * Check one pair with the real CLI (`check --candidate --reference --report --quiet`) and read every
 * tensor's p-value from the report. `reportFile` is where the report goes (left there).
 */
export async function pairPValues(pair: ZooPair, zooDir: string, reportFile: string, pValueOf: PValueOf = permutationLog10p): Promise<PairP> {
  const run = await runCli(["check", "--candidate", path.join(zooDir, pair.candidate), "--reference", path.join(zooDir, pair.reference), "--report", reportFile, "--quiet"]);
  // Exit 0 = independent, 1 = reused (the gate); anything else is a failure of the run.
  if (run.code !== 0 && run.code !== 1) throw new Error(`check ${pair.candidate} vs ${pair.reference} exited ${run.code}: ${run.stderr}`);
  const report = await readReport(reportFile);
  return { pair, verdict: report.verdict, tensors: tensorsOf(report, pValueOf), report };
}

/** Every pair of a zoo, in order; reports go to `workDir/NNN.json`. */
export async function zooPValues(zooDir: string, pairs: ZooPair[], workDir: string, pValueOf: PValueOf = permutationLog10p): Promise<PairP[]> {
  const out: PairP[] = [];
  for (let i = 0; i < pairs.length; i++) out.push(await pairPValues(pairs[i]!, zooDir, path.join(workDir, `${String(i).padStart(3, "0")}.json`), pValueOf));
  return out;
}

// ---------------------------------------------------------------------------
// Exact binomial bound.

/** Smallest k with P(X <= k) >= q for X ~ Binomial(n, p) (exact, summed in log space). */
export function binomialQuantile(n: number, p: number, q: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  const logRatio = Math.log(p) - Math.log1p(-p);
  let logPmf = n * Math.log1p(-p);
  let cdf = 0;
  for (let k = 0; k <= n; k++) {
    cdf += Math.exp(logPmf);
    if (cdf >= q) return k;
    logPmf += Math.log((n - k) / (k + 1)) + logRatio;
  }
  return n;
}

/** Confidence of the one-sided bound: calibration is rejected only past the 99.9% quantile. */
export const BOUND_CONFIDENCE = 0.999;

export interface RateRow {
  /** What the row counts: "all", a role, an arch, a relation. */
  group: string;
  alpha: number;
  /** p-values counted (tensors with a p-value). */
  n: number;
  /** Of them, p <= alpha. */
  count: number;
  rate: number;
  /** The BOUND_CONFIDENCE binomial quantile of count under Binomial(n, alpha). */
  bound: number;
  /** count <= bound. */
  ok: boolean;
  /** Informative tensors of the group without a p-value (not counted in n). */
  missing: number;
}

/** P(p <= alpha) over the informative tensors of `pairs`, grouped by `groupOf` (null: one group "all"). */
export function rates(pairs: PairP[], alphas: number[], groupOf: ((t: TensorP, p: PairP) => string) | null = null): RateRow[] {
  const groups = new Map<string, { ps: number[]; missing: number }>();
  for (const p of pairs) {
    for (const t of p.tensors) {
      if (!t.informative) continue;
      const g = groupOf ? groupOf(t, p) : "all";
      const e = groups.get(g) ?? { ps: [], missing: 0 };
      groups.set(g, e);
      if (t.log10p === null) e.missing++;
      else e.ps.push(t.log10p);
    }
  }
  const rows: RateRow[] = [];
  for (const [group, { ps, missing }] of groups) {
    for (const alpha of alphas) {
      const count = ps.filter((x) => x <= Math.log10(alpha)).length;
      const bound = binomialQuantile(ps.length, alpha, BOUND_CONFIDENCE);
      rows.push({ group, alpha, n: ps.length, count, rate: ps.length ? count / ps.length : 0, bound, ok: count <= bound, missing });
    }
  }
  return rows;
}

/**
 * One p-value per pair: the smallest over its informative tensors, Bonferroni-corrected (times their
 * number, capped at 1). With disjoint pairs these are independent draws, so the binomial bound is exact.
 */
export function pairRates(pairs: PairP[], alphas: number[]): RateRow[] {
  const ps: number[] = [];
  let missing = 0;
  for (const p of pairs) {
    const xs = p.tensors.filter((t) => t.informative && t.log10p !== null).map((t) => t.log10p!);
    if (!xs.length) {
      missing++;
      continue;
    }
    ps.push(Math.min(0, Math.min(...xs) + Math.log10(xs.length)));
  }
  return alphas.map((alpha) => {
    const count = ps.filter((x) => x <= Math.log10(alpha)).length;
    const bound = binomialQuantile(ps.length, alpha, BOUND_CONFIDENCE);
    return { group: "pair (Bonferroni min)", alpha, n: ps.length, count, rate: ps.length ? count / ps.length : 0, bound, ok: count <= bound, missing };
  });
}

/** A fixed-width table of rate rows, for logs. */
export function formatRates(rows: RateRow[]): string {
  const head = ["group", "alpha", "n", "count", "rate", "bound", "ok", "missing"];
  const body = rows.map((r) => [r.group, String(r.alpha), String(r.n), String(r.count), r.rate.toFixed(4), String(r.bound), r.ok ? "yes" : "NO", String(r.missing)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), ...body.map(line)].join("\n");
}
