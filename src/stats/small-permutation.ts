/**
 * The permutation test's p-value where the units are few (a first conv layer's 24 output channels, a
 * patch embedding's rows): Hoeffding's normal tail is not safe there, so the p-value is computed without
 * any normal approximation: the Monte-Carlo one where the draws resolve it, else the better of two
 * valid ones, paid twice:
 *
 * - Monte-Carlo: up to B uniformly random permutations of the units (a fixed seed: the same on every
 *   machine), stopped at the h-th draw as extreme as the data (Besag & Clifford 1991's sequential test:
 *   p = h / draws, valid, and a null tensor costs ~h/p draws instead of B), else
 *   p = (1 + #{|T_π| ≥ |T|}) / (B + 1), floor 1/(B + 1);
 * - an exact Chernoff bound over all n! permutations, which reaches far below that floor when the
 *   evidence is strong: with C the n × n cross products of standardised units, T = tr C and for λ > 0,
 *   P_π(T_π ≥ t) ≤ e^{−λt}·E_π[e^{λT_π}] = e^{−λt}·perm(e^{λC})/n! ≤ e^{−λt}·Πᵢ Σⱼ e^{λcᵢⱼ}/n!
 *   (a permanent of a non-negative matrix is at most the product of its row sums). The bound holds for
 *   every λ at once, so its minimum over λ is a valid p-value too; two-sided by doubling.
 */

/** Random permutations drawn for the Monte-Carlo p-value, at most. */
export const MONTE_CARLO_DRAWS = 9999;
/** Draws as extreme as the data at which the sequential Monte-Carlo test stops (Besag & Clifford's h). */
const STOP_AT_HITS = 10;
const LN10 = Math.LN10;

/**
 * log10 of the two-sided p-value of T = Σᵢ cᵢᵢ against uniform permutations of the units, for the n × n
 * cross products `cross` (row-major, cᵢⱼ = ⟨ãᵢ, b̃ⱼ⟩).
 */
export function smallPermutationLog10p(cross: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += cross[i * n + i]!;
  const mc = monteCarloLog10p(cross, n, t);
  // Resolved by the draws (above twice their floor): the Monte-Carlo p alone. Else 2·min(Monte-Carlo,
  // bound). Valid at every α: above 2/(B + 1) only the first branch can reach α; below it only the second.
  const resolved = Math.log10(2 / (MONTE_CARLO_DRAWS + 1));
  if (mc > resolved) return mc;
  const bound = chernoffLog10(cross, n, Math.abs(t), t >= 0 ? 1 : -1);
  return Math.min(0, Math.log10(2) + Math.min(mc, bound));
}

function monteCarloLog10p(cross: Float64Array, n: number, t: number): number {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let s = (0x9e3779b9 ^ (n * 2654435761)) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const limit = Math.abs(t) * (1 - 1e-12);
  let hits = 0;
  for (let b = 0; b < MONTE_CARLO_DRAWS; b++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      const x = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = x;
    }
    let tp = 0;
    for (let i = 0; i < n; i++) tp += cross[i * n + perm[i]!]!;
    if (Math.abs(tp) >= limit && ++hits === STOP_AT_HITS) return Math.log10(STOP_AT_HITS / (b + 1));
  }
  return Math.log10((1 + hits) / (MONTE_CARLO_DRAWS + 1));
}

/** log10 of min over λ of e^{−λt}·Πᵢ Σⱼ e^{λ·sign·cᵢⱼ} / n!. */
function chernoffLog10(cross: Float64Array, n: number, t: number, sign: number): number {
  let logFactorial = 0;
  for (let k = 2; k <= n; k++) logFactorial += Math.log(k);
  let best = 0;
  for (let step = 0; step <= 30; step++) {
    const lambda = 0.05 * 1.45 ** step;
    let log = -lambda * t - logFactorial;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let j = 0; j < n; j++) max = Math.max(max, lambda * sign * cross[i * n + j]!);
      let sum = 0;
      for (let j = 0; j < n; j++) sum += Math.exp(lambda * sign * cross[i * n + j]! - max);
      log += max + Math.log(sum);
    }
    if (log < best) best = log;
  }
  return best / LN10;
}
