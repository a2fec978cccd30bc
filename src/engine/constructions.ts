/**
 * Shared constructions are not evidence. Where the direct test finds a tensor
 * pair related, both sides are read whole and checked against the recipes two
 * models can share without copying (src/stats/constructions/: sinusoid and
 * rotary tables, mel filterbanks, DFT/STFT bases, windows, constants,
 * identity plus training). The rule:
 *
 * - both sides explained by the same construction -> `deterministic`, left
 *   out of the combination (reported, never counted); for an identity-
 *   initialised matrix the trained residuals A − sI and B − sI are tested
 *   instead, by Mantel's simultaneous row-and-column permutation test
 *   (src/stats/conjugation.ts), since only that symmetry survives the init;
 * - anything else keeps its test: a byte-identical *trained* tensor (not
 *   explained by any recipe) is decisive evidence.
 */
import type { AlignedPair } from "../align/align.js";
import type { TensorEvidence } from "../report/evidence.js";
import { loadMatrix } from "../search/matrix.js";
import type { MemoSource } from "../sources/memo.js";
import type { SampledPair } from "../stats/controls.js";
import { conjugationTest } from "../stats/conjugation.js";
import { relativeSquaredDifference } from "../stats/pair-stats.js";
import { type Recognised, recognise, residualAfterConstruction } from "../stats/constructions/index.js";
import { roughness } from "../stats/constructions/position-grid.js";

/**
 * Below this roughness along its positions (src/stats/constructions/position-grid.ts; trained weight matrices ~1) a
 * tensor with the same values on both sides is a smooth table, not a trained matrix: never decisive alone.
 */
const SMOOTH_ROUGHNESS = 0.5;

/** Only pairs the direct test relates at least this strongly are checked (the check reads them whole). */
const CHECK_BELOW_LOG10P = -3;
/** Largest tensor read whole for the check (elements per side). */
const MAX_ELEMENTS = 8 * 1024 * 1024;
/** In sampled mode, larger tensors are not read whole for the check (the sample screen decides). */
const MAX_SAMPLED_MODE_ELEMENTS = 1024 * 1024;
/** Units of the principal submatrix Mantel's test runs on. */
const MANTEL_UNITS = 96;

/** The compared pairs (in the alignment's order), their records and sample grids. */
export interface ConstructionInput {
  comp: { pairs: AlignedPair[] };
  tensors: readonly TensorEvidence[];
  samples: (SampledPair | null)[];
}

/** The tensors with what the check found (`deterministic`, a residual test, `structureOnly`): new records where it found something. */
export async function recogniseConstructions(c: ConstructionInput, io: { cand: MemoSource; ref: MemoSource; fraction: number }): Promise<TensorEvidence[]> {
  const out = [...c.tensors];
  for (let i = 0; i < c.comp.pairs.length; i++) out[i] = await recogniseOne(c.comp.pairs[i]!, out[i]!, c.samples[i], io);
  return out;
}

async function recogniseOne(pair: AlignedPair, t: TensorEvidence, s: SampledPair | null | undefined, io: { cand: MemoSource; ref: MemoSource; fraction: number }): Promise<TensorEvidence> {
  const { cand, ref, fraction } = io;
  if (!s || !t.informative || t.error || !t.permutation || t.permutation.log10p > CHECK_BELOW_LOG10P) return t;
  // A square matrix whose diagonal stands out on both sides (identity-like initialisation, however far
  // training moved it): test the residuals on the sample grid (its rows and columns are the same indices).
  if (identityLike(pair, s)) {
    const test = conjugationTest(offIdentity(s.a, s.rowsSampled), offIdentity(s.b, s.rowsSampled), s.rowsSampled);
    const deterministic = { construction: "identity", explained: 0, detail: "diagonal-dominant square matrix (identity-like initialisation); the residuals A − sI are tested instead (Mantel)", residualTested: test !== null };
    return withResidualTest({ ...t, deterministic }, test);
  }
  // Screen on the sample grid (no bytes read): both sides recognised, or the same values on both sides
  // (to a relative 1e-3: a construction both rebuilt, or a copy).
  const grid = [s.rowsSampled, s.colsSampled];
  const sa = recognise(s.a, grid, t.candidate);
  const sb = recognise(s.b, grid, t.reference);
  const sameOnSample = sa !== null && sb !== null && sa.construction === sb.construction;
  if (!sameOnSample && relativeSquaredDifference(s.a, s.b) > 1e-6) return t;
  const v = pair.candidate;
  const elements = Math.max(v.rows * v.cols, pair.reference.rows * pair.reference.cols);
  // Confirm on the whole tensors when that stays within the run's reads; else the sample decides.
  // Equal values that the sample cannot explain (a copy, or a table whose grid aliases) are read whole
  // only when small: a dtype-converted copy of a large model must not be read twice.
  const whole = elements <= (sameOnSample && fraction >= 1 ? MAX_ELEMENTS : MAX_SAMPLED_MODE_ELEMENTS);
  if (!whole && !sameOnSample) return t;
  const a = whole ? await loadMatrix(cand, v) : { rows: s.rowsSampled, cols: s.colsSampled, data: s.a };
  const b = whole ? await loadMatrix(ref, pair.reference) : { rows: s.rowsSampled, cols: s.colsSampled, data: s.b };
  const ra = whole ? recognise(a.data, [a.rows, a.cols], t.candidate) : sa;
  const rb = whole ? recognise(b.data, [b.rows, b.cols], t.reference) : sb;
  if (!ra || !rb || ra.construction !== rb.construction) {
    return !ra && !rb && relativeSquaredDifference(a.data, b.data) <= 1e-6 ? markSmooth(t, a) : t;
  }
  if (ra.construction !== "identity") {
    return { ...t, deterministic: { construction: ra.construction, explained: Math.min(ra.explained, rb.explained), detail: ra.detail } };
  }
  const test = residualTest(a, ra, b, rb);
  const deterministic = {
    construction: "identity",
    explained: Math.min(ra.explained, rb.explained),
    detail: `${ra.detail}; the trained residuals A − sI are tested instead (Mantel)`,
    residualTested: test !== null,
  };
  return withResidualTest({ ...t, deterministic }, test);
}

/** The residual test replaces the direct one; without it the tensor has no test. */
function withResidualTest(t: TensorEvidence, test: ReturnType<typeof conjugationTest>): TensorEvidence {
  const { permutation: _, ...rest } = t;
  return test ? { ...t, permutation: { units: test.units, features: test.units, z: test.z, log10p: test.log10p, effect: test.effect } } : rest;
}

/** Equal values that no recipe explains, in a table smooth along its positions: a structure, not a trained matrix. */
function markSmooth(t: TensorEvidence, a: Dense): TensorEvidence {
  if (Math.max(a.rows, a.cols) > 16384) return t;
  const r = roughness(a.data, a.rows, a.cols);
  if (!(r < SMOOTH_ROUGHNESS)) return t;
  return { ...t, structureOnly: `the same values on both sides in a table smooth along its positions (roughness ${r.toFixed(2)}; trained weight matrices ~1): a learned or shared position table no formula explains, whose likeness the permutation null cannot price` };
}

/** Above this, a side's diagonal stands out of its off-diagonal entries (a normal score of the diagonal's mean). */
const DIAGONAL_Z = 8;

/** Square, sampled on the same row and column indices, and both diagonals standing out. */
function identityLike(pair: AlignedPair, s: SampledPair): boolean {
  const v = pair.candidate;
  if (v.rows !== v.cols || pair.reference.rows !== pair.reference.cols || s.rowsSampled !== s.colsSampled || s.rowsSampled < 8) return false;
  return diagonalZ(s.a, s.rowsSampled) > DIAGONAL_Z && diagonalZ(s.b, s.rowsSampled) > DIAGONAL_Z;
}

function diagonalZ(x: Float32Array, n: number): number {
  let d = 0;
  let o = 0;
  let oo = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = x[i * n + j]!;
      if (i === j) d += v;
      else {
        o += v;
        oo += v * v;
      }
    }
  }
  const m = n * (n - 1);
  const mean = o / m;
  const sd = Math.sqrt(Math.max(0, oo / m - mean * mean));
  return sd > 0 ? Math.abs(d / n - mean) / (sd / Math.sqrt(n)) : 0;
}

/** x − sI with s the diagonal's mean (n x n). */
function offIdentity(x: Float32Array, n: number): Float32Array {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i * n + i]!;
  s /= n;
  const out = Float32Array.from(x);
  for (let i = 0; i < n; i++) out[i * n + i]! -= s;
  return out;
}

type Dense = { rows: number; cols: number; data: Float32Array };

function residualTest(a: Dense, ra: Recognised, b: Dense, rb: Recognised) {
  const da = residualAfterConstruction(a.data, [a.rows, a.cols], ra);
  const db = residualAfterConstruction(b.data, [b.rows, b.cols], rb);
  if (!da || !db || a.cols !== b.cols || a.rows !== b.rows) return null;
  const n = Math.min(a.rows, a.cols);
  const k = Math.min(n, MANTEL_UNITS);
  const idx = Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
  const sub = (d: Float32Array) => {
    const out = new Float32Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[i * k + j] = d[idx[i]! * a.cols + idx[j]!]!;
    return out;
  };
  return conjugationTest(sub(da), sub(db), k);
}
