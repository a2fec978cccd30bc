/**
 * Exact copies in any order are decisive (issue 24 item 4): a large tensor whose values are exactly a
 * reference tensor's, rearranged in a way no layout rule explains (elements shuffled, reshaped), is found
 * by its value fingerprint, confirmed by sorted values, promoted (`rearranged-copy`) and counted in the
 * share; constants, low-entropy (quantized) tensors and shared constructions are not, and an independent
 * model stays independent. Through the CLI.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { FloatTensors } from "../src/examples/generate.js";
import type { ComponentResult } from "../src/report/schema.js";
import { distinctSorted, multisetLog10p, sortedValues } from "../src/stats/multiset.js";
import { saveModel } from "./helpers/model-io.js";
import { shuffleLarge, vggLike } from "./helpers/ports.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

/** Values on 64 levels (a 6-bit quantized model). */
function quantized(m: FloatTensors): FloatTensors {
  return shuffleLarge(m, 0, (t) => {
    let hi = 0;
    for (const v of t.data) hi = Math.max(hi, Math.abs(v));
    return { shape: t.shape, data: t.data.map((v) => Math.round((v / hi) * 31) * (hi / 31)) };
  });
}

let dir: string;
const at = (name: string) => path.join(dir, name);

async function check(candidate: string, reference: string): Promise<{ code: number; verdict: string; comp: ComponentResult }> {
  const out = path.join(dir, `${candidate}-vs-${reference}.json`);
  const r = await runCli(["check", "--candidate", at(candidate), "--reference", at(reference), "--report", out, "--quiet"]);
  const report = await readReport(out);
  return { code: r.code, verdict: report.verdict, comp: report.references[0]!.components[0]! };
}

describe("the multiset p-value", () => {
  it("is ~e^-n·√(2πn) for distinct values and weak for few values", () => {
    const distinct = sortedValues(Float32Array.from({ length: 4096 }, (_, i) => i));
    expect(multisetLog10p(distinct)).toBeCloseTo((-4096 + 0.5 * Math.log(2 * Math.PI * 4096)) / Math.LN10, 0);
    const two = sortedValues(Float32Array.from({ length: 4096 }, (_, i) => i % 2));
    expect(distinctSorted(two)).toBe(2);
    expect(multisetLog10p(two)).toBeGreaterThan(-3);
  });
});

describe("exact copies in another element order", () => {
  beforeAll(async () => {
    dir = await tempDir("rearranged");
    const reference = vggLike(1);
    await saveModel(at("reference"), reference, { dtype: "F32" });
    await saveModel(at("shuffled"), shuffleLarge(reference, 3), { dtype: "F32" });
    await saveModel(at("quantized"), quantized(reference), { dtype: "F32" });
    await saveModel(at("quantized-shuffled"), shuffleLarge(quantized(reference), 3), { dtype: "F32" });
    await saveModel(at("independent"), vggLike(2), { dtype: "F32" });
    await saveModel(at("independent-shuffled"), shuffleLarge(vggLike(2), 3), { dtype: "F32" });
  });

  it("every large tensor shuffled and reshaped: reused, each one a rearranged copy, share ≥ 0.99", async () => {
    const { code, verdict, comp } = await check("shuffled", "reference");
    expect(verdict).toBe("reused");
    expect(code).toBe(1);
    const large = comp.tensors.filter((t) => t.elements >= 4096);
    expect(large.length).toBe(4);
    for (const t of large) {
      expect(t.promoted).toBe("rearranged-copy");
      expect(t.standsOut).toBe(true);
      expect(t.reference).toBe(t.candidate);
    }
    expect(comp.share).toBeGreaterThanOrEqual(0.99);
    expect(comp.unmatchedTensors).toBe(0);
  });

  it("a low-entropy (6-bit) tensor in another order is not claimed from its multiset", async () => {
    const { comp } = await check("quantized-shuffled", "quantized");
    expect(comp.tensors.some((t) => t.promoted === "rearranged-copy")).toBe(false);
  });

  it("an independent model, as stored or shuffled, is independent", async () => {
    for (const name of ["independent", "independent-shuffled"]) {
      const { code, verdict, comp } = await check(name, "reference");
      expect(verdict).toBe("independent");
      expect(code).toBe(0);
      expect(comp.tensors.some((t) => t.promoted === "rearranged-copy")).toBe(false);
    }
  });
});
