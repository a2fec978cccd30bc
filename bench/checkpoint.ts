/**
 * Shared pieces of the bench's checkpoint generators (bench/run.ts, bench/wide-models.ts):
 * the tensor list type, the safetensors header writer, and the value recipe.
 */
import { bytesPerElement } from "../src/safetensors/dtypes.js";

export type BenchDtype = "F32" | "F16" | "BF16";

export interface Spec {
  name: string;
  shape: number[];
  /** Stored dtype (default BF16). */
  dtype?: BenchDtype;
}

export const numel = (shape: readonly number[]): number => shape.reduce((x, y) => x * y, 1);

/** Each tensor's [begin, end) byte range in the data section, in list order. */
export function dataOffsets(list: readonly Spec[]): [number, number][] {
  let off = 0;
  return list.map((s) => {
    const n = numel(s.shape) * bytesPerElement(s.dtype ?? "BF16");
    const r: [number, number] = [off, off + n];
    off += n;
    return r;
  });
}

/** The safetensors header (8-byte length + JSON, padded to 8 bytes) of a checkpoint holding `list`. */
export function headerBytes(list: readonly Spec[]): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const offsets = dataOffsets(list);
  list.forEach((s, i) => {
    header[s.name] = { dtype: s.dtype ?? "BF16", shape: s.shape, data_offsets: offsets[i] };
  });
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8);
  const prefix = Buffer.alloc(8 + json.length);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  prefix.write(json, 8);
  return prefix;
}

/** The recipe's scale: 0.05 for norm gains (1-D), 1/sqrt(fan-in) for matrices. */
export const recipeScale = (shape: readonly number[]): number => (shape.length === 1 ? 0.05 : 1 / Math.sqrt(shape[1] ?? 1));

/** One tensor's values from a generator: norm gains around 1, matrices at 1/sqrt(fan-in). */
export function drawn(s: Spec, g: () => number): { values: Float32Array; scale: number } {
  const n = numel(s.shape);
  const isNorm = s.shape.length === 1;
  const scale = recipeScale(s.shape);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (isNorm ? 1 : 0) + scale * g();
  return { values, scale };
}
