/**
 * The decision as a table (issue 23 item 5): evidence in (tensors' p and effect, how many, the family,
 * unread tensors, a stopped search, structure the null cannot price, a component's share), verdict out;
 * then the run's verdict and the gate from references' verdicts, fail-on and a stopped run. Pure: the
 * policy alone, on evidence records built here; the end-to-end runs are in the other tests.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_THRESHOLDS, combinationOf, decideComponent, gateOf, referenceVerdict, runVerdict } from "../src/policy/policy.js";
import type { ComponentEvidence, SearchEvidence, TensorEvidence } from "../src/report/evidence.js";
import type { Thresholds, Verdict } from "../src/report/schema.js";

const ELEMENTS = 4096;

/** A tested matrix: its test's log10 p and effect (the direct look's, as the engine seals it). */
function matrix(i: number, log10p: number, effect: number, extra: Partial<TensorEvidence> = {}): TensorEvidence {
  const permutation = { units: 64, features: 64, z: 0, log10p, effect };
  return {
    candidate: `layers.${i}.w`,
    reference: `layers.${i}.w`,
    elements: ELEMENTS,
    cosine: effect,
    pearson: effect,
    z: null,
    identical: false,
    transform: [],
    layer: i,
    role: "w",
    informative: true,
    null: null,
    dtype: { candidate: "F32", reference: "F32" },
    permutation,
    log10p,
    effect,
    ...extra,
  };
}

/** A component of `n` matrices: `strong` of them at (log10p, effect), the rest null-like (p ~ 0.5). */
function component(n: number, strong: number, log10p: number, effect: number, extra: { tensors?: TensorEvidence[]; search?: SearchEvidence | null; parameters?: number } = {}): ComponentEvidence {
  const tensors = [...Array.from({ length: n }, (_, i) => (i < strong ? matrix(i, log10p, effect) : matrix(i, -0.3, 0.01))), ...(extra.tensors ?? [])];
  return {
    name: "model",
    candidateParameters: extra.parameters ?? tensors.reduce((s, t) => s + t.elements, 0),
    unmatchedTensors: 0,
    unmatchedParameters: 0,
    tensors,
    combination: combinationOf(tensors),
    search: extra.search ?? null,
    layerMatrix: null,
  };
}

const stoppedSearch: SearchEvidence = { ran: false, status: "stopped", note: "the reference went away", residualMatchQuality: null, referenceDuplicateLayers: [] };
const unread = (i: number) => matrix(i, 0, 0, { error: "unsupported dtype I8", permutation: undefined, log10p: undefined, effect: undefined, pearson: null });
const smoothTable = (i: number) => matrix(i, -40, 1, { identical: true, structureOnly: "the same values on both sides in a table smooth along its positions" });
const normVector = (i: number) => matrix(i, 0, 0, { informative: false, permutation: undefined, log10p: undefined, effect: undefined, elements: 64 });

interface Row {
  what: string;
  evidence: ComponentEvidence;
  family?: number;
  thresholds?: Partial<Thresholds>;
  verdict: Verdict;
  reason: RegExp;
}

const ROWS: Row[] = [
  { what: "every matrix far past the level, effect high", evidence: component(12, 12, -40, 0.9), verdict: "reused", reason: /^not independent/ },
  { what: "one matrix of 40 far past the level", evidence: component(40, 1, -30, 0.5), verdict: "reused", reason: /^not independent/ },
  { what: "nothing past chance", evidence: component(12, 0, 0, 0), verdict: "independent", reason: /^no evidence against independence/ },
  { what: "past the level but the effect below min-effect", evidence: component(12, 12, -40, 0.02), verdict: "inconclusive", reason: /below min-effect/ },
  { what: "the same effect with min-effect lowered", evidence: component(12, 12, -40, 0.02), thresholds: { minEffect: 0.01 }, verdict: "reused", reason: /^not independent/ },
  { what: "between the level and the review level", evidence: component(12, 1, -5, 0.3), verdict: "inconclusive", reason: /weak evidence to review/ },
  { what: "past the level alone, not once corrected over a family of 1000", evidence: component(12, 1, -8, 0.3), family: 1000, verdict: "inconclusive", reason: /weak evidence to review/ },
  { what: "the same evidence in a family of 1", evidence: component(12, 1, -8, 0.3), family: 1, verdict: "reused", reason: /^not independent/ },
  { what: "past the level, share below min-share", evidence: component(12, 1, -40, 0.9), thresholds: { minShare: 0.5 }, verdict: "inconclusive", reason: /min-share/ },
  { what: "a weak component with an unread matrix", evidence: component(12, 0, 0, 0, { tensors: [unread(12)] }), verdict: "inconclusive", reason: /could not be read.*never counts as independent/ },
  { what: "a reused component with an unread matrix", evidence: component(12, 12, -40, 0.9, { tensors: [unread(12)] }), verdict: "reused", reason: /^not independent/ },
  { what: "an unsearched component that would be independent", evidence: component(12, 0, 0, 0, { search: stoppedSearch }), verdict: "inconclusive", reason: /search .* could not run/ },
  { what: "a reused component whose search stopped", evidence: component(12, 12, -40, 0.9, { search: stoppedSearch }), verdict: "reused", reason: /^not independent/ },
  { what: "only a smooth identical table stands out", evidence: component(6, 0, 0, 0, { tensors: [smoothTable(6)] }), verdict: "inconclusive", reason: /structure the null cannot price/ },
  { what: "a smooth identical table beside real evidence", evidence: component(6, 6, -40, 0.9, { tensors: [smoothTable(6)] }), verdict: "reused", reason: /^not independent/ },
  { what: "only norms compared", evidence: component(0, 0, 0, 0, { tensors: [normVector(0), normVector(1)] }), verdict: "inconclusive", reason: /too thin to decide/ },
  { what: "nothing compared at all", evidence: component(0, 0, 0, 0, { parameters: 1e6 }), verdict: "independent", reason: /^nothing comparable/ },
];

describe("the decision of a component, as a table", () => {
  for (const row of ROWS) {
    it(`${row.what}: ${row.verdict}`, () => {
      const d = decideComponent(row.evidence, row.family ?? 1, { ...DEFAULT_THRESHOLDS, ...row.thresholds });
      expect(d.verdict).toBe(row.verdict);
      expect(d.reason).toMatch(row.reason);
      // The share counts exactly the matrices that stand out (and, when reused, promoted copies: none here).
      const stand = row.evidence.tensors.filter((_, i) => d.standsOut[i]);
      expect(d.matchedParameters).toBe(stand.reduce((s, t) => s + t.elements, 0));
      expect(d.share).toBeCloseTo(d.matchedParameters / row.evidence.candidateParameters, 12);
      if (d.verdict === "reused") expect(stand.length).toBeGreaterThan(0);
    });
  }

  it("is the same decision however often it is asked, and leaves the evidence as it was", () => {
    const e = component(12, 3, -12, 0.4);
    const before = JSON.stringify(e);
    const first = decideComponent(e, 4, DEFAULT_THRESHOLDS);
    expect(decideComponent(e, 4, DEFAULT_THRESHOLDS)).toEqual(first);
    expect(JSON.stringify(e)).toBe(before);
  });

  it("a tensor stands out only after Bonferroni over the tested tensors and the family", () => {
    // log10 p -8 over 12 tested tensors: -6.92 <= -6 alone; with a family of 10: -5.92, not.
    expect(decideComponent(component(12, 1, -8, 0.3), 1, DEFAULT_THRESHOLDS).standsOut[0]).toBe(true);
    expect(decideComponent(component(12, 1, -8, 0.3), 10, DEFAULT_THRESHOLDS).standsOut[0]).toBe(false);
  });
});

describe("the run's verdict and the gate, as a table", () => {
  const refs = (...v: Verdict[]) => v.map((verdict) => ({ verdict }));
  const stopped = { kind: "fetch", exitCode: 4 };
  const RUNS: { refs: Verdict[]; stopped: boolean; verdict: Verdict }[] = [
    { refs: ["independent", "independent"], stopped: false, verdict: "independent" },
    { refs: ["independent", "reused"], stopped: false, verdict: "reused" },
    { refs: ["independent", "inconclusive"], stopped: false, verdict: "inconclusive" },
    { refs: ["inconclusive", "reused"], stopped: false, verdict: "reused" },
    { refs: [], stopped: false, verdict: "inconclusive" },
    { refs: ["independent"], stopped: true, verdict: "inconclusive" },
    { refs: ["reused"], stopped: true, verdict: "reused" },
  ];
  for (const r of RUNS) {
    it(`references [${r.refs.join(", ")}]${r.stopped ? ", run stopped" : ""}: ${r.verdict}`, () => {
      expect(runVerdict(refs(...r.refs), r.stopped ? stopped : null)).toBe(r.verdict);
    });
  }

  const GATES: { verdict: Verdict; failOn: "reused" | "inconclusive" | "never"; failed: boolean }[] = [
    { verdict: "reused", failOn: "reused", failed: true },
    { verdict: "inconclusive", failOn: "reused", failed: false },
    { verdict: "independent", failOn: "reused", failed: false },
    { verdict: "reused", failOn: "inconclusive", failed: true },
    { verdict: "inconclusive", failOn: "inconclusive", failed: true },
    { verdict: "independent", failOn: "inconclusive", failed: false },
    { verdict: "reused", failOn: "never", failed: false },
    { verdict: "inconclusive", failOn: "never", failed: false },
  ];
  for (const g of GATES) {
    it(`verdict ${g.verdict}, fail-on ${g.failOn}: the gate ${g.failed ? "fails" : "passes"}`, () => {
      const gate = gateOf(g.verdict, g.failOn, null);
      expect(gate.failed).toBe(g.failed);
      expect(gate.rule).toContain(`fail-on ${g.failOn}`);
    });
  }

  it("a run stopped on an error fails the gate whatever the verdict and fail-on", () => {
    for (const failOn of ["reused", "inconclusive", "never"] as const) {
      for (const verdict of ["reused", "inconclusive", "independent"] as const) expect(gateOf(verdict, failOn, stopped).failed).toBe(true);
    }
  });

  it("a reference's verdict: reused if any component is, inconclusive if any is and none reused, nothing to compare inconclusive", () => {
    expect(referenceVerdict([{ name: "vision", verdict: "reused" }, { name: "language", verdict: "independent" }]).verdict).toBe("reused");
    expect(referenceVerdict([{ name: "vision", verdict: "inconclusive" }, { name: "language", verdict: "independent" }]).verdict).toBe("inconclusive");
    expect(referenceVerdict([{ name: "language", verdict: "independent" }]).verdict).toBe("independent");
    expect(referenceVerdict([]).verdict).toBe("inconclusive");
  });
});
