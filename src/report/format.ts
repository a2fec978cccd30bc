/** Small number formatting shared by the renderers. */
export const fmtPct = (x: number): string => `${(100 * x).toFixed(x > 0 && x < 0.001 ? 3 : 1)}%`;
export const fmtR = (x: number | null | undefined): string => (x === null || x === undefined ? "n/a" : x.toFixed(3));
export const fmtZ = (x: number | null | undefined): string => (x === null || x === undefined ? "n/a" : x.toFixed(1));
export const fmtInt = (x: number): string => x.toLocaleString("en-US");
export const fmtNull = (n: { mean: number; sd: number } | null): string => (n ? `${n.mean.toFixed(3)} ± ${n.sd.toFixed(3)}` : "n/a");

import { count } from "../common/words.js";
import type { ComponentResult, Family, Report, SearchSummary, TensorResult, Thresholds } from "./schema.js";

/** Below this log10 p a p-value is shown as "< 1e-300" with its log10 beside (a mantissa there means nothing to a reader). */
export const P_FLOOR_LOG10 = -300;

/** 10^log10p for reading: "1e-12", "3.2e-4", "0.41", "< 1e-300 (log10 p -2159.3)"; "n/a" when absent. */
export function fmtP(log10p: number | null | undefined): string {
  if (log10p === null || log10p === undefined) return "n/a";
  if (log10p < P_FLOOR_LOG10) return `< 1e${P_FLOOR_LOG10} (log10 p ${log10p.toFixed(1)})`;
  if (log10p > -2) return (10 ** log10p).toPrecision(2);
  const e = Math.floor(log10p);
  const m = 10 ** (log10p - e);
  return m >= 9.95 ? `1e${e + 1}` : `${m.toFixed(1).replace(/\.0$/, "")}e${e}`;
}

/** What `reused` means and how it is decided, in one paragraph (every renderer shows it). */
export function decisionRule(th: Thresholds, family: Family | undefined): string {
  const fam = family ? `${family.size} (${count(family.components, "component")} × ${count(family.references, "reference")})` : "components × references";
  return (
    `A component is reused (copied, fine-tuned, or trained from a shared initialisation: weights alone cannot tell these apart) ` +
    `when the combination of its tensors' permutation-test p-values (a truncated Cauchy combination, valid under their dependence), Bonferroni-corrected over ${fam} tests, is at most ${fmtP(Math.log10(th.level))} ` +
    `and its strongest tensor's effect (Pearson of standardised units) is at least ${th.minEffect}${th.minShare > 0 ? `, over at least ${fmtPct(th.minShare)} of its parameters` : ""}; ` +
    `between ${fmtP(Math.log10(th.level))} and ${fmtP(Math.log10(th.reviewLevel))} it is inconclusive. Shared constructions (sinusoid and rotary tables, filterbanks, DFT bases, identity, constants) carry no evidence. Raw cosine is shown, never used.`
  );
}

/** A reference with which not one tensor of the candidate could be compared (and no error stopped it). */
export function nothingComparable(r: Report["references"][number]): boolean {
  return !r.error && r.components.every((c) => c.comparable === false);
}

/**
 * The warning for a reference with nothing comparable: no evidence either way, most likely a
 * misconfigured reference list, so never a silent pass. Worded for the entry that shows it.
 */
export function nothingComparableWarning(r: Report["references"][number], failOn: Report["failOn"], entry: "action" | "cli"): string {
  const strict = entry === "action" ? "`fail-on: inconclusive`" : "`--fail-on inconclusive`";
  const gate = failOn === "inconclusive" ? ", so the gate fails (fail-on inconclusive)" : `; the gate passes it under fail-on ${failOn}, and ${strict} would fail it`;
  return (
    `Nothing comparable between the candidate and ${r.source}: not one of its tensors could be compared with the candidate's, so it is no evidence either way. ` +
    `Likely cause: another architecture, or the wrong reference (a typo, another model or revision in the reference list?). It counts as ${r.verdict}${gate}.`
  );
}

/**
 * What a reader must see beside a reference's verdict: components with nothing
 * comparable, and byte-identical matrices. Empty when neither applies.
 */
export function referenceNotes(r: Report["references"][number]): string[] {
  const notes: string[] = [];
  const none = r.components.filter((c) => c.comparable === false);
  if (nothingComparable(r)) notes.push("nothing comparable");
  else if (none.length) notes.push(`nothing comparable in ${none.map((c) => c.name).join(", ")}`);
  const same = r.components.reduce((s, c) => s + (c.identical?.tensors ?? 0), 0);
  if (same) notes.push(count(same, "byte-identical matrix", "byte-identical matrices"));
  return notes;
}

/** One line on a component's byte-identical matrices, or null. */
export function identicalLine(c: ComponentResult): string | null {
  const id = c.identical;
  if (!id || id.tensors === 0) return null;
  return `${count(id.tensors, "byte-identical matrix", "byte-identical matrices")} (${fmtPct(id.parameters / Math.max(1, c.candidateParameters))} of the component's parameters)`;
}

/** A component's verdict with its qualifier: "independent (nothing comparable)". */
export function componentVerdictLabel(c: ComponentResult): string {
  return c.comparable === false ? `${c.verdict} (nothing comparable)` : c.verdict;
}

/**
 * How a component's alignments are named: on a reused component they are transforms undone (they
 * explain the match); on an independent or inconclusive one they are alignments tried, which found
 * nothing: "undone" there would read like hidden reuse.
 */
export function alignmentWords(c: Pick<ComponentResult, "verdict">): { many: string; one: string } {
  return c.verdict === "reused" ? { many: "transforms undone", one: "transform undone" } : { many: "alignments tried", one: "alignment tried" };
}

/** A tensor's alignment beside its numbers: "" as stored, else "transform undone: transpose" or "alignment tried: transpose". */
export function transformNote(t: Pick<TensorResult, "transform">, c: Pick<ComponentResult, "verdict">): string {
  return t.transform === "none" ? "" : `${alignmentWords(c).one}: ${t.transform}`;
}

/** Every element equal, stored alike (same dtype, no transform undone), all of it read: the same bytes. */
export function isByteIdentical(t: Pick<TensorResult, "identical" | "error" | "sampled" | "transform" | "dtype">): boolean {
  return t.identical && !t.error && !t.sampled && t.transform === "none" && t.dtype.candidate === t.dtype.reference;
}

/** How a tensor's identity is shown: byte-identical, or equal values (another dtype or layout). */
export function identicalTag(t: TensorResult): string {
  if (!t.identical) return "";
  return isByteIdentical(t) ? "byte-identical" : "identical values";
}

/** The tensors that speak loudest: smallest p among informative tested tensors. */
export function strongest(c: ComponentResult, k: number): TensorResult[] {
  return c.tensors
    .filter((t) => t.informative && t.log10p !== undefined)
    .sort((a, b) => a.log10p! - b.log10p!)
    .slice(0, k);
}

/** One line on the reference cache, or null when no cache was used: what came from disk and from the store. */
export function cacheLine(r: Report["references"][number]): string | null {
  const c = r.cache;
  if (!c || c.listing === "off") return null;
  const parts = [`headers ${c.listing === "hit" ? "from the cache" : "fetched and cached"}`];
  if (c.rangesHit > 0) parts.push(`${c.rangesHit} ranges (${(c.bytesFromCache / 1e6).toFixed(1)} MB) from the cache`);
  if (c.rangesStored > 0) parts.push(`${c.rangesStored} ranges stored`);
  if (c.store) parts.push(c.store.restored ? `restored from ${c.store.name}` : c.store.saved ? `saved to ${c.store.name}` : `not in ${c.store.name}`);
  return `cache ${c.listing === "hit" ? "hit" : "miss"}: ${parts.join(", ")}`;
}

/** The search's line: what it looked at, and what the policy let it claim (matrices that stand out only aligned). */
export function searchLine(search: SearchSummary): string {
  const matched = search.matched ? `; ${search.matched === 1 ? "1 matrix stands" : `${search.matched} matrices stand`} out only once aligned` : "";
  return search.status === "stopped" ? `alignment search stopped: ${search.note}` : `${search.note}${matched}`;
}
