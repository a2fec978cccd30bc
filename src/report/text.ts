/** The CLI's human output: a compact table per reference and component. */
import { fmtInt, fmtNull, fmtPct, fmtR, fmtZ, strongest } from "./format.js";
import type { Report } from "./schema.js";

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

export function renderText(report: Report): string {
  const out: string[] = [];
  const c = report.candidate;
  out.push(`fromscratch ${report.tool.version}: candidate ${c.source}${c.revision ? `@${c.revision}` : ""} (${fmtInt(c.parameters)} parameters)`);
  out.push(`verdict: ${report.verdict.toUpperCase()} (${report.gate.rule})`);
  if (report.error) out.push(`error: ${report.error.message}`);
  const th = report.thresholds;
  out.push(`thresholds: min-pearson ${th.minPearson}, min-z ${th.minZ}, min-share ${th.minShare}`);
  out.push("");
  const header = ["reference / component", "verdict", "share", "median r", "null mean ± sd", "median |z|", "matrices"];
  const widths = [34, 13, 8, 9, 16, 11, 10];
  out.push(header.map((h, i) => pad(h, widths[i]!)).join(" "));
  for (const r of report.references) {
    out.push(
      `${r.source}${r.revision ? `@${r.revision.slice(0, 12)}` : ""}${r.license ? ` [${r.license}]` : ""}: ${r.verdict.toUpperCase()}`,
    );
    if (r.error) out.push(`  error: ${r.error.message}`);
    for (const comp of r.components) {
      const inf = comp.tensors.filter((t) => t.informative && t.pearson !== null);
      const stand = comp.tensors.filter((t) => t.standsOut).length;
      const row = [
        `  ${comp.name}`,
        comp.verdict,
        fmtPct(comp.share),
        fmtR(comp.pearsonMedian),
        fmtNull(comp.null),
        fmtZ(comp.zMedian),
        `${stand}/${inf.length}`,
      ];
      out.push(row.map((h, i) => pad(h, widths[i]!)).join(" "));
      out.push(`      ${comp.reason}`);
      for (const t of strongest(comp, 3)) {
        out.push(`      ${t.candidate} ~ ${t.reference}: r ${fmtR(t.pearson)}, cos ${fmtR(t.cosine)}, z ${fmtZ(t.z)}${t.transform !== "none" ? `, ${t.transform}` : ""}${t.identical ? ", identical" : ""}`);
      }
    }
  }
  out.push("");
  out.push(`${fmtInt(report.bytesRead)} bytes read in ${report.seconds.toFixed(2)} s`);
  return out.join("\n") + "\n";
}
