/**
 * The rotation-invariant look of the streamed search (unit Gram matrices of
 * v, gate and up), and the token Gram agreement that decides whether it runs.
 */
import { viewElements } from "../align/view.js";
import { collectGarbage } from "../common/collect-garbage.js";
import { rowDots } from "../kernels/dots.js";
import { PairAccumulator } from "../stats/pair-stats.js";
import { permutationTest } from "../stats/permutation.js";
import type { DeepResult } from "./deep-types.js";
import { type Matrix, pickRows } from "./matrix.js";
import type { Basis } from "./residual.js";
import type { SketchReader } from "./sketch-reader.js";
import { type Group, spread } from "./stream-groups.js";

/**
 * The rotation-invariant look. Any orthogonal change of the residual basis Q (a general rotation,
 * SliceGPT's, a learned one) leaves the Gram matrix of a matrix's units unchanged: (WQ)(WQ)ᵀ = WWᵀ.
 * Where the units keep their order, the candidate's unit Gram matrix is the reference's (up to
 * training), with no Q to find. Tested as anchor features (anchorFeatures): valid whenever units are
 * exchangeable under H0, with nothing recovered from the data. (Mantel's test on the whole Gram
 * matrices, with its Monte-Carlo normal tail, was tried first: on the zoo's independent pairs it
 * rejected 0.87% of tensors at 0.001.) v, gate and up only: q and k rows carry RoPE frequencies by
 * position within a head, the same in independent models, so their units are not exchangeable.
 * Rows read: GRAM_ROWS in 16 runs, the same indices on both sides, at the same layer index.
 * It runs when the embeddings' token Gram matrices agree (a rotated copy keeps its embeddings'
 * geometry; the gate saves time, the test needs none), and pays one more look.
 */
const GRAM_ROWS = 256;
const GRAM_ROLES = /(^|\.)(v|gate|up)\.weight$/;
/** Pearson of the token Gram matrices (off the diagonal, 256 tokens) above which the Gram look runs. */
export const ROTATION_GRAM_MIN = 0.5;

export function tokenGramAgreement(basis: Basis): number {
  const block = basis.blocks.find((b) => !b.signed && b.residual === "cols");
  if (!block) return 0;
  const k = Math.min(256, block.candidate.rows, block.reference.rows);
  if (k < 16) return 0;
  const gc = rowDots(block.candidate.data, k, block.candidate.data, k, block.candidate.cols);
  const gr = rowDots(block.reference.data, k, block.reference.data, k, block.reference.cols);
  const a = new Float32Array((k * (k - 1)) / 2);
  const b = new Float32Array(a.length);
  let at = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      a[at] = gc[i * k + j]!;
      b[at++] = gr[i * k + j]!;
    }
  }
  const acc = new PairAccumulator();
  acc.add(a, b);
  return acc.result().pearson ?? 0;
}

export async function gramLook(groups: Group[], reader: SketchReader): Promise<DeepResult[]> {
  const results: DeepResult[] = [];
  for (const x of groups) {
    if (x.kind === "cols" || !GRAM_ROLES.test(x.g.role)) continue;
    for (const [key, v] of x.g.cand) {
      const refView = [...x.g.refs.values()].find((r) => r.layer === v.layer);
      if (!refView || refView.rows !== v.rows) continue;
      const rows = spread(v.rows, GRAM_ROWS, 16);
      // Each tensor's rows (a few MiB a side) are dead after its test: collected before the next's.
      collectGarbage();
      const [c, r] = await Promise.all([reader.candidateRows(v, rows), reader.referenceRows(refView, rows)]);
      if (!c || !r) continue;
      const fc = anchorFeatures(c);
      const fr = anchorFeatures(r);
      const test = permutationTest({ a: fc.data, b: fr.data, rows: fc.rows, cols: fc.cols }, "rows");
      if (!test) continue;
      results.push({
        candidate: key,
        reference: refView.entry.name,
        pearson: test.effect,
        cosine: test.effect,
        log10p: test.log10p,
        z: test.z,
        effect: test.effect,
        null: { mean: 0, sd: 0, n: 0 },
        transform: ["residual-rotated-gram"],
        elements: viewElements(v),
      });
    }
  }
  return results;
}

/**
 * Every 4th read row is an anchor; each other row (a unit) is described by its inner products with
 * the anchors, which no orthogonal change of the residual basis alters. The units are then tested
 * like any matrix's (stats/permutation.ts: Hoeffding's exact moments under permutations of the
 * units, the anchors held fixed on both sides).
 */
function anchorFeatures(m: Matrix): Matrix {
  const anchors: number[] = [];
  const units: number[] = [];
  for (let i = 0; i < m.rows; i++) (i % 4 === 0 ? anchors : units).push(i);
  const a = pickRows(m, Int32Array.from(anchors));
  const u = pickRows(m, Int32Array.from(units));
  return { rows: units.length, cols: anchors.length, data: Float32Array.from(rowDots(u.data, u.rows, a.data, a.rows, m.cols)) };
}
