/**
 * Evidence -> verdicts, per component, per reference and overall, the gate
 * policy and the auto sampling rule. Pure functions of the compared tensors,
 * the thresholds and sizes; the engine, plan and merge all decide through them.
 */
import type { ComponentResult, FailOn, Report, ReferenceResult, TensorResult, Thresholds, Verdict } from "../report/schema.js";
import { count } from "../common/words.js";

/**
 * Defaults, and why:
 * - minPearson 0.1: independent trained matrices sit at |r| < 0.02 at scale (|r| < 0.1 even on tiny
 *   fixtures, where a tensor's own structure explains the rest); fine-tunes sit at 0.3-1.0 and long
 *   continued pre-training stays well above 0.1.
 * - minZ 6: the tensor's Pearson must sit 6 null sds from the null measured on the same tensor kind
 *   (two-sided p ~ 2e-9 for a Gaussian null: a false alarm stays unlikely over 10^6 comparisons,
 *   i.e. many references x thousands of tensors).
 * - minShare 0.25: matrices standing out must cover a quarter of the component's parameters; a
 *   handful of stand-out tensors below that gives `inconclusive`, not `reused`.
 */
export const DEFAULT_THRESHOLDS: Thresholds = { minPearson: 0.1, minZ: 6, minShare: 0.25 };

export function standsOut(t: Pick<TensorResult, "informative" | "pearson" | "z">, th: Thresholds): boolean {
  if (!t.informative || t.pearson === null || t.z === null) return false;
  // Two-sided: a negated copy (sign flips that keep the function) is still a copy.
  return Math.abs(t.pearson) >= th.minPearson && Math.abs(t.z) >= th.minZ && Math.sign(t.pearson) === Math.sign(t.z);
}

const pct = (x: number) => `${(100 * x).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;

export function componentVerdict(
  c: Pick<ComponentResult, "tensors" | "candidateParameters" | "matchedParameters" | "share" | "comparedParameters">,
  th: Thresholds,
): { verdict: Verdict; reason: string } {
  const informative = c.tensors.filter((t) => t.informative && !t.error && t.pearson !== null);
  const unread = c.tensors.filter((t) => t.error);
  const stand = c.tensors.filter((t) => t.standsOut);
  const compared = c.tensors.filter((t) => !t.error);
  const maxZ = informative.reduce((m, t) => Math.max(m, Math.abs(t.z ?? 0)), 0);
  const rule = `|Pearson| >= ${th.minPearson} and |z| >= ${th.minZ}`;
  if (c.share >= th.minShare && stand.length > 0) {
    return {
      verdict: "reused",
      reason: `${count(stand.length, "matrix", "matrices")} covering ${pct(c.share)} of the component's parameters (>= ${pct(th.minShare)}) ${stand.length === 1 ? "has" : "have"} ${rule}`,
    };
  }
  if (unread.length > 0) {
    return {
      verdict: "inconclusive",
      reason: `${count(unread.length, "tensor")} could not be read (${unread[0]!.error}); an unread tensor never counts as independent`,
    };
  }
  if (stand.length > 0) {
    return {
      verdict: "inconclusive",
      reason: `${count(stand.length, "matrix", "matrices")} ${stand.length === 1 ? "has" : "have"} ${rule}, but ${stand.length === 1 ? "it covers" : "they cover"} only ${pct(c.share)} of the component's parameters (< ${pct(th.minShare)}): partial reuse to review`,
    };
  }
  if (informative.length === 0) {
    if (compared.length > 0) {
      return {
        verdict: "inconclusive",
        reason: `only norms, biases or small tensors (${compared.length}) are comparable with the reference: too thin to decide`,
      };
    }
    return { verdict: "independent", reason: `${NOTHING_COMPARABLE}: the reference has no tensor of compatible shape for this component` };
  }
  return {
    verdict: "independent",
    reason: `${count(informative.length, "matrix", "matrices")} (${pct(c.comparedParameters / Math.max(1, c.candidateParameters))} of the parameters) compared; none stands out (max |z| ${maxZ.toFixed(1)}, needs ${rule})`,
  };
}

/** How a reason starts when a component had no tensor to compare (the renderers label the verdict the same way). */
const NOTHING_COMPARABLE = "nothing comparable";

/**
 * The rule for components with nothing comparable: `independent (nothing comparable)` only when another
 * component of the same reference had matrices compared (the reference is a real comparator, e.g. a
 * text-only model against a VLM's vision tower); otherwise `inconclusive`, because a reference with which
 * not a single matrix could be compared (a CNN against an LLM) is no evidence of independence.
 * Marks `comparable` on every component; returns them changed in place.
 */
export function applyComparability(components: ComponentResult[]): ComponentResult[] {
  for (const c of components) c.comparable = c.tensors.some((t) => !t.error && t.pearson !== null);
  const anyMatrices = components.some((c) => c.comparedParameters > 0);
  for (const c of components) {
    if (c.comparable || c.verdict !== "independent" || anyMatrices) continue;
    c.verdict = "inconclusive";
    c.reason = `${NOTHING_COMPARABLE}: not a single tensor of the reference could be compared with this component, and no other component of it was compared (another architecture?); a reference with nothing comparable never counts as independent`;
  }
  return components;
}

export function referenceVerdict(components: Pick<ComponentResult, "name" | "verdict">[]): { verdict: Verdict; reason: string } {
  if (components.length === 0) return { verdict: "inconclusive", reason: `${NOTHING_COMPARABLE}: the candidate has no tensor to compare with this reference` };
  const reused = components.filter((c) => c.verdict === "reused");
  if (reused.length) return { verdict: "reused", reason: `reuse found in: ${reused.map((c) => c.name).join(", ")}` };
  const inc = components.filter((c) => c.verdict === "inconclusive");
  if (inc.length) return { verdict: "inconclusive", reason: `inconclusive: ${inc.map((c) => c.name).join(", ")}` };
  return { verdict: "independent", reason: "every component independent of this reference" };
}

function overallVerdict(refs: Pick<ReferenceResult, "verdict">[]): Verdict {
  if (refs.some((r) => r.verdict === "reused")) return "reused";
  if (refs.length > 0 && refs.every((r) => r.verdict === "independent")) return "independent";
  return "inconclusive";
}

/**
 * The run's verdict. A run that stopped on an error keeps `reused` when any
 * reference reached it, else it is `inconclusive`: never `independent`.
 */
export function runVerdict(refs: Pick<ReferenceResult, "verdict">[], stopped: Pick<NonNullable<Report["error"]>, "kind"> | null): Verdict {
  if (stopped) return refs.some((r) => r.verdict === "reused") ? "reused" : "inconclusive";
  return overallVerdict(refs);
}

/** The gate: by verdict and fail-on, and always failed when the run stopped on an error. */
export function gateOf(verdict: Verdict, failOn: FailOn, stopped: Pick<NonNullable<Report["error"]>, "kind" | "exitCode"> | null): Report["gate"] {
  if (stopped) return { failed: true, rule: `the check stopped on a ${stopped.kind} error (exit code ${stopped.exitCode}), so the gate fails` };
  return { failed: gateFails(verdict, failOn), rule: gateRule(verdict, failOn) };
}

function gateFails(verdict: Verdict, failOn: FailOn): boolean {
  if (failOn === "never") return false;
  if (failOn === "inconclusive") return verdict !== "independent";
  return verdict === "reused";
}

function gateRule(verdict: Verdict, failOn: FailOn): string {
  const failed = gateFails(verdict, failOn);
  return `verdict ${verdict} with fail-on ${failOn}: the gate ${failed ? "fails" : "passes"}`;
}

/** Below this many bytes compared per reference (both sides), auto mode is exact. */
const AUTO_EXACT_BYTES = 4 * 1024 ** 3;
/** Above it, auto mode samples down to about this many bytes. */
const AUTO_TARGET_BYTES = 1024 ** 3;

/**
 * The fraction of rows of each informative matrix to read: what --sample said
 * (`sample`), or in auto mode (null) by the stored bytes of the informative pairs
 * (both sides): exact up to AUTO_EXACT_BYTES, about AUTO_TARGET_BYTES above, at least 1%.
 */
export function samplingFraction(informativeBytes: number, sample: number | null): number {
  if (sample !== null) return sample;
  return informativeBytes <= AUTO_EXACT_BYTES ? 1 : Math.max(0.01, AUTO_TARGET_BYTES / informativeBytes);
}
