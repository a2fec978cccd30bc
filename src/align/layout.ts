/**
 * Which axis of a stored tensor holds its units (outputs) and which its inputs: the layout. A tensor is
 * compared as the matrix [out, in·k…] (PyTorch's order), whatever framework stored it:
 *
 * | stored as | layout | canonical |
 * |---|---|---|
 * | PyTorch Linear [out, in], Conv [out, in, k…], depthwise [c, 1, kh, kw] | `layout:native` | as stored |
 * | Keras / TFJS / Flax / ONNX MatMul dense [in, out] | `layout:in-out` | transposed |
 * | TF / Keras / Flax conv [k…, in, out] (HWIO, WIO, DHWIO) | `layout:tf-hwio` (`tf-wio`, `tf-dhwio`) | [out, in, k…] |
 * | TF / Keras depthwise [kh, kw, c, m] | `layout:tf-depthwise` | [c, m, kh, kw]: units = channels, features = taps |
 * | TFLite conv [out, kh, kw, in] (OHWI), depthwise [1, kh, kw, c] | `layout:tflite-ohwi`, `layout:tflite-1hwc` | [out, in, kh, kw], [c, 1, kh, kw] |
 *
 * Names decide first (Keras `…/kernel:0`, `depthwise_kernel`, Flax `kernel`, TFJS/TF1 scope paths
 * `…/weights`, `…/filters`, `…/depthwise_filter`, ONNX `onnx::MatMul_N`, Paddle `linear_N.w_0`, TFLite op paths, PyTorch
 * `.weight`); without a telling name the shapes do (kernel taps are small and
 * square; channels are not). What stays ambiguous is returned as several options, most likely first:
 * the engine tries each against the reference and pays for the looks (Bonferroni).
 */
import type { LayoutLabel } from "./transform.js";

export interface LayoutOption {
  /** `layout:…`, reported as the transform when the two sides differ. */
  label: LayoutLabel;
  /** Stored axes in canonical order; null = as stored. */
  axes: number[] | null;
}

export const NATIVE: LayoutLabel = "layout:native";

const native: LayoutOption = { label: NATIVE, axes: null };

/** Keras / TFJS / Flax kernels: `dense_3/kernel:0`, `conv1/kernel`, `params.Dense_0.kernel`. */
const KERAS_KERNEL = /(^|[/.])(kernel|depthwise_kernel|pointwise_kernel)(:\d+)?$/;
/** TF scope paths of TFJS / TF1 graphs (`dense0/conv1/depthwise_filter`, `fc/weights`): TF layouts too. */
const TF_PATH = /\/(weights|filters|depthwise_filter|pointwise_filter|w)(:\d+)?$/;
const DEPTHWISE = /depthwise/i;
/** ONNX initialisers that exporters name after the op: MatMul stores [in, out]. */
const ONNX_MATMUL = /^onnx::MatMul_\d+$/;
/** Paddle linear and fc weights [in, out]: `linear_77.w_0`, `fc_3.w_0` (Paddle convs are [out, in, kh, kw], native). */
const PADDLE_LINEAR = /(^|[./])(linear|fc)_\d+\.w_\d+$/;
/** TFLite / TF graph op paths (`model/conv2d_3/Conv2D`, fused `…/BiasAdd;…/Conv2D`), without a Keras kernel name. */
const TFLITE_OP = /\/(Conv2D|Conv2D1|DepthwiseConv2dNative|depthwise|MatMul|Conv1D|conv1d)(\b|;|$)|;/;
/** PyTorch-style names: the stored layout is the native one. */
const TORCH = /(^|\.)weight$/;

/** A spatial extent of a kernel: small, or equal to its sibling (patch embeddings: 14, 16, 32). */
function tapsLike(a: number, b: number): boolean {
  return (a <= 7 && b <= 7) || (a === b && a <= 32);
}

function hwio(shape: readonly number[]): LayoutOption {
  const r = shape.length;
  // [k…, in, out]: units = out (last), then in, then the taps in order.
  const taps = Array.from({ length: r - 2 }, (_, i) => i);
  const label = r === 3 ? "layout:tf-wio" : r === 5 ? "layout:tf-dhwio" : "layout:tf-hwio";
  return { label, axes: [r - 1, r - 2, ...taps] };
}

function tfDepthwise(): LayoutOption {
  return { label: "layout:tf-depthwise", axes: [2, 3, 0, 1] };
}

function tfliteConv(shape: readonly number[]): LayoutOption {
  // [out, kh, kw, in] -> [out, in, kh, kw]; depthwise [1, kh, kw, c] -> [c, 1, kh, kw].
  if (shape[0] === 1 && shape[3]! > 1) return { label: "layout:tflite-1hwc", axes: [3, 0, 1, 2] };
  return { label: "layout:tflite-ohwi", axes: [0, 3, 1, 2] };
}

/** A TF kernel [k…, in, out], depthwise when out is 1 and in is not (Keras depthwise [kh, kw, c, 1]). */
function tfKernel(name: string, shape: readonly number[]): LayoutOption {
  if (shape.length === 4 && (DEPTHWISE.test(name) || (shape[3] === 1 && shape[2]! > 1))) return tfDepthwise();
  return hwio(shape);
}

/** Layouts whose kernel taps look like taps, for a name that does not tell (most likely first). */
function byShape(name: string, shape: readonly number[]): LayoutOption[] {
  const r = shape.length;
  const out: LayoutOption[] = [];
  // Native [out, in, k…]: taps last.
  const nativeTaps = shape.slice(2);
  const tfTaps = shape.slice(0, r - 2);
  const ok = (taps: readonly number[]) => taps.every((t, i) => tapsLike(t, taps[(i + 1) % taps.length]!));
  if (ok(nativeTaps)) out.push(native);
  if (ok(tfTaps)) out.push(tfKernel(name, shape));
  if (r === 4 && ok([shape[1]!, shape[2]!]) && !(shape[1] === shape[3] && shape[2] === shape[0])) out.push(tfliteConv(shape));
  if (out.length === 0) out.push(native);
  // The same canonical axes reached twice (e.g. all-ones taps) need one look only.
  const seen = new Set<string>();
  return out.filter((o) => {
    const key = (o.axes ?? shape.map((_, i) => i)).join(",");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The layouts a stored tensor may be in, most likely first (one when the name or the shape decides).
 * Vectors and scalars have one axis: native.
 */
export function layoutOptions(name: string, shape: readonly number[]): LayoutOption[] {
  const r = shape.length;
  if (r < 2) return [native];
  if (r === 2) {
    if (ONNX_MATMUL.test(name) || PADDLE_LINEAR.test(name) || KERAS_KERNEL.test(name) || TF_PATH.test(name)) return [{ label: "layout:in-out", axes: [1, 0] }];
    // Anything else 2-D keeps the shape-based transpose rules of align.ts (Conv1D, square second look).
    return [native];
  }
  if (KERAS_KERNEL.test(name) || TF_PATH.test(name)) return [tfKernel(name, shape)];
  if (TORCH.test(name)) return [native];
  if (r === 4 && TFLITE_OP.test(name)) return [tfliteConv(shape)];
  if (r > 5) return [native];
  return byShape(name, shape);
}

/** A framework family of layouts (what one checkpoint uses for all its kernels). */
export type LayoutFamily = "native" | "tf" | "tflite";

function familyOf(label: string): LayoutFamily | null {
  if (label === NATIVE) return "native";
  if (label.startsWith("layout:tf-")) return "tf";
  if (label.startsWith("layout:tflite-")) return "tflite";
  return null;
}

/**
 * The graph's own answer for what its tensors leave open: one checkpoint stores every kernel the same
 * way, so when every kernel (rank ≥ 3) whose layout its name or shape decided is of one family, that
 * family is the model's. Names and shapes only: no value is looked at, so nothing is to pay.
 */
export function modelLayoutFamily(entries: readonly { name: string; shape: readonly number[] }[]): LayoutFamily | null {
  const votes = new Set<LayoutFamily>();
  for (const e of entries) {
    if (e.shape.length < 3) continue;
    const opts = layoutOptions(e.name, e.shape);
    if (opts.length !== 1) continue;
    const f = familyOf(opts[0]!.label);
    if (f) votes.add(f);
  }
  return votes.size === 1 ? [...votes][0]! : null;
}

/** The options of a tensor, narrowed to the model's family when they are several and one is of it. */
export function layoutOptionsIn(name: string, shape: readonly number[], family: LayoutFamily | null): LayoutOption[] {
  const opts = layoutOptions(name, shape);
  if (opts.length < 2 || !family) return opts;
  const same = opts.filter((o) => familyOf(o.label) === family);
  return same.length ? same : opts;
}

/** The layout a reference tensor is read in: its most likely one (in the reference's family). */
export function referenceLayout(name: string, shape: readonly number[], family: LayoutFamily | null = null): LayoutOption {
  return layoutOptionsIn(name, shape, family)[0]!;
}
