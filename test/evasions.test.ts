/**
 * Reuse hidden on purpose must still come out `reused`, with evidence far from
 * the decision line: each evasion applied to a derived model (llm-a-sft, a
 * fine-tune of llm-a; and a GPT-2-like second architecture), alone and combined.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_THRESHOLDS } from "../src/policy/policy.js";
import { DUPLICATED_REFERENCE, EVASIONS, copiedOf } from "./evasion/cases.js";
import { evidence, runCase } from "./evasion/check.js";

describe("evasions still give reused", () => {
  for (const c of [...EVASIONS, DUPLICATED_REFERENCE]) {
    it(c.name, async () => {
      const { code, report } = await runCase(c);
      expect(report.verdict).toBe("reused");
      expect(code).toBe(1);
      const comp = report.references[0]!.components.find((x) => x.verdict === "reused")!;
      const e = evidence(comp);
      // Far from the line: most parameters with evidence, the corrected p at least the square of the
      // level, and the typical standing-out tensor at a normal score of 12 or more.
      expect(e.share).toBeGreaterThanOrEqual(0.5);
      expect(e.log10pCorrected).toBeLessThanOrEqual(2 * Math.log10(DEFAULT_THRESHOLDS.level));
      expect(e.medianStandOutZ).toBeGreaterThanOrEqual(12);
      // The share tells the truth: within 0.1 of the fraction the case actually copied.
      expect(Math.abs(e.share - copiedOf(c))).toBeLessThanOrEqual(0.1);
    });
  }

  it("reports which transform was undone", async () => {
    const byName = (s: string) => [...EVASIONS].find((c) => c.name.startsWith(s))!;
    const transforms = async (s: string) => evidence((await runCase(byName(s))).report.references[0]!.components[0]!).transforms.join(" ");
    expect(await transforms("MLP hidden units permuted")).toMatch(/permuted-rows/);
    expect(await transforms("residual dimension permuted")).toMatch(/residual-permuted/);
    expect(await transforms("layers reordered")).toMatch(/layer-shift/);
    expect(await transforms("QKV fused")).toMatch(/split-qkv/);
    expect(await transforms("every matrix transposed")).toMatch(/transpose/);
    expect(await transforms("renamed to an opaque scheme")).toMatch(/renamed/);
  });
});
