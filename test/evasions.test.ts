/**
 * Reuse hidden on purpose must still come out `reused`, with evidence far from
 * the decision line: each evasion applied to a derived model (llm-a-sft, a
 * fine-tune of llm-a; and a GPT-2-like second architecture), alone and combined.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_THRESHOLDS } from "../src/policy/policy.js";
import { DUPLICATED_REFERENCE, EVASIONS } from "./evasion/cases.js";
import { evidence, runCase } from "./evasion/check.js";

describe("evasions still give reused", () => {
  for (const c of [...EVASIONS, DUPLICATED_REFERENCE]) {
    it(c.name, async () => {
      const { code, report } = await runCase(c);
      expect(report.verdict).toBe("reused");
      expect(code).toBe(1);
      const comp = report.references[0]!.components.find((x) => x.verdict === "reused")!;
      const e = evidence(comp);
      // Far from the line: twice the share threshold, and the typical standing-out tensor at twice min-z.
      expect(e.share).toBeGreaterThanOrEqual(2 * DEFAULT_THRESHOLDS.minShare);
      expect(e.medianStandOutZ).toBeGreaterThanOrEqual(2 * DEFAULT_THRESHOLDS.minZ);
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
