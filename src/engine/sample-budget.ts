/**
 * Memory bounded whatever the expert count. Every compared pair keeps its sample grid (up to 16 Ki values
 * a side) for the looks, controls and the per-layer strip that run after the planned pass: a 100B MoE has
 * ~17k expert pairs (2 GB of samples), 256 experts x 4 layers of a small model already 400 MB. A routed
 * expert's pair is tested as soon as it is read (on its whole grid), and its sample then shrunk so that
 * a component's expert samples hold at most EXPERT_SAMPLE_BUDGET bytes: what runs later on it (same-kind
 * controls, the strip, the construction screen) is reported or screens, it does not test.
 */
import type { AlignedPair } from "../align/align.js";
import type { SampledPair } from "../stats/controls.js";

/**
 * Bytes a component's routed-expert samples may hold (both sides). At 48 MiB they were half of what a
 * sampled check of GLM-4.5-Air's width held live (45 of 92 MB, 2 MoE layers): 16 MiB still keeps
 * ~2.7k values a side for each of 768 expert matrices, and MIN_VALUES at a 100B MoE's ~17k.
 */
export const EXPERT_SAMPLE_BUDGET = 16 << 20;
/** Values a shrunk sample keeps at least (a side). */
const MIN_VALUES = 256;

/** A routed expert's pair (per expert or a fused tensor's slab): its sample is shrunk after its test. */
export function isExpertPair(p: AlignedPair): boolean {
  return /(^|\.)experts\.\d+\./.test(p.candidate.entry.name) || p.transform.some((k) => k === "split-experts" || k === "expert-matched");
}

/** Values each expert sample of a component may keep (a side): the budget spread over its expert pairs. */
export function expertSampleCap(pairs: readonly AlignedPair[]): number {
  const experts = pairs.filter(isExpertPair).length;
  return experts === 0 ? Infinity : Math.max(MIN_VALUES, Math.floor(EXPERT_SAMPLE_BUDGET / (8 * experts)));
}

/** Every k-th element of `xs`, k chosen so that at most `keep` remain (evenly spaced, first kept). */
function evenly(n: number, keep: number): number[] {
  if (keep >= n) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: keep }, (_, i) => Math.floor((i * n) / keep));
}

/** The sample on a coarser grid of at most `cap` values (rows and columns thinned alike), or itself. */
export function shrinkSample(s: SampledPair, cap: number): SampledPair {
  const n = s.rowsSampled * s.colsSampled;
  if (n <= cap || s.a.length !== n) return s;
  const scale = Math.sqrt(cap / n);
  const rows = evenly(s.rowsSampled, Math.max(2, Math.floor(s.rowsSampled * scale)));
  const cols = evenly(s.colsSampled, Math.max(2, Math.floor(cap / rows.length)));
  const a = new Float32Array(rows.length * cols.length);
  const b = new Float32Array(rows.length * cols.length);
  rows.forEach((r, i) =>
    cols.forEach((c, j) => {
      a[i * cols.length + j] = s.a[r * s.colsSampled + c]!;
      b[i * cols.length + j] = s.b[r * s.colsSampled + c]!;
    }),
  );
  const out: SampledPair = { ...s, rowsSampled: rows.length, colsSampled: cols.length, a, b };
  if (s.grid) out.grid = { rows: Int32Array.from(rows, (r) => s.grid!.rows[r]!), cols: Int32Array.from(cols, (c) => s.grid!.cols[c]!) };
  return out;
}
