/**
 * Generated CNNs with a flatten before their first dense layer, and their ports between frameworks, for
 * test/ports.test.ts:
 * - vggLike: PyTorch layout (conv [out, in, kh, kw], Linear [out, in]); `classifier.0` reads the last
 *   conv's C = 64 channels over a 6 x 6 grid flattened channels-first (C·H·W), as PyTorch flattens;
 * - portTorch: the same values after a Caffe -> TensorFlow -> PyTorch port that got two things "wrong"
 *   without changing a value: every conv kernel with its spatial axes swapped (kh <-> kw), and
 *   `classifier.0`'s input columns in TensorFlow's flatten order (H·W·C); optionally fine-tuned (noise);
 * - portKeras: the same network as Keras stores it (conv [kh, kw, in, out], dense [in, out]) after a
 *   correct port: TensorFlow flattens H·W·C, so the first dense kernel's rows are in that order;
 * - shuffleLarge: every tensor of at least 4,096 elements with its values in another order (a fixed
 *   shuffle) and another shape ([n / 4, 4]): an exact copy no layout rule explains.
 */
import { type FloatTensors, gaussian } from "../../src/examples/generate.js";
import { permute4, transpose2d } from "./layouts.js";

type T = { shape: number[]; data: Float32Array };

/** Channels and grid of the flatten in vggLike. */
export const FLATTEN = { channels: 64, spatial: 36 };

/** A VGG-like CNN in PyTorch layout (~680k parameters, 87% of them in the first dense layer). */
export function vggLike(seed: number): FloatTensors {
  const g = gaussian(seed);
  const m: FloatTensors = new Map();
  const mat = (shape: number[]): T => {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = n / shape[0]!;
    const d = new Float32Array(n);
    // Units of different scales, as training leaves them.
    const rowScale = Array.from({ length: shape[0]! }, () => Math.exp(0.3 * g()) / Math.sqrt(fanIn));
    for (let i = 0; i < n; i++) d[i] = g() * rowScale[Math.floor(i / fanIn)]!;
    return { shape, data: d };
  };
  const bias = (n: number): T => ({ shape: [n], data: Float32Array.from({ length: n }, () => 0.05 * g()) });
  const layer = (name: string, shape: number[]) => {
    m.set(`${name}.weight`, mat(shape));
    m.set(`${name}.bias`, bias(shape[0]!));
  };
  layer("features.0", [32, 3, 3, 3]);
  layer("features.3", [64, 32, 3, 3]);
  layer("features.6", [FLATTEN.channels, 64, 3, 3]);
  layer("classifier.0", [256, FLATTEN.channels * FLATTEN.spatial]);
  layer("classifier.3", [128, 256]);
  layer("classifier.6", [10, 128]);
  return m;
}

/** [out, C·S] with columns c·S + s -> [out, S·C] with columns s·C + c (channels-first -> channels-last). */
export function toChannelsLast(t: T, channels: number): T {
  const [rows, cols] = t.shape as [number, number];
  const spatial = cols / channels;
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) for (let s = 0; s < spatial; s++) out[r * cols + s * channels + c] = t.data[r * cols + c * spatial + s]!;
  return { shape: [rows, cols], data: out };
}

function withNoise(t: T, g: () => number, sd: number): T {
  let ss = 0;
  for (const v of t.data) ss += v * v;
  const scale = sd * Math.sqrt(ss / Math.max(1, t.data.length));
  return { shape: t.shape, data: t.data.map((v) => v + scale * g()) };
}

/** The Caffe -> TensorFlow -> PyTorch port: taps swapped, the first dense layer's columns channels-last; `noise` fine-tunes it. */
export function portTorch(m: FloatTensors, noise?: { seed: number; sd: number }): FloatTensors {
  const g = gaussian(noise?.seed ?? 1);
  const out: FloatTensors = new Map();
  for (const [name, t] of m) {
    let p = t.shape.length === 4 ? permute4(t, [0, 1, 3, 2]) : name === "classifier.0.weight" ? toChannelsLast(t, FLATTEN.channels) : t;
    if (noise) p = withNoise(p, g, noise.sd);
    out.set(name, p);
  }
  return out;
}

/** The network as Keras stores it after a correct port: conv [kh, kw, in, out], dense [in, out], the first one's rows H·W·C. */
export function portKeras(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  let conv = 0;
  let dense = 0;
  for (const [name, t] of m) {
    const bias = name.endsWith(".bias");
    if (m.get(name.replace(/\.bias$/, ".weight"))!.shape.length === 4) {
      out.set(`conv2d_${conv}/${bias ? "bias" : "kernel"}:0`, bias ? t : permute4(t, [2, 3, 1, 0]));
      if (bias) conv++;
      continue;
    }
    const kernel = name === "classifier.0.weight" ? toChannelsLast(t, FLATTEN.channels) : t;
    out.set(`dense_${dense}/${bias ? "bias" : "kernel"}:0`, bias ? t : transpose2d(kernel));
    if (bias) dense++;
  }
  return out;
}

/** The values in another order (a fixed shuffle) and another shape ([n / 4, 4]). */
export function shuffleElements(t: T, seed: number): T {
  const g = gaussian(seed);
  const d = Float32Array.from(t.data);
  for (let i = d.length - 1; i > 0; i--) {
    const j = Math.floor(Math.abs(g() * 1e6)) % (i + 1);
    const x = d[i]!;
    d[i] = d[j]!;
    d[j] = x;
  }
  return { shape: [d.length / 4, 4], data: d };
}

/** Every tensor of at least 4,096 elements passed through `f` (default: shuffled and reshaped). */
export function shuffleLarge(m: FloatTensors, seed: number, f: (t: T) => T = (t) => shuffleElements(t, seed)): FloatTensors {
  return new Map([...m].map(([k, t]) => [k, t.data.length >= 4096 && t.data.length % 4 === 0 ? f(t) : t]));
}
