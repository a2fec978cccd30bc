/**
 * The one typed Settings object, and the validation of every input. Both entry
 * points (CLI flags, Action inputs) turn their raw strings into RawSettings
 * and call `parseSettings`; nothing else interprets user input.
 */
import { UsageError } from "../common/errors.js";
import type { ComponentSpec } from "../align/names.js";
import type { FailOn, Thresholds } from "../report/schema.js";
import { DEFAULT_NETWORK_TIMEOUT_MS, MAX_NETWORK_TIMEOUT_MS } from "../sources/hub-fetch.js";
import { DEFAULT_THRESHOLDS } from "../policy/policy.js";

export type OutputFormat = "text" | "json" | "markdown";

export interface Settings {
  candidate: string;
  references: string[];
  reportPath: string | null;
  /** Where to write the self-contained HTML report, or null for none. */
  htmlPath: string | null;
  format: OutputFormat;
  failOn: FailOn;
  endpoint: string;
  token: string | null;
  components: ComponentSpec | null;
  thresholds: Thresholds;
  /** Fraction of each large matrix's rows to read (1 = exact); null = choose by size. */
  sample: number | null;
  /** Blocks in flight per side while comparing (requests overlapping computation). */
  concurrency: number;
  /** Directory of the reference cache (sampled rows and headers per repo@sha), or null for none. */
  cacheDir: string | null;
  /**
   * --network-timeout in ms: the time one Hub request, all its attempts and the
   * waits between them included, may go without an answer (or a body without
   * a byte) before the run gives up with exit code 3. Default 60 s.
   */
  networkTimeoutMs: number;
}

/** Raw strings as given; undefined or "" means "not given". */
export interface RawSettings {
  candidate?: string;
  references?: string[];
  reportPath?: string;
  htmlPath?: string;
  format?: string;
  failOn?: string;
  endpoint?: string;
  token?: string;
  components?: string;
  minPearson?: string;
  minZ?: string;
  minShare?: string;
  sample?: string;
  concurrency?: string;
  cacheDir?: string;
  networkTimeout?: string;
}

export const DEFAULT_ENDPOINT = "https://huggingface.co";

const given = (s: string | undefined): s is string => s !== undefined && s.trim() !== "";

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], dflt: T): T {
  if (!given(value)) return dflt;
  const v = value.trim() as T;
  if (!allowed.includes(v)) throw new UsageError(`${name} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`);
  return v;
}

function number(name: string, value: string | undefined, dflt: number, min: number, max: number): number {
  if (!given(value)) return dflt;
  const v = Number(value.trim());
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`${name} must be a number between ${min} and ${max} (got ${JSON.stringify(value)})`);
  }
  return v;
}

/** `--network-timeout SECONDS`: a positive number of seconds, at most an hour; returned in ms. */
export function parseNetworkTimeout(value: string | undefined): number {
  if (!given(value)) return DEFAULT_NETWORK_TIMEOUT_MS;
  const v = Number(value.trim());
  const max = MAX_NETWORK_TIMEOUT_MS / 1000;
  if (!/^\s*[0-9.eE+]+\s*$/.test(value) || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new UsageError(`--network-timeout must be a number of seconds, above 0 and at most ${max} (got ${JSON.stringify(value)})`);
  }
  return Math.round(v * 1000);
}

/** `--sample FRACTION` (0 < f <= 1), `exact` (= 1) or `auto` (choose by size). */
function parseSample(value: string | undefined): number | null {
  if (!given(value) || value.trim() === "auto") return null;
  if (value.trim() === "exact") return 1;
  const v = Number(value.trim());
  if (!Number.isFinite(v) || v <= 0 || v > 1) throw new UsageError(`--sample must be a fraction in (0, 1], "exact" or "auto" (got ${JSON.stringify(value)})`);
  return v;
}

/** `name=glob,glob;name=glob` */
export function parseComponentSpec(spec: string): ComponentSpec {
  const rules: ComponentSpec = [];
  for (const part of spec.split(";").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const name = eq > 0 ? part.slice(0, eq).trim() : "";
    const globs = eq > 0 ? part.slice(eq + 1).split(",").map((g) => g.trim()).filter(Boolean) : [];
    if (!/^[A-Za-z0-9_-]+$/.test(name) || globs.length === 0) {
      throw new UsageError(`--components: ${JSON.stringify(part)} is not name=glob[,glob] (e.g. "vision=model.vision_model.*;language=model.language_model.*")`);
    }
    rules.push({ name, globs });
  }
  if (rules.length === 0) throw new UsageError("--components is empty");
  return rules;
}

/** Split a list given as newlines and/or commas (the Action's `references` input). */
export function splitList(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

export function parseSettings(raw: RawSettings): Settings {
  if (!given(raw.candidate)) throw new UsageError("a candidate is required (--candidate)");
  const references = (raw.references ?? []).flatMap(splitList);
  if (references.length === 0) throw new UsageError("at least one reference is required (--reference)");
  const endpoint = given(raw.endpoint) ? raw.endpoint.trim().replace(/\/+$/, "") : DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`endpoint ${JSON.stringify(endpoint)} is not a URL`);
  }
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new UsageError(`endpoint ${endpoint} must be https (plain http is allowed only on loopback)`);
  }
  return {
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
    concurrency: number("--concurrency", raw.concurrency, 4, 1, 64),
    cacheDir: given(raw.cacheDir) ? raw.cacheDir.trim() : null,
    networkTimeoutMs: parseNetworkTimeout(raw.networkTimeout),
    thresholds: {
      minPearson: number("--min-pearson", raw.minPearson, DEFAULT_THRESHOLDS.minPearson, 0, 1),
      minZ: number("--min-z", raw.minZ, DEFAULT_THRESHOLDS.minZ, 0, 1e6),
      minShare: number("--min-share", raw.minShare, DEFAULT_THRESHOLDS.minShare, 0, 1),
    },
  };
}
