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

let compiled: WebAssembly.Module | null = null;
/** The kernel's module, compiled once per process (instances are cheap; compiling is not). */
function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, "base64"));
  return compiled;
}

export class PairKernel {
  protected readonly k: KernelExports;

  constructor() {
    this.k = new WebAssembly.Instance(kernelModule(), {}).exports as unknown as KernelExports;
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
    return this.sums(dtype, pa, pb, n, ka, kb);
  }

  /** The sums of n pairs already in the kernel's memory at byte offsets pa and pb. */
  protected sums(dtype: "BF16" | "F32", pa: number, pb: number, n: number, ka: number, kb: number): ShiftedSums {
    this.k.reset();
    const flags = dtype === "BF16" ? this.k.bf16(pa, pb, n, ka, kb) : this.k.f32(pa, pb, n, ka, kb);
    const acc = new Float64Array(this.k.memory.buffer, 0, 5);
    return { n, sa: acc[0]!, sb: acc[1]!, saa: acc[2]!, sbb: acc[3]!, sab: acc[4]!, ka: Math.fround(ka), kb: Math.fround(kb), differs: (flags & 1) !== 0, nonFinite: (flags & 2) !== 0 };
  }
}

/**
 * A kernel instance whose memory holds `count` fixed slots of `slotBytes` each, that file reads land in
 * directly: no buffer allocated per block, no copy into the kernel (on a 2 x 1 GB pair both showed as a
 * quarter of the main thread: page faults of fresh buffers, their GC, and the copy). Its memory never
 * grows after it is made, so a slot's view stays valid while reads into it are in flight. Taken from a
 * small pool (`acquireSlots`) by one stream at a time and given back with `release()` once no read
 * into it is pending.
 */
export class SlotKernel extends PairKernel {
  private readonly views: Uint8Array[];

  constructor(
    readonly slotBytes: number,
    readonly count: number,
  ) {
    super();
    const stride = (slotBytes + 15) & ~15;
    const need = HEADER + stride * count;
    const mem = this.k.memory;
    if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    this.views = Array.from({ length: count }, (_, i) => new Uint8Array(mem.buffer, HEADER + i * stride, slotBytes));
  }

  /** Slot i's bytes (a view into the kernel's memory). */
  slot(i: number): Uint8Array {
    return this.views[i]!;
  }

  /** The sums of the first n pairs of slots i (side a) and j (side b), read where they lie. */
  runSlots(dtype: "BF16" | "F32", i: number, j: number, n: number, ka: number, kb: number): ShiftedSums {
    return this.sums(dtype, this.views[i]!.byteOffset, this.views[j]!.byteOffset, n, ka, kb);
  }

  /** Give the instance back to the pool (every read into its slots has settled). */
  release(): void {
    if (pool.length < MAX_POOLED) pool.push(this);
  }
}

/** Instances kept for reuse (one per stream that ran at once; the engine streams one pair at a time). */
const MAX_POOLED = 2;
const pool: SlotKernel[] = [];

/** A slot kernel with at least `count` slots of `slotBytes`: a pooled one when one fits, else a new one. */
export function acquireSlots(slotBytes: number, count: number): SlotKernel {
  const i = pool.findIndex((k) => k.slotBytes >= slotBytes && k.count >= count);
  if (i >= 0) return pool.splice(i, 1)[0]!;
  return new SlotKernel(slotBytes, count);
}

let shared: PairKernel | null = null;
/** One kernel instance per process (the engine is single-threaded). */
export function pairKernel(): PairKernel {
  shared ??= new PairKernel();
  return shared;
}
