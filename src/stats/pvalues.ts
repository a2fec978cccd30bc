/**
 * p-values in log space: dependent pairs reach p far below 1e-308, so every
 * tail here is computed as log10 p and never exponentiated.
 */

const LN10 = Math.LN10;

/** ln Γ(x) (Lanczos), for factorials of large counts. */
function lnGamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** log10 P(K >= k) for K ~ Poisson(lambda). */
export function poissonTailLog10(k: number, lambda: number): number {
  if (k <= 0) return 0;
  // Sum terms from k upward in log space until they stop mattering.
  const lnTerm = (i: number) => -lambda + i * Math.log(lambda) - lnGamma(i + 1);
  const first = lnTerm(k);
  let sum = 1;
  let rel = 1;
  for (let i = k + 1; i < k + 200; i++) {
    rel *= lambda / i;
    sum += rel;
    if (rel < 1e-17 * sum) break;
  }
  return Math.min(0, (first + Math.log(sum)) / LN10);
}

/** log10 of the one-sided normal tail P(Z >= z). */
export function normalTailLog10(z: number): number {
  if (z < 5) return Math.log10(0.5 * erfc(z / Math.SQRT2));
  // Asymptotic series of the Mills ratio.
  const z2 = z * z;
  const series = 1 - 1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2);
  return (-z2 / 2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(series)) / LN10;
}

/** The z whose one-sided normal tail is 10^log10p (inverse of normalTailLog10), for display and thresholds. */
export function zFromLog10P(log10p: number): number {
  if (log10p >= Math.log10(0.5)) return 0;
  let lo = 0;
  let hi = 1;
  while (normalTailLog10(hi) > log10p) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalTailLog10(mid) > log10p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Complementary error function (Numerical Recipes erfcc, |error| < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
