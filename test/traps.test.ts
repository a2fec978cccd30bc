/**
 * Honest models must never be accused: same architecture, tokenizer, data and
 * init scheme with another seed; identical constants; layers duplicated from
 * the model itself; many references at once. Evidence stays far from the line.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { llamaConfig, llamaModel, writeModel } from "../src/examples/generate.js";
import { DEFAULT_THRESHOLDS } from "../src/policy/policy.js";
import { TRAPS } from "./evasion/cases.js";
import { evidence, runCase } from "./evasion/check.js";
import { materialise } from "./evasion/materialise.js";
import { tempDir } from "./helpers/temp.js";

describe("traps never give reused", () => {
  for (const c of TRAPS) {
    it(c.name, async () => {
      const { code, report } = await runCase(c);
      expect(report.verdict).not.toBe("reused");
      expect(code).toBe(0);
      for (const comp of report.references[0]!.components) {
        const e = evidence(comp);
        expect(e.share).toBe(0);
        // Far from the line: no tensor past a normal score of 3, the component not even at the review level.
        expect(e.maxAbsZ).toBeLessThanOrEqual(3);
        expect(e.log10pCorrected).toBeGreaterThan(Math.log10(DEFAULT_THRESHOLDS.reviewLevel));
      }
    });
  }

  it("20 unrelated references at once: no false alarm anywhere", async () => {
    const dir = await tempDir("20refs");
    const shape = { hidden: 128, intermediate: 352, layers: 4, vocab: 260 };
    const refs = [await materialise({ from: "llm-a" }), await materialise({ from: "vlm-ref" })];
    for (let seed = 100; refs.length < 20; seed++) {
      const d = path.join(dir, `ref-${seed}`);
      await writeModel(d, llamaModel(shape, seed), llamaConfig(shape));
      refs.push(d);
    }
    const { code, report } = await runCase(TRAPS[0]!, refs);
    expect(report.references).toHaveLength(20);
    expect(report.references.filter((r) => r.verdict === "reused")).toEqual([]);
    expect(code).toBe(0);
    const maxZ = Math.max(...report.references.flatMap((r) => r.components.map((c) => evidence(c).maxAbsZ)));
    expect(maxZ).toBeLessThan(6);
    const minP = Math.min(...report.references.flatMap((r) => r.components.map((c) => evidence(c).log10pCorrected)));
    expect(minP).toBeGreaterThan(Math.log10(DEFAULT_THRESHOLDS.level));
  }, 600_000);
});
