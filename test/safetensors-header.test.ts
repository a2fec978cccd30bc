/**
 * The strict safetensors reader, unit by unit: header length, header JSON,
 * shard index, shard reconciliation, duplicate keys. Each failure is asserted
 * by its stable code (FormatError.code, after huggingface/safetensors' error
 * variants); prose is asserted only where its content is what the user needs
 * (the file and tensor named, "truncated or incomplete download").
 */
import { describe, expect, it } from "vitest";
import { FormatError, type FormatCode } from "../src/common/errors.js";
import { DTYPE_BITS, bytesPerElement } from "../src/safetensors/dtypes.js";
import { MAX_HEADER_BYTES, type ParsedHeader, parseHeader, readHeaderLength } from "../src/safetensors/header.js";
import { findDuplicateKey } from "../src/safetensors/json-keys.js";
import { INDEX_FILE, SINGLE_FILE, type ShardIndex, checkShardName, parseShardIndex, reconcileShards } from "../src/safetensors/shard-index.js";
import { type TensorBytes, serializeSafetensors } from "../src/safetensors/writer.js";
import { SINGLE_FILE_KINDS, corruptBytes } from "./helpers/corrupt.js";

const F = "dir/model.safetensors";
const enc = (s: string) => new TextEncoder().encode(s);

/** Parse a header given as an object or raw text, with `dataBytes` bytes of data after it. */
function parse(header: unknown, dataBytes: number): ParsedHeader {
  const json = typeof header === "string" ? enc(header) : enc(JSON.stringify(header));
  return parseHeader(F, json, 8 + json.length + dataBytes);
}

/** The FormatError `fn` throws (fails the test if it throws anything else or nothing). */
function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error("expected a FormatError, nothing was thrown");
}

/** Parse a whole file's bytes as LocalSource does. */
function parseFile(bytes: Uint8Array, file = F): ParsedHeader {
  const n = readHeaderLength(file, bytes.subarray(0, 8), bytes.length);
  return parseHeader(file, bytes.subarray(8, 8 + n), bytes.length);
}

const f32 = (shape: number[], fill = 1): TensorBytes => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name: "", dtype: "F32", shape, data: new Uint8Array(new Float32Array(n).fill(fill).buffer) };
};

describe("readHeaderLength", () => {
  const prefix = (n: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, n, true);
    return b;
  };

  it("returns the little-endian length when it fits", () => {
    expect(readHeaderLength(F, prefix(24n), 8 + 24 + 100)).toBe(24);
    expect(readHeaderLength(F, new Uint8Array([0x10, 0x01, 0, 0, 0, 0, 0, 0]), 8 + 0x110)).toBe(0x110);
    // A header that ends exactly at the end of the file (no data) is allowed here.
    expect(readHeaderLength(F, prefix(2n), 10)).toBe(2);
  });

  it("reads through a prefix that is a view into a larger buffer", () => {
    const big = new Uint8Array(32);
    new DataView(big.buffer).setBigUint64(5, 40n, true);
    expect(readHeaderLength(F, big.subarray(5, 13), 100)).toBe(40);
  });

  it("accepts exactly MAX_HEADER_BYTES and refuses one more", () => {
    expect(MAX_HEADER_BYTES).toBe(100_000_000);
    expect(readHeaderLength(F, prefix(BigInt(MAX_HEADER_BYTES)), 8 + MAX_HEADER_BYTES)).toBe(MAX_HEADER_BYTES);
    expect(formatError(() => readHeaderLength(F, prefix(BigInt(MAX_HEADER_BYTES) + 1n), 1e12)).code).toBe("format.header-too-large");
  });

  it("refuses a u64 length above 2^53 before converting it to a number", () => {
    const e = formatError(() => readHeaderLength(F, prefix(2n ** 64n - 1n), 1e15));
    expect(e.code).toBe("format.header-too-large");
    expect(e.message).toContain("18446744073709551615");
  });

  it("refuses a length past the end of the file", () => {
    const e = formatError(() => readHeaderLength(F, prefix(100n), 107));
    expect(e.message).toBe(`${F}: header length 100 runs past the end of the 107-byte file (truncated or incomplete download, or not safetensors)`);
    expect(e.file).toBe(F);
    expect(e.tensor).toBeUndefined();
    expect(e.kind).toBe("format");
    expect(e.code).toBe("format.truncated");
    expect(readHeaderLength(F, prefix(100n), 108)).toBe(100);
  });

  it("refuses files under 8 bytes and short prefixes", () => {
    for (const size of [0, 1, 7]) {
      expect(formatError(() => readHeaderLength(F, new Uint8Array(size), size)).code).toBe("format.header-too-small");
    }
    expect(formatError(() => readHeaderLength(F, new Uint8Array(4), 100)).code).toBe("format.header-too-small");
  });

  it("refuses a length too small for a JSON object", () => {
    for (const n of [0n, 1n]) {
      expect(formatError(() => readHeaderLength(F, prefix(n), 100)).code).toBe("format.header-too-small");
    }
  });
});

describe("parseHeader: failures, one precise code each", () => {
  const entry = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
  const cases: [string, unknown, number, FormatCode][] = [
    ["not an object (array)", "[]", 0, "format.invalid-header"],
    ["leading whitespace", ' {"a": 1}', 0, "format.invalid-header"],
    ["a JSON string", '"{"', 0, "format.invalid-header"],
    ["empty", "", 0, "format.invalid-header"],
    ["duplicate tensor", `{"x": ${JSON.stringify(entry)}, "x": ${JSON.stringify(entry)}}`, 8, "format.invalid-header"],
    ["duplicate inside an entry", '{"x": {"dtype": "F32", "dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', 8, "format.invalid-header"],
    ["__metadata__ array", { __metadata__: ["a"] }, 0, "format.invalid-header"],
    ["__metadata__ null", { __metadata__: null }, 0, "format.invalid-header"],
    ["__metadata__ string", { __metadata__: "pt" }, 0, "format.invalid-header"],
    ["__metadata__ number value", { __metadata__: { total: 3 } }, 0, "format.invalid-header"],
    ["__metadata__ nested value", { __metadata__: { a: "b", c: { d: "e" } } }, 0, "format.invalid-header"],
    ["entry string", { x: "F32" }, 0, "format.invalid-header"],
    ["entry null", { x: null }, 0, "format.invalid-header"],
    ["entry array", { x: [] }, 0, "format.invalid-header"],
    ["no dtype", { x: { shape: [2], data_offsets: [0, 8] } }, 8, "format.invalid-header"],
    ["numeric dtype", { x: { ...entry, dtype: 32 } }, 8, "format.invalid-header"],
    ["unknown dtype", { x: { ...entry, dtype: "F128" } }, 8, "format.unknown-dtype"],
    ["lower-case dtype", { x: { ...entry, dtype: "f32" } }, 8, "format.unknown-dtype"],
    ["no shape", { x: { dtype: "F32", data_offsets: [0, 8] } }, 8, "format.invalid-header"],
    ["negative dim", { x: { ...entry, shape: [-2] } }, 8, "format.invalid-header"],
    ["fractional dim", { x: { ...entry, shape: [2.5] } }, 8, "format.invalid-header"],
    ["string dim", { x: { ...entry, shape: ["2"] } }, 8, "format.invalid-header"],
    ["unsafe dim", { x: { ...entry, shape: [2 ** 53] } }, 8, "format.invalid-header"],
    ["no offsets", { x: { dtype: "F32", shape: [2] } }, 8, "format.invalid-offsets"],
    ["one offset", { x: { ...entry, data_offsets: [8] } }, 8, "format.invalid-offsets"],
    ["three offsets", { x: { ...entry, data_offsets: [0, 8, 8] } }, 8, "format.invalid-offsets"],
    ["negative offset", { x: { ...entry, data_offsets: [-8, 0] } }, 8, "format.invalid-offsets"],
    ["string offset", { x: { ...entry, data_offsets: ["0", "8"] } }, 8, "format.invalid-offsets"],
    ["offsets as object", { x: { ...entry, data_offsets: { begin: 0, end: 8 } } }, 8, "format.invalid-offsets"],
    ["reversed offsets", { x: { ...entry, data_offsets: [8, 0] } }, 8, "format.invalid-offsets"],
    [
      "past the buffer (truncated file): file size beside what the header describes",
      { x: { ...entry, data_offsets: [0, 8] } },
      4,
      "format.truncated",
    ],
    ["span too short", { x: { ...entry, shape: [3] } }, 8, "format.invalid-offsets"],
    ["span too long", { x: { ...entry, shape: [1] } }, 8, "format.invalid-offsets"],
    ["0-rank span", { x: { ...entry, shape: [] } }, 8, "format.invalid-offsets"],
    ["F4 odd count", { x: { dtype: "F4", shape: [3], data_offsets: [0, 2] } }, 2, "format.misaligned"],
    ["F6 odd count", { x: { dtype: "F6_E2M3", shape: [2], data_offsets: [0, 2] } }, 2, "format.misaligned"],
    [
      "too many elements",
      { x: { ...entry, shape: [2 ** 30, 2 ** 30, 2 ** 30] } },
      8,
      "format.overflow",
    ],
    [
      "overlap",
      { a: { ...entry, data_offsets: [0, 8] }, b: { ...entry, data_offsets: [4, 12] } },
      12,
      "format.invalid-offsets",
    ],
    [
      "two tensors on the same bytes",
      { a: { ...entry, data_offsets: [0, 8] }, b: { ...entry, data_offsets: [0, 8] } },
      8,
      "format.invalid-offsets",
    ],
    [
      "gap",
      { a: { ...entry, data_offsets: [0, 8] }, b: { ...entry, data_offsets: [12, 20] } },
      20,
      "format.invalid-offsets",
    ],
    ["gap at the start", { a: { ...entry, data_offsets: [4, 12] } }, 12, "format.invalid-offsets"],
    ["trailing bytes", { a: entry }, 9, "format.invalid-offsets"],
    ["no tensors, data present", {}, 4, "format.invalid-offsets"],
  ];
  it.each(cases)("%s", (_label, header, dataBytes, code) => {
    const e = formatError(() => parse(header, dataBytes));
    expect(e.code).toBe(code);
    expect(e.file).toBe(F);
  });

  // The prose a user acts on: the file, the tensor, and "truncated or incomplete download".
  it("a truncated file says so, naming the file, the tensor and both sizes", () => {
    const header = { x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
    const n = JSON.stringify(header).length;
    expect(formatError(() => parse(header, 4)).message).toBe(
      `${F} (tensor "x"): data_offsets [0, 8] run past the 4-byte data buffer: the file is ${8 + n + 4} bytes, its header describes ${8 + n + 8} (truncated or incomplete download)`,
    );
  });

  it("invalid JSON keeps the parser's reason", () => {
    const e = formatError(() => parse('{"a": nope}', 0));
    expect(e.code).toBe("format.invalid-header");
    expect(e.message).toMatch(/^dir\/model\.safetensors: header is not valid JSON \(.+\)$/);
    expect(formatError(() => parse('{"a": 1', 0)).code).toBe("format.invalid-header");
    expect(formatError(() => parse("{} {}", 0)).code).toBe("format.invalid-header");
  });

  it("invalid UTF-8 (stray continuation byte, overlong encoding, lone surrogate) is refused", () => {
    for (const bad of [
      [0x7b, 0x22, 0x80, 0x22, 0x3a, 0x31, 0x7d],
      [0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d],
      [0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d],
    ]) {
      const json = new Uint8Array(bad);
      expect(formatError(() => parseHeader(F, json, 8 + json.length)).code).toBe("format.invalid-header");
    }
  });

  it("the error carries the file and the tensor separately", () => {
    const e = formatError(() => parse({ "layer.0.w": { dtype: "F99", shape: [], data_offsets: [0, 0] } }, 0));
    expect(e.file).toBe(F);
    expect(e.tensor).toBe("layer.0.w");
    expect(e.kind).toBe("format");
    expect(e.code).toBe("format.unknown-dtype");
    expect(e.message).toBe(`${F} (tensor "layer.0.w"): unknown dtype "F99"`);
  });

  it("every corrupt kind of the test helper fails with the problem it announces", () => {
    for (const kind of SINGLE_FILE_KINDS) {
      const { bytes, problem } = corruptBytes(kind);
      const e = formatError(() => parseFile(bytes));
      expect({ kind, message: e.message }).toEqual({ kind, message: expect.stringMatching(problem) });
    }
  });

  // Inherited Object.prototype members are not dtypes.
  it("an inherited property name as dtype is an unknown dtype", () => {
    for (const dtype of ["constructor", "toString", "__proto__", "valueOf", "hasOwnProperty"]) {
      const e = formatError(() => parse({ x: { dtype, shape: [2], data_offsets: [0, 8] } }, 8));
      expect({ dtype, code: e.code }).toEqual({ dtype, code: "format.unknown-dtype" });
    }
  });

  // numel fits but numel x bits does not: the message names the size.
  it("a shape whose byte size overflows says so, not 'not a whole number of bytes'", () => {
    const e = formatError(() => parse({ x: { dtype: "F64", shape: [2 ** 50], data_offsets: [0, 8] } }, 8));
    expect(e.code).toBe("format.overflow");
  });

  // A leading UTF-8 BOM is kept by the decoder, so the header does not start with '{' (as in huggingface/safetensors).
  it("a header starting with a UTF-8 BOM is refused like in huggingface/safetensors", () => {
    const body = enc(JSON.stringify({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }));
    const json = new Uint8Array([0xef, 0xbb, 0xbf, ...body]);
    expect(formatError(() => parseHeader(F, json, 8 + json.length + 8)).code).toBe("format.invalid-header");
  });
});

describe("parseHeader: valid headers", () => {
  it("returns absolute offsets, metadata and dataStart", () => {
    const h = parse({ __metadata__: { format: "pt" }, w: { dtype: "BF16", shape: [2, 3], data_offsets: [0, 12] }, b: { dtype: "F32", shape: [3], data_offsets: [12, 24] } }, 24);
    expect(h.metadata).toEqual({ format: "pt" });
    const dataStart = h.dataStart;
    expect(h.tensors).toEqual([
      { name: "w", dtype: "BF16", shape: [2, 3], file: F, begin: dataStart, end: dataStart + 12 },
      { name: "b", dtype: "F32", shape: [3], file: F, begin: dataStart + 12, end: dataStart + 24 },
    ]);
  });

  it("dataStart is 8 + the header's byte length (multi-byte UTF-8 names counted in bytes)", () => {
    const header = JSON.stringify({ "poids.é→ü": { dtype: "U8", shape: [1], data_offsets: [0, 1] } });
    const bytes = enc(header);
    expect(bytes.length).toBeGreaterThan(header.length);
    const h = parseHeader(F, bytes, 8 + bytes.length + 1);
    expect(h.dataStart).toBe(8 + bytes.length);
    expect(h.tensors[0]).toMatchObject({ name: "poids.é→ü", begin: 8 + bytes.length, end: 9 + bytes.length });
  });

  it("tensors may be listed in any order relative to their data", () => {
    const h = parse({ late: { dtype: "F32", shape: [1], data_offsets: [4, 8] }, early: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, 8);
    expect(h.tensors.map((t) => t.name)).toEqual(["late", "early"]);
  });

  it("the empty header {} with no data is a valid (empty) file", () => {
    const h = parse("{}", 0);
    expect(h.tensors).toEqual([]);
    expect(h.metadata).toBeNull();
  });

  it("trailing space padding after the JSON is accepted", () => {
    const h = parse(`${JSON.stringify({ x: { dtype: "U8", shape: [3], data_offsets: [0, 3] } })}       `, 3);
    expect(h.tensors).toHaveLength(1);
  });

  it("empty tensors may sit anywhere, including several at one offset and at the end", () => {
    const h = parse(
      {
        e0: { dtype: "F32", shape: [0], data_offsets: [0, 0] },
        e1: { dtype: "F16", shape: [4, 0], data_offsets: [0, 0] },
        a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
        mid: { dtype: "BF16", shape: [0, 0, 7], data_offsets: [4, 4] },
        b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
        end: { dtype: "I64", shape: [0], data_offsets: [8, 8] },
      },
      8,
    );
    expect(h.tensors.map((t) => [t.name, t.end - t.begin])).toEqual([
      ["e0", 0],
      ["e1", 0],
      ["a", 4],
      ["mid", 0],
      ["b", 4],
      ["end", 0],
    ]);
  });

  it("a zero-length dimension makes an otherwise huge shape empty", () => {
    const h = parse({ x: { dtype: "F64", shape: [0, 2 ** 40], data_offsets: [0, 0] } }, 0);
    expect(h.tensors[0]).toMatchObject({ shape: [0, 2 ** 40] });
  });

  it("every dtype of the spec has its size: [8] elements span `bits` bytes", () => {
    const names = Object.keys(DTYPE_BITS);
    expect(names.sort()).toEqual(
      [
        "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ",
        "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64",
      ].sort(),
    );
    const header: Record<string, unknown> = {};
    let o = 0;
    for (const dtype of names) {
      const bytes = DTYPE_BITS[dtype]!; // 8 elements of `bits` bits
      header[`t.${dtype}`] = { dtype, shape: [8], data_offsets: [o, o + bytes] };
      o += bytes;
    }
    const h = parse(header, o);
    for (const t of h.tensors) expect(t.end - t.begin).toBe(DTYPE_BITS[t.dtype]);
    const expected: Record<string, number> = {
      BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, F8_E4M3FNUZ: 1, F8_E5M2FNUZ: 1,
      I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, C64: 8, F64: 8, I64: 8, U64: 8,
    };
    for (const [dtype, size] of Object.entries(expected)) expect({ dtype, size: bytesPerElement(dtype) }).toEqual({ dtype, size });
    for (const dtype of ["F4", "F6_E2M3", "F6_E3M2", "F128"]) expect(() => bytesPerElement(dtype)).toThrow(/no whole-byte size/);
    expect(DTYPE_BITS.F4).toBe(4);
    expect(DTYPE_BITS.F6_E2M3).toBe(6);
    expect(DTYPE_BITS.F6_E3M2).toBe(6);
  });

  it("sub-byte dtypes parse when the element count makes whole bytes", () => {
    const h = parse({ a: { dtype: "F4", shape: [3, 2], data_offsets: [0, 3] }, b: { dtype: "F6_E3M2", shape: [4], data_offsets: [3, 6] } }, 6);
    expect(h.tensors.map((t) => t.end - t.begin)).toEqual([3, 3]);
  });
});

describe("writer -> reader round trip", () => {
  function roundTrip(tensors: TensorBytes[], metadata?: Record<string, string>): ParsedHeader {
    const file = serializeSafetensors(tensors, metadata);
    const n = readHeaderLength(F, file.subarray(0, 8), file.length);
    expect((8 + n) % 8).toBe(0);
    const h = parseFile(file);
    expect(h.dataStart).toBe(8 + n);
    expect(h.metadata).toEqual(metadata ?? null);
    expect(h.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }))).toEqual(tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })));
    h.tensors.forEach((t, i) => expect(file.subarray(t.begin, t.end)).toEqual(tensors[i]!.data));
    return h;
  }

  it("0-rank, empty and ordinary tensors with metadata", () => {
    roundTrip(
      [
        { ...f32([], 3.5), name: "scalar" },
        { ...f32([0]), name: "empty" },
        { ...f32([2, 0, 3]), name: "empty.3d" },
        { ...f32([3, 4], -1), name: "w" },
        { name: "flag", dtype: "BOOL", shape: [5], data: new Uint8Array([1, 0, 1, 1, 0]) },
        { name: "ids", dtype: "I64", shape: [2], data: new Uint8Array(16).fill(9) },
      ],
      { format: "pt", note: "ünïcödé" },
    );
  });

  it("no tensors at all", () => {
    roundTrip([]);
    roundTrip([], { format: "pt" });
  });

  it("the header is padded with spaces to a multiple of 8, for every residue", () => {
    const seen = new Set<number>();
    for (let len = 1; len <= 12; len++) {
      const file = serializeSafetensors([{ ...f32([1]), name: "x".repeat(len) }]);
      const n = Number(new DataView(file.buffer).getBigUint64(0, true));
      const text = new TextDecoder().decode(file.subarray(8, 8 + n));
      const unpadded = JSON.stringify({ ["x".repeat(len)]: { dtype: "F32", shape: [1], data_offsets: [0, 4] } });
      expect(text.trimEnd()).toBe(unpadded);
      expect(/^ *$/.test(text.slice(unpadded.length))).toBe(true);
      seen.add(n - unpadded.length);
      roundTrip([{ ...f32([1]), name: "x".repeat(len) }]);
    }
    // Every amount of padding from 0 to 7 occurred.
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("tensor names that are Object.prototype members (constructor, toString) round-trip", () => {
    roundTrip([
      { ...f32([1]), name: "constructor" },
      { ...f32([2]), name: "toString" },
      { ...f32([1]), name: "hasOwnProperty" },
    ]);
  });

  // A tensor named "__proto__" is a key like any other, in the writer as in the reader.
  it("a tensor named __proto__ round-trips", () => {
    roundTrip([{ ...f32([1]), name: "__proto__" }]);
  });

  it("every dtype of the spec round-trips", () => {
    const tensors: TensorBytes[] = Object.entries(DTYPE_BITS).map(([dtype, bits], i) => ({
      name: `t${i}.${dtype}`,
      dtype,
      shape: [2, 4],
      data: new Uint8Array(bits).map((_, j) => (i * 31 + j) & 0xff),
    }));
    roundTrip(tensors, { format: "pt" });
  });
});

describe("findDuplicateKey", () => {
  const cases: [string, string, string | null][] = [
    ["no keys", "{}", null],
    ["distinct keys", '{"a":1,"b":2}', null],
    ["top-level duplicate", '{"a":1,"b":2,"a":3}', "a"],
    ["nested duplicate", '{"x":{"k":1,"k":2}}', "k"],
    ["same key in sibling objects", '{"x":{"k":1},"y":{"k":2}}', null],
    ["same key at two depths", '{"k":{"k":{"k":1}}}', null],
    ["values equal to keys are not keys", '{"a":"a","b":"a","c":["a","a"]}', null],
    ["objects inside arrays", '[{"a":1},{"a":2}]', null],
    ["duplicate inside an array's object", '[{"a":1,"a":2}]', "a"],
    ["duplicate after a nested array", '{"a":[1,{"b":1}],"a":2}', "a"],
    ["duplicate after a nested object", '{"a":{"b":{"c":1}},"a":2}', "a"],
    ["escaped quote in key", '{"a\\"b":1,"a\\"b":2}', 'a"b'],
    ["escaped backslash before the closing quote", '{"a\\\\":1,"b":2,"a\\\\":3}', "a\\"],
    ["unicode escape equals the plain key", '{"a":1,"\\u0061":2}', "a"],
    ["structural characters inside strings", '{"{":"}","[":"]",",":",","{":1}', "{"],
    ["whitespace everywhere", ' { "a" : 1 ,\n\t"a" : 2 } ', "a"],
    ["__proto__ twice", '{"__proto__":1,"__proto__":2}', "__proto__"],
    ["a scalar document", '"a"', null],
  ];
  it.each(cases)("%s", (_label, text, dup) => {
    JSON.parse(text); // every case is valid JSON
    expect(findDuplicateKey(text)).toBe(dup);
  });
});

describe("checkShardName", () => {
  it("accepts plain relative .safetensors names, nested ones included", () => {
    for (const ok of ["model-00001-of-00002.safetensors", "sub/dir/x.safetensors", "a..b.safetensors", ".hidden.safetensors", "..x.safetensors"]) {
      expect(() => checkShardName(INDEX_FILE, ok)).not.toThrow();
    }
  });

  it.each([
    [""],
    ["/abs/x.safetensors"],
    ["../x.safetensors"],
    ["a/../../x.safetensors"],
    ["./x.safetensors"],
    ["a/./x.safetensors"],
    ["a//x.safetensors"],
    ["a/"],
    ["..\\x.safetensors"],
    ["a\\x.safetensors"],
    ["x\0.safetensors"],
    [".."],
  ])("refuses %j as not a plain relative path", (bad) => {
    expect(formatError(() => checkShardName(INDEX_FILE, bad)).code).toBe("format.invalid-index");
  });

  it.each([["x.bin"], ["x.safetensors.bak"], ["x.SAFETENSORS"], ["safetensors"], ["x.pt"]])("refuses %j as not a .safetensors file", (bad) => {
    expect(formatError(() => checkShardName(INDEX_FILE, bad)).code).toBe("format.invalid-index");
  });
});

describe("parseShardIndex", () => {
  const I = `dir/${INDEX_FILE}`;
  it("maps tensors to shards and lists shards in first-seen order", () => {
    const idx = parseShardIndex(
      I,
      JSON.stringify({ metadata: { total_size: 10 }, weight_map: { c: "b.safetensors", a: "a.safetensors", b: "b.safetensors", d: "sub/c.safetensors" } }),
    );
    expect([...idx.weightMap]).toEqual([
      ["c", "b.safetensors"],
      ["a", "a.safetensors"],
      ["b", "b.safetensors"],
      ["d", "sub/c.safetensors"],
    ]);
    expect(idx.shards).toEqual(["b.safetensors", "a.safetensors", "sub/c.safetensors"]);
  });

  it("metadata is optional and ignored", () => {
    expect(parseShardIndex(I, '{"weight_map":{"x":"x.safetensors"}}').shards).toEqual(["x.safetensors"]);
    expect(parseShardIndex(I, '{"metadata":[1,2],"weight_map":{"x":"x.safetensors"}}').shards).toEqual(["x.safetensors"]);
  });

  const bad: [string, string, FormatCode][] = [
    ["not JSON", "{", "format.invalid-index"],
    ["empty text", "", "format.invalid-index"],
    ["an array", "[]", "format.invalid-index"],
    ["null", "null", "format.invalid-index"],
    ["a string", '"x"', "format.invalid-index"],
    ["duplicate weight_map", '{"weight_map":{},"weight_map":{"x":"x.safetensors"}}', "format.invalid-index"],
    ["duplicate tensor", '{"weight_map":{"x":"a.safetensors","x":"b.safetensors"}}', "format.invalid-index"],
    ["no weight_map", '{"metadata":{}}', "format.invalid-index"],
    ["weight_map array", '{"weight_map":["a.safetensors"]}', "format.invalid-index"],
    ["weight_map null", '{"weight_map":null}', "format.invalid-index"],
    ["weight_map string", '{"weight_map":"a.safetensors"}', "format.invalid-index"],
    ["empty weight_map", '{"weight_map":{}}', "format.invalid-index"],
    ["non-string shard", '{"weight_map":{"x":1}}', "format.invalid-index"],
    ["null shard", '{"weight_map":{"x":null}}', "format.invalid-index"],
    ["dot-dot shard", '{"weight_map":{"x":"../x.safetensors"}}', "format.invalid-index"],
    ["absolute shard", '{"weight_map":{"x":"/etc/x.safetensors"}}', "format.invalid-index"],
    ["pickle shard", '{"weight_map":{"x":"pytorch_model.bin"}}', "format.invalid-index"],
  ];
  it.each(bad)("%s", (_label, text, code) => {
    const e = formatError(() => parseShardIndex(I, text));
    expect(e.code).toBe(code);
    expect(e.file).toBe(I);
  });
});

describe("reconcileShards", () => {
  const I = INDEX_FILE;
  const index = (m: Record<string, string>): ShardIndex => parseShardIndex(I, JSON.stringify({ weight_map: m }));
  const t = (name: string, file: string) => ({ name, file });

  it("returns the tensors in index order", () => {
    const idx = index({ b: "s2.safetensors", a: "s1.safetensors", c: "s1.safetensors" });
    const out = reconcileShards(
      I,
      idx,
      new Map([
        ["s1.safetensors", [t("a", "s1.safetensors"), t("c", "s1.safetensors")]],
        ["s2.safetensors", [t("b", "s2.safetensors")]],
      ]),
    );
    expect(out.map((x) => x.name)).toEqual(["b", "a", "c"]);
  });

  it("a tensor in two shards", () => {
    const idx = index({ a: "s1.safetensors" });
    const e = formatError(() =>
      reconcileShards(
        I,
        idx,
        new Map([
          ["s1.safetensors", [t("a", "s1.safetensors")]],
          ["s2.safetensors", [t("a", "s2.safetensors")]],
        ]),
      ),
    );
    expect({ code: e.code, tensor: e.tensor }).toEqual({ code: "format.index-mismatch", tensor: "a" });
    expect(e.tensor).toBe("a");
  });

  it("an indexed tensor its shard does not hold", () => {
    const idx = index({ a: "s1.safetensors", b: "s1.safetensors" });
    const e = formatError(() => reconcileShards(I, idx, new Map([["s1.safetensors", [t("a", "s1.safetensors")]]])));
    expect({ code: e.code, tensor: e.tensor }).toEqual({ code: "format.index-mismatch", tensor: "b" });
  });

  it("a tensor stored in another shard than the index says", () => {
    const idx = index({ a: "s1.safetensors", b: "s2.safetensors" });
    const e = formatError(() =>
      reconcileShards(
        I,
        idx,
        new Map([
          ["s1.safetensors", [t("a", "s1.safetensors"), t("b", "s1.safetensors")]],
          ["s2.safetensors", []],
        ]),
      ),
    );
    expect({ code: e.code, tensor: e.tensor }).toEqual({ code: "format.index-mismatch", tensor: "b" });
  });

  it("a shard tensor the index does not list", () => {
    const idx = index({ a: "s1.safetensors" });
    const e = formatError(() => reconcileShards(I, idx, new Map([["s1.safetensors", [t("a", "s1.safetensors"), t("extra", "s1.safetensors")]]])));
    expect({ code: e.code, tensor: e.tensor }).toEqual({ code: "format.index-mismatch", tensor: "extra" });
  });

  it("constants are what the Hub layout uses", () => {
    expect(INDEX_FILE).toBe("model.safetensors.index.json");
    expect(SINGLE_FILE).toBe("model.safetensors");
  });
});
