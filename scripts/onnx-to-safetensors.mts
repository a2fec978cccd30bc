// Convert an ONNX model's weights into one safetensors file, keeping the export's own layout: tensor
// names as the exporter wrote them (`onnx::MatMul_1234`, `conv2d_3.w_0`, Constant node outputs),
// shapes as stored (MatMul initialisers [in, out], Conv [out, in, kh, kw]). Reads initialisers and the
// tensors of Constant nodes (paddle2onnx keeps weights there); FLOAT and FLOAT16 tensors of at least
// two elements, from raw_data or float_data. A minimal protobuf reader, no dependency. Usage:
//   node --import tsx scripts/onnx-to-safetensors.mts MODEL.onnx OUT_DIR [--f16]
// --f16 stores F16 instead of F32 (a dtype-converted copy).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeInto, encodeFloats } from "../src/safetensors/dtypes.ts";
import { serializeSafetensors } from "../src/safetensors/writer.ts";

type Field = { no: number; wire: number; value: bigint | Uint8Array };

/** The fields of one protobuf message (varint and length-delimited values; fixed ones skipped). */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error("truncated protobuf varint");
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const text = (v: Field["value"]) => new TextDecoder().decode(v as Uint8Array);

interface Tensor { name: string; shape: number[]; values: Float32Array }

/** A TensorProto: dims 1, data_type 2, float_data 4, name 8, raw_data 9. FLOAT (1) and FLOAT16 (10) only. */
function tensorOf(buf: Uint8Array, fallbackName: string): Tensor | null {
  const f = fields(buf);
  const dims: number[] = [];
  let type = 0;
  let name = fallbackName;
  let raw: Uint8Array | null = null;
  const floats: number[] = [];
  for (const x of f) {
    if (x.no === 1) {
      if (x.wire === 0) dims.push(Number(x.value));
      else for (const d of fields(packedVarints(x.value as Uint8Array))) dims.push(Number(d.value));
    } else if (x.no === 2) type = Number(x.value);
    else if (x.no === 8) name = text(x.value);
    else if (x.no === 9) raw = x.value as Uint8Array;
    else if (x.no === 4 && x.wire === 2) {
      const b = x.value as Uint8Array;
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let k = 0; k + 4 <= b.byteLength; k += 4) floats.push(dv.getFloat32(k, true));
    }
  }
  const n = dims.reduce((a, b) => a * b, 1);
  if (n < 2 || (type !== 1 && type !== 10)) return null;
  const values = new Float32Array(n);
  if (raw) {
    if (raw.byteLength !== n * (type === 1 ? 4 : 2)) throw new Error(`${name}: raw_data holds ${raw.byteLength} bytes for ${n} elements`);
    decodeInto(type === 1 ? "F32" : "F16", raw, 0, n, values);
  } else if (floats.length === n) values.set(floats);
  else return null;
  return { name, shape: dims, values };
}

/** Packed repeated varints re-framed as fields numbered 1, so `fields` can read them. */
function packedVarints(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < b.length) {
    out.push(0x08);
    do out.push(b[i]!);
    while (b[i++]! & 0x80);
  }
  return Uint8Array.from(out);
}

const args = process.argv.slice(2);
const [modelPath, outDir] = args.filter((a) => !a.startsWith("--"));
if (!modelPath || !outDir) throw new Error("usage: onnx-to-safetensors.mts MODEL.onnx OUT_DIR [--f16]");
const f16 = args.includes("--f16");
const model = fields(new Uint8Array(await readFile(modelPath)));
const graph = model.find((x) => x.no === 7);
if (!graph) throw new Error(`${modelPath}: no graph in the ONNX model`);
const tensors: Tensor[] = [];
for (const g of fields(graph.value as Uint8Array)) {
  if (g.no === 5) {
    const t = tensorOf(g.value as Uint8Array, `initializer_${tensors.length}`);
    if (t) tensors.push(t);
  } else if (g.no === 1) {
    // NodeProto: output 2, op_type 4, attribute 5 (AttributeProto: name 1, t 5).
    const node = fields(g.value as Uint8Array);
    if (node.find((x) => x.no === 4 && text(x.value) === "Constant") === undefined) continue;
    const output = node.find((x) => x.no === 2);
    for (const a of node.filter((x) => x.no === 5)) {
      const t = fields(a.value as Uint8Array).find((x) => x.no === 5);
      if (!t) continue;
      const tensor = tensorOf(t.value as Uint8Array, output ? text(output.value) : `constant_${tensors.length}`);
      if (tensor) tensors.push({ ...tensor, name: output ? text(output.value) : tensor.name });
    }
  }
}
const seen = new Set<string>();
const unique = tensors.filter((t) => !seen.has(t.name) && seen.add(t.name));
await mkdir(outDir, { recursive: true });
await writeFile(
  path.join(outDir, "model.safetensors"),
  serializeSafetensors(
    unique.map((t) => ({ name: t.name, shape: t.shape, dtype: f16 ? "F16" : "F32", data: encodeFloats(f16 ? "F16" : "F32", t.values) })),
    { format: "onnx", source: path.basename(modelPath) },
  ),
);
process.stdout.write(`${unique.length} tensors -> ${path.join(outDir, "model.safetensors")}\n`);
