/**
 * Small HTTP helpers shared by the Hub fetch wrapper, the API adapter and the
 * ranged GET: reading a body chunk under a stall limit, the errors that say a
 * transfer is worth another attempt, and what may be printed of a URL.
 */
import { formatSeconds } from "./hub-timings.js";

export type FetchFn = typeof fetch;

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

/** origin + path, no query (signed CDN URLs carry signatures we do not print). */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return "<invalid URL>";
  }
}

/** The origin of `url`, or null when it is not a URL. */
export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
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

/** Wait `ms`, or less when `signal` aborts (the timer is cleared: nothing keeps the process alive). */
export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
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

/** Abort `ctl` when `signal` aborts; returns the undo (call it once the request is over). */
export function linkAbort(signal: AbortSignal | null | undefined, ctl: AbortController): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    ctl.abort(signal.reason);
    return () => undefined;
  }
  const onAbort = (): void => ctl.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
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

/** Discard a body we will not read, so the connection can be reused. */
export async function drain(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // ignore: the connection is dropped instead
  }
}

/** An error's message and, when it adds something, its cause's. */
export function describeCause(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    const inner = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "";
    return inner && inner !== e.message ? `${e.message}: ${inner}` : e.message;
  }
  return String(e);
}
