/**
 * Typed errors. Every failure a user can cause or meet is one of these, and
 * `exitCodeFor` maps them to the CLI's exit codes in one place.
 */
export type ErrorKind = "usage" | "format" | "fetch" | "auth" | "internal";

export class FromScratchError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.kind = kind;
    this.name = "FromScratchError";
  }
}

/** Bad command line or Action input. Exit code 2. */
export class UsageError extends FromScratchError {
  constructor(message: string) {
    super("usage", message);
    this.name = "UsageError";
  }
}

/** A model file is malformed or unsupported. Names the file and, when known, the tensor. Exit code 2. */
export class FormatError extends FromScratchError {
  readonly file: string;
  readonly tensor: string | undefined;
  constructor(file: string, problem: string, tensor?: string) {
    super("format", `${file}${tensor ? ` (tensor ${JSON.stringify(tensor)})` : ""}: ${problem}`);
    this.file = file;
    this.tensor = tensor;
    this.name = "FormatError";
  }
}

/** Could not fetch: not found, network, server error. Carries the Hub's reason. Exit code 3. */
export class FetchError extends FromScratchError {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super("fetch", message);
    this.status = status;
    this.name = "FetchError";
  }
}

/** Gated or private repo, bad token. Exit code 3. */
export class AuthError extends FromScratchError {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super("auth", message);
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
