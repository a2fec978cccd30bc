/**
 * Load and save whole (small) models as Float32 tensors, for building evaded
 * variants in tests: read any float dtype the repo decodes (via `decodeInto`),
 * write F32 / BF16 / F16 / F8_E4M3, single file or sharded with an index.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FloatTensors } from "../../src/examples/generate.js";
import { DECODABLE, decodeInto, encodeFloats } from "../../src/safetensors/dtypes.js";
import { parseHeader, readHeaderLength } from "../../src/safetensors/header.js";
import { INDEX_FILE, parseShardIndex, SINGLE_FILE } from "../../src/safetensors/shard-index.js";
import { type TensorBytes, serializeSafetensors } from "../../src/safetensors/writer.js";

export type { FloatTensors };

export type SaveDtype = "F32" | "BF16" | "F16" | "F8_E4M3";

export interface LoadedModel {
  tensors: FloatTensors;
  /** Stored dtype of every decoded tensor. */
  dtypes: Map<string, string>;
  /** Parsed config.json, or null when absent. */
  config: Record<string, unknown> | null;
  /** Tensors present in the files but not decodable as floats (e.g. I64 buffers), with their dtype. */
  skipped: Map<string, string>;
}

async function readSafetensors(file: string, into: LoadedModel): Promise<void> {
  const bytes = new Uint8Array(await readFile(file));
  const n = readHeaderLength(file, bytes, bytes.length);
  const header = parseHeader(file, bytes.subarray(8, 8 + n), bytes.length);
  for (const t of header.tensors) {
    if (!DECODABLE.has(t.dtype)) {
      into.skipped.set(t.name, t.dtype);
      continue;
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    decodeInto(t.dtype, bytes, t.begin, count, data, 0);
    into.tensors.set(t.name, { shape: [...t.shape], data });
    into.dtypes.set(t.name, t.dtype);
  }
}

/**
 * Read a model directory (model.safetensors, or model.safetensors.index.json +
 * shards) or a single .safetensors file. Tensors keep file order (index order
 * for sharded models).
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const out: LoadedModel = { tensors: new Map(), dtypes: new Map(), config: null, skipped: new Map() };
  if (dir.endsWith(".safetensors") && !existsSync(path.join(dir, SINGLE_FILE))) {
    await readSafetensors(dir, out);
    return out;
  }
  const indexPath = path.join(dir, INDEX_FILE);
  if (existsSync(indexPath)) {
    const index = parseShardIndex(indexPath, await readFile(indexPath, "utf8"));
    const loaded: LoadedModel = { tensors: new Map(), dtypes: new Map(), config: null, skipped: new Map() };
    for (const shard of index.shards) await readSafetensors(path.join(dir, shard), loaded);
    for (const name of index.weightMap.keys()) {
      const t = loaded.tensors.get(name);
      if (t) {
        out.tensors.set(name, t);
        out.dtypes.set(name, loaded.dtypes.get(name)!);
      } else if (loaded.skipped.has(name)) {
        out.skipped.set(name, loaded.skipped.get(name)!);
      } else {
        throw new Error(`${indexPath}: ${name} is not in its shard`);
      }
    }
  } else {
    await readSafetensors(path.join(dir, SINGLE_FILE), out);
  }
  const cfg = path.join(dir, "config.json");
  if (existsSync(cfg)) {
    const parsed: unknown = JSON.parse(await readFile(cfg, "utf8"));
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) out.config = parsed as Record<string, unknown>;
  }
  return out;
}

// ---------------------------------------------------------------------------
// F8_E4M3 (the "fn" variant PyTorch/safetensors use: bias 7, no infinities,
// S.1111.111 is NaN, max finite 448).

/** The 127 non-negative finite E4M3 values, indexed by code 0x00..0x7E (ascending). */
const E4M3_POS: Float64Array = (() => {
  const t = new Float64Array(0x7f);
  for (let b = 0; b < 0x7f; b++) {
    const exp = b >> 3;
    const man = b & 7;
    t[b] = exp === 0 ? (man / 8) * 2 ** -6 : (1 + man / 8) * 2 ** (exp - 7);
  }
  return t;
})();

/** Encode one value as an E4M3 byte: round to nearest (ties to even code), saturate to ±448, NaN -> 0x7F/0xFF. */
export function f8e4m3Byte(v: number): number {
  const neg = v < 0 || Object.is(v, -0);
  const sign = neg ? 0x80 : 0;
  if (Number.isNaN(v)) return sign | 0x7f;
  const a = Math.abs(v);
  if (a >= 448) return sign | 0x7e;
  // Largest code whose value is <= a (binary search over the ascending table).
  let lo = 0;
  let hi = 0x7e;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (E4M3_POS[mid]! <= a) lo = mid;
    else hi = mid - 1;
  }
  if (E4M3_POS[lo] === a || lo === 0x7e) return sign | lo;
  const below = E4M3_POS[lo]!;
  const above = E4M3_POS[lo + 1]!;
  const dLo = a - below;
  const dHi = above - a;
  let code: number;
  if (dLo < dHi) code = lo;
  else if (dHi < dLo) code = lo + 1;
  else code = lo % 2 === 0 ? lo : lo + 1; // tie: even mantissa (code LSB is the mantissa LSB)
  return sign | code;
}

export function encodeF8E4M3(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f8e4m3Byte(values[i]!);
  return out;
}

/** Encode floats as any dtype `saveModel` writes. */
export function encodeAs(dtype: SaveDtype, values: Float32Array): Uint8Array {
  return dtype === "F8_E4M3" ? encodeF8E4M3(values) : encodeFloats(dtype, values);
}

/** Round-trip floats through a dtype (what a reader sees after saving), without touching disk. */
export function quantize(dtype: SaveDtype, values: Float32Array): Float32Array {
  const bytes = encodeAs(dtype, values);
  const out = new Float32Array(values.length);
  decodeInto(dtype, bytes, 0, values.length, out, 0);
  return out;
}

// ---------------------------------------------------------------------------

export interface SaveOptions {
  /** Dtype for every tensor (default F32, lossless). */
  dtype?: SaveDtype;
  /** Per-tensor dtype overrides. */
  dtypes?: Map<string, SaveDtype> | Record<string, SaveDtype>;
  /** Write n shards `model-0000k-of-0000n.safetensors` + model.safetensors.index.json (n >= 1; 1 still writes an index). */
  shards?: number;
  /** Written as config.json when given. */
  config?: Record<string, unknown> | null;
  /** safetensors __metadata__ (default {format: "pt"}). */
  metadata?: Record<string, string>;
}

/**
 * Write `tensors` (in map order) under `dir`. Without `shards`: one
 * model.safetensors. With `shards: n`: tensors split in order into n shards of
 * roughly equal byte size, plus an index whose weight_map follows map order.
 */
export async function saveModel(dir: string, tensors: FloatTensors, opts: SaveOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const per = opts.dtypes instanceof Map ? opts.dtypes : new Map(Object.entries(opts.dtypes ?? {}));
  const all: TensorBytes[] = [];
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`${name}: shape [${t.shape.join(", ")}] does not match ${t.data.length} values`);
    const dtype = per.get(name) ?? opts.dtype ?? "F32";
    all.push({ name, dtype, shape: [...t.shape], data: encodeAs(dtype, t.data) });
  }
  const metadata = opts.metadata ?? { format: "pt" };
  if (opts.shards === undefined) {
    await writeFile(path.join(dir, SINGLE_FILE), serializeSafetensors(all, metadata));
  } else {
    const n = opts.shards;
    if (!Number.isInteger(n) || n < 1) throw new Error(`shards must be a positive integer, got ${n}`);
    if (n > all.length) throw new Error(`cannot split ${all.length} tensors into ${n} non-empty shards`);
    const total = all.reduce((s, t) => s + t.data.length, 0);
    const groups: TensorBytes[][] = Array.from({ length: n }, () => []);
    // Contiguous split near equal byte sizes; every shard non-empty, no shard skipped.
    let acc = 0;
    let prev = 0;
    for (let i = 0; i < all.length; i++) {
      const t = all[i]!;
      const want = Math.min(n - 1, Math.floor(((acc + t.data.length / 2) / Math.max(total, 1)) * n));
      const lower = Math.max(prev, n - (all.length - i));
      const upper = i === 0 ? 0 : prev + 1;
      const g = Math.min(upper, Math.max(lower, want));
      groups[g]!.push(t);
      prev = g;
      acc += t.data.length;
    }
    const pad = (k: number) => String(k).padStart(5, "0");
    const weightMap: Record<string, string> = {};
    for (let k = 0; k < n; k++) {
      const file = `model-${pad(k + 1)}-of-${pad(n)}.safetensors`;
      for (const t of groups[k]!) weightMap[t.name] = file;
      await writeFile(path.join(dir, file), serializeSafetensors(groups[k]!, metadata));
    }
    // weight_map in tensor (map) order.
    const ordered: Record<string, string> = {};
    for (const t of all) ordered[t.name] = weightMap[t.name]!;
    await writeFile(path.join(dir, INDEX_FILE), JSON.stringify({ metadata: { total_size: total }, weight_map: ordered }, null, 2) + "\n");
  }
  if (opts.config) await writeFile(path.join(dir, "config.json"), JSON.stringify(opts.config, null, 2) + "\n");
}
