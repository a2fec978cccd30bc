/**
 * HubSource against the fault-injecting test Hub: bounded retries (attempts and
 * total time, Retry-After honoured or refused), bodies resumed from the last
 * byte received, a server ignoring Range read without downloading the whole
 * file, stalled connections timed out, and a repo changing mid-run reported.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FetchError } from "../../src/common/errors.js";
import { serializeSafetensors } from "../../src/safetensors/writer.js";
import { makeHubFetch } from "../../src/sources/hub-fetch.js";
import { HubSource, type HubSourceOptions } from "../../src/sources/hub.js";
import type { Logger } from "../../src/sources/types.js";
import { startHubServer, type HubServer } from "./server.js";

const TOKEN = "hf_fault_secret_7d1c";

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** One F32 tensor of `bytes` bytes (contents arbitrary: nothing here decodes them). */
function model(bytes: number, seed: number): Uint8Array {
  return serializeSafetensors([{ name: "w", dtype: "F32", shape: [bytes / 4], data: pattern(bytes, seed) }]);
}

const big = model(1 << 20, 1); // 1 MiB of data
const huge = model(32 << 20, 2); // 32 MiB
const small = model(4096, 3);
const headerEnd = (m: Uint8Array): number => 8 + Number(new DataView(m.buffer, m.byteOffset).getBigUint64(0, true));

let server: HubServer;

beforeAll(async () => {
  server = await startHubServer({
    token: TOKEN,
    repos: {
      "org/big": { files: { "model.safetensors": big } },
      "org/huge": { files: { "model.safetensors": huge } },
      "org/small": { files: { "model.safetensors": small, "config.json": "{}" } },
    },
  });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.faults.clear();
});

function recorder(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, warn: (m) => warnings.push(m) };
}

function hub(repo: string, extra: Partial<HubSourceOptions> = {}, on: HubServer = server): HubSource {
  return new HubSource({ source: repo, repo, revision: null, endpoint: on.url, token: TOKEN, maxAttempts: 4, retryBaseMs: 1, stallMs: 5000, ...extra });
}

async function catchErr(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

const CDN = /^\/repos\//;
const cdn = { origin: "cdn" as const };

describe("retry budget", () => {
  it("a Retry-After beyond the remaining budget fails at once, saying how long the Hub asked to wait", async () => {
    server.faults.next(/^\/api\/models\/org\/small\/revision\//, [{ status: 429, retryAfter: 60, body: "slow down" }]);
    const n = server.requests.length;
    const t0 = Date.now();
    const e = await catchErr(hub("org/small", { maxRetryMs: 10_000 }).list());
    // At once: one request, and far less than the 60 s the Hub asked for (no bound near the machine's speed).
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(e).toBeInstanceOf(FetchError);
    expect((e as FetchError).status).toBe(429);
    expect(e.message).toMatch(/^org\/small: HTTP 429 from http:\/\/127\.0\.0\.1:\d+\/api\/models\/org\/small\/revision\/HEAD \(slow down\)/);
    expect(e.message).toContain("the Hub asked to wait 60 s (Retry-After) before retrying, more than the 10 s left of the 10 s retry budget");
    expect(e.message).not.toContain(TOKEN);
    expect(server.requests.length - n).toBe(1);
  });

  it("a Retry-After within the budget is waited for", async () => {
    let t = 0;
    const waits: number[] = [];
    const f = makeHubFetch({
      endpoint: server.url,
      token: null,
      maxRetryMs: 3000,
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms;
      },
    });
    server.faults.next(/^\/api\/models\/org\/small\/tree\//, [{ status: 429, retryAfter: 2 }]);
    const res = await f(`${server.url}/api/models/org/small/tree/main`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(waits).toEqual([2000]);
  });

  it("backoff stops when the next wait would overrun the total budget, before maxAttempts", async () => {
    let t = 0;
    const waits: number[] = [];
    const f = makeHubFetch({
      endpoint: server.url,
      token: null,
      maxAttempts: 10,
      retryBaseMs: 1000,
      maxRetryMs: 2500,
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms;
      },
    });
    server.faults.always(/^\/api\/models\/org\/small\/tree\//, { status: 503, body: "upstream down" });
    const e = await catchErr(f(`${server.url}/api/models/org/small/tree/main`));
    expect(e).toBeInstanceOf(FetchError);
    expect((e as FetchError).status).toBe(503);
    expect(e.message).toMatch(/HTTP 503 from .* \(upstream down\): gave up after 2 attempts in 1 s \(the 2\.5 s retry budget is spent\)/);
    expect(waits).toEqual([1000]);
  });

  it("network errors obey the same budget", async () => {
    let t = 0;
    const f = makeHubFetch({
      endpoint: server.url,
      token: null,
      maxAttempts: 10,
      retryBaseMs: 1000,
      maxRetryMs: 2500,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    server.faults.always(/^\/api\/models\/org\/small\/tree\//, { reset: true });
    const e = await catchErr(f(`${server.url}/api/models/org/small/tree/main`));
    expect(e).toBeInstanceOf(FetchError);
    expect(e.message).toMatch(/network error fetching .*: .* \(gave up after 2 attempts in 1 s: the 2\.5 s retry budget is spent\)/);
  });
});

describe("resuming bodies", () => {
  const begin = headerEnd(big);
  const end = big.length;

  it("a connection dropped mid-body is resumed from the last byte received", async () => {
    const log = recorder();
    const src = hub("org/big", { logger: log });
    await src.list();
    server.faults.next(CDN, [{ dropAfter: 300_000 }], cdn);
    const n = server.requests.length;
    const before = src.bytesRead;
    const got = await src.read("model.safetensors", begin, end);
    expect(same(got, big.subarray(begin, end))).toBe(true);
    const reqs = server.requests.slice(n).filter((r) => r.origin === "cdn");
    expect(reqs).toHaveLength(2);
    expect(reqs[0]!.range).toBe(`bytes=${begin}-${end - 1}`);
    expect(reqs[0]!.aborted).toBe(true);
    const resumedAt = Number(/^bytes=(\d+)-/.exec(reqs[1]!.range!)![1]);
    expect(resumedAt).toBeGreaterThan(begin);
    expect(resumedAt).toBeLessThanOrEqual(begin + 300_000);
    expect(reqs[1]!.range).toBe(`bytes=${resumedAt}-${end - 1}`);
    // Nothing fetched twice.
    expect(src.bytesRead - before).toBe(end - begin);
    expect(log.warnings.some((w) => /connection broke mid-body .*; resuming at byte \d+/.test(w))).toBe(true);
  });

  it("a body that ends short (truncated) is resumed, each resume an attempt", async () => {
    const src = hub("org/big");
    await src.list();
    server.faults.next(CDN, [{ truncate: 1000 }, { truncate: 5000 }], cdn);
    const got = await src.read("model.safetensors", begin, end);
    expect(same(got, big.subarray(begin, end))).toBe(true);
  });

  it("gives up after maxAttempts, saying how much arrived", async () => {
    const src = hub("org/big", { maxAttempts: 3 });
    await src.list();
    server.faults.always(CDN, { dropAfter: 1000 }, cdn);
    const e = await catchErr(src.read("model.safetensors", begin, end));
    expect(e).toBeInstanceOf(FetchError);
    expect(e.message).toMatch(/^org\/big@[0-9a-f]{40}:model\.safetensors: connection broke mid-body .*; gave up after 3 attempts with \d+ of 1048576 bytes of range/);
    expect(e.message).not.toContain(TOKEN);
  });

  it("a body truncated on every attempt fails rather than returning short data", async () => {
    const src = hub("org/small");
    await src.list();
    server.faults.always(CDN, { truncate: 1 }, cdn);
    const e = await catchErr(src.read("model.safetensors", 100, 108));
    expect(e).toBeInstanceOf(FetchError);
    expect(e.message).toMatch(/ended after 1 of \d+ bytes \(Content-Length 1\); gave up after 4 attempts with 4 of 8 bytes/);
  });
});

describe("a server that ignores Range", () => {
  it("streams only up to the end of the range and cuts the transfer (no whole-file download)", async () => {
    const log = recorder();
    const src = hub("org/huge", { logger: log });
    await src.list();
    server.faults.always(CDN, { ignoreRange: true }, cdn);
    const begin = headerEnd(huge) + 1000;
    const end = begin + 4096;
    const n = server.requests.length;
    const before = src.bytesRead;
    const got = await src.read("model.safetensors", begin, end);
    expect(same(got, huge.subarray(begin, end))).toBe(true);
    const reqs = server.requests.slice(n).filter((r) => r.origin === "cdn");
    expect(reqs.map((r) => r.status)).toEqual([200]);
    // The server was cut off early: far less than the 32 MiB file left it.
    await new Promise((r) => setTimeout(r, 50));
    expect(reqs[0]!.aborted).toBe(true);
    expect(reqs[0]!.bytes).toBeLessThan(huge.length / 2);
    // The bytes before the range were received, and count in bytesRead.
    const counted = src.bytesRead - before;
    expect(counted).toBeGreaterThanOrEqual(end);
    expect(counted).toBeLessThan(huge.length / 2);
    expect(log.warnings.filter((w) => /ignores Range requests/.test(w))).toHaveLength(1);
  });

  it("resumes a dropped whole-file answer and still returns exact bytes", async () => {
    const src = hub("org/big");
    await src.list();
    server.faults.next(CDN, [{ ignoreRange: true, dropAfter: 200_000 }, { ignoreRange: true }], cdn);
    const begin = headerEnd(big) + 100_000;
    const end = begin + 300_000;
    const got = await src.read("model.safetensors", begin, end);
    expect(same(got, big.subarray(begin, end))).toBe(true);
  });

  it("refuses a 200 whose Content-Length is not the listed file size", async () => {
    const src = hub("org/small");
    await src.list();
    server.faults.next(CDN, [{ status: 200, body: "not the file" }], cdn);
    const e = await catchErr(src.read("model.safetensors", 8, 16));
    expect(e).toBeInstanceOf(FetchError);
    expect(e.message).toMatch(/ignored the Range request \(HTTP 200 instead of 206 Partial Content\) and its Content-Length \(12\) is not the listed file size \d+; refusing the response/);
  });
});

describe("stalled connections", () => {
  it("no response headers within stallMs: aborted and retried", async () => {
    const log = recorder();
    const src = hub("org/small", { logger: log, stallMs: 200 });
    await src.list();
    server.faults.next(CDN, [{ stall: 5000 }], cdn);
    const n = server.requests.length;
    const got = await src.read("model.safetensors", 100, 200);
    expect(same(got, small.subarray(100, 200))).toBe(true);
    const reqs = server.requests.slice(n).filter((r) => r.origin === "cdn");
    expect(reqs.map((r) => r.status)).toEqual([0, 206]);
    expect(log.warnings.some((w) => /network error fetching http:\/\/127\.0\.0\.1:\d+\/repos\/[0-9a-f]{64}\/model\.safetensors: no response within 0\.2 s \(stalled connection\); retrying/.test(w))).toBe(true);
  });

  it("a body that stops mid-way is resumed after stallMs", async () => {
    const log = recorder();
    const src = hub("org/small", { logger: log, stallMs: 200 });
    await src.list();
    server.faults.next(CDN, [{ stall: 5000, stallAfterBytes: 10 }], cdn);
    const n = server.requests.length;
    const got = await src.read("model.safetensors", 100, 200);
    expect(same(got, small.subarray(100, 200))).toBe(true);
    const reqs = server.requests.slice(n).filter((r) => r.origin === "cdn");
    expect(reqs.map((r) => r.range)).toEqual(["bytes=100-199", "bytes=110-199"]);
    expect(log.warnings.some((w) => /no data for 0\.2 s \(stalled connection\); resuming at byte 110/.test(w))).toBe(true);
  });

  it("a slow but live connection is not cut", async () => {
    const src = hub("org/small", { stallMs: 400 });
    await src.list();
    server.faults.next(CDN, [{ stall: 100 }], cdn);
    const n = server.requests.length;
    expect(same(await src.read("model.safetensors", 100, 200), small.subarray(100, 200))).toBe(true);
    expect(server.requests.slice(n).filter((r) => r.origin === "cdn")).toHaveLength(1);
  });

  it("a stall on an API answer's body is retried too", async () => {
    server.faults.next(/^\/api\/models\/org\/small\/revision\//, [{ stall: 5000, stallAfterBytes: 5 }]);
    const log = recorder();
    const listing = await hub("org/small", { logger: log, stallMs: 200 }).list();
    expect(listing.tensors).toHaveLength(1);
    expect(log.warnings.some((w) => /no data for 0\.2 s/.test(w))).toBe(true);
  });

  it("a connection that always stalls fails within bounded time", async () => {
    const src = hub("org/small", { stallMs: 150, maxAttempts: 3 });
    await src.list();
    server.faults.always(CDN, { stall: 120_000 }, cdn);
    const t0 = Date.now();
    const e = await catchErr(src.read("model.safetensors", 100, 200));
    // Bounded: three attempts of 0.15 s, far from the 120 s stall each would otherwise wait out.
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(e).toBeInstanceOf(FetchError);
    expect(e.message).toMatch(/^org\/small@[0-9a-f]{40}:model\.safetensors: no response from http:\/\/127\.0\.0\.1:\d+\/repos\/[0-9a-f]{64}\/model\.safetensors within [\d.]+ s \(3 attempts, each dropped after 0\.15 s of silence, [\d.]+ s in all; stalled connection\); raise --network-timeout/);
  });
});

describe("a repo changing mid-run", () => {
  it("a changed ETag is reported, never mixed into one read", async () => {
    const s = await startHubServer({ token: TOKEN, repos: { "org/m": { files: { "model.safetensors": big, "config.json": "{}" } } } });
    try {
      const src = hub("org/m", {}, s);
      const listing = await src.list();
      const pinned = listing.revision!;
      const begin = headerEnd(big);
      expect(same(await src.read("model.safetensors", begin, begin + 64), big.subarray(begin, begin + 64))).toBe(true);
      const replacement = model(1 << 20, 99);
      s.replaceFile("org/m", "model.safetensors", replacement);
      expect(s.shaOf("org/m")).not.toBe(pinned);
      // The old signed URL now 404s (the blob is gone), so the read resolves again and sees the new ETag.
      const e = await catchErr(src.read("model.safetensors", begin, begin + 64));
      expect(e).toBeInstanceOf(FetchError);
      expect(e.message).toMatch(
        /^org\/m: the repo changed while it was being read \(file model\.safetensors: etag "[0-9a-f]{64}" then "[0-9a-f]{64}"\); re-run to check one revision$/,
      );
    } finally {
      await s.close();
    }
  });

  it("a changed X-Repo-Commit is reported even when the file itself is unchanged", async () => {
    const s = await startHubServer({ repos: { "org/m": { files: { "model.safetensors": big, "config.json": "{}" } } } });
    try {
      const src = hub("org/m", { token: null }, s);
      const pinned = (await src.list()).revision!;
      s.replaceFile("org/m", "config.json", '{"changed": true}');
      // Force a fresh resolve through the Hub (as an expired signed URL would).
      s.faults.next(CDN, [{ status: 403, body: "<Error><Code>AccessDenied</Code></Error>" }], cdn);
      const e = await catchErr(src.read("model.safetensors", 8, 16));
      expect(e).toBeInstanceOf(FetchError);
      expect(e.message).toBe(
        `org/m: the repo changed while it was being read (file model.safetensors: commit ${pinned} then ${s.shaOf("org/m")}); re-run to check one revision`,
      );
    } finally {
      await s.close();
    }
  });
});
