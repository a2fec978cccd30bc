/**
 * A model on the Hugging Face Hub (or a Hub-compatible endpoint), read with
 * HTTP Range requests: headers only while listing, exact tensor spans later.
 *
 * @huggingface/hub does model info (commit sha to pin, licence) and the file
 * listing; bytes come from plain ranged GETs on `/{repo}/resolve/{sha}/{file}`
 * through the same fetch wrapper (hub-fetch.ts), so every response can be
 * checked: 206, the Content-Range asked for, exactly end - begin bytes.
 *
 * The token is never handed to the library (it insists on an `hf_` prefix);
 * the wrapper adds it for the endpoint's origin only.
 */
import { listFiles, modelInfo } from "@huggingface/hub";
import { FetchError, FormatError, UsageError } from "../errors.js";
import { parseHeader, readHeaderLength } from "../safetensors/header.js";
import { INDEX_FILE, MAX_INDEX_BYTES, parseShardIndex, reconcileShards, SINGLE_FILE } from "../safetensors/shard-index.js";
import {
  checkEndpoint,
  DEFAULT_MAX_ATTEMPTS,
  drain,
  type FetchFn,
  type HubErrorContext,
  hubResponseError,
  makeHubFetch,
  mapHubThrown,
  redactUrl,
} from "./hub-fetch.js";
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
  /** Total attempts per request on 429/5xx/network errors (default 4). */
  maxAttempts?: number;
  /** Backoff base in ms (default 500). */
  retryBaseMs?: number;
}

/** Repo ids: exactly `org/name`, each part [A-Za-z0-9._-], no `.`/`..` parts, no `..` inside. */
export const REPO_ID_RE = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;

export function isValidRepoId(repo: string): boolean {
  return REPO_ID_RE.test(repo) && repo.split("/").every((p) => p !== "." && p !== ".." && !p.includes(".."));
}

const PICKLE_EXTENSIONS = [".bin", ".pt", ".pth", ".ckpt", ".pkl"];
const CONFIG_FILE = "config.json";
const MAX_CONFIG_BYTES = 50_000_000;
/** Shard headers fetched in parallel while listing. */
const HEADER_CONCURRENCY = 8;
/** How long a signed CDN URL from a redirect is reused before resolving again. */
const CDN_URL_TTL_MS = 5 * 60_000;
const SHA_RE = /^[0-9a-f]{40}$/;

interface RemoteFile {
  size: number;
  /** Signed CDN URL the resolve endpoint redirected to, reused for later reads. */
  cdn?: { url: string; at: number };
}

/** A stream that broke mid-body: worth another attempt. */
class BodyInterrupted extends Error {}

export class HubSource implements WeightSource {
  readonly source: string;
  readonly repo: string;
  readonly endpoint: string;
  private readonly requested: string | null;
  private readonly token: string | null;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  private readonly http: FetchFn;
  private sha: string | null = null;
  private license: string | null = null;
  private readonly files = new Map<string, RemoteFile>();
  private bytes = 0;

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
    this.maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    this.http = makeHubFetch({
      endpoint: this.endpoint,
      token: this.token,
      fetch: opts.fetch,
      maxAttempts: this.maxAttempts,
      retryBaseMs: opts.retryBaseMs,
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

  /** fetch for @huggingface/hub: non-2xx answers become our typed errors before the library sees them. */
  private libFetch(ctx: HubErrorContext): FetchFn {
    const http = this.http;
    const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const res = await http(input, init);
      if (!res.ok) throw await hubResponseError(res, ctx);
      return res;
    };
    return f as FetchFn;
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
        this.files.set(entry.path, { size: entry.size });
      }
    } catch (e) {
      throw mapHubThrown(e, ctx);
    }
  }

  async list(): Promise<ModelListing> {
    await this.pin();
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
      const pickles = [...this.files.keys()].filter((n) => PICKLE_EXTENSIONS.some((e) => n.endsWith(e)));
      throw new FormatError(
        `${this.repo}@${this.sha}`,
        pickles.length
          ? `has ${pickles.slice(0, 3).join(", ")} but no ${SINGLE_FILE} or ${INDEX_FILE}; fromscratch only reads safetensors (pickle checkpoints are never unpickled)`
          : `holds neither ${SINGLE_FILE} nor ${INDEX_FILE}`,
      );
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

  async read(file: string, begin: number, end: number): Promise<Uint8Array> {
    if (this.sha === null) throw new Error("internal: HubSource.read() called before list()");
    const info = this.files.get(file);
    if (!info) throw new FetchError(`${this.label(file)}: not a file of this repo at the pinned revision`, 404);
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin || end > info.size) {
      throw new RangeError(`${this.label(file)}: bad byte range [${begin}, ${end}) for a ${info.size}-byte file`);
    }
    if (begin === end) return new Uint8Array(0);
    const started = Date.now();
    const out = await this.fetchBytes(file, { begin, end }, info.size);
    const mib = (end - begin) / 2 ** 20;
    if (mib >= 64) this.logger.progress?.(`${this.label(file)}: read ${mib.toFixed(0)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return out;
  }

  /**
   * One GET of `file` (whole when range is null, else bytes [begin, end)),
   * returning exactly the bytes asked for. A server that ignores Range (200),
   * answers another range, or sends too few or too many bytes is an error.
   * Reuses the signed CDN URL of an earlier redirect while it is fresh, and
   * falls back to the resolve URL if the CDN refuses it.
   */
  private async fetchBytes(file: string, range: { begin: number; end: number } | null, size: number): Promise<Uint8Array> {
    const info = this.files.get(file)!;
    const expected = range ? range.end - range.begin : size;
    const label = this.label(file);
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (range) headers.range = `bytes=${range.begin}-${range.end - 1}`;

    for (let attempt = 1; ; attempt++) {
      const cached = info.cdn && Date.now() - info.cdn.at < CDN_URL_TTL_MS ? info.cdn.url : null;
      const url = cached ?? this.resolveUrl(file);
      let fromCache = cached !== null;
      let res = await this.http(url, { headers });
      if (fromCache && !res.ok && res.status >= 400 && res.status < 500) {
        // Expired or refused signed URL: resolve again through the Hub.
        await drain(res);
        info.cdn = undefined;
        fromCache = false;
        res = await this.http(this.resolveUrl(file), { headers });
      }
      if (!res.ok) {
        if (res.status === 416) {
          await drain(res);
          throw new FetchError(`${label}: the server refused byte range ${headers.range ?? "(whole file)"} (HTTP 416); the file may be shorter than the listing says`, 416);
        }
        throw await hubResponseError(res, this.ctx(file));
      }
      if (range) {
        if (res.status !== 206) {
          await drain(res);
          throw new FetchError(
            `${label}: the server ignored the Range request (HTTP ${res.status} instead of 206 Partial Content); refusing to download the whole file for ${expected} bytes`,
            res.status,
          );
        }
        const cr = res.headers.get("content-range");
        const m = cr ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim()) : null;
        if (!m || Number(m[1]) !== range.begin || Number(m[2]) !== range.end - 1) {
          await drain(res);
          throw new FetchError(`${label}: asked for bytes ${range.begin}-${range.end - 1} but the server answered Content-Range ${JSON.stringify(cr)}`);
        }
        if (m[3] !== "*" && Number(m[3]) !== size) {
          await drain(res);
          throw new FetchError(`${label}: the server says the file is ${m[3]} bytes, the listing says ${size}`);
        }
      } else if (res.status !== 200) {
        await drain(res);
        throw new FetchError(`${label}: expected HTTP 200 for the whole file, got ${res.status}`, res.status);
      }
      const finalUrl = res.url;
      try {
        const body = await readExactly(res, expected, label);
        this.bytes += body.length;
        if (finalUrl && !fromCache && new URL(finalUrl).origin !== new URL(this.endpoint).origin) {
          info.cdn = { url: finalUrl, at: Date.now() };
        }
        return body;
      } catch (e) {
        if (!(e instanceof BodyInterrupted)) throw e;
        info.cdn = undefined;
        if (attempt >= this.maxAttempts) {
          throw new FetchError(`${label}: connection broke while downloading from ${redactUrl(finalUrl || url)} (${e.message}); gave up after ${attempt} attempts`);
        }
        this.logger.warn(`${label}: connection broke mid-download (${e.message}); retrying (attempt ${attempt + 1}/${this.maxAttempts})`);
      }
    }
  }
}

/** Read a body that must be exactly `expected` bytes; never buffers more than that. */
async function readExactly(res: Response, expected: number, label: string): Promise<Uint8Array> {
  const declared = res.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) !== expected) {
    await drain(res);
    throw new FetchError(`${label}: expected ${expected} bytes but the server announced Content-Length ${declared}`);
  }
  const out = new Uint8Array(expected);
  let got = 0;
  if (res.body === null) {
    if (expected === 0) return out;
    throw new FetchError(`${label}: empty response, expected ${expected} bytes`);
  }
  const reader = res.body.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (e) {
      throw new BodyInterrupted(e instanceof Error ? e.message : String(e));
    }
    if (chunk.done) break;
    const v = chunk.value;
    if (got + v.length > expected) {
      await reader.cancel().catch(() => undefined);
      throw new FetchError(`${label}: the server sent more than the ${expected} bytes asked for`);
    }
    out.set(v, got);
    got += v.length;
  }
  if (got !== expected) throw new FetchError(`${label}: the server sent ${got} bytes, expected ${expected}`);
  return out;
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
