/**
 * The candidate's span cache: a remote candidate checked against N references
 * is fetched once, not N times. Every byte range read from the network is
 * kept (in memory up to a budget, then in one scratch file on disk up to a
 * second budget); a later read inside kept bytes is served from there, and
 * the ranges announced to the source's read-ahead (expect) leave out what is
 * kept or already announced, so nothing is fetched twice.
 *
 * The scratch file lives in the OS temp dir the entry point gives, is
 * unlinked as soon as it is opened where the OS allows (POSIX: the bytes go
 * away with the descriptor, even if the process is killed), and otherwise
 * removed by close(), which the engine calls at the end of every run, also
 * when the run stopped on an error.
 */
import { mkdtemp, open, rm, statfs, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { SpanSet } from "./span-set.js";
import type { ByteRange, ModelListing, WeightSource } from "./types.js";

/** Bytes kept in memory before spilling to disk. */
export const SPAN_CACHE_MEMORY_BYTES = 64 << 20;
/** Most bytes spilled to disk (and at most half the free space of the scratch dir). */
export const SPAN_CACHE_DISK_BYTES = 64 * 1024 ** 3;

export interface SpanCacheOptions {
  /** Where the scratch file goes (the OS temp dir); null keeps everything in memory (within memoryBytes). */
  scratchDir: string | null;
  /** Keep only bytes inside these ranges (default: every byte read). */
  keepOnly?: readonly ByteRange[];
  memoryBytes?: number;
  diskBytes?: number;
}

export interface SpanCacheStats {
  /** Reads served from kept bytes. */
  hits: number;
  bytesFromCache: number;
  /** Bytes kept in memory and on disk. */
  memoryBytes: number;
  diskBytes: number;
}

/** Kept bytes [begin, end) of one file: in memory, or at `at` in the scratch file. */
interface Segment {
  begin: number;
  end: number;
  bytes: Uint8Array | null;
  at: number;
}

export class SpanCacheSource implements WeightSource {
  readonly stats: SpanCacheStats = { hits: 0, bytesFromCache: 0, memoryBytes: 0, diskBytes: 0 };
  private readonly held = new SpanSet();
  /** Per file, disjoint segments sorted by begin. */
  private readonly segments = new Map<string, Segment[]>();
  private readonly inFlight = new Map<string, Promise<Uint8Array>>();
  private spill: { fh: FileHandle; dir: string; unlinked: boolean; size: number } | null = null;
  private spillOpening: Promise<void> | null = null;
  private diskBudget: number | null = null;
  private closed = false;
  private readonly memoryBytes: number;
  private readonly wanted: SpanSet | null;

  constructor(
    private readonly inner: WeightSource,
    private readonly options: SpanCacheOptions,
  ) {
    this.memoryBytes = options.memoryBytes ?? SPAN_CACHE_MEMORY_BYTES;
    this.wanted = options.keepOnly ? new SpanSet() : null;
    for (const r of options.keepOnly ?? []) this.wanted!.add(r.file, r.begin, r.end);
  }

  get source(): string {
    return this.inner.source;
  }

  get bytesRead(): number {
    return this.inner.bytesRead;
  }

  list(): Promise<ModelListing> {
    return this.inner.list();
  }

  /** Forward the plan less what is kept, and less repeats of ranges announced earlier in it (served once kept). */
  expect(ranges: readonly ByteRange[], concurrency: number): void {
    if (!this.inner.expect) return;
    const announced = new SpanSet();
    const fresh: ByteRange[] = [];
    for (const r of ranges) {
      if (this.held.covers(r.file, r.begin, r.end) || announced.covers(r.file, r.begin, r.end)) continue;
      announced.add(r.file, r.begin, r.end);
      fresh.push(r);
    }
    this.inner.expect(fresh, concurrency);
  }

  async read(file: string, begin: number, end: number): Promise<Uint8Array> {
    if (end > begin && this.held.covers(file, begin, end)) return this.fromCache(file, begin, end);
    const key = `${file}\0${begin}\0${end}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = this.inner.read(file, begin, end).then(async (bytes) => {
      await this.keep(file, begin, bytes);
      return bytes;
    });
    this.inFlight.set(key, p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async fromCache(file: string, begin: number, end: number): Promise<Uint8Array> {
    const segs = this.segments.get(file)!;
    let i = firstEndingAfter(segs, begin);
    this.stats.hits++;
    this.stats.bytesFromCache += end - begin;
    const first = segs[i]!;
    if (first.bytes && first.end >= end) return first.bytes.subarray(begin - first.begin, end - first.begin);
    const out = new Uint8Array(end - begin);
    for (let at = begin; at < end; i++) {
      const s = segs[i]!;
      const to = Math.min(end, s.end);
      if (s.bytes) out.set(s.bytes.subarray(at - s.begin, to - s.begin), at - begin);
      else await readFully(this.spill!.fh, out.subarray(at - begin, to - begin), s.at + (at - s.begin));
      at = to;
    }
    return out;
  }

  /** Keep the parts of [begin, begin + bytes.length) not kept yet: in memory while the budget allows, then on disk. */
  private async keep(file: string, begin: number, bytes: Uint8Array): Promise<void> {
    if (this.closed) return;
    for (const [a, b] of this.keepable(file, begin, begin + bytes.length)) {
      const part = bytes.subarray(a - begin, b - begin);
      let seg: Segment | null = null;
      if (this.stats.memoryBytes + part.length <= this.memoryBytes) {
        seg = { begin: a, end: b, bytes: part.slice(), at: 0 };
        this.stats.memoryBytes += part.length;
      } else if (this.options.scratchDir !== null && (await this.diskRoom()) >= part.length) {
        await this.openSpill();
        if (this.closed || !this.spill) return;
        const at = this.spill.size;
        this.spill.size += part.length;
        await this.spill.fh.write(part, 0, part.length, at);
        seg = { begin: a, end: b, bytes: null, at };
        this.stats.diskBytes += part.length;
      }
      if (!seg) continue;
      // Another read may have kept these bytes while this one was writing.
      if (!this.held.gaps(file, a, b).every(([x, y]) => x === a && y === b)) continue;
      const segs = this.segments.get(file) ?? [];
      this.segments.set(file, segs);
      segs.splice(firstEndingAfter(segs, a), 0, seg);
      this.held.add(file, a, b);
    }
  }

  /** The parts of [begin, end) not kept yet that are wanted (all of them without keepOnly). */
  private keepable(file: string, begin: number, end: number): [number, number][] {
    const gaps = this.held.gaps(file, begin, end);
    if (!this.wanted) return gaps;
    const out: [number, number][] = [];
    for (const [a, b] of gaps) {
      // Wanted = the gap less the wanted set's own gaps.
      let at = a;
      for (const [x, y] of this.wanted.gaps(file, a, b)) {
        if (x > at) out.push([at, x]);
        at = y;
      }
      if (at < b) out.push([at, b]);
    }
    return out;
  }

  /** Bytes the disk may still take: min(budget, half the scratch dir's free space at the first spill) less what is spilled. */
  private async diskRoom(): Promise<number> {
    if (this.diskBudget === null) {
      let free = Number.POSITIVE_INFINITY;
      try {
        const s = await statfs(this.options.scratchDir!);
        free = s.bavail * s.bsize;
      } catch {
        free = 0;
      }
      this.diskBudget = Math.min(this.options.diskBytes ?? SPAN_CACHE_DISK_BYTES, free / 2);
    }
    return this.diskBudget - this.stats.diskBytes;
  }

  private async openSpill(): Promise<void> {
    if (this.spill) return;
    this.spillOpening ??= (async () => {
      const dir = await mkdtemp(path.join(this.options.scratchDir!, "fromscratch-spans-"));
      const file = path.join(dir, "candidate-spans.bin");
      const fh = await open(file, "w+", 0o600);
      // Unlinked at once where the OS allows it: the bytes then go away with the descriptor, whatever happens.
      const unlinked = await rm(dir, { recursive: true, force: true }).then(
        () => true,
        () => false,
      );
      this.spill = { fh, dir, unlinked, size: 0 };
      if (this.closed) await this.dropSpill();
    })();
    await this.spillOpening;
  }

  private async dropSpill(): Promise<void> {
    const s = this.spill;
    this.spill = null;
    if (!s) return;
    await s.fh.close().catch(() => undefined);
    if (!s.unlinked) await rm(s.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Forget every kept byte and remove the scratch file; the inner source stays open. */
  async forget(): Promise<void> {
    this.closed = true;
    this.segments.clear();
    this.stats.memoryBytes = 0;
    await this.spillOpening?.catch(() => undefined);
    await this.dropSpill();
  }

  /** Forget every kept byte and remove the scratch file. The candidate source itself is closed too. */
  async close(): Promise<void> {
    await this.forget();
    await this.inner.close?.();
  }
}

/** Index of the first segment whose end is after `at`. */
function firstEndingAfter(segs: readonly Segment[], at: number): number {
  let lo = 0;
  let hi = segs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (segs[mid]!.end <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Fill `into` from the file at `position`. */
async function readFully(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let got = 0;
  while (got < into.length) {
    const { bytesRead } = await fh.read(into, got, into.length - got, position + got);
    if (bytesRead === 0) throw new Error("internal: the candidate span cache's scratch file ended early");
    got += bytesRead;
  }
}
