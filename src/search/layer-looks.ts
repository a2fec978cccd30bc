/**
 * Every residual look of the streamed search, layer by layer: each candidate
 * layer's reference layer chosen by the cheapest row-sampled role, then every
 * role matched and tested there (units on the even features, the held-out
 * test on the odd ones).
 */
import type { Transform } from "../align/transform.js";
import { type TensorView, viewElements } from "../align/view.js";
import { collectGarbage } from "../common/collect-garbage.js";
import { Scratch } from "../common/scratch.js";
import type { DeepResult } from "./deep-types.js";
import { choosePartners, hasExpertGroups, paidPartner, unitsKey } from "./expert-partners.js";
import { heldOutTest, type Match, matchRows, splitFeatures } from "./match-rows.js";
import { type Matrix, rowCosines } from "./matrix.js";
import type { Look } from "./residual-looks.js";
import type { CandidateView, ReferenceView } from "./search-groups.js";
import type { SketchReader } from "./sketch-reader.js";
import { type Group, candidateUnits, classRows } from "./stream-groups.js";

/** Even features the layer choice scores on. */
const SCORE_FEATURES = 64;

/** A matching of units kept for the siblings (gate, up) of the matrix it was found on (down). */
interface UnitMatch {
  match: Pick<Match, "perm" | "signs" | "identityFraction">;
  units: Int32Array;
}

/**
 * Every residual look: choose each candidate layer's reference layer per look, then layer by layer
 * match and test every role there under each look (a reference layer's sketches are read once for
 * all looks, and memory holds about one layer's).
 */
export async function searchLooks(groups: Group[], looks: Look[], reader: SketchReader, say: (m: string) => void): Promise<DeepResult[][]> {
  const selector = await selectorSketches(groups, reader);
  const chosen: Map<number | null, number | null>[] = [];
  // A Hadamard look keeps each layer's index (the selector's sketches are not taken through H).
  for (let i = 0; i < looks.length; i++) chosen.push(looks[i]!.hadamard ? new Map() : await chooseLayers(selector, looks[i]!, reader, (m) => say(`residual look ${i + 1}/${looks.length}: ${m}`)));
  const results: DeepResult[][] = looks.map(() => []);
  const { held } = splitFeatures(reader.features.length, reader.features.length);
  // One job per look and candidate layer, grouped by the reference layer it chose: each reference
  // layer's sketches are read once (whatever the looks chose) and dropped before the next.
  const layers = [...new Set(groups.flatMap(({ g }) => [...g.cand.values()].map((v) => v.layer)))];
  const jobs = looks.flatMap((_, i) => layers.map((layer) => ({ i, layer, want: chosen[i]!.has(layer) ? chosen[i]!.get(layer)! : layer })));
  jobs.sort((a, b) => (a.want ?? -1) - (b.want ?? -1) || a.i - b.i || (a.layer ?? -1) - (b.layer ?? -1));
  let current: number | null | undefined;
  let done = 0;
  const experts = hasExpertGroups(groups);
  for (const job of jobs) {
    if (job.want !== current) {
      reader.dropReferenceSketches();
      collectGarbage();
    }
    current = job.want;
    say(`${++done}/${jobs.length} layer looks: matching units`);
    const at: LayerLook = { look: looks[job.i]!, reader, held, viaMatch: new Map() };
    // Under a look that moves the residual stream, experts were paired on rows that no longer meet: re-paired here (paid).
    const partners = experts && at.look.transform && !at.look.hadamard ? await choosePartners(groups, { look: at.look, reader, layer: job.layer, want: job.want }) : null;
    for (const x of groups) {
      for (const [key, v] of x.g.cand) {
        if (v.layer !== job.layer) continue;
        const partner = partners?.(x, v);
        const refView = [...(partner?.refs ?? x.g.refs).values()].find((r) => r.layer === job.want);
        if (!refView) continue;
        const result = await judge(at, { x, key, v, refView });
        if (result) results[job.i]!.push(partner ? paidPartner(result, partner.options) : result);
      }
    }
  }
  return results;
}

/** What every matrix of one layer look shares. */
interface LayerLook {
  look: Look;
  reader: SketchReader;
  /** The odd features the held-out tests use. */
  held: Int32Array;
  /** The units matched by down (for gate and up), this job only. */
  viaMatch: Map<string, UnitMatch>;
}

/** One candidate matrix and the reference matrix it meets at the chosen layer. */
interface LayerPair {
  x: Group;
  key: string;
  v: CandidateView;
  refView: ReferenceView;
}

/** What every result of a pair starts from: its names, no null, its size. */
type ResultBase = Pick<DeepResult, "candidate" | "reference" | "null" | "elements">;

/** Match and test one pair under one look, as its group reads it. */
async function judge(at: LayerLook, p: LayerPair): Promise<DeepResult | null> {
  const { look } = at;
  const { x, key, v, refView } = p;
  const base: ResultBase = { candidate: key, reference: refView.entry.name, null: { mean: 0, sd: 0, n: 0 }, elements: viewElements(v) };
  const shift: Transform[] = refView.layer !== v.layer ? ["layer-shift"] : [];
  const residual: Transform[] = look.hadamard ? [`residual-rotated-hadamard-${look.hadamard}`] : look.transform ? ["residual-permuted"] : [];
  if (look.hadamard) return judgeHadamard(at, p, base, [...shift, ...residual]);
  if (x.kind === "sibling") return judgeSibling(at, p, base, [...shift, ...residual]);
  return judgeMatched(at, p, base, [...shift, ...residual]);
}

/** A Hadamard look: units on rows only, read at every 16th row on both sides (gate and up too: no down matching here). */
async function judgeHadamard(at: LayerLook, p: LayerPair, base: ResultBase, transforms: Transform[]): Promise<DeepResult | null> {
  const { look, reader } = at;
  const { x, v, refView } = p;
  if (x.kind === "cols") return null;
  const units = classRows(v.rows);
  const [c, r] = await Promise.all([reader.candidateHadamard(v, look, units), reader.reference(refView, look.hadamard === "reference" ? "rows-hadamard" : "rows", units)]);
  if (!c || !r) return null;
  const match = matchRows(c, r, 0);
  const { test, pearson, cosine } = match.heldOut();
  if (match.identityFraction < 0.9) transforms.push("permuted-rows");
  return { ...base, pearson, cosine, log10p: test?.log10p ?? 0, z: test?.z ?? 0, effect: test?.effect ?? 0, transform: transforms };
}

/** Gate or up: the units down's matching chose, tested on the held-out features with no further choice. */
async function judgeSibling(at: LayerLook, p: LayerPair, base: ResultBase, transforms: Transform[]): Promise<DeepResult | null> {
  const { look, reader, held, viaMatch } = at;
  const { x, v, refView } = p;
  const via = viaMatch.get(`${v.layer}|${unitsKey(x.via!, v.entry.name)}`);
  if (!via) return null;
  const units = via.units.filter((u) => via.match.perm[u]! >= 0);
  const [c, r] = await Promise.all([reader.candidate(v, x.kind, look, Int32Array.from(units)), reader.reference(refView, x.kind, Int32Array.from(units, (u) => via.match.perm[u]!))]);
  if (!c || !r) return null;
  const rowSign = Int8Array.from(units, (u) => via.match.signs[u]!);
  const identity = Int32Array.from({ length: units.length }, (_, i) => i);
  const { test, pearson, cosine } = heldOutTest(c, r, { perm: identity, signs: rowSign }, held);
  const permuted: Transform[] = via.match.identityFraction < 0.9 ? ["permuted-rows"] : [];
  return { ...base, pearson, cosine, log10p: test?.log10p ?? 0, z: test?.z ?? 0, effect: test?.effect ?? 0, transform: [...transforms, ...permuted] };
}

/** Units on the stored columns or on sampled rows: matched on the even features, tested on the odd ones. */
async function judgeMatched(at: LayerLook, p: LayerPair, base: ResultBase, transforms: Transform[]): Promise<DeepResult | null> {
  const { look, reader, viaMatch } = at;
  const { x, v, refView } = p;
  const units = candidateUnits(x, v);
  const [c, r] = await Promise.all([reader.candidate(v, x.kind, look, units), reader.reference(refView, x.kind)]);
  if (!c || !r) return null;
  const match = matchRows(c, r, 0);
  if (x.kind === "cols") {
    // Units in the candidate's own indices, for the siblings.
    const perm = new Int32Array(v.cols).fill(-1);
    const signs = new Int8Array(v.cols);
    units.forEach((u, k) => {
      perm[u] = match.perm[k]!;
      signs[u] = match.signs[k]!;
    });
    // Only the matching is kept (not the sketches its held-out test closes over): memory stays one layer's.
    viaMatch.set(`${v.layer}|${unitsKey(x.g.role, v.entry.name)}`, { match: { perm, signs, identityFraction: match.identityFraction }, units });
  }
  const { test, pearson, cosine } = match.heldOut();
  if (match.identityFraction < 0.9) transforms.push("permuted-rows");
  if (match.flipped > 0.1 && match.flipped < 0.9) transforms.push("sign-flips");
  return { ...base, pearson, cosine, log10p: test?.log10p ?? 0, z: test?.z ?? 0, effect: test?.effect ?? 0, transform: transforms };
}

/** The cheapest row-sampled role and its reference sketches at every layer (read once for every look). */
async function selectorSketches(groups: Group[], reader: SketchReader): Promise<{ group: Group; refs: { layer: number | null; m: Matrix }[] } | null> {
  const rowGroups = groups.filter((x) => x.kind === "rows");
  if (rowGroups.length === 0) return null;
  const size = (x: Group) => (x.g.refs.values().next().value as TensorView).rows;
  const group = rowGroups.reduce((a, b) => (size(b) < size(a) ? b : a));
  const refs: { layer: number | null; m: Matrix }[] = [];
  for (const r of group.g.refs.values()) {
    const m = await reader.reference(r, "rows", undefined, true);
    if (m) refs.push({ layer: r.layer, m });
  }
  return { group, refs };
}

/**
 * Each candidate layer's reference layer, by the cheapest row-sampled role: the mean over its sampled
 * rows of the best |cos| against the reference layer's rows, on even features only (the test never
 * sees them). Without such a role, layers keep their own index.
 */
async function chooseLayers(selector: Awaited<ReturnType<typeof selectorSketches>>, look: Look, reader: SketchReader, say: (m: string) => void): Promise<Map<number | null, number | null>> {
  const chosen = new Map<number | null, number | null>();
  if (!selector) return chosen;
  const { choose } = splitFeatures(reader.features.length, SCORE_FEATURES);
  say(`choosing layers (${selector.group.g.role}: ${selector.group.g.cand.size} candidate x ${selector.refs.length} reference layers)`);
  for (const v of selector.group.g.cand.values()) {
    const c = await reader.candidate(v, "rows", look, classRows(v.rows));
    if (!c) continue;
    let best: number | null = v.layer;
    let bestScore = -Infinity;
    for (const r of selector.refs) {
      const score = meanBestCos(c, r.m, choose);
      // Prefer the same index on ties: no shift is claimed without evidence.
      if (score > bestScore + 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && r.layer === v.layer)) {
        best = r.layer;
        bestScore = score;
      }
    }
    chosen.set(v.layer, best);
  }
  return chosen;
}

/** The layer choice's cosine block, reused from pair to pair. */
const BEST_COS = new Scratch();
function meanBestCos(c: Matrix, r: Matrix, cols: Int32Array): number {
  const cos = rowCosines(c, r, cols, BEST_COS.take(c.rows * r.rows));
  let total = 0;
  const m = r.rows;
  for (let i = 0; i < c.rows; i++) {
    let b = 0;
    for (let k = i * m, end = k + m; k < end; k++) {
      const v = cos[k]!;
      if (v > b) b = v;
      else if (-v > b) b = -v;
    }
    total += b;
  }
  return total / Math.max(1, c.rows);
}
