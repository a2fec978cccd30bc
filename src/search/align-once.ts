/**
 * One look of the alignment search (deep-align.ts), for one way of bringing
 * the candidate's residual axis into the reference's basis: match hidden
 * units layer against layer, let each candidate layer choose its reference
 * layer (all on the even residual features), then judge each chosen matching
 * by a permutation test on the odd features it never saw.
 */
import type { Transform, Transforms } from "../align/transform.js";
import { PairAccumulator } from "../stats/pair-stats.js";
import type { DeepReport, DeepResult, DeepTensor, RoleGroup } from "./deep-types.js";
import { type Match, matchRows } from "./match-rows.js";
import { type Matrix, mapColumns, transposed } from "./matrix.js";
import { type ExpertReferences, wholePartners } from "./expert-partners-whole.js";
import { paidPartner } from "./expert-partners.js";
import { rotateRows } from "./procrustes.js";
import type { ResidualTransform } from "./residual.js";

/** Above this direct Pearson two reference layers are near-copies (kept out of each other's null). */
const DUPLICATE_R = 0.5;

/** A candidate tensor matched against one reference tensor. */
type Cell = Match & { refName: string; refLayer: number | null; options: number };
/** Per `role|candidate name`: its cells against the reference tensors of the role. */
type Cells = Map<string, Cell[]>;
/** Candidate layer -> the reference layer it matches best. */
type ChosenLayers = Map<number | null, number | null>;

const cellKey = (g: RoleGroup, ct: DeepTensor) => `${g.role}|${ct.name}`;

/** What matching a candidate tensor needs: the reference tensors' forms per role, the map into their basis, the residual size. */
interface MatchContext {
  refForms: Map<RoleGroup, Matrix[]>;
  toRef: ToReference;
  residualSize: number;
  /** Under a look that moves the residual stream, routed experts' partners chosen again (expert-partners-whole.ts). */
  partners: ExpertReferences | null;
}

/** Each candidate tensor's cells, and the reference layer each candidate layer chose. */
interface LayerMatch {
  cells: Cells;
  chosenLayer: ChosenLayers;
}

function hForm(t: DeepTensor, hidden: "rows" | "cols"): Matrix {
  return hidden === "rows" ? t.m : transposed(t.m);
}

export function alignOnce(groups: RoleGroup[], transform: ResidualTransform | null, residualSize: number, progress?: (done: number, total: number) => void): DeepReport {
  const refs = referenceForms(groups);
  const toRef = candidateInReferenceBasis(transform);
  // The planned pass paired experts on residual rows as stored: under a moved stream they no longer meet.
  const partners = transform ? wholePartners(groups, refs.forms, toRef) : null;
  const layers = matchLayers(groups, { refForms: refs.forms, toRef, residualSize, partners }, progress);
  const results = judgeChosen(groups, layers, { isDuplicate: refs.isDuplicate, transform, residualSize });
  const map = transform?.kind === "permutation" ? transform.map : null;
  return { results, residualPermuted: transform !== null, residualMatchQuality: map ? map.quality : null, referenceDuplicates: refs.duplicates };
}

/** Puts a candidate tensor into the reference's residual basis, in [hidden, residual] form. */
type ToReference = (t: DeepTensor, g: RoleGroup, refCols: number) => Matrix;

function candidateInReferenceBasis(transform: ResidualTransform | null): ToReference {
  const map = transform?.kind === "permutation" ? transform.map : null;
  return (t, g, refCols) => {
    const h = hForm(t, g.hidden);
    if (transform?.kind === "rotation") return h.cols === transform.d && refCols === transform.d ? rotateRows(h, transform.q) : h;
    if (!map || h.cols !== map.perm.length) return h;
    return mapColumns(h, map.perm, map.sign, refCols);
  };
}

/** Every reference tensor in [hidden, residual] form, and which reference layers are near-copies of each other. */
function referenceForms(groups: RoleGroup[]) {
  const forms = new Map<RoleGroup, Matrix[]>();
  const pairs = new Set<string>();
  const duplicates: [number, number][] = [];
  for (const g of groups) {
    const refH = g.reference.map((t) => hForm(t, g.hidden));
    forms.set(g, refH);
    for (let a = 0; a < g.reference.length; a++) {
      for (let b = a + 1; b < g.reference.length; b++) {
        if (!(directPearson(refH[a]!, refH[b]!) > DUPLICATE_R)) continue;
        const la = g.reference[a]!.layer ?? -1;
        const lb = g.reference[b]!.layer ?? -1;
        const key = `${Math.min(la, lb)}|${Math.max(la, lb)}`;
        if (!pairs.has(key)) duplicates.push([Math.min(la, lb), Math.max(la, lb)]);
        pairs.add(key);
      }
    }
  }
  const isDuplicate = (a: number | null, b: number | null) => pairs.has(`${Math.min(a ?? -1, b ?? -1)}|${Math.max(a ?? -1, b ?? -1)}`);
  return { forms, duplicates, isDuplicate };
}

function directPearson(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) return 0;
  const acc = new PairAccumulator();
  acc.add(a.data, b.data);
  return acc.result().pearson ?? 0;
}

/**
 * Layer-by-layer matrix of aligned Pearson per role, and the matchings behind it. The full
 * candidate-layer x reference-layer matrix is computed for the cheapest roles only (they choose the
 * layers); costlier roles are matched at the chosen layer alone.
 */
function matchLayers(groups: RoleGroup[], ctx: MatchContext, progress?: (done: number, total: number) => void): LayerMatch {
  const toMatch = groups.reduce((n, g) => n + g.candidate.length, 0);
  const matched = new Set<DeepTensor>();
  const cells: Cells = new Map();
  const fillRow = (g: RoleGroup, ct: DeepTensor, only: (layer: number | null) => boolean) => {
    matched.add(ct);
    progress?.(matched.size, toMatch);
    cells.set(cellKey(g, ct), matchAcross(g, ct, ctx, only));
  };
  const selecting = selectingGroups(groups);
  for (const g of selecting) for (const ct of g.candidate) fillRow(g, ct, () => true);
  const chosenLayer = chooseLayers(selecting, cells);
  // The other roles: at the chosen layer, or against every layer when their layer was not chosen above.
  const others = groups.filter((g) => !selecting.has(g));
  for (const g of others) {
    for (const ct of g.candidate) {
      const want = chosenLayer.get(ct.layer);
      if (want === undefined) fillRow(g, ct, () => true);
      else fillRow(g, ct, (l) => l === want);
    }
  }
  for (const g of others) {
    for (const ct of g.candidate) {
      if (chosenLayer.has(ct.layer)) continue;
      const best = cells.get(cellKey(g, ct))!.reduce<Cell | null>((a, b) => (a === null || b.select > a.select ? b : a), null);
      if (best) chosenLayer.set(ct.layer, best.refLayer);
    }
  }
  return { cells, chosenLayer };
}

/** One candidate tensor against every reference tensor of its role on the layers `only` admits. */
function matchAcross(g: RoleGroup, ct: DeepTensor, { refForms, toRef, residualSize, partners }: MatchContext, only: (layer: number | null) => boolean): Cell[] {
  const refH = refForms.get(g)!;
  const row: Cell[] = [];
  const mapped = new Map<number, Matrix>();
  const options = partners?.(g, ct) ?? g.reference.map((rt, k) => ({ rt, form: refH[k]!, options: 1 }));
  for (const { rt, form, options: n } of options) {
    if (!only(rt.layer)) continue;
    const cols = form.cols;
    if (!mapped.has(cols)) mapped.set(cols, toRef(ct, g, cols));
    row.push({ ...matchRows(mapped.get(cols)!, form, residualSize), refName: rt.name, refLayer: rt.layer, options: n });
  }
  return row;
}

/** The roles that choose the layers: those within twice the cost of the cheapest to match. */
function selectingGroups(groups: RoleGroup[]): Set<RoleGroup> {
  const cost = (g: RoleGroup) => {
    const c = hForm(g.candidate[0]!, g.hidden);
    const r = hForm(g.reference[0]!, g.hidden);
    return c.rows * r.rows * Math.min(c.cols, r.cols);
  };
  const cheapest = Math.min(...groups.filter((g) => g.candidate.length && g.reference.length).map(cost));
  return new Set(groups.filter((g) => g.candidate.length && g.reference.length && cost(g) <= 2 * cheapest));
}

/** Each candidate layer picks the reference layer with the highest total aligned Pearson (on the choosing features) over the selecting roles. */
function chooseLayers(selecting: Set<RoleGroup>, cells: Cells): ChosenLayers {
  const layerScore = new Map<number | null, Map<number | null, number>>();
  for (const g of selecting) {
    for (const ct of g.candidate) {
      const scores = layerScore.get(ct.layer) ?? new Map<number | null, number>();
      for (const cell of cells.get(cellKey(g, ct))!) scores.set(cell.refLayer, (scores.get(cell.refLayer) ?? 0) + cell.select);
      layerScore.set(ct.layer, scores);
    }
  }
  const chosenLayer: ChosenLayers = new Map();
  for (const [cl, scores] of layerScore) {
    let best: number | null = null;
    let bestScore = -Infinity;
    for (const [rl, sc] of scores) {
      // Prefer the same index on ties: no shift is claimed without evidence.
      if (sc > bestScore + 1e-12 || (Math.abs(sc - bestScore) <= 1e-12 && rl === cl)) {
        best = rl;
        bestScore = sc;
      }
    }
    chosenLayer.set(cl, best);
  }
  return chosenLayer;
}

/** Every candidate tensor's matching at its chosen reference layer, judged by its held-out test. */
function judgeChosen(
  groups: RoleGroup[],
  { cells, chosenLayer }: LayerMatch,
  { isDuplicate, transform, residualSize }: { isDuplicate: (a: number | null, b: number | null) => boolean; transform: ResidualTransform | null; residualSize: number },
): DeepResult[] {
  const results: DeepResult[] = [];
  for (const g of groups) {
    const nul = alignedNull(g, cells, chosenLayer, isDuplicate);
    // The held-out features must be residual-stream dimensions (exchangeable under H0). Where a role's
    // other axis is the model's inputs or outputs (pixels, classes: fixed by the data, the same in both
    // models), permuting them is no null, and the matching gets no p-value.
    const exchangeable = residualSize > 0 && g.reference.length > 0 && hForm(g.reference[0]!, g.hidden).cols === residualSize;
    for (const ct of g.candidate) {
      const want = chosenLayer.get(ct.layer);
      const cell = cells.get(cellKey(g, ct))!.find((c) => c.refLayer === want);
      if (!cell) continue;
      // The evidence is the held-out test (match-rows.ts): the matching and the layer choice saw
      // the even residual features only, the test the odd ones. The aligned null (other layers) is
      // reported, never decides: layers share structure by construction (layer 0 reads the embeddings).
      const { test, pearson, cosine } = cell.heldOut();
      const result: DeepResult = {
        candidate: ct.name,
        reference: cell.refName,
        pearson,
        cosine,
        log10p: exchangeable ? (test?.log10p ?? 0) : 0,
        z: exchangeable ? (test?.z ?? 0) : 0,
        effect: test?.effect ?? 0,
        null: nul,
        transform: transformsOf(cell, ct, transform),
        elements: ct.m.rows * ct.m.cols,
      };
      // A partner chosen among the layer's experts pays for its options (expert-partners-whole.ts).
      results.push(cell.options > 1 ? paidPartner(result, cell.options) : result);
    }
  }
  return results;
}

/** The aligned null of a role (descriptive): every candidate layer against the reference layers it did not choose, on the choosing features. */
function alignedNull(g: RoleGroup, cells: Cells, chosenLayer: ChosenLayers, isDuplicate: (a: number | null, b: number | null) => boolean) {
  const values: number[] = [];
  for (const ct of g.candidate) {
    const want = chosenLayer.get(ct.layer);
    for (const cell of cells.get(cellKey(g, ct))!) {
      if (cell.refLayer === want || isDuplicate(cell.refLayer, want ?? null)) continue;
      values.push(cell.select);
    }
  }
  return summarise(values);
}

function summarise(values: number[]): { mean: number; sd: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, sd: 0, n: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

/** The transforms a matching undid, as the report names them. */
function transformsOf(cell: Cell, ct: DeepTensor, transform: ResidualTransform | null): Transforms {
  const transforms: Transform[] = [];
  if (cell.refLayer !== ct.layer) transforms.push("layer-shift");
  if (transform !== null) transforms.push(transform.kind === "rotation" ? "residual-rotated" : "residual-permuted");
  if (cell.identityFraction < 0.9) transforms.push("permuted-rows");
  if (cell.flipped > 0.1 && cell.flipped < 0.9) transforms.push("sign-flips");
  return transforms;
}
