/**
 * constant (any shape): every element equal to within 1e-6 of the largest
 * magnitude (all-ones norm gains, zero biases); explained = 1. Exact on
 * purpose rather than "≥ 0.9 explained": a gain of 1 ± 0.002 left by a
 * short fine-tune is > 0.99 its mean, yet its deviations are what a copy
 * shares and what the caller's correlation compares.
 */

import { type Recognised, THRESHOLDS } from "./recognised.js";

export function recogniseConstant(v: Float32Array): Recognised | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const scale = Math.max(Math.abs(min), Math.abs(max));
  if (max - min > THRESHOLDS.constantSpread * scale) return null;
  const value = scale === 0 ? 0 : v[0]!;
  return {
    construction: "constant",
    explained: 1,
    detail: value === 0 ? `all zeros (${v.length} elements)` : `constant ${Number(value.toPrecision(6))} (all ${v.length} elements equal)`,
  };
}
