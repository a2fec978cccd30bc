/** Sampled mode (--sample): a fraction of each large matrix's rows, same verdicts as exact, fewer bytes, error shown. */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { drifted, llamaConfig, llamaModel, writeModel } from "../src/examples/generate.js";
import type { Report } from "../src/report/schema.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

const SHAPE = { hidden: 512, intermediate: 1408, layers: 2, vocab: 2048 };
let dir: string;

beforeAll(async () => {
  dir = await tempDir("sampling");
  const base = llamaModel(SHAPE, 1);
  await writeModel(path.join(dir, "base"), base, llamaConfig(SHAPE));
  await writeModel(path.join(dir, "finetune"), drifted(base, 2, 0.8), llamaConfig(SHAPE));
  await writeModel(path.join(dir, "independent"), llamaModel(SHAPE, 3), llamaConfig(SHAPE));
});

async function check(candidate: string, extra: string[]): Promise<Report> {
  const out = path.join(dir, `${candidate}-${extra.join("")}.json`);
  await runCli(["check", "--candidate", path.join(dir, candidate), "--reference", path.join(dir, "base"), "--report", out, "--quiet", ...extra]);
  return readReport(out);
}

describe("sampled mode", () => {
  it("gives the verdicts of the exact mode while reading a fraction of the bytes, with the sampling error", async () => {
    for (const candidate of ["finetune", "independent"]) {
      const exact = await check(candidate, ["--sample", "exact"]);
      const sampled = await check(candidate, ["--sample", "0.1"]);
      expect(sampled.verdict).toBe(exact.verdict);
      expect(exact.references[0]!.sampling).toMatchObject({ fraction: 1, mode: "exact", chosen: "--sample" });
      expect(sampled.references[0]!.sampling).toMatchObject({ fraction: 0.1, mode: "sampled" });
      // The direct pass reads at least 256 Ki elements per matrix (~41% of this small model at 0.1); the
      // streamed alignment search, which now runs in sampled mode, adds about a tenth of the exact bytes.
      expect(sampled.bytesRead).toBeLessThan(0.6 * exact.bytesRead);
      if (candidate === "independent") expect(sampled.references[0]!.components[0]!.search?.ran).toBe(true);
      const big = sampled.references[0]!.components[0]!.tensors.filter((t) => t.sampled);
      expect(big.length).toBeGreaterThan(4);
      for (const t of big) {
        // At least 256 Ki elements are read per sampled matrix, so small ones read more than the fraction.
        expect(t.sampled!.fraction).toBeLessThan(0.5);
        expect(t.sampled!.pearsonSe).not.toBeNull();
        expect(t.sampled!.pearsonSe!).toBeLessThan(0.02);
        const twin = exact.references[0]!.components[0]!.tensors.find((x) => x.candidate === t.candidate)!;
        // The sampled Pearson sits within a few standard errors of the exact one.
        // (The element-wise Pearson: where the search's look was the stronger, the tensor shows that one and keeps this in `direct`.)
        const elementWise = (x: typeof t) => (x.direct ? x.direct.pearson : x.pearson)!;
        expect(Math.abs(elementWise(t) - elementWise(twin))).toBeLessThan(5 * t.sampled!.pearsonSe! + 0.005);
      }
    }
  });

  it("is deterministic, and auto mode is exact for small models", async () => {
    const a = await check("finetune", ["--sample", "0.1"]);
    const b = await check("finetune", ["--sample", "0.1"]);
    expect(a.references[0]!.components[0]!.tensors.map((t) => t.pearson)).toEqual(b.references[0]!.components[0]!.tensors.map((t) => t.pearson));
    const auto = await check("finetune", []);
    expect(auto.references[0]!.sampling).toMatchObject({ fraction: 1, mode: "exact", chosen: "auto" });
  });

  it("rejects a fraction outside (0, 1]", async () => {
    for (const bad of ["0", "1.5", "-0.1", "half"]) {
      const run = await runCli(["check", "--candidate", path.join(dir, "finetune"), "--reference", path.join(dir, "base"), "--sample", bad]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/--sample/);
    }
  });
});
