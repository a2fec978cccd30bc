/**
 * Coalesced read-ahead: which ranges share a request, how much is held at
 * once, and that every read gets exactly its bytes, as soon as they arrive.
 * The fetch function here streams from an in-memory file in small chunks,
 * under the test's control (the Hub path itself is in test/hub/read-ahead-hub.test.ts).
 */
import { describe, expect, it } from "vitest";
import { type ByteRange, type FetchInto, ReadAhead, SPAN_MAX_BYTES, SPAN_MAX_GAP_BYTES } from "../src/sources/read-ahead.js";

const FILE = "model.safetensors";

function fileBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 255;
  return b;
}

interface Request {
  file: string;
  begin: number;
  end: number;
  signal: AbortSignal;
  /** Deliver up to `n` more bytes (all when omitted); resolves the fetch when complete. */
  deliver(n?: number): void;
  fail(e: Error): void;
  got: number;
}

/** A fetchInto whose requests wait until the test delivers their bytes. */
function manualFetch(data: Uint8Array) {
  const requests: Request[] = [];
  let held = 0;
  let maxHeld = 0;
  const fetchInto: FetchInto = ({ file, begin, end }, out, { onProgress, signal }) =>
    new Promise<void>((resolve, reject) => {
      held += end - begin;
      maxHeld = Math.max(maxHeld, held);
      const r: Request = {
        file,
        begin,
        end,
        signal,
        got: 0,
        deliver(n = end - begin) {
          const k = Math.min(n, end - begin - r.got);
          out.set(data.subarray(begin + r.got, begin + r.got + k), r.got);
          r.got += k;
          onProgress(r.got);
          if (r.got === end - begin) resolve();
        },
        fail(e) {
          reject(e);
        },
      };
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      requests.push(r);
    });
  return {
    requests,
    fetchInto,
    /** Mark a span's buffer as dropped (the ReadAhead released it). */
    released(n: number) {
      held -= n;
    },
    get maxHeld() {
      return maxHeld;
    },
  };
}

/** A fetchInto that answers at once, in chunks, counting requests. */
function instantFetch(data: Uint8Array, chunk = 4096) {
  const requests: ByteRange[] = [];
  const fetchInto: FetchInto = async ({ file, begin, end }, out, { onProgress }) => {
    requests.push({ file, begin, end });
    for (let got = 0; got < end - begin; ) {
      const k = Math.min(chunk, end - begin - got);
      out.set(data.subarray(begin + got, begin + got + k), got);
      got += k;
      onProgress(got);
      await Promise.resolve();
    }
  };
  return { requests, fetchInto };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("coalescing", () => {
  it("adjacent ranges read one after another share one request; each read gets exactly its bytes", async () => {
    const data = fileBytes(100_000);
    const f = instantFetch(data);
    const ra = new ReadAhead(f.fetchInto, 4 * SPAN_MAX_BYTES);
    const ranges: ByteRange[] = [
      { file: FILE, begin: 8, end: 1000 },
      { file: FILE, begin: 1000, end: 1064 },
      { file: FILE, begin: 1064, end: 50_000 },
      { file: FILE, begin: 50_000, end: 100_000 },
    ];
    ra.plan(ranges);
    for (const r of ranges) {
      const got = await ra.take(r.file, r.begin, r.end)!;
      expect(Buffer.from(got).equals(Buffer.from(data.subarray(r.begin, r.end)))).toBe(true);
    }
    expect(f.requests).toEqual([{ file: FILE, begin: 8, end: 100_000 }]);
    expect(ra.stats).toMatchObject({ spans: 1, spanRequests: 1, planned: 4, served: 4, gapBytes: 0 });
  });

  it("splits at another file, a backwards step, a gap too wide, and the span size cap", () => {
    const ra = new ReadAhead(async () => undefined, 1);
    const M = SPAN_MAX_BYTES;
    ra.plan([
      { file: "a", begin: 0, end: 100 },
      { file: "b", begin: 100, end: 200 }, // another file
      { file: "b", begin: 0, end: 100 }, // backwards
      { file: "b", begin: 100 + SPAN_MAX_GAP_BYTES + 1, end: 200 + SPAN_MAX_GAP_BYTES }, // gap too wide
      { file: "c", begin: 0, end: M - 10 },
      { file: "c", begin: M - 10, end: M + 10 }, // would make the span longer than the cap
    ]);
    expect(ra.stats.spans).toBe(6);
    ra.reset();
  });

  it("reads through a small gap only while the waste stays under 1% of the span", async () => {
    const data = fileBytes(3_000_000);
    const f = instantFetch(data, 1 << 16);
    const ra = new ReadAhead(f.fetchInto, 4 * SPAN_MAX_BYTES);
    // 1 MB read, a 4 KB gap (0.4%: joined), 1 MB read, a 60 KB gap (would be 2.9%: split).
    const ranges: ByteRange[] = [
      { file: FILE, begin: 0, end: 1_000_000 },
      { file: FILE, begin: 1_004_000, end: 2_004_000 },
      { file: FILE, begin: 2_064_000, end: 2_100_000 },
    ];
    ra.plan(ranges);
    for (const r of ranges) {
      const got = await ra.take(r.file, r.begin, r.end)!;
      expect(Buffer.from(got).equals(Buffer.from(data.subarray(r.begin, r.end)))).toBe(true);
    }
    expect(f.requests).toEqual([
      { file: FILE, begin: 0, end: 2_004_000 },
      { file: FILE, begin: 2_064_000, end: 2_100_000 },
    ]);
    expect(ra.stats.gapBytes).toBe(4000);
  });

  it("a range not in the plan (or read again after its span was released) is left to the source", async () => {
    const data = fileBytes(10_000);
    const f = instantFetch(data);
    const ra = new ReadAhead(f.fetchInto, SPAN_MAX_BYTES);
    ra.plan([{ file: FILE, begin: 0, end: 100 }]);
    expect(ra.take(FILE, 0, 50)).toBeNull();
    expect(ra.take("other", 0, 100)).toBeNull();
    await ra.take(FILE, 0, 100);
    expect(ra.take(FILE, 0, 100)).toBeNull();
  });

  it("the same range planned twice is served twice", async () => {
    const data = fileBytes(10_000);
    const f = instantFetch(data);
    const ra = new ReadAhead(f.fetchInto, SPAN_MAX_BYTES);
    ra.plan([
      { file: FILE, begin: 0, end: 100 },
      { file: FILE, begin: 5000, end: 6000 },
      { file: FILE, begin: 0, end: 100 },
    ]);
    for (const [b, e] of [[0, 100], [5000, 6000], [0, 100]] as const) {
      const got = await ra.take(FILE, b, e)!;
      expect(got.length).toBe(e - b);
      expect(got[7]).toBe(data[b + 7]);
    }
    expect(f.requests.length).toBe(3);
  });
});

describe("streaming and read-ahead", () => {
  it("a read resolves as soon as its bytes have arrived, before the rest of the span", async () => {
    const data = fileBytes(40_000);
    const m = manualFetch(data);
    const ra = new ReadAhead(m.fetchInto, SPAN_MAX_BYTES);
    ra.plan([
      { file: FILE, begin: 0, end: 10_000 },
      { file: FILE, begin: 10_000, end: 40_000 },
    ]);
    const first = ra.take(FILE, 0, 10_000)!;
    const second = ra.take(FILE, 10_000, 40_000)!;
    let firstDone = false;
    let secondDone = false;
    void first.then(() => (firstDone = true));
    void second.then(() => (secondDone = true));
    expect(m.requests.length).toBe(1);
    m.requests[0]!.deliver(9_999);
    await tick();
    expect(firstDone).toBe(false);
    m.requests[0]!.deliver(1);
    await tick();
    expect(firstDone).toBe(true);
    expect(secondDone).toBe(false);
    expect((await first)[9_999]).toBe(data[9_999]);
    m.requests[0]!.deliver();
    expect((await second)[0]).toBe(data[10_000]);
  });

  it("fetches ahead of the reader within the byte budget, and only within it", async () => {
    const span = 1 << 20;
    const data = fileBytes(10 * span);
    const m = manualFetch(data);
    // Ten spans one MiB apart (gaps too wide to join), budget three spans.
    const ranges: ByteRange[] = Array.from({ length: 10 }, (_, i) => ({ file: FILE, begin: i * span, end: i * span + span / 2 }));
    const ra = new ReadAhead(m.fetchInto, 3 * (span / 2));
    ra.plan(ranges);
    // Before any read: three spans requested.
    expect(m.requests.length).toBe(3);
    for (let i = 0; i < ranges.length; i++) {
      const p = ra.take(FILE, ranges[i]!.begin, ranges[i]!.end)!;
      m.requests[i]!.deliver();
      const got = await p;
      expect(got[123]).toBe(data[ranges[i]!.begin + 123]);
      m.released(span / 2);
      await tick();
      // Never more than the budget requested and not yet released.
      expect(m.requests.length).toBeLessThanOrEqual(Math.min(10, i + 1 + 3));
    }
    expect(m.requests.length).toBe(10);
    expect(m.maxHeld).toBeLessThanOrEqual(3 * (span / 2) + span / 2);
  });

  it("a span larger than the budget is still fetched (alone)", async () => {
    const data = fileBytes(50_000);
    const f = instantFetch(data);
    const ra = new ReadAhead(f.fetchInto, 1000);
    ra.plan([{ file: FILE, begin: 0, end: 50_000 }]);
    expect((await ra.take(FILE, 0, 50_000)!).length).toBe(50_000);
  });

  it("spans the reader skipped are released (and their requests aborted), so memory stays bounded", async () => {
    const data = fileBytes(40_000);
    const m = manualFetch(data);
    const ra = new ReadAhead(m.fetchInto, SPAN_MAX_BYTES);
    ra.plan([
      { file: "a", begin: 0, end: 10_000 },
      { file: "b", begin: 0, end: 10_000 },
    ]);
    expect(m.requests.length).toBe(2);
    // The reader never reads "a" (e.g. the pair turned out unreadable) and goes on to "b".
    const p = ra.take("b", 0, 10_000)!;
    expect(m.requests[0]!.signal.aborted).toBe(true);
    m.requests[1]!.deliver();
    expect((await p).length).toBe(10_000);
    // "a" is no longer planned: a late read of it goes to the source.
    expect(ra.take("a", 0, 10_000)).toBeNull();
  });

  it("a failed span rejects every read waiting on it with the source's error, and nothing else", async () => {
    const data = fileBytes(40_000);
    const m = manualFetch(data);
    const ra = new ReadAhead(m.fetchInto, SPAN_MAX_BYTES);
    ra.plan([
      { file: FILE, begin: 0, end: 100 },
      { file: FILE, begin: 100, end: 200 },
      { file: "other", begin: 0, end: 100 },
    ]);
    const a = ra.take(FILE, 0, 100)!;
    const b = ra.take(FILE, 100, 200)!;
    m.requests[0]!.deliver(50);
    m.requests[0]!.fail(new Error("model.safetensors: HTTP 403"));
    await expect(a).rejects.toThrow("HTTP 403");
    await expect(b).rejects.toThrow("HTTP 403");
    const c = ra.take("other", 0, 100)!;
    m.requests[1]!.deliver();
    expect((await c).length).toBe(100);
  });

  it("a new plan aborts what the old one had in flight", () => {
    const data = fileBytes(40_000);
    const m = manualFetch(data);
    const ra = new ReadAhead(m.fetchInto, SPAN_MAX_BYTES);
    ra.plan([{ file: FILE, begin: 0, end: 100 }]);
    ra.plan([{ file: FILE, begin: 200, end: 300 }]);
    expect(m.requests[0]!.signal.aborted).toBe(true);
    expect(m.requests.length).toBe(2);
    ra.reset();
    expect(m.requests[1]!.signal.aborted).toBe(true);
  });
});
