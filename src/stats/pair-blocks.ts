/**
 * One aligned pair's exact statistics and the controls' sample, fed block by
 * block with values the engine read (engine/stream-pair.ts): file bytes
 * straight into the SIMD kernel, or rows already decoded to Float32. In
 * sampled mode one accumulator per chunk measures the sampling error. Pure:
 * no I/O.
 */
import type { AlignedPair } from "../align/align.js";
import { type ShiftedSums, pairKernel } from "../kernels/kernel.js";
import { decodeInto } from "../safetensors/dtypes.js";
import type { SampledPair } from "./controls.js";
import { PairAccumulator, type PairStats } from "./pair-stats.js";
import { type SampleGrid, SampleCollector, sampleGridIn } from "./sample.js";
import type { RowBlock } from "./sampled-rows.js";

export interface PairOutcome {
  stats: PairStats;
  sample: SampledPair;
  /** Set in sampled mode when only some rows were read. */
  sampling: { fraction: number; elements: number; pearsonSe: number | null } | null;
}

export class PairBlocks {
  private readonly grid: SampleGrid;
  private readonly sa: SampleCollector;
  private readonly sb: SampleCollector;
  private readonly acc = new PairAccumulator();
  private readonly chunkAcc: PairAccumulator[] | null;
  private readonly kernel = pairKernel();
  /** Each side's shift (its approximate mean, from the first block), so the f32 partial sums do not cancel. */
  private shift: { ka: number; kb: number } | null = null;

  /** `ranges`: the rows read (sampled-rows.ts), in canonical rows of `pair.candidate`. */
  constructor(
    private readonly pair: AlignedPair,
    ranges: [number, number][],
  ) {
    const cols = pair.candidate.cols;
    this.grid = sampleGridIn(ranges, cols);
    this.sa = new SampleCollector(this.grid, cols);
    this.sb = new SampleCollector(this.grid, cols);
    this.chunkAcc = ranges.length > 1 ? ranges.map(() => new PairAccumulator()) : null;
  }

  /**
   * A block as stored bytes of BF16 or F32 on both sides (whole stored rows): only sampled values are
   * decoded. `sums`, when given, computes the kernel's sums where the bytes already lie (a slot kernel's memory).
   */
  addRaw(block: RowBlock, dtype: "BF16" | "F32", ba: Uint8Array, bb: Uint8Array, sums?: (n: number, ka: number, kb: number) => ShiftedSums): void {
    const { r0, r1, chunk } = block;
    const n = (r1 - r0) * this.pair.candidate.cols;
    this.shift ??= { ka: leadingMean(dtype, ba, n), kb: leadingMean(dtype, bb, n) };
    const s = sums ? sums(n, this.shift.ka, this.shift.kb) : this.kernel.run(dtype, ba, bb, n, this.shift.ka, this.shift.kb);
    if (s.nonFinite) {
      // Rare: let the Float32 path skip and count the non-finite values.
      const fa = new Float32Array(n);
      const fb = new Float32Array(n);
      decodeInto(dtype, ba, 0, n, fa);
      decodeInto(dtype, bb, 0, n, fb);
      this.acc.add(fa, fb, n);
      this.chunkAcc?.[chunk]!.add(fa, fb, n);
    } else {
      this.acc.addShifted(s);
      this.chunkAcc?.[chunk]!.addShifted(s);
    }
    this.sa.offerRaw(r0, ba, r1 - r0, dtype);
    this.sb.offerRaw(r0, bb, r1 - r0, dtype);
  }

  /** A block decoded to Float32 canonical rows on both sides, summed by the same SIMD kernel as F32. */
  addDecoded(block: RowBlock, fa: Float32Array, fb: Float32Array): void {
    const { r0, r1, chunk } = block;
    const n = (r1 - r0) * this.pair.candidate.cols;
    this.shift ??= { ka: finiteMean(fa, n), kb: finiteMean(fb, n) };
    const s = this.kernel.run("F32", new Uint8Array(fa.buffer, fa.byteOffset, n * 4), new Uint8Array(fb.buffer, fb.byteOffset, n * 4), n, this.shift.ka, this.shift.kb);
    if (s.nonFinite) {
      this.acc.add(fa, fb, n);
      this.chunkAcc?.[chunk]!.add(fa, fb, n);
    } else {
      this.acc.addShifted(s);
      this.chunkAcc?.[chunk]!.addShifted(s);
    }
    this.sa.offer(r0, fa, r1 - r0);
    this.sb.offer(r0, fb, r1 - r0);
  }

  /** The statistics of every block added, the sample, and (sampled mode) the fraction read and Pearson's standard error. */
  outcome(): PairOutcome {
    const { pair, grid, sa, sb, acc, chunkAcc } = this;
    const rows = pair.candidate.rows;
    const stats = acc.result();
    let sampling: PairOutcome["sampling"] = null;
    if (chunkAcc) {
      const rs = chunkAcc.map((c) => c.result().pearson).filter((r): r is number => r !== null);
      const m = rs.length;
      const mean = rs.reduce((x, y) => x + y, 0) / Math.max(1, m);
      const sd = m > 1 ? Math.sqrt(rs.reduce((x, y) => x + (y - mean) ** 2, 0) / (m - 1)) : null;
      const readRows = pair.candidate.cols > 0 ? stats.n / pair.candidate.cols : 0;
      sampling = { fraction: readRows / rows, elements: stats.n, pearsonSe: sd === null ? null : sd / Math.sqrt(m) };
    }
    const sample: SampledPair = { layer: pair.layer, role: pair.role, rowsSampled: grid.rows.length, colsSampled: grid.cols.length, a: sa.values, b: sb.values, grid };
    return { stats, sample, sampling };
  }
}

/** Mean of the first values of a block (finite ones), as the kernel's shift. */
function leadingMean(dtype: string, bytes: Uint8Array, n: number): number {
  const k = Math.min(n, 4096);
  const f = new Float32Array(k);
  decodeInto(dtype, bytes, 0, k, f);
  return finiteMean(f, k);
}

/** Mean of the finite values among the first min(n, 4096) (the kernel's shift, so f32 partial sums do not cancel). */
function finiteMean(f: Float32Array, n: number): number {
  const k = Math.min(n, 4096);
  let s = 0;
  let c = 0;
  for (let i = 0; i < k; i++) if (Number.isFinite(f[i]!)) {
    s += f[i]!;
    c++;
  }
  return c ? s / c : 0;
}
