/**
 * p-values in log space: dependent pairs reach p far below 1e-308, so every
 * tail here is computed as log10 p and never exponentiated.
 */

const LN10 = Math.LN10;

/** log10 of the one-sided normal tail P(Z >= z). */
export function normalTailLog10(z: number): number {
  if (z < 5) return Math.log10(0.5 * erfc(z / Math.SQRT2));
  // Asymptotic series of the Mills ratio.
  const z2 = z * z;
  const series = 1 - 1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2);
  return (-z2 / 2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(series)) / LN10;
}

/** The z whose one-sided normal tail is 10^log10p (inverse of normalTailLog10), for display and thresholds. */
/** log10 of the two-sided normal p-value of a z-score: log10 min(1, 2·P(N > |z|)). The one place it is computed. */
export function twoSidedNormalLog10(z: number): number {
  return Math.min(0, Math.log10(2) + normalTailLog10(Math.abs(z)));
}

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
