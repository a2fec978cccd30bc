/**
 * Tensors explained by a construction two models can share without copying.
 *
 * Two independently trained models can hold equal (or highly correlated)
 * tensors that carry no evidence of copying, because both built them from the
 * same recipe. This folder recognises such tensors from their values alone.
 * The tensor name is a hint: when it suggests the construction (NAME_HINTS) a
 * threshold is lowered slightly (HINTED); it is never required and never
 * enough, and the structural conditions are never relaxed. Pure: no I/O.
 *
 * Singleton axes are squeezed first ([2F, 1, N] is [2F, N]; [1, P, d] is
 * [P, d]). Non-finite values and tensors of fewer than 2 elements are never
 * recognised. One file per detector, each saying what its "explained" is.
 * They run in this order, the first to recognise wins (exact and cheap
 * first, specific before general):
 *
 * - any shape: constant.ts;
 * - 1-D: window.ts, then rotary-frequencies.ts;
 * - 2-D: identity.ts; then, unless the matrix is rough like noise along both
 *   axes (position-grid.ts: trained weights, which no fit explains) while its
 *   name does not suggest a sinusoid table, the fitting detectors
 *   mel-filterbank.ts, dft-basis.ts, sinusoid-table.ts and sinusoid-grid.ts.
 *
 * Why per-signal variance rather than the tensor's for the mel filterbank,
 * the DFT basis and the sinusoid table: their models have no constant term,
 * but ω = 0 (k = 0) fits a per-signal offset, and a random non-negative
 * matrix (uniform on [1, 2]) is > 0.9 offset.
 * Against each signal's variance about its own mean only the shape counts;
 * RSS is always that of the full model. 0.9 is the floor everywhere; it is
 * higher where the construction is exact and a few-parameter fit of a vector
 * could pass by luck.
 *
 * Cost: linear in the elements. Each fitting detector first fits ≤ 32 evenly
 * spaced signals and stops when they explain < 0.5; the sinusoid fit is one
 * FFT and ~30 passes per channel, the DFT fit ≤ 5 passes per row and window;
 * above 2^23 elements the sinusoid table is estimated from evenly spaced
 * channels. About 0.5 s for a 1500 × 1280 table, less for trained tensors
 * of a few million elements.
 */

import { recogniseConstant } from "./constant.js";
import { recogniseDft } from "./dft-basis.js";
import { elementsOf } from "./fit-helpers.js";
import { recogniseIdentity } from "./identity.js";
import { recogniseMel } from "./mel-filterbank.js";
import { roughLikeNoise } from "./position-grid.js";
import { hinted, type Recognised } from "./recognised.js";
import { recogniseRotary } from "./rotary-frequencies.js";
import { recogniseGridTable } from "./sinusoid-grid.js";
import { recogniseSinusoidTable } from "./sinusoid-table.js";
import { recogniseWindow } from "./window.js";

export { residualAfterConstruction } from "./identity.js";
export { type Construction, HINTED, type Recognised, THRESHOLDS } from "./recognised.js";

type VectorDetector = (values: Float32Array, name?: string) => Recognised | null;
type MatrixDetector = (values: Float32Array, rows: number, cols: number, name?: string) => Recognised | null;

/** The detectors of 1-D tensors, in the order they run. */
const VECTOR_DETECTORS: readonly VectorDetector[] = [recogniseWindow, recogniseRotary];
/** The fitting detectors of 2-D tensors, in the order they run (only on a matrix not rough like noise). */
const FITTING_DETECTORS: readonly MatrixDetector[] = [recogniseMel, recogniseDft, recogniseSinusoidTable, recogniseGridTable];

/**
 * Which construction explains this tensor, or null. `values`: the whole tensor
 * in row-major order; `shape`: its shape; `name`: a hint only.
 */
export function recognise(values: Float32Array, shape: readonly number[], name?: string): Recognised | null {
  const n = elementsOf(shape);
  if (n !== values.length) throw new RangeError(`shape [${shape.join(", ")}] holds ${n} elements, values ${values.length}`);
  if (n < 2) return null;
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i]!)) return null;
  const constant = recogniseConstant(values);
  if (constant) return constant;
  const dims = shape.filter((d) => d !== 1);
  if (dims.length === 1) return firstRecognised(VECTOR_DETECTORS, (detect) => detect(values, name));
  if (dims.length !== 2) return null;
  const [rows, cols] = dims as [number, number];
  const identity = recogniseIdentity(values, rows, cols, name);
  if (identity) return identity;
  // A trained matrix (no order along either axis) is rough like noise along both: no fit can explain it.
  if (!hinted(name, "sinusoid-table") && roughLikeNoise(values, rows, cols)) return null;
  return firstRecognised(FITTING_DETECTORS, (detect) => detect(values, rows, cols, name));
}

/** The first detector's recognition, in list order, or null. */
function firstRecognised<D>(detectors: readonly D[], run: (detect: D) => Recognised | null): Recognised | null {
  for (const detect of detectors) {
    const r = run(detect);
    if (r) return r;
  }
  return null;
}
