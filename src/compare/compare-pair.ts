/** Stream one aligned pair: exact statistics plus a sample of both sides for the controls. */
import type { WeightSource } from "../sources/types.js";
import type { AlignedPair } from "./align.js";
import { PairAccumulator, type PairStats } from "./pair-stats.js";
import { BLOCK_ELEMENTS, ViewReader } from "./read-view.js";
import { SampleCollector, sampleGrid } from "./sample.js";
import type { SampledPair } from "./controls.js";

export interface PairOutcome {
  stats: PairStats;
  sample: SampledPair;
}

export async function comparePair(
  pair: AlignedPair,
  candidate: WeightSource,
  reference: WeightSource,
): Promise<PairOutcome> {
  const cr = new ViewReader(candidate, pair.candidate);
  const rr = new ViewReader(reference, pair.reference);
  const { rows, cols } = pair.candidate;
  const grid = sampleGrid(rows, cols);
  const sa = new SampleCollector(grid, cols);
  const sb = new SampleCollector(grid, cols);
  const acc = new PairAccumulator();
  const step = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, cols)));
  for (let r0 = 0; r0 < rows; r0 += step) {
    const r1 = Math.min(rows, r0 + step);
    const [a, b] = await Promise.all([cr.rows(r0, r1), rr.rows(r0, r1)]);
    acc.add(a, b, (r1 - r0) * cols);
    sa.offer(r0, a, r1 - r0);
    sb.offer(r0, b, r1 - r0);
  }
  cr.release();
  rr.release();
  return {
    stats: acc.result(),
    sample: {
      layer: pair.layer,
      role: pair.role,
      rowsSampled: grid.rows.length,
      colsSampled: grid.cols.length,
      a: sa.values,
      b: sb.values,
    },
  };
}
