/**
 * The MoE bench's checkpoints (bench/moe-bench.ts): a base model of GLM-4.5-Air's layout and a drifted
 * copy (noise 0.3 x the recipe's scale: r ~ 0.96) whose experts are renumbered in every layer, written
 * tensor by tensor in chunks: memory stays bounded at GLM-4.5-Air's own width (a 4096 x 151552
 * embedding is 1.2 GB in BF16; a MoE layer 4.4 GB). Values come from a table of the normal quantiles
 * indexed by a 32-bit generator's halves (two draws per step): the bench writes several GB, and the
 * Box-Muller generator of src/examples costs ~160 s per 10^9 pairs of values here, the table ~10x less.
 */
import { existsSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import path from "node:path";
import { encodeFloats } from "../src/safetensors/dtypes.js";
import { type Spec, headerBytes, numel, recipeScale } from "./checkpoint.js";

/** Values per chunk (both sides: 2 x 4 B float + 2 x 2 B encoded each: ~48 MB at 4 Mi). */
const CHUNK = 1 << 22;

/** The standard normal's quantile (Acklam's rational approximation, relative error < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** The normal quantiles at the midpoints of 2^16 equal-probability bins. */
const QUANTILES = Float32Array.from({ length: 1 << 16 }, (_, i) => normalQuantile((i + 0.5) / (1 << 16)));

/** A seeded source of standard normal draws (quantised to 2^16 levels) filling arrays. */
export class NormalFill {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** out[i] = offset + scale * z_i for fresh draws z_i. */
  fill(out: Float32Array, offset: number, scale: number): void {
    let s = this.s;
    for (let i = 0; i < out.length; i += 2) {
      // mulberry32: one 32-bit output, two 16-bit indices.
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), s | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      t = (t ^ (t >>> 14)) >>> 0;
      out[i] = offset + scale * QUANTILES[t & 0xffff]!;
      if (i + 1 < out.length) out[i + 1] = offset + scale * QUANTILES[t >>> 16]!;
    }
    this.s = s;
  }
}

/**
 * A derived model's reordering: its tensors' names (an expert's tensors renamed to another index) and the
 * rows of the tensors that follow the experts (a router's row e routes to expert e).
 */
export interface Reorder {
  rename: (name: string) => string;
  rows: (name: string) => number[] | null;
}

/**
 * Experts renumbered in every MoE layer: the derived model's expert e is the base's expert
 * (e + layer + 1) mod E (no expert keeps its index), its router's rows moved with them (the same function).
 */
export function rolledExperts(experts: number): Reorder {
  const roll = (layer: number) => Array.from({ length: experts }, (_, e) => (e + layer + 1) % experts);
  return {
    rename: (name) => name.replace(/^(.*\.layers\.(\d+)\.mlp\.experts\.)(\d+)\./, (_m, pre: string, layer: string, e: string) => `${pre}${roll(Number(layer)).indexOf(Number(e))}.`),
    rows: (name) => {
      const m = /\.layers\.(\d+)\.mlp\.gate\.(weight|e_score_correction_bias)$/.exec(name);
      return m ? roll(Number(m[1])) : null;
    },
  };
}

/** Row e of the result is row p[e] of `x` (rows of equal width). */
function permutedRows(x: Float32Array, p: readonly number[]): Float32Array {
  const width = x.length / p.length;
  const out = new Float32Array(x.length);
  p.forEach((src, e) => out.set(x.subarray(src * width, (src + 1) * width), e * width));
  return out;
}

/**
 * Write base and derived checkpoints (BF16) into dir/base and dir/derived, chunk by chunk; the derived one
 * drifted and reordered by `reorder` (its renamed tensors keep the base's data offsets). Files are written
 * under a temporary name and renamed when complete, so an interrupted run does not leave a cache behind.
 */
export async function writeMoePair(dir: string, list: readonly Spec[], reorder: Reorder): Promise<[string, string]> {
  const a = path.join(dir, "base", "model.safetensors");
  const b = path.join(dir, "derived", "model.safetensors");
  if (existsSync(a) && existsSync(b)) return [a, b];
  await mkdir(path.dirname(a), { recursive: true });
  await mkdir(path.dirname(b), { recursive: true });
  const fa = await open(`${a}.partial`, "w");
  const fb = await open(`${b}.partial`, "w");
  try {
    await fa.write(headerBytes(list));
    await fb.write(headerBytes(list.map((s) => ({ ...s, name: reorder.rename(s.name) }))));
    const g = new NormalFill(1);
    const noise = new NormalFill(2);
    const base = new Float32Array(CHUNK);
    const drift = new Float32Array(CHUNK);
    for (const s of list) {
      const n = numel(s.shape);
      const scale = recipeScale(s.shape);
      const rows = reorder.rows(s.name);
      if (rows && n > CHUNK) throw new Error(`${s.name}: a reordered tensor larger than a chunk`);
      for (let at = 0; at < n; at += CHUNK) {
        const m = Math.min(CHUNK, n - at);
        const x = base.subarray(0, m);
        const y = drift.subarray(0, m);
        g.fill(x, s.shape.length === 1 ? 1 : 0, scale);
        noise.fill(y, 0, 0.3 * scale);
        for (let i = 0; i < m; i++) y[i]! += x[i]!;
        await fa.write(encodeFloats("BF16", x));
        await fb.write(encodeFloats("BF16", rows ? permutedRows(y, rows) : y));
      }
    }
  } finally {
    await fa.close();
    await fb.close();
  }
  await rename(`${a}.partial`, a);
  await rename(`${b}.partial`, b);
  return [a, b];
}
