/** Run one evasion case through the real CLI and return the JSON report. */
import path from "node:path";
import type { ComponentResult, Report } from "../../src/report/schema.js";
import { readReport, runCli } from "../helpers/run-cli.js";
import type { EvasionCase } from "./cases.js";
import { materialise } from "./materialise.js";
import { tempDir } from "../helpers/temp.js";

export async function runCase(c: EvasionCase, references?: string[]): Promise<{ code: number; report: Report }> {
  const candidate = await materialise(c.candidate);
  const refs = references ?? [await materialise(c.reference)];
  const out = path.join(await tempDir("case"), "report.json");
  const run = await runCli(["check", "--candidate", candidate, ...refs.flatMap((r) => ["--reference", r]), "--report", out, "--quiet"]);
  return { code: run.code, report: await readReport(out) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : Number.NaN;
}

/** The evidence of a component, summarised for assertions and tables. */
export function evidence(c: ComponentResult) {
  const informative = c.tensors.filter((t) => t.informative && t.z !== null && !t.error);
  const stand = c.tensors.filter((t) => t.standsOut);
  return {
    verdict: c.verdict,
    share: c.share,
    standingOut: stand.length,
    medianStandOutZ: median(stand.map((t) => Math.abs(t.z!))),
    maxAbsZ: Math.max(0, ...informative.map((t) => Math.abs(t.z!))),
    /** The component's combined p-value, corrected over the family (0 when nothing was tested). */
    log10pCorrected: c.log10pCorrected ?? 0,
    transforms: [...new Set(stand.map((t) => t.transform))].sort(),
  };
}
