/** One audit case through the real CLI, with the verdict it must get (shared by the two audit test files). */
import { expect } from "vitest";
import { type AuditCase, runAuditCase } from "./cases.js";

export async function checkAuditCase(c: AuditCase): Promise<void> {
  const run = await runAuditCase(c);
  if (c.id === "9") {
    // The merge keeps only a faint trace of llm-a: per-matrix Pearson ~0.08 (as stored, BF16).
    expect(run.measures["min Pearson"]).toBeGreaterThan(0.07);
    expect(run.measures["max Pearson"]).toBeLessThan(0.09);
  }
  expect(run.report.references).toHaveLength(c.references.length);
  const verdicts = run.report.references.map((r) => r.verdict);
  if (c.expect === "reused") {
    expect(verdicts).toEqual(verdicts.map(() => "reused"));
    expect(run.code).toBe(1);
  } else {
    expect(verdicts.filter((v) => v === "reused")).toEqual([]);
  }
}
