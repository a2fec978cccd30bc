/**
 * A candidate matrix stored as several tensors (src/align/factor-chains.ts) against the reference's
 * matrix, compared as the map the tensors make, by probing: the reference's W R and the candidate's
 * U (V R) for K fixed random columns R (and Lᵀ W against (Lᵀ U) V for K random rows L), never U V itself.
 *
 * The test is the direct test's permutation test (src/stats/permutation.ts) on those sketches. Row i of
 * W R is row i of W times a fixed R, so permuting W's output units permutes the rows of W R: under H0 the
 * permutation test of the right sketches along their rows is exact wherever W's output units are
 * exchangeable, and the left sketches' test along their columns wherever W's input units are. As in the
 * direct test, the tensor's p-value is the larger of the two, or the one of the axis known to hold hidden
 * units (an MLP's). Options found by shape are paid for: each kept map's p-value is multiplied by the
 * number of options in its group (Bonferroni), and every tensor is used once.
 */
import type { ComponentAlignment, Located } from "../align/align.js";
import type { FactoredPair } from "../align/factor-chains.js";
import { describeOperator, operatorShape, operatorTensors } from "../align/operator.js";
import { fullView, numel } from "../align/view.js";
import { FromScratchError } from "../common/errors.js";
import type { TensorEvidence } from "../report/evidence.js";
import { type MlpLayout, floorIfResidualOnly, mlpUnitAxis } from "./tensor-roles.js";
import type { ByteRange, TensorEntry, WeightSource } from "../sources/types.js";
import { DECODABLE } from "../safetensors/dtypes.js";
import { bonferroniLog10 } from "../stats/combine.js";
import { PairAccumulator } from "../stats/pair-stats.js";
import { type UnitAxis, permutationTest } from "../stats/permutation.js";
import { pickAxis } from "../stats/independence.js";
import { type Mat, OperatorProber, gaussianProbes } from "./probe-operator.js";

/** No residual width or layout known: an MLP map's hidden axis is then decided by neither (both axes' larger p). */
const NO_LAYOUT: MlpLayout = { residual: null, conv1d: null };

/** Random probe columns (and rows): the features each unit is compared on. */
export const PROBES = 32;

/** Each matrix is informative from this size, as in the alignment (src/align/align.ts). */
const MIN_INFORMATIVE_ELEMENTS = 64;
const MIN_INFORMATIVE_SIDE = 8;


export interface FactoredOutcome {
  /** One result per kept map (and per unread one). */
  tensors: TensorEvidence[];
  /** Candidate tensors of options that lost (more tensors than maps): unmatched, never dropped. */
  lost: Located[];
}

interface Probed {
  pair: FactoredPair;
  result: TensorEvidence;
}

/** Compare every factored map of a component; resolve the options found by shape. */
export async function compareFactored(pairs: FactoredPair[] | undefined, cand: WeightSource, ref: WeightSource, opts: { onPair?: () => void; layout?: MlpLayout } = {}): Promise<FactoredOutcome> {
  if (!pairs?.length) return { tensors: [], lost: [] };
  const probers = { cand: new OperatorProber(cand), ref: new OperatorProber(ref) };
  const probed: Probed[] = [];
  for (const pair of pairs) {
    probed.push({ pair, result: await probeOne(pair, probers, opts.layout ?? NO_LAYOUT) });
    opts.onPair?.();
  }
  const groups = new Map<number | string, Probed[]>();
  probed.forEach((p, i) => {
    const id = p.pair.ambiguity ?? `single-${i}`;
    groups.set(id, [...(groups.get(id) ?? []), p]);
  });
  const out: FactoredOutcome = { tensors: [], lost: [] };
  for (const group of groups.values()) resolveGroup(group, out);
  return out;
}

/**
 * Keep the assignment the data supports: options by smallest p, each candidate tensor and reference used
 * once; each kept option pays for the group's options. A group that could not be read is reported unread.
 */
function resolveGroup(group: Probed[], out: FactoredOutcome): void {
  const readable = group.filter((p) => !p.result.error);
  if (readable.length === 0) {
    out.tensors.push(group[0]!.result);
    return;
  }
  const score = (p: Probed) => p.result.permutation?.log10p ?? 0;
  const used = new Set<string>();
  const kept: Probed[] = [];
  for (const p of [...readable].sort((a, b) => score(a) - score(b) || Math.abs(b.result.pearson ?? 0) - Math.abs(a.result.pearson ?? 0))) {
    const names = [p.pair.reference.name, ...p.pair.tensors.map((t) => t.entry.name)];
    if (names.some((n) => used.has(n))) continue;
    for (const n of names) used.add(n);
    kept.push(p);
  }
  for (const p of kept) {
    const t = p.result;
    const paid = group.length > 1 && t.permutation ? { ...t, permutation: { ...t.permutation, log10p: bonferroniLog10(t.permutation.log10p, group.length) } } : t;
    out.tensors.push(paid.factored ? { ...paid, factored: { ...paid.factored, options: group.length } } : paid);
  }
  const lost = new Map<string, Located>();
  for (const p of group) for (const t of p.pair.tensors) if (!used.has(t.entry.name)) lost.set(t.entry.name, t);
  out.lost.push(...lost.values());
}

/** The result of one map before anything is read. */
function resultOf(pair: FactoredPair): TensorEvidence {
  const [rows, cols] = operatorShape(pair.candidate);
  const entries = operatorTensors(pair.candidate);
  return {
    candidate: describeOperator(pair.candidate),
    reference: pair.reference.name,
    elements: entries.reduce((s, e) => s + numel(e.shape), 0),
    cosine: null,
    pearson: null,
    z: null,
    identical: false,
    transform: pair.transform,
    layer: pair.layer,
    role: pair.role,
    informative: rows >= 2 && cols >= 2 && Math.max(rows, cols) >= MIN_INFORMATIVE_SIDE && rows * cols >= MIN_INFORMATIVE_ELEMENTS,
    null: null,
    dtype: { candidate: [...new Set(entries.map((e) => e.dtype))].join("+"), reference: pair.reference.dtype },
    factored: { tensors: entries.map((e) => e.name), probes: PROBES, options: 1 },
  };
}

/** Probe one map and its reference matrix on both sides, and test the sketches. */
async function probeOne(pair: FactoredPair, probers: { cand: OperatorProber; ref: OperatorProber }, layout: MlpLayout): Promise<TensorEvidence> {
  const t = resultOf(pair);
  const [rows, cols] = operatorShape(pair.candidate);
  try {
    const r = probers.cand.share(probers.ref.share(gaussianProbes(cols, PROBES, "right"), `R${cols}`), `R${cols}`);
    const l = probers.cand.share(probers.ref.share(gaussianProbes(rows, PROBES, "left"), `L${rows}`), `L${rows}`);
    const w = { kind: "matrix" as const, view: fullView(pair.reference) };
    const sketches = {
      candRight: await probers.cand.right(pair.candidate, r),
      refRight: await probers.ref.right(w, r),
      candLeft: await probers.cand.left(pair.candidate, l),
      refLeft: await probers.ref.left(w, l),
    };
    if (![...Object.values(sketches)].every(finite)) return { ...t, error: "non-finite values (NaN/Inf) in the probed map" };
    return testSketches(t, sketches, mlpUnitAxis(t.role, rows, cols, layout));
  } catch (e) {
    // As for any pair: a format problem confined to these tensors makes them unread; fetch and auth errors stop the run.
    if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
    return { ...t, error: e.message };
  }
}

const finite = (m: Mat) => m.data.every(Number.isFinite);
const f32 = (m: Mat) => Float32Array.from(m.data);

/** The permutation tests on the sketches (rows of the right ones, columns of the left ones): the map's record with them. */
function testSketches(unread: TensorEvidence, s: { candRight: Mat; refRight: Mat; candLeft: Mat; refLeft: Mat }, units: UnitAxis | null): TensorEvidence {
  const [a, b] = [f32(s.candRight), f32(s.refRight)];
  const acc = new PairAccumulator();
  acc.add(a, b);
  const stats = acc.result();
  const t: TensorEvidence = { ...unread, cosine: stats.cosine, pearson: stats.pearson };
  if (!t.informative || stats.pearson === null) return t;
  const byRows = permutationTest({ a, b, rows: s.candRight.rows, cols: s.candRight.cols }, "rows");
  const byCols = permutationTest({ a: f32(s.candLeft), b: f32(s.refLeft), rows: s.candLeft.rows, cols: s.candLeft.cols }, "cols");
  const pick = pickAxis(byRows, byCols, units);
  if (!pick) return t;
  return floorIfResidualOnly({ ...t, permutation: { units: pick.units, features: pick.features, z: pick.z, log10p: pick.log10p, effect: pick.effect, axis: pick === byRows ? "rows" : "cols" } }, t.role);
}

/** The component with the tensors of lost options back among its unmatched ones. */
export function withLost(comp: ComponentAlignment, lost: Located[]): ComponentAlignment {
  if (lost.length === 0) return comp;
  return {
    ...comp,
    unmatched: [...comp.unmatched, ...lost.map((l) => l.entry.name)],
    unmatchedParameters: comp.unmatchedParameters + lost.reduce((s, l) => s + numel(l.entry.shape), 0),
    unmatchedEntries: [...comp.unmatchedEntries, ...lost],
  };
}

/**
 * What comparing the maps reads, in order: each map's tensors twice (the right probes, then the left
 * ones: a product's factors are met in opposite orders) and its reference matrix twice. Options found by
 * shape share tensors: a tensor's first right pass against the shared probes is remembered, so this
 * slightly over-announces them.
 */
export function factoredReads(pairs: FactoredPair[] | undefined): { candidate: ByteRange[]; reference: ByteRange[] } {
  const out: { candidate: ByteRange[]; reference: ByteRange[] } = { candidate: [], reference: [] };
  const whole = (e: TensorEntry): ByteRange => ({ file: e.file, begin: e.begin, end: e.end });
  for (const p of pairs ?? []) {
    if (![p.reference, ...operatorTensors(p.candidate)].every((e) => DECODABLE.has(e.dtype))) continue;
    const tensors = operatorTensors(p.candidate).map(whole);
    out.candidate.push(...tensors, ...tensors);
    out.reference.push(whole(p.reference), whole(p.reference));
  }
  return out;
}
