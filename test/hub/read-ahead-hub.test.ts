/**
 * Coalesced read-ahead through the real Hub path (HubSource against the
 * Hub-like server): adjacent tensors come in one ranged request, a span that
 * breaks mid-body is resumed, and the whole check reads exactly the bytes it
 * needs in far fewer requests than tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFloats } from "../../src/safetensors/dtypes.js";
import { serializeSafetensors, type TensorBytes } from "../../src/safetensors/writer.js";
import { HubSource } from "../../src/sources/hub.js";
import type { ByteRange } from "../../src/sources/types.js";
import { startHubServer, type HubServer, type RequestLog } from "./server.js";

function tensor(name: string, shape: number[], seed: number): TensorBytes {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(seed * 977 + i * 0.37);
  return { name, dtype: "BF16", shape, data: encodeFloats("BF16", v) };
}

// 40 small tensors (norm-like) and 4 larger ones: 1.3 MB in all.
const tensors: TensorBytes[] = [];
for (let i = 0; i < 40; i++) tensors.push(tensor(`model.layers.${String(i).padStart(2, "0")}.norm.weight`, [1024], i));
for (let i = 0; i < 4; i++) tensors.push(tensor(`model.w${i}`, [512, 256], 100 + i));
const file = serializeSafetensors(tensors);
const REPO = "open/ra";

let server: HubServer;

beforeAll(async () => {
  server = await startHubServer({ repos: { [REPO]: { files: { "model.safetensors": file } } } });
});
afterAll(async () => {
  await server.close();
});

const isWeightRead = (r: RequestLog) => r.origin === "cdn" && r.range !== null && !/^bytes=0-7$/.test(r.range) && !r.range.startsWith("bytes=8-");

async function listed(): Promise<{ src: HubSource; ranges: ByteRange[] }> {
  const src = new HubSource({ source: REPO, repo: REPO, revision: null, endpoint: server.url, token: null, retryBaseMs: 5, stallMs: 2000 });
  const listing = await src.list();
  const ranges = listing.tensors.map((t) => ({ file: t.file, begin: t.begin, end: t.end }));
  return { src, ranges };
}

describe("read-ahead on the Hub path", () => {
  it("every tensor of a small model comes from one ranged request, byte for byte", async () => {
    const { src, ranges } = await listed();
    const before = server.requests.length;
    src.expect(ranges, 4);
    for (const r of ranges) {
      const got = await src.read(r.file, r.begin, r.end);
      expect(Buffer.from(got).equals(Buffer.from(file.subarray(r.begin, r.end)))).toBe(true);
    }
    const reads = server.requests.slice(before).filter(isWeightRead);
    expect(reads.length).toBe(1);
    expect(reads[0]!.range).toBe(`bytes=${ranges[0]!.begin}-${ranges[ranges.length - 1]!.end - 1}`);
    expect(src.readAheadStats).toMatchObject({ spans: 1, spanRequests: 1, planned: ranges.length, served: ranges.length });
    await src.close();
  });

  it("a span whose body breaks mid-way is resumed from the last byte, and every read is still exact", async () => {
    const { src, ranges } = await listed();
    const before = server.requests.length;
    server.faults.next(/^\/repos\//, [{ dropAfter: 300_000 }], { origin: "cdn", when: isWeightRead });
    src.expect(ranges, 4);
    for (const r of ranges) {
      const got = await src.read(r.file, r.begin, r.end);
      expect(Buffer.from(got).equals(Buffer.from(file.subarray(r.begin, r.end)))).toBe(true);
    }
    const reads = server.requests.slice(before).filter(isWeightRead);
    expect(reads.length).toBe(2);
    expect(reads[1]!.range).toBe(`bytes=${ranges[0]!.begin + 300_000}-${ranges[ranges.length - 1]!.end - 1}`);
    await src.close();
  });

  it("a span that cannot be fetched fails the reads waiting on it with the Hub's error", async () => {
    const { src, ranges } = await listed();
    server.faults.always(/^\/repos\//, { status: 404 }, { origin: "cdn", when: isWeightRead });
    try {
      src.expect(ranges, 4);
      await expect(src.read(ranges[3]!.file, ranges[3]!.begin, ranges[3]!.end)).rejects.toThrow(/open\/ra/);
    } finally {
      server.faults.clear();
      await src.close();
    }
  });

  it("unplanned reads still go straight to the Hub", async () => {
    const { src, ranges } = await listed();
    src.expect(ranges.slice(0, 2), 4);
    const r = ranges[10]!;
    const got = await src.read(r.file, r.begin, r.end);
    expect(Buffer.from(got).equals(Buffer.from(file.subarray(r.begin, r.end)))).toBe(true);
    await src.close();
  });
});
