/**
 * The whole-matrix search's re-pairing of routed experts under a look that moves the residual stream
 * (align-once.ts), as the streamed search's (expert-partners.ts): per expert, the Gram matrix of its down
 * matrix over a few even residual features in the reference's basis, centred across the layer's experts;
 * a linear assignment per candidate layer and reference layer (the layers are chosen after matching, so
 * every pair of layers gets its own). Only even features choose; the held-out test sees the odd ones; the
 * choice is paid all the same (align-once.ts: Bonferroni over the reference experts chosen among).
 */
import type { DeepTensor, RoleGroup } from "./deep-types.js";
import { columnGram, standardise } from "./expert-gram.js";
import { EXPERT_ROLE, GRAM_FEATURES, type Sketch, candidateExpert, pairStandardised } from "./expert-partners.js";
import { splitFeatures } from "./match-rows.js";
import type { Matrix } from "./matrix.js";

/** A reference tensor a candidate expert part meets at one reference layer, in [hidden, residual] form, and the experts it was chosen among. */
export interface ReferenceOption {
  rt: DeepTensor;
  form: Matrix;
  options: number;
}

/** A candidate part's references (one per reference layer, its partner's part there), or null: its group's, as paired. */
export type ExpertReferences = (g: RoleGroup, ct: DeepTensor) => ReferenceOption[] | null;

type CandForm = (t: DeepTensor, g: RoleGroup, refCols: number) => Matrix;
type Parsed = { prefix: string; expert: number; part: string };
const DOWN = /(^|\.)down\.weight$/;

/**
 * The re-pairing of every expert group, or null when there is nothing to re-pair. `candForm`: a candidate
 * tensor in the reference's basis and [hidden, residual] form; `forms`: the reference tensors', per group.
 */
export function wholePartners(groups: RoleGroup[], forms: Map<RoleGroup, Matrix[]>, candForm: CandForm): ExpertReferences | null {
  const parsed = new Map<RoleGroup, Parsed>();
  const byRole = new Map<string, RoleGroup | null>();
  for (const g of groups) {
    const m = EXPERT_ROLE.exec(g.role);
    if (!m || g.candidate.length === 0 || g.reference.length === 0) continue;
    parsed.set(g, { prefix: m[1]!, expert: Number(m[2]), part: m[3]! });
    // A role in two groups (two shapes) is left as paired.
    byRole.set(g.role, byRole.has(g.role) ? null : g);
  }
  const downs = [...parsed].filter(([, p]) => DOWN.test(p.part));
  if (downs.length < 2) return null;
  const partners = new Map<string, { expert: string; options: number }>();
  const bases = new Map<string, [RoleGroup, Parsed][]>();
  for (const d of downs) bases.set(`${d[1].prefix}*.${d[1].part}`, [...(bases.get(`${d[1].prefix}*.${d[1].part}`) ?? []), d]);
  const refLayers = new Set<number | null>();
  for (const items of bases.values()) pairLayers(items, { forms, candForm, partners, refLayers });
  if (partners.size === 0) return null;
  return (g, ct) => {
    const p = parsed.get(g);
    if (!p) return null;
    const out: ReferenceOption[] = [];
    for (const rl of refLayers) {
      const to = partners.get(`${ct.layer}|${rl}|${candidateExpert(p.prefix, ct.name, p.expert)}`);
      const other = to && byRole.get(`${to.expert}.${p.part}`);
      const k = other ? other.reference.findIndex((rt) => rt.layer === rl) : -1;
      if (other && k >= 0) out.push({ rt: other.reference[k]!, form: forms.get(other)![k]!, options: to!.options });
    }
    return out.length ? out : null;
  };
}

/** One base role's experts: every candidate layer's against every reference layer's, into `partners` (`candLayer|refLayer|prefix+expert`). */
function pairLayers(
  items: [RoleGroup, Parsed][],
  { forms, candForm, partners, refLayers }: { forms: Map<RoleGroup, Matrix[]>; candForm: CandForm; partners: Map<string, { expert: string; options: number }>; refLayers: Set<number | null> },
): void {
  const cand = new Map<number | null, Sketch[]>();
  const ref = new Map<number | null, Sketch[]>();
  const push = (m: Map<number | null, Sketch[]>, layer: number | null, s: Sketch) => m.set(layer, [...(m.get(layer) ?? []), s]);
  for (const [g, p] of items) {
    const refs = forms.get(g)!;
    const w = Math.min(refs[0]!.cols, candForm(g.candidate[0]!, g, refs[0]!.cols).cols);
    const { choose } = splitFeatures(w, GRAM_FEATURES);
    for (const ct of g.candidate) push(cand, ct.layer, { key: candidateExpert(p.prefix, ct.name, p.expert), vector: columnGram(candForm(ct, g, refs[0]!.cols), choose) });
    g.reference.forEach((rt, k) => push(ref, rt.layer, { key: `${p.prefix}${p.expert}`, vector: columnGram(refs[k]!, choose) }));
  }
  // Every layer's sketches standardised once, then met by every layer of the other side.
  for (const xs of [...cand.values(), ...ref.values()]) if (xs.length >= 2) standardise(xs);
  const unique = (xs: Sketch[]) => new Set(xs.map((x) => x.key)).size === xs.length;
  for (const [cl, cs] of cand) {
    if (!unique(cs)) continue;
    for (const [rl, rs] of ref) {
      refLayers.add(rl);
      if (!unique(rs)) continue;
      for (const [from, to] of pairStandardised(cs, rs)) partners.set(`${cl}|${rl}|${from}`, to);
    }
  }
}
