/**
 * The Hub's failures as typed errors: the Hub's own reason (X-Error-Message,
 * a JSON `error`, a short text body), the advice that fits (a token, the
 * licence, the revision), and the exit code that follows from the class.
 * The token never appears in a message.
 */
import { HubApiError } from "@huggingface/hub";
import { AuthError, FetchError, FromScratchError } from "../common/errors.js";
import { describeCause, isRetryableStatus } from "./http-body.js";

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
