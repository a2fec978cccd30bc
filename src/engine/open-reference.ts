/**
 * How the entry points open references: Hub references (revisioned) go
 * through the on-disk cache (keyed by repo@sha) when a cache directory is
 * configured, optionally carried between machines by a store (the Action's
 * @actions/cache). The engine itself never constructs a cache.
 */
import { CachedSource, type CacheStore, isRevisioned } from "../sources/cached.js";
import type { Logger, WeightSource } from "../sources/types.js";
import type { OpenedReference } from "./deps.js";

export function referenceOpener(
  openSource: (source: string) => WeightSource,
  options: { cacheDir: string | null | undefined; logger: Logger; cacheStore?: CacheStore | null },
): (source: string) => OpenedReference {
  return (source) => {
    const raw = openSource(source);
    if (!options.cacheDir || !isRevisioned(raw)) return { source: raw, cache: null };
    const cached = new CachedSource(raw, options.cacheDir, options.logger, options.cacheStore ?? null);
    return { source: cached, cache: cached };
  };
}
