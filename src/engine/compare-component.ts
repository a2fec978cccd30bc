/**
 * One component against one reference: the planned element-wise pass (in the
 * reference's file order), a second look at square matrices stored
 * transposed, ambiguity resolution, nulls and z, the verdict, and the
 * alignment search where element-wise comparison left matrices unexplained.
 */
import type { AlignedPair, ComponentAlignment, Located } from "../align/align.js";
import { componentKind, parseName } from "../align/names.js";
import { isLayout } from "../align/transform.js";
import { type TensorView, numel, partKey, viewElements } from "../align/view.js";
import { FromScratchError } from "../common/errors.js";
import type { ComponentResult, TensorResult } from "../report/schema.js";
import type { ComponentEvidence, SearchEvidence, TensorEvidence } from "../report/evidence.js";
import { renderComponent } from "../report/render.js";
import { type SearchOutcome, searchComponent } from "../search/deep-stage.js";
import { floorIfResidualOnly } from "./tensor-roles.js";
import { hiddenWidths, internalUnits, unitRules } from "./unit-axis.js";
import type { Settings } from "../settings/settings.js";
import type { MemoSource } from "../sources/memo.js";
import type { WeightSource } from "../sources/types.js";
import { readRowSet } from "../search/sketch-read.js";
import { comparePair } from "./stream-pair.js";
import { type SampledPair, nullsFor } from "../stats/controls.js";
import { bonferroniLog10, weightedLog10 } from "../stats/combine.js";
import { PairAccumulator, type PairStats, relativeSquaredDifference } from "../stats/pair-stats.js";
import { decideComponent, standingOut } from "../policy/policy.js";
import { type TensorTest, tensorIndependence } from "../stats/independence.js";
import { vectorPermutationTest } from "../stats/vector-test.js";
import { recogniseConstructions } from "./constructions.js";
import { payForExpertMatching, payForExpertMatchingInSearch } from "./expert-match.js";
import { expertSampleCap, isExpertPair, shrinkSample } from "./sample-budget.js";
import { readOrder } from "./read-plan.js";
import { resolveAmbiguity } from "./resolve-ambiguity.js";
import { compareFactored, withLost } from "./compare-factored.js";
import { gatherComponent, layerMatrix } from "./gather-component.js";
import { ValueMoments, findRearrangedCopies } from "./value-fingerprint.js";

/** What comparing a component against one reference needs: the sources (behind their memos) and how to read. */
export interface ComponentContext {
  cand: MemoSource;
  ref: MemoSource;
  settings: Settings;
  /** Fraction of rows read from informative matrices (1 = exact). */
  fraction: number;
  /** Every reference tensor, located (the search looks beyond the aligned pairs). */
  referenceTensors: Located[];
  onPair: () => void;
  onSearch?: (message: string) => void;
  /** The family the component's p-value is corrected over (components x references). */
  family: number;
}

/** Per-pair results in the alignment's order, and what the nulls and the search need of them. */
interface Compared {
  comp: ComponentAlignment;
  /** Immutable records; a stage that learns something about a tensor puts a new record in its place. */
  tensors: TensorEvidence[];
  samples: (SampledPair | null)[];
  /** Each whole tensor's count, mean and sd, from the planned pass (the rearranged-copy fingerprint). */
  moments?: ValueMoments;
}

export async function compareComponent(comp: ComponentAlignment, ctx: ComponentContext): Promise<ComponentResult> {
  const { thresholds } = ctx.settings;
  // The planned pass reads through the sources (and their read-ahead); what reads a tensor again after it
  // (the transposed look, the search) takes it from the memo.
  ctx.cand.serving = ctx.ref.serving = false;
  let c = await comparePlanned(comp, ctx);
  ctx.cand.serving = ctx.ref.serving = true;
  // Matrices stored as several tensors, compared as the map they make (src/engine/compare-factored.ts).
  const rules = unitRules(c.comp.pairs);
  const factored = await compareFactored(comp.factored, ctx.cand, ctx.ref, { onPair: ctx.onPair, layout: rules.layout });
  c = { ...c, comp: withLost(c.comp, factored.lost) };
  c.tensors = c.tensors.map((t, i) => directTest(t, c.samples[i] ?? null, internalUnits(c.comp.pairs[i]!, rules)));
  const looks = c.comp.pairs.map(() => 1);
  c = await layoutLook(c, ctx, looks);
  c = await transposedLook(c, ctx);
  c.tensors = smallIdenticalTests(c, looks);
  c.tensors = payForExpertMatching(c.comp.pairs, c.tensors, (pair) => internalUnits(pair, rules));
  c.tensors = c.tensors.map((t, i) => floorIfResidualOnly(t, c.comp.pairs[i]!.role));
  c = dropAmbiguous(c);
  // Exact copies in any order (src/engine/value-fingerprint.ts), before the search.
  c = await findRearrangedCopies(c, { cand: ctx.cand, ref: ctx.ref, fraction: ctx.fraction, referenceTensors: ctx.referenceTensors });
  c.tensors = await recogniseConstructions(c, ctx);
  c.tensors = describeNulls(c);
  // The element-wise evidence, sealed (each tensor's p from its looks): the pairs' tensors, then the maps'.
  const direct = gatherComponent(c.comp, [...c.tensors, ...factored.tensors], null, layerMatrix(c.comp.pairs, c.samples));
  const paired = c.tensors.length;
  // The samples (up to 16 Ki values a side per pair: ~37 MB at 32 layers of 7B width) have served the
  // nulls and looks above; the search does not use them, so they are not held through it.
  c.samples.fill(null);
  const evidence = await searchWhereUnexplained({ ...c, tensors: direct.tensors.slice(0, paired) }, direct, ctx, direct.tensors.slice(paired));
  // One decision on everything gathered, then the report's result.
  return renderComponent(evidence, decideComponent(evidence, ctx.family, thresholds));
}

/** Pairs are read in the reference's file order (what the sources' read-ahead was told); results keep the alignment's order. */
async function comparePlanned(comp: ComponentAlignment, ctx: ComponentContext): Promise<Compared> {
  const results = new Array<{ base: TensorEvidence; sample: SampledPair | null }>(comp.pairs.length);
  // Routed experts are tested as they are read and keep a shrunk sample (src/engine/sample-budget.ts).
  const cap = expertSampleCap(comp.pairs);
  const rules = cap < Infinity ? unitRules(comp.pairs) : null;
  const moments = new ValueMoments();
  for (const index of readOrder(comp.pairs)) {
    const pair = comp.pairs[index]!;
    const planned = await comparePlannedPair(pair, ctx);
    const { sample, stats } = planned;
    const base = rules && sample && isExpertPair(pair) ? directTest(planned.base, sample, internalUnits(pair, rules)) : planned.base;
    results[index] = { base, sample: rules && sample && isExpertPair(pair) ? shrinkSample(sample, cap) : sample };
    if (stats) moments.record(pair, stats, base.sampled !== undefined);
    ctx.onPair();
  }
  return { comp, tensors: results.map((r) => r.base), samples: results.map((r) => r.sample), moments };
}

async function comparePlannedPair(pair: AlignedPair, ctx: ComponentContext): Promise<{ base: TensorEvidence; sample: SampledPair | null; stats?: PairStats }> {
  const base = pairEvidence(pair);
  try {
    const { stats, sample, sampling } = await comparePair(pair, ctx.cand, ctx.ref, { fraction: pair.informative ? ctx.fraction : 1, depth: ctx.settings.reads.blocksInFlight });
    const measured: TensorEvidence = {
      ...base,
      ...(sampling ? { sampled: sampling } : {}),
      cosine: stats.cosine,
      pearson: stats.pearson,
      identical: stats.identical,
      ...(stats.nonFinite > 0 ? { error: `${stats.nonFinite} non-finite values (NaN/Inf)` } : {}),
    };
    return { base: measured, sample: stats.pearson === null ? null : sample, stats };
  } catch (e) {
    // A format problem confined to one tensor (e.g. an unsupported dtype) makes it unread;
    // fetch and auth errors stop the run.
    if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
    return { base: { ...base, error: e.message }, sample: null };
  }
}

/** A pair's record before anything is read. */
function pairEvidence(pair: AlignedPair): TensorEvidence {
  return {
    candidate: pair.candidate.entry.name,
    reference: pair.reference.entry.name,
    elements: viewElements(pair.candidate),
    cosine: null,
    pearson: null,
    z: null,
    identical: false,
    transform: pair.transform,
    layer: pair.layer,
    role: pair.role,
    informative: pair.informative,
    null: null,
    dtype: { candidate: pair.candidate.entry.dtype, reference: pair.reference.entry.dtype },
  };
}

/** Below this direct log10 p the transposed look is not taken (its cost is still paid: see transposedLook). */
const OVERWHELMING_LOG10P = -12;
/** The stored look's weight against the transposed one. */
const STORED_WEIGHT = 0.9;

/**
 * A square matrix stored transposed (Conv1D layouts) has no shape to betray it: compare the transposed
 * candidate too and keep the stronger look. Selection paid for: every square matrix eligible for the
 * second look gets a weighted Bonferroni, p = min(p_stored / 0.9, p_transposed / 0.1): most matrices are
 * stored as their names say, so the stored look keeps most of the level (when it is overwhelming the second
 * is not read, and p_stored / 0.9 is still at least the weighted minimum).
 */
async function transposedLook(c: Compared, ctx: ComponentContext): Promise<Compared> {
  let comp = c.comp;
  const tensors = [...c.tensors];
  const samples = [...c.samples];
  for (let i = 0; i < comp.pairs.length; i++) {
    const pair = comp.pairs[i]!;
    const t = tensors[i]!;
    const v = pair.candidate;
    if (!pair.informative || t.error || t.pearson === null || !t.permutation) continue;
    // A layout the names decided (or that was already tried, layoutLook) needs no second look.
    if (v.axes || pair.alternatives || pair.transform.some(isLayout) || v.rows !== v.cols || v.rowStart !== 0 || v.storedRows !== v.storedCols) continue;
    const direct = t.permutation;
    const stored: TensorEvidence = { ...t, permutation: { ...direct, log10p: weightedLog10(direct.log10p, STORED_WEIGHT) } };
    if (direct.log10p <= OVERWHELMING_LOG10P) {
      tensors[i] = stored;
      continue;
    }
    const flipped: AlignedPair = { ...pair, candidate: { ...v, transpose: !v.transpose }, transform: [...pair.transform, "transpose"] };
    const looked = await transposedSample(flipped.candidate, samples[i], ctx.cand);
    if (!looked) {
      tensors[i] = stored;
      continue;
    }
    const { stats, sample } = looked;
    const test = stats.pearson !== null ? tensorIndependence(sample) : null;
    if (test && weightedLog10(test.log10p, 1 - STORED_WEIGHT) < weightedLog10(direct.log10p, STORED_WEIGHT)) {
      comp = { ...comp, pairs: comp.pairs.map((p, j) => (j === i ? flipped : p)) };
      const permutation = { ...asReported(test), log10p: weightedLog10(test.log10p, 1 - STORED_WEIGHT) };
      tensors[i] = { ...t, cosine: stats.cosine, pearson: stats.pearson, identical: stats.identical, transform: flipped.transform, permutation };
      samples[i] = sample;
    } else {
      tensors[i] = stored;
    }
  }
  return { ...c, comp, tensors, samples };
}

/**
 * The transposed look on the direct pass's sample grid: the reference's grid values are already there,
 * and the candidate's transposed values at the grid's (row, col) are its stored rows `cols` at columns
 * `rows` (a square matrix), a few rows read. Statistics on the grid, bounded memory, and no reference
 * byte outside the read plan.
 */
async function transposedSample(view: TensorView, sample: SampledPair | null | undefined, cand: WeightSource): Promise<{ stats: PairStats; sample: SampledPair } | null> {
  if (!sample?.grid) return null;
  const { rows, cols } = sample.grid;
  const stored = await readRowSet(cand, { ...view, transpose: !view.transpose, rows: view.cols, cols: view.rows }, cols, { columns: rows });
  // stored[k][q] = candidate canonical (rows[q], cols[k]): lay it out row-major on the grid.
  const a = new Float32Array(rows.length * cols.length);
  for (let q = 0; q < rows.length; q++) for (let k = 0; k < cols.length; k++) a[q * cols.length + k] = stored.data[k * rows.length + q]!;
  const acc = new PairAccumulator();
  acc.add(a, sample.b);
  return { stats: acc.result(), sample: { ...sample, a } };
}

/**
 * A tensor whose layout names and shapes left open (src/align/layout.ts) is compared in every layout that
 * fits the reference; the best-supported one is kept (smallest p of the direct test, else largest |Pearson|)
 * and the selection is paid for: p = k·min over the k looks (Bonferroni), recorded in `looks` for tests
 * that run later (small byte-identical tensors).
 */
async function layoutLook(c: Compared, ctx: ComponentContext, looks: number[]): Promise<Compared> {
  let comp = c.comp;
  const tensors = [...c.tensors];
  const samples = [...c.samples];
  const rules = unitRules(comp.pairs);
  for (let i = 0; i < comp.pairs.length; i++) {
    const pair = comp.pairs[i]!;
    const t = tensors[i]!;
    if (!pair.alternatives?.length || t.error) continue;
    const k = 1 + pair.alternatives.length;
    looks[i] = k;
    type Look = { pair: AlignedPair; stats: { cosine: number | null; pearson: number | null; identical: boolean }; sample: SampledPair | null; test: TensorTest | null };
    const score = (l: Look) => (l.test ? l.test.log10p : -Math.abs(l.stats.pearson ?? 0));
    let best: Look = { pair, stats: { cosine: t.cosine, pearson: t.pearson, identical: t.identical }, sample: samples[i] ?? null, test: null };
    const direct = t.permutation;
    const { alternatives, ...single } = pair;
    if (!(direct && direct.log10p <= OVERWHELMING_LOG10P)) {
      for (const alt of alternatives) {
        const other: AlignedPair = { ...single, candidate: alt.candidate, reference: alt.reference ?? pair.reference, transform: alt.transform };
        let out;
        try {
          out = await comparePair(other, ctx.cand, ctx.ref);
        } catch (e) {
          if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
          continue;
        }
        const sample = out.stats.pearson === null ? null : out.sample;
        const test = pair.informative && sample ? tensorIndependence(sample, internalUnits(other, rules)) : null;
        const look: Look = { pair: other, stats: out.stats, sample, test };
        const bestScore = best.test ? best.test.log10p : direct ? direct.log10p : -Math.abs(best.stats.pearson ?? 0);
        if (score(look) < bestScore) best = look;
      }
    }
    const { alternatives: _tried, ...kept } = best.pair;
    comp = { ...comp, pairs: comp.pairs.map((p, j) => (j === i ? kept : p)) };
    let looked: TensorEvidence = t;
    if (best.pair !== pair) {
      looked = { ...t, reference: best.pair.reference.entry.name, cosine: best.stats.cosine, pearson: best.stats.pearson, identical: best.stats.identical, transform: best.pair.transform };
      samples[i] = best.sample;
      if (best.test) looked = { ...looked, permutation: asReported(best.test) };
    }
    // The selection among the k looks, paid for.
    if (looked.permutation) looked = { ...looked, permutation: { ...looked.permutation, log10p: bonferroniLog10(looked.permutation.log10p, k) } };
    tensors[i] = looked;
  }
  return { ...c, comp, tensors, samples };
}

/** Below this many elements an informative matrix with the reference's values is marked a copy (`promoted`). */
const SMALL_COPY_ELEMENTS = 4096;
/** Byte-identical small tensors need at least this many units along the tested axis. */
const SMALL_MIN_UNITS = 8;

/**
 * Byte-identical copies count whatever their size. A pair below the informative size whose candidate is
 * byte-identical to the reference (same dtype, every element equal, not constant) gets the direct test
 * too: a small matrix the two-axis permutation test (exact on its units, as for large ones); a vector the
 * rank permutation test along its axis, only when its length is a hidden width of the model (the units of
 * one tensor and the inputs of another), since only then do its entries index exchangeable units. It then
 * counts as evidence (`informative`, `promoted: "byte-identical"`; `"converted-copy"` when the dtypes differ
 * and the values agree to a dtype's rounding, e.g. an F16 re-store). Shared constructions are still left
 * out afterwards (recogniseConstructions), so identical constants and formula tables never count.
 *
 * Selecting on identity costs no validity (any selection does not): P(selected and p ≤ α) ≤ P(p ≤ α) ≤ α.
 */
/** The same values up to a dtype's rounding: relative RMS difference at most 1% (BF16 keeps ~0.4%). */
const CONVERTED_COPY = 1e-4;

function smallIdenticalTests(c: Compared, looks: number[]): TensorEvidence[] {
  const widths = hiddenWidths(c.comp.pairs);
  return c.tensors.map((t, i) => {
    const pair = c.comp.pairs[i]!;
    const s = c.samples[i];
    if (t.error || t.pearson === null || !s || t.sampled) return t;
    if (t.informative && t.elements >= SMALL_COPY_ELEMENTS) return t;
    // Byte-identical, or the same values through a dtype conversion (F32 -> F16/BF16 rounding).
    const kind = t.identical && t.dtype.candidate === t.dtype.reference ? "byte-identical" : t.dtype.candidate !== t.dtype.reference && relativeSquaredDifference(s.a, s.b) <= CONVERTED_COPY ? "converted-copy" : null;
    if (!kind) return t;
    // A small matrix is evidence by its own test already (exact at its size, so few units cannot reach a
    // small p): marked a copy, it counts in the share of a component shown reused (policy.ts).
    if (t.informative) return { ...t, promoted: kind };
    const v = pair.candidate;
    let test: NonNullable<TensorResult["permutation"]> | null = null;
    if (v.entry.shape.length >= 2 && v.rows >= 2 && v.cols >= 2) {
      const m = tensorIndependence(s);
      const picked = m ? (m.axis === "rows" ? m.rows! : m.cols!) : null;
      if (m && picked && picked.units >= 3 && Math.max(v.rows, v.cols) >= SMALL_MIN_UNITS) test = asReported(m);
    } else if (v.entry.shape.length === 1 && v.rows >= SMALL_MIN_UNITS && widths.has(v.rows)) {
      const m = vectorPermutationTest(s.a, s.b);
      if (m) test = { ...m, axis: "rows" };
    }
    if (!test) return t;
    return { ...t, permutation: { ...test, log10p: bonferroniLog10(test.log10p, looks[i] ?? 1) }, informative: true, promoted: kind };
  });
}

/**
 * Ambiguous structural pairs: keep the assignment the data supports, drop the rest. The choice is a
 * selection, paid for: a kept pair's p-value is multiplied by the number of options its candidate had.
 */
function dropAmbiguous(c: Compared): Compared {
  const keep = resolveAmbiguity(c.comp.pairs, c.tensors);
  if (!keep.some((k) => !k)) return c;
  const options = new Map<string, number>();
  const key = (p: AlignedPair) => `${p.ambiguity}|${partKey(p.candidate)}`;
  for (const p of c.comp.pairs) if (p.ambiguity !== undefined) options.set(key(p), (options.get(key(p)) ?? 0) + 1);
  const paid = c.tensors.map((t, i) => {
    const p = c.comp.pairs[i]!;
    if (!keep[i] || p.ambiguity === undefined || !t.permutation) return t;
    return { ...t, permutation: { ...t.permutation, log10p: bonferroniLog10(t.permutation.log10p, options.get(key(p)) ?? 1) } };
  });
  const kept = <T>(xs: T[]): T[] => xs.filter((_, i) => keep[i]);
  const pairs = kept(c.comp.pairs);
  // A candidate tensor that lost every option (more candidates than references of its shape) is unmatched, never dropped.
  const still = new Set(pairs.map((p) => partKey(p.candidate)));
  const lost = new Map<string, AlignedPair>();
  c.comp.pairs.forEach((p, i) => {
    if (!keep[i] && !still.has(partKey(p.candidate))) lost.set(partKey(p.candidate), p);
  });
  const lostEntries: Located[] = [...lost.values()].map((p) => ({ entry: p.candidate.entry, kind: componentKind(c.comp.name), layer: p.layer, role: parseName(p.candidate.entry.name).role }));
  const comp: ComponentAlignment = {
    ...c.comp,
    pairs,
    unmatched: [...c.comp.unmatched, ...lostEntries.map((l) => l.entry.name)],
    unmatchedParameters: c.comp.unmatchedParameters + lostEntries.reduce((s, l) => s + numel(l.entry.shape), 0),
    unmatchedEntries: [...c.comp.unmatchedEntries, ...lostEntries],
  };
  return { ...c, comp, tensors: kept(paid), samples: kept(c.samples) };
}


/** The direct test of one compared pair (src/stats/independence.ts), on its sample grid: the tensor with it. */
function directTest(t: TensorEvidence, s: SampledPair | null, units: "rows" | "cols" | null): TensorEvidence {
  if (!t.informative || t.pearson === null || !s || t.permutation) return t;
  const test = tensorIndependence(s, units);
  return test ? { ...t, permutation: asReported(test) } : t;
}

function asReported(test: TensorTest): NonNullable<TensorResult["permutation"]> {
  const picked = test.axis === "rows" ? test.rows! : test.cols!;
  return { units: picked.units, features: picked.features, z: test.z, log10p: test.log10p, effect: test.effect, axis: test.axis };
}

/** The same-kind controls of every compared tensor (other layers, shifted rows): reported, they do not decide. */
function describeNulls(c: Compared): TensorEvidence[] {
  const nulls = nullsFor(c.samples);
  return c.tensors.map((t, i) => {
    const nul = nulls[i];
    if (t.pearson === null || !nul || nul.n === 0) return t;
    return { ...t, null: { mean: nul.mean, sd: nul.sd, n: nul.n } };
  });
}

const searchStopped = (note: string): SearchEvidence => ({ ran: false, status: "stopped", note, residualMatchQuality: null, referenceDuplicateLayers: [] });

/**
 * Search for hidden reuse wherever element-wise comparison left informative matrices unexplained (not
 * standing out: the policy's answer, asked before the search): it decides the verdict when nothing stood
 * out, and makes the matched share true when some did. Returns the component's evidence with the search's.
 */
async function searchWhereUnexplained(c: Compared, direct: ComponentEvidence, ctx: ComponentContext, factored: readonly TensorEvidence[]): Promise<ComponentEvidence> {
  const { comp, tensors } = c;
  const explained = standingOut(direct.tensors, ctx.family, ctx.settings.thresholds).slice(0, tensors.length);
  const unexplained = tensors.some((t, i) => t.informative && !t.promoted && !t.error && t.pearson !== null && !explained[i] && !t.deterministic);
  const unmatchedMatrices = comp.unmatchedEntries.some((u) => u.entry.shape.length >= 2);
  if (!(unexplained || (unmatchedMatrices && tensors.some((t) => t.informative && !t.error && t.pearson !== null)))) return direct;
  let outcome: SearchOutcome;
  try {
    ctx.onSearch?.(`alignment search in ${comp.name}: looking for permuted, rotated or re-layered copies`);
    outcome = await searchComponent({ comp, tensors, explained, referenceTensors: ctx.referenceTensors, cand: ctx.cand, ref: ctx.ref, fraction: ctx.fraction, progress: ctx.onSearch });
  } catch (e) {
    if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
    // The search leaves undecodable tensors out by itself; anything else that stops it must not
    // leave a verdict of independent behind (an unsearched permuted copy looks independent).
    return { ...direct, search: searchStopped(e.message) };
  }
  const searched = payForExpertMatchingInSearch(comp.pairs, outcome.tensors);
  const addedNames = new Set(outcome.added.map((t) => t.candidate));
  const unmatched = comp.unmatchedEntries.filter((u) => !addedNames.has(u.entry.name));
  const rest = { unmatched: unmatched.map((u) => u.entry.name), unmatchedParameters: unmatched.reduce((s, u) => s + numel(u.entry.shape), 0) };
  return gatherComponent({ ...comp, ...rest }, [...searched, ...factored, ...outcome.added], outcome.summary, direct.layerMatrix);
}
