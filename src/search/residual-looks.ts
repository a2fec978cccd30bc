/**
 * The residual looks of the streamed search: how the candidate's residual
 * axis is read against the reference's features (as stored, through a
 * permutation recovered from sampled token rows, or through a Hadamard
 * rotation on either side), and the basis those maps are recovered from.
 */
import type { ComponentAlignment } from "../align/align.js";
import { FromScratchError } from "../common/errors.js";
import { collectGarbage } from "../common/collect-garbage.js";
import type { WeightSource } from "../sources/types.js";
import { hadamardRows } from "./hadamard.js";
import { type Matrix, loadMatrix, pickColumns, rowBlock } from "./matrix.js";
import { type Basis, type BasisBlock, type ResidualMap, type ResidualTransform, residualMap } from "./residual.js";
import { basisResidual, type selectPairs, stackNorms } from "./search-groups.js";
import { readRowSet } from "./sketch-read.js";
import { spread, tokenRows } from "./stream-groups.js";

/** How the candidate's residual axis is read for one look: the candidate dimension (and sign) behind each reference feature. */
export interface Look {
  transform: ResidualTransform | null;
  dims: Int32Array;
  sign: Float32Array;
  /** A Hadamard look: the residual axis of this side is taken through H/√d first (see hadamardLooks). */
  hadamard?: "reference" | "candidate";
}

/** How the summary names a residual look. */
export function lookName(l: Look): string {
  if (l.hadamard) return `Hadamard on the ${l.hadamard}'s side`;
  return l.transform ? "recovered permutation" : "as stored";
}

/** The looks a residual map allows: as stored, through the recovered permutation, or both when the map is not clean. */
export function looksFor(map: ResidualMap | null, features: Int32Array, candidateWidth: number): Look[] {
  const asStored: Look = {
    transform: null,
    dims: Int32Array.from(features, (r) => (r < candidateWidth ? r : -1)),
    sign: new Float32Array(features.length).fill(1),
  };
  if (!map || map.identity) return [asStored];
  const permuted = permutationLook(map, features);
  // A clean permutation far better than the identity needs no second look at the identity.
  return isClean(map) ? [permuted] : [asStored, permuted];
}

export const isClean = (map: ResidualMap) => map.quality >= 0.5 && map.identityQuality < 0.5 * map.quality;

/** The look through a recovered residual permutation: the candidate dimension (and sign) behind each reference feature. */
function permutationLook(map: ResidualMap, features: Int32Array): Look {
  const inverse = new Int32Array(Math.max(...features) + 1).fill(-1);
  map.perm.forEach((r, c) => {
    if (r >= 0 && r < inverse.length) inverse[r] = c;
  });
  const dims = Int32Array.from(features, (r) => inverse[r]!);
  const sign = Float32Array.from(dims, (c) => (c >= 0 ? map.sign[c]! : 1));
  return { transform: { kind: "permutation", map }, dims, sign };
}

/**
 * Tokens the Hadamard screens compare, and the mean |cos| of the matched dimensions a screen needs: a
 * rotated fine-tune at Pearson ~0.9 sits near 0.9; a forced matching of unrelated dimensions at width
 * 4096 on 256 tokens, near the largest of 4096 chance cosines (~0.36).
 */
const HADAMARD_TOKENS = 256;
const HADAMARD_MIN_QUALITY = 0.6;

const isPowerOfTwo = (n: number) => n >= 2 && (n & (n - 1)) === 0;

/**
 * Hadamard looks: a rotation of the residual stream by a randomised Hadamard matrix (QuaRot, QuIP#;
 * SpinQuant starts from one), Q = H·diag(s)·P/√d or diag(s)·H·P/√d, is a signed permutation once one
 * side's residual axis is taken through the fixed orthogonal H/√d (H/√d is its own inverse). So
 * the permutation look runs again with H applied to the reference, or to the candidate, when the
 * embeddings' dimensions then match cleanly (on HADAMARD_TOKENS token rows). H is fixed before the
 * data is seen: the look is the calibrated permutation look on a transformed model, with its floor
 * and one more Bonferroni look. Units on stored columns (o, down) need every residual row, so only
 * matrices with units on rows (q, k, v, gate, up, read at every 16th row) are tested in it.
 */
export function hadamardLooks(basis: Basis, main: ResidualMap | null, features: Int32Array): Look[] {
  if (main && isClean(main)) return [];
  const looks: Look[] = [];
  const embeddings = basis.blocks.filter((b) => !b.signed && b.residual === "cols" && b.candidate.cols === b.reference.cols && isPowerOfTwo(b.reference.cols));
  if (!embeddings.length) return looks;
  const head = (m: Matrix) => rowBlock(m, 0, Math.min(HADAMARD_TOKENS, m.rows));
  for (const side of ["reference", "candidate"] as const) {
    // The previous map's unit rows (the main map's, or the other side's) are dead by now.
    collectGarbage();
    const blocks = embeddings.map((b) => ({
      ...b,
      candidate: side === "candidate" ? hadamardRows(head(b.candidate)) : head(b.candidate),
      reference: side === "reference" ? hadamardRows(head(b.reference)) : head(b.reference),
    }));
    // After H a rotated copy is a signed permutation, often the identity with random signs: the match
    // itself must be good (mean |cos| of the matched dimensions), whatever the permutation. A probe
    // of 256 candidate dimensions decides first (the full map at width 4096 costs seconds).
    const probeDims = spread(blocks[0]!.candidate.cols, 256, 16);
    const probe = residualMap({ blocks: blocks.map((b) => ({ ...b, candidate: pickColumns(b.candidate, probeDims) })) });
    if (!probe || probe.quality < HADAMARD_MIN_QUALITY) continue;
    const map = residualMap({ blocks });
    if (map && map.quality >= HADAMARD_MIN_QUALITY) looks.push({ ...permutationLook(map, features), hadamard: side });
  }
  return looks;
}

/** The residual basis from sampled token rows (the same token ids on both sides) and the norm gains. */
export async function sketchBasis(basisPairs: ReturnType<typeof selectPairs>["basisPairs"], normPairs: ComponentAlignment["pairs"], cand: WeightSource, ref: WeightSource): Promise<Basis | null> {
  const blocks: BasisBlock[] = [];
  for (const b of basisPairs) {
    const residual = basisResidual(b.p.role);
    try {
      if (residual === "cols") {
        const tokens = tokenRows(b.p.candidate, b.p.reference);
        const c = await readRowSet(cand, b.p.candidate, tokens);
        const r = await readRowSet(ref, b.p.reference, tokens);
        blocks.push({ candidate: c, reference: r, residual, signed: false, center: false });
      } else if (b.p.candidate.rows * b.p.candidate.cols <= 1 << 22 && b.p.reference.rows * b.p.reference.cols <= 1 << 22) {
        blocks.push({ candidate: await loadMatrix(cand, b.p.candidate), reference: await loadMatrix(ref, b.p.reference), residual, signed: false, center: false });
      }
    } catch (e) {
      if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
    }
  }
  try {
    const norms = await stackNorms(normPairs, cand, ref, loadMatrix);
    if (norms) blocks.push(norms);
  } catch (e) {
    if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
  }
  return blocks.length ? { blocks } : null;
}
