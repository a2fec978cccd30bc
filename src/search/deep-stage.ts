/**
 * Run the alignment search (deep-align.ts) for one component whose
 * element-wise comparison found no reuse: gather role groups (every layer of
 * both models, unmatched candidate layers included), load the matrices, and
 * fold what the search finds back into the tensor results.
 */
import { FromScratchError } from "../common/errors.js";
import type { TensorEvidence } from "../report/evidence.js";
import type { WeightSource } from "../sources/types.js";
import type { ComponentAlignment, Located } from "../align/align.js";
import { deepAlign } from "./deep-align.js";
import { WHOLE_SEARCH_MAX_ELEMENTS } from "./stream-budget.js";
import { streamSearch } from "./stream-search.js";
import type { DeepTensor, RoleGroup } from "./deep-types.js";
import type { Basis, BasisBlock } from "./residual.js";
import { FLIPPED, type Origin, bestOrientation, foldFindings } from "./fold-findings.js";
import { type Matrix, loadMatrix } from "./matrix.js";
import { count } from "../common/words.js";
import { type TensorView, viewKey } from "../align/view.js";
import { type SearchOutcome, type Unread, type Usable, type ViewGroup, basisResidual, hiddenAxis, notRunSummary, searchElements, selectPairs, stackNorms, storesConv1D, unreadResults, viewGroups } from "./search-groups.js";


export type { SearchOutcome } from "./search-groups.js";

/**
 * What the search is given: the component, its compared tensors (the search adds its looks to them), every
 * reference tensor, both sources and the sampled fraction. Never the level: the search proposes pairings
 * and pays for them, the policy decides.
 */
export interface SearchInput {
  comp: ComponentAlignment;
  tensors: readonly TensorEvidence[];
  /** Per pair, whether its tensor already stands out (the policy's answer): roles where every layer does need no search. */
  explained: readonly boolean[];
  referenceTensors: Located[];
  cand: WeightSource;
  ref: WeightSource;
  fraction: number;
  progress?: (message: string) => void;
}

export async function searchComponent(input: SearchInput): Promise<SearchOutcome> {
  const { comp, tensors, referenceTensors, cand, ref, fraction, progress } = input;
  const summary = notRunSummary();
  const selected = selectPairs(comp, tensors, input.explained);
  const { basisPairs, groupPairs, normPairs } = selected;
  if (groupPairs.length === 0) {
    summary.note = "no matrices to search";
    return { summary, tensors, added: [] };
  }
  const groups = viewGroups(comp, groupPairs, referenceTensors);
  // Sampled runs and large components: the streamed search reads sketches, never whole matrices.
  if (fraction < 1 || searchElements(groups, basisPairs) > WHOLE_SEARCH_MAX_ELEMENTS) return streamSearch({ comp, tensors, selected, viewGroupsByKey: groups, cand, ref, progress });
  // The residual width, from a tensor that carries it next to a shared axis (tokens, positions, pixels).
  let residualSize: number | null = null;
  for (const b of basisPairs) residualSize ??= basisResidual(b.p.role) === "cols" ? b.p.reference.cols : b.p.reference.rows;
  const loader = new MatrixLoader(cand, ref);
  const loaded = await loadRoleGroups(groups, { name: comp.name, loader, residualSize, progress });
  const basis = await loadBasis(basisPairs, normPairs, loader);
  const deep = deepAlign(loaded.roleGroups, basis, residualSize ?? 0, progress && ((m) => progress(`alignment search in ${comp.name}: ${m}`)));

  summary.ran = true;
  summary.status = "ran";
  // Whether a permuted residual is claimed is the policy's, only when a matrix that stands out needed it.
  summary.residualMatchQuality = deep.residualMatchQuality;
  summary.referenceDuplicateLayers = deep.referenceDuplicates;
  const best = bestOrientation(deep.results);
  const found = foldFindings(best, loaded, tensors);
  const added = [...found.added, ...unreadResults(loaded.unreadCandidate, groups, found.tensors)];
  const searched = best.size;
  const parts = [`the alignment search (residual basis, hidden units, layers) looked at ${count(searched, "matrix", "matrices")}`];
  if (loaded.unreadCandidate.size) parts.push(`${count(loaded.unreadCandidate.size, "candidate matrix", "candidate matrices")} unread, left out of the search`);
  if (loaded.unreadReference.size) parts.push(`${count(loaded.unreadReference.size, "reference matrix", "reference matrices")} unread, left out of the search (${[...loaded.unreadReference.values()][0]})`);
  summary.note = parts.join("; ");
  return { summary, tensors: found.tensors, added };
}

/**
 * Whole matrices, each read once per side. A tensor that cannot be decoded (an unsupported dtype, a
 * bad slice) is left out of the search and reported unread; it never stops the search from using
 * every other tensor (junk tensors must not buy an evasion). Fetch and auth errors still stop the run.
 */
class MatrixLoader {
  private readonly loaded = new Map<string, Promise<Matrix>>();
  constructor(
    readonly cand: WeightSource,
    readonly ref: WeightSource,
  ) {}

  load(src: WeightSource, v: TensorView): Promise<Matrix> {
    const k = `${src === this.cand ? "c" : "r"}:${viewKey(v)}`;
    if (!this.loaded.has(k)) this.loaded.set(k, loadMatrix(src, v));
    return this.loaded.get(k)!;
  }

  /** The matrix, or the reason it cannot be decoded. */
  async tryLoad(src: WeightSource, v: TensorView): Promise<Matrix | string> {
    try {
      return await this.load(src, v);
    } catch (e) {
      if (e instanceof FromScratchError && e.kind === "format") return e.message;
      throw e;
    }
  }
}

/** Load every group's matrices (both orientations of square candidate matrices) into the search's role groups. */
async function loadRoleGroups(
  groups: Map<string, ViewGroup>,
  { name, loader, residualSize, progress }: { name: string; loader: MatrixLoader; residualSize: number | null; progress?: (message: string) => void },
) {
  const conv1d = storesConv1D(
    [...groups.values()].map((g) => ({ role: g.role, view: g.refs.values().next().value as TensorView })),
    residualSize,
  );
  const unreadCandidate = new Map<string, Unread>();
  const unreadReference = new Map<string, string>();
  const roleGroups: RoleGroup[] = [];
  const idToPair = new Map<string, Origin>();
  let loadedGroups = 0;
  for (const g of groups.values()) {
    progress?.(`alignment search in ${name}: reading matrices, role ${++loadedGroups}/${groups.size} (${g.role})`);
    const candidate = await loadCandidates(g, loader, idToPair, unreadCandidate);
    const reference: DeepTensor[] = [];
    for (const v of g.refs.values()) {
      const m = await loader.tryLoad(loader.ref, v);
      if (typeof m === "string") unreadReference.set(v.entry.name, m);
      else reference.push({ name: v.entry.name, layer: v.layer, m });
    }
    if (candidate.length === 0 || reference.length === 0) continue;
    roleGroups.push({ role: g.role, hidden: hiddenAxis(g.role, g.refs.values().next().value as TensorView, residualSize, conv1d), candidate, reference });
  }
  return { roleGroups, idToPair, unreadCandidate, unreadReference };
}

async function loadCandidates(g: ViewGroup, loader: MatrixLoader, idToPair: Map<string, Origin>, unread: Map<string, Unread>): Promise<DeepTensor[]> {
  const candidate: DeepTensor[] = [];
  for (const [k, v] of g.cand) {
    const m = await loader.tryLoad(loader.cand, v);
    if (typeof m === "string") {
      unread.set(v.entry.name, { view: v, layer: v.layer, pairIndex: v.pairIndex, message: m });
      continue;
    }
    candidate.push({ name: k, layer: v.layer, m });
    idToPair.set(k, { pairIndex: v.pairIndex, view: v, layer: v.layer });
    // A square matrix may be stored transposed with nothing in its shape to say so: try both.
    if (!v.axes && v.rows === v.cols && v.rowStart === 0 && v.storedRows === v.storedCols) {
      const mf = await loader.tryLoad(loader.cand, { ...v, transpose: !v.transpose });
      if (typeof mf === "string") continue;
      candidate.push({ name: `${k}${FLIPPED}`, layer: v.layer, m: mf });
      idToPair.set(`${k}${FLIPPED}`, { pairIndex: v.pairIndex, view: v, layer: v.layer });
    }
  }
  return candidate;
}

/** The residual basis: embedding-like blocks, then the stacked norm gains. */
async function loadBasis(basisPairs: Usable[], normPairs: ComponentAlignment["pairs"], loader: MatrixLoader): Promise<Basis | null> {
  const blocks: BasisBlock[] = [];
  for (const b of basisPairs) {
    const c = await loader.tryLoad(loader.cand, b.p.candidate);
    const r = await loader.tryLoad(loader.ref, b.p.reference);
    if (typeof c !== "string" && typeof r !== "string") blocks.push({ candidate: c, reference: r, residual: basisResidual(b.p.role), signed: false, center: false });
  }
  const normBlock = await stackNorms(normPairs, loader.cand, loader.ref, (src, v) => loader.load(src, v));
  if (normBlock) blocks.push(normBlock);
  return blocks.length ? { blocks } : null;
}
