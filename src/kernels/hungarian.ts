/**
 * The exact Hungarian assignment with its column scan in WebAssembly SIMD
 * (hungarian.wat); search/assignment.ts chooses between it, the scalar loop
 * and the greedy matching.
 */
import { HUNGARIAN_WASM_BASE64 } from "./hungarian-wasm.js";

/** Cost matrices up to this many cells go to the WebAssembly scan (its memory, never returned, stays below ~40 MiB). */
export const WASM_MAX_CELLS = 4 << 20;

interface HungarianExports {
  memory: WebAssembly.Memory;
  hungarian(n: number, m: number, ps: number, pu: number, pv: number, pminv: number, pused: number, pway: number, pp: number, plist: number): void;
}

let wasm: HungarianExports | null = null;

/** The same algorithm as `hungarian` in search/assignment.ts, operation for operation, with its column scan in SIMD (hungarian.wat). */
export function hungarianWasm(score: Float64Array | Float32Array, n: number, m: number): Int32Array {
  if (!wasm) {
    const module = new WebAssembly.Module(Buffer.from(HUNGARIAN_WASM_BASE64, "base64"));
    wasm = new WebAssembly.Instance(module, {}).exports as unknown as HungarianExports;
  }
  const cols = m + 2;
  const ps = 0;
  const pu = ps + (n * m + 2) * 8;
  const pv = pu + (n + 2) * 8;
  const pminv = pv + cols * 8;
  const pused = pminv + cols * 8;
  const pway = pused + cols * 8;
  const pp = pway + cols * 8;
  const plist = pp + cols * 4;
  const need = plist + cols * 4;
  const mem = wasm.memory;
  if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
  const f64 = new Float64Array(mem.buffer);
  f64.set(score.subarray(0, n * m), ps / 8);
  // The pad after the last row (read by the scan for the masked column m + 1), potentials and the path: zero.
  new Uint8Array(mem.buffer, ps + n * m * 8, plist - (ps + n * m * 8)).fill(0);
  wasm.hungarian(n, m, ps, pu, pv, pminv, pused, pway, pp, plist);
  const p = new Int32Array(mem.buffer, pp, m + 1);
  const out = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) out[p[j]! - 1] = j - 1;
  return out;
}
