/**
 * Decoding of every float dtype we compare, bit pattern by bit pattern, and
 * the encoder used by the generator: round-to-nearest-even, special values.
 */
import { describe, expect, it } from "vitest";
import { DECODABLE, decodeInto, encodeFloats } from "../src/safetensors/dtypes.js";

/** Little-endian bytes of 16-bit patterns. */
function u16(...xs: number[]): Uint8Array {
  const b = new Uint8Array(xs.length * 2);
  xs.forEach((x, i) => {
    b[2 * i] = x & 0xff;
    b[2 * i + 1] = x >> 8;
  });
  return b;
}

function decode(dtype: string, bytes: Uint8Array, count: number, srcOffset = 0): number[] {
  const out = new Float32Array(count);
  decodeInto(dtype, bytes, srcOffset, count, out);
  return [...out];
}

/** The 16-bit patterns of encoded values. */
function patterns(dtype: "F16" | "BF16", values: number[]): number[] {
  const b = encodeFloats(dtype, new Float32Array(values));
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) out.push(b[2 * i]! | (b[2 * i + 1]! << 8));
  return out;
}

const f32Bits = (bits: number) => new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0]!;

describe("decodable dtypes", () => {
  it("are exactly the float formats with a decoder", () => {
    expect([...DECODABLE].sort()).toEqual(["BF16", "F16", "F32", "F64", "F8_E4M3", "F8_E5M2"]);
  });

  it.each([["I32"], ["I8"], ["U8"], ["BOOL"], ["F8_E8M0"], ["F4"], ["C64"], ["F8_E4M3FNUZ"], ["nope"]])("%s throws unsupported dtype", (dtype) => {
    expect(() => decodeInto(dtype, new Uint8Array(8), 0, 1, new Float32Array(1))).toThrow(`unsupported dtype ${dtype}`);
  });
});

describe("BF16", () => {
  it("normals, specials, signed zero and subnormals", () => {
    const got = decode("BF16", u16(0x3f80, 0xc000, 0x4049, 0x7f7f, 0x7f80, 0xff80, 0x0000, 0x8000, 0x0001, 0x0080), 10);
    expect(got.slice(0, 2)).toEqual([1, -2]);
    expect(got[2]).toBe(3.140625);
    expect(got[3]).toBe(f32Bits(0x7f7f0000));
    expect(got[4]).toBe(Infinity);
    expect(got[5]).toBe(-Infinity);
    expect(Object.is(got[6], 0)).toBe(true);
    expect(Object.is(got[7], -0)).toBe(true);
    expect(got[8]).toBe(2 ** -133); // smallest subnormal
    expect(got[9]).toBe(2 ** -126); // smallest normal
  });

  it("NaN patterns decode to NaN", () => {
    for (const x of decode("BF16", u16(0x7fc0, 0xffc0, 0x7f81, 0xffff), 4)) expect(x).toBeNaN();
  });

  it("is the top half of an f32 for every pattern", () => {
    const all = new Uint8Array(65536 * 2);
    for (let h = 0; h < 65536; h++) {
      all[2 * h] = h & 0xff;
      all[2 * h + 1] = h >> 8;
    }
    const out = new Float32Array(65536);
    decodeInto("BF16", all, 0, 65536, out);
    const bits = new Uint32Array(out.buffer);
    for (let h = 0; h < 65536; h++) if (bits[h] !== h << 16 >>> 0) throw new Error(`0x${h.toString(16)} -> 0x${bits[h]!.toString(16)}`);
  });

  it("honours srcOffset (odd) and outOffset", () => {
    const src = new Uint8Array([0xaa, ...u16(0x3f80, 0x4000)]);
    const out = new Float32Array(4).fill(7);
    decodeInto("BF16", src, 1, 2, out, 1);
    expect([...out]).toEqual([7, 1, 2, 7]);
  });

  it("writes through a Float32Array that is a view with a byteOffset", () => {
    const backing = new Float32Array(6).fill(5);
    const view = backing.subarray(2, 5);
    decodeInto("BF16", u16(0x4040, 0x4080), 0, 2, view, 1);
    expect([...backing]).toEqual([5, 5, 5, 3, 4, 5]);
  });
});

describe("F16", () => {
  it("normals and extremes", () => {
    expect(decode("F16", u16(0x3c00, 0xc000, 0x3555, 0x7bff, 0xfbff, 0x0400, 0x3bff), 7)).toEqual([
      1,
      -2,
      0.333251953125,
      65504,
      -65504,
      2 ** -14,
      1 - 2 ** -11,
    ]);
  });

  it("subnormals", () => {
    expect(decode("F16", u16(0x0001, 0x0002, 0x03ff, 0x8001, 0x0200), 5)).toEqual([2 ** -24, 2 ** -23, 1023 * 2 ** -24, -(2 ** -24), 2 ** -15]);
  });

  it("infinities, NaNs and negative zero", () => {
    const got = decode("F16", u16(0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe00, 0x7fff, 0x0000, 0x8000), 8);
    expect(got[0]).toBe(Infinity);
    expect(got[1]).toBe(-Infinity);
    for (const x of got.slice(2, 6)) expect(x).toBeNaN();
    expect(Object.is(got[6], 0)).toBe(true);
    expect(Object.is(got[7], -0)).toBe(true);
  });

  it("honours srcOffset (odd) and outOffset", () => {
    const src = new Uint8Array([0, ...u16(0x3c00, 0x4000, 0x4200)]);
    const out = new Float32Array(5);
    decodeInto("F16", src, 3, 2, out, 3);
    expect([...out]).toEqual([0, 0, 0, 2, 3]);
  });
});

describe("F8_E4M3 (fn: no infinities, only S.1111.111 is NaN)", () => {
  const d = (...bytes: number[]) => decode("F8_E4M3", new Uint8Array(bytes), bytes.length);
  it("known values", () => {
    expect(d(0x38, 0x40, 0xc0, 0x7e, 0xfe, 0x08, 0x01, 0x07, 0x3c)).toEqual([1, 2, -2, 448, -448, 2 ** -6, 2 ** -9, 7 * 2 ** -9, 1.5]);
  });
  it("0x7F and 0xFF are NaN; 0x78..0x7E are finite (no infinities)", () => {
    const [a, b] = d(0x7f, 0xff);
    expect(a).toBeNaN();
    expect(b).toBeNaN();
    expect(d(0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e)).toEqual([256, 288, 320, 352, 384, 416, 448]);
  });
  it("signed zero", () => {
    const [z, nz] = d(0x00, 0x80);
    expect(Object.is(z, 0)).toBe(true);
    expect(Object.is(nz, -0)).toBe(true);
  });
  it("every pattern: exactly two NaNs, symmetric signs, all finite otherwise, max 448", () => {
    const all = d(...Array.from({ length: 256 }, (_, i) => i));
    expect(all.filter(Number.isNaN)).toHaveLength(2);
    for (let i = 0; i < 128; i++) if (!Number.isNaN(all[i]!)) expect(all[i + 128]).toBe(-all[i]!);
    const finite = all.filter((x) => !Number.isNaN(x));
    expect(finite.every(Number.isFinite)).toBe(true);
    expect(Math.max(...finite)).toBe(448);
  });
  it("honours srcOffset and outOffset", () => {
    const out = new Float32Array(3);
    decodeInto("F8_E4M3", new Uint8Array([0xff, 0x38, 0x40]), 1, 2, out, 1);
    expect([...out]).toEqual([0, 1, 2]);
  });
});

describe("F8_E5M2 (IEEE-like: infinities and NaNs)", () => {
  const d = (...bytes: number[]) => decode("F8_E5M2", new Uint8Array(bytes), bytes.length);
  it("known values", () => {
    expect(d(0x3c, 0x40, 0xc0, 0x7b, 0xfb, 0x04, 0x01, 0x03, 0x3e)).toEqual([1, 2, -2, 57344, -57344, 2 ** -14, 2 ** -16, 3 * 2 ** -16, 1.5]);
  });
  it("0x7C is +inf, 0xFC is -inf, 0x7D..0x7F are NaN", () => {
    const [pinf, ninf, ...nans] = d(0x7c, 0xfc, 0x7d, 0x7e, 0x7f, 0xfd, 0xff);
    expect(pinf).toBe(Infinity);
    expect(ninf).toBe(-Infinity);
    for (const x of nans) expect(x).toBeNaN();
  });
  it("signed zero", () => {
    const [z, nz] = d(0x00, 0x80);
    expect(Object.is(z, 0)).toBe(true);
    expect(Object.is(nz, -0)).toBe(true);
  });
  it("matches the top byte of F16 for every pattern (E5M2 is truncated binary16)", () => {
    const bytes = Array.from({ length: 256 }, (_, i) => i);
    const e5 = d(...bytes);
    const f16 = decode("F16", u16(...bytes.map((b) => b << 8)), 256);
    for (let i = 0; i < 256; i++) {
      if (Number.isNaN(f16[i]!)) expect(e5[i]).toBeNaN();
      else expect(Object.is(e5[i], f16[i])).toBe(true);
    }
  });
});

describe("F32", () => {
  const values = [1, -2.5, 3.4028234663852886e38, 1.401298464324817e-45, -0, Infinity];
  const bytes = new Uint8Array(new Float32Array(values).buffer);

  it("aligned: a direct copy", () => {
    const got = decode("F32", bytes, values.length);
    values.forEach((v, i) => expect(Object.is(got[i], v)).toBe(true));
  });

  it("unaligned srcOffset (odd) decodes the same values", () => {
    for (const shift of [1, 2, 3, 5]) {
      const src = new Uint8Array(bytes.length + shift);
      src.set(bytes, shift);
      const got = decode("F32", src, values.length, shift);
      values.forEach((v, i) => expect(Object.is(got[i], v)).toBe(true));
    }
  });

  it("a source view whose byteOffset is unaligned", () => {
    const backing = new Uint8Array(bytes.length + 3);
    backing.set(bytes, 3);
    const view = backing.subarray(3);
    expect(view.byteOffset % 4).toBe(3);
    expect(decode("F32", view, 2)).toEqual([1, -2.5]);
    // byteOffset 3 + srcOffset 1 is aligned again.
    const backing2 = new Uint8Array(bytes.length + 4);
    backing2.set(bytes, 4);
    expect(decode("F32", backing2.subarray(3), 2, 1)).toEqual([1, -2.5]);
  });

  it("NaN stays NaN; outOffset is honoured; count 0 writes nothing", () => {
    const out = new Float32Array(3).fill(9);
    decodeInto("F32", new Uint8Array(new Float32Array([NaN, 4]).buffer), 0, 2, out, 1);
    expect(out[0]).toBe(9);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBe(4);
    const untouched = new Float32Array(2).fill(9);
    decodeInto("F32", new Uint8Array(0), 0, 0, untouched);
    expect([...untouched]).toEqual([9, 9]);
  });
});

describe("F64", () => {
  it("narrows to f32: overflow to infinity, underflow to zero, specials kept", () => {
    const src = new Uint8Array(new Float64Array([1.5, -0.1, 1e300, -1e300, 1e-300, -0, NaN]).buffer);
    const got = decode("F64", src, 7);
    expect(got[0]).toBe(1.5);
    expect(got[1]).toBe(Math.fround(-0.1));
    expect(got[2]).toBe(Infinity);
    expect(got[3]).toBe(-Infinity);
    expect(got[4]).toBe(0);
    expect(Object.is(got[5], -0)).toBe(true);
    expect(got[6]).toBeNaN();
  });

  it("unaligned srcOffset", () => {
    const src = new Uint8Array(8 * 2 + 3);
    new DataView(src.buffer).setFloat64(3, 2.25, true);
    new DataView(src.buffer).setFloat64(11, -4, true);
    expect(decode("F64", src, 2, 3)).toEqual([2.25, -4]);
  });
});

describe("encodeFloats", () => {
  it("F32 is the raw little-endian bytes, and copies (does not alias) the input", () => {
    const v = new Float32Array([1, -2, 0.1]);
    const b = encodeFloats("F32", v);
    expect([...b]).toEqual([...new Uint8Array(v.buffer)]);
    v[0] = 42;
    expect(decode("F32", b, 3)[0]).toBe(1);
  });

  it("F32 of a subarray encodes only that subarray", () => {
    const v = new Float32Array([1, 2, 3, 4]).subarray(1, 3);
    expect(decode("F32", encodeFloats("F32", v), 2)).toEqual([2, 3]);
  });

  it("BF16 rounds to nearest, ties to even", () => {
    expect(
      patterns("BF16", [
        1,
        f32Bits(0x3f808000), // exactly halfway 0x3F80/0x3F81 -> even 0x3F80
        f32Bits(0x3f818000), // halfway 0x3F81/0x3F82 -> even 0x3F82
        f32Bits(0x3f808001), // just above halfway -> up
        f32Bits(0x3f807fff), // just below halfway -> down
        f32Bits(0xbf808000), // negative tie -> even
        -2,
      ]),
    ).toEqual([0x3f80, 0x3f80, 0x3f82, 0x3f81, 0x3f80, 0xbf80, 0xc000]);
  });

  it("BF16 specials: signed zeros, infinities, NaN, overflow rounds to infinity", () => {
    expect(patterns("BF16", [0, -0, Infinity, -Infinity, f32Bits(0x7f7fffff), f32Bits(0xff7fffff)])).toEqual([0x0000, 0x8000, 0x7f80, 0xff80, 0x7f80, 0xff80]);
    expect(patterns("BF16", [NaN, f32Bits(0x7f800001), f32Bits(0xffffffff)])).toEqual([0x7fc0, 0x7fc0, 0x7fc0]);
  });

  it("BF16: every non-NaN pattern round-trips exactly through decode", () => {
    const bytes = new Uint8Array(65536 * 2);
    for (let h = 0; h < 65536; h++) {
      bytes[2 * h] = h & 0xff;
      bytes[2 * h + 1] = h >> 8;
    }
    const floats = new Float32Array(65536);
    decodeInto("BF16", bytes, 0, 65536, floats);
    const again = encodeFloats("BF16", floats);
    for (let h = 0; h < 65536; h++) {
      const back = again[2 * h]! | (again[2 * h + 1]! << 8);
      const isNaN = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      if (back !== (isNaN ? 0x7fc0 : h)) throw new Error(`0x${h.toString(16)} -> 0x${back.toString(16)}`);
    }
  });

  it("F16 known values, overflow and underflow", () => {
    expect(patterns("F16", [1, -2, 65504, 65519, 65520, 1e5, -1e5, 2 ** -14, 2 ** -24, 0, -0, Infinity, -Infinity])).toEqual([
      0x3c00, 0xc000, 0x7bff, 0x7bff, 0x7c00, 0x7c00, 0xfc00, 0x0400, 0x0001, 0x0000, 0x8000, 0x7c00, 0xfc00,
    ]);
    const [nan] = patterns("F16", [NaN]);
    expect(nan! & 0x7c00).toBe(0x7c00);
    expect(nan! & 0x3ff).not.toBe(0);
  });

  it("F16 rounds to nearest, ties to even, in normals and subnormals", () => {
    expect(
      patterns("F16", [
        1 + 2 ** -11, // halfway 0x3C00/0x3C01 -> even 0x3C00
        1 + 3 * 2 ** -11, // halfway 0x3C01/0x3C02 -> even 0x3C02
        1 + 2 ** -11 + 2 ** -20, // above halfway -> up
        2 ** -25, // halfway 0/0x0001 -> even 0
        3 * 2 ** -25, // halfway 0x0001/0x0002 -> even 0x0002
        1.5 * 2 ** -25, // above halfway to 2^-24 -> 0x0001
        2 ** -26, // below halfway -> 0
        1023.5 * 2 ** -24, // halfway 0x03FF/0x0400 -> even 0x0400 (subnormal rounds into the normals)
        -(2 ** -25), // negative tie -> -0
      ]),
    ).toEqual([0x3c00, 0x3c02, 0x3c01, 0x0000, 0x0002, 0x0001, 0x0000, 0x0400, 0x8000]);
  });

  it("F16: every non-NaN pattern round-trips exactly through decode", () => {
    const bytes = new Uint8Array(65536 * 2);
    for (let h = 0; h < 65536; h++) {
      bytes[2 * h] = h & 0xff;
      bytes[2 * h + 1] = h >> 8;
    }
    const floats = new Float32Array(65536);
    decodeInto("F16", bytes, 0, 65536, floats);
    const again = encodeFloats("F16", floats);
    for (let h = 0; h < 65536; h++) {
      const back = again[2 * h]! | (again[2 * h + 1]! << 8);
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN ? (back & 0x7c00) !== 0x7c00 || (back & 0x3ff) === 0 : back !== h) throw new Error(`0x${h.toString(16)} -> 0x${back.toString(16)}`);
    }
  });

  it("F16 and BF16 encoding is the nearest representable value (random f32 inputs)", () => {
    let s = 12345;
    const rnd = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s;
    };
    const inputs = new Float32Array(20000);
    for (let i = 0; i < inputs.length; i++) {
      // Random magnitudes across the F16 range, both signs.
      inputs[i] = (rnd() & 1 ? -1 : 1) * (rnd() / 2 ** 32) * 2 ** ((rnd() % 44) - 28);
    }
    for (const dtype of ["F16", "BF16"] as const) {
      const dec = new Float32Array(inputs.length);
      decodeInto(dtype, encodeFloats(dtype, inputs), 0, inputs.length, dec);
      for (let i = 0; i < inputs.length; i++) {
        const x = inputs[i]!;
        const y = dec[i]!;
        if (!Number.isFinite(y)) continue; // overflow handled above
        // |x - y| is at most half a unit in the last place of y's format.
        const ulp = dtype === "BF16" ? 2 ** (Math.floor(Math.log2(Math.abs(x) || 1)) - 7) : Math.max(2 ** -24, 2 ** (Math.floor(Math.log2(Math.abs(x) || 1)) - 10));
        if (Math.abs(x - y) > ulp / 2 + 1e-45) throw new Error(`${dtype}: ${x} -> ${y}`);
      }
    }
  });
});
