/**
 * Where weights come from. A source lists tensors (from headers only) and reads
 * exact byte ranges; it knows nothing of statistics.
 */

import type { TensorEntry } from "../safetensors/entry.js";

export type { TensorEntry };

/**
 * One file a check compared, identified for a third party: its path in the model (folder or repo),
 * its size and its sha256 (lowercase hex). `sha256From`: "hub", the sha256 the Hub's tree listing
 * gives an LFS (or Xet) file (`lfs.oid`, no download); "computed", hashed by fromscratch over the
 * file's bytes; null when neither was possible (a Hub file kept in plain git, of which only ranges
 * were read: `gitOid` then names it).
 */
export interface FileIdentity {
  path: string;
  size: number;
  sha256: string | null;
  sha256From: "hub" | "computed" | null;
  /** The Hub's git blob id of the file (the tree listing's `oid`), Hub files only. */
  gitOid?: string;
}

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
  /**
   * Every file the listing read (the index, then the weight files), with size and sha256 where the
   * listing knows it (the Hub's, or computed over a file read whole); a local weight file's sha256
   * comes later, from `hashFile`. Absent in listings cached by earlier versions.
   */
  fileIds?: FileIdentity[];
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
  /**
   * Read bytes [begin, end) of `file` into `into` (exactly end - begin bytes long), optional: a source
   * that can fill caller memory directly (a local file) saves the allocation and the copy. Callers
   * use `readInto` (below), which falls back to `read` and a copy.
   */
  readInto?(file: string, begin: number, end: number, into: Uint8Array): Promise<void>;
  /** Total bytes received so far (headers + tensor data). */
  readonly bytesRead: number;
  /**
   * The sha256 of a whole file of the model (lowercase hex), by a streamed read of bounded memory:
   * local sources only (a Hub file's digest comes from the Hub's listing, without a download).
   */
  hashFile?(file: string, onProgress?: (bytes: number) => void): Promise<{ sha256: string; size: number }>;
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

/** Bytes [begin, end) of `file` into `into`: directly where the source can, else read then copied. */
export async function readInto(source: WeightSource, { file, begin, end }: ByteRange, into: Uint8Array): Promise<void> {
  if (into.length !== end - begin) throw new Error(`internal: readInto given ${into.length} bytes for a range of ${end - begin}`);
  if (source.readInto) return source.readInto(file, begin, end, into);
  into.set(await source.read(file, begin, end));
}
