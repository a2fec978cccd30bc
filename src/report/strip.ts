/**
 * What the three renderers (text, job summary, HTML) share: the per-layer
 * profile of a component (the Pearson of its matched matrices, layer by layer,
 * with the same-kind null), the one-line strip of Unicode blocks drawn from it,
 * the transforms undone, and the verdict with its rule in one sentence.
 */
import { median } from "../common/median.js";
import type { ComponentResult, Report, TensorResult, Verdict } from "./schema.js";

export const BLOCKS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;
/** Shown for a layer where no matrix could be compared. */
export const NO_DATA = "·";
export const STRIP_LEGEND = "one block per candidate layer: median |Pearson| of its matched matrices, ▁ < 0.125 … █ ≥ 0.875, · nothing compared";

export interface LayerPoint {
  layer: number;
  /** Median Pearson of the layer's informative matched matrices (after any alignment search); null when none was compared. */
  pearson: number | null;
  /** Each informative compared matrix of the layer: its Pearson and whether it stands out. */
  tensors: { pearson: number; standsOut: boolean }[];
  standsOut: number;
  /** Pooled same-kind null of the layer's matrices: mean of the means, root mean square of the sds. */
  null: { mean: number; sd: number } | null;
}

/** Informative matrices that were compared (a Pearson, no read error). */
function compared(t: TensorResult): boolean {
  return t.informative && t.pearson !== null && !t.error;
}

/** The component's layers in order, each with its matched matrices' Pearson and null. */
export function layerProfile(c: ComponentResult): LayerPoint[] {
  // One pass over the tensors, grouped by layer (a filter per layer is layers x tensors: slow on deep models).
  const byLayer = new Map<number, TensorResult[]>();
  for (const t of c.tensors) {
    if (t.layer === null || !t.informative) continue;
    let ts = byLayer.get(t.layer);
    if (!ts) byLayer.set(t.layer, (ts = []));
    if (compared(t)) ts.push(t);
  }
  for (const l of c.layerMatrix?.candidateLayers ?? []) if (!byLayer.has(l)) byLayer.set(l, []);
  return [...byLayer.keys()]
    .sort((a, b) => a - b)
    .map((layer) => {
      const ts = byLayer.get(layer)!;
      const nulls = ts.flatMap((t) => (t.null ? [t.null] : []));
      return {
        layer,
        pearson: median(ts.map((t) => t.pearson!)),
        tensors: ts.map((t) => ({ pearson: t.pearson!, standsOut: t.standsOut })),
        standsOut: ts.filter((t) => t.standsOut).length,
        null: nulls.length
          ? { mean: nulls.reduce((s, n) => s + n.mean, 0) / nulls.length, sd: Math.sqrt(nulls.reduce((s, n) => s + n.sd * n.sd, 0) / nulls.length) }
          : null,
      };
    });
}

/** The block for one value: |r| in eighths. */
export function blockFor(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return NO_DATA;
  return BLOCKS[Math.max(0, Math.min(BLOCKS.length - 1, Math.floor(Math.abs(r) * BLOCKS.length)))]!;
}

/** A layer's state: most of its matrices stand out, some do, none do, or nothing compared. */
export type LayerState = "reused" | "partial" | "clear" | "none";

export function layerState(p: LayerPoint): LayerState {
  if (p.pearson === null) return "none";
  if (p.standsOut * 2 >= p.tensors.length && p.standsOut > 0) return "reused";
  return p.standsOut > 0 ? "partial" : "clear";
}

const ANSI: Record<LayerState, string> = { reused: "\x1b[31m", partial: "\x1b[33m", clear: "\x1b[32m", none: "\x1b[2m" };
const RESET = "\x1b[0m";

/**
 * The strip of a component: one block per candidate layer, or "" when it has
 * no layered matrices. With `color`, blocks are red where the layer's matrices
 * stand out, yellow where some do, green where none does.
 */
export function strip(c: ComponentResult, opts: { color?: boolean; maxLayers?: number } = {}): string {
  let points = layerProfile(c);
  const max = opts.maxLayers ?? Infinity;
  const cut = points.length > max ? points.length - max : 0;
  if (cut) points = points.slice(0, max);
  if (!opts.color) return points.map((p) => blockFor(p.pearson)).join("") + (cut ? `…(+${cut})` : "");
  let out = "";
  let prev: LayerState | null = null;
  for (const p of points) {
    const s = layerState(p);
    if (s !== prev) out += (prev ? RESET : "") + ANSI[s];
    prev = s;
    out += blockFor(p.pearson);
  }
  return (prev ? out + RESET : out) + (cut ? `…(+${cut})` : "");
}

/** Distinct transforms in a component's compared tensors (undone when reused, tried otherwise), with counts, most frequent first. */
export function transformsSeen(c: ComponentResult): { transform: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const t of c.tensors) if (!t.error) counts.set(t.transform, (counts.get(t.transform) ?? 0) + 1);
  return [...counts].map(([transform, count]) => ({ transform, count })).sort((a, b) => b.count - a.count || a.transform.localeCompare(b.transform));
}

const ORDER: Record<Verdict, number> = { reused: 0, inconclusive: 1, independent: 2 };

/** The component that decided a reference's verdict: the first with the reference's verdict, else the largest. */
export function decidingComponent(r: Report["references"][number]): ComponentResult | null {
  const same = r.components.filter((c) => c.verdict === r.verdict);
  const pool = same.length ? same : r.components;
  return [...pool].sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict] || b.comparedParameters - a.comparedParameters)[0] ?? null;
}

const strip0 = (s: string) => s.replace(/[.\s]+$/, "");

/** The overall verdict and the rule that produced it, in one sentence. */
/**
 * The verdict and the rule that produced it, in one sentence. With
 * `errorsOnStderr` (the CLI's text output) an error is referred to, not
 * repeated: the CLI prints it once, on stderr.
 */
export function verdictSentence(report: Report, opts: { errorsOnStderr?: boolean } = {}): string {
  const why = (m: string) => (opts.errorsOnStderr ? "the error is below" : strip0(m));
  const refs = report.references;
  const v = report.verdict;
  const head = v === "reused" ? "Reused" : v === "independent" ? "Independent" : "Inconclusive";
  const deciding = refs.filter((r) => r.verdict === v);
  const r = deciding[0];
  const others = deciding.length > 1 ? ` (and ${deciding.length - 1} more reference${deciding.length > 2 ? "s" : ""} ${v})` : "";
  if (!r) {
    if (report.error) return `${head}: the run stopped before any reference was compared (${why(report.error.message)}).`;
    return `${head}: no reference was compared.`;
  }
  if (r.error) return `${head}: ${r.source} could not be compared (${why(r.error.message)})${others}.`;
  if (v === "reused") {
    const comps = r.components.filter((c) => c.verdict === "reused");
    const c = comps[0]!;
    const names = comps.map((x) => x.name).join(" and ");
    // A plain model is one component named "model": no "the candidate's model … because in model …".
    // Honest wording: the weights show the candidate was not trained independently of the reference:
    // copied, fine-tuned, or trained from a shared initialisation (indistinguishable by weights alone).
    const what = "copied, fine-tuned, or trained from a shared initialisation";
    if (comps.length === 1 && c.name === "model") return `${head}: the candidate is not independent of ${r.source} (${what}): ${strip0(c.reason).replace(/^not independent: /, "")}${others}.`;
    return `${head}: the candidate's ${names} ${comps.length === 1 ? "is" : "are"} not independent of ${r.source} (${what}), because in ${c.name} ${strip0(c.reason).replace(/^not independent: /, "")}${others}.`;
  }
  const c = decidingComponent(r);
  const tail = report.error ? `; the run stopped early (${why(report.error.message)})` : "";
  if (!c) return `${head}: ${r.source} has no comparable component (${strip0(r.reason)})${others}${tail}.`;
  if (v === "independent") {
    const all = refs.length > 1 ? `, and every component of the candidate is independent of all ${refs.length} references` : "";
    return `${head}: against ${r.source}, ${c.name}: ${strip0(c.reason)}${all}${tail}.`;
  }
  return `${head}: against ${r.source}, ${c.name}: ${strip0(c.reason)}${others}${tail}.`;
}
