/**
 * Fan a check out over a job matrix: list the candidate's and every
 * reference's headers (no weights), estimate the bytes each reference will
 * make a check read, and split the references into shards of balanced bytes
 * (greedy longest-processing-time). The plan is identified by a fingerprint
 * that every partial report carries, so `merge` can refuse reports of other
 * plans. Pure of GitHub: the CLI and the Action call it.
 */
import { createHash } from "node:crypto";
import { alignModels } from "../align/align.js";
import { numel } from "../align/view.js";
import { FromScratchError, UsageError } from "../common/errors.js";
import { mapLimit } from "../common/pool.js";
import type { LinkSpeed, PlanSettings, Settings } from "../settings/settings.js";
import { isRevisioned } from "../sources/cached.js";
import { SPAN_MAX_BYTES, coalesceRanges } from "../sources/read-ahead.js";
import { SpanSet } from "../sources/span-set.js";
import type { ByteRange, Logger, ModelListing, WeightSource } from "../sources/types.js";
import { informativeBytes, readPlan } from "../engine/read-plan.js";
import { VERSION } from "../common/version.js";
import { samplingFraction } from "../policy/policy.js";
import { streamSearchBytes, streamsSearch } from "../search/stream-budget.js";

export interface PlannedReference {
  source: string;
  /** Index in the plan's (the user's) reference list. */
  position: number;
  /** Estimated bytes a check reads for this reference (both sides of the aligned pairs). */
  bytes: number;
  /** The reference's parameters (every tensor of its headers). */
  parameters: number;
  /** The sampling fraction the check will choose (1 = exact). */
  fraction: number;
  /** Of `bytes`: from the candidate, and from the reference (its headers included). */
  candidateBytes: number;
  referenceBytes: number;
  /** Ranged requests to remote models (coalesced spans). */
  requests: number;
  /** Estimated seconds to fetch the remote bytes over the plan's link (`Plan.link`). */
  seconds: number;
  /**
   * Not in `bytes`: what the streamed alignment search reads more from each side when it runs, i.e.
   * when the element-wise comparison leaves matrices unexplained (the common case: an independent
   * model). The reference's part is fixed by its headers; the candidate's is for two residual looks
   * (one when the embeddings give a clean permutation). 0 where the whole-matrix search runs (small
   * exact checks: it reads a few MB, mostly from memory).
   */
  search?: { candidateBytes: number; referenceBytes: number };
  /** Why the headers could not be listed (the shard's check will meet and report it). */
  error?: string;
}

export interface PlanShard {
  index: number;
  /** In plan order (ascending position). */
  references: PlannedReference[];
  bytes: number;
}

export interface Plan {
  fingerprint: string;
  tool: { name: "fromscratch"; version: string };
  candidate: { source: string; revision: string | null };
  /** Every reference, in the user's order. */
  references: string[];
  /** Number of shards (at most the number of references). */
  count: number;
  shards: PlanShard[];
  /** The link the time estimates assume. */
  link: LinkSpeed;
  /**
   * One run over every reference: the bytes read, the bytes fetched (a Hub
   * candidate once, its span cache serves the other references) and the
   * estimated seconds at `link`.
   */
  total: { bytes: number; remoteBytes: number; requests: number; seconds: number };
}

/** One job of `strategy.matrix` (`include` entry): everything a shard's check step needs. */
export interface MatrixEntry {
  shard: number;
  shards: number;
  /** This shard's references, newline-separated (the `references` input format). */
  references: string;
  /** Their positions in the plan's reference list, comma-separated (`--plan-positions`). */
  positions: string;
  fingerprint: string;
  /** Estimated bytes the shard reads. */
  bytes: number;
}

export interface PlanDeps {
  openSource(source: string): WeightSource;
  logger: Logger;
}

/** sha256 of what identifies a plan: candidate, its revision, the ordered references, the shard count, the tool version. */
export function planFingerprint(p: { candidate: string; revision: string | null; references: string[]; count: number; version: string }): string {
  const canonical = JSON.stringify(["fromscratch-plan/1", p.candidate, p.revision, p.references, p.count, p.version]);
  return createHash("sha256").update(canonical).digest("hex");
}

/**
 * Greedy longest-processing-time: references by decreasing bytes (ties: plan
 * order), each to the shard with the fewest bytes so far (ties: lowest index).
 * Guarantees max shard <= min shard + the largest single reference.
 * Returns the positions per shard, each ascending.
 */
export function balance(weights: number[], count: number): number[][] {
  const order = weights.map((w, i) => [w, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const loads = new Array<number>(count).fill(0);
  const shards: number[][] = Array.from({ length: count }, () => []);
  for (const [w, i] of order) {
    let best = 0;
    for (let k = 1; k < count; k++) if (loads[k]! < loads[best]!) best = k;
    loads[best]! += w;
    shards[best]!.push(i);
  }
  return shards.map((s) => s.sort((a, b) => a - b));
}

/** What a check will read for one reference, from headers only. */
export interface ReadEstimate {
  /** Bytes read from the candidate and from the reference (fetched spans for a Hub model, ranges for a local one). */
  candidateBytes: number;
  referenceBytes: number;
  /** Ranged requests to remote models (coalesced spans). */
  requests: number;
  /** Bytes that cross the network (the remote sides). */
  remoteBytes: number;
  /** The sampling fraction the check will choose (1 = exact). */
  fraction: number;
  /** The candidate's planned ranges (to count a remote candidate once across references). */
  candidateRanges: ByteRange[];
  /** What the streamed alignment search reads more from each side when it runs. */
  search: { candidateBytes: number; referenceBytes: number };
}

/** Bytes and requests one side's planned ranges cost: a remote source fetches coalesced spans, a local one reads each range. */
function sideCost(ranges: readonly ByteRange[], remote: boolean): { bytes: number; requests: number } {
  if (remote) {
    const c = coalesceRanges(ranges);
    return { bytes: c.bytes, requests: c.spans };
  }
  return { bytes: ranges.reduce((s, r) => s + r.end - r.begin, 0), requests: 0 };
}

/**
 * What a check reads for one reference: the engine's own read plan (both
 * sides of every aligned pair, large matrices sampled at the fraction the
 * policy's samplingFraction chooses: exact up to 4 GiB of informative pairs,
 * ~1 GiB above), coalesced as a Hub source fetches it. An estimate: the
 * alignment search may read unmatched tensors too.
 */
export function estimateReads(
  candidate: ModelListing,
  reference: ModelListing,
  settings: Pick<Settings, "components" | "sample">,
  remote: { candidate: boolean; reference: boolean },
): ReadEstimate {
  const alignment = alignModels(candidate.tensors, reference.tensors, settings.components);
  const fraction = samplingFraction(informativeBytes(alignment.components), settings.sample);
  const plan = readPlan(alignment.components, fraction);
  const c = sideCost(plan.candidate, remote.candidate);
  const r = sideCost(plan.reference, remote.reference);
  const referenceBytes = r.bytes + reference.headerBytes;
  const search = { candidateBytes: 0, referenceBytes: 0 };
  for (const comp of alignment.components) {
    if (!streamsSearch(comp, fraction)) continue;
    const b = streamSearchBytes(comp);
    search.candidateBytes += 2 * b.candidate;
    search.referenceBytes += b.reference;
  }
  return {
    search,
    candidateBytes: c.bytes,
    referenceBytes,
    requests: c.requests + r.requests,
    remoteBytes: (remote.candidate ? c.bytes : 0) + (remote.reference ? referenceBytes : 0),
    fraction,
    candidateRanges: plan.candidate,
  };
}

/**
 * Seconds to move `bytes` in `requests` ranged requests over `link`: the
 * transfer at the link's rate, plus each request's wait, overlapped by the
 * read-ahead's spans in flight. Its budget holds concurrency x 2 MiB of spans
 * per source: concurrency / 2 spans of 4 MiB, but many more of a sampled MoE's
 * ~150 KiB spans (GLM-4.5-Air's width at 5%: ~46 in flight, where counting 2
 * announced 84 s for a transfer the emulated link served in ~13 s). The
 * computation overlaps the transfer and is not counted.
 */
export function transferSeconds(bytes: number, requests: number, link: LinkSpeed, concurrency: number): number {
  const meanSpan = requests > 0 ? bytes / requests : SPAN_MAX_BYTES;
  const inFlight = Math.max(1, Math.floor((Math.max(1, concurrency) * (SPAN_MAX_BYTES / 2)) / Math.max(1, meanSpan)));
  return bytes / (link.mbPerSecond * 1e6) + (requests * link.latencyMs) / 1000 / inFlight;
}

/**
 * List headers and split `settings.references` into `shards` shards (fewer
 * when there are fewer references). A candidate that cannot be listed stops
 * the plan; a reference that cannot be listed is planned at 0 bytes with a
 * warning (its shard's check reports the error, as a single run would).
 */
export async function makePlan(settings: PlanSettings, shards: number, deps: PlanDeps): Promise<Plan> {
  const { logger } = deps;
  if (new Set(settings.references).size !== settings.references.length) {
    const dup = settings.references.find((r, i) => settings.references.indexOf(r) !== i);
    throw new UsageError(`reference ${JSON.stringify(dup)} is given twice; a plan needs each reference once`);
  }
  const count = Math.min(shards, settings.references.length);
  if (count < shards) logger.info(`${settings.references.length} references: planning ${count} shards instead of ${shards}`);
  const cand = deps.openSource(settings.candidate);
  const closers: WeightSource[] = [cand];
  try {
    logger.info(`candidate ${settings.candidate}: reading headers`);
    const candListing = await cand.list();
    const candRemote = isRevisioned(cand);
    const concurrency = settings.reads.readAheadSpans;
    const estimates: (ReadEstimate | null)[] = [];
    const planned = await mapLimit(settings.references, settings.reads.headerListings, async (source, position): Promise<PlannedReference> => {
      const ref = deps.openSource(source);
      closers.push(ref);
      try {
        const listing = await ref.list();
        const est = estimateReads(candListing, listing, settings, { candidate: candRemote, reference: isRevisioned(ref) });
        estimates[position] = est;
        const bytes = est.candidateBytes + est.referenceBytes;
        const parameters = listing.tensors.reduce((s, t) => s + numel(t.shape), 0);
        const seconds = transferSeconds(est.remoteBytes, est.requests, settings.link, concurrency);
        const p: PlannedReference = { source, position, bytes, parameters, fraction: est.fraction, candidateBytes: est.candidateBytes, referenceBytes: est.referenceBytes, requests: est.requests, seconds, search: est.search };
        logger.info(`reference ${source}: ~${(bytes / 1e6).toFixed(1)} MB to read`);
        return p;
      } catch (e) {
        if (!(e instanceof FromScratchError) || e.kind === "usage") throw e;
        logger.warn(`reference ${source}: headers not listed (${e.message}); planned at 0 bytes, its shard will report the error`);
        estimates[position] = null;
        return { source, position, bytes: 0, parameters: 0, fraction: 1, candidateBytes: 0, referenceBytes: 0, requests: 0, seconds: 0, error: e.message };
      }
    });
    const total = totalOf(planned, estimates, { candRemote, link: settings.link, concurrency });
    const groups = balance(
      planned.map((p) => p.bytes),
      count,
    );
    const fingerprint = planFingerprint({ candidate: settings.candidate, revision: candListing.revision, references: settings.references, count, version: VERSION });
    return {
      fingerprint,
      tool: { name: "fromscratch", version: VERSION },
      candidate: { source: settings.candidate, revision: candListing.revision },
      references: [...settings.references],
      count,
      shards: groups.map((g, index) => ({ index, references: g.map((i) => planned[i]!), bytes: g.reduce((s, i) => s + planned[i]!.bytes, 0) })),
      link: settings.link,
      total,
    };
  } finally {
    for (const s of closers) await s.close?.();
  }
}

/**
 * One run over every reference: a Hub candidate's bytes count once (the
 * check's candidate span cache serves the later references), each reference's
 * bytes once each.
 */
function totalOf(
  planned: PlannedReference[],
  estimates: (ReadEstimate | null)[],
  { candRemote, link, concurrency }: { candRemote: boolean; link: LinkSpeed; concurrency: number },
): Plan["total"] {
  const bytes = planned.reduce((s, p) => s + p.bytes, 0);
  let remoteBytes = 0;
  let requests = 0;
  const held = new SpanSet();
  for (const est of estimates) {
    if (!est) continue;
    remoteBytes += est.remoteBytes;
    requests += est.requests;
    if (candRemote) {
      // Only the candidate ranges no earlier reference read cross the network again.
      let fresh = 0;
      for (const r of est.candidateRanges) fresh += held.add(r.file, r.begin, r.end);
      remoteBytes -= est.candidateBytes - Math.min(est.candidateBytes, fresh);
    }
  }
  return { bytes, remoteBytes, requests, seconds: transferSeconds(remoteBytes, requests, link, concurrency) };
}

const gb = (b: number): string => (b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / 1e6).toFixed(1)} MB`);
const secs = (s: number): string => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(s < 10 ? 1 : 0)} s`);
const sampling = (f: number): string => (f >= 1 ? "exact" : `sampled ${(100 * f).toFixed(1)}%`);

/** "reference X: 106.9 B parameters, reads 1.02 GB (sampled 1.0%), ~11 s at 100 MB/s". */
export function describeReference(p: PlannedReference, link: LinkSpeed): string {
  const params = p.parameters >= 1e9 ? `${(p.parameters / 1e9).toFixed(1)} B` : `${(p.parameters / 1e6).toFixed(1)} M`;
  return `reference ${p.source}: ${params} parameters, reads ${gb(p.bytes)} (${sampling(p.fraction)}; candidate ${gb(p.candidateBytes)}, reference ${gb(p.referenceBytes)}), ~${secs(p.seconds)} at ${link.mbPerSecond} MB/s`;
}

/** "    and when the alignment search runs: …", or null where it reads nothing more. */
export function describeSearchReads(p: PlannedReference): string | null {
  if (!p.search?.referenceBytes) return null;
  return `    and when the alignment search runs (matrices left unexplained): ${gb(p.search.referenceBytes)} more from the reference, up to ${gb(p.search.candidateBytes)} from the candidate`;
}

/** The `strategy.matrix` value: `{"include": [{shard, shards, references, positions, fingerprint, bytes}, ...]}`. */
export function matrixOf(plan: Plan): { include: MatrixEntry[] } {
  return {
    include: plan.shards.map((s) => ({
      shard: s.index,
      shards: plan.count,
      references: s.references.map((r) => r.source).join("\n"),
      positions: s.references.map((r) => r.position).join(","),
      fingerprint: plan.fingerprint,
      bytes: s.bytes,
    })),
  };
}

/** A few human lines about a plan (stderr of `plan`, the Action's summary). */
export function describePlan(plan: Plan): string[] {
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const lines = [`plan ${plan.fingerprint.slice(0, 12)}: ${plan.references.length} references in ${plan.count} shards`];
  for (const s of plan.shards) lines.push(`  shard ${s.index}: ${s.references.length} references, ~${mb(s.bytes)}`);
  for (const r of plan.references.map((_, i) => plan.shards.flatMap((s) => s.references).find((p) => p.position === i)!)) {
    lines.push(`  ${r.error ? `reference ${r.source}: headers not listed (${r.error})` : describeReference(r, plan.link)}`);
    const search = r.error ? null : describeSearchReads(r);
    if (search) lines.push(search);
  }
  const t = plan.total;
  lines.push(`  total: reads ${gb(t.bytes)}, fetches ${gb(t.remoteBytes)} in ${t.requests} requests, ~${secs(t.seconds)} at ${plan.link.mbPerSecond} MB/s and ${plan.link.latencyMs} ms per request`);
  return lines;
}
