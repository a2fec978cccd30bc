/**
 * Where weights come from. A source lists tensors (from headers only) and reads
 * exact byte ranges; it knows nothing of statistics.
 */

import type { TensorEntry } from "../safetensors/entry.js";

export type { TensorEntry };

export interface ModelListing {
  /** The source string as the user gave it. */
  source: string;
  /** Commit sha the Hub resolved, or null for local files. */
  revision: string | null;
  /** Licence from the model card, or null. */
  license: string | null;
  tensors: TensorEntry[];
  /** Weight files read (safetensors shards), relative names. */
  files: string[];
  /** Bytes of headers and metadata read while listing. */
  headerBytes: number;
}

export interface WeightSource {
  /** The source string as the user gave it. */
  readonly source: string;
  /** Read headers (and model info) and list every tensor. Validates strictly. */
  list(): Promise<ModelListing>;
  /**
   * Read bytes [begin, end) of `file`. Resolves to exactly end - begin bytes or
   * rejects (a short or over-long response is an error, never silently accepted).
   */
  read(file: string, begin: number, end: number): Promise<Uint8Array>;
  /** Total bytes received so far (headers + tensor data). */
  readonly bytesRead: number;
  /** Release open files or connections (optional). */
  close?(): Promise<void>;
  /**
   * The ranges about to be read, in reading order (optional): a remote source
   * coalesces adjacent ones into single requests and fetches ahead, holding
   * at most `concurrency` spans. Replaces any earlier plan.
   */
  expect?(ranges: readonly ByteRange[], concurrency: number): void;
}

export interface ByteRange {
  file: string;
  begin: number;
  end: number;
}

/** Progress and log sink, injected so the engine never touches the console directly. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Progress of a long transfer/computation; may be rate-limited by the sink. */
  progress?(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {} };
