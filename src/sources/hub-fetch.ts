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
import { count } from "../common/words.js";
import { FetchError, FromScratchError } from "../common/errors.js";
import { checkEndpoint, isAllowedProtocol } from "./endpoint.js";
import { errorReason } from "./hub-errors.js";
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_MS, DEFAULT_RETRY_BASE_MS, DEFAULT_STALL_MS, formatSeconds, RAISE_TIMEOUT_HINT } from "./hub-timings.js";
import { defaultSleep, describeCause, drain, type FetchFn, isRetryableStatus, linkAbort, parseRetryAfter, redactUrl, StallError } from "./http-body.js";
import type { Logger } from "./types.js";

// Kept here for the modules that import them from this file (settings).
export { DEFAULT_NETWORK_TIMEOUT_MS, MAX_NETWORK_TIMEOUT_MS } from "./hub-timings.js";

export const MAX_REDIRECTS = 5;

/** Init accepted by the Hub fetch wrapper: a RequestInit and, optionally, the time (ms since the epoch) by which to give up. */
export type HubRequestInit = RequestInit & { deadline?: number };

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

/** The wrapper's settings, defaults applied. */
interface Wrapper {
  endpointOrigin: string;
  base: FetchFn;
  token: string | null;
  maxAttempts: number;
  retryBaseMs: number;
  maxDelayMs: number;
  maxRetryMs: number;
  stallMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  logger: Logger | undefined;
}

/** One call of the wrapper: what is asked, its budget, and the link to the caller's signal kept for the live response. */
interface Call {
  url: URL;
  method: string;
  headers: Headers;
  signal: AbortSignal | null | undefined;
  started: number;
  deadline: number;
  /** Undoes the link between the caller's signal and the current hop; kept only for the response returned. */
  links: (() => void)[];
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

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const plural = (n: number): string => count(n, "attempt");

function unlinkAll(links: (() => void)[]): void {
  for (const u of links.splice(0)) u();
}

/**
 * One request, aborted if no response headers arrive within hopStallMs. The
 * caller's signal still aborts it (and its body) later; the link to that
 * signal is pushed on `links` so it can be undone once the response is
 * dropped (keeping one listener per live response, not one per hop).
 */
async function hop(w: Wrapper, { signal, links }: Pick<Call, "signal" | "links">, { url, init, hopStallMs }: { url: URL; init: RequestInit; hopStallMs: number }): Promise<Response> {
  const ctl = new AbortController();
  links.push(linkAbort(signal, ctl));
  let stalled = false;
  const timer =
    hopStallMs > 0 && Number.isFinite(hopStallMs)
      ? setTimeout(() => {
          stalled = true;
          ctl.abort();
        }, hopStallMs)
      : undefined;
  try {
    return await w.base(url.href, { ...init, signal: ctl.signal });
  } catch (e) {
    if (stalled && !signal?.aborted) throw new StallError(`no response within ${formatSeconds(hopStallMs)} s (stalled connection)`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Follow redirects by hand: the token only on the endpoint's origin, at most MAX_REDIRECTS hops, never to plain http off loopback. */
async function followRedirects(w: Wrapper, call: Call): Promise<Response> {
  let current = call.url;
  const hops: RedirectHop[] = [];
  for (let n = 0; ; n++) {
    const h = new Headers(call.headers);
    if (w.token !== null && w.token !== "" && current.origin === w.endpointOrigin) h.set("authorization", `Bearer ${w.token}`);
    else h.delete("authorization");
    unlinkAll(call.links);
    // Each hop waits at most stallMs, and never past the request's deadline.
    const left = call.deadline - w.now();
    if (left <= 0) throw new StallError("the network timeout ran out before this hop");
    const res = await hop(w, call, { url: current, init: { method: call.method, headers: h, redirect: "manual" }, hopStallMs: Math.min(w.stallMs, left) });
    const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get("location") : null;
    if (location === null) {
      if (hops.length > 0) hopsOf.set(res, hops);
      return res;
    }
    hops.push({ url: current.href, status: res.status, headers: res.headers });
    await drain(res);
    if (n >= MAX_REDIRECTS) {
      throw new FetchError(`too many redirects (more than ${MAX_REDIRECTS}) fetching ${redactUrl(call.url)}`);
    }
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new FetchError(`${redactUrl(current)} redirected to an invalid URL`);
    }
    if (!isAllowedProtocol(next)) {
      throw new FetchError(`${redactUrl(current)} redirected to ${redactUrl(next)}; refusing a non-https redirect`);
    }
    current = next;
  }
}

/** The call's URL, method, headers and signal, and its budget: maxRetryMs from now, or the caller's earlier deadline (a body resumed under one budget). */
function startCall(w: Wrapper, input: string | URL | Request, init: HubRequestInit | undefined): Call {
  const url = new URL(input instanceof Request ? input.url : input);
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  if (method !== "GET" && method !== "HEAD") {
    throw new FetchError(`internal: the Hub client only sends GET and HEAD, not ${method}`);
  }
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
  const started = w.now();
  const callerDeadline = init?.deadline;
  const deadline = Math.min(started + w.maxRetryMs, callerDeadline !== undefined && Number.isFinite(callerDeadline) ? callerDeadline : Infinity);
  return { url, method, headers, signal, started, deadline, links: [] };
}

/** No answer within the budget: always the budget (what the user can raise); how the attempts went when they ran out before it. */
function noResponse(w: Wrapper, call: Call, attempts: number): FetchError {
  const spent = call.deadline - w.now() <= Math.max(50, 0.05 * w.maxRetryMs);
  const how = spent ? "" : `, each dropped after ${formatSeconds(w.stallMs)} s of silence, ${formatSeconds(Math.round((w.now() - call.started) / 100) * 100)} s in all`;
  return new FetchError(`no response from ${redactUrl(call.url)} within ${formatSeconds(w.maxRetryMs)} s (${plural(attempts)}${how}; stalled connection); ${RAISE_TIMEOUT_HINT}`, undefined, "fetch.timeout");
}

/** Wait before the next attempt; a caller's abort during the wait ends the call. */
async function pause(w: Wrapper, call: Call, ms: number): Promise<void> {
  await w.sleep(ms, call.signal ?? undefined);
  if (call.signal?.aborted) throw call.signal.reason instanceof Error ? call.signal.reason : new Error("aborted");
}

/** After a network error or a stall: throw when no attempt or budget is left, else warn and wait for the next attempt. */
async function retryAfterError(w: Wrapper, call: Call, e: unknown, attempt: number): Promise<void> {
  if (e instanceof FromScratchError) throw e;
  if (call.signal?.aborted) throw e;
  const stalled = e instanceof StallError;
  const cause = describeCause(e);
  if (attempt >= w.maxAttempts) {
    if (stalled) throw noResponse(w, call, attempt);
    throw new FetchError(`network error fetching ${redactUrl(call.url)}: ${cause} (gave up after ${plural(w.maxAttempts)})`, undefined, "fetch.network");
  }
  const wait = backoff(w, attempt);
  const elapsed = w.now() - call.started;
  if (w.now() + wait > call.deadline) {
    if (stalled) throw noResponse(w, call, attempt);
    throw new FetchError(
      `network error fetching ${redactUrl(call.url)}: ${cause} (gave up after ${plural(attempt)} in ${formatSeconds(elapsed)} s: the ${formatSeconds(w.maxRetryMs)} s retry budget is spent); ${RAISE_TIMEOUT_HINT}`,
      undefined,
      "fetch.network",
    );
  }
  w.logger?.warn(`network error fetching ${redactUrl(call.url)}: ${cause}; retrying in ${formatSeconds(wait)} s (attempt ${attempt + 1}/${w.maxAttempts})`);
  await pause(w, call, wait);
}

/** After a 429 or 5xx (attempts left): throw when the wait (Retry-After or backoff) would pass the budget, else drain, warn and wait. */
async function retryAfterStatus(w: Wrapper, call: Call, res: Response, attempt: number): Promise<void> {
  const url = redactUrl(call.url);
  const ra = parseRetryAfter(res.headers.get("retry-after"));
  const elapsed = w.now() - call.started;
  const left = Math.max(0, call.deadline - w.now());
  if (ra !== null && ra > left) {
    const reason = await errorReason(res);
    throw new FetchError(
      `HTTP ${res.status} from ${url} (${reason}): the Hub asked to wait ${formatSeconds(Math.ceil(ra / 1000) * 1000)} s (Retry-After) before retrying, more than the ${formatSeconds(Math.round(left / 1000) * 1000)} s left of the ${formatSeconds(w.maxRetryMs)} s retry budget; gave up after ${plural(attempt)}, try again later or ${RAISE_TIMEOUT_HINT}`,
      res.status,
    );
  }
  const wait = Math.min(w.maxDelayMs, ra ?? backoff(w, attempt));
  if (wait > left) {
    const reason = await errorReason(res);
    throw new FetchError(
      `HTTP ${res.status} from ${url} (${reason}): gave up after ${plural(attempt)} in ${formatSeconds(elapsed)} s (the ${formatSeconds(w.maxRetryMs)} s retry budget is spent); try again later`,
      res.status,
    );
  }
  await drain(res);
  w.logger?.warn(`HTTP ${res.status} from ${url}; retrying in ${formatSeconds(wait)} s (attempt ${attempt + 1}/${w.maxAttempts})`);
  await pause(w, call, wait);
}

function backoff(w: Wrapper, attempt: number): number {
  return Math.min(w.maxDelayMs, w.retryBaseMs * 2 ** (attempt - 1));
}

/** Build the fetch wrapper described at the top of this file. */
export function makeHubFetch(opts: HubFetchOptions): FetchFn {
  const w: Wrapper = {
    endpointOrigin: new URL(checkEndpoint(opts.endpoint)).origin,
    base: opts.fetch ?? fetch,
    token: opts.token,
    maxAttempts: Math.max(1, Math.floor(opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)),
    retryBaseMs: Math.max(0, opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS),
    maxDelayMs: Math.max(0, opts.maxDelayMs ?? 60_000),
    maxRetryMs: Math.max(0, opts.maxRetryMs ?? DEFAULT_MAX_RETRY_MS),
    stallMs: opts.stallMs ?? DEFAULT_STALL_MS,
    sleep: opts.sleep ?? defaultSleep,
    now: opts.now ?? Date.now,
    logger: opts.logger,
  };
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const call = startCall(w, input, init);
    for (let attempt = 1; ; attempt++) {
      unlinkAll(call.links);
      let res: Response;
      try {
        res = await followRedirects(w, call);
      } catch (e) {
        unlinkAll(call.links);
        await retryAfterError(w, call, e, attempt);
        continue;
      }
      if (isRetryableStatus(res.status) && attempt < w.maxAttempts) {
        await retryAfterStatus(w, call, res, attempt);
        continue;
      }
      return res;
    }
  };
  return wrapped as FetchFn;
}
