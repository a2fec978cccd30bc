/**
 * The @huggingface/hub adapter: model info (the commit sha every later
 * request is pinned to, and the licence) and the repo's file listing (sizes,
 * and the sha256 of LFS files).
 *
 * The library gets our fetch wrapper (hub-fetch.ts) behind one more layer:
 * non-2xx answers become our typed errors before the library sees them, and
 * bodies (small JSON) are read here under the stall limit, retried when they
 * break, capped in size, and handed over buffered. The token is never handed
 * to the library (it insists on an `hf_` prefix); the wrapper adds it.
 */
import { listFiles, modelInfo } from "@huggingface/hub";
import { FetchError } from "../common/errors.js";
import { type HubErrorContext, hubResponseError, mapHubThrown } from "./hub-errors.js";
import type { HubRequestInit } from "./hub-fetch.js";
import { formatSeconds, RAISE_TIMEOUT_HINT } from "./hub-timings.js";
import { BodyInterrupted, type FetchFn, linkAbort, readChunk, redactUrl } from "./http-body.js";
import type { Logger } from "./types.js";

/** Cap on an API (JSON) response body buffered for @huggingface/hub. */
const MAX_API_BYTES = 100_000_000;
const SHA_RE = /^[0-9a-f]{40}$/;

/** What the adapter needs of its source. */
export interface HubApi {
  repo: string;
  endpoint: string;
  /** The Hub fetch wrapper (makeHubFetch). */
  http: FetchFn;
  logger: Logger;
  maxAttempts: number;
  stallMs: number;
  /** The network timeout: one call, answers and bodies of every attempt included. */
  budgetMs: number;
  /** Aborts every call in flight (the source was closed). */
  closing: AbortSignal;
}

/** modelInfo: the commit sha of `revision` (null: the default branch) and the licence. */
export async function fetchModelInfo(api: HubApi, revision: string | null, ctx: HubErrorContext): Promise<{ sha: string; license: string | null }> {
  let info: { sha?: unknown; cardData?: { license?: unknown } };
  try {
    info = await modelInfo({
      name: api.repo,
      revision: revision ?? undefined,
      additionalFields: ["sha", "cardData"],
      hubUrl: api.endpoint,
      fetch: libFetch(api, ctx),
    });
  } catch (e) {
    throw mapHubThrown(e, ctx);
  }
  if (typeof info.sha !== "string" || !SHA_RE.test(info.sha)) {
    throw new FetchError(`${api.repo}: the Hub did not return a commit sha for revision ${JSON.stringify(revision ?? "main")}`);
  }
  const lic = info.cardData?.license;
  const license =
    typeof lic === "string" && lic
      ? lic
      : Array.isArray(lic) && lic.length > 0 && lic.every((l) => typeof l === "string")
        ? lic.join(", ")
        : null;
  return { sha: info.sha, license };
}

/** A file of the repo as the Hub's tree lists it: its size, and the digests it gives for it. */
export interface HubFileEntry {
  size: number;
  /** The LFS (or Xet) file's sha256, `lfs.oid` (lowercase hex); null for a file kept in plain git. */
  sha256: string | null;
  /** The git blob id (`oid`), when listed. */
  gitOid: string | null;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

/**
 * Every file of the repo at `sha` (recursive) with its size and, for LFS files, the sha256 the Hub
 * lists (`lfs.oid`): what lets the report identify each file without downloading it.
 */
export async function fetchFileList(api: HubApi, sha: string, ctx: HubErrorContext): Promise<Map<string, HubFileEntry>> {
  const files = new Map<string, HubFileEntry>();
  try {
    for await (const entry of listFiles({ repo: api.repo, revision: sha, recursive: true, hubUrl: api.endpoint, fetch: libFetch(api, ctx) })) {
      if (entry.type !== "file") continue;
      if (typeof entry.path !== "string" || !Number.isSafeInteger(entry.size) || entry.size < 0) {
        throw new FetchError(`${api.repo}@${sha}: the Hub's file listing has a malformed entry`);
      }
      const lfs = typeof entry.lfs?.oid === "string" ? entry.lfs.oid.toLowerCase() : null;
      if (lfs !== null && !SHA256_RE.test(lfs)) throw new FetchError(`${api.repo}@${sha}: the Hub's file listing gives ${entry.path} an LFS oid that is not a sha256`);
      files.set(entry.path, { size: entry.size, sha256: lfs, gitOid: typeof entry.oid === "string" ? entry.oid : null });
    }
  } catch (e) {
    throw mapHubThrown(e, ctx);
  }
  return files;
}

/** The fetch handed to @huggingface/hub (see the top of this file). */
function libFetch(api: HubApi, ctx: HubErrorContext): FetchFn {
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const where = redactUrl(input instanceof Request ? input.url : input);
    // One budget for the whole call: answers and bodies, every attempt included.
    const deadline = Date.now() + api.budgetMs;
    for (let attempt = 1; ; attempt++) {
      const ctl = new AbortController();
      const unlink = [linkAbort(init?.signal ?? null, ctl), linkAbort(api.closing, ctl)];
      try {
        const res = await answer(api, input, { ...init, signal: ctl.signal, deadline });
        if (!res.ok) throw await hubResponseError(res, ctx);
        try {
          const body = await readAll(api, res, ctl, where);
          return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
        } catch (e) {
          if (!(e instanceof BodyInterrupted)) throw e;
          giveUpOrWarn(api, e, { where, attempt, deadline });
        }
      } finally {
        for (const u of unlink) u();
      }
    }
  };
  return f as FetchFn;
}

/** One answer through the wrapper; its FetchErrors name the repo. */
async function answer(api: HubApi, input: string | URL | Request, init: HubRequestInit): Promise<Response> {
  try {
    return await api.http(input, init);
  } catch (e) {
    throw e instanceof FetchError && !e.message.startsWith(`${api.repo}`) ? new FetchError(`${api.repo}: ${e.message}`, e.status, e.code) : e;
  }
}

/** A body broke or stalled: throw when the budget or the attempts are spent, else warn (the caller retries). */
function giveUpOrWarn(api: HubApi, e: BodyInterrupted, { where, attempt, deadline }: { where: string; attempt: number; deadline: number }): void {
  const tries = `${attempt} attempt${attempt === 1 ? "" : "s"}`;
  if (Date.now() >= deadline) {
    throw new FetchError(`${api.repo}: reading ${where}: ${e.message}; gave up after ${tries}: no complete answer within ${formatSeconds(api.budgetMs)} s; ${RAISE_TIMEOUT_HINT}`, undefined, "fetch.timeout");
  }
  if (attempt >= api.maxAttempts) throw new FetchError(`${api.repo}: reading ${where}: ${e.message}; gave up after ${tries}`, undefined, "fetch.network");
  api.logger.warn(`${api.repo}: reading ${where}: ${e.message}; retrying (attempt ${attempt + 1}/${api.maxAttempts})`);
}

/** A whole (small) body, with the stall limit; BodyInterrupted when it breaks or stalls. */
async function readAll(api: HubApi, res: Response, ctl: AbortController, where: string): Promise<Uint8Array<ArrayBuffer> | null> {
  if (res.body === null) return null;
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = await readChunk(reader, api.stallMs, () => ctl.abort());
    if (chunk.done) break;
    total += chunk.value.length;
    if (total > MAX_API_BYTES) {
      ctl.abort();
      await reader.cancel().catch(() => undefined);
      throw new FetchError(`${api.repo}: the Hub's answer from ${where} is larger than ${MAX_API_BYTES} bytes; refusing it`);
    }
    parts.push(chunk.value);
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}
