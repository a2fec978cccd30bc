/**
 * The HTTP layer under HubSource: one `fetch` wrapper that every Hub request
 * goes through (our own ranged reads and @huggingface/hub's calls alike).
 *
 * - The token is added as `Authorization: Bearer …` only for URLs on the
 *   endpoint's origin, and stripped from anything else, whoever set it
 *   (redirects to the CDN / S3 carry their own signature).
 * - Redirects are followed by hand (`redirect: "manual"`) so the rule above
 *   holds on every hop; at most 5 hops, never to plain http off loopback.
 * - 429 and 5xx are retried with exponential backoff, honouring Retry-After;
 *   network errors likewise. Attempts are bounded, and so is the time spent
 *   retrying one request (`maxRetryMs`): a Retry-After beyond what is left of
 *   that budget fails at once, saying how long the Hub asked to wait.
 * - A hop that sends no response headers for `stallMs` is aborted and retried
 *   like a network error. Bodies are read by the callers, with the same idle
 *   limit (readChunk).
 * - One request, all its attempts and the waits between them, never runs past
 *   its budget (`maxRetryMs`, the user's --network-timeout, or an earlier
 *   `deadline` the caller passes in the init): the last hop's stall limit is
 *   cut to what is left, and a request that gets no answer within the budget
 *   fails saying what stalled, the attempts made and the budget.
 * - Waits between attempts end early when the caller's signal aborts, so a
 *   closed source leaves no timer behind.
 * - The token never appears in a log line or an error message.
 */
import { HubApiError } from "@huggingface/hub";
import { AuthError, FetchError, FromScratchError, UsageError } from "../common/errors.js";
import type { Logger } from "./types.js";

export type FetchFn = typeof fetch;

export const DEFAULT_ENDPOINT = "https://huggingface.co";
export const DEFAULT_MAX_ATTEMPTS = 4;
export const DEFAULT_RETRY_BASE_MS = 500;
/**
 * The default --network-timeout: the time one request (all its attempts and
 * the waits between them) may go without an answer, or a body without a byte,
 * before the run gives up with exit code 3.
 */
export const DEFAULT_NETWORK_TIMEOUT_MS = 60_000;
/** The largest --network-timeout accepted (one hour). */
export const MAX_NETWORK_TIMEOUT_MS = 3_600_000;
/** Total time one request may take, attempts and waits included (the default network timeout). */
export const DEFAULT_MAX_RETRY_MS = DEFAULT_NETWORK_TIMEOUT_MS;
/** A connection that delivers nothing (headers or body bytes) for this long is given up and retried. */
export const DEFAULT_STALL_MS = 30_000;
export const MAX_REDIRECTS = 5;
/** What a message about a spent budget tells the user to change. */
export const RAISE_TIMEOUT_HINT = "raise --network-timeout";

/**
 * The stall limit of one attempt under a network timeout: the budget shared by
 * the attempts, at most `capMs` (30 s), so every attempt gets its turn.
 */
export function stallForBudget(budgetMs: number, attempts: number, capMs: number = DEFAULT_STALL_MS): number {
  return Math.max(1, Math.min(capMs, Math.floor(budgetMs / Math.max(1, attempts))));
}

/** Init accepted by the Hub fetch wrapper: a RequestInit and, optionally, the time (ms since the epoch) by which to give up. */
export type HubRequestInit = RequestInit & { deadline?: number };

/** Retry and timeout settings used when a HubSource / makeHubFetch caller does not pass its own. */
export interface HubTimings {
  maxAttempts: number;
  retryBaseMs: number;
  maxRetryMs: number;
  stallMs: number;
}

const hubDefaults: HubTimings = {
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  retryBaseMs: DEFAULT_RETRY_BASE_MS,
  maxRetryMs: DEFAULT_MAX_RETRY_MS,
  stallMs: DEFAULT_STALL_MS,
};

/** The timings in force when an option is not given. */
export function hubTimingDefaults(): Readonly<HubTimings> {
  return { ...hubDefaults };
}

/**
 * Change the defaults (for embedders and tests that drive the CLI, whose
 * sources are built without timing options). Returns a function restoring the
 * previous values.
 */
export function setHubTimingDefaults(p: Partial<HubTimings>): () => void {
  const before = { ...hubDefaults };
  Object.assign(hubDefaults, p);
  return () => {
    Object.assign(hubDefaults, before);
  };
}

export interface HubFetchOptions {
  /** Hub base URL, e.g. https://huggingface.co (checked with checkEndpoint). */
  endpoint: string;
  /** Sent only to the endpoint's origin. Any string (no `hf_` prefix required). */
  token: string | null;
  /** Underlying fetch (default: the global one). */
  fetch?: FetchFn;
  /** Total attempts per request, first included (default 4). */
  maxAttempts?: number;
  /** Backoff base: waits base, 2·base, 4·base … when no Retry-After (default 500 ms). */
  retryBaseMs?: number;
  /** Upper bound on any single wait, Retry-After included (default 60 s). */
  maxDelayMs?: number;
  /**
   * The budget of one request, attempts and waits included (default 60 s, the
   * --network-timeout): a wait that would end past it is not made, and the
   * last attempt's stall limit is cut to what is left. A Retry-After asking for
   * more than what is left fails at once with a FetchError saying how long the
   * Hub asked to wait.
   */
  maxRetryMs?: number;
  /** Give up on a hop that sends no response headers for this long, and retry (default 30 s). */
  stallMs?: number;
  logger?: Logger;
  /** Injectable for tests; should end early when `signal` aborts (the default does). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock for the retry budget (default Date.now). */
  now?: () => number;
}

/** True for localhost, 127.0.0.0/8 and ::1 (URL.hostname spelling, brackets included or not). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === "localhost" || h === "[::1]" || h === "::1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((p) => Number(p) <= 255);
}

/**
 * Validate a Hub endpoint and return it without a trailing slash. https is
 * required unless the host is loopback (a local test server or proxy).
 */
export function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`Hub endpoint ${JSON.stringify(endpoint)} is not a valid URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`Hub endpoint ${JSON.stringify(endpoint)} must be an https:// URL`);
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new UsageError(
      `Hub endpoint ${url.origin} uses plain http; only https is allowed (http is accepted for loopback hosts only: localhost, 127.0.0.0/8, ::1)`,
    );
  }
  if (url.username || url.password) {
    throw new UsageError("Hub endpoint must not embed credentials; pass the token with --token / HF_TOKEN instead");
  }
  if (url.search || url.hash) throw new UsageError(`Hub endpoint ${url.origin} must not have a query or fragment`);
  return url.href.replace(/\/+$/, "");
}

/** origin + path, no query (signed CDN URLs carry signatures we do not print). */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return "<invalid URL>";
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Retry-After in ms (delta-seconds or HTTP date), or null when absent/unparseable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - now);
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Wait `ms`, or less when `signal` aborts (the timer is cleared: nothing keeps the process alive). */
const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/** Seconds for messages: "0.15", "2.5", "3", "120". */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (Number.isInteger(s)) return String(s);
  return s < 10 ? String(Number(s.toFixed(2))) : String(Math.round(s));
}

/** A connection that sent nothing for too long. */
export class StallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StallError";
  }
}

/** A body that broke, stalled or ended short: worth another (resumed) attempt. */
export class BodyInterrupted extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BodyInterrupted";
  }
}

/**
 * The next chunk of a body, waiting at most `stallMs` for it. A stall calls
 * `abort` (which should tear the connection down) and rejects with
 * BodyInterrupted, as does a broken stream.
 */
export async function readChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  stallMs: number,
  abort: () => void,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const stalled = new Promise<never>((_, reject) => {
    if (!(stallMs > 0 && Number.isFinite(stallMs))) return;
    timer = setTimeout(() => {
      timedOut = true;
      reject(new BodyInterrupted(`no data for ${formatSeconds(stallMs)} s (stalled connection)`));
      abort();
      reader.cancel().catch(() => undefined);
    }, stallMs);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } catch (e) {
    if (timedOut) throw new BodyInterrupted(`no data for ${formatSeconds(stallMs)} s (stalled connection)`);
    if (e instanceof BodyInterrupted) throw e;
    throw new BodyInterrupted(`connection broke mid-body (${describeCause(e)})`);
  } finally {
    clearTimeout(timer);
  }
}

/** One redirect hop the wrapper followed: the Hub's answer before the CDN's. */
export interface RedirectHop {
  url: string;
  status: number;
  headers: Headers;
}

const hopsOf = new WeakMap<Response, RedirectHop[]>();

/** The redirects followed to get `res` (first hop first); empty when none. */
export function redirectHops(res: Response): readonly RedirectHop[] {
  return hopsOf.get(res) ?? [];
}

/** Discard a body we will not read, so the connection can be reused. */
export async function drain(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // ignore: the connection is dropped instead
  }
}

function describeCause(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    const inner = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "";
    return inner && inner !== e.message ? `${e.message}: ${inner}` : e.message;
  }
  return String(e);
}

/** Build the fetch wrapper described at the top of this file. */
export function makeHubFetch(opts: HubFetchOptions): FetchFn {
  const endpointOrigin = new URL(checkEndpoint(opts.endpoint)).origin;
  const base: FetchFn = opts.fetch ?? fetch;
  const maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? hubDefaults.maxAttempts));
  const retryBaseMs = Math.max(0, opts.retryBaseMs ?? hubDefaults.retryBaseMs);
  const maxDelayMs = Math.max(0, opts.maxDelayMs ?? 60_000);
  const maxRetryMs = Math.max(0, opts.maxRetryMs ?? hubDefaults.maxRetryMs);
  const stallMs = opts.stallMs ?? hubDefaults.stallMs;
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const token = opts.token;

  const backoff = (attempt: number): number => Math.min(maxDelayMs, retryBaseMs * 2 ** (attempt - 1));

  /**
   * One request, aborted if no response headers arrive within stallMs. The
   * caller's signal still aborts it (and its body) later; the link to that
   * signal is pushed on `links` so it can be undone once the response is
   * dropped (keeping one listener per live response, not one per hop).
   */
  async function hop(url: URL, init: RequestInit, signal: AbortSignal | null | undefined, links: (() => void)[], hopStallMs: number): Promise<Response> {
    const ctl = new AbortController();
    if (signal) {
      if (signal.aborted) ctl.abort(signal.reason);
      else {
        const onAbort = (): void => ctl.abort(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        links.push(() => signal.removeEventListener("abort", onAbort));
      }
    }
    let stalled = false;
    const timer =
      hopStallMs > 0 && Number.isFinite(hopStallMs)
        ? setTimeout(() => {
            stalled = true;
            ctl.abort();
          }, hopStallMs)
        : undefined;
    try {
      return await base(url.href, { ...init, signal: ctl.signal });
    } catch (e) {
      if (stalled && !signal?.aborted) throw new StallError(`no response within ${formatSeconds(hopStallMs)} s (stalled connection)`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  const unlinkAll = (links: (() => void)[]): void => {
    for (const u of links.splice(0)) u();
  };

  async function followRedirects(
    start: URL,
    method: string,
    headers: Headers,
    signal: AbortSignal | null | undefined,
    links: (() => void)[],
    deadline: number,
  ): Promise<Response> {
    let current = start;
    const hops: RedirectHop[] = [];
    for (let n = 0; ; n++) {
      const h = new Headers(headers);
      if (token !== null && token !== "" && current.origin === endpointOrigin) h.set("authorization", `Bearer ${token}`);
      else h.delete("authorization");
      unlinkAll(links);
      // Each hop waits at most stallMs, and never past the request's deadline.
      const left = deadline - now();
      if (left <= 0) throw new StallError("the network timeout ran out before this hop");
      const res = await hop(current, { method, headers: h, redirect: "manual" }, signal, links, Math.min(stallMs, left));
      const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get("location") : null;
      if (location === null) {
        if (hops.length > 0) hopsOf.set(res, hops);
        return res;
      }
      hops.push({ url: current.href, status: res.status, headers: res.headers });
      await drain(res);
      if (n >= MAX_REDIRECTS) {
        throw new FetchError(`too many redirects (more than ${MAX_REDIRECTS}) fetching ${redactUrl(start)}`);
      }
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new FetchError(`${redactUrl(current)} redirected to an invalid URL`);
      }
      if (next.protocol !== "https:" && !(next.protocol === "http:" && isLoopbackHost(next.hostname))) {
        throw new FetchError(`${redactUrl(current)} redirected to ${redactUrl(next)}; refusing a non-https redirect`);
      }
      current = next;
    }
  }

  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      throw new FetchError(`internal: the Hub client only sends GET and HEAD, not ${method}`);
    }
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);

    const started = now();
    // The budget of this request: maxRetryMs from now, or the caller's earlier deadline (a body resumed under one budget).
    const callerDeadline = (init as HubRequestInit | undefined)?.deadline;
    const deadline = Math.min(started + maxRetryMs, callerDeadline !== undefined && Number.isFinite(callerDeadline) ? callerDeadline : Infinity);
    const plural = (n: number): string => `${n} attempt${n === 1 ? "" : "s"}`;
    const noResponse = (attempts: number): FetchError => {
      // Always the budget (what the user can raise); how the attempts went when they ran out before it.
      const spent = deadline - now() <= Math.max(50, 0.05 * maxRetryMs);
      const how = spent ? "" : `, each dropped after ${formatSeconds(stallMs)} s of silence, ${formatSeconds(Math.round((now() - started) / 100) * 100)} s in all`;
      return new FetchError(`no response from ${redactUrl(url)} within ${formatSeconds(maxRetryMs)} s (${plural(attempts)}${how}; stalled connection); ${RAISE_TIMEOUT_HINT}`);
    };
    /** Undoes the link between the caller's signal and the current hop; kept only for the response returned. */
    const links: (() => void)[] = [];
    for (let attempt = 1; ; attempt++) {
      unlinkAll(links);
      let res: Response;
      try {
        res = await followRedirects(url, method, headers, signal, links, deadline);
      } catch (e) {
        unlinkAll(links);
        if (e instanceof FromScratchError) throw e;
        if (signal?.aborted) throw e;
        const stalled = e instanceof StallError;
        const cause = describeCause(e);
        if (attempt >= maxAttempts) {
          if (stalled) throw noResponse(attempt);
          throw new FetchError(`network error fetching ${redactUrl(url)}: ${cause} (gave up after ${plural(maxAttempts)})`);
        }
        const wait = backoff(attempt);
        const elapsed = now() - started;
        if (now() + wait > deadline) {
          if (stalled) throw noResponse(attempt);
          throw new FetchError(
            `network error fetching ${redactUrl(url)}: ${cause} (gave up after ${plural(attempt)} in ${formatSeconds(elapsed)} s: the ${formatSeconds(maxRetryMs)} s retry budget is spent); ${RAISE_TIMEOUT_HINT}`,
          );
        }
        opts.logger?.warn(`network error fetching ${redactUrl(url)}: ${cause}; retrying in ${formatSeconds(wait)} s (attempt ${attempt + 1}/${maxAttempts})`);
        await sleep(wait, signal ?? undefined);
        if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
        continue;
      }
      if (isRetryableStatus(res.status) && attempt < maxAttempts) {
        const ra = parseRetryAfter(res.headers.get("retry-after"));
        const elapsed = now() - started;
        const left = Math.max(0, deadline - now());
        if (ra !== null && ra > left) {
          const reason = await errorReason(res);
          throw new FetchError(
            `HTTP ${res.status} from ${redactUrl(url)} (${reason}): the Hub asked to wait ${formatSeconds(Math.ceil(ra / 1000) * 1000)} s (Retry-After) before retrying, more than the ${formatSeconds(Math.round(left / 1000) * 1000)} s left of the ${formatSeconds(maxRetryMs)} s retry budget; gave up after ${plural(attempt)}, try again later or ${RAISE_TIMEOUT_HINT}`,
            res.status,
          );
        }
        const wait = Math.min(maxDelayMs, ra ?? backoff(attempt));
        if (wait > left) {
          const reason = await errorReason(res);
          throw new FetchError(
            `HTTP ${res.status} from ${redactUrl(url)} (${reason}): gave up after ${plural(attempt)} in ${formatSeconds(elapsed)} s (the ${formatSeconds(maxRetryMs)} s retry budget is spent); try again later`,
            res.status,
          );
        }
        await drain(res);
        opts.logger?.warn(`HTTP ${res.status} from ${redactUrl(url)}; retrying in ${formatSeconds(wait)} s (attempt ${attempt + 1}/${maxAttempts})`);
        await sleep(wait, signal ?? undefined);
        if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
        continue;
      }
      return res;
    }
  };
  return wrapped as FetchFn;
}

// ---------------------------------------------------------------------------
// Error mapping

export interface HubErrorContext {
  /** Endpoint without trailing slash. */
  endpoint: string;
  repo: string;
  /** Revision as requested or pinned, or null for the default branch. */
  revision: string | null;
  /** File inside the repo, when the request was for one. */
  file?: string;
  /** Whether a token was configured (changes the advice, never printed). */
  tokenSent: boolean;
  /** How many attempts were made before giving up on 429/5xx. */
  attempts: number;
}

const MAX_REASON_BYTES = 64 * 1024;

/** The Hub's reason for an error: X-Error-Message, else JSON `error`/`message`, else a short text body. */
export async function errorReason(res: Response): Promise<string> {
  const header = res.headers.get("x-error-message");
  if (header) return header;
  let text = "";
  try {
    const buf = await res.arrayBuffer();
    text = new TextDecoder().decode(new Uint8Array(buf, 0, Math.min(buf.byteLength, MAX_REASON_BYTES)));
  } catch {
    // body unreadable
  }
  const fromText = reasonFromBody(text);
  return fromText ?? (res.statusText || "no reason given");
}

function reasonFromBody(text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  if (t.startsWith("{")) {
    try {
      const j: unknown = JSON.parse(t);
      if (typeof j === "object" && j !== null) {
        const { error, message } = j as Record<string, unknown>;
        if (typeof error === "string" && error) return error;
        if (typeof message === "string" && message) return message;
      }
    } catch {
      // not JSON after all
    }
  }
  if (t.startsWith("<")) return null; // an HTML error page says nothing useful
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** Map an HTTP failure to a typed error carrying the Hub's reason. */
export function hubHttpError(status: number, reason: string, errorCode: string | null, ctx: HubErrorContext): FromScratchError {
  const repo = ctx.repo;
  const code = errorCode ? ` ${errorCode}` : "";
  const tokenAdvice = `accept its licence on ${ctx.endpoint}/${repo} and pass a token (--token or HF_TOKEN).`;
  if (status === 401 && errorCode === "RepoNotFound" && !ctx.tokenSent) {
    // The Hub answers this both for missing repos and for private ones asked anonymously:
    // most often a typo, so report "not found" (still exit code 3) with the token advice.
    return new FetchError(
      `${repo}: repository not found on ${ctx.endpoint} (HTTP 401${code}: ${reason}). Check the name (org/name). If the repo is private or gated, ${tokenAdvice}`,
      status,
    );
  }
  if (status === 401 || status === 403) {
    const tokenNote = ctx.tokenSent
      ? " A token was sent but refused: check that it is valid and that its account has access (for gated repos, accept the licence with that same account)."
      : "";
    return new AuthError(
      `${repo}: access denied (HTTP ${status}${code}: ${reason}). The repo may be gated or private: ${tokenAdvice}${tokenNote}`,
      status,
    );
  }
  if (status === 404) {
    const rev = ctx.revision ?? "main";
    if (errorCode === "RevisionNotFound") {
      return new FetchError(`${repo}: revision ${JSON.stringify(rev)} not found (HTTP 404${code}: ${reason}). Check the branch, tag or commit after '@'.`, status);
    }
    if (errorCode === "EntryNotFound" && ctx.file !== undefined) {
      return new FetchError(`${repo}@${rev}: file ${JSON.stringify(ctx.file)} not found (HTTP 404${code}: ${reason})`, status);
    }
    if (errorCode === "RepoNotFound" || ctx.file === undefined) {
      return new FetchError(
        `${repo}: repository not found on ${ctx.endpoint} (HTTP 404${code}: ${reason}). Check the name (org/name); a private repo also needs a token.`,
        status,
      );
    }
    return new FetchError(`${repo}@${rev}: ${ctx.file} not found (HTTP 404${code}: ${reason})`, status);
  }
  const where = ctx.file !== undefined ? `${repo}@${ctx.revision ?? "main"}:${ctx.file}` : repo;
  if (isRetryableStatus(status)) {
    return new FetchError(
      `${where}: the Hub answered HTTP ${status}${code} (${reason}) after ${ctx.attempts} attempt${ctx.attempts === 1 ? "" : "s"}; try again later`,
      status,
    );
  }
  return new FetchError(`${where}: HTTP ${status}${code} (${reason})`, status);
}

/** Read a failed response's reason and map it (see hubHttpError). */
export async function hubResponseError(res: Response, ctx: HubErrorContext): Promise<FromScratchError> {
  const code = res.headers.get("x-error-code");
  const reason = await errorReason(res);
  return hubHttpError(res.status, reason, code, ctx);
}

/**
 * Map anything thrown while talking to the Hub (including @huggingface/hub's
 * HubApiError and its format errors) to a typed error. Typed errors pass through.
 */
export function mapHubThrown(e: unknown, ctx: HubErrorContext): FromScratchError {
  if (e instanceof FromScratchError) return e;
  if (e instanceof HubApiError) {
    const data = e.data as Record<string, unknown> | undefined;
    const fromData = data && typeof data.error === "string" ? data.error : data && typeof data.message === "string" ? data.message : null;
    // The library appends ". URL: …" to its messages; keep the reason only.
    const reason = fromData || e.message.replace(/\.\s*URL: .*$/s, "") || "no reason given";
    return hubHttpError(e.statusCode, reason, null, ctx);
  }
  const msg = e instanceof Error ? describeCause(e) : String(e);
  return new FetchError(`${ctx.repo}: unexpected response from the Hub at ${ctx.endpoint} (${msg})`);
}
