// Convert a TensorFlow.js model (a `*-weights_manifest.json` or `model.json` with its `.bin` shards)
// into one safetensors file, keeping the model's own layout: tensor names as TFJS stores them
// (`dense0/conv1/depthwise_filter`), shapes as stored (conv kernels [kh, kw, in, out], depthwise
// [kh, kw, c, 1], dense [in, out]), values dequantized to F32 (uint8/uint16: q * scale + min;
// float16 decoded). Weights that npm packages ship (e.g. @vladmandic/face-api's model/ folder) are
// test material for other layouts. Usage:
//   node --import tsx scripts/tfjs-to-safetensors.mts MANIFEST.json OUT_DIR [--f16]
// --f16 stores F16 instead of F32 (a dtype-converted copy).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeInto, encodeFloats } from "../src/safetensors/dtypes.ts";
import { serializeSafetensors } from "../src/safetensors/writer.ts";

interface Quantization { dtype: "uint8" | "uint16" | "float16"; scale?: number; min?: number }
interface WeightSpec { name: string; shape: number[]; dtype: "float32" | "int32"; quantization?: Quantization }
interface Group { paths: string[]; weights: WeightSpec[] }

const args = process.argv.slice(2);
const [manifestPath, outDir] = args.filter((a) => !a.startsWith("--"));
if (!manifestPath || !outDir) throw new Error("usage: tfjs-to-safetensors.mts MANIFEST.json OUT_DIR [--f16]");
const f16 = args.includes("--f16");

const raw = JSON.parse(await readFile(manifestPath, "utf8")) as Group[] | { weightsManifest: Group[] };
const groups = Array.isArray(raw) ? raw : raw.weightsManifest;
const base = path.dirname(manifestPath);
const tensors: { name: string; dtype: string; shape: number[]; data: Uint8Array }[] = [];
for (const g of groups) {
  const shards = await Promise.all(g.paths.map((p) => readFile(path.join(base, p))));
  const buf = Buffer.concat(shards);
  let off = 0;
  for (const w of g.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const q = w.quantization;
    const width = q ? (q.dtype === "uint8" ? 1 : 2) : 4;
    const bytes = buf.subarray(off, off + n * width);
    if (bytes.length !== n * width) throw new Error(`${manifestPath}: ${w.name} needs ${n * width} bytes at offset ${off}, the shards hold ${buf.length}`);
    off += n * width;
    const values = new Float32Array(n);
    if (q?.dtype === "float16") decodeInto("F16", bytes, 0, n, values);
    else if (!q && w.dtype === "float32") decodeInto("F32", bytes, 0, n, values);
    else for (let i = 0; i < n; i++) values[i] = !q ? bytes.readInt32LE(4 * i) : (q.dtype === "uint8" ? bytes[i]! : bytes.readUInt16LE(2 * i)) * q.scale! + q.min!;
    tensors.push({ name: w.name, shape: w.shape, dtype: f16 ? "F16" : "F32", data: encodeFloats(f16 ? "F16" : "F32", values) });
  }
  if (off !== buf.length) throw new Error(`${manifestPath}: ${buf.length - off} bytes of the shards left unread`);
}
await mkdir(outDir, { recursive: true });
await writeFile(path.join(outDir, "model.safetensors"), serializeSafetensors(tensors, { format: "tfjs", source: path.basename(manifestPath) }));
process.stdout.write(`${tensors.length} tensors -> ${path.join(outDir, "model.safetensors")}\n`);
