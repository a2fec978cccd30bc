/**
 * Position tables laid out on a grid: the fixed 2D (and 3D) sin-cos tables of
 * MAE, MoCo-v3 and video ViTs, with or without class-token rows in front, and
 * the smoothness test for tables no formula explains.
 *
 * A 2D sin-cos table over a G_h × G_w patch grid gives each channel a sinusoid
 * of *one* grid coordinate: half the channels sin/cos(ω·h), the other half
 * sin/cos(ω·w) (MAE `get_2d_sincos_pos_embed`; 3D tables add the frame index).
 * Flattened to positions p = h·G_w + w, no channel is a sinusoid of p, so the
 * 1D recogniser (sinusoid-table.ts) misses it, and two independent models
 * holding the same buffer look byte-identical. Recognised here when, for some
 * factorisation of the positions after up to 8 leading rows (class tokens,
 * registers), every channel is explained by a function of a single grid axis
 * (its main effect) that is itself a sinusoid a + b·sin(ωi) + c·cos(ωi) of the
 * index. explained = 1 − RSS / Σ per-channel variance (leading rows count
 * with their own row means), recognised at ≥ 0.9. A trained table on an 8 × 8
 * grid has main effects of ~14/63 of its variance per axis: nowhere near.
 *
 * `roughness`: for a byte-identical tensor that no formula explains, whether
 * it is smooth along its positions in a way trained weight matrices are not
 * (learned absolute tables converge to smooth shapes in independent models).
 * Per channel Σ(Δx)² / (2·Σ(x − x̄)²) along the positions (and along each axis
 * of a grid): ≈ 1 for exchangeable trained weights, ≪ 1 for smooth tables.
 */
/** What a grid table fit explains, and how to say it. */
import { det3, solve3 } from "./solve3.js";

/** A tensor read as positions x channels: `C` channels, element (position p, channel c) at v[value(p, c)]. */
interface PositionTable {
  v: Float32Array;
  C: number;
  value: (p: number, c: number) => number;
}

/** Positions as `lead` leading rows, then a grid of `dims` (row-major). */
interface GridShape {
  lead: number;
  dims: number[];
}

export interface GridFit {
  explained: number;
  detail: string;
}

/** Leading rows (class tokens, registers, distillation tokens) tried in front of the grid. */
const MAX_LEADING = 8;
const THRESHOLD = 0.9;
/** Above this roughness along the flattened positions, no grid is tried (sin-cos grid tables: ~0.1-0.5). */
const ROUGH_GATE = 0.75;
/** Frequencies tried for each axis function (then refined around the best). */
const OMEGA_STEPS = 128;

/**
 * Grid sides have at least this many positions: a sinusoid a + b·sin(ωi) + c·cos(ωi) fits any function of
 * 3 points, and nearly any of 4, so shorter sides prove nothing.
 */
const MIN_SIDE = 5;

/** Factorisations of n into 2 or 3 factors, each ≥ MIN_SIDE. */
export function gridShapes(n: number): number[][] {
  const out: number[][] = [];
  for (let a = MIN_SIDE; a * MIN_SIDE <= n; a++) {
    if (n % a) continue;
    const rest = n / a;
    out.push([a, rest]);
    for (let b = MIN_SIDE; b * MIN_SIDE <= rest; b++) if (rest % b === 0) out.push([a, b, rest / b]);
  }
  return out;
}

/** Stride of axis k in a row-major grid of `dims`. */
function strideOf(dims: number[], k: number): number {
  let s = 1;
  for (let j = k + 1; j < dims.length; j++) s *= dims[j]!;
  return s;
}

/** Residual sum of squares of the best a + b·sin(ωi) + c·cos(ωi) fit to f (length L). */
function sinusoidRss(f: Float64Array): number {
  const L = f.length;
  let mean = 0;
  for (let i = 0; i < L; i++) mean += f[i]!;
  mean /= L;
  let tss = 0;
  for (let i = 0; i < L; i++) tss += (f[i]! - mean) ** 2;
  if (tss === 0) return 0;
  const g = new Float64Array(9);
  const r = new Float64Array(3);
  const fit = (omega: number) => {
    // Least squares on [1, sin, cos] through the 3 x 3 normal equations.
    g.fill(0);
    r.fill(0);
    for (let i = 0; i < L; i++) {
      const s = Math.sin(omega * i);
      const c = Math.cos(omega * i);
      const y = f[i]!;
      r[0] += y;
      r[1] += s * y;
      r[2] += c * y;
      g[1] += s;
      g[2] += c;
      g[4] += s * s;
      g[5] += s * c;
      g[8] += c * c;
    }
    g[0] = L;
    g[3] = g[1]!;
    g[6] = g[2]!;
    g[7] = g[5]!;
    if (!(Math.abs(det3(g)) > 1e-12)) return tss;
    const beta = solve3(g, r);
    if (!beta) return tss;
    let rss = 0;
    for (let i = 0; i < L; i++) rss += (f[i]! - beta[0]! - beta[1]! * Math.sin(omega * i) - beta[2]! * Math.cos(omega * i)) ** 2;
    return rss;
  };
  let best = tss;
  let bestOmega = 0;
  for (let s = 1; s <= OMEGA_STEPS; s++) {
    const omega = (Math.PI * s) / OMEGA_STEPS;
    const rss = fit(omega);
    if (rss < best) [best, bestOmega] = [rss, omega];
  }
  // Refine around the best grid frequency (ternary search within one step).
  let lo = Math.max(1e-6, bestOmega - Math.PI / OMEGA_STEPS);
  let hi = Math.min(Math.PI, bestOmega + Math.PI / OMEGA_STEPS);
  for (let it = 0; it < 24; it++) {
    const m1 = lo + (hi - lo) / 3;
    const m2 = hi - (hi - lo) / 3;
    if (fit(m1) < fit(m2)) hi = m2;
    else lo = m1;
  }
  return Math.min(best, fit((lo + hi) / 2));
}

/** One channel (values at grid cells, strided in `v`) explained by a sinusoid of one grid axis: its RSS. */
function channelRss(v: Float32Array, at: (cell: number) => number, dims: number[]): { rss: number; tss: number } {
  const cells = dims.reduce((x, y) => x * y, 1);
  let mean = 0;
  for (let q = 0; q < cells; q++) mean += v[at(q)]!;
  mean /= cells;
  let tss = 0;
  for (let q = 0; q < cells; q++) tss += (v[at(q)]! - mean) ** 2;
  if (tss === 0) return { rss: 0, tss: 0 };
  // The axis whose main effect leaves least (the channel as a function of that grid coordinate alone) ...
  let best = { within: tss, f: null as Float64Array | null, repeats: 1 };
  for (let k = 0; k < dims.length; k++) {
    const L = dims[k]!;
    const stride = strideOf(dims, k);
    const f = new Float64Array(L);
    for (let q = 0; q < cells; q++) f[Math.floor(q / stride) % L] += v[at(q)]!;
    const repeats = cells / L;
    for (let i = 0; i < L; i++) f[i] = f[i]! / repeats;
    let within = 0;
    for (let q = 0; q < cells; q++) within += (v[at(q)]! - f[Math.floor(q / stride) % L]!) ** 2;
    if (within < best.within) best = { within, f, repeats };
  }
  // ... plus what a sinusoid leaves of that function, at every repeat (not fitted when no grid axis explains half).
  if (!best.f || best.within > 0.5 * tss) return { rss: tss, tss };
  return { rss: Math.min(tss, best.within + best.repeats * sinusoidRss(best.f)), tss };
}

/**
 * A fixed sin-cos table on a 2D or 3D grid of positions (after up to 8 leading rows), positions along
 * either axis of the [rows, cols] tensor. Null when nothing fits at ≥ 0.9.
 */
export function recogniseSinusoidGrid(v: Float32Array, rows: number, cols: number): GridFit | null {
  let best: GridFit | null = null;
  for (const byRows of [true, false]) {
    const P = byRows ? rows : cols;
    const C = byRows ? cols : rows;
    if (P < 5 || C < 2 || P * C < 256) continue;
    const table: PositionTable = { v, C, value: (p: number, c: number) => (byRows ? p * cols + c : c * cols + p) };
    // A grid table is smooth along the flattened positions for most channels (a channel of the slow grid
    // axis changes only from one grid row to the next); a trained matrix has roughness ~1. One cheap pass.
    if (medianRoughness(table, { lead: 0, dims: [P] }) > ROUGH_GATE) continue;
    for (let lead = 0; lead <= Math.min(MAX_LEADING, P - 4); lead++) {
      const G = P - lead;
      for (const dims of gridShapes(G)) {
        const fit = gridFit(table, { lead, dims });
        if (fit >= THRESHOLD && (!best || fit > best.explained)) {
          best = {
            explained: Math.min(1, fit),
            detail: `sin-cos position table on a ${dims.join(" × ")} grid${lead ? ` after ${lead} leading row${lead > 1 ? "s" : ""}` : ""} (${C} channels, each a sinusoid of one grid axis)`,
          };
        }
      }
      if (best) return best;
    }
  }
  return best;
}

/** Explained fraction of the table by the grid model (leading rows by their own row means). */
function gridFit({ v, C, value }: PositionTable, { lead, dims }: GridShape): number {
  let rss = 0;
  let tss = 0;
  for (let r = 0; r < lead; r++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += v[value(r, c)]!;
    m /= C;
    for (let c = 0; c < C; c++) rss += (v[value(r, c)]! - m) ** 2;
  }
  // A quick look at the 8 channels of largest spread first: a trained table fails on any of them (a
  // near-constant channel, a low frequency on a small grid, may be mostly noise and proves nothing).
  const cells = dims.reduce((x, y) => x * y, 1);
  const spread = Array.from({ length: C }, (_, c) => {
    let s = 0;
    let ss = 0;
    for (let q = 0; q < cells; q++) {
      const x = v[value(lead + q, c)]!;
      s += x;
      ss += x * x;
    }
    return ss - (s * s) / cells;
  });
  const probe = Array.from({ length: C }, (_, c) => c)
    .sort((a, b) => spread[b]! - spread[a]!)
    .slice(0, 8);
  for (const c of probe) {
    const one = channelRss(v, (q) => value(lead + q, c), dims);
    if (one.tss > 0 && one.rss > 0.3 * one.tss) return 0;
  }
  for (let c = 0; c < C; c++) {
    const one = channelRss(v, (q) => value(lead + q, c), dims);
    rss += one.rss;
    tss += one.tss;
  }
  return tss > 0 ? 1 - rss / tss : 0;
}

/**
 * How rough a table is along its positions: the median over channels of Σ(Δx)² / (2·Σ(x − x̄)²), the
 * smallest over the two axes of [rows, cols] and, for positions on a grid (after up to 8 leading rows),
 * the grid's axes. About 1 for trained weight matrices (their rows and columns have no order), far
 * below for smooth tables (learned absolute positions, sin-cos tables).
 */
export function roughness(v: Float32Array, rows: number, cols: number): number {
  let best = Infinity;
  for (const byRows of [true, false]) {
    const P = byRows ? rows : cols;
    const C = byRows ? cols : rows;
    if (P < 4 || C < 1) continue;
    const table: PositionTable = { v, C, value: (p: number, c: number) => (byRows ? p * cols + c : c * cols + p) };
    const flat = medianRoughness(table, { lead: 0, dims: [P] });
    best = Math.min(best, flat);
    // Grids only where the flattened positions already look smooth-ish (a trained matrix: ~1).
    if (flat > ROUGH_GATE) continue;
    for (let lead = 0; lead <= Math.min(MAX_LEADING, P - 4); lead++) {
      for (const dims of gridShapes(P - lead)) if (dims.length === 2) best = Math.min(best, medianRoughness(table, { lead, dims }));
    }
  }
  return best;
}

/** Channels the median roughness looks at, evenly spaced (a median of 64 is stable; all of them cost a pass each). */
const ROUGH_CHANNELS = 64;

/**
 * Σ(Δx)² / (2Σ(x − x̄)²) of up to ROUGH_CHANNELS evenly spaced channels over the cells of `dims` (after
 * `lead` rows), neighbours along every grid axis; ~1 for exchangeable values. `constant`: channels
 * with no spread, left out.
 */
function channelRoughness({ v, C, value }: PositionTable, { lead, dims }: GridShape): { per: number[]; constant: number } {
  const cells = dims.reduce((x, y) => x * y, 1);
  const per: number[] = [];
  let constant = 0;
  const step = Math.max(1, Math.floor(C / ROUGH_CHANNELS));
  for (let c = 0; c < C; c += step) {
    let mean = 0;
    for (let q = 0; q < cells; q++) mean += v[value(lead + q, c)]!;
    mean /= cells;
    let ss = 0;
    for (let q = 0; q < cells; q++) ss += (v[value(lead + q, c)]! - mean) ** 2;
    if (!(ss > 0)) {
      constant++;
      continue;
    }
    let diff = 0;
    let pairs = 0;
    for (let k = 0; k < dims.length; k++) {
      const stride = strideOf(dims, k);
      const L = dims[k]!;
      for (let q = 0; q < cells; q++) {
        if (Math.floor(q / stride) % L === L - 1) continue;
        diff += (v[value(lead + q + stride, c)]! - v[value(lead + q, c)]!) ** 2;
        pairs++;
      }
    }
    // Normalised so that exchangeable values give ~1: E[(Δx)²] = 2σ² per neighbouring pair.
    per.push(diff / pairs / (2 * (ss / cells)));
  }
  per.sort((a, b) => a - b);
  return { per, constant };
}

/** Where a matrix's signals lie: signal i's value k at i * start + k * step. */
interface Signals {
  count: number;
  length: number;
  start: number;
  step: number;
}

/**
 * channelRoughness of a 1-D layout (every signal a line of `length` values), read in place with no
 * index function: the same sums in the same order, for the noise screen that runs on every matrix.
 */
function signalRoughness(v: Float32Array, { count, length, start, step }: Signals): { per: number[]; constant: number } {
  const per: number[] = [];
  let constant = 0;
  const every = Math.max(1, Math.floor(count / ROUGH_CHANNELS));
  for (let c = 0; c < count; c += every) {
    const o = c * start;
    const end = o + length * step;
    let mean = 0;
    for (let i = o; i < end; i += step) mean += v[i]!;
    mean /= length;
    let ss = 0;
    for (let i = o; i < end; i += step) ss += (v[i]! - mean) ** 2;
    if (!(ss > 0)) {
      constant++;
      continue;
    }
    let diff = 0;
    for (let i = o; i + step < end; i += step) diff += (v[i + step]! - v[i]!) ** 2;
    per.push(diff / (length - 1) / (2 * (ss / length)));
  }
  per.sort((a, b) => a - b);
  return { per, constant };
}

function medianRoughness(table: PositionTable, grid: GridShape): number {
  const { per } = channelRoughness(table, grid);
  return per.length === 0 ? Infinity : per[Math.floor(per.length / 2)]!;
}

/** The band (10th to 90th percentile) of signal roughness the noise screen takes for trained weights. */
const NOISE_BAND = [0.6, 1.4] as const;

/**
 * Whether every signal along both axes is as rough as exchangeable noise: ~1 for values with no order
 * (trained weights), spread from 0 to 2 over a DFT basis's frequencies, far below 1 for sinusoid tables,
 * filterbanks and windows. The 10th and 90th percentiles of up to 64 evenly spaced signals per axis,
 * each of at least 32 values, inside [0.6, 1.4] on both axes: no construction recogniser can explain
 * 0.9 of such a matrix, and none need run (they cost ~20% of a derived pair's check).
 */
export function roughLikeNoise(v: Float32Array, rows: number, cols: number): boolean {
  if (rows < 32 || cols < 32) return false;
  for (const alongCols of [true, false]) {
    // Signals along the rows (each row's values) or along the columns (each column's), read in place.
    const { per, constant } = alongCols ? signalRoughness(v, { count: rows, length: cols, start: cols, step: 1 }) : signalRoughness(v, { count: cols, length: rows, start: 1, step: cols });
    if (constant > 0) return false;
    const lo = per[Math.floor(0.1 * (per.length - 1))]!;
    const hi = per[Math.ceil(0.9 * (per.length - 1))]!;
    if (lo < NOISE_BAND[0] || hi > NOISE_BAND[1]) return false;
  }
  return true;
}
