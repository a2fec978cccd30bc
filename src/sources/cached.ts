/**
 * A reference cache across runs, keyed by repo and commit sha: the listing
 * (headers, licence, file sizes and digests) and the byte ranges read in sampled mode. A
 * second sampled run against the same references fetches no weights from
 * them: one API call resolves the revision, the rest comes from disk.
 * Nothing secret is stored (no token, no signed URL).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ByteRange, Logger, ModelListing, WeightSource } from "./types.js";

/** A source that can be resolved to a commit and read from a cached snapshot (HubSource). */
export interface Revisioned {
  resolve(): Promise<{ sha: string; license: string | null }>;
  snapshot(): { sha: string; files: Record<string, number> } | null;
  restore(snap: { sha: string; files: Record<string, number> }): void;
}

export function isRevisioned(s: WeightSource): s is WeightSource & Revisioned {
  const x = s as Partial<Revisioned>;
  return typeof x.resolve === "function" && typeof x.snapshot === "function" && typeof x.restore === "function";
}

export interface CacheStats {
  listing: "hit" | "miss" | "off";
  rangesHit: number;
  rangesStored: number;
  bytesFromCache: number;
  /** The cache entry came from a remote store (e.g. "actions/cache") before the run: hit, miss, or not asked. */
  store?: { name: string; key: string; restored: boolean; saved: boolean };
}

/**
 * A store that carries one reference's cache directory between machines
 * (the Action's @actions/cache on hosted runners). Keys name repo and commit.
 * Implementations never throw: a broken or unreachable store is a miss / no save, with a warning.
 */
export interface CacheStore {
  readonly name: string;
  /** Fill `dir` from the entry `key` if the store has it; true on a hit. */
  restore(key: string, dir: string): Promise<boolean>;
  /** Save `dir` as the entry `key`; true when saved. */
  save(key: string, dir: string): Promise<boolean>;
}

const CACHE_FORMAT = 1;

export class CachedSource implements WeightSource {
  readonly source: string;
  readonly stats: CacheStats = { listing: "off", rangesHit: 0, rangesStored: 0, bytesFromCache: 0 };
  /** Store ranges read from the network (set in sampled mode; exact mode would copy whole models). */
  storeRanges = false;
  private dir: string | null = null;

  constructor(
    private readonly inner: WeightSource & Revisioned,
    private readonly cacheRoot: string,
    private readonly logger: Logger,
    private readonly store: CacheStore | null = null,
  ) {
    this.source = inner.source;
  }

  /** The store key of this reference's entry: repo and commit (and the cache format). */
  private storeKey(repoKey: string, sha: string): string {
    return `fromscratch-ref-v${CACHE_FORMAT}-${repoKey}@${sha}`;
  }

  get bytesRead(): number {
    return this.inner.bytesRead;
  }

  async list(): Promise<ModelListing> {
    const { sha } = await this.inner.resolve();
    const repoKey = this.source.replace(/^hf:\/\//, "").replace(/@.*$/, "").replace(/[^A-Za-z0-9._-]/g, "_");
    this.dir = path.join(this.cacheRoot, `${repoKey}@${sha}`);
    const file = path.join(this.dir, "listing.json");
    if (this.store) {
      const key = this.storeKey(repoKey, sha);
      const onDisk = await readFile(file).then(() => true, () => false);
      // Already on disk (a persistent tool cache): no need to ask the store.
      const restored = onDisk ? false : await this.store.restore(key, this.dir);
      this.stats.store = { name: this.store.name, key, restored, saved: false };
      if (restored) this.logger.info(`cache restored: ${this.source} @ ${sha} from ${this.store.name} (key ${key})`);
    }
    try {
      const cached = JSON.parse(await readFile(file, "utf8")) as { format: number; listing: ModelListing; snapshot: { sha: string; files: Record<string, number> } };
      // A listing cached before files were identified (no fileIds) is listed again: the report names every file.
      if (cached.format === CACHE_FORMAT && cached.snapshot.sha === sha && Array.isArray(cached.listing.fileIds)) {
        this.inner.restore(cached.snapshot);
        this.stats.listing = "hit";
        this.logger.info(`cache hit: ${this.source} @ ${sha} (headers from ${this.dir})`);
        return { ...cached.listing, source: this.source, headerBytes: 0 };
      }
    } catch {
      // not cached yet (or unreadable): list from the Hub and store it
    }
    const listing = await this.inner.list();
    this.stats.listing = "miss";
    const snapshot = this.inner.snapshot();
    if (snapshot) await atomicWrite(file, JSON.stringify({ format: CACHE_FORMAT, listing, snapshot }));
    return listing;
  }

  private rangeFile(file: string, begin: number, end: number): string {
    const h = createHash("sha256").update(`${file}\0${begin}\0${end}`).digest("hex");
    return path.join(this.dir!, "ranges", h.slice(0, 2), `${h}.bin`);
  }

  async read(file: string, begin: number, end: number): Promise<Uint8Array> {
    if (this.dir === null) return this.inner.read(file, begin, end);
    const where = this.rangeFile(file, begin, end);
    try {
      const bytes = new Uint8Array(await readFile(where));
      if (bytes.length === end - begin) {
        this.stats.rangesHit++;
        this.stats.bytesFromCache += bytes.length;
        return bytes;
      }
    } catch {
      // miss
    }
    const bytes = await this.inner.read(file, begin, end);
    if (this.storeRanges) {
      await atomicWrite(where, bytes);
      this.stats.rangesStored++;
    }
    return bytes;
  }

  /**
   * Save this reference's directory to the store when this run added to it
   * (a fresh listing or new ranges). Entries are immutable per key, so an
   * entry restored from the store is not saved again.
   */
  async persist(): Promise<void> {
    const st = this.stats.store;
    if (!this.store || !st || this.dir === null || st.restored) return;
    if (this.stats.listing !== "miss" && this.stats.rangesStored === 0) return;
    st.saved = await this.store.save(st.key, this.dir);
    if (st.saved) this.logger.info(`cache saved: ${this.source} to ${this.store.name} (key ${st.key})`);
  }

  /** Forward the plan, less the ranges the cache already holds (they are read from disk). */
  expect(ranges: readonly ByteRange[], concurrency: number): void {
    if (!this.inner.expect) return;
    this.inner.expect(this.dir === null ? ranges : ranges.filter((r) => !existsSync(this.rangeFile(r.file, r.begin, r.end))), concurrency);
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

async function atomicWrite(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
