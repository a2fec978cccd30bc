/**
 * The WebAssembly SIMD kernel (kernel.wat): shifted sums of BF16 or F32 pairs
 * straight from file bytes, ~8 pairs per step. Used for plain views (whole
 * rows, same dtype both sides); everything else takes the Float32 path.
 */
import { KERNEL_WASM_BASE64 } from "./kernel-wasm.js";

export interface ShiftedSums {
  n: number;
  /** Sums of (a - ka), (b - kb), their squares and their product. */
  sa: number;
  sb: number;
  saa: number;
  sbb: number;
  sab: number;
  ka: number;
  kb: number;
  differs: boolean;
  nonFinite: boolean;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  reset(): void;
  bf16(pa: number, pb: number, n: number, ka: number, kb: number): number;
  f32(pa: number, pb: number, n: number, ka: number, kb: number): number;
}

const HEADER = 64;

export class PairKernel {
  private readonly k: KernelExports;

  constructor() {
    const module = new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, "base64"));
    this.k = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  }

  /** Whether this dtype pair has a kernel (both sides the same, BF16 or F32). */
  static supports(dtypeA: string, dtypeB: string): boolean {
    return dtypeA === dtypeB && (dtypeA === "BF16" || dtypeA === "F32");
  }

  run(dtype: "BF16" | "F32", a: Uint8Array, b: Uint8Array, n: number, ka: number, kb: number): ShiftedSums {
    const bytes = dtype === "BF16" ? 2 : 4;
    const len = n * bytes;
    const pa = HEADER;
    const pb = HEADER + ((len + 15) & ~15);
    const need = pb + len;
    const mem = this.k.memory;
    if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    const view = new Uint8Array(mem.buffer);
    view.set(a.subarray(0, len), pa);
    view.set(b.subarray(0, len), pb);
    this.k.reset();
    const flags = dtype === "BF16" ? this.k.bf16(pa, pb, n, ka, kb) : this.k.f32(pa, pb, n, ka, kb);
    const acc = new Float64Array(mem.buffer, 0, 5);
    return { n, sa: acc[0]!, sb: acc[1]!, saa: acc[2]!, sbb: acc[3]!, sab: acc[4]!, ka: Math.fround(ka), kb: Math.fround(kb), differs: (flags & 1) !== 0, nonFinite: (flags & 2) !== 0 };
  }
}

let shared: PairKernel | null = null;
/** One kernel instance per process (the engine is single-threaded). */
export function pairKernel(): PairKernel {
  shared ??= new PairKernel();
  return shared;
}
