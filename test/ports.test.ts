/**
 * Ports between frameworks (issue 24 item 3): a CNN ported Caffe -> TensorFlow -> PyTorch keeps every value
 * but swaps its kernels' spatial axes (kh <-> kw) and feeds its first dense layer a flatten in the other
 * order (H·W·C against C·H·W). Both are layout looks the engine tries and pays for: a port is `reused`
 * with nearly all of its parameters shown derived; an independent CNN stays independent. Generated CNNs
 * (test/helpers/ports.ts), and a real one: face-api's face-recognition ResNet (TF.js, dlib's weights),
 * ported to PyTorch layout with its taps swapped by scripts/port-cnn.mts. All through the CLI.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { ComponentResult } from "../src/report/schema.js";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { saveModel } from "./helpers/model-io.js";
import { portKeras, portTorch, vggLike } from "./helpers/ports.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

let dir: string;

async function check(candidate: string, reference: string): Promise<{ code: number; verdict: string; comp: ComponentResult }> {
  const out = path.join(path.dirname(candidate), `${path.basename(candidate)}-vs-${path.basename(reference)}.json`);
  const r = await runCli(["check", "--candidate", candidate, "--reference", reference, "--report", out, "--quiet"]);
  const report = await readReport(out);
  return { code: r.code, verdict: report.verdict, comp: report.references[0]!.components[0]! };
}

const transformOf = (c: ComponentResult, name: string) => c.tensors.find((t) => t.candidate === name)?.transform ?? "";

describe("a generated VGG-like CNN and its ports", () => {
  const at = (name: string) => path.join(dir, name);
  beforeAll(async () => {
    dir = await tempDir("ports");
    const reference = vggLike(1);
    await saveModel(at("reference"), reference, { dtype: "F32" });
    await saveModel(at("port"), portTorch(reference), { dtype: "F32" });
    await saveModel(at("port-tuned"), portTorch(reference, { seed: 5, sd: 0.3 }), { dtype: "F32" });
    await saveModel(at("keras"), portKeras(reference), { dtype: "F32" });
    await saveModel(at("independent"), vggLike(2), { dtype: "F32" });
    await saveModel(at("independent-port"), portTorch(vggLike(2)), { dtype: "F32" });
  });

  it("a port that copies every value (taps swapped, flatten H·W·C) is reused with share ≥ 0.99", async () => {
    const { code, verdict, comp } = await check(at("port"), at("reference"));
    expect(verdict).toBe("reused");
    expect(code).toBe(1);
    expect(comp.share).toBeGreaterThanOrEqual(0.99);
    expect(transformOf(comp, "classifier.0.weight")).toMatch(/layout:flatten-hwc-to-chw/);
    expect(transformOf(comp, "features.0.weight")).toMatch(/layout:taps-swapped/);
  });

  it("the port fine-tuned further (Pearson ~0.95, no value equal) is still found layer by layer: share ≥ 0.99", async () => {
    const { verdict, comp } = await check(at("port-tuned"), at("reference"));
    expect(verdict).toBe("reused");
    expect(comp.share).toBeGreaterThanOrEqual(0.99);
    expect(comp.tensors.find((t) => t.candidate === "classifier.0.weight")!.standsOut).toBe(true);
  });

  it("the network stored by Keras after a correct port (dense rows H·W·C) is reused with share ≥ 0.99", async () => {
    const { verdict, comp } = await check(at("keras"), at("reference"));
    expect(verdict).toBe("reused");
    expect(comp.share).toBeGreaterThanOrEqual(0.99);
    expect(transformOf(comp, "dense_0/kernel:0")).toMatch(/layout:in-out\+layout:flatten-hwc-to-chw/);
  });

  it("an independent CNN, as stored or ported, stays independent (the extra looks are paid for)", async () => {
    for (const name of ["independent", "independent-port"]) {
      const { code, verdict, comp } = await check(at(name), at("reference"));
      expect(verdict).toBe("independent");
      expect(code).toBe(0);
      expect(comp.share).toBe(0);
    }
  });
});

const MODELS = path.join(REPO_ROOT, "node_modules/@vladmandic/face-api/model");
const run = promisify(execFile);

describe.skipIf(!existsSync(MODELS))("a real CNN ported: face-api's face-recognition ResNet, TF.js -> PyTorch layout with its taps swapped", () => {
  const script = (name: string, ...args: string[]) => run(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "scripts", name), ...args], { cwd: REPO_ROOT });
  let real: string;
  beforeAll(async () => {
    real = await tempDir("ports-real");
    await script("tfjs-to-safetensors.mts", path.join(MODELS, "face_recognition_model-weights_manifest.json"), path.join(real, "tfjs"));
    await script("port-cnn.mts", path.join(real, "tfjs", "model.safetensors"), path.join(real, "torch-port"));
    await script("tfjs-to-safetensors.mts", path.join(MODELS, "face_landmark_68_model-weights_manifest.json"), path.join(real, "landmarks"));
  });

  it("the port (117 tensors renamed, every 3x3 and 7x7 kernel [out, in, kw, kh]) is reused with share ≥ 0.99", async () => {
    const { code, verdict, comp } = await check(path.join(real, "torch-port"), path.join(real, "tfjs"));
    expect(verdict).toBe("reused");
    expect(code).toBe(1);
    expect(comp.share).toBeGreaterThanOrEqual(0.99);
    expect(comp.tensors.some((t) => /taps-swapped/.test(t.transform))).toBe(true);
  });

  it("the port against another network (the 68-landmark net) is not reused", async () => {
    const { verdict } = await check(path.join(real, "torch-port"), path.join(real, "landmarks"));
    expect(verdict).not.toBe("reused");
  });
});
