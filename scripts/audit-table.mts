// Print the audit cases (test/audit/cases.ts) as a markdown table: every case
// through the real CLI, the verdict it gets today and the strongest evidence
// in its JSON report. Run: node --import tsx scripts/audit-table.mts
import { AUDIT_CASES, TABLE_HEADER, runAuditCase, tableRow } from "../test/audit/cases.ts";
import { removeTempDirs } from "../test/helpers/temp.ts";

const rows = [...TABLE_HEADER];
const t0 = performance.now();
try {
  for (const c of AUDIT_CASES) {
    const run = await runAuditCase(c);
    rows.push(tableRow(c, run));
    process.stderr.write(`${c.id}: ${run.seconds.toFixed(1)} s\n`);
  }
} finally {
  await removeTempDirs();
}
console.log(rows.join("\n"));
process.stderr.write(`total ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
