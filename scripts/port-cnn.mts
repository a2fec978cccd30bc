// Port a CNN stored in TensorFlow layout (a safetensors file written by scripts/tfjs-to-safetensors.mts:
// conv [kh, kw, in, out], depthwise [kh, kw, c, 1], dense [in, out]) to PyTorch names and layouts the
// way a hand-written Caffe/TF -> PyTorch port often does it: every value kept, but
//   - conv kernels written [out, in, kw, kh] (the spatial axes swapped, kh <-> kw), depthwise [c, 1, kw, kh];
//   - dense kernels written [out, in]; with --flatten C, the first dense layer whose input width is a
//     multiple of C (and is no other dense layer's width) gets its input columns reordered from the
//     channels-last flatten (H·W·C, TensorFlow's) to channels-first (C·H·W, PyTorch's) — what a correct
//     port must do, done here to a model whose flatten feeds it so;
//   - names `a/b/filters` -> `a.b.weight`, `…/bias` -> `….bias`, other vectors kept under dotted names.
// Test material for ports between frameworks (test/ports.test.ts). Usage:
//   node --import tsx scripts/port-cnn.mts IN.safetensors OUT_DIR [--keep-taps] [--flatten C]
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeInto, encodeFloats } from "../src/safetensors/dtypes.ts";
import { parseHeader } from "../src/safetensors/header.ts";
import { serializeSafetensors } from "../src/safetensors/writer.ts";

const args = process.argv.slice(2);
const flagValue = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const positional = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--flatten");
const [input, outDir] = positional;
if (!input || !outDir) throw new Error("usage: port-cnn.mts IN.safetensors OUT_DIR [--keep-taps] [--flatten C]");
const swapTaps = !args.includes("--keep-taps");
const flattenChannels = flagValue("--flatten") ? Number(flagValue("--flatten")) : null;

const bytes = new Uint8Array(await readFile(input));
const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
const header = parseHeader(input, bytes.subarray(8, 8 + headerLength), bytes.length);

/** Row-major `data` of `shape` permuted so that output axis k is input axis `perm[k]`. */
function permute(data: Float32Array, shape: number[], perm: number[]): { shape: number[]; data: Float32Array } {
  const rank = shape.length;
  const strides = shape.map((_, k) => shape.slice(k + 1).reduce((a, b) => a * b, 1));
  const outShape = perm.map((p) => shape[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += idx[k]! * strides[perm[k]!]!;
    out[o] = data[src]!;
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k]! < outShape[k]!) break;
      idx[k] = 0;
    }
  }
  return { shape: outShape, data: out };
}

const denseWidths = new Map<number, number>();
for (const e of header.tensors) if (e.shape.length === 2) for (const d of new Set(e.shape)) denseWidths.set(d, (denseWidths.get(d) ?? 0) + 1);
let flattened = false;

const out: { name: string; dtype: string; shape: number[]; data: Uint8Array }[] = [];
for (const e of header.tensors) {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  decodeInto(e.dtype, bytes, e.begin, n, values);
  const name = e.name.replace(/:\d+$/, "").replace(/\/(filters|weights|kernel|depthwise_filter|pointwise_filter)$/, "/weight").replaceAll("/", ".");
  let t: { shape: number[]; data: Float32Array } = { shape: [...e.shape], data: values };
  if (e.shape.length === 4) {
    const depthwise = /depthwise/.test(e.name) || (e.shape[3] === 1 && e.shape[2]! > 1);
    // [kh, kw, in, out] -> [out, in, kh, kw] (or [out, in, kw, kh] with the taps swapped); depthwise [kh, kw, c, 1] -> [c, 1, …].
    const taps = swapTaps ? [1, 0] : [0, 1];
    t = permute(values, e.shape, depthwise ? [2, 3, ...taps] : [3, 2, ...taps]);
  } else if (e.shape.length === 2) {
    t = permute(values, e.shape, [1, 0]);
    const [units, inputs] = t.shape as [number, number];
    if (flattenChannels && !flattened && inputs % flattenChannels === 0 && inputs > flattenChannels && (denseWidths.get(inputs) ?? 0) === 1) {
      // Channels-last columns s·C + c -> channels-first c·S + s.
      const spatial = inputs / flattenChannels;
      const reordered = new Float32Array(t.data.length);
      for (let r = 0; r < units; r++) for (let c = 0; c < flattenChannels; c++) for (let s = 0; s < spatial; s++) reordered[r * inputs + c * spatial + s] = t.data[r * inputs + s * flattenChannels + c]!;
      t = { shape: t.shape, data: reordered };
      flattened = true;
    }
  }
  out.push({ name, dtype: "F32", shape: t.shape, data: encodeFloats("F32", t.data) });
}
if (flattenChannels && !flattened) throw new Error(`${input}: no dense layer takes a flatten of ${flattenChannels} channels`);
await mkdir(outDir, { recursive: true });
await writeFile(path.join(outDir, "model.safetensors"), serializeSafetensors(out, { format: "pt", source: path.basename(input) }));
process.stdout.write(`${out.length} tensors -> ${path.join(outDir, "model.safetensors")}\n`);
