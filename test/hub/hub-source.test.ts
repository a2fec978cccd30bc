import { inActionTerms } from "../../src/action.js";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuthError, FetchError, FormatError, UsageError } from "../../src/common/errors.js";
import { encodeFloats } from "../../src/safetensors/dtypes.js";
import { serializeSafetensors, type TensorBytes } from "../../src/safetensors/writer.js";
import { HubApiError } from "@huggingface/hub";
import { checkEndpoint } from "../../src/sources/endpoint.js";
import { mapHubThrown } from "../../src/sources/hub-errors.js";
import { makeHubFetch } from "../../src/sources/hub-fetch.js";
import { parseRetryAfter } from "../../src/sources/http-body.js";
import { HubSource } from "../../src/sources/hub.js";
import { LocalSource } from "../../src/sources/local.js";
import { createSource, parseSource } from "../../src/sources/parse-source.js";
import type { Logger } from "../../src/sources/types.js";
import { startHubServer, type HubServer } from "./server.js";
import { tempDirSync } from "../helpers/temp.js";

function floats(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(seed * 1000 + i) * 0.5;
  return a;
}

function t(name: string, dtype: "F32" | "F16" | "BF16", shape: number[], seed: number): TensorBytes {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, dtype, shape, data: encodeFloats(dtype, floats(n, seed)) };
}

// Single-file model.
const single = serializeSafetensors(
  [t("embed.weight", "F32", [16, 8], 1), t("layer.0.w", "F16", [8, 8], 2), t("layer.0.b", "BF16", [8], 3), t("norm", "F32", [8], 4)],
  { format: "pt" },
);
const config = JSON.stringify({ architectures: ["TinyForCausalLM"], hidden_size: 8, num_hidden_layers: 2 });

// Two-shard model with an index.
const shard1 = serializeSafetensors([t("model.embed", "F32", [32, 4], 5), t("model.layers.0.w", "BF16", [4, 4], 6)]);
const shard2 = serializeSafetensors([t("model.layers.1.w", "F16", [4, 4], 7), t("lm_head", "F32", [32, 4], 8)]);
const S1 = "model-00001-of-00002.safetensors";
const S2 = "model-00002-of-00002.safetensors";
const index = JSON.stringify({
  metadata: { total_size: shard1.length + shard2.length },
  weight_map: { "model.embed": S1, "model.layers.0.w": S1, "model.layers.1.w": S2, lm_head: S2 },
});

// A shard whose header length runs past the end of the file.
const badShard = new Uint8Array(shard2);
new DataView(badShard.buffer).setBigUint64(0, BigInt(badShard.length + 100), true);

const SHA_A = "a".repeat(40);
const INDEX = "model.safetensors.index.json";

let server: HubServer;
let tmp: string;
const fast = { maxAttempts: 4, retryBaseMs: 1 };

beforeAll(async () => {
  server = await startHubServer({
    token: "hf_test",
    repos: {
      "org/single": { files: { "model.safetensors": single, "config.json": config, "README.md": "# tiny" }, sha: SHA_A, license: "apache-2.0", branches: { dev: "b".repeat(40) } },
      "org/sharded": { files: { [INDEX]: index, [S1]: shard1, [S2]: shard2, "config.json": config }, license: "mit" },
      "org/gated": { files: { "model.safetensors": single, "config.json": config }, gated: true, license: "llama3" },
      "org/private": { files: { "model.safetensors": single }, private: true },
      "org/pickle": { files: { "pytorch_model.bin": new Uint8Array([0x80, 2, 3]), "config.json": config } },
      "org/bad-shard": { files: { [INDEX]: index, [S1]: shard1, [S2]: badShard } },
      "org/missing-shard": { files: { [INDEX]: index, [S1]: shard1 } },
      "org/nolicence": { files: { "model.safetensors": single } },
    },
  });
  tmp = tempDirSync("hub");
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  server.faults.clear();
});

function hub(repo: string, extra: Partial<ConstructorParameters<typeof HubSource>[0]> = {}): HubSource {
  return new HubSource({ source: repo, repo, revision: null, endpoint: server.url, token: null, ...fast, ...extra });
}

function since(n: number) {
  return server.requests.slice(n);
}

async function catchErr(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe("HubSource listing", () => {
  it("pins the revision to the commit sha and returns the licence", async () => {
    const n = server.requests.length;
    const src = hub("org/single");
    const listing = await src.list();
    expect(listing.revision).toBe(SHA_A);
    expect(listing.license).toBe("apache-2.0");
    expect(listing.source).toBe("org/single");
    expect(listing.files).toEqual(["model.safetensors"]);
    // Only the weights' headers are read: config.json, README.md are never fetched.
    expect(since(n).some((r) => /config\.json|README/.test(r.url))).toBe(false);
    const reqs = since(n).filter((r) => r.origin === "hub");
    // modelInfo asks for HEAD (default branch) with the expand fields; everything after uses the sha.
    expect(reqs[0]!.url).toMatch(/^\/api\/models\/org\/single\/revision\/HEAD\?.*expand=sha.*expand=cardData/);
    for (const r of reqs.slice(1)) expect(r.url).toContain(SHA_A);
    expect(reqs.some((r) => r.url.startsWith(`/api/models/org/single/tree/${SHA_A}`))).toBe(true);
  });

  it("resolves a named branch to its sha", async () => {
    // The "dev" branch is pinned to bbbb…; the server serves the same files for it.
    const src = new HubSource({ source: "org/single@dev", repo: "org/single", revision: "dev", endpoint: server.url, token: null, ...fast });
    const listing = await src.list();
    expect(listing.revision).toBe("b".repeat(40));
  });

  it("lists a single-file model exactly as the local source does", async () => {
    const dir = path.join(tmp, "single");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "model.safetensors"), single);
    writeFileSync(path.join(dir, "config.json"), config);
    const local = await new LocalSource(dir).list();
    const src = hub("org/single");
    const remote = await src.list();
    expect(remote.tensors).toEqual(local.tensors);
    expect(remote.files).toEqual(local.files);
    // Headers only, on both sides (config.json is not read).
    expect(remote.headerBytes).toBe(local.headerBytes);
    expect(src.bytesRead).toBe(remote.headerBytes);
  });

  it("lists a sharded model exactly as the local source does, reading only headers", async () => {
    const dir = path.join(tmp, "sharded");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, INDEX), index);
    writeFileSync(path.join(dir, S1), shard1);
    writeFileSync(path.join(dir, S2), shard2);
    const local = await new LocalSource(dir).list();
    const n = server.requests.length;
    const src = hub("org/sharded");
    const remote = await src.list();
    expect(remote.license).toBe("mit");
    expect(remote.tensors).toEqual(local.tensors);
    expect(remote.files).toEqual([S1, S2]);
    expect(remote.headerBytes).toBe(local.headerBytes);
    // Shards: exactly two ranged reads each (8-byte prefix, then the JSON header), via the CDN.
    const cdn = since(n).filter((r) => r.origin === "cdn");
    expect(cdn).toHaveLength(4);
    for (const r of cdn) {
      expect(r.status).toBe(206);
      expect(r.range).toMatch(/^bytes=\d+-\d+$/);
    }
    expect(cdn.filter((r) => r.range === "bytes=0-7")).toHaveLength(2);
    const served = cdn.reduce((a, r) => a + r.bytes, 0);
    expect(served).toBe(local.headerBytes - index.length);
  });

  it("follows a paginated tree listing", async () => {
    const paged = await startHubServer({ treePageSize: 1, repos: { "org/sharded": { files: { [INDEX]: index, [S1]: shard1, [S2]: shard2 } } } });
    try {
      const src = new HubSource({ source: "org/sharded", repo: "org/sharded", revision: null, endpoint: paged.url, token: null, ...fast });
      const listing = await src.list();
      expect(listing.tensors).toHaveLength(4);
      expect(paged.requests.filter((r) => r.url.includes("/tree/")).length).toBe(3);
    } finally {
      await paged.close();
    }
  });

  it("returns a null licence when the card has none", async () => {
    expect((await hub("org/nolicence").list()).license).toBeNull();
  });

  it("refuses pickle-only repos without downloading them", async () => {
    const n = server.requests.length;
    const e = await catchErr(hub("org/pickle").list());
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toMatch(/pytorch_model\.bin/);
    expect((e as Error).message).toMatch(/only reads safetensors/);
    expect((e as Error).message).toMatch(/never unpickled/);
    expect(since(n).some((r) => r.url.includes("pytorch_model.bin"))).toBe(false);
  });

  it("reports a malformed remote shard header as a FormatError naming the file", async () => {
    const e = await catchErr(hub("org/bad-shard").list());
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).file).toContain(S2);
    expect((e as FormatError).file).toContain("org/bad-shard@");
    expect((e as Error).message).toMatch(/runs past the end/);
  });

  it("lists a repo whose config.json is not valid JSON (the config is never read)", async () => {
    const bad = await startHubServer({ repos: { "org/badcfg": { files: { "model.safetensors": single, "config.json": "{nope" } } } });
    try {
      const src = new HubSource({ source: "org/badcfg", repo: "org/badcfg", revision: null, endpoint: bad.url, token: null, ...fast });
      const listing = await src.list();
      expect(listing.files).toEqual(["model.safetensors"]);
      expect(bad.requests.some((r) => r.url.includes("config.json"))).toBe(false);
    } finally {
      await bad.close();
    }
  });

  it("reports a shard the index lists but the repo lacks", async () => {
    const e = await catchErr(hub("org/missing-shard").list());
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toContain(S2);
  });
});

describe("HubSource.read", () => {
  it("returns exact bytes through the CDN redirect with one Range request", async () => {
    const src = hub("org/single");
    let n = server.requests.length;
    const listing = await src.list();
    // The first ranged read resolves on the Hub (302, pinned sha) and is served by the CDN (206);
    // the Range header travels with the redirect.
    const first = since(n).filter((r) => r.url.includes("model.safetensors") || r.origin === "cdn");
    expect(first.slice(0, 2).map((r) => [r.origin, r.status, r.range])).toEqual([
      ["hub", 302, "bytes=0-7"],
      ["cdn", 206, "bytes=0-7"],
    ]);
    expect(first[0]!.url).toBe(`/org/single/resolve/${SHA_A}/model.safetensors`);
    expect(first[1]!.url).toMatch(/^\/repos\/[0-9a-f]{64}\/model\.safetensors\?expires=\d+&sig=[0-9a-f]+$/);

    const before = src.bytesRead;
    n = server.requests.length;
    const tensor = listing.tensors.find((x) => x.name === "layer.0.w")!;
    const got = await src.read(tensor.file, tensor.begin, tensor.end);
    expect(Buffer.from(got).equals(Buffer.from(single.subarray(tensor.begin, tensor.end)))).toBe(true);
    expect(src.bytesRead).toBe(before + (tensor.end - tensor.begin));
    // One request: the signed CDN URL from the redirect is reused while fresh.
    const reqs = since(n);
    expect(reqs.map((r) => [r.origin, r.status, r.range])).toEqual([["cdn", 206, `bytes=${tensor.begin}-${tensor.end - 1}`]]);
    expect(reqs[0]!.bytes).toBe(tensor.end - tensor.begin);
  });

  it("reads every tensor identically to the local source", async () => {
    const src = hub("org/sharded");
    const listing = await src.list();
    const local = new LocalSource(path.join(tmp, "sharded"));
    await local.list();
    for (const x of listing.tensors) {
      const a = await src.read(x.file, x.begin, x.end);
      const b = await local.read(x.file, x.begin, x.end);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    }
    // The whole last shard, and an empty range (no request).
    const whole = await src.read(S2, 0, shard2.length);
    expect(Buffer.from(whole).equals(Buffer.from(shard2))).toBe(true);
    const n = server.requests.length;
    expect((await src.read(S2, 5, 5)).length).toBe(0);
    expect(server.requests.length).toBe(n);
    await local.close();
  });

  it("reuses the signed CDN URL, and resolves again when the CDN refuses it", async () => {
    const src = hub("org/single");
    await src.list();
    await src.read("model.safetensors", 8, 16);
    let n = server.requests.length;
    await src.read("model.safetensors", 16, 32);
    expect(since(n).map((r) => r.origin)).toEqual(["cdn"]);
    server.faults.next(/^\/repos\//, [{ status: 403, body: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>" }], { origin: "cdn" });
    n = server.requests.length;
    const got = await src.read("model.safetensors", 32, 40);
    expect(Buffer.from(got).equals(Buffer.from(single.subarray(32, 40)))).toBe(true);
    expect(since(n).map((r) => [r.origin, r.status])).toEqual([
      ["cdn", 403],
      ["hub", 302],
      ["cdn", 206],
    ]);
  });

  it("reads exact bytes from a server that ignores Range (200 with the whole file), warning once per file", async () => {
    const warnings: string[] = [];
    const src = hub("org/single", { logger: { info() {}, warn: (m) => warnings.push(m) } });
    await src.list();
    server.faults.always(/^\/repos\//, { ignoreRange: true }, { origin: "cdn" });
    const before = src.bytesRead;
    const got = await src.read("model.safetensors", 8, 16);
    expect(Buffer.from(got).equals(Buffer.from(single.subarray(8, 16)))).toBe(true);
    const got2 = await src.read("model.safetensors", 40, 72);
    expect(Buffer.from(got2).equals(Buffer.from(single.subarray(40, 72)))).toBe(true);
    // The bytes before each range were received too, and count.
    expect(src.bytesRead - before).toBeGreaterThanOrEqual(16 + 72);
    expect(warnings.filter((w) => /ignores Range requests/.test(w))).toHaveLength(1);
    expect(warnings[0]).toContain("model.safetensors");
  });

  it("reads headers from a server that ignores Range", async () => {
    server.faults.always(/^\/repos\//, { ignoreRange: true }, { origin: "cdn" });
    const warnings: string[] = [];
    const listing = await hub("org/single", { logger: { info() {}, warn: (m) => warnings.push(m) } }).list();
    expect(listing.tensors).toHaveLength(4);
    expect(warnings.filter((w) => /ignores Range requests/.test(w))).toHaveLength(1);
  });

  it("resumes a short body from the last byte received", async () => {
    const src = hub("org/single");
    await src.list();
    server.faults.next(/^\/repos\//, [{ truncate: 3 }], { origin: "cdn" });
    const n = server.requests.length;
    const got = await src.read("model.safetensors", 8, 16);
    expect(Buffer.from(got).equals(Buffer.from(single.subarray(8, 16)))).toBe(true);
    const ranges = since(n).filter((r) => r.origin === "cdn").map((r) => r.range);
    expect(ranges).toEqual(["bytes=8-15", "bytes=11-15"]);
  });

  it("rejects out-of-file ranges and unknown files", async () => {
    const src = hub("org/single");
    await src.list();
    await expect(src.read("model.safetensors", 0, single.length + 1)).rejects.toThrow(RangeError);
    await expect(src.read("nope.safetensors", 0, 1)).rejects.toBeInstanceOf(FetchError);
  });
});

describe("auth", () => {
  it("sends the token to the Hub origin only, never to the CDN", async () => {
    const n = server.requests.length;
    const src = hub("org/gated", { token: "hf_test" });
    const listing = await src.list();
    expect(listing.license).toBe("llama3");
    const x = listing.tensors[0]!;
    await src.read(x.file, x.begin, x.end);
    const reqs = since(n);
    const hubReqs = reqs.filter((r) => r.origin === "hub");
    const cdnReqs = reqs.filter((r) => r.origin === "cdn");
    expect(hubReqs.length).toBeGreaterThan(0);
    expect(cdnReqs.length).toBeGreaterThan(0);
    expect(hubReqs.every((r) => r.authorization)).toBe(true);
    expect(cdnReqs.every((r) => !r.authorization)).toBe(true);
  });

  it("works with a token lacking the hf_ prefix (the library is never given it)", async () => {
    const other = await startHubServer({ token: "plain-token-123", repos: { "org/gated": { files: { "model.safetensors": single }, gated: true } } });
    try {
      const src = new HubSource({ source: "org/gated", repo: "org/gated", revision: null, endpoint: other.url, token: "plain-token-123", ...fast });
      expect((await src.list()).tensors).toHaveLength(4);
    } finally {
      await other.close();
    }
  });

  it("strips Authorization on a cross-origin request even if the caller set it", async () => {
    const f = makeHubFetch({ endpoint: server.url, token: "hf_test", retryBaseMs: 1 });
    const src = hub("org/single");
    await src.list();
    const n = server.requests.length;
    const res = await f(`${server.url}/org/single/resolve/${SHA_A}/model.safetensors`, {
      headers: { Authorization: "Bearer hf_test", Range: "bytes=0-7" },
    });
    expect(res.status).toBe(206);
    await res.arrayBuffer();
    const reqs = since(n);
    expect(reqs.map((r) => [r.origin, r.authorization])).toEqual([
      ["hub", true],
      ["cdn", false],
    ]);
  });

  it("gated repo without a token: AuthError telling how to get access", async () => {
    const e = await catchErr(hub("org/gated").list());
    expect(e).toBeInstanceOf(AuthError);
    const msg = (e as Error).message;
    expect((e as AuthError).status).toBe(401);
    expect(msg).toContain("org/gated: access denied (HTTP 401");
    expect(msg).toContain("Access to model org/gated is restricted");
    expect(msg).toMatch(/accept its licence on http:\/\/127\.0\.0\.1:\d+\/org\/gated/);
    expect(msg).toMatch(/--token or HF_TOKEN/);
    // The Action words the same advice with its input.
    expect(inActionTerms(msg)).toContain("pass a token (input `hf-token` or HF_TOKEN)");
  });

  it("gated repo with a wrong token: AuthError 403, and the token is never printed", async () => {
    const e = await catchErr(hub("org/gated", { token: "hf_wrong_secret" }).list());
    expect(e).toBeInstanceOf(AuthError);
    expect((e as AuthError).status).toBe(403);
    expect((e as Error).message).toContain("not in the authorized list");
    expect((e as Error).message).not.toContain("hf_wrong_secret");
  });

  it("private repo: not found without a token, readable with it", async () => {
    const e = await catchErr(hub("org/private").list());
    expect(e).toBeInstanceOf(FetchError);
    expect((e as Error).message).toMatch(/not found/);
    expect((e as Error).message).toMatch(/pass a token/);
    const listing = await hub("org/private", { token: "hf_test" }).list();
    expect(listing.tensors).toHaveLength(4);
  });
});

describe("not found", () => {
  it("missing repo: FetchError mentioning not found", async () => {
    for (const token of [null, "hf_test"]) {
      const e = await catchErr(hub("org/does-not-exist", { token }).list());
      expect(e).toBeInstanceOf(FetchError);
      expect((e as Error).message).toMatch(/org\/does-not-exist: repository not found/);
      expect((e as Error).message).toContain("RepoNotFound");
    }
  });

  it("missing revision: FetchError naming the revision", async () => {
    const src = new HubSource({ source: "org/single@nope", repo: "org/single", revision: "nope", endpoint: server.url, token: null, ...fast });
    const e = await catchErr(src.list());
    expect(e).toBeInstanceOf(FetchError);
    expect((e as FetchError).status).toBe(404);
    expect((e as Error).message).toMatch(/revision "nope" not found/);
  });

  it("the repo root holds no model: FormatError", async () => {
    const empty = await startHubServer({ repos: { "org/empty": { files: { "README.md": "hi" } } } });
    try {
      const src = new HubSource({ source: "org/empty", repo: "org/empty", revision: null, endpoint: empty.url, token: null, ...fast });
      await expect(src.list()).rejects.toThrow(/^org\/empty@[0-9a-f]{40}: holds no model\.safetensors or model\.safetensors\.index\.json; it has: README\.md$/);
    } finally {
      await empty.close();
    }
  });
});

describe("retries", () => {
  it("429 with Retry-After, then success", async () => {
    const warnings: string[] = [];
    const logger: Logger = { info() {}, warn: (m) => warnings.push(m) };
    server.faults.next(/^\/api\/models\/org\/single\/revision\//, [{ status: 429, retryAfter: 0 }, { status: 429, retryAfter: 0 }]);
    const n = server.requests.length;
    const listing = await hub("org/single", { logger }).list();
    expect(listing.revision).toBe(SHA_A);
    const info = since(n).filter((r) => r.url.includes("/revision/"));
    expect(info.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(warnings.some((w) => w.includes("HTTP 429"))).toBe(true);
  });

  it("retries 5xx and dropped connections on the CDN too", async () => {
    const src = hub("org/single");
    await src.list();
    server.faults.next(/^\/repos\//, [{ status: 502 }, { reset: true }], { origin: "cdn" });
    const got = await src.read("model.safetensors", 8, 24);
    expect(Buffer.from(got).equals(Buffer.from(single.subarray(8, 24)))).toBe(true);
  });

  it("persistent 503: FetchError after the bounded number of attempts", async () => {
    server.faults.always(/^\/api\/models\/org\/single\/revision\//, { status: 503, body: "upstream unavailable" });
    const n = server.requests.length;
    const e = await catchErr(hub("org/single", { maxAttempts: 3 }).list());
    expect(e).toBeInstanceOf(FetchError);
    expect((e as FetchError).status).toBe(503);
    expect((e as Error).message).toMatch(/HTTP 503 .*upstream unavailable.* after 3 attempts/);
    expect(since(n).length).toBe(3);
  });

  it("persistent network failure: FetchError", async () => {
    const e = await catchErr(
      new HubSource({ source: "org/x", repo: "org/x", revision: null, endpoint: "http://127.0.0.1:1", token: null, maxAttempts: 2, retryBaseMs: 1 }).list(),
    );
    expect(e).toBeInstanceOf(FetchError);
    expect((e as Error).message).toMatch(/network error .* after 2 attempts/);
  });

  it("stops after 5 redirects", async () => {
    server.faults.always(/^\/loop/, { status: 302, headers: { location: "/loop" } });
    const f = makeHubFetch({ endpoint: server.url, token: null, retryBaseMs: 1 });
    await expect(f(`${server.url}/loop`)).rejects.toThrow(/too many redirects/);
  });

  it("waits Retry-After when given, else exponential backoff, capped", async () => {
    const waits: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      waits.push(ms);
    };
    // A retry budget beyond the hour asked for: the long Retry-After is capped at maxDelayMs, not refused.
    const f = makeHubFetch({ endpoint: server.url, token: null, retryBaseMs: 100, maxAttempts: 5, maxDelayMs: 5000, maxRetryMs: 2 * 3600_000, sleep });
    server.faults.next(/^\/api\/models\/org\/single\/tree\//, [
      { status: 429, retryAfter: 2 },
      { status: 500 },
      { status: 503 },
      { status: 429, retryAfter: 3600 },
    ]);
    const res = await f(`${server.url}/api/models/org/single/tree/main`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(waits).toEqual([2000, 200, 400, 5000]);
  });

  it("maps errors thrown by @huggingface/hub", () => {
    const ctx = { endpoint: "https://huggingface.co", repo: "org/x", revision: null, tokenSent: false, attempts: 4 };
    const e404 = new HubApiError("https://huggingface.co/api/models/org/x", 404);
    e404.message = "Repository not found. URL: https://huggingface.co/api/models/org/x";
    const m404 = mapHubThrown(e404, ctx);
    expect(m404).toBeInstanceOf(FetchError);
    expect(m404.message).toBe("org/x: repository not found on https://huggingface.co (HTTP 404: Repository not found). Check the name (org/name); a private repo also needs a token.");
    const m403 = mapHubThrown(new HubApiError("u", 403, undefined, "Forbidden"), ctx);
    expect(m403).toBeInstanceOf(AuthError);
    expect(m403.message).toContain("accept its licence on https://huggingface.co/org/x");
    expect(mapHubThrown(new TypeError("bad json"), ctx)).toBeInstanceOf(FetchError);
  });

  it("parses Retry-After as seconds or a date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});

describe("endpoint", () => {
  it("requires https off loopback", () => {
    expect(() => hub("org/single", { endpoint: "http://example.com" })).toThrow(UsageError);
    expect(() => checkEndpoint("http://10.0.0.1:8080")).toThrow(/only https/);
    expect(() => checkEndpoint("ftp://huggingface.co")).toThrow(UsageError);
    expect(() => checkEndpoint("not a url")).toThrow(UsageError);
    expect(() => checkEndpoint("https://user:pw@huggingface.co")).toThrow(UsageError);
    expect(checkEndpoint("https://huggingface.co/")).toBe("https://huggingface.co");
    expect(checkEndpoint("https://hf-mirror.example/hub/")).toBe("https://hf-mirror.example/hub");
    expect(checkEndpoint("http://localhost:8080")).toBe("http://localhost:8080");
    expect(checkEndpoint("http://127.1.2.3")).toBe("http://127.1.2.3");
    expect(checkEndpoint("http://[::1]:9000")).toBe("http://[::1]:9000");
  });

  it("rejects malformed repo ids", () => {
    expect(() => hub("org/../x")).toThrow(UsageError);
    expect(() => hub("justname")).toThrow(UsageError);
  });
});

describe("parseSource / createSource", () => {
  it("hf:// is always the Hub", () => {
    expect(parseSource("hf://org/name")).toEqual({ kind: "hub", repo: "org/name", revision: null, missingLocalPath: null });
    expect(parseSource("hf://org/name@v1.0")).toEqual({ kind: "hub", repo: "org/name", revision: "v1.0", missingLocalPath: null });
    expect(parseSource("hf://org/name@refs/pr/1")).toEqual({ kind: "hub", repo: "org/name", revision: "refs/pr/1", missingLocalPath: null });
    expect(() => parseSource("hf://name")).toThrow(UsageError);
    expect(() => parseSource("hf://a/b/c")).toThrow(UsageError);
  });

  it("bare org/name[@rev] is the Hub", () => {
    expect(parseSource("meta-llama/Llama-3.1-8B")).toEqual({ kind: "hub", repo: "meta-llama/Llama-3.1-8B", revision: null, missingLocalPath: "meta-llama/Llama-3.1-8B" });
    expect(parseSource("Qwen/Qwen2.5-0.5B@main")).toEqual({ kind: "hub", repo: "Qwen/Qwen2.5-0.5B", revision: "main", missingLocalPath: "Qwen/Qwen2.5-0.5B@main" });
    expect(parseSource("org/name@0123456789abcdef0123456789abcdef01234567")).toMatchObject({ revision: "0123456789abcdef0123456789abcdef01234567" });
  });

  it("paths are local", () => {
    expect(parseSource("/abs/model")).toEqual({ kind: "local", path: "/abs/model" });
    expect(parseSource("./model")).toEqual({ kind: "local", path: "./model" });
    expect(parseSource("../model")).toEqual({ kind: "local", path: "../model" });
    expect(parseSource("weights.safetensors")).toEqual({ kind: "local", path: "weights.safetensors" });
    expect(parseSource("dir/weights.safetensors")).toEqual({ kind: "local", path: "dir/weights.safetensors" });
    expect(parseSource("~/models/x").kind).toBe("local");
    expect(parseSource("~/models/x")).not.toEqual({ kind: "local", path: "~/models/x" });
    expect(parseSource(tmp)).toEqual({ kind: "local", path: tmp });
    expect(parseSource("file:///abs/m")).toEqual({ kind: "local", path: "/abs/m" });
  });

  it("an existing relative path wins over the Hub reading", () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      expect(parseSource("sharded")).toEqual({ kind: "local", path: "sharded" });
      mkdirSync(path.join(tmp, "org", "name"), { recursive: true });
      expect(parseSource("org/name")).toEqual({ kind: "local", path: "org/name" });
    } finally {
      process.chdir(cwd);
    }
  });

  it("rejects anything else with a UsageError", () => {
    for (const s of ["", "justaname", "a/b/c", "org/name@", "org/na me", "org/name@a//b", "org/name@..", "org/.."]) {
      expect(() => parseSource(s), s).toThrow(UsageError);
    }
    expect(() => parseSource("justaname")).toThrow(/neither an existing local path nor a Hugging Face repo id/);
  });

  it("createSource builds the right source", () => {
    expect(createSource("./x", { endpoint: server.url, token: null })).toBeInstanceOf(LocalSource);
    const h = createSource("org/single@dev", { endpoint: server.url, token: null });
    expect(h).toBeInstanceOf(HubSource);
    expect(h.source).toBe("org/single@dev");
    expect(() => createSource("org/single", { endpoint: "http://huggingface.co", token: null })).toThrow(UsageError);
  });
});
