/**
 * Exact copies in any order: a large candidate tensor whose values are an exact rearrangement of a
 * reference tensor's (transposed, reshaped, its elements permuted in a way no layout rule knows) is a copy,
 * counted as evidence (`promoted: "rearranged-copy"`) and in the share.
 *
 * Cheap first: a tensor's value fingerprint is its count, mean and standard deviation, which the planned
 * pass computes anyway while it reads every element (exact mode; `ValueMoments` keeps them per tensor), so
 * a rearranged copy costs nothing to suspect. Only tensors the pass left unexplained (no overwhelming
 * test) and unmatched candidate tensors are fingerprinted, against the reference tensors of the same
 * element count; in exact mode a tensor no pass read is read once (within the cap below). A fingerprint that agrees is
 * confirmed by sorting both tensors' values and comparing them all. In sampled mode nothing is read for
 * it: only tensors the pass read whole (small ones) are fingerprinted.
 *
 * What makes it honest (src/stats/multiset.ts): the p-value is the chance that an independent draw from
 * the reference's own value distribution reproduces its multiset, times the reference tensors it was
 * checked against (Bonferroni); the tensor must hold at least MIN_DISTINCT distinct values (quantized
 * and constant tensors are left to the other tests), be no shared construction on either side
 * (src/stats/constructions/), and a table smooth along its positions is never decisive alone
 * (`structureOnly`, as for byte-identical copies).
 */
import type { AlignedPair, ComponentAlignment, Located } from "../align/align.js";
import { type TensorView, fullView, numel, viewElements } from "../align/view.js";
import type { TensorEvidence } from "../report/evidence.js";
import { AS_STORED } from "../align/transform.js";
import { loadMatrix } from "../search/matrix.js";
import type { WeightSource } from "../sources/types.js";
import type { SampledPair } from "../stats/controls.js";
import { recognise } from "../stats/constructions/index.js";
import { roughness } from "../stats/constructions/position-grid.js";
import { distinctSorted, multisetLog10p, sameSorted, sortedValues } from "../stats/multiset.js";
import { PairAccumulator, type PairStats } from "../stats/pair-stats.js";
import { bonferroniLog10 } from "../stats/combine.js";
import { FromScratchError } from "../common/errors.js";
import { DECODABLE } from "../safetensors/dtypes.js";
import { zFromLog10P } from "../stats/pvalues.js";

/** Tensors below this many elements are left to the byte-identical rule. */
export const MIN_REARRANGED_ELEMENTS = 4096;
/** At least this many distinct values (8-bit quantized tensors hold at most 256). */
const MIN_DISTINCT = 1024;
/** Largest tensor read or sorted whole (elements per side). */
const MAX_ELEMENTS = 16 * 1024 * 1024;
/** A pair whose test is at least this strong is explained already. */
const EXPLAINED_LOG10P = -12;
/** Fingerprints agree when mean and sd differ by at most this fraction of the sd (summation order). */
const MOMENT_TOLERANCE = 1e-6;
/** Below this roughness along its positions (trained matrices ~1) a table is smooth (as in constructions.ts). */
const SMOOTH_ROUGHNESS = 0.5;

export interface Moments {
  n: number;
  mean: number;
  sd: number;
}

/** Per tensor (by name), the moments of every whole tensor the planned pass read exactly, one side each. */
export class ValueMoments {
  readonly candidate = new Map<string, Moments>();
  readonly reference = new Map<string, Moments>();

  /** Record a pair read whole and exactly (both sides' moments come free with its statistics). */
  record(pair: AlignedPair, stats: PairStats, sampled: boolean): void {
    if (sampled || stats.nonFinite > 0 || stats.n === 0) return;
    if (isWhole(pair.candidate)) this.candidate.set(pair.candidate.entry.name, { n: stats.n, mean: stats.meanA, sd: stats.sdA });
    if (isWhole(pair.reference)) this.reference.set(pair.reference.entry.name, { n: stats.n, mean: stats.meanB, sd: stats.sdB });
  }
}

const isWhole = (v: TensorView) => v.rowStart === 0 && viewElements(v) === numel(v.entry.shape);

/** What the check needs: the component's compared state and where to read. */
export interface Rearranged {
  comp: ComponentAlignment;
  tensors: TensorEvidence[];
  samples: (SampledPair | null)[];
  moments?: ValueMoments;
}

export interface FingerprintContext {
  cand: WeightSource;
  ref: WeightSource;
  fraction: number;
  referenceTensors: Located[];
}

function agree(a: Moments, b: Moments): boolean {
  const scale = Math.max(a.sd, b.sd, Number.MIN_VALUE);
  return a.n === b.n && Math.abs(a.mean - b.mean) <= MOMENT_TOLERANCE * scale && Math.abs(a.sd - b.sd) <= MOMENT_TOLERANCE * scale;
}

/**
 * A side's moments: from the pass, else (exact mode only: sampled mode reads no more than it announced)
 * one read of the whole tensor within the cap, else null.
 */
async function momentsOf(known: Map<string, Moments>, source: WeightSource, entry: Located["entry"], fraction: number): Promise<Moments | null> {
  const had = known.get(entry.name);
  if (had) return had;
  if (fraction < 1 || numel(entry.shape) > MAX_ELEMENTS || !DECODABLE.has(entry.dtype)) return null;
  const m = await loadMatrix(source, fullView(entry));
  const acc = new PairAccumulator();
  acc.add(m.data, m.data);
  const s = acc.result();
  if (s.nonFinite > 0) return null;
  const out = { n: s.n, mean: s.meanA, sd: s.sdA };
  known.set(entry.name, out);
  return out;
}

type Match = { reference: Located["entry"]; log10p: number; distinct: number; smooth: number | null };

/** Confirm by sorted values; null unless the multiset is equal, rich enough and no construction. */
async function confirm(cEntry: Located["entry"], rEntry: Located["entry"], ctx: FingerprintContext): Promise<Match | null> {
  const a = await loadMatrix(ctx.cand, fullView(cEntry));
  const b = await loadMatrix(ctx.ref, fullView(rEntry));
  const sa = sortedValues(a.data);
  const sb = sortedValues(b.data);
  if (!sameSorted(sa, sb)) return null;
  const distinct = distinctSorted(sb);
  if (distinct < MIN_DISTINCT) return null;
  if (recognise(b.data, [b.rows, b.cols], rEntry.name) || recognise(a.data, [a.rows, a.cols], cEntry.name)) return null;
  const smooth = Math.max(b.rows, b.cols) <= 16384 ? roughness(b.data, b.rows, b.cols) : null;
  return { reference: rEntry, log10p: multisetLog10p(sb), distinct, smooth: smooth !== null && smooth < SMOOTH_ROUGHNESS ? smooth : null };
}

/** findMatch, with a tensor that cannot be decoded (a format error confined to it) matching nothing. */
async function findMatchOrNone(cEntry: Located["entry"], ctx: FingerprintContext, moments: ValueMoments, own?: string): Promise<Match | null> {
  try {
    return await findMatch(cEntry, ctx, moments, own);
  } catch (e) {
    if (e instanceof FromScratchError && e.kind === "format") return null;
    throw e;
  }
}

/** The reference tensor holding exactly the candidate's values, among those of its element count. */
async function findMatch(cEntry: Located["entry"], ctx: FingerprintContext, moments: ValueMoments, own?: string): Promise<Match | null> {
  const n = numel(cEntry.shape);
  const options = ctx.referenceTensors.filter((r) => numel(r.entry.shape) === n && DECODABLE.has(r.entry.dtype));
  if (options.length === 0) return null;
  const cm = await momentsOf(moments.candidate, ctx.cand, cEntry, ctx.fraction);
  if (!cm) return null;
  // The pair's own reference first: the usual case (a copy whose layout no rule explained).
  const ordered = [...options].sort((x, y) => Number(y.entry.name === own) - Number(x.entry.name === own));
  for (const r of ordered) {
    const rm = await momentsOf(moments.reference, ctx.ref, r.entry, ctx.fraction);
    if (!rm || !agree(cm, rm)) continue;
    const m = await confirm(cEntry, r.entry, ctx);
    if (m) return { ...m, log10p: bonferroniLog10(m.log10p, options.length) };
  }
  return null;
}

/** The tensor as a rearranged copy of the matched reference tensor: a new record. */
function markCopy(t: TensorEvidence, m: Match): TensorEvidence {
  const copy: TensorEvidence = { ...t, reference: m.reference.name, informative: true, promoted: "rearranged-copy", transform: [...t.transform, "rearranged"], permutation: { units: m.distinct, features: 1, z: zFromLog10P(m.log10p), log10p: m.log10p, effect: 1 } };
  if (m.smooth === null) return copy;
  return { ...copy, structureOnly: `the same values in another order in a table smooth along its positions (roughness ${m.smooth.toFixed(2)}; trained weight matrices ~1): a learned or shared position table no formula explains, whose likeness the multiset cannot price` };
}

/** Pairs the pass left unexplained, and unmatched candidate tensors, checked for rearranged copies; returns the new state. */
export async function findRearrangedCopies<R extends Rearranged>(c: R, ctx: FingerprintContext): Promise<R> {
  const moments = c.moments ?? new ValueMoments();
  for (let i = 0; i < c.comp.pairs.length; i++) {
    const pair = c.comp.pairs[i]!;
    const t = c.tensors[i]!;
    if (t.error || t.identical || t.deterministic || t.promoted || !isWhole(pair.candidate) || numel(pair.candidate.entry.shape) < MIN_REARRANGED_ELEMENTS) continue;
    if (t.permutation && t.permutation.log10p <= EXPLAINED_LOG10P) continue;
    const m = await findMatchOrNone(pair.candidate.entry, ctx, moments, pair.reference.entry.name);
    if (m) c.tensors[i] = markCopy(t, m);
  }
  const still: Located[] = [];
  const added: { pair: AlignedPair; tensor: TensorEvidence }[] = [];
  for (const u of c.comp.unmatchedEntries) {
    const m = numel(u.entry.shape) >= MIN_REARRANGED_ELEMENTS && u.entry.shape.length >= 1 ? await findMatchOrNone(u.entry, ctx, moments) : null;
    if (!m) {
      still.push(u);
      continue;
    }
    const pair: AlignedPair = { component: c.comp.name, layer: u.layer, role: u.role, candidate: fullView(u.entry), reference: fullView(m.reference), transform: ["rearranged"], informative: true };
    const unpaired: TensorEvidence = {
      candidate: u.entry.name,
      reference: m.reference.name,
      elements: numel(u.entry.shape),
      cosine: null,
      pearson: null,
      z: null,
      identical: false,
      transform: AS_STORED,
      layer: u.layer,
      role: u.role,
      informative: true,
      null: null,
      dtype: { candidate: u.entry.dtype, reference: m.reference.dtype },
    };
    added.push({ pair, tensor: markCopy(unpaired, m) });
  }
  if (added.length === 0) return c;
  const comp: ComponentAlignment = {
    ...c.comp,
    pairs: [...c.comp.pairs, ...added.map((a) => a.pair)],
    unmatched: c.comp.unmatched.filter((name) => !added.some((a) => a.tensor.candidate === name)),
    unmatchedParameters: still.reduce((s, u) => s + numel(u.entry.shape), 0),
    unmatchedEntries: still,
  };
  return { ...c, comp, tensors: [...c.tensors, ...added.map((a) => a.tensor)], samples: [...c.samples, ...added.map(() => null)] };
}
