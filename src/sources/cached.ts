/**
 * A reference cache across runs, keyed by repo and commit sha: the listing
 * (headers, licence, file sizes) and the byte ranges read in sampled mode. A
 * second sampled run against the same references fetches no weights from
 * them: one API call resolves the revision, the rest comes from disk.
 * Nothing secret is stored (no token, no signed URL).
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger, ModelListing, WeightSource } from "./types.js";

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
  ) {
    this.source = inner.source;
  }

  get bytesRead(): number {
    return this.inner.bytesRead;
  }

  async list(): Promise<ModelListing> {
    const { sha } = await this.inner.resolve();
    const repoKey = this.source.replace(/^hf:\/\//, "").replace(/@.*$/, "").replace(/[^A-Za-z0-9._-]/g, "_");
    this.dir = path.join(this.cacheRoot, `${repoKey}@${sha}`);
    const file = path.join(this.dir, "listing.json");
    try {
      const cached = JSON.parse(await readFile(file, "utf8")) as { format: number; listing: ModelListing; snapshot: { sha: string; files: Record<string, number> } };
      if (cached.format === CACHE_FORMAT && cached.snapshot.sha === sha) {
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
    if (snapshot) await atomicWrite(file, JSON.stringify({ format: CACHE_FORMAT, listing: { ...listing, annotationFile: null }, snapshot }));
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
