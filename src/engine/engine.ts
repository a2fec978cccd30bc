/**
 * The whole check: list candidate and references (headers only), align,
 * stream every aligned pair, measure the controls, decide, and assemble the
 * report. Side effects come in through `deps`; nothing here knows GitHub.
 */
import { FromScratchError, InternalError, exitCodeFor } from "../common/errors.js";
import type { ComponentResult, LayerMatrix, Report, ReferenceResult, SearchSummary, TensorResult } from "../report/schema.js";
import type { Settings } from "../settings/settings.js";
import type { ByteRange, Logger, ModelListing, WeightSource } from "../sources/types.js";
import { applyComparability, componentVerdict, gateOf, referenceVerdict, runVerdict, samplingFraction, standsOut } from "../policy/policy.js";
import { VERSION } from "../common/version.js";
import { CachedSource, type CacheStore, isRevisioned } from "../sources/cached.js";
import { MemoSource } from "../sources/memo.js";
import { type AlignedPair, type ComponentAlignment, type Located, alignModels } from "../align/align.js";
import { maximizeAssignment } from "../search/assignment.js";
import { searchComponent } from "../search/deep-stage.js";
import { comparePair, pairReads } from "../stats/compare-pair.js";
import { type SampledPair, layerMatrixOf, nullsFor, rawCosine, zScore } from "../stats/controls.js";
import { pearson } from "../stats/pair-stats.js";
import { numel, viewElements } from "../align/view.js";

export interface EngineDeps {
  openSource(source: string): WeightSource;
  logger: Logger;
  /** Milliseconds, for timing (injected so tests can pin it). */
  now(): number;
  /** Carries reference cache entries between machines (the Action's @actions/cache); none in the CLI. */
  cacheStore?: CacheStore | null;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function compareComponent(
  comp: ComponentAlignment,
  referenceTensors: Located[],
  cand: WeightSource,
  ref: WeightSource,
  settings: Settings,
  fraction: number,
  onPair: () => void,
  onSearch?: (message: string) => void,
): Promise<ComponentResult> {
  let tensors: TensorResult[] = [];
  let samples: (SampledPair | null)[] = [];
  // Elements actually compared per pair (fewer than the view in sampled mode): the z floor uses them.
  let compared: number[] = comp.pairs.map(() => 0);
  // The planned pass reads through the sources (and their read-ahead); what reads a tensor again after it
  // (the transposed look, the search) takes it from the memo.
  const serveMemo = (on: boolean) => {
    for (const s of [cand, ref]) if (s instanceof MemoSource) s.serving = on;
  };
  serveMemo(false);
  // Pairs are read in the reference's file order (what the sources' read-ahead was told); results keep the alignment's order.
  const results: { base: TensorResult; sample: SampledPair | null }[] = new Array(comp.pairs.length);
  for (const index of readOrder(comp.pairs)) {
    const pair = comp.pairs[index]!;
    const base: TensorResult = {
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
      standsOut: false,
      null: null,
      dtype: { candidate: pair.candidate.entry.dtype, reference: pair.reference.entry.dtype },
    };
    try {
      const { stats, sample, sampling } = await comparePair(pair, cand, ref, { fraction: pair.informative ? fraction : 1, depth: settings.concurrency });
      if (sampling) base.sampled = sampling;
      compared[index] = stats.n;
      base.cosine = stats.cosine;
      base.pearson = stats.pearson;
      base.identical = stats.identical;
      if (stats.nonFinite > 0) base.error = `${stats.nonFinite} non-finite values (NaN/Inf)`;
      results[index] = { base, sample: stats.pearson === null ? null : sample };
    } catch (e) {
      // A format problem confined to one tensor (e.g. an unsupported dtype) makes it unread;
      // fetch and auth errors stop the run.
      if (e instanceof FromScratchError && e.kind === "format") {
        base.error = e.message;
        results[index] = { base, sample: null };
      } else throw e;
    }
    onPair();
  }
  serveMemo(true);
  tensors = results.map((r) => r.base);
  samples = results.map((r) => r.sample);
  // A square matrix stored transposed (Conv1D layouts) has no shape to betray it: where the direct
  // comparison shows nothing, compare the transposed candidate too and keep the stronger.
  for (let i = 0; i < comp.pairs.length; i++) {
    const pair = comp.pairs[i]!;
    const t = tensors[i]!;
    const v = pair.candidate;
    if (!pair.informative || t.error || t.pearson === null || Math.abs(t.pearson) >= settings.thresholds.minPearson) continue;
    if (v.rows !== v.cols || v.rowStart !== 0 || v.storedRows !== v.storedCols) continue;
    const flipped: AlignedPair = { ...pair, candidate: { ...v, transpose: !v.transpose }, transform: pair.transform === "none" ? "transpose" : `${pair.transform}+transpose` };
    const { stats, sample } = await comparePair(flipped, cand, ref);
    if (stats.pearson !== null && Math.abs(stats.pearson) >= settings.thresholds.minPearson && Math.abs(stats.pearson) > Math.abs(t.pearson)) {
      comp = { ...comp, pairs: comp.pairs.map((p, j) => (j === i ? flipped : p)) };
      Object.assign(t, { cosine: stats.cosine, pearson: stats.pearson, identical: stats.identical, transform: flipped.transform });
      samples[i] = sample;
    }
  }
  // Ambiguous structural pairs: keep the assignment the data supports, drop the rest.
  const keep = resolveAmbiguity(comp.pairs, tensors);
  if (keep.some((k) => !k)) {
    comp = { ...comp, pairs: comp.pairs.filter((_, i) => keep[i]) };
    tensors = tensors.filter((_, i) => keep[i]);
    samples = samples.filter((_, i) => keep[i]);
    compared = compared.filter((_, i) => keep[i]);
  }
  const nulls = nullsFor(samples);
  tensors.forEach((t, i) => {
    const nul = nulls[i];
    if (t.pearson === null || !nul || nul.n === 0) return;
    t.z = zScore(t.pearson, nul, compared[i] || t.elements);
    t.null = { mean: nul.mean, sd: nul.sd, n: nul.n };
    t.standsOut = standsOut(t, settings.thresholds);
  });
  const result = summariseComponent(comp, tensors, settings.thresholds, null);
  result.layerMatrix = layerMatrix(comp.pairs, samples);
  // Search for hidden reuse wherever element-wise comparison left informative matrices unexplained:
  // it decides the verdict when nothing stood out, and makes the matched share true when some did.
  const unexplained = tensors.some((t) => t.informative && !t.error && t.pearson !== null && !t.standsOut);
  const unmatchedMatrices = comp.unmatchedEntries.some((u) => u.entry.shape.length >= 2);
  if (fraction < 1 && (unexplained || unmatchedMatrices)) {
    // The search reads whole matrices: in sampled mode it would undo the saving, so it waits for an exact run.
    const note = "alignment search skipped in sampled mode (it reads whole matrices); run with --sample exact to search for permuted copies";
    return { ...result, search: { ran: false, note, residualPermuted: false, residualMatchQuality: null, referenceDuplicateLayers: [] } };
  }
  if (unexplained || (unmatchedMatrices && tensors.some((t) => t.informative && !t.error && t.pearson !== null))) {
    let outcome;
    try {
      onSearch?.(`alignment search in ${comp.name}: looking for permuted, rotated or re-layered copies`);
      outcome = await searchComponent(comp, tensors, referenceTensors, cand, ref, settings.thresholds, onSearch);
    } catch (e) {
      if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
      // The search leaves undecodable tensors out by itself; anything else that stops it must not
      // leave a verdict of independent behind (an unsearched permuted copy looks independent).
      const note = `alignment search stopped: ${e.message}`;
      const search = { ran: false, note, residualPermuted: false, residualMatchQuality: null, referenceDuplicateLayers: [] };
      if (result.verdict !== "independent") return { ...result, search };
      return { ...result, search, verdict: "inconclusive", reason: `the alignment search for hidden reuse could not run (${e.message}); an unsearched component never counts as independent` };
    }
    const { summary, added } = outcome;
    const addedNames = new Set(added.map((t) => t.candidate));
    const unmatched = comp.unmatchedEntries.filter((u) => !addedNames.has(u.entry.name));
    const searched = summariseComponent(
      { ...comp, unmatched: unmatched.map((u) => u.entry.name), unmatchedParameters: unmatched.reduce((s, u) => s + numel(u.entry.shape), 0) },
      [...tensors, ...added],
      settings.thresholds,
      summary,
    );
    searched.layerMatrix = result.layerMatrix;
    return searched;
  }
  return result;
}

/** Stored bytes of the informative pairs, both sides: what the auto sampling rule goes by. */
function informativeBytes(components: ComponentAlignment[]): number {
  let bytes = 0;
  for (const c of components) {
    for (const p of c.pairs) {
      if (!p.informative) continue;
      bytes += (p.candidate.entry.end - p.candidate.entry.begin) + (p.reference.entry.end - p.reference.entry.begin);
    }
  }
  return bytes;
}

/**
 * Pairs that compete for the same tensors (see align.ts structuralFallback):
 * per group, the assignment of candidate to reference tensors with the largest
 * total |Pearson|. Returns which pairs to keep.
 */
function resolveAmbiguity(pairs: AlignedPair[], tensors: TensorResult[]): boolean[] {
  const keep = pairs.map((p) => p.ambiguity === undefined);
  const groups = new Map<number, number[]>();
  pairs.forEach((p, i) => {
    if (p.ambiguity !== undefined) groups.set(p.ambiguity, [...(groups.get(p.ambiguity) ?? []), i]);
  });
  for (const idx of groups.values()) {
    const cands = [...new Set(idx.map((i) => pairs[i]!.candidate.entry.name))];
    const refs = [...new Set(idx.map((i) => pairs[i]!.reference.entry.name))];
    const swap = cands.length > refs.length;
    const [rows, cols] = swap ? [refs, cands] : [cands, refs];
    const score = new Float64Array(rows.length * cols.length).fill(-1);
    const at = new Map<string, number>();
    for (const i of idx) {
      const c = pairs[i]!.candidate.entry.name;
      const r = pairs[i]!.reference.entry.name;
      const [a, b] = swap ? [refs.indexOf(r), cands.indexOf(c)] : [cands.indexOf(c), refs.indexOf(r)];
      score[a * cols.length + b] = Math.abs(tensors[i]!.pearson ?? 0);
      at.set(`${a}|${b}`, i);
    }
    maximizeAssignment(score, rows.length, cols.length).forEach((b, a) => {
      const i = at.get(`${a}|${b}`);
      if (i !== undefined) keep[i] = true;
    });
  }
  return keep;
}

/** The layer x layer picture of a component (matrices' Pearson; norms' Pearson and raw cosine). */
function layerMatrix(pairs: AlignedPair[], samples: (SampledPair | null)[]): LayerMatrix | null {
  const informative = new Set(pairs.filter((p) => p.informative).map((p) => p.role));
  const isNorm = (p: SampledPair) => /norm/.test(p.role) && p.colsSampled === 1;
  const m = layerMatrixOf(samples, (p) => informative.has(p.role), (a, b) => pearson(a, b));
  if (!m) return null;
  const np = layerMatrixOf(samples, isNorm, (a, b) => pearson(a, b));
  const nc = layerMatrixOf(samples, isNorm, rawCosine);
  const align = (x: typeof np) => (x && x.candidateLayers.join() === m.candidateLayers.join() ? x.values : null);
  return { candidateLayers: m.candidateLayers, referenceLayers: m.referenceLayers, pearson: m.values, normPearson: align(np), normCosine: align(nc) };
}

/** Aggregates and verdict of a component from its tensor results. */
function summariseComponent(
  comp: Pick<ComponentAlignment, "name" | "candidateParameters" | "unmatched" | "unmatchedParameters">,
  tensors: TensorResult[],
  thresholds: Settings["thresholds"],
  search: SearchSummary | null,
): ComponentResult {
  for (const t of tensors) {
    if (t.standsOut && t.pearson! < 0 && !/negated/.test(t.transform)) t.transform = t.transform === "none" ? "negated" : `${t.transform}+negated`;
  }
  const informative = tensors.filter((t) => t.informative && t.pearson !== null && !t.error);
  const matchedParameters = tensors.filter((t) => t.standsOut).reduce((s, t) => s + t.elements, 0);
  const comparedParameters = informative.reduce((s, t) => s + t.elements, 0);
  const share = comp.candidateParameters > 0 ? Math.min(1, matchedParameters / comp.candidateParameters) : 0;
  const nulls = informative.flatMap((t) => (t.null ? [t.null] : []));
  const result: ComponentResult = {
    name: comp.name,
    verdict: "inconclusive",
    reason: "",
    share,
    candidateParameters: comp.candidateParameters,
    matchedParameters,
    comparedParameters,
    null: pooledSummary(nulls),
    pearsonMedian: median(informative.map((t) => t.pearson!)),
    zMedian: median(informative.map((t) => Math.abs(t.z ?? 0))),
    unmatchedTensors: comp.unmatched.length,
    unmatchedParameters: comp.unmatchedParameters,
    unreadTensors: tensors.filter((t) => t.error).length,
    identical: identicalOf(tensors),
    search,
    layerMatrix: null,
    tensors,
  };
  Object.assign(result, componentVerdict(result, thresholds));
  return result;
}

/** Informative matrices byte-identical to the reference's. */
function identicalOf(tensors: TensorResult[]): { tensors: number; parameters: number } {
  // Same dtype, same layout, every element equal: the stored bytes are the same.
  const same = tensors.filter((t) => t.identical && t.informative && !t.error && !t.sampled && t.transform === "none" && t.dtype.candidate === t.dtype.reference);
  return { tensors: same.length, parameters: same.reduce((s, t) => s + t.elements, 0) };
}

/** Pool per-tensor nulls (each a mean, sd and count) into one. */
function pooledSummary(nulls: { mean: number; sd: number; n: number }[]): { mean: number; sd: number; n: number } | null {
  const n = nulls.reduce((s, x) => s + x.n, 0);
  if (n === 0) return null;
  const mean = nulls.reduce((s, x) => s + x.mean * x.n, 0) / n;
  const ss = nulls.reduce((s, x) => s + (x.n - 1) * x.sd * x.sd + x.n * (x.mean - mean) ** 2, 0);
  return { mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}

/** The order pairs are compared in: the reference's file order (stable), so adjacent tensors are read one after another. */
export function readOrder(pairs: readonly AlignedPair[]): number[] {
  // Where each reference view starts in its file; views of one fused tensor go by their first row.
  const keys = pairs.map(({ reference: v }) => ({ file: v.entry.file, at: v.entry.begin, row: v.rowStart }));
  return pairs
    .map((_, i) => i)
    .sort((i, j) => {
      const a = keys[i]!;
      const b = keys[j]!;
      return a.file < b.file ? -1 : a.file > b.file ? 1 : a.at - b.at || a.row - b.row || i - j;
    });
}

/** Every range both sides will read, component by component, pair by pair in readOrder. */
function readPlan(components: readonly ComponentAlignment[], fraction: number): { candidate: ByteRange[]; reference: ByteRange[] } {
  const candidate: ByteRange[] = [];
  const reference: ByteRange[] = [];
  for (const comp of components) {
    for (const i of readOrder(comp.pairs)) {
      const p = comp.pairs[i]!;
      const r = pairReads(p, p.informative ? fraction : 1);
      candidate.push(...r.candidate);
      reference.push(...r.reference);
    }
  }
  return { candidate, reference };
}

export async function runCheck(settings: Settings, deps: EngineDeps): Promise<{ report: Report; error: FromScratchError | null }> {
  const t0 = deps.now();
  const { logger } = deps;
  const sources: WeightSource[] = [];
  const open = (s: string) => {
    const src = deps.openSource(s);
    sources.push(src);
    return src;
  };
  const report: Report = {
    schemaVersion: 1,
    tool: { name: "fromscratch", version: VERSION },
    candidate: { source: settings.candidate, revision: null, parameters: 0, components: [] },
    verdict: "inconclusive",
    thresholds: settings.thresholds,
    failOn: settings.failOn,
    gate: { failed: false, rule: "" },
    references: [],
    bytesRead: 0,
    seconds: 0,
  };
  let error: FromScratchError | null = null;
  const finish = async () => {
    for (const src of sources) await src.close?.();
    if (error) report.error = { kind: error.kind, message: error.message, exitCode: exitCodeFor(error) };
    report.verdict = runVerdict(report.references, report.error ?? null);
    report.gate = gateOf(report.verdict, settings.failOn, report.error ?? null);
    report.bytesRead = sources.reduce((s, x) => s + x.bytesRead, 0);
    report.seconds = (deps.now() - t0) / 1000;
    return { report, error };
  };

  let candListing: ModelListing;
  const cand = open(settings.candidate);
  try {
    logger.info(`candidate ${settings.candidate}: reading headers`);
    candListing = await cand.list();
  } catch (e) {
    error = e instanceof FromScratchError ? e : new InternalError(e);
    return await finish();
  }
  report.candidate.revision = candListing.revision;
  report.candidate.parameters = candListing.tensors.reduce((s, t) => s + numel(t.shape), 0);
  logger.info(
    `candidate: ${candListing.tensors.length} tensors, ${report.candidate.parameters.toLocaleString("en-US")} parameters${candListing.revision ? ` @ ${candListing.revision}` : ""}`,
  );

  for (const refSource of settings.references) {
    const refResult: ReferenceResult = {
      source: refSource,
      revision: null,
      license: null,
      verdict: "inconclusive",
      reason: "",
      components: [],
      referenceUnmatchedTensors: 0,
      sampling: { fraction: 1, mode: "exact", chosen: settings.sample === null ? "auto" : "--sample" },
    };
    report.references.push(refResult);
    try {
      const raw = deps.openSource(refSource);
      // Hub references go through the cache when one is configured (keyed by repo@sha).
      const ref = settings.cacheDir && isRevisioned(raw) ? new CachedSource(raw, settings.cacheDir, logger, deps.cacheStore ?? null) : raw;
      sources.push(ref);
      logger.info(`reference ${refSource}: reading headers`);
      const refListing = await ref.list();
      refResult.revision = refListing.revision;
      refResult.license = refListing.license;
      const alignment = alignModels(candListing.tensors, refListing.tensors, settings.components);
      refResult.referenceUnmatchedTensors = alignment.referenceUnmatched;
      if (report.candidate.components.length === 0) {
        report.candidate.components = alignment.components.map((c) => ({ name: c.name, parameters: c.candidateParameters }));
      }
      const fraction = samplingFraction(informativeBytes(alignment.components), settings.sample);
      refResult.sampling = { fraction, mode: fraction < 1 ? "sampled" : "exact", chosen: settings.sample === null ? "auto" : "--sample" };
      if (fraction < 1) logger.info(`reference ${refSource}: sampled mode, reading ~${(100 * fraction).toFixed(1)}% of each large matrix's rows`);
      if (ref instanceof CachedSource) ref.storeRanges = fraction < 1;
      const total = alignment.components.reduce((s, c) => s + c.pairs.length, 0);
      let done = 0;
      const started = deps.now();
      const bytes0 = cand.bytesRead + ref.bytesRead;
      const onPair = () => {
        done++;
        const mb = (cand.bytesRead + ref.bytesRead - bytes0) / 1e6;
        const secs = Math.max(1e-3, (deps.now() - started) / 1000);
        logger.progress?.(`${refSource}: ${done}/${total} tensor pairs, ${mb.toFixed(1)} MB read, ${(mb / secs).toFixed(1)} MB/s`);
      };
      // Tell both sources what will be read, in order: remote ones coalesce adjacent ranges and fetch ahead.
      const plan = readPlan(alignment.components, fraction);
      cand.expect?.(plan.candidate, settings.concurrency);
      ref.expect?.(plan.reference, settings.concurrency);
      const candMemo = new MemoSource(cand);
      const refMemo = new MemoSource(ref);
      for (const comp of alignment.components) {
        const onSearch = (m: string) => logger.progress?.(`${refSource}: ${m}`);
        refResult.components.push(await compareComponent(comp, alignment.referenceTensors, candMemo, refMemo, settings, fraction, onPair, onSearch));
      }
      candMemo.clear();
      refMemo.clear();
      Object.assign(refResult, referenceVerdict(applyComparability(refResult.components)));
      if (ref instanceof CachedSource) {
        await ref.persist();
        refResult.cache = { ...ref.stats };
        logger.info(
          `cache: ${refSource}: headers ${ref.stats.listing}, ${ref.stats.rangesHit} ranges (${(ref.stats.bytesFromCache / 1e6).toFixed(1)} MB) from the cache, ${ref.stats.rangesStored} stored`,
        );
      }
      logger.info(`reference ${refSource}: ${refResult.verdict} (${refResult.reason})`);
    } catch (e) {
      // Typed errors stop this reference and mark the run; a bug does the same (the verdicts reached so far are kept).
      const err = e instanceof FromScratchError ? e : new InternalError(e);
      refResult.verdict = "inconclusive";
      refResult.reason = `could not complete: ${err.message}`;
      refResult.error = { kind: err.kind, message: err.message };
      error ??= err;
      if (err.kind === "internal") break;
    }
  }
  return await finish();
}
