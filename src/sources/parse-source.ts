/**
 * Decide whether a source string names a local model or a Hub repo, and build
 * the matching WeightSource.
 *
 *   hf://org/name[@rev]                        always the Hub
 *   exists on disk, or starts with / ./ ../ ~,
 *   or ends with .safetensors, or file://…     local (missing: exit 2 at once, no Hub attempt)
 *   org/name or org/name@rev                   the Hub; when it does not exist on disk either,
 *                                              any failure says both readings:
 *                                              "no local path org/name; as a Hub repo: …"
 *   anything else                              UsageError
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { UsageError } from "../common/errors.js";
import { HubSource } from "./hub.js";
import type { HubTimings } from "./hub-timings.js";
import type { FetchFn } from "./http-body.js";
import { LocalSource } from "./local.js";
import { isValidRepoId, isValidRevision } from "./repo-id.js";
import type { Logger, WeightSource } from "./types.js";

/**
 * `missingLocalPath`: the string also reads as a relative path (it was not
 * written hf://…), and nothing exists there.
 */
export type ParsedSource =
  | { kind: "local"; path: string }
  | { kind: "hub"; repo: string; revision: string | null; missingLocalPath: string | null };

const HUB_RE = /^([A-Za-z0-9._-]+\/[A-Za-z0-9._-]+)(?:@([A-Za-z0-9._/-]+))?$/;
const HINT = "expected a local path (directory or .safetensors file) or a Hugging Face repo: org/name, org/name@revision or hf://org/name[@revision]";

function parseHubId(s: string, given: string): { repo: string; revision: string | null } | null {
  // "org/name@" (empty revision) is rejected rather than read as the default branch.
  if (s.endsWith("@")) return null;
  const m = HUB_RE.exec(s);
  if (!m) return null;
  const repo = m[1]!;
  const revision = m[2] ?? null;
  if (!isValidRepoId(repo)) return null;
  if (revision !== null && !isValidRevision(revision)) {
    throw new UsageError(`${JSON.stringify(given)}: revision ${JSON.stringify(revision)} is not a valid branch, tag or commit`);
  }
  return { repo, revision };
}

function expandHome(p: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return path.join(homedir(), p.slice(2));
  return p;
}

export function parseSource(s: string): ParsedSource {
  if (s.trim() === "") throw new UsageError(`empty model source; ${HINT}`);
  if (s.startsWith("hf://")) {
    const hub = parseHubId(s.slice("hf://".length), s);
    if (!hub) throw new UsageError(`${JSON.stringify(s)} is not a valid Hub reference; expected hf://org/name or hf://org/name@revision`);
    return { kind: "hub", ...hub, missingLocalPath: null };
  }
  if (s.startsWith("file://")) return { kind: "local", path: expandHome(s.slice("file://".length)) };
  if (
    existsSync(s) ||
    s.startsWith("/") ||
    s.startsWith("./") ||
    s.startsWith("../") ||
    s.startsWith("~") ||
    s.endsWith(".safetensors")
  ) {
    return { kind: "local", path: expandHome(s) };
  }
  const hub = parseHubId(s, s);
  if (hub) return { kind: "hub", ...hub, missingLocalPath: s };
  throw new UsageError(`${JSON.stringify(s)} is neither an existing local path nor a Hugging Face repo id; ${HINT}`);
}

export interface CreateSourceOptions {
  /** Hub base URL, e.g. https://huggingface.co. */
  endpoint: string;
  token: string | null;
  fetch?: FetchFn;
  logger?: Logger;
  /**
   * The network timeout in ms (--network-timeout): the time one Hub request,
   * all its attempts and waits included, may take before it fails (default 60 s).
   */
  networkTimeoutMs?: number;
  /** Shorter retry and stall timings for Hub sources (tests, embedders); the CLI and the Action set none. */
  hubTimings?: HubTimings;
}

export function createSource(s: string, opts: CreateSourceOptions): WeightSource {
  const parsed = parseSource(s);
  if (parsed.kind === "local") return new LocalSource(parsed.path);
  return new HubSource({
    source: s,
    repo: parsed.repo,
    revision: parsed.revision,
    endpoint: opts.endpoint,
    token: opts.token,
    fetch: opts.fetch,
    logger: opts.logger,
    networkTimeoutMs: opts.networkTimeoutMs,
    ...opts.hubTimings,
    missingLocalPath: parsed.missingLocalPath,
  });
}
