/**
 * All row-by-row dot products of two row-major matrices, out[i][j] = a_i . b_j,
 * through the WebAssembly SIMD tile kernel (dots.wat). Each sum is the plain
 * loop's, bit for bit (Float64, k in order), so callers get the same numbers
 * as before, several times faster. Work is chunked so the kernel's memory
 * stays bounded (a few MiB) whatever the matrix sizes.
 */
import { DOTS_WASM_BASE64 } from "./dots-wasm.js";

interface DotsExports {
  memory: WebAssembly.Memory;
  dots(pa: number, na4: number, pb: number, nb4: number, w: number, po: number): void;
}

/** Bytes of packed operand per chunk (each side). */
const CHUNK_BYTES = 2 << 20;
/** Rows of `a` per chunk at most (bounds the output block with B_ROWS_MAX). */
const A_ROWS_MAX = 256;
const B_ROWS_MAX = 1024;

let shared: DotsExports | null = null;
function kernel(): DotsExports {
  if (!shared) {
    const module = new WebAssembly.Module(Buffer.from(DOTS_WASM_BASE64, "base64"));
    shared = new WebAssembly.Instance(module, {}).exports as unknown as DotsExports;
  }
  return shared;
}

function chunkRows(n: number, w: number, max: number): number {
  const byBytes = Math.floor(CHUNK_BYTES / (w * 8 * 4)) * 4;
  return Math.max(4, Math.min(max, byBytes, (n + 3) & ~3));
}

/** Rows [r0, r1) of m (row-major, w columns) into 4-row panels interleaved by k, zero-padded. */
function pack(m: Float32Array | Float64Array, w: number, r0: number, r1: number, dst: Float64Array, at: number): void {
  const rows = r1 - r0;
  const panels = (rows + 3) >> 2;
  for (let p = 0; p < panels; p++) {
    const base = at + p * w * 4;
    for (let r = 0; r < 4; r++) {
      const row = r0 + p * 4 + r;
      if (row < r1) {
        const src = row * w;
        for (let k = 0; k < w; k++) dst[base + k * 4 + r] = m[src + k]!;
      } else {
        for (let k = 0; k < w; k++) dst[base + k * 4 + r] = 0;
      }
    }
  }
}

/**
 * out (na x nb, row-major) = a (na x w) times b (nb x w) transposed, every sum in Float64 over k in order.
 * `into` (at least na x nb) is written and returned instead of a new array: callers that loop reuse one
 * block, which keeps the heap from growing with freed multi-MiB blocks.
 */
export function rowDots(a: Float32Array | Float64Array, na: number, b: Float32Array | Float64Array, nb: number, w: number, into?: Float64Array): Float64Array {
  const out = into ? into.subarray(0, na * nb) : new Float64Array(na * nb);
  if (na === 0 || nb === 0 || w === 0) return out;
  const k = kernel();
  const aRows = chunkRows(na, w, A_ROWS_MAX);
  const bRows = chunkRows(nb, w, B_ROWS_MAX);
  const aBytes = aRows * w * 8;
  const bBytes = bRows * w * 8;
  const need = aBytes + bBytes + aRows * bRows * 8;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const mem = new Float64Array(k.memory.buffer);
  const pa = 0;
  const pb = aBytes;
  const po = aBytes + bBytes;
  for (let j0 = 0; j0 < nb; j0 += bRows) {
    const j1 = Math.min(nb, j0 + bRows);
    const nb4 = (j1 - j0 + 3) >> 2;
    pack(b, w, j0, j1, mem, pb / 8);
    for (let i0 = 0; i0 < na; i0 += aRows) {
      const i1 = Math.min(na, i0 + aRows);
      pack(a, w, i0, i1, mem, pa / 8);
      k.dots(pa, (i1 - i0 + 3) >> 2, pb, nb4, w, po);
      // Whole rows of the result in one block: one native copy. Else element by element (a subarray
      // per row would allocate, and this runs for every tile row).
      const stride = nb4 * 4;
      const width = j1 - j0;
      if (width === nb && stride === nb) {
        out.set(mem.subarray(po / 8, po / 8 + (i1 - i0) * nb), i0 * nb);
        continue;
      }
      for (let i = i0; i < i1; i++) {
        const src = po / 8 + (i - i0) * stride;
        const dst = i * nb + j0;
        for (let j = 0; j < width; j++) out[dst + j] = mem[src + j]!;
      }
    }
  }
  return out;
}
