/**
 * The audit's derived cases (test/audit/cases.ts) through the real CLI: low-rank merges down to
 * Pearson 0.08, one grafted layer, attention-only reuse, per-unit rescaling, Net2Net widening, width
 * pruning, sparse upcycling and a shared initialisation must all be `reused`. The independent half
 * is test/audit-cases.test.ts.
 */
import { describe, it } from "vitest";
import { AUDIT_CASES } from "./audit/cases.js";
import { checkAuditCase } from "./audit/check-case.js";

describe("audit cases: derived models", () => {
  for (const c of AUDIT_CASES.filter((x) => x.expect === "reused")) {
    it(`${c.id}. ${c.name}: ${c.expect}`, () => checkAuditCase(c));
  }
});
