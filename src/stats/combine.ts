/**
 * Combining dependent p-values, in log10 space.
 *
 * The tensors of one component come from the same two models, so their
 * p-values are dependent under H0 (a model's matrices share its residual
 * stream, its data, its training run). Fisher and Stouffer assume independent
 * pieces and would be anti-conservative. The Cauchy combination test (Liu &
 * Xie, JASA 2020) is accurate in the tail whatever the correlation between
 * the pieces: T = Σ wᵢ tan((0.5 − pᵢ)π), p = 1/2 − arctan(T)/π. It equals the
 * smallest pieces' evidence when one tensor carries it, and never exceeds what
 * Bonferroni over the pieces would give by more than a small factor.
 *
 * p-values of copies reach 10^-3000: the large terms are handled through
 * tan((0.5 − p)π) ≈ 1/(πp) and 1/2 − arctan(T)/π ≈ 1/(πT), never
 * exponentiated. A piece at p ≈ 1 would send T to −∞ (a known weakness of the
 * test): see combineLog10, which holds pieces at p ≤ 0.9 and pays for it.
 */

/** Below this p a piece's Cauchy term is taken as 1/(πp) (relative error < 1e-16). */
const SMALL = 1e-8;
const LN10 = Math.LN10;

/** log10 (1/2 − arctan(T)/π), the upper tail of a standard Cauchy at T. */
function log10OfTail(t: number): number {
  if (t > 1e6) return -Math.log10(Math.PI * t);
  return Math.min(0, Math.log10(0.5 - Math.atan(t) / Math.PI));
}

/** Pieces above this p are held at it: each then adds at least tan(−0.4π) ≈ −3.08 to the sum, never −∞. */
const TRUNCATE_AT = 0.9;
/** A guard on the calibrated p (×1.1): the residual excess measured under independence at α = 0.01 is ~4%. */
const GUARD_LOG10 = Math.log10(1.1);

/**
 * The component's combination: a truncated Cauchy combination. Each piece's p is held at ≤ 0.9 before its
 * Cauchy term, so a piece at p ≈ 1 (an unrelated layer paired by shape, a conservative per-tensor test)
 * subtracts at most 3.08 instead of up to 318 — one strong piece among many null ones keeps its evidence,
 * about k·p like Bonferroni's min-p (Gui, Mao, Wang & Wang 2025: truncated heavy-tailed combinations keep
 * their validity under dependence, tail index 1 has the most power). Truncation moves the statistic's
 * centre up when pieces are independent (the lost left tail): by (ln k)/π − 0.2 at k pieces, measured by
 * simulation from k = 2 to 1000 (independent and equicorrelated ρ = 0.9 normal scores). The p-value is
 * the Cauchy tail at T minus that shift (never below 0.15), times 1.1: P(p ≤ α) within Monte-Carlo error
 * of α at 0.1 / 0.01 / 0.001 for every k and both dependences (test/combine.test.ts), and at most α under
 * perfect dependence, where the shift is pure margin. Measured on the structured zoo: docs/calibration.md.
 */
export function combineLog10(log10ps: readonly number[]): { log10p: number; rule: "truncated-cauchy" } {
  const k = log10ps.length;
  if (k === 0) return { log10p: 0, rule: "truncated-cauchy" };
  if (k === 1) return { log10p: Math.min(0, log10ps[0]!), rule: "truncated-cauchy" };
  const shift = Math.max(0.15, Math.log(k) / Math.PI - 0.2);
  const x = truncatedCauchyCentred(log10ps, k, shift);
  const log10p = typeof x === "number" ? log10OfTail(x) : (-Math.log(Math.PI) - x.ln) / LN10;
  return { log10p: Math.min(0, log10p + GUARD_LOG10), rule: "truncated-cauchy" };
}

/**
 * T − shift for T = mean of tan((0.5 − min(p, 0.9))π); as its natural log ({ ln }) when it exceeds 1e12.
 * Large terms (p < 1e-8) are summed in log space: p-values of copies reach 10^-3000.
 */
function truncatedCauchyCentred(log10ps: readonly number[], k: number, shift: number): number | { ln: number } {
  let regular = -shift;
  const logLarge: number[] = [];
  for (const lp of log10ps) {
    if (lp < Math.log10(SMALL)) logLarge.push(-Math.log(Math.PI) - lp * LN10 - Math.log(k));
    else regular += Math.tan((0.5 - Math.min(TRUNCATE_AT, 10 ** Math.min(0, lp))) * Math.PI) / k;
  }
  if (logLarge.length === 0) return regular;
  const maxL = Math.max(...logLarge);
  let s = 0;
  for (const l of logLarge) s += Math.exp(l - maxL);
  // regular is bounded below by −3.08 − shift: negligible next to terms of at least 1/(π·1e-8·k).
  const ln = maxL + Math.log(s + regular * Math.exp(-maxL));
  return ln < Math.log(1e12) ? Math.exp(ln) : { ln };
}

/**
 * One look of a weighted Bonferroni over alternative looks whose weights (fixed before seeing data) sum to
 * at most 1: log10 min(1, p / weight). The smallest of the weighted p-values is valid under any dependence.
 */
export function weightedLog10(log10p: number, weight: number): number {
  return Math.min(0, log10p - Math.log10(weight));
}

/** Bonferroni over a family of `m` tests, in log10: log10 min(1, m·p). */
export function bonferroniLog10(log10p: number, m: number): number {
  return Math.min(0, log10p + Math.log10(Math.max(1, m)));
}
