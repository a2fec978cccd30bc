/**
 * The typed settings of a run, one per mode (check | plan | merge), and the
 * validation of every input, after actions/checkout's input-helper.ts. Every
 * option is declared once, in options.ts; both entry points turn what the user
 * gave into RawInputs through that table (read-options.ts: the CLI from argv
 * and the environment, the Action from its inputs and the environment) and call
 * `parseSettings`. Nothing else interprets user input: the CLI's launcher
 * (src/cli-weight.ts) only peeks at --candidate, --reference and
 * --references-file through the same readers, to size the check. Reading a
 * --references-file (references-file.ts) happens here, for both entries.
 */
import { UsageError } from "../common/errors.js";
import type { ComponentSpec } from "../align/names.js";
import type { FailOn, ShardMark, Thresholds } from "../report/schema.js";
import { DEFAULT_ENDPOINT, checkEndpoint } from "../sources/endpoint.js";
import { DEFAULT_NETWORK_TIMEOUT_MS, MAX_NETWORK_TIMEOUT_MS } from "../sources/hub-timings.js";
import { DEFAULT_THRESHOLDS } from "../policy/policy.js";
import { twoSidedNormalLog10 } from "../stats/pvalues.js";
import type { OptionMode, RawInputs } from "./options.js";
import { splitList } from "./read-options.js";
import { type ListedReference, type ReferencesFileOptions, mergeReferences, readReferencesFile } from "./references-file.js";

export type { RawInputs } from "./options.js";
export { splitList } from "./read-options.js";

export type OutputFormat = "text" | "json" | "markdown";
/** The modes, as the option table names them. */
export type Mode = OptionMode;
/** The Action's `actions-cache` input: carry the reference cache with @actions/cache (auto: on hosted runners). */
export type ActionsCacheMode = "auto" | "true" | "false";

/** GitHub's limit of jobs per matrix: the most shards a plan makes. */
export const MAX_SHARDS = 256;
/** Default and upper bound of --concurrency. */
export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 64;
/** Header listings in flight while planning never exceed this, whatever --concurrency says. */
export const MAX_HEADER_LISTINGS = 8;

/**
 * How far reads run ahead of the computation. One knob (--concurrency N,
 * input `concurrency`) with three uses, each named for what it bounds.
 */
export interface ReadConcurrency {
  /** Blocks in flight per side while comparing one pair of tensors (requests overlapping computation): N. */
  blocksInFlight: number;
  /** Read-ahead spans (coalesced ranged requests) a remote source keeps in flight or waiting: N. */
  readAheadSpans: number;
  /** Models whose headers are listed at once while planning: min(8, 2N). */
  headerListings: number;
}

/** What every mode that opens models needs: the sources, how to reach them, what to compare. */
export interface SourceSettings {
  candidate: string;
  references: string[];
  /** Hub base URL, validated by the sources' checkEndpoint (https, or http on loopback). */
  endpoint: string;
  token: string | null;
  components: ComponentSpec | null;
  /** Fraction of each large matrix's rows to read (1 = exact); null = choose by size. */
  sample: number | null;
  reads: ReadConcurrency;
  /**
   * --network-timeout in ms: the time one Hub request, all its attempts and the
   * waits between them included, may go without an answer (or a body without
   * a byte) before the run gives up with exit code 3. Default 60 s.
   */
  networkTimeoutMs: number;
  /** --quiet: no progress or info lines (CLI only; the Action always logs). */
  quiet: boolean;
  /** What the entry point should say about the inputs before the run (e.g. a duplicated reference removed). */
  notes: string[];
}

/** `check`: compare the candidate with every reference and gate on the verdict. */
export interface CheckSettings extends SourceSettings {
  mode: "check";
  reportPath: string | null;
  /** Where to write the self-contained HTML report, or null for none. */
  htmlPath: string | null;
  format: OutputFormat;
  failOn: FailOn;
  thresholds: Thresholds;
  /** Directory of the reference cache (sampled rows and headers per repo@sha), or null for none. */
  cacheDir: string | null;
  /** A shard's check of a plan (--shard K/N --plan-fingerprint F --plan-positions ...), or null. */
  shard: ShardMark | null;
  /** Action only: whether @actions/cache carries the reference cache between jobs. */
  actionsCache: ActionsCacheMode;
}

/** `plan`: list headers and split the references into shards of balanced bytes. */
export interface PlanSettings extends SourceSettings {
  mode: "plan";
  /** The most shards to make (fewer when there are fewer references). */
  shards: number;
  /** The link the time estimate assumes (--link-mbs, --link-latency-ms). */
  link: LinkSpeed;
}

/** A network link for plan's time estimate: bytes per second and a round trip per ranged request. */
export interface LinkSpeed {
  /** MB/s (10^6 bytes per second), default DEFAULT_LINK_MBS. */
  mbPerSecond: number;
  /** Milliseconds each request waits before its first byte, default DEFAULT_LINK_LATENCY_MS. */
  latencyMs: number;
}

/** plan's assumed link: 100 MB/s (a typical hosted runner to the Hub's CDN) and 20 ms per request. */
export const DEFAULT_LINK_MBS = 100;
export const DEFAULT_LINK_LATENCY_MS = 20;

/** `merge`: the partial reports of one plan -> one report, one summary, one gate. */
export interface MergeSettings {
  mode: "merge";
  /** Files, directories or globs of the shards' partial reports, as given. */
  reports: string[];
  reportPath: string | null;
  summaryPath: string | null;
  format: OutputFormat;
  /** undefined: gate like check (`reused`), whatever the shards ran with. */
  failOn: FailOn | undefined;
  quiet: boolean;
}

export type AnySettings = CheckSettings | PlanSettings | MergeSettings;

/** The check settings, under the name the engine and the plan know. */
export type Settings = CheckSettings;

/** Who is asking: only the wording of a few messages differs. */
export interface ParseOptions {
  /** The usage line to show when merge is given no reports (CLI), else the Action's wording. */
  entry?: "cli" | "action";
  /** The CLI's command name, for its usage lines. */
  command?: string;
  /**
   * Where a relative --references-file is (the Action: the workspace; the CLI: the working directory,
   * the default), and how to read it (tests).
   */
  referencesFile?: Partial<ReferencesFileOptions>;
}

const given = (s: string | undefined): s is string => s !== undefined && s.trim() !== "";

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], dflt: T): T {
  if (!given(value)) return dflt;
  const v = value.trim() as T;
  if (!allowed.includes(v)) throw new UsageError(`${name} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`, "usage.bad-value");
  return v;
}

function number(name: string, value: string | undefined, dflt: number, { min, max }: { min: number; max: number }): number {
  if (!given(value)) return dflt;
  const v = Number(value.trim());
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`${name} must be a number between ${min} and ${max} (got ${JSON.stringify(value)})`, "usage.bad-value");
  }
  return v;
}

/**
 * The decision thresholds. `--level` and `--min-effect` decide; schema 1's `--min-z Z` is read as the
 * level of a two-sided normal score Z (2·P(N > Z)) and `--min-pearson X` as `--min-effect X` when the
 * new ones are not given, so an existing workflow keeps asking for what it meant.
 */
function parseThresholds(raw: RawInputs): Thresholds {
  const minPearson = number("--min-pearson", raw.minPearson, DEFAULT_THRESHOLDS.minPearson, { min: 0, max: 1 });
  const minZ = number("--min-z", raw.minZ, DEFAULT_THRESHOLDS.minZ, { min: 0, max: 1e6 });
  const levelFromZ = given(raw.minZ) ? 10 ** twoSidedNormalLog10(minZ) : DEFAULT_THRESHOLDS.level;
  const level = number("--level", raw.level, levelFromZ, { min: Number.MIN_VALUE, max: 0.5 });
  return {
    minPearson,
    minZ,
    minShare: number("--min-share", raw.minShare, DEFAULT_THRESHOLDS.minShare, { min: 0, max: 1 }),
    level,
    reviewLevel: Math.max(level, DEFAULT_THRESHOLDS.reviewLevel),
    minEffect: number("--min-effect", raw.minEffect, given(raw.minPearson) ? minPearson : DEFAULT_THRESHOLDS.minEffect, { min: 0, max: 1 }),
  };
}

/** `--network-timeout SECONDS`: a positive number of seconds, at most an hour; returned in ms. */
export function parseNetworkTimeout(value: string | undefined): number {
  if (!given(value)) return DEFAULT_NETWORK_TIMEOUT_MS;
  const v = Number(value.trim());
  const max = MAX_NETWORK_TIMEOUT_MS / 1000;
  if (!/^\s*[0-9.eE+]+\s*$/.test(value) || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new UsageError(`--network-timeout must be a number of seconds, above 0 and at most ${max} (got ${JSON.stringify(value)})`, "usage.bad-value");
  }
  return Math.round(v * 1000);
}

/** `--sample FRACTION` (0 < f <= 1), `exact` (= 1) or `auto` (choose by size). */
function parseSample(value: string | undefined): number | null {
  if (!given(value) || value.trim() === "auto") return null;
  if (value.trim() === "exact") return 1;
  const v = Number(value.trim());
  if (!Number.isFinite(v) || v <= 0 || v > 1) {
    throw new UsageError(`--sample must be a fraction in (0, 1], "exact" or "auto" (got ${JSON.stringify(value)})`, "usage.bad-value");
  }
  return v;
}

/** `--concurrency N` (1..64, default 4) and what it bounds. */
export function readConcurrency(value: string | undefined): ReadConcurrency {
  const n = number("--concurrency", value, DEFAULT_CONCURRENCY, { min: 1, max: MAX_CONCURRENCY });
  return { blocksInFlight: n, readAheadSpans: n, headerListings: Math.max(1, Math.min(MAX_HEADER_LISTINGS, n * 2)) };
}

/** `name=glob,glob;name=glob` */
export function parseComponentSpec(spec: string): ComponentSpec {
  const rules: ComponentSpec = [];
  for (const part of spec.split(";").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const name = eq > 0 ? part.slice(0, eq).trim() : "";
    const globs = eq > 0 ? part.slice(eq + 1).split(",").map((g) => g.trim()).filter(Boolean) : [];
    if (!/^[A-Za-z0-9_-]+$/.test(name) || globs.length === 0) {
      throw new UsageError(
        `--components: ${JSON.stringify(part)} is not name=glob[,glob] (e.g. "vision=model.vision_model.*;language=model.language_model.*")`,
        "usage.bad-value",
      );
    }
    rules.push({ name, globs });
  }
  if (rules.length === 0) throw new UsageError("--components is empty", "usage.bad-value");
  return rules;
}

/** The Hub endpoint: the sources' own rule (https; plain http only on localhost, 127.0.0.0/8, ::1). */
function parseEndpoint(value: string | undefined): string {
  if (!given(value)) return DEFAULT_ENDPOINT;
  try {
    return checkEndpoint(value.trim());
  } catch (e) {
    if (e instanceof UsageError && e.code === "usage") throw new UsageError(e.message, "usage.bad-value");
    throw e;
  }
}

/** `--shards` / input `shards`: an integer in [1, 256]. */
export function parseShardCount(value: string | undefined): number {
  const v = value === undefined || value.trim() === "" ? NaN : Number(value.trim());
  if (!Number.isInteger(v) || v < 1 || v > MAX_SHARDS) {
    throw new UsageError(
      `--shards must be an integer between 1 and ${MAX_SHARDS} (GitHub's matrix limit) (got ${JSON.stringify(value ?? "")})`,
      given(value) ? "usage.bad-value" : "usage.missing",
    );
  }
  return v;
}

/**
 * `--shard K/N` (or K with `--shards N`), `--plan-fingerprint F`,
 * `--plan-positions I,J,...`: all or none. Returns the mark a shard's partial
 * report carries, or null for an ordinary check.
 */
export function parseShardMark(
  raw: { shard?: string; shards?: string; fingerprint?: string; positions?: string },
  references: string[],
): ShardMark | null {
  if (!given(raw.shard) && !given(raw.fingerprint) && !given(raw.positions)) return null;
  if (!given(raw.shard) || !given(raw.fingerprint) || !given(raw.positions)) {
    throw new UsageError(
      "a shard's check needs --shard K/N, --plan-fingerprint and --plan-positions together (the values of one `fromscratch-weights plan` matrix entry)",
      "usage.missing",
    );
  }
  const m = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/.exec(raw.shard);
  const countText = m?.[2] ?? raw.shards;
  if (!m || !given(countText)) throw new UsageError(`--shard must be K/N, e.g. 0/4 (got ${JSON.stringify(raw.shard)})`, "usage.bad-value");
  const count = parseShardCount(countText);
  if (m[2] !== undefined && given(raw.shards) && Number(raw.shards.trim()) !== count) {
    throw new UsageError(`--shard ${raw.shard} disagrees with --shards ${raw.shards}`, "usage.bad-value");
  }
  const index = Number(m[1]);
  if (index >= count) throw new UsageError(`--shard ${raw.shard}: the index must be below the shard count ${count}`, "usage.bad-value");
  const fingerprint = raw.fingerprint.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) {
    throw new UsageError(`--plan-fingerprint must be the 64 hex digits a plan printed (got ${JSON.stringify(raw.fingerprint)})`, "usage.bad-value");
  }
  const parts = raw.positions.split(/[\s,]+/).filter(Boolean);
  const positions = parts.map(Number);
  if (positions.some((p) => !Number.isInteger(p) || p < 0) || new Set(positions).size !== positions.length) {
    throw new UsageError(`--plan-positions must be distinct non-negative integers, comma-separated (got ${JSON.stringify(raw.positions)})`, "usage.bad-value");
  }
  if (positions.length !== references.length) {
    throw new UsageError(`--plan-positions lists ${positions.length} positions for ${references.length} references`, "usage.bad-value");
  }
  return { index, count, fingerprint, positions };
}

/** `--fail-on` / input `fail-on` for merge: undefined or "" keeps check's default (`reused`). */
export function parseFailOn(value: string | undefined): FailOn | undefined {
  if (!given(value)) return undefined;
  return oneOf("--fail-on", value, ["reused", "inconclusive", "never"] as const, "reused");
}

/** The `actions-cache` input: auto (default), true or false. */
export function parseActionsCacheMode(raw: string | undefined): ActionsCacheMode {
  const v = (raw ?? "").trim().toLowerCase() || "auto";
  if (v === "auto" || v === "true" || v === "false") return v;
  throw new UsageError(`input actions-cache must be auto, true or false (got ${JSON.stringify(raw)})`, "usage.bad-value");
}

function parseMode(value: string | undefined): Mode {
  const mode = given(value) ? value.trim() : "check";
  if (mode === "check" || mode === "plan" || mode === "merge") return mode;
  throw new UsageError(`input mode must be check, plan or merge (got ${JSON.stringify(mode)})`, "usage.bad-value");
}

/** Everything check validates (plan validates the same inputs, so a workflow's typo fails in either mode). */
function parseCheck(raw: RawInputs, opts: ParseOptions): CheckSettings {
  if (!given(raw.candidate)) throw new UsageError("a candidate is required (--candidate)", "usage.missing");
  const file = given(raw.referencesFile) ? raw.referencesFile.trim() : null;
  const fromFile: ListedReference[] = file === null ? [] : readReferencesFile(file, { baseDir: opts.referencesFile?.baseDir ?? process.cwd(), readText: opts.referencesFile?.readText });
  const { references, notes } = mergeReferences((raw.references ?? []).flatMap(splitList), fromFile, file);
  if (references.length === 0) {
    throw new UsageError(`at least one reference is required (--reference or --references-file${file === null ? "" : `; ${file} lists none`})`, "usage.missing");
  }
  const endpoint = parseEndpoint(raw.endpoint);
  const settings: CheckSettings = {
    mode: "check",
    candidate: raw.candidate.trim(),
    references,
    reportPath: given(raw.reportPath) ? raw.reportPath.trim() : null,
    htmlPath: given(raw.htmlPath) ? raw.htmlPath.trim() : null,
    format: oneOf("--format", raw.format, ["text", "json", "markdown"] as const, "text"),
    failOn: oneOf("--fail-on", raw.failOn, ["reused", "inconclusive", "never"] as const, "reused"),
    endpoint,
    token: given(raw.token) ? raw.token.trim() : null,
    components: given(raw.components) ? parseComponentSpec(raw.components) : null,
    sample: parseSample(raw.sample),
    reads: readConcurrency(raw.concurrency),
    cacheDir: given(raw.cacheDir) ? raw.cacheDir.trim() : null,
    networkTimeoutMs: parseNetworkTimeout(raw.networkTimeout),
    thresholds: parseThresholds(raw),
    quiet: raw.quiet ?? false,
    notes,
    shard: null,
    actionsCache: "auto",
  };
  return settings;
}

function parseMerge(raw: RawInputs, opts: ParseOptions): MergeSettings {
  const format = oneOf("--format", raw.format, ["text", "json", "markdown"] as const, "text");
  const reports = opts.entry === "action" ? (raw.reports ?? []).filter(given) : (raw.reports ?? []);
  if (reports.length === 0) {
    throw new UsageError(
      opts.entry === "action"
        ? "mode: merge needs the input `reports` (files, directories or globs of the shards' partial reports)"
        : `usage: ${opts.command ?? "fromscratch"} merge [--report FILE] REPORT.json ... (the partial reports of every shard)`,
      "usage.missing",
    );
  }
  return {
    mode: "merge",
    reports,
    reportPath: given(raw.reportPath) ? raw.reportPath : null,
    summaryPath: given(raw.summaryPath) ? raw.summaryPath : null,
    format,
    failOn: parseFailOn(raw.failOn),
    quiet: raw.quiet ?? false,
  };
}

/**
 * Parse and validate every input of one run. The mode comes from `raw.mode`
 * (default check); the result is discriminated by `mode`.
 */
export function parseSettings(raw: RawInputs & { mode?: "check" }, opts?: ParseOptions): CheckSettings;
export function parseSettings(raw: RawInputs & { mode: "plan" }, opts?: ParseOptions): PlanSettings;
export function parseSettings(raw: RawInputs & { mode: "merge" }, opts?: ParseOptions): MergeSettings;
export function parseSettings(raw: RawInputs, opts?: ParseOptions): AnySettings;
export function parseSettings(raw: RawInputs, opts: ParseOptions = {}): AnySettings {
  const mode = parseMode(raw.mode);
  if (mode === "merge") return parseMerge(raw, opts);
  if (mode === "check" && given(raw.referencesFile) && given(raw.shard)) {
    throw new UsageError("--references-file is for a whole check or a plan: a shard's check takes the references of its matrix entry (--reference, in a matrix: matrix.references)", "usage.bad-value");
  }
  const check = parseCheck(raw, opts);
  if (mode === "plan") {
    const { candidate, references, endpoint, token, components, sample, reads, networkTimeoutMs, quiet, notes } = check;
    const link = { mbPerSecond: number("--link-mbs", raw.linkMbs, DEFAULT_LINK_MBS, { min: 0, max: 1e6 }), latencyMs: number("--link-latency-ms", raw.linkLatencyMs, DEFAULT_LINK_LATENCY_MS, { min: 0, max: 60_000 }) };
    if (link.mbPerSecond <= 0) throw new UsageError(`--link-mbs must be above 0 (got ${JSON.stringify(raw.linkMbs)})`, "usage.bad-value");
    return { mode: "plan", candidate, references, endpoint, token, components, sample, reads, networkTimeoutMs, quiet, notes, shards: parseShardCount(raw.shards), link };
  }
  const shard = parseShardMark({ shard: raw.shard, shards: raw.shards, fingerprint: raw.planFingerprint, positions: raw.planPositions }, check.references);
  return { ...check, shard, actionsCache: parseActionsCacheMode(raw.actionsCache) };
}
