/**
 * The whole check: list candidate and references (headers only), align,
 * stream every aligned pair, measure the controls, decide, and assemble the
 * report. Side effects come in through `deps`; nothing here knows GitHub.
 */
import { alignModels } from "../align/align.js";
import { numel } from "../align/view.js";
import { FromScratchError, InternalError, exitCodeFor } from "../common/errors.js";
import { VERSION } from "../common/version.js";
import { applyComparability, familyOf, gateOf, referenceVerdict, runVerdict, samplingFraction } from "../policy/policy.js";
import type { Report, ReferenceResult } from "../report/schema.js";
import type { Settings } from "../settings/settings.js";
import { isRevisioned } from "../sources/cached.js";
import { MemoSource } from "../sources/memo.js";
import { SpanCacheSource } from "../sources/span-cache.js";
import { streamSearchReferenceRanges, streamsSearch } from "../search/stream-budget.js";
import type { FileIdentity, ModelListing, WeightSource } from "../sources/types.js";
import { compareComponent } from "./compare-component.js";
import { matchExperts } from "./expert-match.js";
import { identifyFiles } from "./identify-files.js";
import type { EngineDeps, OpenedReference, ReferenceCache } from "./deps.js";
import { informativeBytes, readPlan } from "./read-plan.js";

/** What one run holds while it checks reference after reference. */
interface Run {
  settings: Settings;
  deps: EngineDeps;
  report: Report;
  /** Every source opened (closed, and their bytes counted, at the end). */
  opened: WeightSource[];
  cand: WeightSource;
  candListing: ModelListing;
}

/** What a check ends with: the report, and the error that stopped the run (null when none did). */
export interface CheckOutcome {
  report: Report;
  error: FromScratchError | null;
}

export async function runCheck(settings: Settings, deps: EngineDeps): Promise<CheckOutcome> {
  const t0 = deps.now();
  const report = emptyReport(settings);
  const cand = openCandidate(settings, deps);
  const opened: WeightSource[] = [cand];
  let candListing: ModelListing;
  let candFiles: Promise<FileIdentity[]>;
  try {
    ({ listing: candListing, files: candFiles } = await listCandidate(cand, report, deps));
  } catch (e) {
    return await finish({ report, error: asTyped(e) }, { opened, settings, deps, t0 });
  }
  const run: Run = { settings, deps, report, opened, cand, candListing };
  let error: FromScratchError | null = null;
  for (const refSource of settings.references) {
    const refResult = emptyReferenceResult(refSource, settings);
    report.references.push(refResult);
    try {
      await checkReference(run, refResult);
    } catch (e) {
      // Typed errors stop this reference and mark the run; a bug does the same (the verdicts reached so far are kept).
      const err = asTyped(e);
      refResult.verdict = "inconclusive";
      refResult.reason = `could not complete: ${err.message}`;
      refResult.error = { kind: err.kind, code: err.code, message: err.message };
      error ??= err;
      if (err.kind === "internal") break;
    }
  }
  try {
    report.candidate.files = await candFiles;
  } catch (e) {
    error ??= asTyped(e);
  }
  return await finish({ report, error }, { opened, settings, deps, t0 });
}

/**
 * The candidate, through its span cache when it is remote and more than one
 * reference will read it: each of its bytes then crosses the network once.
 */
function openCandidate(settings: Settings, deps: EngineDeps): WeightSource {
  const raw = deps.openSource(settings.candidate);
  if (settings.references.length < 2 || !isRevisioned(raw)) return raw;
  return new SpanCacheSource(raw, { scratchDir: deps.scratchDir ?? null, ...deps.spanCache });
}

const asTyped = (e: unknown): FromScratchError => (e instanceof FromScratchError ? e : new InternalError(e));

function emptyReport(settings: Settings): Report {
  return {
    schemaVersion: 2,
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
}

function emptyReferenceResult(source: string, settings: Settings): ReferenceResult {
  return {
    source,
    revision: null,
    license: null,
    verdict: "inconclusive",
    reason: "",
    components: [],
    referenceUnmatchedTensors: 0,
    sampling: { fraction: 1, mode: "exact", chosen: settings.sample === null ? "auto" : "--sample" },
  };
}

/**
 * The candidate's listing, and its files' identities (files[]) as a promise: local files are hashed in a
 * worker thread while the comparison runs (awaited at the end of the run).
 */
async function listCandidate(cand: WeightSource, report: Report, { logger, now }: EngineDeps): Promise<{ listing: ModelListing; files: Promise<FileIdentity[]> }> {
  logger.info(`candidate ${report.candidate.source}: reading headers`);
  const listing = await cand.list();
  report.candidate.revision = listing.revision;
  const files = identifyFiles({ source: cand, listing, who: `candidate ${report.candidate.source}`, logger, now });
  // Handled where it is awaited; this keeps a failure before then from being an unhandled rejection.
  files.catch(() => undefined);
  report.candidate.parameters = listing.tensors.reduce((s, t) => s + numel(t.shape), 0);
  logger.info(
    `candidate: ${listing.tensors.length} tensors, ${report.candidate.parameters.toLocaleString("en-US")} parameters${listing.revision ? ` @ ${listing.revision}` : ""}`,
  );
  return { listing, files };
}

/** Close the sources, then the run's verdict, error and gate (by the policy), bytes and time. */
async function finish({ report, error }: CheckOutcome, { opened, settings, deps, t0 }: Pick<Run, "opened" | "settings" | "deps"> & { t0: number }): Promise<CheckOutcome> {
  const spans = opened[0] instanceof SpanCacheSource ? { ...opened[0].stats } : null;
  for (const src of opened) await src.close?.();
  if (spans && spans.hits > 0) {
    deps.logger.info(`candidate span cache: ${spans.hits} reads (${(spans.bytesFromCache / 1e6).toFixed(1)} MB) served from bytes fetched once (${(spans.memoryBytes / 1e6).toFixed(1)} MB in memory, ${(spans.diskBytes / 1e6).toFixed(1)} MB spilled to a scratch file, removed)`);
  }
  if (error) report.error = { kind: error.kind, code: error.code, message: error.message, exitCode: exitCodeFor(error) };
  report.verdict = runVerdict(report.references, report.error ?? null);
  report.gate = gateOf(report.verdict, settings.failOn, report.error ?? null);
  report.bytesRead = opened.reduce((s, x) => s + x.bytesRead, 0);
  report.seconds = (deps.now() - t0) / 1000;
  return { report, error };
}

/** One reference: list, align, choose the sampling, compare every component, decide, save the cache. */
async function checkReference(run: Run, refResult: ReferenceResult): Promise<void> {
  const { settings, deps, report } = run;
  const { logger } = deps;
  const refSource = refResult.source;
  const { source: ref, cache } = openReference(deps, refSource);
  run.opened.push(ref);
  logger.info(`reference ${refSource}: reading headers`);
  const refListing = await ref.list();
  refResult.revision = refListing.revision;
  refResult.license = refListing.license;
  // Hashed in a worker while the components are compared; awaited before the cache is saved.
  const refFiles = identifyFiles({ source: ref, listing: refListing, who: `reference ${refSource}`, logger, now: deps.now });
  refFiles.catch(() => undefined);
  const alignment = alignModels(run.candListing.tensors, refListing.tensors, settings.components);
  refResult.referenceUnmatchedTensors = alignment.referenceUnmatched;
  if (report.candidate.components.length === 0) {
    report.candidate.components = alignment.components.map((c) => ({ name: c.name, parameters: c.candidateParameters }));
  }
  report.family ??= familyOf(settings.references.length, report.candidate.components.length);
  const family = report.family.size;
  const fraction = samplingFraction(informativeBytes(alignment.components), settings.sample);
  refResult.sampling = { fraction, mode: fraction < 1 ? "sampled" : "exact", chosen: settings.sample === null ? "auto" : "--sample" };
  if (fraction < 1) logger.info(`reference ${refSource}: sampled mode, reading ~${(100 * fraction).toFixed(1)}% of each large matrix's rows`);
  if (cache) cache.storeRanges = fraction < 1;
  // Experts beyond every-pairing counts: matched on sketches before the plan is made (src/engine/expert-match.ts).
  await matchExperts(alignment.components, { cand: run.cand, ref, fraction, readAheadSpans: settings.reads.readAheadSpans, onProgress: (m) => logger.progress?.(`${refSource}: ${m}`) });
  const onPair = progressCounter(run, ref, refSource, alignment.components.reduce((s, c) => s + c.pairs.length + (c.factored?.length ?? 0), 0));
  // Tell both sources what will be read, in order: remote ones coalesce adjacent ranges and fetch ahead.
  const plan = readPlan(alignment.components, fraction);
  run.cand.expect?.(plan.candidate, settings.reads.readAheadSpans);
  ref.expect?.(plan.reference, settings.reads.readAheadSpans);
  // Exact mode, remote reference: keep the rows the streamed search will want as the element-wise
  // pass reads them, so the search fetches nothing twice.
  const searchRanges = fraction >= 1 && (cache !== null || isRevisioned(ref)) ? alignment.components.filter((c) => streamsSearch(c, fraction)).flatMap(streamSearchReferenceRanges) : [];
  const tapped = searchRanges.length ? new SpanCacheSource(ref, { scratchDir: deps.scratchDir ?? null, keepOnly: searchRanges, memoryBytes: 16 << 20 }) : null;
  const cand = new MemoSource(run.cand);
  const refMemo = new MemoSource(tapped ?? ref);
  const onSearch = (m: string) => logger.progress?.(`${refSource}: ${m}`);
  try {
    for (const comp of alignment.components) {
      refResult.components.push(await compareComponent(comp, { cand, ref: refMemo, settings, fraction, referenceTensors: alignment.referenceTensors, onPair, onSearch, family }));
    }
  } finally {
    cand.clear();
    refMemo.clear();
    await tapped?.forget();
  }
  refResult.files = await refFiles;
  refResult.components = applyComparability(refResult.components);
  const decided = referenceVerdict(refResult.components);
  refResult.verdict = decided.verdict;
  refResult.reason = decided.reason;
  if (cache) await saveCache(cache, refResult, deps);
  logger.info(`reference ${refSource}: ${refResult.verdict} (${refResult.reason})`);
}

function openReference(deps: EngineDeps, source: string): OpenedReference {
  return deps.openReference ? deps.openReference(source) : { source: deps.openSource(source), cache: null };
}

/** Progress per tensor pair: pairs done, bytes read and rate since this reference started. */
function progressCounter(run: Run, ref: WeightSource, refSource: string, total: number): () => void {
  const { deps, cand } = run;
  let done = 0;
  const started = deps.now();
  const bytes0 = cand.bytesRead + ref.bytesRead;
  return () => {
    done++;
    const mb = (cand.bytesRead + ref.bytesRead - bytes0) / 1e6;
    const secs = Math.max(1e-3, (deps.now() - started) / 1000);
    deps.logger.progress?.(`${refSource}: ${done}/${total} tensor pairs, ${mb.toFixed(1)} MB read, ${(mb / secs).toFixed(1)} MB/s`);
  };
}

async function saveCache(cache: ReferenceCache, refResult: ReferenceResult, { logger }: EngineDeps): Promise<void> {
  await cache.persist();
  refResult.cache = { ...cache.stats };
  const s = cache.stats;
  logger.info(
    `cache: ${refResult.source}: headers ${s.listing}, ${s.rangesHit} ranges (${(s.bytesFromCache / 1e6).toFixed(1)} MB) from the cache, ${s.rangesStored} stored`,
  );
}
