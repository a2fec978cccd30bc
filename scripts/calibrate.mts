// Calibration of the per-tensor tests on a model zoo (scripts/train-zoo.py, docs/calibration-zoo.md):
// every independent pair of the zoo through the real engine, then P(p <= alpha) per tensor and per
// component (Bonferroni over the component's tensors), for the permutation test and for the legacy z
// read as a normal score; derived pairs give the power. Usage:
//   node --import tsx scripts/calibrate.mts ZOO_DIR [--primary] [--disjoint] [--out FILE.md]
// --disjoint keeps independent pairs in which no model appears twice (independent draws: every
// tensor of a pair still shares its two models, so count pairs, not tensors, as the sample size).
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runCheck } from "../src/engine/engine.js";
import { parseSettings } from "../src/settings/settings.js";
import { normalTailLog10 } from "../src/stats/pvalues.js";
import { createSource } from "../src/sources/parse-source.js";
import type { Report } from "../src/report/schema.js";

interface Pair { candidate: string; reference: string; ground_truth: string; arch: string; primary: boolean }
const args = process.argv.slice(2);
const zoo = args.find((a) => !a.startsWith("--"));
if (!zoo) throw new Error("usage: calibrate.mts ZOO_DIR [--primary] [--disjoint] [--out FILE.md]");
const outFile = args.includes("--out") ? args[args.indexOf("--out") + 1] : null;
const manifest = JSON.parse(await readFile(path.join(zoo, "manifest.json"), "utf8")) as { pairs: Pair[] };
let pairs = manifest.pairs.filter((p) => !args.includes("--primary") || p.primary);
if (args.includes("--disjoint")) {
  const used = new Set<string>();
  pairs = pairs.filter((p) => {
    if (!p.ground_truth.startsWith("independent")) return true;
    if (used.has(p.candidate) || used.has(p.reference)) return false;
    used.add(p.candidate);
    used.add(p.reference);
    return true;
  });
}
const ALPHAS = [0.1, 0.01, 0.001];

type Stage = "permutation" | "legacy z";
const perTensor: Record<string, Record<Stage, number[]>> = {};
const perComponent: Record<string, Record<Stage, number[]>> = {};
const verdicts: Record<string, Record<string, number>> = {};
const add = (table: typeof perTensor, truth: string, stage: Stage, log10p: number) => {
  table[truth] ??= { permutation: [], "legacy z": [] };
  table[truth]![stage].push(log10p);
};
const silent = { info: () => {}, warn: () => {} };
let done = 0;
const started = Date.now();
for (const p of pairs) {
  const settings = parseSettings({ candidate: path.join(zoo, p.candidate), references: [path.join(zoo, p.reference)] });
  const { report } = (await runCheck(settings, {
    openSource: (s) => createSource(s, { endpoint: settings.endpoint, token: null }),
    logger: silent,
    now: () => Date.now(),
  })) as { report: Report };
  const truth = p.ground_truth.startsWith("independent") ? "independent" : p.ground_truth;
  verdicts[truth] ??= {};
  verdicts[truth]![report.verdict] = (verdicts[truth]![report.verdict] ?? 0) + 1;
  for (const c of report.references[0]!.components) {
    const mins: Record<Stage, { min: number; k: number }> = { permutation: { min: 0, k: 0 }, "legacy z": { min: 0, k: 0 } };
    for (const t of c.tensors) {
      if (!t.informative || t.error) continue;
      if (t.permutation) {
        add(perTensor, truth, "permutation", t.permutation.log10p);
        mins.permutation.min = Math.min(mins.permutation.min, t.permutation.log10p);
        mins.permutation.k++;
      }
      // The legacy z (direct stage) read as a two-sided normal score, as the README once did.
      const z = t.direct ? t.direct.z : t.log10p === undefined ? t.z : null;
      if (z !== null && z !== undefined) {
        const lp = Math.min(0, Math.log10(2) + normalTailLog10(Math.abs(z)));
        add(perTensor, truth, "legacy z", lp);
        mins["legacy z"].min = Math.min(mins["legacy z"].min, lp);
        mins["legacy z"].k++;
      }
    }
    for (const stage of ["permutation", "legacy z"] as Stage[]) {
      if (mins[stage].k) add(perComponent, truth, stage, Math.min(0, mins[stage].min + Math.log10(mins[stage].k)));
    }
  }
  done++;
  if (done % 20 === 0) process.stderr.write(`${done}/${pairs.length} pairs, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

const rate = (xs: number[], a: number) => xs.filter((x) => x <= Math.log10(a)).length / Math.max(1, xs.length);
const lines: string[] = [];
lines.push(`Zoo: ${zoo} (${pairs.length} pairs${args.includes("--primary") ? ", primary only" : ""}${args.includes("--disjoint") ? ", disjoint independent pairs" : ""}); ${((Date.now() - started) / 1000).toFixed(0)} s.`, "");
lines.push("| ground truth | level | test | n | " + ALPHAS.map((a) => `P(p ≤ ${a})`).join(" | ") + " |");
lines.push("|---|---|---|---|" + ALPHAS.map(() => "---").join("|") + "|");
for (const [name, table] of [["tensor", perTensor], ["component (Bonferroni)", perComponent]] as const) {
  for (const truth of Object.keys(table).sort()) {
    for (const stage of ["permutation", "legacy z"] as Stage[]) {
      const xs = table[truth]![stage];
      lines.push(`| ${truth} | ${name} | ${stage} | ${xs.length} | ${ALPHAS.map((a) => rate(xs, a).toFixed(4)).join(" | ")} |`);
    }
  }
}
lines.push("", "Verdicts of the current decision rule: " + Object.entries(verdicts).map(([t, v]) => `${t}: ${JSON.stringify(v)}`).join("; "));
const text = lines.join("\n") + "\n";
process.stdout.write(text);
if (outFile) await writeFile(outFile, text);
