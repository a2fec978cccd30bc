/**
 * One reference check's memory of the byte ranges it read, so the stages that
 * read a tensor again after the element-wise pass (the transposed second look,
 * the alignment search, which loads whole matrices) take it from memory instead
 * of the disk or the network. Reads during the planned pass always go to the
 * source (its read-ahead counts them), and are remembered; later reads of the
 * same range are served from memory once `serving` is on.
 *
 * Bounded: ranges above MEMO_MAX_RANGE_BYTES are not kept, and the least
 * recently used ranges are dropped beyond MEMO_MAX_BYTES. The later stages read
 * sketches now (rows here and there, a few KiB each), never a whole range of the
 * planned pass again: on a 7B-width pair every hit was an 8 KiB read, while
 * keeping (copying) every read up to 4 MiB made over a GiB of short-lived
 * copies, which is what held the process's peak memory up.
 */
import { type ByteRange, type ModelListing, type WeightSource, readInto as readIntoSource } from "./types.js";

export const MEMO_MAX_RANGE_BYTES = 256 << 10;
export const MEMO_MAX_BYTES = 8 << 20;

export class MemoSource implements WeightSource {
  /** Serve remembered ranges (off while the planned pass reads through the source's read-ahead). */
  serving = false;
  private readonly ranges = new Map<string, Uint8Array>();
  private held = 0;

  constructor(
    private readonly inner: WeightSource,
    private readonly maxBytes = MEMO_MAX_BYTES,
    private readonly maxRange = MEMO_MAX_RANGE_BYTES,
  ) {}

  get source(): string {
    return this.inner.source;
  }

  get bytesRead(): number {
    return this.inner.bytesRead;
  }

  list(): Promise<ModelListing> {
    return this.inner.list();
  }

  expect(ranges: readonly ByteRange[], concurrency: number): void {
    this.inner.expect?.(ranges, concurrency);
  }

  async read(file: string, begin: number, end: number): Promise<Uint8Array> {
    const key = `${begin}:${end}:${file}`;
    const hit = this.ranges.get(key);
    if (hit && this.serving) {
      // Most recently used last (Map keeps insertion order).
      this.ranges.delete(key);
      this.ranges.set(key, hit);
      return hit;
    }
    const bytes = await this.inner.read(file, begin, end);
    if (!hit && end - begin <= this.maxRange && end - begin <= this.maxBytes) {
      // A view into a larger buffer (a read-ahead span) is copied, so only these bytes are held.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      this.ranges.set(key, own);
      this.held += own.byteLength;
      for (const [k, v] of this.ranges) {
        if (this.held <= this.maxBytes) break;
        this.ranges.delete(k);
        this.held -= v.byteLength;
      }
    }
    return bytes;
  }

  async readInto(file: string, begin: number, end: number, into: Uint8Array): Promise<void> {
    const hit = this.serving ? this.ranges.get(`${begin}:${end}:${file}`) : undefined;
    // Ranges this memo keeps go through read (which keeps them); the large rest straight into `into`.
    if (hit || end - begin <= this.maxRange) {
      into.set(await this.read(file, begin, end));
      return;
    }
    await readIntoSource(this.inner, { file, begin, end }, into);
  }

  /** Forget everything (the source itself stays open: its owner closes it). */
  clear(): void {
    this.ranges.clear();
    this.held = 0;
  }
}
