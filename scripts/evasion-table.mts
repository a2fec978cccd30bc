// Print the evasion matrix as a markdown table (docs/evasions.md): every
// evasion, trap and known limit through the real CLI. Run: npm run evasions
import { DUPLICATED_REFERENCE, EVASIONS, LIMITS, TRAPS, copiedOf } from "../test/evasion/cases.ts";
import { evidence, runCase } from "../test/evasion/check.ts";
import { removeTempDirs } from "../test/helpers/temp.ts";

const rows: string[] = ["| case | expected | verdict | matched share | copied | median z of matched | max \\|z\\| | transforms undone |", "|---|---|---|---|---|---|---|---|"];
try {
  for (const [kind, list] of [["evasion", [...EVASIONS, DUPLICATED_REFERENCE]], ["trap", TRAPS], ["known limit", LIMITS]] as const) {
    for (const c of list) {
      const { report } = await runCase(c);
      const comps = report.references[0]!.components.map(evidence);
      const main = comps.reduce((a, b) => (b.share > a.share ? b : a));
      const expected = kind === "known limit" ? "reused (missed)" : c.expect;
      const copied = kind === "known limit" ? 1 : copiedOf(c);
      rows.push(
        `| ${kind}: ${c.name} | ${expected} | ${report.verdict} | ${(100 * main.share).toFixed(0)}% | ${(100 * copied).toFixed(0)}% | ${Number.isNaN(main.medianStandOutZ) ? "–" : main.medianStandOutZ.toFixed(1)} | ${main.maxAbsZ.toFixed(1)} | ${main.transforms.join(", ") || "–"} |`,
      );
      process.stderr.write(".");
    }
  }
} finally {
  // The materialised models live in temp folders: leave none behind.
  await removeTempDirs();
}
process.stderr.write("\n");
console.log(rows.join("\n"));
