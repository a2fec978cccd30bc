/**
 * The job summary. GitHub renders it as-is (no HTML escaping, 1 MiB per
 * step), so every name is escaped, every untrusted name shortened, and the
 * whole is capped: a verdict line, one row per reference with its per-layer
 * strips and top tensor, then a table per reference and component, then where
 * the HTML and JSON reports are.
 */
import { alignmentWords, cacheLine, decisionRule, fmtP, componentVerdictLabel, fmtInt, fmtNull, fmtPct, fmtR, fmtZ, identicalLine, identicalTag, referenceNotes, strongest } from "./format.js";
import type { ComponentResult, ReferenceResult, Report, Verdict } from "./schema.js";
import { STRIP_LEGEND, strip, verdictSentence } from "./strip.js";

export const SUMMARY_MAX_BYTES = 1_000_000;
/** Names from untrusted files are shortened to this many characters in the summary. */
export const SUMMARY_NAME_MAX = 120;
/** At most this many layers per strip in the summary (the HTML report has them all). */
const STRIP_MAX_LAYERS = 160;

export interface MarkdownOptions {
  /** Where the JSON report was written (pointed to in the summary). */
  reportPath?: string | null;
  /** Where the HTML report was written, or null when none was asked for. */
  htmlPath?: string | null;
  /** Who renders it, so the summary names the right switch: the Action's inputs or the CLI's flags (default). */
  entry?: "action" | "cli";
}

/** The Action's input or the CLI's flag that writes a report file. */
function askFor(what: "html" | "report", entry: MarkdownOptions["entry"]): string {
  if (entry === "action") return what === "html" ? "input `html-report`" : "input `report-path`";
  return what === "html" ? "`--html FILE`" : "`--report FILE`";
}

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
    .replace(/\[/g, "&#91;")
    .replace(/\]/g, "&#93;")
    .replace(/[\r\n]+/g, " ");
}

/** Shorten (keeping the end, which names the tensor) and escape. */
function name(s: string, max = SUMMARY_NAME_MAX): string {
  return escapeCell(s.length > max ? `…${s.slice(-(max - 1))}` : s);
}

const ICON: Record<Verdict, string> = { reused: "🔴", inconclusive: "🟡", independent: "🟢" };

function stripCell(c: ComponentResult): string {
  const s = strip(c, { maxLayers: STRIP_MAX_LAYERS });
  return s ? `\`${s}\`` : "–";
}

function overviewRow(r: Report["references"][number]): string {
  const comps = r.components.map((c) => `${ICON[c.verdict]} ${escapeCell(c.name)} ${fmtPct(c.share)} ${stripCell(c)}`).join("<br>");
  const top = r.components
    .flatMap((c) => strongest(c, 1))
    .sort((a, b) => Math.abs(b.z!) - Math.abs(a.z!))[0];
  const topCell = top ? `${name(top.candidate, 80)} (p ${fmtP(top.log10p)}, r ${fmtR(top.pearson)})` : "–";
  const notes = referenceNotes(r);
  return `| ${name(r.source, 80)} | ${r.license ? name(r.license, 40) : "unknown"} | ${r.revision ? `<code>${escapeCell(r.revision.slice(0, 12))}</code>` : "local"} | ${ICON[r.verdict]} ${r.verdict}${notes.length ? ` (${escapeCell(notes.join("; "))})` : ""} | ${comps || (r.error ? name(r.error.message, 160) : "–")} | ${topCell} |`;
}

function pointer(opts: MarkdownOptions): string {
  const files: string[] = [];
  if (opts.htmlPath) files.push(`the HTML report <code>${escapeCell(opts.htmlPath)}</code> (layer × layer heatmaps, per-layer Pearson against the null band, every compared tensor, sortable)`);
  if (opts.reportPath) files.push(`the JSON report <code>${escapeCell(opts.reportPath)}</code>`);
  const ask = opts.htmlPath ? "" : ` For heatmaps of candidate × reference layers and every compared tensor, ask for the HTML report (${askFor("html", opts.entry)}).`;
  if (!files.length) {
    return `**Full evidence:** in the JSON report (${askFor("report", opts.entry)}) and the HTML report with heatmaps and every compared tensor (${askFor("html", opts.entry)}); an \`actions/upload-artifact\` step (as in the fromscratch README's workflow) keeps them with the run.`;
  }
  return (
    `**Full evidence:** ${files.join(" and ")}, written to the workspace. Nothing is uploaded unless the workflow asks: ` +
    `an \`actions/upload-artifact\` step (as in the fromscratch README's workflow) puts ${files.length > 1 ? "them" : "it"} under this run's Artifacts.${ask}`
  );
}

export function renderMarkdown(report: Report, opts: MarkdownOptions = {}): string {
  const parts = headParts(report);
  const tail = `\n${pointer(opts)}\n\n_${fmtInt(report.bytesRead)} bytes read in ${report.seconds.toFixed(1)} s · fromscratch ${report.tool.version}._\n`;
  if (report.references.length) parts.push(...overviewTable(report, Buffer.byteLength(parts.join("\n") + tail + TRUNCATED) + 2_000));
  const body: string[] = [];
  // Sections past the cap would be cut below: stop building them once the body alone is over it.
  let bodyBytes = 0;
  for (const r of report.references) {
    if (bodyBytes > SUMMARY_MAX_BYTES) break;
    const section = referenceSection(r);
    body.push(...section);
    for (const line of section) bodyBytes += Buffer.byteLength(line) + 1;
  }
  return capped(parts.join("\n"), body, tail);
}

const TRUNCATED = `\n> Summary truncated to stay under GitHub's 1 MiB limit; every reference is in the HTML and JSON reports.\n`;

/** Verdict, gate, candidate, error and the decision rule. */
function headParts(report: Report): string[] {
  const c = report.candidate;
  const parts = [
    `## fromscratch: ${ICON[report.verdict]} ${report.verdict.toUpperCase()}\n`,
    `**Verdict:** ${escapeCell(verdictSentence(report))}\n`,
    `**Gate:** ${escapeCell(report.gate.rule)}.\n`,
    `Candidate <code>${name(c.source)}</code>${c.revision ? ` @ <code>${escapeCell(c.revision)}</code>` : ""}: ${fmtInt(c.parameters)} parameters` +
      (c.components.length ? ` (${c.components.map((x) => `${escapeCell(x.name)} ${fmtInt(x.parameters)}`).join(", ")})` : "") +
      ".\n",
  ];
  if (report.error) parts.push(`> **Error:** ${name(report.error.message, 500)}\n`);
  parts.push(`${escapeCell(decisionRule(report.thresholds, report.family))}\n`);
  return parts;
}

/** One row per reference; rows past half the size budget are counted, not rendered. */
function overviewTable(report: Report, usedBytes: number): string[] {
  const rows: string[] = [];
  let used = usedBytes;
  let cut = 0;
  for (const r of report.references) {
    if (cut) {
      cut++;
      continue;
    }
    const row = overviewRow(r);
    const b = Buffer.byteLength(row) + 1;
    if (used + b > SUMMARY_MAX_BYTES / 2) {
      cut++;
      continue;
    }
    used += b;
    rows.push(row);
  }
  const out = ["| reference | licence | revision | verdict | components: share matched, per-layer strip | top tensor |", "|---|---|---|---|---|---|", ...rows];
  if (cut) out.push(`\n_${cut} more references not shown here (summary size limit)._`);
  out.push(`\n<sub>Strips: ${escapeCell(STRIP_LEGEND)}.</sub>\n`);
  return out;
}

/** A reference's section: revision, licence, cache, error, its components' table and reasons. */
function referenceSection(r: ReferenceResult): string[] {
  const body: string[] = [];
  const notes = referenceNotes(r);
  body.push(`### ${ICON[r.verdict]} <code>${name(r.source)}</code>: ${r.verdict}${notes.length ? ` (${escapeCell(notes.join("; "))})` : ""}\n`);
  body.push(`Revision: ${r.revision ? `<code>${escapeCell(r.revision)}</code>` : "local files"} · Licence: ${r.license ? name(r.license, 80) : "unknown"}\n`);
  const cache = cacheLine(r);
  if (cache) body.push(`<sub>Reference ${escapeCell(cache)}.</sub>\n`);
  if (r.error) body.push(`> **Error:** ${name(r.error.message, 500)}\n`);
  if (!r.components.length) return body;
  body.push("| component | verdict | matched share | median Pearson | per-layer | null mean ± sd | strongest tensors |");
  body.push("|---|---|---|---|---|---|---|");
  for (const comp of r.components) {
    const top = strongest(comp, 3)
      .map((t) => `${name(t.candidate)} (p ${fmtP(t.log10p)}, r ${fmtR(t.pearson)}${t.transform !== "none" ? `, ${alignmentWords(comp).one}: ${name(t.transform, 80)}` : ""}${t.identical ? `, ${identicalTag(t)}` : ""})`)
      .join("<br>");
    body.push(
      `| ${escapeCell(comp.name)} | ${ICON[comp.verdict]} ${escapeCell(componentVerdictLabel(comp))} | ${fmtPct(comp.share)} of ${fmtInt(comp.candidateParameters)} | ${fmtR(comp.pearsonMedian)} | ${stripCell(comp)} | ${fmtNull(comp.null)} | ${top || "–"} |`,
    );
  }
  body.push("");
  for (const comp of r.components) {
    const ident = identicalLine(comp);
    body.push(`- **${escapeCell(comp.name)}**: ${name(comp.reason, 600)}${ident ? ` ${escapeCell(ident)}.` : ""}`);
  }
  body.push("");
  return body;
}

/** Head, body and tail, cut at whole lines under GitHub's 1 MiB summary limit (saying so). */
function capped(head: string, body: string[], tail: string): string {
  const text = head + "\n" + body.join("\n") + tail;
  if (Buffer.byteLength(text) <= SUMMARY_MAX_BYTES) return text;
  const lines = body.join("\n").split("\n");
  let kept = "";
  let size = Buffer.byteLength(head + tail + TRUNCATED) + 200;
  for (const l of lines) {
    const b = Buffer.byteLength(l) + 1;
    if (size + b > SUMMARY_MAX_BYTES) break;
    size += b;
    kept += l + "\n";
  }
  return `${head}\n${kept}${TRUNCATED}${tail}`;
}
