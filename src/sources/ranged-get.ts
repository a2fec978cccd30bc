/**
 * Exact bytes of a Hub file by ranged GETs on `/{repo}/resolve/{sha}/{file}`
 * (through the Hub fetch wrapper), each response checked: 206, the
 * Content-Range asked for, exactly end - begin bytes.
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
 */
import type { HubApi } from "./hub-api.js";
import { FetchError } from "../common/errors.js";
import { type HubErrorContext, hubResponseError } from "./hub-errors.js";
import { type HubRequestInit, redirectHops } from "./hub-fetch.js";
import { formatSeconds, RAISE_TIMEOUT_HINT } from "./hub-timings.js";
import { BodyInterrupted, drain, originOf, readChunk, redactUrl } from "./http-body.js";

/** How long a signed CDN URL from a redirect is reused before resolving again. */
const CDN_URL_TTL_MS = 5 * 60_000;

/** A file of the pinned revision, and what was learnt reading it. */
export interface RemoteFile {
  size: number;
  /** Signed CDN URL the resolve endpoint redirected to, reused for later reads. */
  cdn?: { url: string; at: number };
  /** First ETag seen per origin (X-Linked-Etag, else ETag, on the Hub's own answers). */
  etags: Map<string, string>;
  /** The "server ignores Range" warning was given for this file. */
  warnedIgnoredRange?: boolean;
}

/** What the ranged GET needs of its source: the Hub connection (as the API adapter's) and the pinned file. */
export interface RangedGetOptions extends HubApi {
  /** The pinned commit sha (null before it is known). */
  sha(): string | null;
  /** `repo@rev:file` for messages. */
  label(file: string): string;
  /** Context for mapping a failed answer about `file`. */
  errorContext(file: string): HubErrorContext;
}

/** Where the bytes go, when the caller (the read-ahead) owns the buffer. */
export interface RangeStream {
  out: Uint8Array;
  onProgress(got: number): void;
  signal: AbortSignal;
}

/** Bytes received of one range so far; `at`: when the last byte arrived (the network timeout counts from it across resumes). */
interface Progress {
  got: number;
  at: number;
}

/** The range one request asks for: [from, end) of a file of `size` bytes; `ranged` false for the whole file without Range. */
interface Want {
  file: string;
  from: number;
  end: number;
  size: number;
  ranged: boolean;
}

/** One request's state: what it asks for, where the bytes go, how far they got, how to abort it. */
interface Attempt {
  want: Want;
  info: RemoteFile;
  out: Uint8Array;
  progress: Progress;
  onProgress: ((got: number) => void) | null;
  live: { abort: (() => void) | null };
}

export class RangedGet {
  /** Every byte received, wasted ones included. */
  bytes = 0;

  /**
   * The aborts of the requests in flight. The source's `closing` signal gets one listener that
   * reaches them all, not one per request: the read-ahead may have dozens of spans in flight, and
   * a listener each on one shared signal is what Node reports as a possible leak
   * (MaxListenersExceededWarning).
   */
  private readonly inFlight = new Set<() => void>();

  constructor(private readonly o: RangedGetOptions) {
    o.closing.addEventListener("abort", () => {
      for (const abort of [...this.inFlight]) abort();
    }, { once: true });
  }

  /**
   * Bytes of `file` (whole when range is null, else [begin, end)), exactly the
   * bytes asked for. Streams each response into one buffer of the final size;
   * a body that breaks, stalls or ends short is resumed with a Range request
   * for what is still missing, at most maxAttempts requests in all.
   */
  async fetch(file: string, info: RemoteFile, range: { begin: number; end: number } | null, stream: RangeStream | null = null): Promise<Uint8Array> {
    const begin = range ? range.begin : 0;
    const end = range ? range.end : info.size;
    const out = stream?.out ?? new Uint8Array(end - begin);
    if (out.length !== end - begin) throw new Error(`internal: a ${out.length}-byte buffer for ${end - begin} bytes`);
    const progress: Progress = { got: 0, at: Date.now() };
    const label = this.o.label(file);
    // The caller's abort (or close()) reaches whichever request is live (an abort alone may leave a finished body's read pending, so the body is cancelled too).
    const live: { abort: (() => void) | null } = { abort: null };
    const onAbort = (): void => live.abort?.();
    stream?.signal.addEventListener("abort", onAbort, { once: true });
    this.inFlight.add(onAbort);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          if (stream?.signal.aborted === true || this.o.closing.aborted) throw new Error("cancelled");
          const from = begin + progress.got;
          // The whole file is asked for without Range on the first attempt only; a resume is ranged.
          const want: Want = { file, from, end, size: info.size, ranged: range !== null || from > 0 };
          await this.fetchOnce({ want, info, out, progress, onProgress: stream?.onProgress ?? null, live });
          return out;
        } catch (e) {
          if (stream?.signal.aborted) throw new Error(`${label}: read-ahead of bytes ${begin}-${end - 1} cancelled`);
          if (this.o.closing.aborted) throw new FetchError(`${label}: read of bytes ${begin}-${end - 1} cancelled (source closed)`);
          if (!(e instanceof BodyInterrupted)) throw e;
          // A fresh resolve next time: the signed URL may be what broke.
          info.cdn = undefined;
          this.giveUpOrWarn(e, { label, attempt, progress, begin, end });
        }
      }
    } finally {
      stream?.signal.removeEventListener("abort", onAbort);
      this.inFlight.delete(onAbort);
    }
  }

  /** A body broke: throw when the network timeout passed without a byte or the attempts are spent, else warn (the caller resumes). */
  private giveUpOrWarn(e: BodyInterrupted, at: { label: string; attempt: number; progress: Progress; begin: number; end: number }): void {
    const { label, attempt, progress, begin, end } = at;
    const tries = `${attempt} attempt${attempt === 1 ? "" : "s"}`;
    if (Date.now() - progress.at >= this.o.budgetMs) {
      throw new FetchError(
        `${label}: ${e.message}; no data within ${formatSeconds(this.o.budgetMs)} s (${tries}, ${progress.got} of ${end - begin} bytes of range ${begin}-${end - 1} received); ${RAISE_TIMEOUT_HINT}`,
        undefined,
        "fetch.timeout",
      );
    }
    if (attempt >= this.o.maxAttempts) {
      throw new FetchError(`${label}: ${e.message}; gave up after ${tries} with ${progress.got} of ${end - begin} bytes of range ${begin}-${end - 1} received`, undefined, "fetch.network");
    }
    this.o.logger.warn(
      `${label}: ${e.message}; resuming at byte ${begin + progress.got} (${progress.got} of ${end - begin} bytes received, attempt ${attempt + 1}/${this.o.maxAttempts})`,
    );
  }

  private resolveUrl(file: string): string {
    const sha = this.o.sha();
    if (sha === null) throw new Error("internal: HubSource used before list() pinned a revision");
    const path = file.split("/").map(encodeURIComponent).join("/");
    return `${this.o.endpoint}/${this.o.repo}/resolve/${sha}/${path}`;
  }

  /** GET through the cached signed CDN URL while fresh, else (or when the CDN refuses it) the resolve URL. */
  private async get(file: string, info: RemoteFile, init: HubRequestInit): Promise<{ res: Response; fromCache: boolean; url: string }> {
    const label = this.o.label(file);
    const call = async (url: string): Promise<Response> => {
      try {
        return await this.o.http(url, init);
      } catch (e) {
        if (e instanceof FetchError && !e.message.startsWith(this.o.repo)) throw new FetchError(`${label}: ${e.message}`, e.status, e.code);
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
    return new FetchError(`${this.o.repo}: the repo changed while it was being read (file ${file}: ${what} ${a} then ${b}); re-run to check one revision`);
  }

  /**
   * Check every answer on the way (redirect hops, then the final response)
   * against the pinned sha (X-Repo-Commit on the Hub's origin) and against the
   * first ETag seen for this file on the same origin.
   */
  private checkRevision(file: string, info: RemoteFile, res: Response): void {
    const hubOrigin = originOf(this.o.endpoint);
    const sha = this.o.sha();
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
      if (commit !== null && commit.trim() !== "" && sha !== null && commit.trim() !== sha) {
        throw this.changed(file, "commit", sha, commit.trim());
      }
    }
  }

  /**
   * One request for the bytes still missing, [want.from, want.end), copied
   * into `out` as they arrive (progress.got advances with them). Resolves when
   * the range is complete; BodyInterrupted when the body breaks, stalls or
   * ends short (worth resuming); FetchError for anything else.
   */
  private async fetchOnce(a: Attempt): Promise<void> {
    const { want, info, progress, live } = a;
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (want.ranged) headers.range = `bytes=${want.from}-${want.end - 1}`;
    const ctl = new AbortController();
    live.abort = () => ctl.abort();
    const { res, fromCache, url } = await this.get(want.file, info, { headers, signal: ctl.signal, deadline: progress.at + this.o.budgetMs });
    const answer = await this.checkAnswer(want, info, res, headers.range);
    await this.stream(a, { res, finalUrl: res.url || url, answer, ctl });
    if (!fromCache && res.url && originOf(res.url) !== originOf(this.o.endpoint)) {
      info.cdn = { url: res.url, at: Date.now() };
    }
  }

  /**
   * Check a response's status, revision and length headers against what was
   * asked (the body is drained when refused). `skip`: bytes before the range
   * that a server ignoring Range sends first.
   */
  private async checkAnswer(want: Want, info: RemoteFile, res: Response, range: string | undefined): Promise<Answer> {
    const refuse = async (problem: string, status?: number): Promise<never> => {
      await drain(res);
      throw new FetchError(`${this.o.label(want.file)}: ${problem}`, status);
    };
    if (res.status === 416) {
      return refuse(`the server refused byte range ${range ?? "(whole file)"} (HTTP 416); the file may be shorter than the listing says`, 416);
    }
    if (!res.ok) throw await hubResponseError(res, this.o.errorContext(want.file));
    try {
      this.checkRevision(want.file, info, res);
    } catch (e) {
      await drain(res);
      throw e;
    }
    const answer = checkLength(want, res);
    if ("problem" in answer) return refuse(answer.problem, answer.status);
    if (answer.ignoringRange && !info.warnedIgnoredRange) {
      info.warnedIgnoredRange = true;
      this.o.logger.warn(
        `${this.o.label(want.file)}: the server ignores Range requests (HTTP 200 with the whole ${want.size}-byte file); each read streams the file from its start, discarding the bytes before the range and stopping at its end, so bytes are wasted`,
      );
    }
    return answer;
  }

  /** Copy the body into `out`, skipping what precedes the range, cutting a server that ignores Range off at the range's end. */
  private async stream(a: Attempt, r: { res: Response; finalUrl: string; answer: Answer; ctl: AbortController }): Promise<void> {
    const { want, out, progress, onProgress, live } = a;
    const { res, finalUrl, answer, ctl } = r;
    const received0 = progress.got;
    const need = (): number => want.end - want.from - (progress.got - received0);
    if (res.body === null) {
      if (need() === 0) return;
      throw new BodyInterrupted(`empty response from ${redactUrl(finalUrl)}, ${need()} bytes missing`);
    }
    const reader = res.body.getReader();
    const stop = async (): Promise<void> => {
      ctl.abort();
      await reader.cancel().catch(() => undefined);
    };
    live.abort = () => {
      ctl.abort();
      void reader.cancel().catch(() => undefined);
    };
    let skip = answer.skip;
    for (;;) {
      const chunk = await readChunk(reader, this.o.stallMs, () => ctl.abort());
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
        if (!answer.ignoringRange) {
          await stop();
          throw new FetchError(`${this.o.label(want.file)}: the server sent more than the ${want.end - want.from} bytes asked for`);
        }
        v = v.subarray(0, need());
      }
      out.set(v, progress.got);
      progress.got += v.length;
      onProgress?.(progress.got);
      // The range is complete: cut the rest of the file off instead of downloading it.
      if (answer.ignoringRange && need() === 0) {
        await stop();
        break;
      }
    }
    if (need() > 0) {
      const declared = answer.declared !== null && answer.declared < want.end - want.from ? ` (Content-Length ${answer.declared})` : "";
      throw new BodyInterrupted(`the body from ${redactUrl(finalUrl)} ended after ${progress.got - received0} of ${want.end - want.from} bytes${declared}`);
    }
  }
}

/** A response accepted for streaming. */
interface Answer {
  /** Content-Length, when given as digits. */
  declared: number | null;
  /** Bytes of the body to discard before the range (a server ignoring Range sends the file from byte 0). */
  skip: number;
  ignoringRange: boolean;
}

/** The response's status and lengths against the request: an Answer, or the problem (and the status to report) when refused. */
function checkLength(want: Want, res: Response): Answer | { problem: string; status?: number } {
  const { from, end, size } = want;
  const declaredHeader = res.headers.get("content-length");
  const declared = declaredHeader !== null && /^\d+$/.test(declaredHeader.trim()) ? Number(declaredHeader) : null;
  const ok: Answer = { declared, skip: 0, ignoringRange: false };
  if (!want.ranged) {
    if (res.status !== 200) return { problem: `expected HTTP 200 for the whole file, got ${res.status}`, status: res.status };
    if (declared !== null && declared > size) return { problem: `expected ${size} bytes but the server announced Content-Length ${declared}` };
    return ok;
  }
  if (res.status === 206) {
    const cr = res.headers.get("content-range");
    const m = cr ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim()) : null;
    if (!m || Number(m[1]) !== from || Number(m[2]) !== end - 1) return { problem: `asked for bytes ${from}-${end - 1} but the server answered Content-Range ${JSON.stringify(cr)}` };
    if (m[3] !== "*" && Number(m[3]) !== size) return { problem: `the server says the file is ${m[3]} bytes, the listing says ${size}` };
    if (declared !== null && declared > end - from) return { problem: `expected ${end - from} bytes but the server announced Content-Length ${declared}` };
    return ok;
  }
  if (res.status === 200) {
    // The server ignored Range and sends the whole file: acceptable only when it is the file we listed.
    if (declared !== size) {
      return {
        problem: `the server ignored the Range request (HTTP 200 instead of 206 Partial Content) and its Content-Length (${declaredHeader ?? "none"}) is not the listed file size ${size}; refusing the response`,
        status: 200,
      };
    }
    return { declared, skip: from, ignoringRange: true };
  }
  return { problem: `expected HTTP 206 Partial Content for bytes ${from}-${end - 1}, got ${res.status}`, status: res.status };
}

function normalizeEtag(v: string | null): string | null {
  if (v === null) return null;
  const t = v.trim().replace(/^W\//, "");
  return t === "" ? null : t;
}
