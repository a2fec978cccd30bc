/**
 * A model on the Hugging Face Hub (or a Hub-compatible endpoint), read with
 * HTTP Range requests: headers only while listing, exact tensor spans later.
 *
 * @huggingface/hub does model info (commit sha to pin, licence) and the file
 * listing; bytes come from plain ranged GETs on `/{repo}/resolve/{sha}/{file}`
 * through the same fetch wrapper (hub-fetch.ts), so every response can be
 * checked: 206, the Content-Range asked for, exactly end - begin bytes.
 *
 * Bodies are streamed into the destination buffer. A body that breaks, stalls
 * (no byte for `stallMs`) or ends short is resumed with a Range request for the
 * bytes still missing (each resume is an attempt; attempts are bounded). A
 * server that ignores Range (200 with the whole file, Content-Length equal to
 * the listed size) is read from the start: bytes before the range are
 * discarded as they arrive and the transfer is cut once the range is complete;
 * a warning says so once per file, and the wasted bytes count in bytesRead.
 * Every response's ETag (per origin) and X-Repo-Commit are checked against the
 * first seen for the file and the pinned sha, so a repo updated mid-run is
 * reported, never read as a mix of two revisions.
 *
 * The token is never handed to the library (it insists on an `hf_` prefix);
 * the wrapper adds it for the endpoint's origin only.
 */
import { listFiles, modelInfo } from "@huggingface/hub";
import { FetchError, FormatError, FromScratchError, UsageError } from "../common/errors.js";
import { parseHeader, readHeaderLength } from "../safetensors/header.js";
import { INDEX_FILE, MAX_INDEX_BYTES, parseShardIndex, reconcileShards, SINGLE_FILE } from "../safetensors/shard-index.js";
import {
  BodyInterrupted,
  checkEndpoint,
  DEFAULT_NETWORK_TIMEOUT_MS,
  drain,
  type FetchFn,
  formatSeconds,
  type HubErrorContext,
  type HubRequestInit,
  hubResponseError,
  hubTimingDefaults,
  makeHubFetch,
  mapHubThrown,
  RAISE_TIMEOUT_HINT,
  readChunk,
  redactUrl,
  redirectHops,
  stallForBudget,
} from "./hub-fetch.js";
import { missingWeightsProblem } from "./missing-weights.js";
import { type ByteRange, ReadAhead, type ReadAheadStats, SPAN_MAX_BYTES } from "./read-ahead.js";
import { silentLogger, type Logger, type ModelListing, type TensorEntry, type WeightSource } from "./types.js";

export interface HubSourceOptions {
  /** The source string as the user gave it. */
  source: string;
  /** "org/name". */
  repo: string;
  /** Branch, tag or commit; null for the default branch. */
  revision: string | null;
  /** Hub base URL, e.g. https://huggingface.co. */
  endpoint: string;
  token: string | null;
  fetch?: FetchFn;
  logger?: Logger;
  /**
   * Total attempts per request on 429/5xx/network errors (default 4); also the
   * bound on attempts (first included) to get one byte range when bodies
   * break, stall or end short.
   */
  maxAttempts?: number;
  /** Backoff base in ms (default 500). */
  retryBaseMs?: number;
  /**
   * The network timeout (--network-timeout, default 60 s): the time one
   * request, all its attempts and waits included, may go without an answer,
   * or a body without a byte, before it fails (exit code 3). The other
   * timings derive from it unless given: maxRetryMs = it, stallMs =
   * min(30 s, it / maxAttempts).
   */
  networkTimeoutMs?: number;
  /** Time one request may take on 429/5xx/network errors, attempts and waits included (default: networkTimeoutMs); a longer Retry-After fails at once. */
  maxRetryMs?: number;
  /** A connection silent this long (no headers, or no body byte) is dropped and the request retried or resumed (default min(30 s, networkTimeoutMs / maxAttempts)). */
  stallMs?: number;
  /**
   * The source string also reads as a local path, which does not exist: every
   * failure to list this repo says so first ("no local path X; as a Hub repo: …").
   */
  missingLocalPath?: string | null;
}

/** Repo ids: exactly `org/name`, each part [A-Za-z0-9._-], no `.`/`..` parts, no `..` inside. */
export const REPO_ID_RE = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;

export function isValidRepoId(repo: string): boolean {
  return REPO_ID_RE.test(repo) && repo.split("/").every((p) => p !== "." && p !== ".." && !p.includes(".."));
}

const CONFIG_FILE = "config.json";
const MAX_CONFIG_BYTES = 50_000_000;
/** Shard headers fetched in parallel while listing. */
const HEADER_CONCURRENCY = 8;
/** How long a signed CDN URL from a redirect is reused before resolving again. */
const CDN_URL_TTL_MS = 5 * 60_000;
const SHA_RE = /^[0-9a-f]{40}$/;
/** Cap on an API (JSON) response body buffered for @huggingface/hub. */
const MAX_API_BYTES = 100_000_000;

interface RemoteFile {
  size: number;
  /** Signed CDN URL the resolve endpoint redirected to, reused for later reads. */
  cdn?: { url: string; at: number };
  /** First ETag seen per origin (X-Linked-Etag, else ETag, on the Hub's own answers). */
  etags: Map<string, string>;
  /** The "server ignores Range" warning was given for this file. */
  warnedIgnoredRange?: boolean;
}

function normalizeEtag(v: string | null): string | null {
  if (v === null) return null;
  const t = v.trim().replace(/^W\//, "");
  return t === "" ? null : t;
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export class HubSource implements WeightSource {
  readonly source: string;
  readonly repo: string;
  readonly endpoint: string;
  private readonly requested: string | null;
  private readonly token: string | null;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly stallMs: number;
  /** The network timeout: one request (attempts and waits) or one body without progress may take this long. */
  private readonly budgetMs: number;
  private readonly missingLocalPath: string | null;
  /** Aborted by close(): every request still in flight (header reads, resumes, waits between attempts) ends with it. */
  private readonly closing = new AbortController();
  private readonly http: FetchFn;
  private sha: string | null = null;
  private license: string | null = null;
  private readonly files = new Map<string, RemoteFile>();
  private bytes = 0;
  private readAhead: ReadAhead | null = null;

  constructor(opts: HubSourceOptions) {
    if (!isValidRepoId(opts.repo)) {
      throw new UsageError(`${JSON.stringify(opts.repo)} is not a Hugging Face repo id (expected org/name)`);
    }
    this.source = opts.source;
    this.repo = opts.repo;
    this.requested = opts.revision;
    this.endpoint = checkEndpoint(opts.endpoint);
    this.token = opts.token === "" ? null : opts.token;
    this.logger = opts.logger ?? silentLogger;
    this.missingLocalPath = opts.missingLocalPath ?? null;
    // Legacy module defaults (setHubTimingDefaults) still cap the stall limit and set the backoff base when no option is given.
    const defaults = hubTimingDefaults();
    this.maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? defaults.maxAttempts));
    this.budgetMs = Math.max(1, opts.maxRetryMs ?? opts.networkTimeoutMs ?? DEFAULT_NETWORK_TIMEOUT_MS);
    this.stallMs = opts.stallMs ?? stallForBudget(opts.networkTimeoutMs ?? this.budgetMs, this.maxAttempts, defaults.stallMs);
    this.http = makeHubFetch({
      endpoint: this.endpoint,
      token: this.token,
      fetch: opts.fetch,
      maxAttempts: this.maxAttempts,
      retryBaseMs: opts.retryBaseMs ?? defaults.retryBaseMs,
      maxRetryMs: this.budgetMs,
      stallMs: this.stallMs,
      logger: this.logger,
    });
  }

  get bytesRead(): number {
    return this.bytes;
  }

  /** The pinned commit sha, once list() has resolved it. */
  get revision(): string | null {
    return this.sha;
  }

  private ctx(file?: string): HubErrorContext {
    return {
      endpoint: this.endpoint,
      repo: this.repo,
      revision: this.sha ?? this.requested,
      file,
      tokenSent: this.token !== null,
      attempts: this.maxAttempts,
    };
  }

  /**
   * fetch for @huggingface/hub: non-2xx answers become our typed errors before
   * the library sees them; bodies (small JSON) are read here with the stall
   * limit, retried when they break, and handed over buffered.
   */
  private libFetch(ctx: HubErrorContext): FetchFn {
    const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const where = redactUrl(input instanceof Request ? input.url : input);
      // One budget for the whole call: answers and bodies, every attempt included.
      const deadline = Date.now() + this.budgetMs;
      for (let attempt = 1; ; attempt++) {
        const ctl = new AbortController();
        const unlink = [linkAbort(init?.signal ?? null, ctl), linkAbort(this.closing.signal, ctl)];
        try {
          let res: Response;
          const hubInit: HubRequestInit = { ...init, signal: ctl.signal, deadline };
          try {
            res = await this.http(input, hubInit);
          } catch (e) {
            throw e instanceof FetchError && !e.message.startsWith(`${this.repo}`) ? new FetchError(`${this.repo}: ${e.message}`, e.status) : e;
          }
          if (!res.ok) throw await hubResponseError(res, ctx);
          try {
            const body = await this.readAll(res, ctl, where);
            return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
          } catch (e) {
            if (!(e instanceof BodyInterrupted)) throw e;
            const tries = `${attempt} attempt${attempt === 1 ? "" : "s"}`;
            if (Date.now() >= deadline) {
              throw new FetchError(`${this.repo}: reading ${where}: ${e.message}; gave up after ${tries}: no complete answer within ${formatSeconds(this.budgetMs)} s; ${RAISE_TIMEOUT_HINT}`);
            }
            if (attempt >= this.maxAttempts) throw new FetchError(`${this.repo}: reading ${where}: ${e.message}; gave up after ${tries}`);
            this.logger.warn(`${this.repo}: reading ${where}: ${e.message}; retrying (attempt ${attempt + 1}/${this.maxAttempts})`);
          }
        } finally {
          for (const u of unlink) u();
        }
      }
    };
    return f as FetchFn;
  }

  /** A whole (small) body, with the stall limit; BodyInterrupted when it breaks or stalls. */
  private async readAll(res: Response, ctl: AbortController, where: string): Promise<Uint8Array<ArrayBuffer> | null> {
    if (res.body === null) return null;
    const reader = res.body.getReader();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = await readChunk(reader, this.stallMs, () => ctl.abort());
      if (chunk.done) break;
      total += chunk.value.length;
      if (total > MAX_API_BYTES) {
        ctl.abort();
        await reader.cancel().catch(() => undefined);
        throw new FetchError(`${this.repo}: the Hub's answer from ${where} is larger than ${MAX_API_BYTES} bytes; refusing it`);
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

  private label(file: string): string {
    return `${this.repo}@${this.sha ?? this.requested ?? "main"}:${file}`;
  }

  private resolveUrl(file: string): string {
    if (this.sha === null) throw new Error("internal: HubSource used before list() pinned a revision");
    const path = file.split("/").map(encodeURIComponent).join("/");
    return `${this.endpoint}/${this.repo}/resolve/${this.sha}/${path}`;
  }

  /** modelInfo: commit sha (pinned for every later request) and licence. */
  private async pin(): Promise<void> {
    const ctx = this.ctx();
    let info: { sha?: unknown; cardData?: { license?: unknown } };
    try {
      info = await modelInfo({
        name: this.repo,
        revision: this.requested ?? undefined,
        additionalFields: ["sha", "cardData"],
        hubUrl: this.endpoint,
        fetch: this.libFetch(ctx),
      });
    } catch (e) {
      throw mapHubThrown(e, ctx);
    }
    if (typeof info.sha !== "string" || !SHA_RE.test(info.sha)) {
      throw new FetchError(`${this.repo}: the Hub did not return a commit sha for revision ${JSON.stringify(this.requested ?? "main")}`);
    }
    this.sha = info.sha;
    const lic = info.cardData?.license;
    this.license =
      typeof lic === "string" && lic
        ? lic
        : Array.isArray(lic) && lic.length > 0 && lic.every((l) => typeof l === "string")
          ? lic.join(", ")
          : null;
  }

  private async listRepoFiles(): Promise<void> {
    const ctx = this.ctx();
    this.files.clear();
    try {
      for await (const entry of listFiles({
        repo: this.repo,
        revision: this.sha ?? undefined,
        recursive: true,
        hubUrl: this.endpoint,
        fetch: this.libFetch(ctx),
      })) {
        if (entry.type !== "file") continue;
        if (typeof entry.path !== "string" || !Number.isSafeInteger(entry.size) || entry.size < 0) {
          throw new FetchError(`${this.repo}@${this.sha}: the Hub's file listing has a malformed entry`);
        }
        this.files.set(entry.path, { size: entry.size, etags: new Map() });
      }
    } catch (e) {
      throw mapHubThrown(e, ctx);
    }
  }

  /** Resolve the revision to its commit sha (one API call) and the licence; idempotent. */
  async resolve(): Promise<{ sha: string; license: string | null }> {
    try {
      if (this.sha === null) await this.pin();
    } catch (e) {
      throw this.explain(e, true);
    }
    return { sha: this.sha!, license: this.license };
  }

  /**
   * A failure of a source that could also have been a local path (which does
   * not exist) says both readings: "no local path X; as a Hub repo: <error>".
   * When the Hub says the repo (or revision) is not there, the source names
   * nothing that exists anywhere: bad input, exit code 2, like a missing
   * ./path (most likely a mistyped local path). A Hub that could not be
   * reached, refused access or failed otherwise keeps its own kind (exit 3):
   * the repo may exist and a later run may read it.
   */
  private explain(e: unknown, pinning: boolean): unknown {
    if (this.missingLocalPath === null || !(e instanceof FromScratchError)) return e;
    const message = `no local path ${this.missingLocalPath}; as a Hub repo: ${e.message}`;
    // 401 as a FetchError (not AuthError) is the Hub's anonymous "RepoNotFound" (see hubHttpError).
    if (pinning && e instanceof FetchError && (e.status === 404 || e.status === 401)) return new UsageError(message);
    // Keep the class, kind, status and file of the error; only the message gains the other reading.
    e.message = message;
    return e;
  }

  /** What a cache needs to read this revision again without listing it: file sizes. */
  snapshot(): { sha: string; files: Record<string, number> } | null {
    if (this.sha === null) return null;
    return { sha: this.sha, files: Object.fromEntries([...this.files].map(([k, v]) => [k, v.size])) };
  }

  /** Adopt a cached snapshot of the same revision (after resolve()), so read() works without list(). */
  restore(snap: { sha: string; files: Record<string, number> }): void {
    if (this.sha !== null && snap.sha !== this.sha) throw new Error(`internal: snapshot of ${snap.sha} restored into ${this.sha}`);
    this.sha = snap.sha;
    this.files.clear();
    for (const [k, size] of Object.entries(snap.files)) this.files.set(k, { size, etags: new Map() });
  }

  async list(): Promise<ModelListing> {
    const pinning = this.sha === null;
    try {
      return await this.listPinned();
    } catch (e) {
      throw this.explain(e, pinning && this.sha === null);
    }
  }

  private async listPinned(): Promise<ModelListing> {
    if (this.sha === null) await this.pin();
    await this.listRepoFiles();
    let headerBytes = 0;
    let tensors: TensorEntry[];
    let files: string[];

    if (this.files.has(INDEX_FILE)) {
      const indexLabel = this.label(INDEX_FILE);
      const text = await this.getSmallFile(INDEX_FILE, MAX_INDEX_BYTES, "index");
      headerBytes += text.bytes;
      const index = parseShardIndex(indexLabel, text.text);
      for (const shard of index.shards) {
        if (!this.files.has(shard)) {
          throw new FormatError(indexLabel, `the index lists shard ${JSON.stringify(shard)}, which is not in the repo`);
        }
      }
      const results = await mapLimit(index.shards, HEADER_CONCURRENCY, (shard) => this.readHeader(shard));
      const perShard = new Map<string, TensorEntry[]>();
      index.shards.forEach((shard, i) => {
        const r = results[i]!;
        perShard.set(shard, r.tensors);
        headerBytes += r.bytes;
      });
      tensors = reconcileShards(indexLabel, index, perShard);
      files = index.shards;
    } else if (this.files.has(SINGLE_FILE)) {
      const r = await this.readHeader(SINGLE_FILE);
      tensors = r.tensors;
      headerBytes += r.bytes;
      files = [SINGLE_FILE];
    } else {
      throw new FormatError(`${this.repo}@${this.sha}`, missingWeightsProblem([...this.files.keys()].sort()));
    }

    let config: unknown = null;
    if (this.files.has(CONFIG_FILE)) {
      const c = await this.getSmallFile(CONFIG_FILE, MAX_CONFIG_BYTES, "config");
      headerBytes += c.bytes;
      try {
        config = JSON.parse(c.text);
      } catch (e) {
        throw new FormatError(this.label(CONFIG_FILE), `not valid JSON (${(e as Error).message})`);
      }
    }

    return {
      source: this.source,
      revision: this.sha,
      license: this.license,
      tensors,
      files,
      config,
      annotationFile: null,
      headerBytes,
    };
  }

  /** Whole small file (index, config), size-checked against the listing before and after. */
  private async getSmallFile(file: string, max: number, what: string): Promise<{ text: string; bytes: number }> {
    const info = this.files.get(file)!;
    if (info.size > max) {
      throw new FormatError(this.label(file), `${what} is ${info.size} bytes, above the ${max}-byte limit`);
    }
    const bytes = await this.fetchBytes(file, null, info.size);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new FormatError(this.label(file), "is not valid UTF-8");
    }
    return { text, bytes: bytes.length };
  }

  /** Header only: bytes 0-7, then 8..8+N-1, each validated against the listed size. */
  private async readHeader(file: string): Promise<{ tensors: TensorEntry[]; bytes: number }> {
    const size = this.files.get(file)!.size;
    const label = this.label(file);
    const prefixLen = Math.min(8, size);
    const prefix = prefixLen > 0 ? await this.fetchBytes(file, { begin: 0, end: prefixLen }, size) : new Uint8Array(0);
    const n = readHeaderLength(label, prefix, size);
    const json = await this.fetchBytes(file, { begin: 8, end: 8 + n }, size);
    const parsed = parseHeader(label, json, size);
    return { tensors: parsed.tensors.map((t) => ({ ...t, file })), bytes: 8 + n };
  }

  /**
   * The ranges the engine will read next, in order: adjacent ones are
   * coalesced into single ranged requests and fetched ahead (read-ahead.ts).
   */
  expect(ranges: readonly ByteRange[], concurrency: number): void {
    if (this.sha === null) throw new Error("internal: HubSource.expect() called before list()");
    for (const r of ranges) {
      const info = this.files.get(r.file);
      if (!info || r.begin < 0 || r.end > info.size || r.end < r.begin) throw new RangeError(`${this.label(r.file)}: bad planned byte range [${r.begin}, ${r.end})`);
    }
    this.readAhead?.reset();
    // Up to `concurrency` spans of SPAN_MAX_BYTES in flight or waiting to be read.
    this.readAhead = new ReadAhead(
      (file, begin, end, out, onProgress, signal) => this.fetchBytes(file, { begin, end }, this.files.get(file)!.size, { out, onProgress, signal }).then(() => undefined),
      Math.max(1, Math.floor(concurrency)) * (SPAN_MAX_BYTES / 2),
    );
    this.readAhead.plan(ranges);
  }

  /** Spans planned and requested so far by the read-ahead (for logs and the bench). */
  get readAheadStats(): ReadAheadStats | null {
    return this.readAhead?.stats ?? null;
  }

  /** Drop the read-ahead and abort every request still in flight (and any wait between attempts). */
  async close(): Promise<void> {
    this.readAhead?.reset();
    this.closing.abort();
  }

  async read(file: string, begin: number, end: number): Promise<Uint8Array> {
    if (this.sha === null) throw new Error("internal: HubSource.read() called before list()");
    const info = this.files.get(file);
    if (!info) throw new FetchError(`${this.label(file)}: not a file of this repo at the pinned revision`, 404);
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin || end > info.size) {
      throw new RangeError(`${this.label(file)}: bad byte range [${begin}, ${end}) for a ${info.size}-byte file`);
    }
    if (begin === end) return new Uint8Array(0);
    const planned = this.readAhead?.take(file, begin, end);
    if (planned) return planned;
    const started = Date.now();
    const out = await this.fetchBytes(file, { begin, end }, info.size);
    const mib = (end - begin) / 2 ** 20;
    if (mib >= 64) this.logger.progress?.(`${this.label(file)}: read ${mib.toFixed(0)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return out;
  }

  /**
   * Bytes of `file` (whole when range is null, else [begin, end)), exactly the
   * bytes asked for. Streams each response into one buffer of the final size;
   * a body that breaks, stalls or ends short is resumed with a Range request
   * for what is still missing, at most maxAttempts requests in all.
   */
  private async fetchBytes(
    file: string,
    range: { begin: number; end: number } | null,
    size: number,
    stream: { out: Uint8Array; onProgress(got: number): void; signal: AbortSignal } | null = null,
  ): Promise<Uint8Array> {
    const info = this.files.get(file)!;
    const begin = range ? range.begin : 0;
    const end = range ? range.end : size;
    const out = stream?.out ?? new Uint8Array(end - begin);
    if (out.length !== end - begin) throw new Error(`internal: a ${out.length}-byte buffer for ${end - begin} bytes`);
    // `at`: when the last byte arrived; the network timeout counts from it across resumes.
    const progress = { got: 0, at: Date.now() };
    const label = this.label(file);
    // The caller's abort (or close()) reaches whichever request is live (an abort alone may leave a finished body's read pending, so the body is cancelled too).
    const live: { abort: (() => void) | null } = { abort: null };
    const onAbort = (): void => live.abort?.();
    stream?.signal.addEventListener("abort", onAbort, { once: true });
    this.closing.signal.addEventListener("abort", onAbort, { once: true });
    const cancelled = (): boolean => stream?.signal.aborted === true || this.closing.signal.aborted;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          if (cancelled()) throw new Error("cancelled");
          await this.fetchOnce(file, info, { begin, end, whole: range === null }, out, progress, stream?.onProgress ?? null, live);
          return out;
        } catch (e) {
          if (stream?.signal.aborted) throw new Error(`${label}: read-ahead of bytes ${begin}-${end - 1} cancelled`);
          if (this.closing.signal.aborted) throw new FetchError(`${label}: read of bytes ${begin}-${end - 1} cancelled (source closed)`);
          if (!(e instanceof BodyInterrupted)) throw e;
          // A fresh resolve next time: the signed URL may be what broke.
          info.cdn = undefined;
          if (Date.now() - progress.at >= this.budgetMs) {
            throw new FetchError(
              `${label}: ${e.message}; no data within ${formatSeconds(this.budgetMs)} s (${attempt} attempt${attempt === 1 ? "" : "s"}, ${progress.got} of ${end - begin} bytes of range ${begin}-${end - 1} received); ${RAISE_TIMEOUT_HINT}`,
            );
          }
          if (attempt >= this.maxAttempts) {
            throw new FetchError(
              `${label}: ${e.message}; gave up after ${attempt} attempt${attempt === 1 ? "" : "s"} with ${progress.got} of ${end - begin} bytes of range ${begin}-${end - 1} received`,
            );
          }
          this.logger.warn(
            `${label}: ${e.message}; resuming at byte ${begin + progress.got} (${progress.got} of ${end - begin} bytes received, attempt ${attempt + 1}/${this.maxAttempts})`,
          );
        }
      }
    } finally {
      stream?.signal.removeEventListener("abort", onAbort);
      this.closing.signal.removeEventListener("abort", onAbort);
    }
  }

  /** GET through the cached signed CDN URL while fresh, else (or when the CDN refuses it) the resolve URL. */
  private async get(
    file: string,
    info: RemoteFile,
    headers: Record<string, string>,
    signal: AbortSignal,
    deadline: number,
  ): Promise<{ res: Response; fromCache: boolean; url: string }> {
    const label = this.label(file);
    const call = async (url: string): Promise<Response> => {
      try {
        const init: HubRequestInit = { headers, signal, deadline };
        return await this.http(url, init);
      } catch (e) {
        if (e instanceof FetchError && !e.message.startsWith(this.repo)) throw new FetchError(`${label}: ${e.message}`, e.status);
        throw e;
      }
    };
    const cached = info.cdn && Date.now() - info.cdn.at < CDN_URL_TTL_MS ? info.cdn.url : null;
    if (cached !== null) {
      const res = await call(cached);
      if (res.ok || res.status < 400 || res.status >= 500) return { res, fromCache: true, url: cached };
      // Expired or refused signed URL: resolve again through the Hub.
      await drain(res);
      info.cdn = undefined;
    }
    const url = this.resolveUrl(file);
    return { res: await call(url), fromCache: false, url };
  }

  /** The repo changed under us: never mix two revisions. */
  private changed(file: string, what: string, a: string, b: string): FetchError {
    return new FetchError(`${this.repo}: the repo changed while it was being read (file ${file}: ${what} ${a} then ${b}); re-run to check one revision`);
  }

  /**
   * Check every answer on the way (redirect hops, then the final response)
   * against the pinned sha (X-Repo-Commit on the Hub's origin) and against the
   * first ETag seen for this file on the same origin.
   */
  private checkRevision(file: string, info: RemoteFile, res: Response): void {
    const hubOrigin = originOf(this.endpoint);
    const answers = [...redirectHops(res).map((h) => ({ url: h.url, headers: h.headers })), { url: res.url, headers: res.headers }];
    for (const a of answers) {
      const origin = originOf(a.url);
      if (origin === null) continue;
      const onHub = origin === hubOrigin;
      const etag = normalizeEtag(onHub ? (a.headers.get("x-linked-etag") ?? a.headers.get("etag")) : a.headers.get("etag"));
      if (etag !== null) {
        const seen = info.etags.get(origin);
        if (seen === undefined) info.etags.set(origin, etag);
        else if (seen !== etag) throw this.changed(file, "etag", seen, etag);
      }
      const commit = onHub ? a.headers.get("x-repo-commit") : null;
      if (commit !== null && commit.trim() !== "" && this.sha !== null && commit.trim() !== this.sha) {
        throw this.changed(file, "commit", this.sha, commit.trim());
      }
    }
  }

  /**
   * One request for the bytes still missing, [begin + progress.got, end),
   * copied into `out` as they arrive (progress.got advances with them).
   * Resolves when the range is complete; BodyInterrupted when the body breaks,
   * stalls or ends short (worth resuming); FetchError for anything else.
   */
  private async fetchOnce(
    file: string,
    info: RemoteFile,
    want: { begin: number; end: number; whole: boolean },
    out: Uint8Array,
    progress: { got: number; at: number },
    onProgress: ((got: number) => void) | null,
    live: { abort: (() => void) | null },
  ): Promise<void> {
    const size = info.size;
    const label = this.label(file);
    const from = want.begin + progress.got;
    const end = want.end;
    // The whole file is asked for without Range on the first attempt only; a resume is ranged.
    const ranged = !want.whole || from > 0;
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (ranged) headers.range = `bytes=${from}-${end - 1}`;
    const ctl = new AbortController();
    live.abort = () => ctl.abort();
    const { res, fromCache, url } = await this.get(file, info, headers, ctl.signal, progress.at + this.budgetMs);

    if (!res.ok) {
      if (res.status === 416) {
        await drain(res);
        throw new FetchError(`${label}: the server refused byte range ${headers.range ?? "(whole file)"} (HTTP 416); the file may be shorter than the listing says`, 416);
      }
      throw await hubResponseError(res, this.ctx(file));
    }
    try {
      this.checkRevision(file, info, res);
    } catch (e) {
      await drain(res);
      throw e;
    }
    const declaredHeader = res.headers.get("content-length");
    const declared = declaredHeader !== null && /^\d+$/.test(declaredHeader.trim()) ? Number(declaredHeader) : null;
    /** Bytes of the body to discard before `from` (a server ignoring Range sends the file from byte 0). */
    let skip = 0;
    let ignoringRange = false;
    if (ranged && res.status === 206) {
      const cr = res.headers.get("content-range");
      const m = cr ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim()) : null;
      if (!m || Number(m[1]) !== from || Number(m[2]) !== end - 1) {
        await drain(res);
        throw new FetchError(`${label}: asked for bytes ${from}-${end - 1} but the server answered Content-Range ${JSON.stringify(cr)}`);
      }
      if (m[3] !== "*" && Number(m[3]) !== size) {
        await drain(res);
        throw new FetchError(`${label}: the server says the file is ${m[3]} bytes, the listing says ${size}`);
      }
      if (declared !== null && declared > end - from) {
        await drain(res);
        throw new FetchError(`${label}: expected ${end - from} bytes but the server announced Content-Length ${declared}`);
      }
    } else if (ranged && res.status === 200) {
      // The server ignored Range and sends the whole file: acceptable only when it is the file we listed.
      if (declared !== size) {
        await drain(res);
        throw new FetchError(
          `${label}: the server ignored the Range request (HTTP 200 instead of 206 Partial Content) and its Content-Length (${declaredHeader ?? "none"}) is not the listed file size ${size}; refusing the response`,
          200,
        );
      }
      ignoringRange = true;
      skip = from;
      if (!info.warnedIgnoredRange) {
        info.warnedIgnoredRange = true;
        this.logger.warn(
          `${label}: the server ignores Range requests (HTTP 200 with the whole ${size}-byte file); each read streams the file from its start, discarding the bytes before the range and stopping at its end, so bytes are wasted`,
        );
      }
    } else if (ranged) {
      await drain(res);
      throw new FetchError(`${label}: expected HTTP 206 Partial Content for bytes ${from}-${end - 1}, got ${res.status}`, res.status);
    } else {
      if (res.status !== 200) {
        await drain(res);
        throw new FetchError(`${label}: expected HTTP 200 for the whole file, got ${res.status}`, res.status);
      }
      if (declared !== null && declared > size) {
        await drain(res);
        throw new FetchError(`${label}: expected ${size} bytes but the server announced Content-Length ${declared}`);
      }
    }

    const finalUrl = res.url || url;
    const need = (): number => want.end - want.begin - progress.got;
    if (res.body === null) {
      if (need() === 0) return;
      throw new BodyInterrupted(`empty response from ${redactUrl(finalUrl)}, ${need()} bytes missing`);
    }
    const reader = res.body.getReader();
    live.abort = () => {
      ctl.abort();
      void reader.cancel().catch(() => undefined);
    };
    const received0 = progress.got;
    for (;;) {
      const chunk = await readChunk(reader, this.stallMs, () => ctl.abort());
      if (chunk.done) break;
      let v = chunk.value;
      this.bytes += v.length;
      if (v.length > 0) progress.at = Date.now();
      if (skip > 0) {
        if (v.length <= skip) {
          skip -= v.length;
          continue;
        }
        v = v.subarray(skip);
        skip = 0;
      }
      if (v.length > need()) {
        if (!ignoringRange) {
          ctl.abort();
          await reader.cancel().catch(() => undefined);
          throw new FetchError(`${label}: the server sent more than the ${end - from} bytes asked for`);
        }
        v = v.subarray(0, need());
      }
      out.set(v, progress.got);
      progress.got += v.length;
      onProgress?.(progress.got);
      if (ignoringRange && need() === 0) {
        // The range is complete: cut the rest of the file off instead of downloading it.
        ctl.abort();
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
    if (need() > 0) {
      throw new BodyInterrupted(
        `the body from ${redactUrl(finalUrl)} ended after ${progress.got - received0} of ${end - from} bytes${declared !== null && declared < end - from ? ` (Content-Length ${declared})` : ""}`,
      );
    }
    if (!fromCache && res.url && originOf(res.url) !== originOf(this.endpoint)) {
      info.cdn = { url: res.url, at: Date.now() };
    }
  }
}

/** Abort `ctl` when `signal` aborts; returns the undo (call it once the request is over). */
function linkAbort(signal: AbortSignal | null, ctl: AbortController): () => void {
  if (signal === null) return () => undefined;
  if (signal.aborted) {
    ctl.abort(signal.reason);
    return () => undefined;
  }
  const onAbort = (): void => ctl.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/** Map with at most `limit` calls in flight; results keep input order; first error wins. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
