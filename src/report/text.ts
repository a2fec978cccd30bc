/**
 * The CLI's human output: a compact table per reference and component, with
 * the per-layer strip of each component. Colour (ANSI) only when asked, which
 * the CLI does only when stdout is a terminal and NO_COLOR is unset.
 */
import { cacheLine, decisionRule, fmtP, componentVerdictLabel, fmtInt, fmtNull, fmtPct, fmtR, fmtZ, identicalLine, identicalTag, referenceNotes, searchLine, strongest, transformNote } from "./format.js";
import type { Report, Verdict } from "./schema.js";
import { STRIP_LEGEND, strip, verdictSentence } from "./strip.js";

export interface TextOptions {
  /** ANSI colour: verdicts and strips (red reused, yellow inconclusive, green independent). */
  color?: boolean;
  /** Where the HTML report was written, to say so. */
  htmlPath?: string | null;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

const COLOR: Record<Verdict, string> = { reused: "\x1b[1;31m", inconclusive: "\x1b[1;33m", independent: "\x1b[1;32m" };
const RESET = "\x1b[0m";

/** Strip control characters from untrusted names so they cannot drive the terminal. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

export function renderText(report: Report, opts: TextOptions = {}): string {
  const color = opts.color === true;
  const paint = (v: Verdict, s: string) => (color ? `${COLOR[v]}${s}${RESET}` : s);
  const out: string[] = [];
  const c = report.candidate;
  out.push(`fromscratch ${report.tool.version}: candidate ${clean(c.source)}${c.revision ? `@${clean(c.revision)}` : ""} (${fmtInt(c.parameters)} parameters)`);
  out.push(`verdict: ${paint(report.verdict, report.verdict.toUpperCase())} (${clean(report.gate.rule)})`);
  // Each error is printed once: the CLI prints it on stderr, so the text only refers to it.
  out.push(`  ${clean(verdictSentence(report, { errorsOnStderr: true }))}`);
  const th = report.thresholds;
  if (report.references.length) out.push(`rule: ${decisionRule(th, report.family)}`);
  out.push("");
  const header = ["reference / component", "verdict", "share", "median r", "p (corrected)", "effect", "matrices"];
  const widths = [34, 13, 8, 9, 16, 11, 10];
  const labels = report.references.flatMap((r) => r.components.map((x) => componentVerdictLabel(x).length + 1));
  widths[1] = Math.max(widths[1]!, ...labels);
  // p-values below 1e-300 read "< 1e-300 (log10 p -2159.3)": the column widens to keep the rows aligned.
  widths[4] = Math.max(widths[4]!, ...report.references.flatMap((r) => r.components.map((x) => fmtP(x.log10pCorrected).length + 1)));
  out.push(header.map((h, i) => pad(h, widths[i]!)).join(" "));
  for (const r of report.references) {
    const notes = referenceNotes(r);
    out.push(
      `${clean(r.source)}${r.revision ? `@${clean(r.revision.slice(0, 12))}` : ""}${r.license ? ` [${clean(r.license)}]` : ""}: ${paint(r.verdict, r.verdict.toUpperCase())}${notes.length ? ` (${clean(notes.join("; "))})` : ""}`,
    );
    if (r.error) out.push(`  could not complete (${clean(r.error.code ?? r.error.kind)} error${r.error.message === report.error?.message ? ", printed below" : `: ${clean(r.error.message)}`})`);
    const cache = cacheLine(r);
    if (cache) out.push(`  ${clean(cache)}`);
    for (const comp of r.components) {
      const inf = comp.tensors.filter((t) => t.informative && t.pearson !== null);
      const stand = comp.tensors.filter((t) => t.standsOut).length;
      const label = componentVerdictLabel(comp);
      const cells = [
        `  ${clean(comp.name)}`,
        label,
        fmtPct(comp.share),
        fmtR(comp.pearsonMedian),
        fmtP(comp.log10pCorrected),
        fmtR(comp.effect),
        `${stand}/${inf.length}`,
      ];
      const row = cells.map((h, i) => pad(h, widths[i]!)).join(" ").trimEnd();
      // Colour the verdict cell after padding, so the columns stay aligned.
      out.push(color ? row.replace(pad(label, widths[1]!), (m) => paint(comp.verdict, label) + m.slice(label.length)) : row);
      const s = strip(comp, { color });
      if (s) out.push(`      layers ${s}`);
      out.push(`      ${clean(comp.reason)}`);
      const ident = identicalLine(comp);
      if (ident) out.push(`      ${ident}`);
      if (comp.unreadTensors && comp.verdict === "reused") out.push(`      ${comp.unreadTensors} unread: ${clean(comp.tensors.find((t) => t.error)?.error ?? "")}`);
      // The search's own line when it ran, or when it should have and could not (sampled mode, budget, error).
      if (comp.search && comp.search.status !== "not-run") out.push(`      search: ${clean(searchLine(comp.search))}`);
      for (const t of strongest(comp, 3)) {
        out.push(
          `      ${clean(t.candidate)} ~ ${clean(t.reference)}: p ${fmtP(t.log10p)}, effect ${fmtR(t.effect)}, r ${fmtR(t.pearson)}, cos ${fmtR(t.cosine)}${t.transform !== "none" ? `, ${clean(transformNote(t, comp))}` : ""}${t.identical ? `, ${identicalTag(t)}` : ""}`,
        );
      }
    }
  }
  out.push("");
  if (report.references.some((r) => r.components.some((x) => strip(x)))) out.push(`layers: ${STRIP_LEGEND}`);
  if (opts.htmlPath) out.push(`HTML report: ${clean(opts.htmlPath)}`);
  out.push(`${fmtInt(report.bytesRead)} bytes read in ${report.seconds.toFixed(2)} s`);
  return out.join("\n") + "\n";
}
