/**
 * identity (2-D [m, n], min(m, n) ≥ 2, rectangular "eye" too): A = s·I + E
 * with s the mean of the diagonal (the least-squares s). Recognised when
 * ‖E‖_F ≤ 0.5·‖s·I‖_F (0.55 hinted), which also rules out s ≈ 0 for a
 * non-constant A; since E ⟂ I, s·I then carries ≥ 80% of the energy: a
 * projector initialised to identity and trained a little. explained =
 * 1 − ‖E‖²/TSS, TSS = Σ(x − mean)² over the tensor. residualAfterConstruction
 * returns E, the trained part, which the caller can still test.
 */

import { elementsOf } from "./fit-helpers.js";
import { type Recognised, clamp01, fmt, HINTED, hinted, THRESHOLDS } from "./recognised.js";

function diagonalMean(v: Float32Array, rows: number, cols: number): number {
  const k = Math.min(rows, cols);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += v[i * cols + i]!;
  return sum / k;
}

function totalSumOfSquares(v: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]!;
  const mean = sum / v.length;
  let tss = 0;
  for (let i = 0; i < v.length; i++) tss += (v[i]! - mean) ** 2;
  return tss;
}

export function recogniseIdentity(v: Float32Array, rows: number, cols: number, name?: string): Recognised | null {
  const k = Math.min(rows, cols);
  if (k < 2) return null;
  const s = diagonalMean(v, rows, cols);
  if (s === 0) return null;
  const signal = s * s * k;
  const limit = (hinted(name, "identity") ? HINTED.identityRatio : THRESHOLDS.identityRatio) ** 2 * signal;
  // ‖A − sI‖², stopping as soon as it exceeds the limit (the usual case for trained matrices).
  let rss = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const e = v[base + c]! - (r === c ? s : 0);
      rss += e * e;
    }
    if (rss > limit) return null;
  }
  const ratio = Math.sqrt(rss / signal);
  const tss = totalSumOfSquares(v);
  const shape = rows === cols ? `${rows}×${cols}` : `rectangular ${rows}×${cols}`;
  const what = Math.abs(s - 1) < 5e-3 ? `identity ${shape}` : `scaled identity ${shape} (s = ${fmt(s)})`;
  const training = ratio < 5e-4 ? "" : ` plus ${ratio < 0.01 ? "<1" : Math.round(ratio * 100)}% training (‖A − sI‖/‖sI‖)`;
  return { construction: "identity", explained: clamp01(tss > 0 ? 1 - rss / tss : 1), detail: what + training };
}

/**
 * For "identity": the residual A − s·I (what two independently trained
 * identity-initialised projectors do not share), same shape as `values`.
 * Null for other constructions.
 */
export function residualAfterConstruction(values: Float32Array, shape: readonly number[], r: Recognised): Float32Array | null {
  if (r.construction !== "identity") return null;
  const dims = shape.filter((d) => d !== 1);
  if (dims.length !== 2 || elementsOf(shape) !== values.length) return null;
  const [rows, cols] = dims as [number, number];
  const s = diagonalMean(values, rows, cols);
  const out = Float32Array.from(values);
  const k = Math.min(rows, cols);
  for (let i = 0; i < k; i++) out[i * cols + i] = values[i * cols + i]! - s;
  return out;
}
