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
 * test): pieces are held at p ≤ 1 − 1e-3 (only makes the result smaller by a
 * bounded amount; measured calibration in docs/calibration.md covers it).
 */

/** Below this p a piece's Cauchy term is taken as 1/(πp) (relative error < 1e-16). */
const SMALL = 1e-8;
const P_MAX = 1 - 1e-3;
const LN10 = Math.LN10;

/** log10 of the Cauchy combination of p-values given as log10 p, with equal weights. 0 for no pieces. */
export function cauchyCombineLog10(log10ps: readonly number[]): number {
  const k = log10ps.length;
  if (k === 0) return 0;
  if (k === 1) return Math.min(0, log10ps[0]!);
  // Split: large terms in natural-log space, the rest summed directly.
  let regular = 0;
  const logLarge: number[] = [];
  for (const lp of log10ps) {
    const p = Math.min(P_MAX, 10 ** Math.min(0, lp));
    if (lp < Math.log10(SMALL)) logLarge.push(-Math.log(Math.PI) - lp * LN10 - Math.log(k));
    else regular += Math.tan((0.5 - p) * Math.PI) / k;
  }
  if (logLarge.length === 0) return log10OfTail(regular);
  const maxL = Math.max(...logLarge);
  let s = 0;
  for (const l of logLarge) s += Math.exp(l - maxL);
  // ln T = maxL + ln(s + regular·e^-maxL); regular is bounded below by about −318·(count) and is
  // negligible next to terms of at least 1/(π·1e-8·k).
  const rest = regular * Math.exp(-maxL);
  const lnT = maxL + Math.log(s + rest);
  if (lnT < Math.log(1e12)) return log10OfTail(Math.exp(lnT));
  return (-Math.log(Math.PI) - lnT) / LN10;
}

/** log10 (1/2 − arctan(T)/π), the upper tail of a standard Cauchy at T. */
function log10OfTail(t: number): number {
  if (t > 1e6) return -Math.log10(Math.PI * t);
  return Math.min(0, Math.log10(0.5 - Math.atan(t) / Math.PI));
}

/**
 * The component's combination: the Cauchy combination and Bonferroni's min-p over the same pieces, the
 * smaller of the two paid twice (Bonferroni over the two rules). Why both: the Cauchy combination adds up
 * moderate evidence spread over many tensors, but each piece at p ≈ 1 subtracts up to 318 from its sum,
 * so many uninformative pieces (unrelated layers paired by shape, conservative per-tensor p-values) can
 * cancel one strong piece (a shared first conv layer among 30 unrelated ones). Min-p with its count paid
 * (k·min p) cannot be dragged by large pieces and is valid under any dependence; the Cauchy combination is
 * accurate in the tail under dependence (Liu & Xie 2020). Taking the better and paying 2 keeps both
 * guarantees (measured: docs/calibration.md).
 */
export function combineLog10(log10ps: readonly number[]): { log10p: number; rule: "cauchy" | "min-p" } {
  const k = log10ps.length;
  if (k === 0) return { log10p: 0, rule: "cauchy" };
  if (k === 1) return { log10p: Math.min(0, log10ps[0]!), rule: "cauchy" };
  const cauchy = cauchyCombineLog10(log10ps);
  let min = 0;
  for (const lp of log10ps) if (lp < min) min = lp;
  const minP = bonferroniLog10(min, k);
  const rule = minP < cauchy ? "min-p" : "cauchy";
  return { log10p: bonferroniLog10(Math.min(cauchy, minP), 2), rule };
}

/** Bonferroni over a family of `m` tests, in log10: log10 min(1, m·p). */
export function bonferroniLog10(log10p: number, m: number): number {
  return Math.min(0, log10p + Math.log10(Math.max(1, m)));
}
