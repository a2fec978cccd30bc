/**
 * Retry and timeout settings of Hub requests. Every source gets its own
 * (HubSourceOptions / CreateSourceOptions.hubTimings); nothing here is mutable.
 */

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
/** What a message about a spent budget tells the user to change. */
export const RAISE_TIMEOUT_HINT = "raise --network-timeout";

/**
 * Timings of one Hub source, each optional (the defaults above, derived from
 * the network timeout). The CLI and the Action set none of them (only the
 * network timeout); tests and embedders shorten them per source.
 */
export interface HubTimings {
  /**
   * Total attempts per request on 429/5xx/network errors (default 4); also the
   * bound on attempts (first included) to get one byte range when bodies
   * break, stall or end short.
   */
  maxAttempts?: number;
  /** Backoff base in ms (default 500). */
  retryBaseMs?: number;
  /** Time one request may take on 429/5xx/network errors, attempts and waits included (default: the network timeout); a longer Retry-After fails at once. */
  maxRetryMs?: number;
  /** A connection silent this long (no headers, or no body byte) is dropped and the request retried or resumed (default min(30 s, network timeout / maxAttempts)). */
  stallMs?: number;
}

/**
 * The stall limit of one attempt under a network timeout: the budget shared by
 * the attempts, at most `capMs` (30 s), so every attempt gets its turn.
 */
export function stallForBudget(budgetMs: number, attempts: number, capMs: number = DEFAULT_STALL_MS): number {
  return Math.max(1, Math.min(capMs, Math.floor(budgetMs / Math.max(1, attempts))));
}

/** Seconds for messages: "0.15", "2.5", "3", "120". */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (Number.isInteger(s)) return String(s);
  return s < 10 ? String(Number(s.toFixed(2))) : String(Math.round(s));
}
