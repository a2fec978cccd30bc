/**
 * The alignment search at any size and in sampled mode: the same steps and
 * the same held-out test as the whole-matrix search (deep-align.ts), on
 * sketches read row by row, so memory and bytes stay bounded at 7B width.
 *
 * What is read, per matrix in [hidden units, residual] form:
 * - the residual features: FEATURES residual dimensions R of the reference
 *   (16 contiguous chunks, chosen from the width alone, so every candidate
 *   reads the same reference rows), and for the candidate the dimensions the
 *   residual look maps onto them (as stored, or through the permutation
 *   recovered from sampled token rows of the embeddings);
 * - matrices whose hidden units sit on the stored columns (o, down: they write
 *   the residual stream): rows R of the reference, every unit on FEATURES
 *   features; UNITS units of the candidate. Its units are matched to the
 *   reference's by a linear assignment on the even features, tested on the
 *   odd ones (match-rows.ts);
 * - gate and up, whose units are down's: the candidate's UNITS rows and the
 *   reference rows down matched them to, tested on the odd features with no
 *   further choice (the matching saw down's even features only: the test
 *   stays a permutation test of the held-out residual dimensions);
 * - other matrices with units on rows (q, k, v): every ROW_CLASS-th row on
 *   both sides (head sizes are multiples of 16, so whole heads keep their
 *   rows in the sample whatever order the heads are in), matched and tested
 *   as above.
 * Layers: every candidate layer takes the reference layer that the cheapest
 * row-sampled role scores best on the even features (drops, duplicates and
 * reordering allowed); the other roles are read at that layer only.
 *
 * Not searched here (said in the summary): a rotated residual stream (the
 * whole-matrix search fits one for components under its budget) and the
 * transposed look at square matrices under permutation.
 *
 * The files: stream-groups.ts (what is read of each matrix), residual-looks.ts
 * (the basis and the looks at the residual axis), sketch-reader.ts (the
 * reads), layer-looks.ts (layer choice, matching and test), gram-look.ts (the
 * rotation-invariant look), stream-budget.ts (the same reads as a plan counts
 * them).
 */
import type { ComponentAlignment } from "../align/align.js";
import { collectGarbage } from "../common/collect-garbage.js";
import { count } from "../common/words.js";
import type { TensorEvidence } from "../report/evidence.js";
import type { WeightSource } from "../sources/types.js";
import { FUNCTIONAL_FLOOR, combineLooks } from "./deep-align.js";
import type { RoleGroup } from "./deep-types.js";
import { type Origin, bestOrientation, foldFindings } from "./fold-findings.js";
import { ROTATION_GRAM_MIN, gramLook, tokenGramAgreement } from "./gram-look.js";
import { searchLooks } from "./layer-looks.js";
import type { Matrix } from "./matrix.js";
import { type Look, hadamardLooks, isClean, lookName, looksFor, sketchBasis } from "./residual-looks.js";
import { type Basis, type ResidualMap, residualMap } from "./residual.js";
import { type SearchOutcome, type ViewGroup, notRunSummary, type selectPairs, unreadResults } from "./search-groups.js";
import { SketchReader } from "./sketch-reader.js";
import { type Group, UNITS, classify, featureDims, orientSquare, widths } from "./stream-groups.js";

/** One component's streamed search: what deep-stage.ts hands over. */
export interface StreamSearchInput {
  comp: ComponentAlignment;
  tensors: readonly TensorEvidence[];
  /** From selectPairs. */
  selected: ReturnType<typeof selectPairs>;
  /** From viewGroups (at least one group). */
  viewGroupsByKey: Map<string, ViewGroup>;
  cand: WeightSource;
  ref: WeightSource;
  progress?: (message: string) => void;
}

/**
 * The search on one component whose role groups the caller made (deep-stage.ts: `selected` from
 * selectPairs, `viewGroupsByKey` from viewGroups, at least one group).
 */
export async function streamSearch(input: StreamSearchInput): Promise<SearchOutcome> {
  const { comp, tensors, selected, viewGroupsByKey, cand, ref, progress } = input;
  const summary = notRunSummary();
  const { basisPairs, normPairs } = selected;
  const { width, candidateWidth } = widths(basisPairs, [...viewGroupsByKey.values()]);
  orientSquare([...viewGroupsByKey.values()]);
  const groups = classify([...viewGroupsByKey.values()], width, candidateWidth);
  if (groups.length === 0) {
    summary.note = "no matrix reads or writes the residual stream: nothing the streamed search can test";
    return { summary, tensors, added: [] };
  }
  const say = (m: string) => progress?.(`alignment search in ${comp.name}: ${m}`);
  say(`reading the residual basis (${count(basisPairs.length, "embedding-like tensor", "embedding-like tensors")}, sampled tokens)`);
  const features = featureDims(width);
  // What the element-wise pass left behind is dead: collected before the search's biggest arrays.
  collectGarbage();
  // The token rows are needed for the maps only: not held through the layers.
  const { map, looks, gram } = await sketchBasis(basisPairs, normPairs, cand, ref).then((basis) => residualLooks(basis, features, candidateWidth));
  // The basis and the last map are dead now.
  collectGarbage();
  const reader = new SketchReader(cand, ref, features);
  const runs = await searchLooks(groups, looks, reader, say);
  const transforms = looks.map((l) => l.transform);
  const floors: number[] = looks.map((l) => (l.transform ? FUNCTIONAL_FLOOR.permutation : FUNCTIONAL_FLOOR.asStored));
  if (gram) {
    reader.dropReferenceSketches();
    collectGarbage();
    say("rotation-invariant look: unit Gram matrices of v, gate and up");
    runs.push(await gramLook(groups, reader));
    transforms.push(null);
    // Units matched by index, tested by permuting units: no residual axis involved, no floor.
    floors.push(0);
  }
  const results = combineLooks(runs, transforms, floors);

  summary.ran = true;
  summary.status = "ran";
  summary.residualMatchQuality = map ? map.quality : null;
  const best = bestOrientation(results);
  const found = foldFindings(best, origins(groups), tensors);
  const added = [...found.added, ...unreadResults(reader.unreadCandidate, viewGroupsByKey, found.tensors)];
  summary.note = searchNote({ searched: best.size, features: features.length, width, looks, gram, reader });
  return { summary, tensors: found.tensors, added };
}

/** The residual map from the basis, the looks it allows, and whether the Gram look runs. */
function residualLooks(basis: Basis | null, features: Int32Array, candidateWidth: number): { map: ResidualMap | null; looks: Look[]; gram: boolean } {
  const main = basis ? residualMap(basis) : null;
  // The Gram look, when the permutation look found no clean map and the token geometry agrees.
  const gram = basis !== null && !(main && isClean(main)) && tokenGramAgreement(basis) >= ROTATION_GRAM_MIN;
  return { map: main, looks: [...looksFor(main, features, candidateWidth), ...(basis ? hadamardLooks(basis, main, features) : [])], gram };
}

/** The groups as foldFindings knows them: candidate names per role, and where each came from. */
function origins(groups: Group[]): { roleGroups: RoleGroup[]; idToPair: Map<string, Origin> } {
  const idToPair = new Map<string, Origin>();
  const roleGroups: RoleGroup[] = [];
  for (const { g } of groups) {
    const empty: Matrix = { rows: 0, cols: 0, data: new Float32Array(0) };
    roleGroups.push({ role: g.role, hidden: "rows", candidate: [...g.cand.keys()].map((k) => ({ name: k, layer: g.cand.get(k)!.layer, m: empty })), reference: [] });
    for (const [k, v] of g.cand) idToPair.set(k, { pairIndex: v.pairIndex, view: v, layer: v.layer });
  }
  return { roleGroups, idToPair };
}

/** The summary's note: what was matched, what was read, the looks, what was left unread. */
function searchNote(s: { searched: number; features: number; width: number; looks: Look[]; gram: boolean; reader: SketchReader }): string {
  const { reader } = s;
  const parts = [
    `the streamed alignment search (residual basis, hidden units, layers) looked at ${count(s.searched, "matrix", "matrices")}`,
    `${s.features} of ${s.width} residual dimensions and up to ${UNITS} units per matrix read`,
    `residual looks: ${[...s.looks.map(lookName), ...(s.gram ? ["rotation-invariant (v, gate, up)"] : [])].join(", ")}`,
  ];
  if (reader.unreadCandidate.size) parts.push(`${count(reader.unreadCandidate.size, "candidate matrix", "candidate matrices")} unread, left out of the search`);
  if (reader.unreadReference.size) parts.push(`${count(reader.unreadReference.size, "reference matrix", "reference matrices")} unread, left out of the search (${[...reader.unreadReference.values()][0]})`);
  return parts.join("; ");
}
