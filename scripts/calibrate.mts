// Calibration of the per-tensor tests on a model zoo (scripts/train-zoo.py, docs/calibration-zoo.md):
// every pair of the zoo through the real engine, then P(p <= alpha) per tensor (the direct test, the
// alignment search's held-out test, the p the decision uses, the schema-1 z read as a normal score) and
// per component (the Cauchy combination), on independent pairs; derived pairs give the power. Usage:
//   node --import tsx scripts/calibrate.mts ZOO_DIR [--primary] [--disjoint] [--out FILE.md] [--html FILE.html]
// --disjoint keeps independent pairs in which no model appears twice (independent draws: every
// tensor of a pair still shares its two models, so count pairs, not tensors, as the sample size).
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runCheck } from "../src/engine/engine.js";
import { parseSettings } from "../src/settings/settings.js";
import { normalTailLog10 } from "../src/stats/pvalues.js";
import { createSource } from "../src/sources/parse-source.js";
import type { Report } from "../src/report/schema.js";

// train-zoo.py names a pair's architecture `arch`; train-structured.py its `family`.
interface Pair { candidate: string; reference: string; ground_truth: string; arch?: string; family?: string; primary?: boolean }
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

const perTensor: Record<string, Record<string, number[]>> = {};
const perComponent: Record<string, Record<string, number[]>> = {};
const perFamily: Record<string, { component: number[]; verdicts: Record<string, number> }> = {};
const verdicts: Record<string, Record<string, number>> = {};
const byRole: Record<string, number[]> = {};
const add = (table: typeof perTensor, truth: string, stage: string, log10p: number) => {
  table[truth] ??= {};
  (table[truth]![stage] ??= []).push(log10p);
};
const silent = { info: () => {}, warn: () => {} };
let done = 0;
const started = Date.now();
for (const p of pairs) {
  // --sample F: sampled mode, where the streamed alignment search runs (src/search/stream-search.ts).
  const sample = args.includes("--sample") ? args[args.indexOf("--sample") + 1] : undefined;
  const settings = parseSettings({ candidate: path.join(zoo, p.candidate), references: [path.join(zoo, p.reference)], sample });
  const { report } = (await runCheck(settings, {
    openSource: (s) => createSource(s, { endpoint: settings.endpoint, token: null }),
    logger: silent,
    now: () => Date.now(),
  })) as { report: Report };
  const truth = p.ground_truth.startsWith("independent") ? "independent" : p.ground_truth;
  const family = `${p.arch ?? p.family ?? "?"} ${truth}`;
  const fam = (perFamily[family] ??= { component: [], verdicts: {} });
  fam.verdicts[report.verdict] = (fam.verdicts[report.verdict] ?? 0) + 1;
  verdicts[truth] ??= {};
  verdicts[truth]![report.verdict] = (verdicts[truth]![report.verdict] ?? 0) + 1;
  for (const c of report.references[0]!.components) {
    for (const t of c.tensors) {
      if (!t.informative || t.error || t.deterministic) continue;
      if (t.permutation) {
        add(perTensor, truth, "direct", t.permutation.log10p);
        if (truth === "independent") (byRole[`${p.arch ?? p.family} ${t.role.replace(/\.weight$/, "")}`] ??= []).push(t.permutation.log10p);
      }
      if (t.aligned) add(perTensor, truth, "search", t.aligned.log10p);
      if (t.log10p !== undefined) add(perTensor, truth, "tensor (used)", t.log10p);
      // The schema-1 z (same-kind controls) read as a two-sided normal score, as the README once did.
      if (t.null && t.null.sd > 0 && t.pearson !== null) {
        const z = (t.pearson - t.null.mean) / Math.max(t.null.sd, 1 / Math.sqrt(t.elements));
        add(perTensor, truth, "legacy z", Math.min(0, Math.log10(2) + normalTailLog10(Math.abs(z))));
      }
    }
    if (c.log10p !== undefined) add(perComponent, truth, "combined", c.log10p);
    fam.component.push(c.log10p ?? 0);
  }
  done++;
  if (done % 20 === 0) process.stderr.write(`${done}/${pairs.length} pairs, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

const rate = (xs: number[], a: number) => xs.filter((x) => x <= Math.log10(a)).length / Math.max(1, xs.length);
const lines: string[] = [];
lines.push(`Zoo: ${path.basename(zoo)} (${pairs.length} pairs${args.includes("--primary") ? ", primary only" : ""}${args.includes("--disjoint") ? ", disjoint independent pairs" : ""}); ${((Date.now() - started) / 1000).toFixed(0)} s.`, "");
lines.push("| ground truth | level | test | n | " + ALPHAS.map((a) => `P(p ≤ ${a})`).join(" | ") + " |");
lines.push("|---|---|---|---|" + ALPHAS.map(() => "---").join("|") + "|");
for (const [name, table] of [["tensor", perTensor], ["component", perComponent]] as const) {
  for (const truth of Object.keys(table).sort()) {
    for (const stage of Object.keys(table[truth]!)) {
      const xs = table[truth]![stage]!;
      lines.push(`| ${truth} | ${name} | ${stage} | ${xs.length} | ${ALPHAS.map((a) => rate(xs, a).toFixed(4)).join(" | ")} |`);
    }
  }
}
lines.push("", "| independent, direct test, by architecture and role | n | " + ALPHAS.map((a) => `P(p ≤ ${a})`).join(" | ") + " |", "|---|---|" + ALPHAS.map(() => "---").join("|") + "|");
for (const role of Object.keys(byRole).sort()) lines.push(`| ${role} | ${byRole[role]!.length} | ${ALPHAS.map((a) => rate(byRole[role]!, a).toFixed(3)).join(" | ")} |`);
lines.push("", "| family and ground truth | components | " + ALPHAS.map((a) => `P(p ≤ ${a})`).join(" | ") + " | median p | verdicts |", "|---|---|" + ALPHAS.map(() => "---").join("|") + "|---|---|");
for (const f of Object.keys(perFamily).sort()) {
  const xs = perFamily[f]!.component;
  const median = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  lines.push(`| ${f} | ${xs.length} | ${ALPHAS.map((a) => rate(xs, a).toFixed(3)).join(" | ")} | ${(10 ** median).toPrecision(2)} | ${JSON.stringify(perFamily[f]!.verdicts)} |`);
}
lines.push("", "Verdicts: " + Object.entries(verdicts).map(([t, v]) => `${t}: ${JSON.stringify(v)}`).join("; "));
const text = lines.join("\n") + "\n";
process.stdout.write(text);
if (outFile) await writeFile(outFile, text);

// A QQ plot per stage (independent pairs): -log10 of the observed p against -log10 of its expected
// uniform quantile. Points on or below the diagonal are calibrated (or conservative).
const htmlFile = args.includes("--html") ? args[args.indexOf("--html") + 1] : null;
if (htmlFile) {
  const stages = [...Object.entries(perTensor.independent ?? {}).map(([k, v]) => [`tensor: ${k}`, v] as const), ...Object.entries(perComponent.independent ?? {}).map(([k, v]) => [`component: ${k}`, v] as const)];
  const plots = stages.filter(([, xs]) => xs.length > 0).map(([name, xs]) => qqPlot(name, xs));
  const page = `<!doctype html><meta charset="utf-8"><title>fromscratch calibration</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:1100px}svg{margin:8px;border:1px solid #ddd}pre{background:#f6f6f6;padding:8px;overflow:auto}</style>
<h1>Calibration of fromscratch's tests</h1>
<p>Zoo: <code>${path.basename(zoo)}</code>, ${pairs.length} pairs. Each plot: independent pairs only; x = −log10 of the expected uniform quantile, y = −log10 of the observed p (sorted). On or under the diagonal: P(p ≤ α) ≤ α.</p>
${plots.join("\n")}
<pre>${text.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</pre>`;
  await writeFile(htmlFile, page);
}

function qqPlot(name: string, log10ps: number[]): string {
  const n = log10ps.length;
  const obs = [...log10ps].map((x) => -x).sort((a, b) => b - a);
  // Every point of the tail (the 100 smallest p), then at most 300 evenly spaced ones: the page stays small.
  const all = obs.map((o, i) => [-Math.log10((i + 0.5) / n), Math.min(o, 8)] as const);
  const step = Math.max(1, Math.floor(n / 300));
  const pts = all.filter((_, i) => i < 100 || i % step === 0);
  const max = Math.max(3, Math.ceil(Math.max(...pts.map((p) => Math.max(p[0], p[1])))));
  const W = 300, H = 300, L = 40, B = 30, T = 24;
  const sx = (x: number) => L + (x / max) * (W - L - 10);
  const sy = (y: number) => H - B - (y / max) * (H - B - T);
  const dots = pts.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2" fill="#1f77b4" fill-opacity="0.5"/>`).join("");
  const ticks = Array.from({ length: max + 1 }, (_, k) => `<text x="${sx(k)}" y="${H - 12}" font-size="10" text-anchor="middle">${k}</text><text x="${L - 6}" y="${sy(k) + 3}" font-size="10" text-anchor="end">${k}</text>`).join("");
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img"><title>${name}</title><text x="${L}" y="14" font-size="12">${name} (n ${n})</text><line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(max)}" y2="${sy(max)}" stroke="#999" stroke-dasharray="4 3"/>${ticks}${dots}<text x="${W / 2}" y="${H - 1}" font-size="10" text-anchor="middle">expected −log10 p</text></svg>`;
}
