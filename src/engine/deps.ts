/**
 * What the engine is given: every side effect (sources, the reference cache,
 * logging, the clock) comes in here, built by the entry points.
 */
import type { ReferenceResult } from "../report/schema.js";
import type { Logger, WeightSource } from "../sources/types.js";

/** What the engine needs from a reference's cache, when the reference goes through one. */
export interface ReferenceCache {
  /** Store the ranges read from the network (set in sampled mode; exact mode would copy whole models). */
  storeRanges: boolean;
  /** Save what this run added to the cache (and to a remote store, when there is one). */
  persist(): Promise<void>;
  /** Hits, misses and stores so far (reported per reference). */
  readonly stats: NonNullable<ReferenceResult["cache"]>;
}

/** A reference opened for a check: its source, and the cache it reads through (or null). */
export interface OpenedReference {
  source: WeightSource;
  cache: ReferenceCache | null;
}

export interface EngineDeps {
  /** Opens the candidate, and the references when `openReference` is not given. */
  openSource(source: string): WeightSource;
  /** Opens a reference, through a cache when the entry point configured one (see `referenceOpener`). */
  openReference?(source: string): OpenedReference;
  logger: Logger;
  /** Milliseconds, for timing (injected so tests can pin it). */
  now(): number;
  /**
   * Where the candidate's span cache may spill (the OS temp dir, given by the
   * entry point); null or absent keeps it in memory only. Its scratch file is
   * removed at the end of the run.
   */
  scratchDir?: string | null;
  /** The span cache's budgets (tests make them small); defaults in sources/span-cache.ts. */
  spanCache?: { memoryBytes?: number; diskBytes?: number };
}
