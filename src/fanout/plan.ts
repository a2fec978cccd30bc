/**
 * Fan a check out over a job matrix: list the candidate's and every
 * reference's headers (no weights), estimate the bytes each reference will
 * make a check read, and split the references into shards of balanced bytes
 * (greedy longest-processing-time). The plan is identified by a fingerprint
 * that every partial report carries, so `merge` can refuse reports of other
 * plans. Pure of GitHub: the CLI and the Action call it.
 */
import { createHash } from "node:crypto";
import { type AlignedPair, alignModels } from "../align/align.js";
import { numel } from "../align/view.js";
import type { TensorView } from "../align/view.js";
import { FromScratchError, UsageError } from "../common/errors.js";
import { mapLimit } from "../common/pool.js";
import type { PlanSettings, Settings } from "../settings/settings.js";
import type { Logger, ModelListing, WeightSource } from "../sources/types.js";
import { VERSION } from "../common/version.js";
import { samplingFraction } from "../policy/policy.js";

export interface PlannedReference {
  source: string;
  /** Index in the plan's (the user's) reference list. */
  position: number;
  /** Estimated bytes a check reads for this reference (both sides of the aligned pairs). */
  bytes: number;
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

function viewBytes(v: TensorView): number {
  const perElement = (v.entry.end - v.entry.begin) / Math.max(1, numel(v.entry.shape));
  return v.rows * v.cols * perElement;
}

/**
 * Bytes a check reads for one reference: both sides of every aligned pair,
 * large matrices scaled by the sampling fraction the engine will choose
 * (policy's samplingFraction: exact up to 4 GiB of informative pairs, ~1 GiB above). An
 * estimate: the alignment search may read unmatched tensors too.
 */
function estimateBytes(candidate: ModelListing, reference: ModelListing, settings: Pick<Settings, "components" | "sample">): number {
  const alignment = alignModels(candidate.tensors, reference.tensors, settings.components);
  const pairs: AlignedPair[] = alignment.components.flatMap((c) => c.pairs);
  let informativeWhole = 0;
  let informative = 0;
  let other = 0;
  for (const p of pairs) {
    const b = viewBytes(p.candidate) + viewBytes(p.reference);
    if (p.informative) {
      informative += b;
      informativeWhole += p.candidate.entry.end - p.candidate.entry.begin + (p.reference.entry.end - p.reference.entry.begin);
    } else other += b;
  }
  const fraction = samplingFraction(informativeWhole, settings.sample);
  return Math.round(informative * fraction + other + reference.headerBytes);
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
    const planned = await mapLimit(settings.references, settings.reads.headerListings, async (source, position): Promise<PlannedReference> => {
      const ref = deps.openSource(source);
      closers.push(ref);
      try {
        const listing = await ref.list();
        const bytes = estimateBytes(candListing, listing, settings);
        logger.info(`reference ${source}: ~${(bytes / 1e6).toFixed(1)} MB to read`);
        return { source, position, bytes };
      } catch (e) {
        if (!(e instanceof FromScratchError) || e.kind === "usage") throw e;
        logger.warn(`reference ${source}: headers not listed (${e.message}); planned at 0 bytes, its shard will report the error`);
        return { source, position, bytes: 0, error: e.message };
      }
    });
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
    };
  } finally {
    for (const s of closers) await s.close?.();
  }
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
  return lines;
}
