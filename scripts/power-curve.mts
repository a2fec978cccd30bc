// Power against weak links: a continued-training series of the tiny fixture llm-a (every tensor moved
// to a target weight Pearson with the reference, rows' means and spread kept: test/helpers/evasions.ts
// continueTraining), from 0.3 down to 0.01, several seeds each, through the real engine. Prints the
// verdict counts per target and the smallest Pearson still `reused` in every seed. Usage:
//   node --import tsx scripts/power-curve.mts [--seeds 3] [--reference DIR]
// --reference: another model folder to start from (e.g. a GPT-2 of the PyTorch zoo: its Conv1D matrices).
// Run it at two commits (a worktree per commit) to compare.
import path from "node:path";
import { runCheck } from "../src/engine/engine.js";
import { parseSettings } from "../src/settings/settings.js";
import { createSource } from "../src/sources/parse-source.js";
import type { Report } from "../src/report/schema.js";
import { continueTraining } from "../test/helpers/evasions.ts";
import { tiny } from "../test/helpers/fixtures.ts";
import { loadModel, saveModel } from "../test/helpers/model-io.ts";
import { removeTempDirs, tempDir } from "../test/helpers/temp.ts";

const args = process.argv.slice(2);
const seeds = args.includes("--seeds") ? Number(args[args.indexOf("--seeds") + 1]) : 3;
const TARGETS = [0.3, 0.2, 0.1, 0.07, 0.05, 0.04, 0.03, 0.02, 0.015, 0.01];
const silent = { info: () => {}, warn: () => {} };
const reference = args.includes("--reference") ? path.resolve(args[args.indexOf("--reference") + 1]!) : await tiny("llm-a");
const base = (await loadModel(reference)).tensors;
const rows: string[] = ["| target weight Pearson | reused | inconclusive | independent | median corrected log10 p |", "|---|---|---|---|---|"];
let smallestAlways: number | null = null;
try {
  for (const target of TARGETS) {
    const counts = { reused: 0, inconclusive: 0, independent: 0 };
    const lps: number[] = [];
    for (let s = 1; s <= seeds; s++) {
      const dir = path.join(await tempDir("power"), `ct-${target}-${s}`);
      await saveModel(dir, continueTraining(base, 1000 * s + Math.round(target * 1000), target));
      const settings = parseSettings({ candidate: dir, references: [reference] });
      const { report } = (await runCheck(settings, { openSource: (x) => createSource(x, { endpoint: settings.endpoint, token: null }), logger: silent, now: () => Date.now() })) as { report: Report };
      counts[report.verdict]++;
      lps.push(Math.min(...report.references[0]!.components.map((c) => c.log10pCorrected ?? 0)));
    }
    lps.sort((a, b) => a - b);
    rows.push(`| ${target} | ${counts.reused} | ${counts.inconclusive} | ${counts.independent} | ${lps[Math.floor(lps.length / 2)]!.toFixed(1)} |`);
    if (counts.reused === seeds) smallestAlways = target;
    process.stderr.write(".");
  }
} finally {
  await removeTempDirs();
}
process.stderr.write("\n");
console.log(rows.join("\n"));
console.log(`\nsmallest target Pearson reused in all ${seeds} seeds: ${smallestAlways ?? "none"}`);
