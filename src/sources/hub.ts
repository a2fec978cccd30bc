/**
 * A model on the Hugging Face Hub (or a Hub-compatible endpoint), read with
 * HTTP Range requests: headers only while listing, exact tensor spans later.
 *
 * The pieces: model info and the file listing through @huggingface/hub
 * (hub-api.ts), bytes through checked, resumable ranged GETs (ranged-get.ts),
 * both over one fetch wrapper (hub-fetch.ts) that adds the token for the
 * endpoint's origin only; the model is listed like a local folder
 * (listing.ts), and planned reads are fetched ahead (read-ahead.ts).
 */
import { FetchError, FormatError, FromScratchError, UsageError } from "../common/errors.js";
import { checkEndpoint } from "./endpoint.js";
import { fetchFileList, fetchModelInfo, type HubApi } from "./hub-api.js";
import type { HubErrorContext } from "./hub-errors.js";
import { makeHubFetch } from "./hub-fetch.js";
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_NETWORK_TIMEOUT_MS, DEFAULT_RETRY_BASE_MS, type HubTimings, stallForBudget } from "./hub-timings.js";
import type { FetchFn } from "./http-body.js";
import { listFolder, type ModelFolder } from "./listing.js";
import { RangedGet, type RemoteFile } from "./ranged-get.js";
import { type ByteRange, ReadAhead, type ReadAheadStats, SPAN_MAX_BYTES } from "./read-ahead.js";
import { isValidRepoId } from "./repo-id.js";
import { silentLogger, type Logger, type ModelListing, type WeightSource } from "./types.js";

export interface HubSourceOptions extends HubTimings {
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
   * The network timeout (--network-timeout, default 60 s): the time one
   * request, all its attempts and waits included, may go without an answer,
   * or a body without a byte, before it fails (exit code 3). The other
   * timings derive from it unless given: maxRetryMs = it, stallMs =
   * min(30 s, it / maxAttempts).
   */
  networkTimeoutMs?: number;
  /**
   * The source string also reads as a local path, which does not exist: every
   * failure to list this repo says so first ("no local path X; as a Hub repo: …").
   */
  missingLocalPath?: string | null;
}

export class HubSource implements WeightSource {
  readonly source: string;
  readonly repo: string;
  readonly endpoint: string;
  private readonly requested: string | null;
  private readonly token: string | null;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly missingLocalPath: string | null;
  /** Aborted by close(): every request still in flight (header reads, resumes, waits between attempts) ends with it. */
  private readonly closing = new AbortController();
  private readonly api: HubApi;
  private readonly ranged: RangedGet;
  private sha: string | null = null;
  private license: string | null = null;
  private readonly files = new Map<string, RemoteFile>();
  /** What the Hub's tree listed for each file besides its size: the LFS sha256 and the git blob id. */
  private readonly listedIds = new Map<string, { sha256?: string; gitOid?: string }>();
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
    this.maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    /** The network timeout: one request (attempts and waits) or one body without progress may take this long. */
    const budgetMs = Math.max(1, opts.maxRetryMs ?? opts.networkTimeoutMs ?? DEFAULT_NETWORK_TIMEOUT_MS);
    const stallMs = opts.stallMs ?? stallForBudget(opts.networkTimeoutMs ?? budgetMs, this.maxAttempts);
    const http = makeHubFetch({
      endpoint: this.endpoint,
      token: this.token,
      fetch: opts.fetch,
      maxAttempts: this.maxAttempts,
      retryBaseMs: opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
      maxRetryMs: budgetMs,
      stallMs,
      logger: this.logger,
    });
    const common = { repo: this.repo, endpoint: this.endpoint, http, logger: this.logger, maxAttempts: this.maxAttempts, stallMs, budgetMs, closing: this.closing.signal };
    this.api = common;
    this.ranged = new RangedGet({
      ...common,
      sha: () => this.sha,
      label: (file) => this.label(file),
      errorContext: (file) => this.ctx(file),
    });
  }

  get bytesRead(): number {
    return this.ranged.bytes;
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

  private label(file: string): string {
    return `${this.repo}@${this.sha ?? this.requested ?? "main"}:${file}`;
  }

  /** modelInfo: commit sha (pinned for every later request) and licence. */
  private async pin(): Promise<void> {
    const info = await fetchModelInfo(this.api, this.requested, this.ctx());
    this.sha = info.sha;
    this.license = info.license;
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
    if (!(e instanceof FromScratchError)) return e;
    // The first contact failed on the network: say so first, and how to do without the Hub.
    if (pinning && e instanceof FetchError && (e.code === "fetch.network" || e.code === "fetch.timeout")) {
      e.message = this.unreachable(e.message);
      return e;
    }
    if (this.missingLocalPath === null) return e;
    const message = `no local path ${this.missingLocalPath}; as a Hub repo: ${e.message}`;
    // 401 as a FetchError (not AuthError) is the Hub's anonymous "RepoNotFound" (see hubHttpError).
    if (pinning && e instanceof FetchError && (e.status === 404 || e.status === 401)) return new UsageError(message);
    // Keep the class, kind, status and file of the error; only the message gains the other reading.
    e.message = message;
    return e;
  }

  /** A Hub that could not be reached: what was tried, the cause, and the two ways round it (a mirror, a local folder). */
  private unreachable(cause: string): string {
    const local = this.missingLocalPath !== null ? ` (and no local folder ${this.missingLocalPath} exists)` : "";
    return (
      `could not reach the Hub at ${this.endpoint} for ${this.repo}${local}. Offline or behind a firewall? ` +
      `Point at a Hub mirror with HF_ENDPOINT (or --endpoint), or give the path of a local folder with the model's safetensors files. ` +
      `Cause: ${cause}`
    );
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
      if (this.sha === null) await this.pin();
      this.files.clear();
      this.listedIds.clear();
      for (const [file, entry] of await fetchFileList(this.api, this.sha!, this.ctx())) {
        this.files.set(file, { size: entry.size, etags: new Map() });
        this.listedIds.set(file, { ...(entry.sha256 ? { sha256: entry.sha256 } : {}), ...(entry.gitOid ? { gitOid: entry.gitOid } : {}) });
      }
      const listed = await listFolder(this.folder());
      return { source: this.source, revision: this.sha, license: this.license, ...listed };
    } catch (e) {
      throw this.explain(e, pinning && this.sha === null);
    }
  }

  /** The repo at the pinned revision as the shared listing sees it. */
  private folder(): ModelFolder {
    const info = (file: string): RemoteFile => this.files.get(file)!;
    return {
      label: `${this.repo}@${this.sha}`,
      fileLabel: (file) => this.label(file),
      has: async (file) => this.files.has(file),
      names: async () => [...this.files.keys()].sort(),
      size: async (file, listedBy) => {
        const f = this.files.get(file);
        if (f) return f.size;
        throw new FormatError(listedBy ?? this.label(file), listedBy ? `the index lists shard ${JSON.stringify(file)}, which is not in the repo` : "not in the repo");
      },
      read: (file, begin, end) => this.ranged.fetch(file, info(file), { begin, end }),
      readWhole: (file) => this.ranged.fetch(file, info(file), null),
      listedIds: (file) => this.listedIds.get(file),
    };
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
    // The read-ahead's budget: `concurrency` × 2 MiB (SPAN_MAX_BYTES / 2) of spans in flight or fetched and waiting to be read (one span, up to SPAN_MAX_BYTES, is always allowed).
    this.readAhead = new ReadAhead(
      ({ file, begin, end }, out, { onProgress, signal }) => this.ranged.fetch(file, this.files.get(file)!, { begin, end }, { out, onProgress, signal }).then(() => undefined),
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
    const out = await this.ranged.fetch(file, info, { begin, end });
    const mib = (end - begin) / 2 ** 20;
    if (mib >= 64) this.logger.progress?.(`${this.label(file)}: read ${mib.toFixed(0)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return out;
  }
}
