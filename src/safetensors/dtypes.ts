/**
 * safetensors dtypes: their sizes, and decoding of the floating-point ones we
 * compare into Float32 without per-element allocation.
 */

/** Bits per element of every dtype the safetensors spec defines. */
export const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

/** Dtypes we can decode into floats and compare. */
export const DECODABLE = new Set(["F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"]);

export function bytesPerElement(dtype: string): number {
  const bits = Object.hasOwn(DTYPE_BITS, dtype) ? DTYPE_BITS[dtype] : undefined;
  if (bits === undefined || bits % 8 !== 0) throw new Error(`no whole-byte size for dtype ${dtype}`);
  return bits / 8;
}

/** Lookup tables for the 8- and 16-bit float formats, built once. */
const F16_TABLE = buildF16Table();
const F8_E4M3_TABLE = buildF8Table(4, 3, true);
const F8_E5M2_TABLE = buildF8Table(5, 2, false);

function buildF16Table(): Float32Array {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return t;
}

/**
 * F8 formats as in safetensors/PyTorch: E4M3 is the "fn" variant (no infinities,
 * only S.1111.111 is NaN, bias 7); E5M2 is IEEE-like (bias 15, inf and NaN).
 */
function buildF8Table(expBits: number, manBits: number, fn: boolean): Float32Array {
  const t = new Float32Array(256);
  const bias = (1 << (expBits - 1)) - 1;
  const expMax = (1 << expBits) - 1;
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const exp = (b >> manBits) & expMax;
    const man = b & ((1 << manBits) - 1);
    if (fn) {
      if (exp === expMax && man === (1 << manBits) - 1) {
        t[b] = NaN;
        continue;
      }
    } else if (exp === expMax) {
      t[b] = man ? NaN : sign * Infinity;
      continue;
    }
    if (exp === 0) t[b] = sign * (man / (1 << manBits)) * 2 ** (1 - bias);
    else t[b] = sign * (1 + man / (1 << manBits)) * 2 ** (exp - bias);
  }
  return t;
}

/** The f32 bit pattern of the little-endian BF16 value at byte p of src (bf16 is the top half of an f32). */
export function bf16Bits(src: Uint8Array, p: number): number {
  return ((src[p]! | (src[p + 1]! << 8)) << 16) >>> 0;
}

/**
 * Decode `count` little-endian elements of `dtype` from `src` (starting at byte
 * `srcOffset`) into `out[outOffset..]`. Handles unaligned input without copying.
 */
export function decodeInto(
  dtype: string,
  src: Uint8Array,
  srcOffset: number,
  count: number,
  out: Float32Array,
  outOffset = 0,
): void {
  switch (dtype) {
    case "BF16": {
      // bf16 is the top half of an f32: widen through a shared u32 view.
      const u32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
      let p = srcOffset;
      for (let i = 0; i < count; i++, p += 2) u32[outOffset + i] = bf16Bits(src, p);
      return;
    }
    case "F16": {
      let p = srcOffset;
      for (let i = 0; i < count; i++, p += 2) out[outOffset + i] = F16_TABLE[src[p]! | (src[p + 1]! << 8)]!;
      return;
    }
    case "F32": {
      if ((src.byteOffset + srcOffset) % 4 === 0) {
        out.set(new Float32Array(src.buffer, src.byteOffset + srcOffset, count), outOffset);
      } else {
        const dv = new DataView(src.buffer, src.byteOffset + srcOffset, count * 4);
        for (let i = 0; i < count; i++) out[outOffset + i] = dv.getFloat32(i * 4, true);
      }
      return;
    }
    case "F64": {
      const dv = new DataView(src.buffer, src.byteOffset + srcOffset, count * 8);
      for (let i = 0; i < count; i++) out[outOffset + i] = dv.getFloat64(i * 8, true);
      return;
    }
    case "F8_E4M3": {
      for (let i = 0; i < count; i++) out[outOffset + i] = F8_E4M3_TABLE[src[srcOffset + i]!]!;
      return;
    }
    case "F8_E5M2": {
      for (let i = 0; i < count; i++) out[outOffset + i] = F8_E5M2_TABLE[src[srcOffset + i]!]!;
      return;
    }
    default:
      throw new Error(`unsupported dtype ${dtype}`);
  }
}

/** Encode float values as `dtype` bytes (round-to-nearest-even). Used by the model generator and tests. */
export function encodeFloats(dtype: "F32" | "F16" | "BF16", values: Float32Array): Uint8Array {
  const n = values.length;
  if (dtype === "F32") return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + n * 4));
  const out = new Uint8Array(n * 2);
  const u32 = new Uint32Array(values.buffer, values.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const h = dtype === "BF16" ? f32BitsToBf16(u32[i]!) : f32ToF16(values[i]!);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >> 8;
  }
  return out;
}

function f32BitsToBf16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
function f32ToF16(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let man = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    man |= 0x800000;
    const shift = 14 - e;
    let h = man >> shift;
    const rem = man & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}
