/** The HTML report's sortable table of every compared tensor. */
import { alignmentWords, fmtInt, fmtNull, fmtPct, fmtR, identicalTag } from "./format.js";
import { e, wrapName } from "./html-base.js";
import type { ComponentResult, TensorResult } from "./schema.js";

function notesOf(t: TensorResult): string {
  const notes: string[] = [];
  if (t.error) notes.push(`unread: ${t.error}`);
  if (t.identical) notes.push(identicalTag(t));
  if (t.sampled) notes.push(`sampled ${fmtPct(t.sampled.fraction)} of rows${t.sampled.pearsonSe !== null ? ` (Pearson se ${t.sampled.pearsonSe.toFixed(4)})` : ""}`);
  if (t.deterministic) notes.push(`shared construction: ${t.deterministic.detail}${t.deterministic.residualTested ? "" : " (not counted)"}`);
  if (t.direct) notes.push(`element-wise vs ${t.direct.reference}: r ${fmtR(t.direct.pearson)}${t.direct.log10p !== undefined ? `, log10 p ${t.direct.log10p.toFixed(1)}` : ""}`);
  if (t.aligned) notes.push(`search's held-out test vs ${t.aligned.reference} (${t.aligned.transform}): r ${fmtR(t.aligned.pearson)}, effect ${fmtR(t.aligned.effect)}, log10 p ${t.aligned.log10p.toFixed(1)}`);
  if (t.null) notes.push(`same-kind controls ${fmtNull(t.null)} (n ${t.null.n})`);
  if (t.dtype.candidate !== t.dtype.reference) notes.push(`dtypes ${t.dtype.candidate} / ${t.dtype.reference}`);
  return notes.map(wrapName).join("<br>");
}

/** A sort key: 6 significant digits, "" for none. */
const num = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? "" : String(Number(x.toPrecision(6))));

export function tensorTable(c: ComponentResult): string {
  const open = c.verdict !== "independent" && c.tensors.length <= 80;
  const rows = c.tensors;
  if (!rows.length) return `<p class="muted">No tensor of this component was compared with the reference.</p>`;
  const head: [string, "str" | "num", string][] = [
    ["candidate tensor", "str", ""],
    ["reference tensor", "str", ""],
    ["layer", "num", ""],
    ["role", "str", ""],
    [alignmentWords(c).one, "str", c.verdict === "reused" ? "the layout or alignment under which the tensor was compared" : "the layout or alignment the comparison tried (the component is not judged reused)"],
    ["elements", "num", ""],
    ["log10 p", "num", "the tensor's permutation-test p-value (what decides, combined per component)"],
    ["effect", "num", "Pearson of the standardised units"],
    ["Pearson", "num", "centred"],
    ["raw cosine", "num", "not used to decide"],
    ["evidence", "str", ""],
    ["notes", "str", ""],
  ];
  const out: string[] = [];
  out.push(`<details class="tensors"${open ? " open" : ""}><summary>All ${rows.length} compared tensors of ${e(c.name)} (click a column to sort)</summary>`);
  out.push(`<div class="table-wrap"><table class="sortable tensors-table"><thead><tr>`);
  for (const [label, type, hint] of head) out.push(`<th data-type="${type}" tabindex="0"${hint ? ` title="${e(hint)}"` : ""}>${e(label)}</th>`);
  out.push(`</tr></thead><tbody>`);
  for (const t of rows) {
    const evidence = t.error ? "unread" : !t.informative ? "reported only" : t.deterministic && !t.deterministic.residualTested ? "shared construction" : t.standsOut ? "stands out" : t.pearson === null ? "constant" : "below";
    const cls = t.error ? "unread" : t.standsOut ? "hit" : !t.informative ? "minor" : "";
    out.push(`<tr${cls ? ` class="${cls}"` : ""}>`);
    const same = t.reference === t.candidate;
    // Numeric cells (right-aligned by column in the CSS) carry their sort key in data-v.
    out.push(`<td class="name">${wrapName(t.candidate)}</td>${same ? `<td class="same">= same name</td>` : `<td class="name">${wrapName(t.reference)}</td>`}`);
    out.push(`<td data-v="${num(t.layer)}">${t.layer ?? "–"}</td><td>${wrapName(t.role)}</td><td class="transform">${wrapName(t.transform)}</td><td data-v="${t.elements}">${fmtInt(t.elements)}</td>`);
    out.push(`<td data-v="${num(t.log10p)}">${t.log10p === undefined ? "n/a" : t.log10p.toFixed(1)}</td><td data-v="${num(t.effect)}">${fmtR(t.effect)}</td>`);
    out.push(`<td data-v="${num(t.pearson)}">${fmtR(t.pearson)}</td><td data-v="${num(t.cosine)}">${fmtR(t.cosine)}</td>`);
    out.push(`<td>${evidence}</td><td class="notes">${notesOf(t)}</td></tr>`);
  }
  out.push(`</tbody></table></div></details>`);
  return out.join("");
}

