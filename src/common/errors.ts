/**
 * Typed errors. Every failure a user can cause or meet is one of these, and
 * `exitCodeFor` maps them to the CLI's exit codes in one place.
 */
export type ErrorKind = "usage" | "format" | "fetch" | "auth" | "internal";

/**
 * Stable error codes, `kind` or `kind.detail`: tests, scripts and the JSON
 * report (`error.code`) rely on these, never on the prose. A bare kind
 * ("format", "fetch", ...) is the generic code of a throw site not yet given
 * a specific one. New codes may be added; existing ones keep their meaning.
 */
export type UsageCode =
  | "usage"
  /** A flag or input has a value it cannot take. */
  | "usage.bad-value"
  /** A required flag or input is missing, or one of a set that goes together. */
  | "usage.missing"
  /** An output path (--report, --html, --summary) can never be written. */
  | "usage.unwritable-output";
export type FormatCode =
  | "format"
  /** The file is too short for the 8-byte header length, or the length too small for a JSON object. */
  | "format.header-too-small"
  /** The header length exceeds the 100,000,000-byte limit. */
  | "format.header-too-large"
  /** The header is not UTF-8 JSON of the safetensors shape (object, entries, __metadata__, no duplicate keys). */
  | "format.invalid-header"
  /** A tensor's dtype is not a safetensors dtype, or one that cannot be compared. */
  | "format.unknown-dtype"
  /** A shape whose element or byte count overflows. */
  | "format.overflow"
  /** data_offsets malformed, reversed, overlapping, leaving gaps or trailing bytes, or not matching shape x dtype. */
  | "format.invalid-offsets"
  /** A tensor that is not a whole number of bytes (sub-byte dtypes). */
  | "format.misaligned"
  /** The file is shorter than its header says: truncated or incomplete download. */
  | "format.truncated"
  /** model.safetensors.index.json is malformed (JSON, weight_map, shard names). */
  | "format.invalid-index"
  /** The index and its shards disagree about which tensor is where. */
  | "format.index-mismatch"
  /** No safetensors weights where a model was expected. */
  | "format.no-weights";
export type FetchCode =
  | "fetch"
  /** Repo, revision or file not found (HTTP 404). */
  | "fetch.not-found"
  /** Network failure after the retries. */
  | "fetch.network"
  /** No answer within --network-timeout. */
  | "fetch.timeout";
export type AuthCode =
  | "auth"
  /** Gated or private repo, or a token the Hub refuses (HTTP 401/403). */
  | "auth.denied";
export type ErrorCode = UsageCode | FormatCode | FetchCode | AuthCode | "internal";

/** Every code, for documentation and tests. */
export const ERROR_CODES: readonly ErrorCode[] = [
  "usage",
  "usage.bad-value",
  "usage.missing",
  "usage.unwritable-output",
  "format",
  "format.header-too-small",
  "format.header-too-large",
  "format.invalid-header",
  "format.unknown-dtype",
  "format.overflow",
  "format.invalid-offsets",
  "format.misaligned",
  "format.truncated",
  "format.invalid-index",
  "format.index-mismatch",
  "format.no-weights",
  "fetch",
  "fetch.not-found",
  "fetch.network",
  "fetch.timeout",
  "auth",
  "auth.denied",
  "internal",
];

export class FromScratchError extends Error {
  readonly kind: ErrorKind;
  /** Stable code (`kind` or `kind.detail`); see ErrorCode. */
  readonly code: ErrorCode;
  constructor(kind: ErrorKind, message: string, code: ErrorCode = kind) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.name = "FromScratchError";
  }
}

/** Bad command line or Action input. Exit code 2. */
export class UsageError extends FromScratchError {
  declare readonly code: UsageCode;
  constructor(message: string, code: UsageCode = "usage") {
    super("usage", message, code);
    this.name = "UsageError";
  }
}

/** A model file is malformed or unsupported. Names the file and, when known, the tensor. Exit code 2. */
export class FormatError extends FromScratchError {
  readonly file: string;
  readonly tensor: string | undefined;
  declare readonly code: FormatCode;
  constructor(file: string, problem: string, tensor?: string, code: FormatCode = "format") {
    super("format", `${file}${tensor ? ` (tensor ${JSON.stringify(tensor)})` : ""}: ${problem}`, code);
    this.file = file;
    this.tensor = tensor;
    this.name = "FormatError";
  }
}

/**
 * Could not fetch: not found, network, server error. Carries the Hub's reason. Exit code 3.
 * The code defaults to fetch.not-found for HTTP 404, else the generic fetch.
 */
export class FetchError extends FromScratchError {
  readonly status: number | undefined;
  declare readonly code: FetchCode;
  constructor(message: string, status?: number, code: FetchCode = status === 404 ? "fetch.not-found" : "fetch") {
    super("fetch", message, code);
    this.status = status;
    this.name = "FetchError";
  }
}

/** Gated or private repo, bad token. Exit code 3. */
export class AuthError extends FromScratchError {
  readonly status: number | undefined;
  declare readonly code: AuthCode;
  constructor(message: string, status?: number, code: AuthCode = "auth.denied") {
    super("auth", message, code);
    this.status = status;
    this.name = "AuthError";
  }
}

/**
 * A bug met mid-run (anything that is not one of the errors above). The run stops
 * like on any error, but the verdict reached so far is still reported. Exit code 4.
 */
export class InternalError extends FromScratchError {
  /** The original stack, printed after the verdict. */
  readonly detail: string;
  constructor(cause: unknown) {
    super("internal", `internal error: ${(cause as Error)?.message ?? String(cause)} (a bug: please report it)`);
    this.detail = (cause as Error)?.stack ?? String(cause);
    this.name = "InternalError";
  }
}

export const EXIT = {
  pass: 0,
  gateFailed: 1,
  badInput: 2,
  fetchFailed: 3,
  internal: 4,
} as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof FromScratchError) {
    if (err.kind === "internal") return EXIT.internal;
    return err.kind === "usage" || err.kind === "format" ? EXIT.badInput : EXIT.fetchFailed;
  }
  return EXIT.internal;
}
