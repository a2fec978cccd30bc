/**
 * The HTML report: one self-contained file (inline CSS, inline SVG, a few
 * lines of inline script to sort tables; a Content-Security-Policy that lets
 * nothing load from anywhere). Every string from the report is escaped: tensor
 * names and sources come from untrusted files.
 *
 * Per reference and component: the candidate layer x reference layer heatmap
 * of Pearson (and, for norm vectors, Pearson beside raw cosine: the trap), with
 * the diagonal and the cells outside the null band marked; the per-layer line
 * of matched Pearson over the null's ±k·sd band; every compared tensor in a
 * sortable table; the transforms undone (alignments tried, when not reused), the share matched, the licence and the
 * exact revision; and the verdict with its rule in one sentence.
 */
import { alignmentWords, decisionRule, fmtInt, fmtP, fmtNull, fmtPct, fmtR, fmtZ, searchLine } from "./format.js";
import type { ComponentResult, ReferenceResult, Report, Thresholds, Verdict } from "./schema.js";
import { STRIP_LEGEND, layerProfile, strip, transformsSeen, verdictSentence } from "./strip.js";
import { divergingColor, e, escapeHtml, n } from "./html-base.js";
import { heatmap, layerLine, normNull, resetFigureIds, trapNumbers } from "./html-charts.js";
import { tensorTable } from "./html-tables.js";

export { divergingColor, escapeHtml };

export interface HtmlOptions {
  /** Where the JSON report was written, to point to it. */
  reportPath?: string | null;
}

const VERDICT_LABEL: Record<Verdict, string> = { reused: "REUSED", inconclusive: "INCONCLUSIVE", independent: "INDEPENDENT" };

const VERDICT_ORDER: Record<Verdict, number> = { reused: 0, inconclusive: 1, independent: 2 };

function badge(v: Verdict, small = false): string {
  return `<span class="badge v-${v}${small ? " small" : ""}">${VERDICT_LABEL[v]}</span>`;
}

function shareBar(c: ComponentResult, th: Thresholds): string {
  const w = 240;
  const x = Math.max(0, Math.min(1, c.share)) * w;
  const m = th.minShare * w;
  return (
    `<svg class="share-bar" role="img" aria-label="share of parameters matched" width="${w + 2}" height="16" viewBox="0 0 ${w + 2} 16" xmlns="http://www.w3.org/2000/svg">` +
    `<rect x="1" y="3" width="${w}" height="10" fill="#eee" stroke="#bbb" stroke-width="0.5"/>` +
    `<rect class="v-${c.verdict}-fill" x="1" y="3" width="${n(x)}" height="10"/>` +
    `<line x1="${n(m + 1)}" x2="${n(m + 1)}" y1="0" y2="16" stroke="#333" stroke-dasharray="2 2"><title>min-share ${fmtPct(th.minShare)}</title></line></svg>`
  );
}

function componentSection(c: ComponentResult, report: Report, ri: number): string {
  const th = report.thresholds;
  const k = th.minZ;
  const out: string[] = [];
  out.push(`<section class="component" id="ref-${ri}-${e(c.name)}">`);
  out.push(`<h3>${badge(c.verdict, true)} <span class="comp-name">${e(c.name)}</span></h3>`);
  out.push(`<p class="rule"><strong>${e(c.verdict)}</strong> because ${e(c.reason)}.</p>`);
  out.push(`<div class="facts">`);
  out.push(
    `<div><span class="k">parameters matched</span> ${shareBar(c, th)} <strong>${fmtPct(c.share)}</strong> (${fmtInt(c.matchedParameters)} of ${fmtInt(c.candidateParameters)}; min-share ${fmtPct(th.minShare)})</div>`,
  );
  out.push(`<div><span class="k">compared</span> ${fmtInt(c.comparedParameters)} parameters in matrices; ${c.unmatchedTensors} candidate tensors (${fmtInt(c.unmatchedParameters)} parameters) without a counterpart; ${c.unreadTensors} unread</div>`);
  out.push(`<div><span class="k">combined p</span> ${fmtP(c.log10p)} · <span class="k">corrected</span> ${fmtP(c.log10pCorrected)} (${c.combination ? `truncated Cauchy over ${c.combination.tensors} tensors` : "no tensor tested"}) · <span class="k">effect</span> ${fmtR(c.effect)}</div>`);
  out.push(`<div><span class="k">median Pearson</span> ${fmtR(c.pearsonMedian)} · <span class="k">median |z|</span> ${fmtZ(c.zMedian)} · <span class="k">same-kind controls</span> ${c.null ? `${fmtNull(c.null)} (n ${c.null.n})` : "n/a"}</div>`);
  const dtypes = [...new Set(c.tensors.map((t) => (t.dtype.candidate === t.dtype.reference ? t.dtype.candidate : `${t.dtype.candidate} vs ${t.dtype.reference}`)))];
  if (dtypes.length) out.push(`<div><span class="k">dtypes</span> ${dtypes.map((d) => `<code>${e(d)}</code>`).join(", ")}</div>`);
  const tf = transformsSeen(c);
  out.push(`<div><span class="k">${alignmentWords(c).many}</span> ${tf.length ? tf.map((x) => `<code>${x.transform === "none" ? "as stored" : e(x.transform)}</code> ×${x.count}`).join(", ") : "–"}</div>`);
  if (c.search) {
    const dup = c.search.referenceDuplicateLayers.length ? `; reference layers duplicating each other: ${c.search.referenceDuplicateLayers.map(([a, b]) => `${a}≈${b}`).join(", ")}` : "";
    out.push(
      `<div><span class="k">alignment search</span> ${c.search.ran ? "ran" : "did not run"}: ${e(searchLine(c.search))}${c.search.residualPermuted ? `; residual stream permuted (match quality ${fmtR(c.search.residualMatchQuality)})` : ""}${e(dup)}</div>`,
    );
  }
  const s = strip(c);
  if (s) out.push(`<div><span class="k">per-layer strip</span> <span class="strip" title="${e(STRIP_LEGEND)}">${e(s)}</span></div>`);
  out.push(`</div>`);
  const lm = c.layerMatrix;
  const line = `<figure><figcaption><strong>Matched Pearson per layer</strong>: each dot a compared matrix (red: stands out), the line their median; the grey band is the same-kind null's mean ± ${k} sd.</figcaption>${layerLine(layerProfile(c), th)}</figure>`;
  out.push(`<div class="figures">`);
  if (lm) {
    const band = c.null ? { lo: c.null.mean - k * c.null.sd, hi: c.null.mean + k * c.null.sd } : null;
    out.push(
      `<figure><figcaption><strong>Matrices: Pearson</strong>, candidate layer × reference layer (mean over roles, sampled values). A copy lights up the dashed diagonal; outlined cells lie outside the component's null band (${band ? `${band.lo.toFixed(2)} … ${band.hi.toFixed(2)}, mean ± ${k} sd` : "no null"}).</figcaption>${heatmap({ kind: "pearson", values: lm.pearson, rows: lm.candidateLayers, cols: lm.referenceLayers, band, stat: "Pearson" })}</figure>`,
    );
    out.push(line, `</div>`);
    if (lm.normPearson && lm.normCosine) {
      const nn = normNull(c);
      const nb = nn ? { lo: nn.mean - k * nn.sd, hi: nn.mean + k * nn.sd } : null;
      out.push(`<div class="figures trap-pair">`);
      out.push(
        `<figure><figcaption><strong>Norm vectors: Pearson</strong> (centred), the same layers. ${nb ? `Outlined cells lie outside the norms' null band (${nb.lo.toFixed(2)} … ${nb.hi.toFixed(2)}).` : ""}</figcaption>${heatmap({ kind: "norm-pearson", values: lm.normPearson, rows: lm.candidateLayers, cols: lm.referenceLayers, band: nb, stat: "norm Pearson" })}</figure>`,
      );
      out.push(
        `<figure><figcaption><strong>Norm vectors: raw cosine</strong>, the trap: gains that all sit near 1 give cosine ≈ 1 for every pair of layers, related or not${trapNumbers(lm.normCosine, lm.normPearson)}. Shown, never used to decide.</figcaption>${heatmap({ kind: "norm-cosine", values: lm.normCosine, rows: lm.candidateLayers, cols: lm.referenceLayers, band: null, stat: "raw cosine" })}</figure>`,
      );
      out.push(`</div>`);
    }
  } else {
    out.push(`<p class="muted">No layer × layer matrix for this component (no layered matrix pairs were compared).</p>`, line, `</div>`);
  }
  out.push(tensorTable(c));
  out.push(`</section>`);
  return out.join("");
}

function referenceSection(r: ReferenceResult, report: Report, ri: number): string {
  const out: string[] = [];
  out.push(`<section class="reference" id="ref-${ri}">`);
  out.push(`<h2>${badge(r.verdict)} <span class="src">${e(r.source)}</span></h2>`);
  out.push(
    `<p class="meta"><span class="k">revision</span> <code>${r.revision ? e(r.revision) : "local files (no revision)"}</code> · <span class="k">licence</span> ${r.license ? `<code>${e(r.license)}</code>` : "unknown"} · <span class="k">sampling</span> ${r.sampling.mode === "exact" ? "exact (every element)" : `${fmtPct(r.sampling.fraction)} of large matrices' rows (${e(r.sampling.chosen)})`} · <span class="k">reference tensors unmatched</span> ${r.referenceUnmatchedTensors}</p>`,
  );
  out.push(`<p class="rule"><strong>${e(r.verdict)}</strong>: ${e(r.reason)}.</p>`);
  if (r.error) out.push(`<p class="error">Error (${e(r.error.code ?? r.error.kind)}): ${e(r.error.message)}</p>`);
  // The components that decided first (reused, then inconclusive), in report order otherwise.
  const order = [...r.components].sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict]);
  for (const c of order) out.push(componentSection(c, report, ri));
  out.push(`</section>`);
  return out.join("");
}

function overview(report: Report): string {
  const out: string[] = [];
  out.push(`<table class="sortable overview"><thead><tr>`);
  for (const [h, t] of [["reference", "str"], ["revision", "str"], ["licence", "str"], ["verdict", "str"], ["components: verdict, share matched, per-layer strip", "str"]] as const) {
    out.push(`<th data-type="${t}" tabindex="0">${e(h)}</th>`);
  }
  out.push(`</tr></thead><tbody>`);
  report.references.forEach((r, ri) => {
    const comps = r.components
      .map((c) => {
        const s = strip(c);
        return `<div>${badge(c.verdict, true)} <a href="#ref-${ri}-${e(c.name)}">${e(c.name)}</a> ${fmtPct(c.share)}${s ? ` <span class="strip">${e(s)}</span>` : ""}</div>`;
      })
      .join("");
    out.push(
      `<tr><td class="name"><a href="#ref-${ri}">${e(r.source)}</a></td><td><code>${r.revision ? e(r.revision) : "local files"}</code></td><td>${r.license ? e(r.license) : "unknown"}</td><td data-v="${r.verdict}">${badge(r.verdict, true)}</td><td>${comps || (r.error ? e(r.error.message) : "–")}</td></tr>`,
    );
  });
  out.push(`</tbody></table>`);
  return out.join("");
}

const CSS = `
:root{--red:#b3261e;--amber:#a15c00;--green:#1e6b2f;--ink:#1d1d1f;--muted:#666;--line:#ddd}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",Roboto,sans-serif;color:var(--ink);background:#fafafa}
main{max-width:1320px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:20px;margin:0 0 6px}h2{font-size:17px;margin:0 0 6px}h3{font-size:15px;margin:14px 0 4px}
code,.strip,.name{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
code{font-size:12.5px;background:#f0f0f0;padding:0 3px;border-radius:3px;overflow-wrap:anywhere}
.verdict{border-left:8px solid;padding:14px 18px;background:#fff;border-radius:6px;margin-bottom:16px;box-shadow:0 1px 2px #0001}
.verdict.v-reused{border-color:var(--red)}.verdict.v-inconclusive{border-color:var(--amber)}.verdict.v-independent{border-color:var(--green)}
.sentence{font-size:16px;margin:6px 0}
.badge{display:inline-block;font-weight:700;color:#fff;border-radius:4px;padding:2px 8px;font-size:13px;letter-spacing:.03em;vertical-align:1px}
.badge.small{font-size:11px;padding:1px 6px}
.badge.v-reused{background:var(--red)}.badge.v-inconclusive{background:var(--amber)}.badge.v-independent{background:var(--green)}
.v-reused-fill{fill:var(--red)}.v-inconclusive-fill{fill:var(--amber)}.v-independent-fill{fill:var(--green)}
.muted,.meta{color:var(--muted)}.k{color:var(--muted)}
.card,.reference{background:#fff;border:1px solid var(--line);border-radius:6px;padding:14px 18px;margin:14px 0}
.component{border-top:1px solid var(--line);margin-top:12px;padding-top:4px}
.rule{margin:4px 0 8px}
.error{color:var(--red);font-weight:600}
.facts>div{margin:2px 0}.share-bar{vertical-align:-3px}
.strip{font-size:16px;letter-spacing:1px;white-space:nowrap}
.figures{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start;margin:10px 0}
.trap-pair{display:inline-flex;padding:8px 12px;background:#fff8e6;border:1px dashed #e0b050;border-radius:6px}
figure{margin:0;max-width:580px}figcaption{font-size:12.5px;color:#444;max-width:440px;margin-bottom:4px}
svg text{font-family:system-ui,"DejaVu Sans",sans-serif}
svg .tick{font-size:10.5px;fill:#555}svg .axis-title{font-size:11px;fill:#333}svg .legend{font-size:11px;fill:#333}svg .cell-text{font-size:10px}
svg .diag{fill:none;stroke:#111;stroke-width:1.2;stroke-dasharray:3 2}
svg .out-of-band{fill:none;stroke:#000;stroke-width:2.2}svg .thin{stroke-width:1}svg .diag.thin{stroke-dasharray:none;stroke:#555}
svg .band-mark{fill:none;stroke:#000;stroke-width:1.5}
svg .null-band{fill:#8a8a8a;fill-opacity:.28;stroke:#8a8a8a;stroke-width:.5}
svg .grid{stroke:#eee}svg .zero{stroke:#bbb}
svg .threshold{stroke:var(--red);stroke-dasharray:5 4;stroke-width:1}
svg .median-line{fill:none;stroke:#333;stroke-width:1.6}
svg .dot{fill:#9a9a9a}svg .dot.hit{fill:var(--red);fill-opacity:.7}
svg .point{stroke:#fff;stroke-width:1.2}
svg .s-reused{fill:var(--red)}svg .s-partial{fill:var(--amber)}svg .s-clear{fill:var(--green)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:12.5px;background:#fff}
th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
th{position:sticky;top:0;background:#f3f3f3;cursor:pointer;user-select:none;white-space:nowrap}
th[data-dir=asc]::after{content:" ▲"}th[data-dir=desc]::after{content:" ▼"}
td.num,.tensors-table td:nth-child(3),.tensors-table td:nth-child(6),.tensors-table td:nth-child(7),.tensors-table td:nth-child(8),.tensors-table td:nth-child(9){text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.tensors-table td:nth-child(10){text-align:right;font-variant-numeric:tabular-nums}td.name{overflow-wrap:break-word;min-width:120px;max-width:330px}td.transform{max-width:160px}.tensors-table{width:100%}td.same{color:#999}
td.notes{color:#555;min-width:160px;max-width:300px;font-size:11.5px;overflow-wrap:break-word}
tr.hit td{background:#fdecea}tr.minor td{color:#888}tr.unread td{background:#fff4d6}
details summary{cursor:pointer;color:#333;margin:6px 0}
.overview td{vertical-align:top}.overview code{white-space:nowrap}.overview .strip{font-size:14px}
footer{color:var(--muted);font-size:12px;margin-top:20px}
`;

/** A few lines to sort any table.sortable by a clicked header (numbers by data-v; empty last). */
const SCRIPT = `
for (const th of document.querySelectorAll("table.sortable th")) {
  const sort = () => {
    const table = th.closest("table"), body = table.tBodies[0], i = th.cellIndex;
    const dir = th.dataset.dir === "desc" ? "asc" : "desc";
    for (const h of table.querySelectorAll("th")) delete h.dataset.dir;
    th.dataset.dir = dir;
    const numeric = th.dataset.type === "num", s = dir === "asc" ? 1 : -1;
    const key = (tr) => { const td = tr.cells[i]; const v = td.dataset.v ?? td.textContent; return numeric ? (v === "" ? NaN : Number(v)) : v; };
    const rows = [...body.rows].sort((a, b) => {
      const x = key(a), y = key(b);
      if (!numeric) return s * x.localeCompare(y);
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
      return Number.isNaN(y) ? -1 : s * (x - y);
    });
    body.append(...rows);
  };
  th.addEventListener("click", sort);
  th.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sort(); } });
}
`;

export function renderHtml(report: Report, opts: HtmlOptions = {}): string {
  resetFigureIds();
  const c = report.candidate;
  const th = report.thresholds;
  const body: string[] = [];
  body.push(`<header class="verdict v-${report.verdict}">`);
  body.push(`<h1>${badge(report.verdict)} fromscratch: <span class="src">${e(c.source)}</span></h1>`);
  body.push(`<p class="sentence">${e(verdictSentence(report))}</p>`);
  body.push(`<p><span class="k">gate</span> ${e(report.gate.rule)}${report.gate.failed ? " <strong>(failed)</strong>" : ""}</p>`);
  if (report.error) body.push(`<p class="error">The run stopped early (${e(report.error.kind)}, exit code ${report.error.exitCode}): ${e(report.error.message)}</p>`);
  body.push(`</header>`);
  body.push(`<section class="card">`);
  body.push(
    `<p><span class="k">candidate</span> <code>${e(c.source)}</code> · <span class="k">revision</span> <code>${c.revision ? e(c.revision) : "local files (no revision)"}</code> · ${fmtInt(c.parameters)} parameters${c.components.length ? ` (${c.components.map((x) => `${e(x.name)} ${fmtInt(x.parameters)}`).join(", ")})` : ""}</p>`,
  );
  body.push(
    `<p class="muted">${e(decisionRule(th, report.family))} Strips: ${e(STRIP_LEGEND)}.</p>`,
  );
  body.push(overview(report));
  body.push(`</section>`);
  report.references.forEach((r, ri) => body.push(referenceSection(r, report, ri)));
  body.push(
    `<footer>fromscratch ${e(report.tool.version)} · schema ${report.schemaVersion} · ${fmtInt(report.bytesRead)} bytes read in ${report.seconds.toFixed(1)} s · fail-on ${e(report.failOn)}${opts.reportPath ? ` · JSON report <code>${e(opts.reportPath)}</code>` : ""} · this file is self-contained and loads nothing.</footer>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fromscratch: ${VERDICT_LABEL[report.verdict]}: ${e(c.source)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.join("\n")}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
