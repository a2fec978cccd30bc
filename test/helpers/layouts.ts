/**
 * Models re-stored the way other frameworks store them, and small CNNs, for test/layouts.test.ts:
 * - kerasLayout: every Linear as a Keras dense kernel [in, out] named `dense_N/kernel:0` (norms
 *   `layer_normalization_N/gamma:0`, the embedding `embedding/embeddings:0`);
 * - onnxLayout: every Linear as an ONNX MatMul initialiser [in, out] named `onnx::MatMul_N` (what
 *   torch.onnx.export writes), the other tensors under their names;
 * - cnnTorch / toKerasCnn: a small CNN in PyTorch layout (OIHW, depthwise [c, 1, kh, kw]) and the same
 *   weights as Keras stores them ([kh, kw, in, out], depthwise [kh, kw, c, 1], dense [in, out]);
 * - mobileNetKeras: a MobileNet-like Keras CNN (~106k parameters, 107 tensors, mostly 1x1 and 3x3
 *   depthwise convolutions and batch-norm vectors);
 * - int8Dequantized: scale·(q − zero_point) per tensor, what a dequantized int8 export holds.
 */
import { type FloatTensors, gaussian } from "../../src/examples/generate.js";

type T = { shape: number[]; data: Float32Array };

/** [r, c] row-major -> [c, r]. */
export function transpose2d(t: T): T {
  const [r, c] = t.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!;
  return { shape: [c, r], data: out };
}

/** A 4-D tensor permuted: out axis k = in axis perm[k]. */
export function permute4(t: T, perm: [number, number, number, number]): T {
  const s = t.shape;
  const stride = [s[1]! * s[2]! * s[3]!, s[2]! * s[3]!, s[3]!, 1];
  const os = perm.map((p) => s[p]!);
  const out = new Float32Array(t.data.length);
  let o = 0;
  for (let a = 0; a < os[0]!; a++)
    for (let b = 0; b < os[1]!; b++)
      for (let c = 0; c < os[2]!; c++)
        for (let d = 0; d < os[3]!; d++) {
          const idx = [0, 0, 0, 0];
          idx[perm[0]] = a;
          idx[perm[1]] = b;
          idx[perm[2]] = c;
          idx[perm[3]] = d;
          out[o++] = t.data[idx[0]! * stride[0]! + idx[1]! * stride[1]! + idx[2]! * stride[2]! + idx[3]!]!;
        }
  return { shape: os, data: out };
}

const isLinear = (name: string, t: T) => t.shape.length === 2 && name.endsWith(".weight") && !/embed/.test(name);

/** Keras names and [in, out] dense kernels. */
export function kerasLayout(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  let dense = 0;
  let norm = 0;
  for (const [name, t] of m) {
    if (isLinear(name, t)) out.set(`dense_${dense++}/kernel:0`, transpose2d(t));
    else if (/embed/.test(name)) out.set("embedding/embeddings:0", t);
    else if (t.shape.length === 1) out.set(`layer_normalization_${norm++}/gamma:0`, t);
    else out.set(name, t);
  }
  return out;
}

/** ONNX MatMul initialisers: [in, out] under opaque names; `names` maps each new name to the original. */
export function onnxLayout(m: FloatTensors): { model: FloatTensors; names: Map<string, string> } {
  const model: FloatTensors = new Map();
  const names = new Map<string, string>();
  let k = 1234;
  for (const [name, t] of m) {
    if (isLinear(name, t)) {
      const n = `onnx::MatMul_${k}`;
      k += 7;
      model.set(n, transpose2d(t));
      names.set(n, name);
    } else model.set(name, t);
  }
  return { model, names };
}

/** Paddle names: `linear_N.w_0` [in, out], `embedding_0.w_0`, `layer_norm_N.w_0`; or, with `indexOnly`, every tensor named by its index alone. */
export function paddleLayout(m: FloatTensors, indexOnly = false): FloatTensors {
  const out: FloatTensors = new Map();
  let linear = 0;
  let norm = 0;
  let k = 0;
  for (const [name, t] of m) {
    const n = indexOnly ? String(k++) : null;
    if (isLinear(name, t)) out.set(n ?? `linear_${linear++}.w_0`, indexOnly ? t : transpose2d(t));
    else if (/embed/.test(name)) out.set(n ?? "embedding_0.w_0", t);
    else if (t.shape.length === 1) out.set(n ?? `layer_norm_${norm++}.w_0`, t);
    else out.set(n ?? name, t);
  }
  return out;
}

function filler(seed: number) {
  const g = gaussian(seed);
  const mat = (shape: number[], fanIn: number): T => {
    const n = shape.reduce((a, b) => a * b, 1);
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = g() / Math.sqrt(fanIn);
    return { shape, data: d };
  };
  const vec = (n: number, mean: number, sd: number, positive = false): T => {
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = positive ? mean * Math.exp(sd * g()) : mean + sd * g();
    return { shape: [n], data: d };
  };
  return { mat, vec };
}

/** A small CNN in PyTorch layout: convs [out, in, 3, 3], a 1x1 conv, a depthwise conv, batch norms, a classifier. */
export function cnnTorch(seed: number): FloatTensors {
  const { mat, vec } = filler(seed);
  const m: FloatTensors = new Map();
  const bn = (p: string, c: number) => {
    m.set(`${p}.weight`, vec(c, 1, 0.1));
    m.set(`${p}.bias`, vec(c, 0, 0.1));
    m.set(`${p}.running_mean`, vec(c, 0, 0.2));
    m.set(`${p}.running_var`, vec(c, 1, 0.3, true));
  };
  m.set("features.0.weight", mat([32, 3, 3, 3], 27));
  bn("features.1", 32);
  m.set("features.3.weight", mat([64, 32, 3, 3], 288));
  bn("features.4", 64);
  m.set("features.6.weight", mat([64, 1, 3, 3], 9)); // depthwise
  m.set("features.7.weight", mat([128, 64, 3, 3], 576));
  bn("features.8", 128);
  m.set("features.10.weight", mat([128, 128, 1, 1], 128)); // 1x1
  m.set("classifier.weight", mat([10, 128], 128));
  m.set("classifier.bias", vec(10, 0, 0.1));
  return m;
}

/** The same weights as Keras stores them: conv [kh, kw, in, out], depthwise [kh, kw, c, 1], dense [in, out]. */
export function toKerasCnn(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  let conv = 0;
  let bn = 0;
  const bnNames: Record<string, string> = { weight: "gamma", bias: "beta", running_mean: "moving_mean", running_var: "moving_variance" };
  for (const [name, t] of m) {
    if (t.shape.length === 4) {
      const depthwise = t.shape[1] === 1 && t.shape[0]! > 1;
      // OIHW -> HWIO (depthwise [c, 1, kh, kw] -> [kh, kw, c, 1]).
      const hwio = permute4(t, [2, 3, 1, 0]);
      const kernel = depthwise ? permute4(t, [2, 3, 0, 1]) : hwio;
      out.set(depthwise ? `depthwise_conv2d/depthwise_kernel:0` : `conv2d_${conv++}/kernel:0`, kernel);
    } else if (name === "classifier.weight") out.set("dense/kernel:0", transpose2d(t));
    else if (name === "classifier.bias") out.set("dense/bias:0", t);
    else {
      const [, , kind] = /^(.*)\.(weight|bias|running_mean|running_var)$/.exec(name)!;
      out.set(`batch_normalization_${bn}/${bnNames[kind!]}:0`, t);
      if (kind === "running_var") bn++;
    }
  }
  return out;
}

/** scale·(q − zero_point), per tensor, q in [0, 255] (an asymmetric uint8 export dequantized). */
export function int8Dequantized(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [name, t] of m) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of t.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const scale = hi > lo ? (hi - lo) / 255 : 1;
    const zp = Math.round(-lo / scale);
    const d = new Float32Array(t.data.length);
    for (let i = 0; i < d.length; i++) {
      const q = Math.min(255, Math.max(0, Math.round(t.data[i]! / scale) + zp));
      d[i] = scale * (q - zp);
    }
    out.set(name, { shape: [...t.shape], data: d });
  }
  return out;
}

/**
 * A MobileNet-like Keras CNN: a 3x3 stem, ten depthwise-separable blocks (3x3 depthwise [3, 3, c, 1] and
 * 1x1 pointwise [1, 1, c, c'], each with batch norm: gamma, beta, moving mean, moving variance) and a
 * classifier. `widths` sets the channels (default: ~106k parameters, 107 tensors).
 */
export function mobileNetKeras(seed: number, widths = [16, 32, 32, 64, 64, 96, 96, 128, 128, 144, 144], classes = 10): FloatTensors {
  const { mat, vec } = filler(seed);
  const m: FloatTensors = new Map();
  const bn = (p: string, c: number) => {
    m.set(`${p}/gamma:0`, vec(c, 1, 0.1));
    m.set(`${p}/beta:0`, vec(c, 0, 0.1));
    m.set(`${p}/moving_mean:0`, vec(c, 0, 0.2));
    m.set(`${p}/moving_variance:0`, vec(c, 1, 0.3, true));
  };
  m.set("conv1/kernel:0", mat([3, 3, 3, widths[0]!], 27));
  bn("conv1_bn", widths[0]!);
  for (let b = 1; b < widths.length; b++) {
    const cin = widths[b - 1]!;
    const cout = widths[b]!;
    m.set(`conv_dw_${b}/depthwise_kernel:0`, mat([3, 3, cin, 1], 9));
    bn(`conv_dw_${b}_bn`, cin);
    m.set(`conv_pw_${b}/kernel:0`, mat([1, 1, cin, cout], cin));
    bn(`conv_pw_${b}_bn`, cout);
  }
  m.set("predictions/kernel:0", mat([widths[widths.length - 1]!, classes], widths[widths.length - 1]!));
  m.set("predictions/bias:0", vec(classes, 0, 0.1));
  return m;
}

export function parameters(m: FloatTensors): number {
  let n = 0;
  for (const t of m.values()) n += t.data.length;
  return n;
}
