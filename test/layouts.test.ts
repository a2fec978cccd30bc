/**
 * Every rank and layout compared along the right axes, and byte-identical copies always `reused`
 * (issue 14): the trained tiny fixtures re-stored as Keras and ONNX store them, small CNNs in TF layout
 * (fp16, int8-dequantized), MobileNet-like Keras CNNs byte-identical and independent. All through the CLI.
 */
import { renderTransforms } from "../src/align/transform.js";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { alignModels } from "../src/align/align.js";
import { layoutOptions } from "../src/align/layout.js";
import { layoutView, permuteAxes } from "../src/align/view.js";
import { drifted, llamaModel } from "../src/examples/generate.js";
import type { Report } from "../src/report/schema.js";
import type { TensorEntry } from "../src/sources/types.js";
import { vectorPermutationTest } from "../src/stats/vector-test.js";
import { tiny } from "./helpers/fixtures.js";
import { cnnTorch, int8Dequantized, kerasLayout, mobileNetKeras, onnxLayout, paddleLayout, parameters, permute4, toKerasCnn } from "./helpers/layouts.js";
import { loadModel, saveModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("layouts");
});

async function check(candidate: string, reference: string): Promise<{ code: number; report: Report }> {
  const reportPath = path.join(tmp, `${path.basename(candidate)}-${Math.random().toString(36).slice(2)}.json`);
  const run = await runCli(["check", "--candidate", candidate, "--reference", reference, "--report", reportPath, "--quiet"]);
  return { code: run.code, report: await readReport(reportPath) };
}

const entry = (name: string, shape: number[]): TensorEntry => ({ name, shape, dtype: "F32", file: "x", begin: 0, end: 4 * shape.reduce((a, b) => a * b, 1) });
const only = (r: Report) => r.references[0]!.components[0]!;

describe("layouts: which axis holds the units", () => {
  it("names decide: Keras dense and conv kernels, depthwise, ONNX MatMul, PyTorch weights", () => {
    expect(layoutOptions("dense_3/kernel:0", [128, 352]).map((o) => o.label)).toEqual(["layout:in-out"]);
    expect(layoutOptions("onnx::MatMul_1234", [128, 352]).map((o) => o.label)).toEqual(["layout:in-out"]);
    expect(layoutOptions("conv2d/kernel:0", [1, 1, 256, 256])).toEqual([{ label: "layout:tf-hwio", axes: [3, 2, 0, 1] }]);
    expect(layoutOptions("conv_dw_1/depthwise_kernel:0", [3, 3, 64, 1])).toEqual([{ label: "layout:tf-depthwise", axes: [2, 3, 0, 1] }]);
    expect(layoutOptions("params.Conv_0.kernel", [3, 3, 3, 32])[0]!.label).toBe("layout:tf-hwio");
    expect(layoutOptions("model/conv2d_3/Conv2D", [64, 3, 3, 32])[0]!.label).toBe("layout:tflite-ohwi");
    expect(layoutOptions("model/depthwise_conv2d/depthwise", [1, 3, 3, 64])[0]!.label).toBe("layout:tflite-1hwc");
    expect(layoutOptions("encoder.conv1.weight", [384, 80, 3])[0]!.label).toBe("layout:native");
    expect(layoutOptions("visual.patch_embed.proj.weight", [1280, 3, 2, 14, 14])[0]!.label).toBe("layout:native");
    expect(layoutOptions("features.6.weight", [64, 1, 3, 3])[0]!.label).toBe("layout:native");
    // TFJS scope paths (face-api): depthwise and pointwise filters, dense weights [in, out].
    expect(layoutOptions("dense0/conv1/depthwise_filter", [3, 3, 32, 1])[0]!.label).toBe("layout:tf-depthwise");
    expect(layoutOptions("dense0/conv1/pointwise_filter", [1, 1, 32, 64])[0]!.label).toBe("layout:tf-hwio");
    expect(layoutOptions("fc/weights", [256, 136])[0]!.label).toBe("layout:in-out");
    expect(layoutOptions("conv0/filters", [3, 3, 3, 32])[0]!.label).toBe("layout:tf-hwio");
  });

  it("shapes decide when names do not: small square taps first or last; still ambiguous -> several options", () => {
    expect(layoutOptions("k7", [1, 1, 256, 256]).map((o) => o.label)).toEqual(["layout:tf-hwio"]);
    expect(layoutOptions("k8", [64, 64, 3, 3]).map((o) => o.label)).toEqual(["layout:native"]);
    expect(layoutOptions("k9", [3, 3, 32, 1]).map((o) => o.label)).toEqual(["layout:tf-depthwise"]);
    expect(layoutOptions("k10", [8, 8, 8, 8]).length).toBeGreaterThan(1);
  });

  it("a permuted view reads [kh, kw, in, out] as [out, in·kh·kw] in PyTorch's element order", () => {
    const oihw = { shape: [4, 3, 2, 2], data: Float32Array.from({ length: 48 }, (_, i) => i) };
    const hwio = permute4(oihw, [2, 3, 1, 0]);
    const v = layoutView(entry("conv/kernel:0", hwio.shape), [3, 2, 0, 1]);
    expect([v.rows, v.cols]).toEqual([4, 12]);
    expect([...permuteAxes(hwio.data, hwio.shape, v.axes!)]).toEqual([...oihw.data]);
  });

  it("rank 3 and 5: TF Conv1D [k, in, out] and Conv3D [d, h, w, in, out] meet PyTorch's [out, in, k…]", () => {
    expect(layoutOptions("conv1d/kernel:0", [3, 80, 384])).toEqual([{ label: "layout:tf-wio", axes: [2, 1, 0] }]);
    expect(layoutOptions("patch/kernel:0", [2, 14, 14, 3, 1280])).toEqual([{ label: "layout:tf-dhwio", axes: [4, 3, 0, 1, 2] }]);
    // A [2, 2, 2, 3, 4] DHWIO tensor read as [4, 3·2·2·2], element (o, i, d, h, w) = stored (d, h, w, i, o).
    const shape = [2, 2, 2, 3, 4];
    const data = Float32Array.from({ length: 96 }, (_, i) => i);
    const out = permuteAxes(data, shape, [4, 3, 0, 1, 2]);
    const at = (d: number, h: number, w: number, i: number, o: number) => (((d * 2 + h) * 2 + w) * 3 + i) * 4 + o;
    for (let o = 0; o < 4; o++) for (let i = 0; i < 3; i++) for (let d = 0; d < 2; d++) for (let h = 0; h < 2; h++) for (let w = 0; w < 2; w++) {
      expect(out[(((o * 3 + i) * 2 + d) * 2 + h) * 2 + w]).toBe(at(d, h, w, i, o));
    }
    const a = alignModels([entry("conv1d/kernel:0", [3, 80, 384])], [entry("stem.conv.weight", [384, 80, 3])]);
    expect(renderTransforms(a.components[0]!.pairs[0]!.transform)).toBe("renamed+layout:tf-wio");
  });

  it("a 1x1 TF conv is a 256 x 256 matrix (informative), not a 1-row one", () => {
    const a = alignModels([entry("conv2d/kernel:0", [1, 1, 256, 256])], [entry("features.0.weight", [256, 256, 1, 1])]);
    const p = a.components[0]!.pairs[0]!;
    expect([p.candidate.rows, p.candidate.cols, p.informative]).toEqual([256, 256, true]);
    expect(renderTransforms(p.transform)).toBe("renamed+layout:tf-hwio");
  });

  it("an ambiguous layout becomes alternatives the engine tries (and pays for)", () => {
    const a = alignModels([entry("k0", [8, 8, 8, 8])], [entry("net.0.weight", [8, 8, 8, 8])]);
    const p = a.components[0]!.pairs[0]!;
    expect(p.alternatives?.length).toBeGreaterThan(0);
  });

  it("the graph settles it: a model whose other kernels are HWIO stores its [8, 8, 8, 8] HWIO too (one framework look)", () => {
    const a = alignModels(
      [entry("k0", [8, 8, 8, 8]), entry("k1", [3, 3, 16, 32])],
      [entry("net.0.weight", [8, 8, 8, 8]), entry("net.1.weight", [32, 16, 3, 3])],
    );
    const byName = Object.fromEntries(a.components[0]!.pairs.map((p) => [p.candidate.entry.name, p]));
    // Only a port's look is left open (its taps swapped, src/align/port-layouts.ts), no other framework's layout.
    expect(byName.k0!.alternatives?.map((x) => renderTransforms(x.transform))).toEqual(["renamed+layout:tf-hwio+layout:taps-swapped"]);
    expect(renderTransforms(byName.k0!.transform)).toBe("renamed+layout:tf-hwio");
    expect(renderTransforms(byName.k1!.transform)).toBe("renamed+layout:tf-hwio");
  });

  it("the rank test of a vector: exact mean and variance, ties, identical vectors", () => {
    const a = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 1.7) + i / 100);
    const t = vectorPermutationTest(a, a)!;
    expect(t.effect).toBeCloseTo(1, 10);
    expect(t.z).toBeCloseTo(Math.sqrt(63), 8);
    expect(vectorPermutationTest(a, new Float32Array(64).fill(1))).toBeNull();
  });
});

describe("the tiny fixtures as Keras and ONNX store them", () => {
  it("Keras dense kernels [in, out] named dense_N/kernel:0: a fine-tune is reused along the right axes", async () => {
    const sft = await loadModel(await tiny("llm-a-sft"));
    const dir = path.join(tmp, "keras-sft");
    await saveModel(dir, kerasLayout(sft.tensors), { dtype: "BF16" });
    const { code, report } = await check(dir, await tiny("llm-a"));
    expect(code).toBe(1);
    const c = only(report);
    expect(c.verdict).toBe("reused");
    const dense = c.tensors.filter((t) => t.candidate.startsWith("dense_"));
    expect(dense.length).toBe(29);
    // Every dense kernel met a matrix of its own canonical shape, compared transposed back ([out, in]).
    expect(dense.every((t) => t.transform === "renamed+layout:in-out")).toBe(true);
    expect(dense.filter((t) => t.standsOut).length).toBeGreaterThanOrEqual(25);
    expect(c.log10pCorrected!).toBeLessThan(-50);
    // Nine layer-less norm gains meet one layer-less reference norm: the eight left over are unmatched, never dropped.
    const norms = c.tensors.filter((t) => t.candidate.startsWith("layer_normalization_")).length;
    expect(norms + c.unmatchedTensors).toBe(9);
    expect(c.tensors.length + c.unmatchedTensors).toBe(sft.tensors.size);
  });

  it("Keras layout of an independent model stays independent", async () => {
    const b = await loadModel(await tiny("llm-b"));
    const dir = path.join(tmp, "keras-b");
    await saveModel(dir, kerasLayout(b.tensors), { dtype: "BF16" });
    const { code, report } = await check(dir, await tiny("llm-a"));
    expect(code).toBe(0);
    expect(only(report).verdict).toBe("independent");
  });

  it("ONNX MatMul [in, out] with opaque names: fc1 meets up/gate (never down transposed), the right tensor wins", async () => {
    const sft = await loadModel(await tiny("llm-a-sft"));
    const { model, names } = onnxLayout(sft.tensors);
    const dir = path.join(tmp, "onnx-sft");
    await saveModel(dir, model, { dtype: "BF16" });
    const { code, report } = await check(dir, await tiny("llm-a"));
    expect(code).toBe(1);
    const c = only(report);
    expect(c.verdict).toBe("reused");
    const onnx = c.tensors.filter((t) => t.candidate.startsWith("onnx::MatMul_"));
    expect(onnx.length).toBe(29);
    const roleOf = (n: string) => n.replace(/^model\.layers\.\d+\./, "").replace(/\.weight$/, "");
    for (const t of onnx) {
      const original = names.get(t.candidate)!;
      // Never the transposed-shape partner: up/gate [352,128] never meets down [128,352] (or the reverse).
      expect(/down_proj/.test(original)).toBe(/down_proj/.test(t.reference));
      expect(t.transform).toMatch(/layout:in-out/);
    }
    expect(onnx.every((t) => !/\btranspose\b/.test(t.transform))).toBe(true);
    // The data picks the very tensor it came from.
    const right = onnx.filter((t) => names.get(t.candidate) === t.reference).length;
    expect(right).toBe(onnx.length);
    expect(onnx.every((t) => roleOf(names.get(t.candidate)!) === roleOf(t.reference))).toBe(true);
  });
  it("Paddle names (linear_N.w_0 [in, out]) and names that are only an index: a fine-tune is reused, an independent model is not", async () => {
    const sft = await loadModel(await tiny("llm-a-sft"));
    const b = await loadModel(await tiny("llm-b"));
    for (const [label, indexOnly] of [["paddle", false], ["index", true]] as const) {
      const derived = path.join(tmp, `${label}-sft`);
      await saveModel(derived, paddleLayout(sft.tensors, indexOnly), { dtype: "BF16" });
      const d = await check(derived, await tiny("llm-a"));
      expect(d.code, label).toBe(1);
      const c = only(d.report);
      expect(c.verdict, label).toBe("reused");
      expect(c.share, label).toBeGreaterThan(0.5);
      if (!indexOnly) expect(c.tensors.filter((t) => /^linear_\d+\.w_0$/.test(t.candidate)).every((t) => /layout:in-out/.test(t.transform))).toBe(true);
      // The independent model under index-only names costs ~7 s through the CLI (every layer-less option
      // compared): measured by hand (not reused), left out of the suite's budget.
      if (indexOnly) continue;
      const independent = path.join(tmp, `${label}-b`);
      await saveModel(independent, paddleLayout(b.tensors, indexOnly), { dtype: "BF16" });
      const i = await check(independent, await tiny("llm-a"));
      expect(only(i.report).verdict, label).not.toBe("reused");
    }
  });

  it("ONNX layout of an independent model: the structural pairing itself never offers fc1 against fc2ᵀ", async () => {
    const b = await loadModel(await tiny("llm-b"));
    const { model, names } = onnxLayout(b.tensors);
    const dir = path.join(tmp, "onnx-b");
    await saveModel(dir, model, { dtype: "BF16" });
    const { code, report } = await check(dir, await tiny("llm-a"));
    expect(code).toBe(0);
    const c = only(report);
    expect(c.verdict).toBe("independent");
    const onnx = c.tensors.filter((t) => t.candidate.startsWith("onnx::MatMul_"));
    expect(onnx.length).toBe(29);
    for (const t of onnx) {
      // The element-wise pair (the search's look, when stronger, moves it under `direct`).
      const paired = t.direct?.reference ?? t.reference;
      expect(/down_proj/.test(names.get(t.candidate)!)).toBe(/down_proj/.test(paired));
      if (!t.direct) expect(t.transform).toMatch(/^renamed\+layout:in-out/);
    }
  });
});

describe("ONNX exports too deep to try every pairing", () => {
  it("8 layers of q, k, v, o under opaque names: paired in graph order (no data-driven choice), a fine-tune reused", async () => {
    const shape = { hidden: 64, intermediate: 176, layers: 8, vocab: 100 };
    const base = llamaModel(shape, 31);
    const refDir = path.join(tmp, "deep-ref");
    await saveModel(refDir, base);
    const { model, names } = onnxLayout(drifted(base, 32, 0.15));
    const candDir = path.join(tmp, "deep-onnx");
    await saveModel(candDir, model);
    const entries = (m: typeof model) => [...m].map(([n, t]) => entry(n, t.shape));
    const square = alignModels(entries(model), entries(base)).components[0]!.pairs.filter((p) => p.candidate.entry.name.startsWith("onnx::") && p.candidate.rows === 64 && p.candidate.cols === 64);
    expect(square.length).toBe(32);
    expect(square.every((p) => p.ambiguity === undefined)).toBe(true);
    const { code, report } = await check(candDir, refDir);
    expect(code).toBe(1);
    const c = only(report);
    expect(c.verdict).toBe("reused");
    const onnx = c.tensors.filter((t) => t.candidate.startsWith("onnx::MatMul_"));
    expect(onnx.length).toBe(8 * 7 + 1);
    // 32 square matrices against 32: above the bound, so in order; every one meets the tensor it came from.
    expect(onnx.filter((t) => (t.direct?.reference ?? t.reference) === names.get(t.candidate)).length).toBe(onnx.length);
    expect(onnx.every((t) => t.standsOut)).toBe(true);
  });
});

describe("CNNs stored [kh, kw, in, out]", () => {
  let ref: string;
  let base: ReturnType<typeof cnnTorch>;
  beforeAll(async () => {
    base = cnnTorch(11);
    ref = path.join(tmp, "cnn-ref");
    await saveModel(ref, base);
  });

  for (const [label, make, dtype] of [
    ["fp16", (m: ReturnType<typeof cnnTorch>) => m, "F16"],
    ["int8-dequantized", int8Dequantized, "F32"],
  ] as const) {
    it(`a fine-tuned copy converted to Keras layout, ${label}: reused, convs compared as [out, in·kh·kw]`, async () => {
      const dir = path.join(tmp, `cnn-${label}`);
      await saveModel(dir, toKerasCnn(make(drifted(base, 5, 0.15))), { dtype });
      const { code, report } = await check(dir, ref);
      expect(code).toBe(1);
      const c = only(report);
      expect(c.verdict).toBe("reused");
      const byName = Object.fromEntries(c.tensors.map((t) => [t.candidate, t]));
      expect(byName["conv2d_1/kernel:0"]!.reference).toBe("features.3.weight");
      expect(byName["conv2d_1/kernel:0"]!.transform).toBe("renamed+layout:tf-hwio");
      expect(byName["conv2d_3/kernel:0"]!.reference).toBe("features.10.weight"); // the 1x1 conv
      expect(byName["conv2d_3/kernel:0"]!.informative).toBe(true);
      expect(byName["conv2d_3/kernel:0"]!.permutation!.units).toBe(128);
      expect(byName["depthwise_conv2d/depthwise_kernel:0"]!.reference).toBe("features.6.weight");
      expect(byName["depthwise_conv2d/depthwise_kernel:0"]!.transform).toBe("renamed+layout:tf-depthwise");
      expect(byName["dense/kernel:0"]!.reference).toBe("classifier.weight");
      for (const n of ["conv2d_1/kernel:0", "conv2d_2/kernel:0", "conv2d_3/kernel:0"]) {
        expect(byName[n]!.pearson!).toBeGreaterThan(0.9);
        expect(byName[n]!.standsOut).toBe(true);
      }
    });
  }

  it("an independently initialised CNN in Keras layout is independent", async () => {
    const dir = path.join(tmp, "cnn-other");
    await saveModel(dir, toKerasCnn(drifted(cnnTorch(12), 6, 0.15)));
    const { code, report } = await check(dir, ref);
    expect(code).toBe(0);
    expect(only(report).verdict).toBe("independent");
    expect(only(report).tensors.filter((t) => t.informative).every((t) => !t.standsOut)).toBe(true);
  });

  it("a layout names and shapes leave open is tried both ways, the selection paid for", async () => {
    const g = cnnTorch(21);
    // 16 output channels: a permutation test over n units cannot go below 1/n! (8 channels: 2.5e-5), so a
    // tensor that must stand out alone at 1e-6 needs more than 8.
    const k = { shape: [16, 16, 16, 16], data: Float32Array.from({ length: 16 ** 4 }, (_, i) => g.get("features.3.weight")!.data[i % 18432]! * (1 + ((i * 2654435761) >>> 0) / 2 ** 33)) };
    const refDir = path.join(tmp, "amb-ref");
    await saveModel(refDir, new Map([["net.0.weight", k]]));
    const candDir = path.join(tmp, "amb-cand");
    const hwio = permute4(drifted(new Map([["x", k]]), 3, 0.1).get("x")!, [2, 3, 1, 0]);
    // Stored HWIO under a name that says nothing: native and HWIO both fit [16, 16, 16, 16].
    await saveModel(candDir, new Map([["k0", hwio]]));
    const { report } = await check(candDir, refDir);
    const t = only(report).tensors[0]!;
    expect(t.transform).toBe("renamed+layout:tf-hwio");
    expect(t.pearson!).toBeGreaterThan(0.9);
    expect(t.standsOut).toBe(true);
    // The same tensor under a Keras name (the layout decided, one look): the ambiguous one paid 2x.
    const decidedDir = path.join(tmp, "amb-decided");
    await saveModel(decidedDir, new Map([["k0/kernel:0", hwio]]));
    const decided = only((await check(decidedDir, refDir)).report).tensors[0]!;
    expect(decided.transform).toBe("renamed+layout:tf-hwio");
    expect(t.permutation!.log10p - decided.permutation!.log10p).toBeCloseTo(Math.log10(2), 6);
  });
});

describe("byte-identical copies are reused whatever the size", () => {
  it("a MobileNet-like Keras CNN (~106k parameters, 107 tensors) copied byte for byte: reused, identical counted", async () => {
    const m = mobileNetKeras(7);
    expect(m.size).toBe(107);
    expect(parameters(m)).toBeGreaterThan(90_000);
    expect(parameters(m)).toBeLessThan(120_000);
    const ref = path.join(tmp, "mobilenet-ref");
    const cand = path.join(tmp, "mobilenet-copy");
    await saveModel(ref, m);
    await saveModel(cand, m);
    const { code, report } = await check(cand, ref);
    expect(code).toBe(1);
    const c = only(report);
    expect(c.verdict).toBe("reused");
    // Depthwise kernels, small pointwise convs and batch-norm vectors count once byte-identical.
    const promoted = c.tensors.filter((t) => t.promoted === "byte-identical");
    expect(promoted.some((t) => t.candidate.includes("depthwise_kernel"))).toBe(true);
    expect(promoted.some((t) => t.candidate.endsWith("/gamma:0"))).toBe(true);
    // The classifier's bias indexes classes, not hidden units: never tested along them.
    expect(c.tensors.find((t) => t.candidate === "predictions/bias:0")!.informative).toBe(false);
    expect(c.identical!.tensors).toBeGreaterThan(90);
    expect(c.combination!.tensors).toBeGreaterThan(90);
  });

  it("a tiny CNN where every tensor is below the informative size: byte-identical -> reused", async () => {
    const m = mobileNetKeras(8, [8, 16, 16, 24], 4);
    expect([...m.values()].every((t) => t.data.length < 4096)).toBe(true);
    const ref = path.join(tmp, "tinycnn-ref");
    const cand = path.join(tmp, "tinycnn-copy");
    await saveModel(ref, m);
    await saveModel(cand, m);
    const { code, report } = await check(cand, ref);
    expect(code).toBe(1);
    expect(only(report).verdict).toBe("reused");
    expect(only(report).identical!.tensors).toBeGreaterThan(10);
  });

  it("two independently initialised MobileNet-like CNNs are not reused", async () => {
    const ref = path.join(tmp, "mobilenet-a");
    const cand = path.join(tmp, "mobilenet-b");
    await saveModel(ref, drifted(mobileNetKeras(9), 1, 0.2));
    await saveModel(cand, drifted(mobileNetKeras(10), 2, 0.2));
    const { code, report } = await check(cand, ref);
    expect(code).not.toBe(1);
    const c = only(report);
    expect(c.verdict).not.toBe("reused");
    expect(c.tensors.some((t) => t.promoted)).toBe(false);
    expect(c.identical!.tensors).toBe(0);
  });
});

describe("the mirror: a reference stored in another framework's layout, a PyTorch candidate", () => {
  it("a Keras-layout reference ([in, out] dense_N/kernel:0): the PyTorch fine-tune is reused, the independent model is not", async () => {
    const a = await loadModel(await tiny("llm-a"));
    const ref = path.join(tmp, "mirror-keras-a");
    await saveModel(ref, kerasLayout(a.tensors), { dtype: "BF16" });
    const derived = await check(await tiny("llm-a-sft"), ref);
    expect(only(derived.report).verdict).toBe("reused");
    const dense = only(derived.report).tensors.filter((t) => t.reference.startsWith("dense_"));
    expect(dense.length).toBeGreaterThanOrEqual(25);
    expect(dense.filter((t) => t.standsOut).length).toBeGreaterThanOrEqual(25);
    const independent = await check(await tiny("llm-b"), ref);
    expect(only(independent.report).verdict).not.toBe("reused");
  });

  it("an ONNX-layout reference (onnx::MatMul_N [in, out]): the PyTorch fine-tune is reused, the independent model is not", async () => {
    const a = await loadModel(await tiny("llm-a"));
    const ref = path.join(tmp, "mirror-onnx-a");
    const { model, names } = onnxLayout(a.tensors);
    await saveModel(ref, model, { dtype: "BF16" });
    const derived = await check(await tiny("llm-a-sft"), ref);
    expect(only(derived.report).verdict).toBe("reused");
    // Every MatMul met the candidate tensor it came from, along the right axes.
    const onnx = only(derived.report).tensors.filter((t) => t.reference.startsWith("onnx::MatMul_"));
    expect(onnx.length).toBe(29);
    expect(onnx.filter((t) => names.get(t.reference) === t.candidate && t.standsOut && /reference-layout:in-out/.test(t.transform)).length).toBe(29);
    const independent = await check(await tiny("llm-b"), ref);
    expect(only(independent.report).verdict).not.toBe("reused");
  });

  it("a CNN reference stored [kh, kw, in, out]: a PyTorch fine-tune is reused, an independent CNN is not", async () => {
    const ref = path.join(tmp, "mirror-cnn-ref");
    await saveModel(ref, toKerasCnn(cnnTorch(11)));
    const derived = path.join(tmp, "mirror-cnn-sft");
    await saveModel(derived, drifted(cnnTorch(11), 5, 0.15));
    const d = await check(derived, ref);
    expect(only(d.report).verdict).toBe("reused");
    const byRef = Object.fromEntries(only(d.report).tensors.map((t) => [t.reference, t]));
    expect(byRef["conv2d_1/kernel:0"]!.candidate).toBe("features.3.weight");
    expect(byRef["conv2d_1/kernel:0"]!.standsOut).toBe(true);
    expect(byRef["depthwise_conv2d/depthwise_kernel:0"]!.candidate).toBe("features.6.weight");
    const other = path.join(tmp, "mirror-cnn-other");
    await saveModel(other, drifted(cnnTorch(12), 6, 0.15));
    expect(only((await check(other, ref)).report).verdict).toBe("independent");
  });

  it("a reference layout names and shapes leave open is tried both ways too, the selection paid for", async () => {
    const g = cnnTorch(21);
    // 16 output channels: a permutation test over n units cannot go below 1/n! (8 channels: 2.5e-5), so a
    // tensor that must stand out alone at 1e-6 needs more than 8.
    const k = { shape: [16, 16, 16, 16], data: Float32Array.from({ length: 16 ** 4 }, (_, i) => g.get("features.3.weight")!.data[i % 18432]! * (1 + ((i * 2654435761) >>> 0) / 2 ** 33)) };
    const refDir = path.join(tmp, "mirror-amb-ref");
    // The reference stored HWIO under a name that says nothing; the candidate a PyTorch fine-tune.
    await saveModel(refDir, new Map([["k0", permute4(k, [2, 3, 1, 0])]]));
    const candDir = path.join(tmp, "mirror-amb-cand");
    await saveModel(candDir, new Map([["net.0.weight", drifted(new Map([["x", k]]), 3, 0.1).get("x")!]]));
    const t = only((await check(candDir, refDir)).report).tensors[0]!;
    expect(t.pearson!).toBeGreaterThan(0.9);
    expect(t.standsOut).toBe(true);
    expect(t.transform).toMatch(/layout:/);
    const decidedDir = path.join(tmp, "mirror-amb-decided");
    await saveModel(decidedDir, new Map([["k0/kernel:0", permute4(k, [2, 3, 1, 0])]]));
    const decided = only((await check(candDir, decidedDir)).report).tensors[0]!;
    expect(decided.standsOut).toBe(true);
    expect(t.permutation!.log10p - decided.permutation!.log10p).toBeCloseTo(Math.log10(2), 6);
  });
});
