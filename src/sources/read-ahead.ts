/**
 * Coalesced, read-ahead ranged reads for a remote source.
 *
 * The engine announces the byte ranges it will read, in the order it will
 * read them (plan()). Consecutive ranges of one file that follow each other
 * on disk (small gaps allowed) become one span of at most SPAN_MAX_BYTES,
 * fetched with one ranged request; spans are fetched ahead of the reader
 * within a byte budget, so transfers overlap computation across tensor
 * boundaries, not only inside one tensor. A read is served as soon as its
 * bytes of the span have arrived (the span streams into one buffer).
 * Reads that are not in the plan, or whose span was released, go straight
 * to the source. Memory: at most `budget` bytes of spans held (one span
 * when a single span is larger), whatever the model size.
 */

import type { ByteRange } from "./types.js";

export type { ByteRange };

/** Stream bytes [begin, end) of `file` into `out`, calling onProgress(bytes so far) as they arrive. */
export type FetchInto = (range: ByteRange, out: Uint8Array, opts: { onProgress: (got: number) => void; signal: AbortSignal }) => Promise<void>;

/** Largest span fetched as one request (several spans are in flight at once). */
export const SPAN_MAX_BYTES = 4 << 20;
/** Largest gap between two ranges read through (fetched and thrown away) to join them. */
export const SPAN_MAX_GAP_BYTES = 64 << 10;
/** Bytes read through gaps stay under this share of a span. */
const SPAN_MAX_WASTE = 0.01;

type State = "idle" | "active" | "done" | "failed" | "released";

interface Waiter {
  need: number;
  offset: number;
  length: number;
  resolve(bytes: Uint8Array): void;
  reject(e: unknown): void;
}

interface Span {
  file: string;
  begin: number;
  end: number;
  /** Bytes inside ranges of the plan (the rest are gaps read through). */
  useful: number;
  /** Planned reads not yet taken. */
  unserved: number;
  state: State;
  bytes: Uint8Array | null;
  got: number;
  error: unknown;
  waiters: Waiter[];
  ctl: AbortController | null;
}

export interface ReadAheadStats {
  spans: number;
  spanRequests: number;
  planned: number;
  served: number;
  gapBytes: number;
}

export class ReadAhead {
  private spans: Span[] = [];
  /** file\0begin\0end -> indices of spans holding that planned range, in plan order. */
  private index = new Map<string, number[]>();
  private nextStart = 0;
  private heldBytes = 0;
  readonly stats: ReadAheadStats = { spans: 0, spanRequests: 0, planned: 0, served: 0, gapBytes: 0 };

  constructor(
    private readonly fetchInto: FetchInto,
    /** Bytes of spans held at once (fetching or fetched, not yet all read). */
    private readonly budget: number,
  ) {}

  /** Replace the plan with `ranges`, in the order they will be read, and start fetching ahead. */
  plan(ranges: readonly ByteRange[]): void {
    this.reset();
    let cur: Span | null = null;
    for (const r of ranges) {
      if (r.end <= r.begin) continue;
      const gap = cur ? r.begin - cur.end : -1;
      if (cur !== null && joinsSpan(cur, r)) {
        this.stats.gapBytes += gap;
        cur!.end = r.end;
        cur!.useful += r.end - r.begin;
        cur!.unserved++;
      } else {
        cur = { file: r.file, begin: r.begin, end: r.end, useful: r.end - r.begin, unserved: 1, state: "idle", bytes: null, got: 0, error: null, waiters: [], ctl: null };
        this.spans.push(cur);
      }
      const key = keyOf(r.file, r.begin, r.end);
      const at = this.index.get(key);
      if (at) at.push(this.spans.length - 1);
      else this.index.set(key, [this.spans.length - 1]);
    }
    this.stats.spans = this.spans.length;
    this.stats.planned = ranges.length;
    this.pump();
  }

  /** The bytes of a planned range (as they arrive), or null when the range is not (or no longer) planned. */
  take(file: string, begin: number, end: number): Promise<Uint8Array> | null {
    const queue = this.index.get(keyOf(file, begin, end));
    let i: number | undefined;
    while (queue && queue.length > 0) {
      i = queue.shift();
      if (this.spans[i!]!.state !== "released") break;
      i = undefined;
    }
    if (i === undefined) return null;
    // The reader moved past earlier spans: whatever of them was not read never will be.
    for (let j = 0; j < i; j++) {
      const s = this.spans[j]!;
      if (s.state !== "released" && s.waiters.length === 0) this.release(s);
    }
    const span = this.spans[i]!;
    span.unserved--;
    this.stats.served++;
    if (span.state === "idle") this.start(span);
    const offset = begin - span.begin;
    const length = end - begin;
    const p = new Promise<Uint8Array>((resolve, reject) => {
      span.waiters.push({ need: offset + length, offset, length, resolve, reject });
    });
    this.settle(span);
    this.pump();
    return p;
  }

  /** Drop the plan: abort spans in flight, release buffers. */
  reset(): void {
    for (const s of this.spans) {
      if (s.state === "active") s.ctl?.abort();
      for (const w of s.waiters) w.reject(new Error("internal: read-ahead plan replaced while a read was waiting"));
      s.waiters = [];
      s.state = "released";
      s.bytes = null;
    }
    this.spans = [];
    this.index.clear();
    this.nextStart = 0;
    this.heldBytes = 0;
  }

  /** Start spans in plan order while the budget allows (always at least one held). */
  private pump(): void {
    while (this.nextStart < this.spans.length) {
      const s = this.spans[this.nextStart]!;
      if (s.state !== "idle") {
        this.nextStart++;
        continue;
      }
      const size = s.end - s.begin;
      if (this.heldBytes > 0 && this.heldBytes + size > this.budget) return;
      this.start(s);
      this.nextStart++;
    }
  }

  private start(s: Span): void {
    s.state = "active";
    s.bytes = new Uint8Array(s.end - s.begin);
    s.ctl = new AbortController();
    this.heldBytes += s.end - s.begin;
    this.stats.spanRequests++;
    const ctl = s.ctl;
    const onProgress = (got: number) => {
      if (s.state !== "active") return;
      s.got = got;
      this.settle(s);
    };
    this.fetchInto({ file: s.file, begin: s.begin, end: s.end }, s.bytes, { onProgress, signal: ctl.signal }).then(
      () => {
        if (s.state !== "active") return;
        s.got = s.end - s.begin;
        s.state = "done";
        this.settle(s);
      },
      (e: unknown) => {
        if (s.state !== "active") return;
        s.state = "failed";
        s.error = e;
        this.settle(s);
      },
    );
  }

  /** Hand out what has arrived; release the span once every planned read of it is served. */
  private settle(s: Span): void {
    if (s.state === "failed") {
      for (const w of s.waiters) w.reject(s.error);
      s.waiters = [];
    } else if (s.bytes) {
      const bytes = s.bytes;
      s.waiters = s.waiters.filter((w) => {
        if (w.need > s.got) return true;
        w.resolve(bytes.subarray(w.offset, w.offset + w.length));
        return false;
      });
    }
    if (s.unserved === 0 && s.waiters.length === 0 && (s.state === "done" || s.state === "failed")) this.release(s);
  }

  private release(s: Span): void {
    // A span with all its bytes is only waiting for its response to end: let it end.
    if (s.state === "active" && s.got < s.end - s.begin) s.ctl?.abort();
    if (s.state === "active" || s.state === "done" || s.state === "failed") this.heldBytes -= s.end - s.begin;
    s.state = "released";
    s.bytes = null;
    s.waiters = [];
    this.pump();
  }
}

/** Whether range `r` extends span `cur` (same file, after it, a small gap, the span stays within SPAN_MAX_BYTES and its waste under 1%). */
function joinsSpan(cur: { file: string; begin: number; end: number; useful: number }, r: ByteRange): boolean {
  const gap = r.begin - cur.end;
  return (
    cur.file === r.file &&
    gap >= 0 &&
    gap <= SPAN_MAX_GAP_BYTES &&
    r.end - cur.begin <= SPAN_MAX_BYTES &&
    cur.end - cur.begin - cur.useful + gap <= SPAN_MAX_WASTE * (r.end - cur.begin)
  );
}

/**
 * The spans (one ranged request each) a remote source fetches for `ranges`
 * read in this order: the read-ahead's own coalescing, for estimates (plan).
 */
export function coalesceRanges(ranges: readonly ByteRange[]): { spans: number; bytes: number } {
  let cur: { file: string; begin: number; end: number; useful: number } | null = null;
  let spans = 0;
  let bytes = 0;
  for (const r of ranges) {
    if (r.end <= r.begin) continue;
    if (cur !== null && joinsSpan(cur, r)) {
      bytes += r.end - cur.end;
      cur.end = r.end;
      cur.useful += r.end - r.begin;
    } else {
      cur = { file: r.file, begin: r.begin, end: r.end, useful: r.end - r.begin };
      spans++;
      bytes += r.end - r.begin;
    }
  }
  return { spans, bytes };
}

function keyOf(file: string, begin: number, end: number): string {
  return `${file}\0${begin}\0${end}`;
}
