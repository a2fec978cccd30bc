/**
 * The TypeScript trainer of the calibration zoo (test/helpers/train-zoo.ts):
 * its backward pass is the gradient, training is deterministic, it learns and
 * moves the weights well away from their init, other seeds give other weights,
 * the zoo's pairs are disjoint, and a second call reuses the cache.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "./helpers/model-io.js";
import { tempDir } from "./helpers/temp.js";
import { type ArchPlan, CI_ZOO, type ZooSpec, gradientCheck, trainModel, trainZoo, zooPairs } from "./helpers/train-zoo.js";

const plan = (arch: string): ArchPlan => CI_ZOO.plans.find((p) => p.arch === arch)!;

/** The CI architectures, two seeds per dataset, a few steps: small enough to train twice. */
const TINY: ZooSpec = {
  plans: CI_ZOO.plans.map((p) => ({ ...p, seeds: 2, finetunes: 1, train: { ...p.train, steps: 10, batch: p.model.kind === "lm" ? 2 : 16 } })),
};

describe("train-zoo: the trainer", () => {
  it.each(CI_ZOO.plans.map((p) => [p.arch, p] as const))("%s: the manual backward pass matches central differences", (_, p) => {
    // One sequence (or four samples) per batch keeps the check quick; every parameter gets 4 probes.
    const check = gradientCheck({ name: `${p.arch}-gradcheck`, model: p.model, dataset: p.datasets[0], train: { ...p.train, batch: p.model.kind === "lm" ? 1 : 4 } }, 4);
    expect(check.worst, check.name).toBeLessThan(1e-4);
  });

  it.each(CI_ZOO.plans.map((p) => [p.arch, p] as const))("%s: the loss drops and every matrix moves well away from its init", (_, p) => {
    const { metrics } = trainModel({ name: `${p.arch}-${p.datasets[1]}-learns`, model: p.model, dataset: p.datasets[1], train: p.train });
    // Uniform guessing is ln 96 = 4.56 (bytes) and ln 64 = 4.16 (classes); both end far below.
    expect(metrics.heldoutAfter).toBeLessThan(metrics.heldoutBefore - 1.2);
    expect(metrics.trainLast).toBeLessThan(metrics.trainFirst - 1);
    const matrices = Object.entries(metrics.relativeChange).filter(([name]) => !/norm|bias/.test(name));
    expect(matrices.length).toBeGreaterThanOrEqual(3);
    for (const [name, change] of matrices) expect(change, name).toBeGreaterThan(0.5);
  });

  it("the same spec gives byte-identical files; another seed gives other weights", async () => {
    const [a, b] = [await tempDir("zoo-a"), await tempDir("zoo-b")];
    const zooA = await trainZoo(a, TINY);
    const zooB = await trainZoo(b, TINY);
    expect(zooA.models.length).toBe(TINY.plans.length * 5);
    for (const m of zooA.models) {
      const [x, y] = [await readFile(path.join(a, m.name, "model.safetensors")), await readFile(path.join(b, m.name, "model.safetensors"))];
      expect(Buffer.compare(x, y), m.name).toBe(0);
      expect(zooB.models.find((n) => n.name === m.name)!.sha256).toBe(m.sha256);
    }
    expect(new Set(zooA.models.map((m) => m.sha256)).size).toBe(zooA.models.length);
    // Two seeds on the same data: every matrix differs, and not by a little.
    for (const arch of ["llama", "mixer", "mlp"]) {
      const p = zooA.pairs.find((x) => x.arch === arch && x.relation === "same-data")!;
      const s = await loadModel(path.join(a, p.candidate));
      const t = await loadModel(path.join(a, p.reference));
      for (const [name, u] of s.tensors) {
        if (u.shape.length < 2) continue;
        const v = t.tensors.get(name)!;
        let diff = 0;
        let norm = 0;
        for (let i = 0; i < u.data.length; i++) {
          diff += (u.data[i]! - v.data[i]!) ** 2;
          norm += u.data[i]! ** 2;
        }
        expect(Math.sqrt(diff / norm), `${arch} ${name}`).toBeGreaterThan(0.5);
      }
    }
  });

  it("a fine-tune starts from its base: it stays close to it", async () => {
    const dir = await tempDir("zoo-ft");
    const zoo = await trainZoo(dir, { plans: [{ ...plan("mlp"), seeds: 2, finetunes: 1 }] });
    const ft = zoo.models.find((m) => m.base !== null)!;
    expect(ft.name).toBe("mlp-teacher1-s1-ft-teacher2");
    expect(ft.base).toBe("mlp-teacher1-s1");
    // Relative to the base it moved (it learned the other teacher) but far less than a base moves from its init.
    for (const [name, change] of Object.entries(ft.metrics.relativeChange)) if (name.endsWith(".weight")) expect(change, name).toBeLessThan(0.5);
    expect(ft.metrics.heldoutAfter).toBeLessThan(ft.metrics.heldoutBefore);
  });

  it("a second call reuses every model; a changed file is retrained, with its fine-tune", async () => {
    const dir = await tempDir("zoo-cache");
    const spec: ZooSpec = { plans: [{ ...plan("mlp"), seeds: 2, finetunes: 1, train: { ...plan("mlp").train, steps: 10 } }] };
    const first = await trainZoo(dir, spec);
    expect(first.reused).toBe(0);
    const again = await trainZoo(dir, spec);
    expect(again.reused).toBe(first.models.length);
    expect(again.seconds).toBe(0);
    expect(again.models.map((m) => m.sha256)).toEqual(first.models.map((m) => m.sha256));
    const file = path.join(dir, "mlp-teacher1-s1", "model.safetensors");
    await writeFile(file, Buffer.concat([await readFile(file), Buffer.from([0])]));
    const repaired = await trainZoo(dir, spec);
    // The base whose file changed and nothing else: its fine-tune's key holds the base's hash, which came back the same.
    expect(repaired.reused).toBe(first.models.length - 1);
    expect(repaired.models.map((m) => m.sha256)).toEqual(first.models.map((m) => m.sha256));
    const changed = await trainZoo(dir, { plans: [{ ...spec.plans[0]!, train: { ...spec.plans[0]!.train, steps: 11 } }] });
    expect(changed.reused).toBe(0);
  });
});

describe("train-zoo: the CI zoo's pairs", () => {
  const pairs = zooPairs(CI_ZOO);
  const independent = pairs.filter((p) => p.relation !== "derived");

  it("at least 50 independent pairs, disjoint (each model in exactly one), both relations in every architecture", () => {
    expect(independent.length).toBeGreaterThanOrEqual(50);
    const names = independent.flatMap((p) => [p.candidate, p.reference]);
    expect(new Set(names).size).toBe(names.length);
    for (const arch of new Set(pairs.map((p) => p.arch))) {
      const rel = new Set(independent.filter((p) => p.arch === arch).map((p) => p.relation));
      expect([...rel].sort(), arch).toEqual(["different-data", "same-data"]);
    }
  });

  it("derived pairs: a fine-tune on the other dataset against its base", () => {
    const derived = pairs.filter((p) => p.relation === "derived");
    expect(derived.length).toBeGreaterThanOrEqual(3);
    for (const p of derived) expect(p.candidate.startsWith(`${p.reference}-ft-`), p.candidate).toBe(true);
  });
});
