/**
 * The job summary. GitHub renders it as-is (no HTML escaping, 1 MiB per
 * step), so every name is escaped and the whole is capped.
 */
import { fmtInt, fmtNull, fmtPct, fmtR, fmtZ, strongest } from "./format.js";
import type { Report, Verdict } from "./schema.js";

export const SUMMARY_MAX_BYTES = 1_000_000;

/** Escape text for a markdown table cell: HTML, pipes, backticks, newlines. */
export function escapeCell(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "&#124;")
    .replace(/`/g, "&#96;")
    .replace(/\*/g, "&#42;")
    .replace(/_/g, "&#95;")
    .replace(/[\r\n]+/g, " ");
}

const ICON: Record<Verdict, string> = { reused: "🔴", inconclusive: "🟡", independent: "🟢" };

export function renderMarkdown(report: Report): string {
  const parts: string[] = [];
  const c = report.candidate;
  parts.push(`## fromscratch: ${ICON[report.verdict]} ${report.verdict.toUpperCase()}\n`);
  parts.push(
    `Candidate \`${escapeCell(c.source)}\`${c.revision ? ` @ \`${c.revision}\`` : ""}: ${fmtInt(c.parameters)} parameters` +
      (c.components.length ? ` (${c.components.map((x) => `${x.name} ${fmtInt(x.parameters)}`).join(", ")})` : "") +
      ".\n",
  );
  parts.push(`**Gate:** ${escapeCell(report.gate.rule)}.\n`);
  if (report.error) parts.push(`> **Error:** ${escapeCell(report.error.message)}\n`);
  const th = report.thresholds;
  parts.push(`A component is *reused* when matrices with |Pearson| ≥ ${th.minPearson} and |z| ≥ ${th.minZ} against the null (same tensor kind, other layers and shifted controls) cover ≥ ${fmtPct(th.minShare)} of its parameters.\n`);
  const body: string[] = [];
  for (const r of report.references) {
    body.push(`### ${ICON[r.verdict]} \`${escapeCell(r.source)}\`: ${r.verdict}\n`);
    body.push(`Revision: ${r.revision ? `\`${r.revision}\`` : "local files"} · Licence: ${r.license ? escapeCell(r.license) : "unknown"}\n`);
    if (r.error) body.push(`> **Error:** ${escapeCell(r.error.message)}\n`);
    if (r.components.length) {
      body.push("| component | verdict | matched share | median Pearson | null mean ± sd | strongest tensors |");
      body.push("|---|---|---|---|---|---|");
      for (const comp of r.components) {
        const top = strongest(comp, 3)
          .map((t) => `${escapeCell(t.candidate)} (r ${fmtR(t.pearson)}, z ${fmtZ(t.z)}${t.transform !== "none" ? `, ${escapeCell(t.transform)}` : ""})`)
          .join("<br>");
        body.push(
          `| ${escapeCell(comp.name)} | ${ICON[comp.verdict]} ${comp.verdict} | ${fmtPct(comp.share)} of ${fmtInt(comp.candidateParameters)} | ${fmtR(comp.pearsonMedian)} | ${fmtNull(comp.null)} | ${top || "–"} |`,
        );
      }
      body.push("");
      for (const comp of r.components) body.push(`- **${escapeCell(comp.name)}**: ${escapeCell(comp.reason)}`);
      body.push("");
    }
  }
  const head = parts.join("\n");
  const tail = `\n_${fmtInt(report.bytesRead)} bytes read in ${report.seconds.toFixed(1)} s · fromscratch ${report.tool.version}; full per-tensor evidence in the JSON report._\n`;
  let text = head + "\n" + body.join("\n") + tail;
  if (Buffer.byteLength(text) > SUMMARY_MAX_BYTES) {
    // Keep whole lines until the cap, then say what was cut.
    const lines = body.join("\n").split("\n");
    let kept = "";
    for (const l of lines) {
      if (Buffer.byteLength(head + kept + l + tail) + 200 > SUMMARY_MAX_BYTES) break;
      kept += l + "\n";
    }
    text = `${head}\n${kept}\n> Summary truncated to stay under GitHub's 1 MiB limit; see the JSON report.\n${tail}`;
  }
  return text;
}
