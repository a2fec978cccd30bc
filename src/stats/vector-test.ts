/**
 * The permutation test of a vector pair along its single axis, for vectors whose entries index hidden
 * units (batch-norm scales and statistics, biases of hidden layers): under H0 the units of an
 * independently trained model are exchangeable, so permuting one vector's entries gives the null
 * exactly. The statistic is the Pearson of the midranks (Spearman): bounded entries, so one outlier
 * cannot fake a tail (the normal tail of Pearson on raw values could, at small n). Its permutation mean
 * is 0 and variance 1/(n − 1) exactly; the tail is the normal one, which for ranks is conservative in the
 * far tail (the exact tail at ρ = 1 is 2/n!, the normal one far larger).
 *
 * A vector whose entries are not hidden units (output classes, vocabulary, positions) must not be tested
 * this way: the caller decides (src/engine/compare-component.ts keeps vectors whose length is a hidden
 * width of the model).
 */
import type { PermutationTest } from "./permutation.js";
import { twoSidedNormalLog10 } from "./pvalues.js";

function midranks(x: Float32Array): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => x[i]! - x[j]!);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]!] === x[order[i]!]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]!] = mid;
    i = j + 1;
  }
  return r;
}

/** Null when there are fewer than 3 entries or a side is constant. */
export function vectorPermutationTest(a: Float32Array, b: Float32Array): PermutationTest | null {
  const n = a.length;
  if (n < 3 || b.length !== n) return null;
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) return null;
  const ra = midranks(a);
  const rb = midranks(b);
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i]! - mean) * (rb[i]! - mean);
    saa += (ra[i]! - mean) ** 2;
    sbb += (rb[i]! - mean) ** 2;
  }
  if (!(saa > 0 && sbb > 0)) return null;
  const rho = sab / Math.sqrt(saa * sbb);
  const z = rho * Math.sqrt(n - 1);
  return { units: n, features: 1, z, log10p: twoSidedNormalLog10(z), effect: rho };
}
