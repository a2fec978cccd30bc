/**
 * The Hub endpoint: its default and the one rule every entry point and every
 * redirect follows (https, or plain http on a loopback host only).
 */
import { UsageError } from "../common/errors.js";

export const DEFAULT_ENDPOINT = "https://huggingface.co";

/** True for localhost, 127.0.0.0/8 and ::1 (URL.hostname spelling, brackets included or not). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === "localhost" || h === "[::1]" || h === "::1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((p) => Number(p) <= 255);
}

/** A URL a request may go to: https, or http on a loopback host (a local test server or proxy). */
export function isAllowedProtocol(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname));
}

/**
 * Validate a Hub endpoint (surrounding blanks ignored) and return it without a
 * trailing slash. https is required unless the host is loopback.
 */
export function checkEndpoint(endpoint: string): string {
  const given = endpoint.trim();
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(`Hub endpoint ${JSON.stringify(given)} is not a valid URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`Hub endpoint ${JSON.stringify(given)} must be an https:// URL`);
  }
  if (!isAllowedProtocol(url)) {
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
