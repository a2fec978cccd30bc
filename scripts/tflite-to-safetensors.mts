// Convert a TensorFlow Lite model's constant tensors into one safetensors file, keeping TFLite's own
// layout: tensor names as the converter wrote them (`model/conv2d_3/Conv2D`, fused
// `…/BiasAdd;…/Conv2D`), shapes as stored (Conv2D [out, kh, kw, in], DepthwiseConv2D [1, kh, kw, c],
// FullyConnected [out, in]). Every constant (a tensor with a non-empty buffer) of rank ≥ 1 that holds
// floats: FLOAT32 / FLOAT64 / FLOAT16 as stored, INT8 / UINT8 / INT16 dequantized as
// scale·(q − zero_point) (per tensor, or per channel along quantized_dimension), sparse tensors
// (SparsityParameters) decoded to dense. Integer constants without quantization (shapes, indices) and
// anything else are skipped and counted on stderr. A minimal flatbuffer reader, no dependency; buffers
// stored after the flatbuffer (models over 2 GB: Buffer.offset / size) are read from the file. Usage:
//   node --import tsx scripts/tflite-to-safetensors.mts MODEL.tflite OUT_DIR [--f16] [--verbose]
// --f16 stores F16 instead of F32 (a dtype-converted copy); --verbose lists every constant on stderr.
import { open, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeInto, encodeFloats } from "../src/safetensors/dtypes.ts";
import { serializeSafetensors } from "../src/safetensors/writer.ts";

/** A flatbuffer table: field lookups through its vtable (schema field ids, 0-based). */
class Table {
  constructor(readonly buf: Uint8Array, readonly dv: DataView, readonly pos: number) {}

  static root(buf: Uint8Array): Table {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    return new Table(buf, dv, dv.getUint32(0, true));
  }

  /** The absolute position of field `id`, or 0 when absent (default value). */
  private field(id: number): number {
    const vt = this.pos - this.dv.getInt32(this.pos, true);
    const vtSize = this.dv.getUint16(vt, true);
    const slot = 4 + 2 * id;
    if (slot >= vtSize) return 0;
    const off = this.dv.getUint16(vt + slot, true);
    return off ? this.pos + off : 0;
  }

  private deref(p: number): number {
    return p + this.dv.getUint32(p, true);
  }

  u8(id: number, dflt = 0): number {
    const p = this.field(id);
    return p ? this.dv.getUint8(p) : dflt;
  }

  i8(id: number, dflt = 0): number {
    const p = this.field(id);
    return p ? this.dv.getInt8(p) : dflt;
  }

  i32(id: number, dflt = 0): number {
    const p = this.field(id);
    return p ? this.dv.getInt32(p, true) : dflt;
  }

  u32(id: number, dflt = 0): number {
    const p = this.field(id);
    return p ? this.dv.getUint32(p, true) : dflt;
  }

  u64(id: number): bigint {
    const p = this.field(id);
    return p ? this.dv.getBigUint64(p, true) : 0n;
  }

  table(id: number): Table | null {
    const p = this.field(id);
    return p ? new Table(this.buf, this.dv, this.deref(p)) : null;
  }

  /** A vector's element count and the position of its first element, or null when absent. */
  private vector(id: number): { n: number; at: number } | null {
    const p = this.field(id);
    if (!p) return null;
    const v = this.deref(p);
    return { n: this.dv.getUint32(v, true), at: v + 4 };
  }

  string(id: number): string | null {
    const v = this.vector(id);
    return v ? new TextDecoder().decode(this.buf.subarray(v.at, v.at + v.n)) : null;
  }

  bytes(id: number): Uint8Array | null {
    const v = this.vector(id);
    return v ? this.buf.subarray(v.at, v.at + v.n) : null;
  }

  tables(id: number): Table[] {
    const v = this.vector(id);
    if (!v) return [];
    return Array.from({ length: v.n }, (_, i) => new Table(this.buf, this.dv, this.deref(v.at + 4 * i)));
  }

  /** A vector of scalars (`width` bytes each, read by `get`) as numbers. */
  private scalars(id: number, width: number, get: (p: number) => number): number[] {
    const v = this.vector(id);
    if (!v) return [];
    return Array.from({ length: v.n }, (_, i) => get(v.at + width * i));
  }

  i32s(id: number): number[] {
    return this.scalars(id, 4, (p) => this.dv.getInt32(p, true));
  }

  u16s(id: number): number[] {
    return this.scalars(id, 2, (p) => this.dv.getUint16(p, true));
  }

  u8s(id: number): number[] {
    return this.scalars(id, 1, (p) => this.dv.getUint8(p));
  }

  f32s(id: number): number[] {
    return this.scalars(id, 4, (p) => this.dv.getFloat32(p, true));
  }

  /** `[long]` as numbers (zero points: small). */
  i64s(id: number): number[] {
    return this.scalars(id, 8, (p) => Number(this.dv.getBigInt64(p, true)));
  }
}

// TensorType (schema.fbs).
const FLOAT32 = 0, FLOAT16 = 1, INT32 = 2, UINT8 = 3, INT64 = 4, INT16 = 7, INT8 = 9, FLOAT64 = 10;
const TYPE_NAMES = ["FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4"];
const WIDTH: Record<number, number> = { [FLOAT32]: 4, [FLOAT16]: 2, [UINT8]: 1, [INT16]: 2, [INT8]: 1, [FLOAT64]: 8 };

/** The stored elements of `type` in `bytes` as floats (quantized ones still as q). */
function storedValues(type: number, bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === FLOAT32) decodeInto("F32", bytes, 0, n, out);
  else if (type === FLOAT16) decodeInto("F16", bytes, 0, n, out);
  else if (type === FLOAT64) decodeInto("F64", bytes, 0, n, out);
  else if (type === INT8) for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
  else if (type === UINT8) for (let i = 0; i < n; i++) out[i] = bytes[i]!;
  else if (type === INT16) for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
  return out;
}

/** scale·(q − zero_point) in place: one scale for the tensor, or one per index of `axis`. */
function dequantize(values: Float32Array, shape: readonly number[], scale: number[], zeroPoint: number[], axis: number, name: string): void {
  if (scale.length === 1) {
    const s = scale[0]!;
    const z = zeroPoint[0] ?? 0;
    for (let i = 0; i < values.length; i++) values[i] = s * (values[i]! - z);
    return;
  }
  if (scale.length !== shape[axis]) throw new Error(`${name}: ${scale.length} scales for dimension ${axis} of [${shape.join(", ")}]`);
  // Index i lies in channel floor(i / inner) mod channels, inner = product of the dims after `axis`.
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = shape[axis]!;
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    values[i] = scale[c]! * (values[i]! - (zeroPoint.length > 1 ? zeroPoint[c]! : (zeroPoint[0] ?? 0)));
  }
}

/** A SparseIndexVector union (type 1 Int32Vector, 2 Uint16Vector, 3 Uint8Vector; values field 0). */
function indexVector(meta: Table, typeId: number, valueId: number): number[] {
  const t = meta.table(valueId);
  if (!t) return [];
  const type = meta.u8(typeId);
  if (type === 1) return t.i32s(0);
  if (type === 2) return t.u16s(0);
  if (type === 3) return t.u8s(0);
  throw new Error(`unknown sparse index vector type ${type}`);
}

/**
 * A sparse tensor's stored values (in traversal order) scattered into the dense tensor of `shape`, as
 * TFLite's FormatConverter does: SparsityParameters traversal_order 0, block_map 1, dim_metadata 2;
 * DimensionMetadata format 0 (DENSE 0, SPARSE_CSR 1), dense_size 1, array_segments 2/3, array_indices 4/5.
 */
function densify(stored: Float32Array, shape: readonly number[], sparsity: Table, name: string): Float32Array {
  const order = sparsity.i32s(0);
  const blockMap = sparsity.i32s(1);
  const levels = sparsity.tables(2).map((m) => ({
    dense: m.i8(0) === 0,
    size: m.i32(1),
    segments: indexVector(m, 2, 3),
    indices: indexVector(m, 4, 5),
  }));
  const rank = shape.length;
  if (order.length !== levels.length || order.length !== rank + blockMap.length) throw new Error(`${name}: sparsity metadata does not match rank ${rank}`);
  // Block sizes, by block number: the dense size of the level that traverses that block dimension.
  const blockSize = blockMap.map((_, b) => levels[order.indexOf(rank + b)]!.size);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const dense = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const coords = new Array<number>(levels.length).fill(0);
  let next = 0;
  const place = () => {
    const orig = new Array<number>(rank).fill(0);
    for (let l = 0; l < rank; l++) orig[order[l]!] = coords[l]!;
    for (let l = rank; l < levels.length; l++) {
      const b = order[l]! - rank;
      const d = blockMap[b]!;
      orig[d] = orig[d]! * blockSize[b]! + coords[l]!;
    }
    let at = 0;
    for (let d = 0; d < rank; d++) {
      if (orig[d]! >= shape[d]!) throw new Error(`${name}: sparse index ${orig[d]} out of dimension ${d} of [${shape.join(", ")}]`);
      at += orig[d]! * strides[d]!;
    }
    if (next >= stored.length) throw new Error(`${name}: sparse metadata addresses more than the ${stored.length} stored values`);
    dense[at] = stored[next++]!;
  };
  const walk = (level: number, prev: number): void => {
    if (level === levels.length) return place();
    const m = levels[level]!;
    if (m.dense) {
      for (let i = 0; i < m.size; i++) {
        coords[level] = i;
        walk(level + 1, prev * m.size + i);
      }
    } else {
      for (let j = m.segments[prev]!; j < m.segments[prev + 1]!; j++) {
        coords[level] = m.indices[j]!;
        walk(level + 1, j);
      }
    }
  };
  walk(0, 0);
  if (next !== stored.length) throw new Error(`${name}: ${stored.length - next} stored values left over by the sparse metadata`);
  return dense;
}

const args = process.argv.slice(2);
const [modelPath, outDir] = args.filter((a) => !a.startsWith("--"));
if (!modelPath || !outDir) throw new Error("usage: tflite-to-safetensors.mts MODEL.tflite OUT_DIR [--f16] [--verbose]");
const f16 = args.includes("--f16");
const verbose = args.includes("--verbose");

const file = await open(modelPath, "r");
try {
  // The flatbuffer itself is under 2 GB; larger models keep their buffers after it (Buffer.offset/size).
  const { size: fileSize } = await file.stat();
  const head = new Uint8Array(Math.min(fileSize, 2 ** 31 - 1));
  await file.read(head, 0, head.length, 0);
  if (head.length < 8 || new TextDecoder().decode(head.subarray(4, 8)) !== "TFL3") throw new Error(`${modelPath}: not a TFLite flatbuffer (no TFL3 identifier)`);
  const model = Table.root(head);

  // Model: operator_codes 1, subgraphs 2, buffers 4. Buffer: data 0, offset 1, size 2.
  const buffers = model.tables(4);
  const bufferBytes = async (index: number): Promise<Uint8Array | null> => {
    const b = buffers[index];
    if (!b) return null;
    const data = b.bytes(0);
    if (data && data.length) return data;
    const offset = b.u64(1);
    const size = b.u64(2);
    if (offset <= 1n || size === 0n) return null;
    if (offset + size > BigInt(fileSize)) throw new Error(`${modelPath}: buffer ${index} [${offset}, +${size}) lies beyond the file's ${fileSize} bytes`);
    const out = new Uint8Array(Number(size));
    await file.read(out, 0, out.length, Number(offset));
    return out;
  };
  // OperatorCode: deprecated_builtin_code 0, custom_code 1, builtin_code 3 (the larger wins).
  const opNames = model.tables(1).map((c) => c.string(1) ?? `op${Math.max(c.i8(0), c.i32(3))}`);

  const tensors: { name: string; shape: number[]; values: Float32Array }[] = [];
  const skipped = new Map<string, number>();
  const skip = (why: string) => skipped.set(why, (skipped.get(why) ?? 0) + 1);
  let dequantized = 0;
  let sparse = 0;
  for (const [g, subgraph] of model.tables(2).entries()) {
    // SubGraph: tensors 0, operators 3. Operator: opcode_index 0, inputs 1. Which ops read a constant (for --verbose).
    const sgTensors = subgraph.tables(0);
    const readers = new Map<number, string[]>();
    for (const op of subgraph.tables(3)) {
      for (const i of op.i32s(1)) if (i >= 0) readers.set(i, [...(readers.get(i) ?? []), opNames[op.u32(0)] ?? "?"]);
    }
    for (const [ti, t] of sgTensors.entries()) {
      // Tensor: shape 0, type 1, buffer 2, name 3, quantization 4, sparsity 6.
      const data = await bufferBytes(t.u32(2));
      if (!data) continue;
      const shape = t.i32s(0);
      const type = t.i8(1);
      const name = t.string(3) ?? `subgraph${g}_tensor${ti}`;
      const typeName = TYPE_NAMES[type] ?? `type${type}`;
      if (shape.length === 0) {
        skip(`${typeName} scalar`);
        continue;
      }
      const q = t.table(4);
      const scale = q?.f32s(2) ?? [];
      const quantized = type === INT8 || type === UINT8 || type === INT16;
      if (!(type in WIDTH) || (quantized && scale.length === 0)) {
        skip(typeName);
        continue;
      }
      const sparsity = t.table(6);
      const n = shape.reduce((a, b) => a * b, 1);
      const stored = sparsity ? data.length / WIDTH[type]! : n;
      if (!Number.isInteger(stored) || (!sparsity && data.length !== n * WIDTH[type]!)) throw new Error(`${modelPath}: ${name} ([${shape.join(", ")}] ${typeName}) has ${data.length} bytes`);
      let values = storedValues(type, data, stored);
      if (sparsity) {
        values = densify(values, shape, sparsity, name);
        sparse++;
      }
      if (quantized) {
        dequantize(values, shape, scale, q!.i64s(3), q!.i32(6), name);
        dequantized++;
      }
      if (verbose) process.stderr.write(`${name} [${shape.join(", ")}] ${typeName}${quantized ? ` q${scale.length}` : ""}${sparsity ? " sparse" : ""} <- ${(readers.get(ti) ?? []).join(",")}\n`);
      tensors.push({ name, shape, values });
    }
  }
  // Names are unique within a TFLite subgraph but not across them (and converters do repeat them).
  const count = new Map<string, number>();
  for (const t of tensors) count.set(t.name, (count.get(t.name) ?? 0) + 1);
  const taken = new Set(tensors.map((t) => t.name));
  const used = new Map<string, number>();
  for (const t of tensors) {
    if (count.get(t.name)! < 2) continue;
    let k = used.get(t.name) ?? 0;
    while (taken.has(`${t.name}_${++k}`));
    used.set(t.name, k);
    taken.add(`${t.name}_${k}`);
    t.name = `${t.name}_${k}`;
  }
  await mkdir(outDir, { recursive: true });
  await writeFile(
    path.join(outDir, "model.safetensors"),
    serializeSafetensors(
      tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: f16 ? "F16" : "F32", data: encodeFloats(f16 ? "F16" : "F32", t.values) })),
      { format: "tflite", source: path.basename(modelPath) },
    ),
  );
  const skips = [...skipped].map(([why, k]) => `${k} ${why}`).join(", ");
  process.stderr.write(`${modelPath}: ${tensors.length} float constants (${dequantized} dequantized, ${sparse} sparse); skipped: ${skips || "none"}\n`);
  process.stdout.write(`${tensors.length} tensors -> ${path.join(outDir, "model.safetensors")}\n`);
} finally {
  await file.close();
}
