/**
 * Evidence -> verdicts, per component, per reference and overall, the gate
 * policy and the auto sampling rule. Pure functions of the compared tensors,
 * the thresholds and sizes; the engine, plan and merge all decide through them.
 */
import type { ComponentResult, FailOn, Family, Report, ReferenceResult, Thresholds, Verdict } from "../report/schema.js";
import { type Combination, type ComponentDecision, type ComponentEvidence, type TensorEvidence, comparedParametersOf, isCompared } from "../report/evidence.js";
import { count } from "../common/words.js";
import { movesResidual } from "../align/transform.js";
import { fmtP } from "../report/format.js";
import { bonferroniLog10, combineLog10, weightedLog10 } from "../stats/combine.js";

/**
 * Defaults, and why:
 * - level 1e-6: a component is `reused` when its combined p-value, corrected over the family (every
 *   component against every reference of the run), is at most 1e-6: over a CI run of 50 references x 3
 *   components the chance of one false `reused` is at most 1e-6 if the null holds (measured calibration:
 *   docs/calibration.md). Far below the 1e-2..1e-3 of a single-paper test, because a verdict is public.
 * - reviewLevel 1e-3: between the two, `inconclusive` (evidence to review, not a verdict).
 * - minEffect 0.05: the strongest tensor's effect (Pearson of standardised units, scale-invariant) must
 *   reach 0.05, so a vanishing but significant likeness in a huge tensor is not called reuse; low-rank
 *   merges keep ~0.08, fine-tunes 0.3-1.0.
 * - minShare 0: any share; partial reuse (one grafted layer, attention only) is reuse, and the report
 *   states the share. Raise it to demand coverage.
 * - minPearson, minZ: schema 1's per-tensor thresholds, kept in the report; they no longer decide
 *   (given explicitly they are read as min-effect and level, see settings.ts).
 */
export const DEFAULT_THRESHOLDS: Thresholds = { minPearson: 0.1, minZ: 6, minShare: 0, level: 1e-6, reviewLevel: 1e-3, minEffect: 0.05 };

/**
 * The one significance rule: a p-value already corrected for its family (log10) at most `level`, and an
 * effect (Pearson of standardised units) of at least `min-effect`. Tensors, components and the structure
 * check all decide through it.
 */
export function isSignificant(log10pCorrected: number, effect: number | null | undefined, th: Thresholds): boolean {
  return log10pCorrected <= Math.log10(th.level) && Math.abs(effect ?? 0) >= th.minEffect;
}

/** The direct test's share of a tensor's level (the alignment search's look has the rest). */
const DIRECT_WEIGHT = 0.9;

/** A tensor's evidence: its test's log10 p and effect (see TensorResult.log10p). */
export function tensorEvidence(t: Pick<TensorEvidence, "permutation" | "aligned" | "direct" | "log10p" | "effect" | "z">): { log10p: number; effect: number; z: number } | null {
  const direct = t.permutation ? { log10p: t.permutation.log10p, effect: t.permutation.effect ?? 0, z: t.permutation.z } : null;
  const search = t.aligned ? { log10p: t.aligned.log10p, effect: t.aligned.effect ?? 0, z: t.aligned.z } : null;
  if (direct && search) {
    // Weighted Bonferroni over the two looks, weights fixed in advance: p = min(p_direct / 0.9, p_search / 0.1).
    // Valid under any dependence; the search's look is floored (p = 1 below its effect floor) on almost every
    // independent pair, so an even split would double every direct p and pile the tensor's p near 1.
    const d = { ...direct, log10p: weightedLog10(direct.log10p, DIRECT_WEIGHT) };
    const s = { ...search, log10p: weightedLog10(search.log10p, 1 - DIRECT_WEIGHT) };
    return s.log10p < d.log10p ? s : d;
  }
  return direct ?? search;
}

/**
 * The tensor with its p, effect and z set from its looks (tensorEvidence); a new record, or the same one
 * when nothing was tested. A construction both models share (`deterministic`, its residual not tested)
 * gets no p: its looks stay in the report, but no test of it can mean anything (schema: TensorResult.log10p).
 */
export function withTensorP(t: TensorEvidence): TensorEvidence {
  if (t.deterministic && !t.deterministic.residualTested) return t;
  const ev = tensorEvidence(t);
  return ev ? { ...t, log10p: ev.log10p, effect: ev.effect, z: ev.z } : t;
}

/** Tensors whose p-value enters the component's combination. */
export function isTested(t: TensorEvidence): boolean {
  return t.informative && !t.error && (!t.deterministic || t.deterministic.residualTested === true) && t.log10p !== undefined;
}

/**
 * The component's combination: the Cauchy combination of its tested tensors' p-values (valid under the
 * dependence between a model's tensors) and its strongest tensor's effect; null when none was tested.
 * Part of the evidence (the engine seals it in); the family's correction is the decision's.
 */
export function combinationOf(tensors: readonly TensorEvidence[]): Combination | null {
  const tested = tensors.filter(isTested);
  if (tested.length === 0) return null;
  const { log10p, rule } = combineLog10(tested.map((t) => t.log10p!));
  const strongest = tested.reduce((a, b) => (b.log10p! < a.log10p! ? b : a));
  return { log10p, effect: Math.abs(strongest.effect ?? 0), tensors: tested.length, method: rule };
}

/**
 * Which tensors are evidence on their own: tested, their p after Bonferroni over the tested tensors and
 * the family at most the level, and their effect at least min-effect. The engine asks it before the
 * search (matrices already explained need no search); decideComponent asks it for the verdict.
 */
export function standingOut(tensors: readonly TensorEvidence[], family: number, th: Thresholds): boolean[] {
  const tested = tensors.map(isTested);
  const perTensorFamily = tested.filter(Boolean).length * Math.max(1, family);
  return tensors.map((t, i) => tested[i]! && isSignificant(bonferroniLog10(t.log10p!, perTensorFamily), t.effect, th));
}

/**
 * Decide a component from its evidence, once: the standing-out tensors, the matched share, the family's
 * correction, the verdict and its reason, what the search may claim. The engine and merge (with the whole
 * plan's family) both decide through it, so a merged plan decides as one run would.
 */
export function decideComponent(e: ComponentEvidence, family: number, th: Thresholds): ComponentDecision {
  const standsOut = standingOut(e.tensors, family, th);
  let matchedParameters = e.tensors.filter((_, i) => standsOut[i]).reduce((s, t) => s + t.elements, 0);
  let share = shareOf(matchedParameters, e.candidateParameters);
  const log10pCorrected = e.combination ? bonferroniLog10(e.combination.log10p, family) : null;
  let { verdict, reason } = componentVerdict({ ...e, standsOut, share, log10pCorrected }, th, family);
  if (verdict === "reused") {
    const structural = structureOnlyReason(e.tensors, family, th);
    if (structural) {
      verdict = "inconclusive";
      reason = structural;
    } else {
      const copies = copiesOf(e.tensors, standsOut);
      if (copies.length > 0) {
        matchedParameters += copies.reduce((s, t) => s + t.elements, 0);
        share = shareOf(matchedParameters, e.candidateParameters);
        reason += `; with ${count(copies.length, "small tensor")} holding the reference's values, ${pct(share)} of the parameters are shown derived`;
      }
    }
  }
  const search = e.search ? searchClaims(e.tensors, standsOut) : null;
  if (verdict === "independent" && e.search?.status === "stopped") {
    verdict = "inconclusive";
    reason = `the alignment search for hidden reuse could not run (${e.search.note}); an unsearched component never counts as independent`;
  }
  return { verdict, reason, standsOut, matchedParameters, share, log10pCorrected, search };
}

const shareOf = (matched: number, candidate: number) => (candidate > 0 ? Math.min(1, matched / candidate) : 0);

/**
 * A verdict driven only by tensors whose likeness the null cannot price (`structureOnly`: smooth tables
 * with equal values) is no verdict: the reason it is `inconclusive`, or null when the other tensors reach
 * `reused` on their own.
 */
function structureOnlyReason(tensors: readonly TensorEvidence[], family: number, th: Thresholds): string | null {
  const structural = tensors.filter((t) => isTested(t) && t.structureOnly);
  if (structural.length === 0) return null;
  const rest = tensors.filter((t) => isTested(t) && !t.structureOnly);
  if (rest.length > 0) {
    const { log10p } = combineLog10(rest.map((t) => t.log10p!));
    const strongest = rest.reduce((a, b) => (b.log10p! < a.log10p! ? b : a));
    if (isSignificant(bonferroniLog10(log10p, family), strongest.effect, th)) return null;
  }
  const first = structural[0]!;
  return `driven only by a structure the null cannot price (${first.candidate}: ${first.structureOnly}); without ${structural.length === 1 ? "it" : `these ${structural.length} tensors`} the evidence does not reach the level, so this is evidence to review, not reuse`;
}

/**
 * In a component shown reused, small trained tensors whose values are the reference's (`promoted`: byte-
 * identical or a dtype-converted copy, never a construction) are derived too, though their own
 * permutation test cannot stand out at their size (n units cannot reach below 1/n!): they count in the share.
 */
function copiesOf(tensors: readonly TensorEvidence[], standsOut: readonly boolean[]): TensorEvidence[] {
  return tensors.filter((t, i) => t.promoted && !standsOut[i] && !t.error && !t.structureOnly && !(t.deterministic && !t.deterministic.residualTested));
}

/** The family every component's p-value is corrected over: each candidate component against each reference. */
export function familyOf(references: number, components: number): Family {
  return { size: Math.max(1, references * Math.max(1, components)), references, components, correction: "bonferroni" };
}

/**
 * What the search may claim, decided here like everything else: the matrices that stand out only through
 * the search's look (it was stronger than the element-wise one, so the tensor shows it and keeps the other
 * in `direct`), and whether one of them needed the residual stream permuted or rotated.
 */
function searchClaims(tensors: readonly TensorEvidence[], standsOut: readonly boolean[]): { matched: number; residualPermuted: boolean } {
  const aligned = tensors.filter((t, i) => standsOut[i] && t.aligned && (t.direct || t.pearson === t.aligned.pearson));
  return { matched: aligned.length, residualPermuted: aligned.some((t) => t.transform.some(movesResidual)) };
}

const pct = (x: number) => `${(100 * x).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;
/** What the verdict rule reads: the evidence, the standing-out tensors, the share and the corrected p. */
interface VerdictInput {
  tensors: readonly TensorEvidence[];
  standsOut: readonly boolean[];
  share: number;
  candidateParameters: number;
  combination: Combination | null;
  log10pCorrected: number | null;
}

function componentVerdict(c: VerdictInput, th: Thresholds, family: number): { verdict: Verdict; reason: string } {
  const informative = c.tensors.filter(isCompared);
  const unread = c.tensors.filter((t) => t.error);
  const stand = c.tensors.filter((_, i) => c.standsOut[i]);
  const compared = c.tensors.filter((t) => !t.error);
  const tested = c.combination?.tensors ?? 0;
  const corrected = c.log10pCorrected ?? 0;
  const effect = c.combination?.effect ?? 0;
  const comparedParameters = comparedParametersOf(c.tensors);
  const evidence = () =>
    `combined p ${fmtP(c.combination?.log10p ?? 0)} over ${count(tested, "tensor")} (truncated Cauchy), ${fmtP(corrected)} corrected over a family of ${family}`;
  const covering = () => `${count(stand.length, "matrix", "matrices")} with evidence on ${stand.length === 1 ? "its" : "their"} own cover ${pct(c.share)} of the parameters`;
  if (tested > 0 && isSignificant(corrected, effect, th) && c.share >= th.minShare) {
    return { verdict: "reused", reason: `not independent: ${evidence()} (level ${fmtP(Math.log10(th.level))}); effect ${effect.toFixed(2)}; ${covering()}` };
  }
  if (unread.length > 0) {
    return {
      verdict: "inconclusive",
      reason: `${count(unread.length, "tensor")} could not be read (${unread[0]!.error}); an unread tensor never counts as independent`,
    };
  }
  if (tested > 0 && corrected <= Math.log10(th.level)) {
    const why = effect < th.minEffect ? `its effect ${effect.toFixed(3)} is below min-effect ${th.minEffect}` : `${covering()} (< min-share ${pct(th.minShare)})`;
    return { verdict: "inconclusive", reason: `${evidence()}, but ${why}: to review` };
  }
  if (tested > 0 && corrected <= Math.log10(th.reviewLevel)) {
    return { verdict: "inconclusive", reason: `${evidence()}: above the level ${fmtP(Math.log10(th.level))} but at most ${fmtP(Math.log10(th.reviewLevel))}, weak evidence to review` };
  }
  if (informative.length === 0 || tested === 0) {
    if (compared.length > 0) {
      return {
        verdict: "inconclusive",
        reason: `only norms, biases, small tensors or shared constructions (${compared.length}) are comparable with the reference: too thin to decide`,
      };
    }
    return { verdict: "independent", reason: `${NOTHING_COMPARABLE}: the reference has no tensor of compatible shape for this component` };
  }
  return {
    verdict: "independent",
    reason: `no evidence against independence: ${evidence()} (needs ${fmtP(Math.log10(th.level))}); ${count(informative.length, "matrix", "matrices")} (${pct(comparedParameters / Math.max(1, c.candidateParameters))} of the parameters) compared`,
  };
}

/** How a reason starts when a component had no tensor to compare (the renderers label the verdict the same way). */
const NOTHING_COMPARABLE = "nothing comparable";

/**
 * The rule for components with nothing comparable: `independent (nothing comparable)` only when another
 * component of the same reference had matrices compared (the reference is a real comparator, e.g. a
 * text-only model against a VLM's vision tower); otherwise `inconclusive`, because a reference with which
 * not a single matrix could be compared (a CNN against an LLM) is no evidence of independence.
 * Returns the components with `comparable` marked (new records; the given ones are not changed).
 */
export function applyComparability(components: readonly ComponentResult[]): ComponentResult[] {
  const anyMatrices = components.some((c) => c.comparedParameters > 0);
  return components.map((c) => {
    const comparable = c.tensors.some((t) => !t.error && t.pearson !== null);
    if (comparable || c.verdict !== "independent" || anyMatrices) return { ...c, comparable };
    const reason = `${NOTHING_COMPARABLE}: not a single tensor of the reference could be compared with this component, and no other component of it was compared (another architecture?); a reference with nothing comparable never counts as independent`;
    return { ...c, comparable, verdict: "inconclusive", reason };
  });
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
