/**
 * Property tests of the strict reader (fast-check, bounded): arbitrary input
 * either fails with a FormatError or yields a header that satisfies every
 * invariant; valid files always parse and round-trip; shard indexes only ever
 * yield shard names that stay inside the model.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FormatError } from "../src/common/errors.js";
import { DTYPE_BITS } from "../src/safetensors/dtypes.js";
import { type ParsedHeader, parseHeader, readHeaderLength } from "../src/safetensors/header.js";
import { findDuplicateKey } from "../src/safetensors/json-keys.js";
import { checkShardName, parseShardIndex } from "../src/safetensors/shard-index.js";
import { serializeSafetensors } from "../src/safetensors/writer.js";

const F = "fuzz/model.safetensors";
const RUNS = 300;
const DTYPES = Object.keys(DTYPE_BITS);
const enc = (s: string) => new TextEncoder().encode(s);
/**
 * Every input here is a few KB, which a linear parser reads in well under a millisecond: this bound
 * catches a parse that runs away (a loop on a crafted header), not a slow or loaded machine.
 */
const MAX_MS = 10_000;

/** Run `fn`; it must return or throw a FormatError naming F, and finish quickly. */
function onlyFormatError<T>(fn: () => T, file = F): T | null {
  const t0 = performance.now();
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof FormatError)) throw new Error(`threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
    if (e.file !== file || !e.message.startsWith(file)) throw new Error(`error does not name the file: ${e.message}`);
    return null;
  } finally {
    const ms = performance.now() - t0;
    if (ms > MAX_MS) throw new Error(`took ${ms.toFixed(0)} ms`);
  }
}

/** Everything a successful parse promises. */
function checkInvariants(h: ParsedHeader, headerBytes: number, fileSize: number): void {
  expect(h.dataStart).toBe(8 + headerBytes);
  const names = new Set<string>();
  for (const t of h.tensors) {
    expect(t.name).not.toBe("__metadata__");
    expect(names.has(t.name)).toBe(false);
    names.add(t.name);
    expect(t.file).toBe(F);
    expect(Object.hasOwn(DTYPE_BITS, t.dtype)).toBe(true);
    for (const d of t.shape) expect(Number.isSafeInteger(d) && d >= 0).toBe(true);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    expect(Number.isSafeInteger(numel)).toBe(true);
    expect((numel * DTYPE_BITS[t.dtype]!) % 8).toBe(0);
    expect(t.end - t.begin).toBe((numel * DTYPE_BITS[t.dtype]!) / 8);
    expect(t.begin).toBeGreaterThanOrEqual(h.dataStart);
    expect(t.end).toBeLessThanOrEqual(fileSize);
  }
  // Contiguous cover of the data buffer, from dataStart to the end of the file.
  const sorted = [...h.tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = h.dataStart;
  for (const t of sorted) {
    expect(t.begin).toBe(cursor);
    cursor = t.end;
  }
  expect(cursor).toBe(fileSize);
  if (h.metadata !== null) {
    for (const v of Object.values(h.metadata)) expect(typeof v).toBe("string");
  }
}

/** Parse; check the invariants on success. Returns whether it parsed. */
function parseChecked(json: Uint8Array, fileSize: number): boolean {
  const h = onlyFormatError(() => parseHeader(F, json, fileSize));
  if (h) checkInvariants(h, json.length, fileSize);
  return h !== null;
}

/** A whole file through readHeaderLength + parseHeader, as the sources read it. */
function parseFileChecked(file: Uint8Array): boolean {
  const h = onlyFormatError(() => {
    const n = readHeaderLength(F, file.subarray(0, 8), file.length);
    expect(8 + n).toBeLessThanOrEqual(file.length);
    return { n, h: parseHeader(F, file.subarray(8, 8 + n), file.length) };
  });
  if (h) checkInvariants(h.h, h.n, file.length);
  return h !== null;
}

// ---------------------------------------------------------------- generators

/** JSON object text from entries, keeping keys like "__proto__" and duplicates as written. */
function objectText(entries: [string, unknown][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
}

const nameArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 10 }) },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "a.b.c", "x", "w", "é", "𝔘") },
);

interface GenTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** A valid tensor: any spec dtype, a shape with a whole number of bytes, deterministic data. */
const tensorArb = (name: string) =>
  fc.record({ dtype: fc.constantFrom(...DTYPES), shape: fc.array(fc.nat(5), { maxLength: 3 }), fill: fc.nat(255) }).map(({ dtype, shape, fill }): GenTensor => {
    const bits = DTYPE_BITS[dtype]!;
    let s = shape;
    if ((s.reduce((a, b) => a * b, 1) * bits) % 8 !== 0) s = [...s, 8];
    const bytes = (s.reduce((a, b) => a * b, 1) * bits) / 8;
    return { name, dtype, shape: s, data: new Uint8Array(bytes).map((_, i) => (fill + i * 13) & 0xff) };
  });

const modelArb = fc
  .uniqueArray(nameArb.filter((n) => n !== "__metadata__"), { maxLength: 6 })
  .chain((names) => (names.length ? fc.tuple(...names.map(tensorArb)) : fc.constant([] as GenTensor[])));

const metadataArb = fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ unit: "binary", maxLength: 8 }), { maxKeys: 3 }), { nil: null });

/** A permutation of 0..n-1 from a seed (Fisher-Yates with a small LCG). */
function permutation(n: number, seed: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

interface Layout {
  header: string;
  data: Uint8Array;
  /** name -> [begin, end) relative to the data buffer */
  spans: Map<string, [number, number]>;
}

/** Lay tensors out with the data in one order and the header keys in another, metadata anywhere, spaces after. */
function layout(tensors: GenTensor[], metadata: Record<string, string> | null, dataSeed: number, keySeed: number, spaces: number): Layout {
  const order = permutation(tensors.length, dataSeed);
  const spans = new Map<string, [number, number]>();
  const data = new Uint8Array(tensors.reduce((s, t) => s + t.data.length, 0));
  let o = 0;
  for (const i of order) {
    const t = tensors[i]!;
    data.set(t.data, o);
    spans.set(t.name, [o, o + t.data.length]);
    o += t.data.length;
  }
  const entries: [string, unknown][] = tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data_offsets: spans.get(t.name) }]);
  if (metadata) entries.push(["__metadata__", metadata]);
  const keyOrder = permutation(entries.length, keySeed);
  return { header: objectText(keyOrder.map((i) => entries[i]!)) + " ".repeat(spaces), data, spans };
}

function fileOf(header: string | Uint8Array, data: Uint8Array): Uint8Array {
  const h = typeof header === "string" ? enc(header) : header;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

// ---------------------------------------------------------------- (a) arbitrary input

describe("(a) parseHeader on arbitrary input: FormatError or a header that keeps every invariant", () => {
  it("arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(64), (json, extra) => {
        parseChecked(json, 8 + json.length + extra);
      }),
      { numRuns: RUNS },
    );
  });

  it("arbitrary bytes after a '{'", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(64), (tail, extra) => {
        const json = new Uint8Array([0x7b, ...tail]);
        parseChecked(json, 8 + json.length + extra);
      }),
      { numRuns: RUNS },
    );
  });

  it("arbitrary JSON values and text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string({ unit: "binary", maxLength: 64 })), fc.nat(64), (text, extra) => {
        const json = enc(text);
        parseChecked(json, 8 + json.length + extra);
      }),
      { numRuns: RUNS },
    );
  });

  // Headers shaped like safetensors with every field drawn from valid and invalid values.
  const dimArb = fc.oneof(
    { weight: 8, arbitrary: fc.nat(6) },
    { weight: 1, arbitrary: fc.constantFrom(-1, -0, 0.5, 2 ** 31, 2 ** 53, 1e300, "2", null, true) },
  );
  const dtypeArb = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...DTYPES) },
    { weight: 1, arbitrary: fc.constantFrom("F17", "f32", "", "constructor", "__proto__", "toString", 32, null) },
  );
  const offsetArb = fc.oneof({ weight: 8, arbitrary: fc.nat(48) }, { weight: 1, arbitrary: fc.constantFrom(-4, 1.5, "8", null, 2 ** 60) });
  // "auto": contiguous offsets sized from dtype and shape, so that some headers are valid.
  const offsetsArb = fc.oneof(
    { weight: 8, arbitrary: fc.constant("auto") },
    { weight: 4, arbitrary: fc.tuple(offsetArb, offsetArb) },
    { weight: 1, arbitrary: fc.array(offsetArb, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );
  const entryArb = fc.oneof(
    { weight: 8, arbitrary: fc.record({ dtype: dtypeArb, shape: fc.array(dimArb, { maxLength: 3 }), data_offsets: offsetsArb }, { requiredKeys: ["dtype", "shape", "data_offsets"] }) },
    { weight: 1, arbitrary: fc.record({ dtype: dtypeArb, shape: fc.array(dimArb, { maxLength: 3 }), data_offsets: offsetsArb }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
  const metaValueArb = fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })), { maxKeys: 3 }), fc.jsonValue({ maxDepth: 1 }));
  const headerArb = fc.array(
    fc.oneof({ weight: 6, arbitrary: fc.tuple(nameArb, entryArb) }, { weight: 1, arbitrary: fc.tuple(fc.constant("__metadata__"), metaValueArb) }),
    { maxLength: 5 },
  );

  /** Replace "auto" offsets by contiguous spans sized from dtype x shape (where those make sense). */
  function resolveAuto(entries: [string, unknown][]): { entries: [string, unknown][]; total: number } {
    let o = 0;
    const out = entries.map(([k, v]): [string, unknown] => {
      if (typeof v !== "object" || v === null || Array.isArray(v) || (v as { data_offsets?: unknown }).data_offsets !== "auto") return [k, v];
      const e = v as { dtype?: unknown; shape?: unknown };
      const bits = typeof e.dtype === "string" && Object.hasOwn(DTYPE_BITS, e.dtype) ? DTYPE_BITS[e.dtype]! : 8;
      const dims = Array.isArray(e.shape) ? e.shape.filter((d): d is number => typeof d === "number" && Number.isSafeInteger(d) && d >= 0 && d < 1000) : [];
      const size = Math.floor((dims.reduce((a, b) => a * b, 1) * bits) / 8);
      const span = [o, o + size];
      o += size;
      return [k, { ...v, data_offsets: span }];
    });
    return { entries: out, total: o };
  }

  it("safetensors-shaped headers with valid and invalid fields, duplicate keys included", () => {
    let parsed = 0;
    fc.assert(
      fc.property(headerArb, fc.option(fc.nat(96), { nil: null, freq: 2 }), fc.nat(8), (raw, dataBytes, spaces) => {
        const { entries, total } = resolveAuto(raw as [string, unknown][]);
        const json = enc(objectText(entries) + " ".repeat(spaces));
        if (parseChecked(json, 8 + json.length + (dataBytes ?? total))) parsed++;
      }),
      { numRuns: RUNS },
    );
    // The generator reaches both outcomes (a fuzzer that only ever fails proves little).
    expect(parsed).toBeGreaterThan(RUNS / 20);
    expect(parsed).toBeLessThan(RUNS);
  });

  // Near-valid: a valid file with one mutation (a byte flipped, cut, extended, or a field changed).
  const mutationArb = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.nat(255) }),
    fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("extend" as const), by: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant("length" as const), delta: fc.integer({ min: -16, max: 16 }) }),
    fc.record({ kind: fc.constant("field" as const), tensor: fc.nat(), field: fc.constantFrom("dtype", "shape", "begin", "end"), value: fc.oneof(fc.constantFrom(...DTYPES), fc.integer({ min: -2, max: 64 })) }),
  );

  it("valid files with one mutation", () => {
    let parsed = 0;
    fc.assert(
      fc.property(modelArb, metadataArb, fc.nat(), fc.nat(), mutationArb, (tensors, metadata, s1, s2, m) => {
        let file: Uint8Array;
        if (m.kind === "field" && tensors.length > 0) {
          const t = tensors[m.tensor % tensors.length]!;
          const lay = layout(tensors, metadata, s1, s2, 0);
          const span = lay.spans.get(t.name)!;
          const entries: [string, unknown][] = tensors.map((x) => {
            const e = { dtype: x.dtype, shape: x.shape, data_offsets: [...lay.spans.get(x.name)!] };
            if (x === t) {
              const v = m.value;
              if (m.field === "dtype") e.dtype = String(v);
              else if (m.field === "shape") e.shape = typeof v === "number" ? [...x.shape.slice(1), v] : x.shape;
              else if (m.field === "begin") e.data_offsets = [typeof v === "number" ? v : span[0], span[1]];
              else e.data_offsets = [span[0], typeof v === "number" ? v : span[1]];
            }
            return [x.name, e];
          });
          file = fileOf(objectText(entries), lay.data);
        } else {
          const lay = layout(tensors, metadata, s1, s2, 0);
          file = fileOf(lay.header, lay.data);
          if (m.kind === "flip") file[m.at % file.length] = m.value;
          else if (m.kind === "cut") file = file.slice(0, m.at % (file.length + 1));
          else if (m.kind === "extend") file = new Uint8Array([...file, ...new Uint8Array(m.by)]);
          else if (m.kind === "length") {
            const n = Number(new DataView(file.buffer).getBigUint64(0, true));
            new DataView(file.buffer).setBigUint64(0, BigInt(Math.max(0, n + m.delta)), true);
          }
        }
        if (parseFileChecked(file)) parsed++;
      }),
      { numRuns: RUNS },
    );
    expect(parsed).toBeGreaterThan(RUNS / 20);
    expect(parsed).toBeLessThan(RUNS);
  });

  it("arbitrary 8-byte length prefixes against arbitrary file sizes", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(2 ** 31), (n, size) => {
        const prefix = new Uint8Array(8);
        new DataView(prefix.buffer).setBigUint64(0, n, true);
        const r = onlyFormatError(() => readHeaderLength(F, prefix, size));
        if (r !== null) {
          expect(BigInt(r)).toBe(n);
          expect(r).toBeGreaterThanOrEqual(2);
          expect(r).toBeLessThanOrEqual(100_000_000);
          expect(8 + r).toBeLessThanOrEqual(size);
        } else {
          expect(n < 2n || n > 100_000_000n || 8n + n > BigInt(size)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- (b) valid files

describe("(b) valid generated files always parse and round-trip", () => {
  it("through serializeSafetensors", () => {
    fc.assert(
      fc.property(
        modelArb.map((ts) => ts.filter((t) => t.name !== "__proto__")),
        metadataArb,
        (tensors, metadata) => {
          const file = serializeSafetensors(tensors, metadata ?? undefined);
          const n = readHeaderLength(F, file.subarray(0, 8), file.length);
          expect((8 + n) % 8).toBe(0);
          const h = parseHeader(F, file.subarray(8, 8 + n), file.length);
          checkInvariants(h, n, file.length);
          expect(h.metadata).toEqual(metadata);
          expect(h.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(tensors.map((t) => [t.name, t.dtype, t.shape]));
          h.tensors.forEach((t, i) => expect(file.subarray(t.begin, t.end)).toEqual(tensors[i]!.data));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("with header keys and data in independent orders, metadata anywhere, and space padding", () => {
    fc.assert(
      fc.property(modelArb, metadataArb, fc.nat(), fc.nat(), fc.nat(16), (tensors, metadata, dataSeed, keySeed, spaces) => {
        const lay = layout(tensors, metadata, dataSeed, keySeed, spaces);
        const file = fileOf(lay.header, lay.data);
        const n = readHeaderLength(F, file.subarray(0, 8), file.length);
        const h = parseHeader(F, file.subarray(8, 8 + n), file.length);
        checkInvariants(h, n, file.length);
        expect(h.metadata).toEqual(metadata);
        expect(h.tensors).toHaveLength(tensors.length);
        const byName = new Map(h.tensors.map((t) => [t.name, t]));
        for (const t of tensors) {
          const got = byName.get(t.name)!;
          expect(got).toBeDefined();
          expect([got.dtype, got.shape]).toEqual([t.dtype, t.shape]);
          expect([got.begin - h.dataStart, got.end - h.dataStart]).toEqual(lay.spans.get(t.name));
          expect(file.subarray(got.begin, got.end)).toEqual(t.data);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("one tensor's data_offsets moved by any amount is always refused", () => {
    fc.assert(
      fc.property(
        modelArb.filter((ts) => ts.some((t) => t.data.length > 0)),
        fc.nat(),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        (tensors, pick, delta, forward) => {
          const nonEmpty = tensors.filter((t) => t.data.length > 0);
          const victim = nonEmpty[pick % nonEmpty.length]!;
          const lay = layout(tensors, null, 0, 0, 0);
          const entries: [string, unknown][] = tensors.map((t) => {
            const [b, e] = lay.spans.get(t.name)!;
            const shift = t === victim ? (forward ? delta : -Math.min(delta, b) || delta) : 0;
            return [t.name, { dtype: t.dtype, shape: t.shape, data_offsets: [b + shift, e + shift] }];
          });
          const file = fileOf(objectText(entries), lay.data);
          const n = readHeaderLength(F, file.subarray(0, 8), file.length);
          expect(() => parseHeader(F, file.subarray(8, 8 + n), file.length)).toThrow(FormatError);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- (c) shard index

describe("(c) parseShardIndex: FormatError, or shard names that pass checkShardName", () => {
  const I = "fuzz/model.safetensors.index.json";
  const partArb = fc.constantFrom("a", "b", "..", ".", "", "\\", "x.safetensors", ".safetensors", "model-00001-of-00002.safetensors", "c:", "\0", "%2e%2e", "~");
  const shardArb = fc.oneof(
    { weight: 3, arbitrary: fc.array(partArb, { minLength: 1, maxLength: 4 }).map((p) => p.join("/")) },
    { weight: 2, arbitrary: fc.array(partArb, { minLength: 1, maxLength: 3 }).map((p) => p.join("")) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map((s) => `${s}.safetensors`) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );
  const indexArb = fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.tuple(nameArb, shardArb), { maxLength: 5 }).map((wm) => objectText([["weight_map", Object.fromEntries(wm)]])) },
    {
      weight: 2,
      // weight_map written as text so duplicate tensor names reach the parser.
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom("a", "b", "c"), shardArb), { maxLength: 4 })
        .map((wm) => `{"metadata":{},"weight_map":${objectText(wm)}}`),
    },
    { weight: 1, arbitrary: fc.json() },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    { weight: 1, arbitrary: fc.record({ weight_map: fc.jsonValue({ maxDepth: 2 }), metadata: fc.jsonValue({ maxDepth: 1 }) }).map((o) => JSON.stringify(o)) },
  );

  it("arbitrary index texts", () => {
    fc.assert(
      fc.property(indexArb, (text) => {
        const idx = onlyFormatError(() => parseShardIndex(I, text), I);
        if (idx === null) return;
        expect(idx.weightMap.size).toBeGreaterThan(0);
        expect(new Set(idx.shards).size).toBe(idx.shards.length);
        for (const s of idx.shards) {
          expect(() => checkShardName(I, s)).not.toThrow();
          expect(s.endsWith(".safetensors")).toBe(true);
          expect(s.startsWith("/")).toBe(false);
          expect(s.split("/")).not.toContain("..");
        }
        for (const s of idx.weightMap.values()) expect(idx.shards).toContain(s);
        // The index is exactly the parsed weight_map, and had no duplicate keys.
        expect(findDuplicateKey(text)).toBeNull();
        const parsed = JSON.parse(text) as { weight_map: Record<string, string> };
        expect(Object.fromEntries(idx.weightMap)).toEqual({ ...parsed.weight_map });
      }),
      { numRuns: RUNS },
    );
  });

  it("checkShardName never accepts a name that could leave the directory", () => {
    fc.assert(
      fc.property(shardArb.filter((s): s is string => typeof s === "string"), (s) => {
        const ok = onlyFormatError(() => (checkShardName(I, s), true), I);
        if (ok) {
          const parts = s.split("/");
          expect(s.length).toBeGreaterThan(0);
          expect(s.startsWith("/")).toBe(false);
          expect(s.includes("\\") || s.includes("\0")).toBe(false);
          expect(parts.every((p) => p !== "" && p !== "." && p !== "..")).toBe(true);
          expect(s.endsWith(".safetensors")).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------- duplicate keys

describe("findDuplicateKey", () => {
  it("finds none in anything JSON.stringify produces", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(findDuplicateKey(JSON.stringify(v))).toBeNull();
        expect(findDuplicateKey(JSON.stringify(v, null, 2))).toBeNull();
      }),
      { numRuns: RUNS },
    );
  });

  it("finds an injected duplicate at any depth, however the key is escaped", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 5 }),
        fc.nat(),
        fc.jsonValue({ maxDepth: 1 }),
        fc.boolean(),
        fc.nat(3),
        (obj, pick, value, escapeAll, depth) => {
          const keys = Object.keys(obj);
          const key = keys[pick % keys.length]!;
          const quoted = escapeAll
            ? `"${Array.from({ length: key.length }, (_, i) => `\\u${key.charCodeAt(i).toString(16).padStart(4, "0")}`).join("")}"`
            : JSON.stringify(key);
          const entries = Object.entries(obj).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
          let text = `{${entries.join(",")},${quoted}:${JSON.stringify(value)}}`;
          for (let d = 0; d < depth; d++) text = d % 2 ? `{"outer":${text},"z":[{}]}` : `[1,{"k":"v"},${text}]`;
          JSON.parse(text);
          expect(findDuplicateKey(text)).toBe(key);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
