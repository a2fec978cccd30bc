/**
 * The power to see a shared start: two CNNs of different depths built by one script that seeds its
 * initialisation, trained apart, keep their first conv layer (24 x 3 x 3 x 3 = 648 elements) correlated at
 * r ~ 0.9 with every output channel aligned, and nothing else. That first layer alone must make the pair
 * not independent, however many unrelated deeper layers the shape order pairs with each other.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type FloatTensors, gaussian } from "../src/examples/generate.js";
import type { Report } from "../src/report/schema.js";
import { saveModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("shared-start");
});

/** A plain CNN of `depth` 3x3 convs (24 channels, then 32), batch norms, a 6-class classifier. */
function cnn(seed: number, depth: number): FloatTensors {
  const g = gaussian(seed);
  const m: FloatTensors = new Map();
  const mat = (shape: number[], fanIn: number) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g() / Math.sqrt(fanIn)) });
  const vec = (n: number, mean: number, sd: number) => ({ shape: [n], data: Float32Array.from({ length: n }, () => mean + sd * g()) });
  let cin = 3;
  for (let l = 0; l < depth; l++) {
    const cout = l === 0 ? 24 : 32;
    m.set(`features.${3 * l}.weight`, mat([cout, cin, 3, 3], cin * 9));
    m.set(`features.${3 * l + 1}.weight`, vec(cout, 1, 0.1));
    m.set(`features.${3 * l + 1}.bias`, vec(cout, 0, 0.1));
    cin = cout;
  }
  m.set("classifier.weight", mat([6, cin], cin));
  return m;
}

async function check(candidate: FloatTensors, reference: FloatTensors, name: string): Promise<{ code: number; report: Report }> {
  const c = path.join(tmp, `${name}-cand`);
  const r = path.join(tmp, `${name}-ref`);
  await saveModel(c, candidate);
  await saveModel(r, reference);
  const out = path.join(tmp, `${name}.json`);
  const run = await runCli(["check", "--candidate", c, "--reference", r, "--report", out, "--quiet"]);
  return { code: run.code, report: await readReport(out) };
}

describe("a shared start seen in a small first layer", () => {
  it("13 against 19 layers, only the first conv shared (r ~ 0.9): not independent, the first conv stands out", async () => {
    const reference = cnn(1, 13);
    const candidate = cnn(2, 19);
    const first = reference.get("features.0.weight")!;
    const g = gaussian(99);
    candidate.set("features.0.weight", { shape: first.shape, data: Float32Array.from(first.data, (v) => 0.9 * v + Math.sqrt(1 - 0.81) * (g() / Math.sqrt(27))) });
    const { report } = await check(candidate, reference, "shared-first");
    expect(report.verdict).toBe("reused");
    const c = report.references[0]!.components[0]!;
    const conv = c.tensors.find((t) => t.candidate === "features.0.weight")!;
    expect(conv.informative).toBe(true);
    expect(conv.standsOut).toBe(true);
    // Unrelated deeper layers were compared too, and did not drag the combination to 1.
    expect(c.combination!.tensors).toBeGreaterThan(10);
  });

  it("the same two depths with no shared start: independent", async () => {
    const { report } = await check(cnn(3, 19), cnn(4, 13), "independent");
    expect(report.verdict).toBe("independent");
  });

  it("a deeper copy with six fresh layers inserted in the middle: each copied layer finds its partner by evidence, and the share is the copied one", async () => {
    const reference = cnn(5, 13);
    const fresh = cnn(6, 19);
    const candidate: FloatTensors = new Map();
    const g = gaussian(7);
    const noisy = (t: { shape: number[]; data: Float32Array }) => ({ shape: t.shape, data: Float32Array.from(t.data, (v) => 0.95 * v + 0.31 * v * g()) });
    // Candidate layers 0-1 and 8-18 are the reference's 0-1 and 2-12 (kept training: r ~ 0.95); 2-7 are new.
    for (let l = 0; l < 19; l++) {
      const src = l < 2 ? l : l >= 8 ? l - 6 : null;
      for (const k of [0, 1]) {
        const suffix = k === 0 ? ["weight"] : ["weight", "bias"];
        for (const s of suffix) {
          const from = src === null ? fresh.get(`features.${3 * l + k}.${s}`)! : reference.get(`features.${3 * src + k}.${s}`)!;
          candidate.set(`features.${3 * l + k}.${s}`, src === null || k === 1 ? from : noisy(from));
        }
      }
    }
    candidate.set("classifier.weight", fresh.get("classifier.weight")!);
    const { report } = await check(candidate, reference, "inserted");
    expect(report.verdict).toBe("reused");
    const c = report.references[0]!.components[0]!;
    const moved = c.tensors.filter((t) => t.candidate === "features.24.weight" || t.candidate === "features.54.weight");
    // Candidate layer 8 (features.24) meets reference layer 2 (features.6), layer 18 meets layer 12: not the names.
    expect(moved.map((t) => t.reference).sort()).toEqual(["features.36.weight", "features.6.weight"]);
    expect(moved.every((t) => t.standsOut)).toBe(true);
    // 12 of the 18 [32, 32, 3, 3] convs and the first two layers are copies: about 13/19 of the conv weights.
    const convs = c.tensors.filter((t) => t.informative && t.elements >= 648);
    const copied = convs.filter((t) => t.standsOut).length;
    expect(copied).toBeGreaterThanOrEqual(12);
    expect(copied).toBeLessThanOrEqual(13);
  });
});

