/**
 * Reusable Float64 blocks for the hot loops' short-lived results (standardised samples, cosine and
 * Gram blocks). Each allocation of 128 KiB or more is a fresh mmap under the check process's malloc
 * setting (src/common/check-process.ts), paid in page faults on every use: on a 32-layer width-1024
 * pair that churn was over 4 GB and ~1 s. A block is reused by the next `take` of the same Scratch,
 * so a caller must be done with it by then, and must write every element it reads. Blocks above
 * MAX_ELEMENTS are allocated fresh; every block is dropped at `releaseScratch` (the search's stages).
 */

/** 2 MiB per block at most: the largest sample grids' blocks (512 x 512) and the cosine blocks. */
const MAX_ELEMENTS = 1 << 18;

const all: Scratch[] = [];

export class Scratch {
  private block = new Float64Array(0);

  constructor() {
    all.push(this);
  }

  /** `n` Float64 elements, with whatever the last use left in them. */
  take(n: number): Float64Array {
    if (n > MAX_ELEMENTS) return new Float64Array(n);
    if (this.block.length < n) this.block = new Float64Array(Math.min(MAX_ELEMENTS, Math.max(n, 2 * this.block.length)));
    return this.block.subarray(0, n);
  }

  release(): void {
    this.block = new Float64Array(0);
  }
}

/** Drop every Scratch's block (before a stage that needs the memory). */
export function releaseScratch(): void {
  for (const s of all) s.release();
}
