/**
 * Equal value multisets: a tensor whose values are an exact rearrangement of another's (any transpose,
 * reshape or permutation of its elements). Pure functions on decoded values; the engine reads and decides
 * (src/engine/value-fingerprint.ts).
 *
 * The p-value. Under H0 the candidate was trained independently of the reference, so nothing ties its values
 * to the reference's exact floats. The most favourable independent source of a match is a model that drew
 * its n values independently from the reference's own value distribution (probability c_k / n for the k-th
 * distinct value, which occurs c_k times): it reproduces the reference's multiset with probability
 * n! / Π c_k! · Π (c_k / n)^c_k, the largest a multinomial gives that count vector, so no other value
 * distribution does better. That bound is the p-value: ~e^−n·√(2πn) when every value is distinct
 * (log10 p ≈ −1,776 at n = 4,096), and weak when the values are few (two values, half each: p ≈ 0.01):
 * a low-entropy tensor cannot be decisive by its multiset, whatever its size.
 */

/** ln k! (exact sum below 256, Stirling's series above: error < 1e-12). */
export function lnFactorial(k: number): number {
  if (k < 2) return 0;
  if (k < 256) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}

/** The values sorted ascending (a copy); NaN last. */
export function sortedValues(values: Float32Array): Float32Array {
  return Float32Array.from(values).sort();
}

/** Two sorted arrays hold the same values (bit for bit, -0 and 0 alike). */
export function sameSorted(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** How many distinct values a sorted array holds. */
export function distinctSorted(sorted: Float32Array): number {
  let d = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) d++;
  return d;
}

/** log10 of the bound above for a sorted array of values: the chance an independent draw reproduces its multiset. */
export function multisetLog10p(sorted: Float32Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  let ln = lnFactorial(n);
  let run = 1;
  const close = (c: number) => {
    ln += -lnFactorial(c) + c * Math.log(c / n);
  };
  for (let i = 1; i < n; i++) {
    if (sorted[i] === sorted[i - 1]) run++;
    else {
      close(run);
      run = 1;
    }
  }
  close(run);
  return Math.min(0, ln / Math.LN10);
}
