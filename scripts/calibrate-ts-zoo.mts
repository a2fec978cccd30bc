// Calibration on the zoo trained in TypeScript (test/helpers/train-zoo.ts), larger than CI's: the CI
// zoo's architectures with `--scale N` times the seeds (N·50 disjoint independent pairs), trained or
// reused in ZOO_DIR, every pair through the real CLI, then P(p <= alpha) per tensor overall, per pair
// (Bonferroni), by relation, architecture and role; the search's held-out test, the p the decision
// uses, and the components' combined p. Usage:
//   node --import tsx scripts/calibrate-ts-zoo.mts ZOO_DIR [--scale N] [--out FILE.txt]
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { components, formatRates, pairRates, rates, searchLog10p, stage, usedLog10p, zooPValues } from "../test/helpers/calibration.js";
import { CI_ZOO, type ZooSpec, trainZoo } from "../test/helpers/train-zoo.js";

const args = process.argv.slice(2);
const dir = args.find((a, i) => !a.startsWith("--") && !["--scale", "--out"].includes(args[i - 1] ?? ""));
if (!dir) throw new Error("usage: calibrate-ts-zoo.mts ZOO_DIR [--scale N] [--out FILE.txt]");
const scale = args.includes("--scale") ? Number(args[args.indexOf("--scale") + 1]) : 1;
if (!Number.isInteger(scale) || scale < 1) throw new Error("--scale must be a positive integer");
const outFile = args.includes("--out") ? args[args.indexOf("--out") + 1] : null;

const spec: ZooSpec = { plans: CI_ZOO.plans.map((p) => ({ ...p, seeds: p.seeds * scale })) };
const started = performance.now();
const zoo = await trainZoo(dir, spec, (line) => process.stderr.write(line + "\n"));
const trained = performance.now();
const reports = path.join(dir, "reports");
await mkdir(reports, { recursive: true });
const results = await zooPValues(dir, zoo.pairs, reports);
const independent = results.filter((r) => r.pair.relation !== "derived");
const derived = results.filter((r) => r.pair.relation === "derived");
const ALPHAS = [0.1, 0.01, 0.001];
const minP = (r: (typeof results)[number]) => Math.min(0, ...r.tensors.filter((t) => t.log10p !== null).map((t) => t.log10p!));
const text = [
  `zoo ${dir} (scale ${scale}): ${zoo.models.length} models (${zoo.reused} reused), training ${zoo.seconds.toFixed(1)} s (wall ${((trained - started) / 1000).toFixed(1)} s); ` +
    `${independent.length} independent pairs, ${derived.length} derived; engine ${((performance.now() - trained) / 1000).toFixed(1)} s`,
  "",
  "direct test, per tensor (and per pair, Bonferroni):",
  formatRates([...rates(independent, ALPHAS), ...pairRates(independent, ALPHAS)]),
  "",
  "alignment search's held-out test, per tensor:",
  formatRates(rates(stage(independent, searchLog10p), ALPHAS)),
  "",
  "tensor p-value as the decision uses it:",
  formatRates(rates(stage(independent, usedLog10p), ALPHAS)),
  "",
  "component, Cauchy combination:",
  formatRates(rates(components(independent), ALPHAS)),
  "",
  formatRates([...rates(independent, ALPHAS, (_, p) => p.pair.relation), ...rates(independent, ALPHAS, (_, p) => p.pair.arch)]),
  "",
  formatRates(rates(independent, ALPHAS, (t) => t.role)),
  "",
  formatRates(rates(independent, ALPHAS, (t, p) => `${t.role} ${p.pair.relation}`)),
  "",
  `derived: smallest log10 p ${derived.map((d) => `${d.pair.candidate} ${minP(d).toFixed(1)}`).join(", ")}`,
  `verdicts, independent: ${JSON.stringify(Object.fromEntries(["independent", "reused", "inconclusive"].map((v) => [v, independent.filter((r) => r.verdict === v).length])))}; derived: ${JSON.stringify(Object.fromEntries(["independent", "reused", "inconclusive"].map((v) => [v, derived.filter((r) => r.verdict === v).length])))}`,
].join("\n");
process.stdout.write(text + "\n");
if (outFile) await writeFile(outFile, text + "\n");
