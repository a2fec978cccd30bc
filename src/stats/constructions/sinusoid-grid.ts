/**
 * sinusoid-grid (2-D, positions along either axis): the fixed 2D/3D sin-cos
 * tables of MAE / MoCo-v3 / video ViTs, each channel a sinusoid of one grid
 * coordinate, after up to 8 leading rows (class tokens); recognised at ≥ 0.9.
 * The fit, and the noise screen run before every fitting detector, are in
 * position-grid.ts.
 */

import { recogniseSinusoidGrid } from "./position-grid.js";
import type { Recognised } from "./recognised.js";

/** Position tables on a grid have at most this many positions (a 128 × 128 patch grid). */
const MAX_GRID_POSITIONS = 16384;

/** The grid fit as a detector: the position-grid fit, named. */
export function recogniseGridTable(values: Float32Array, rows: number, cols: number): Recognised | null {
  if (Math.max(rows, cols) > MAX_GRID_POSITIONS) return null;
  const fit = recogniseSinusoidGrid(values, rows, cols);
  return fit ? { construction: "sinusoid-grid", ...fit } : null;
}
