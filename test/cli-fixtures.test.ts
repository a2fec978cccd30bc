/**
 * The ground truth of the trained tiny fixtures (../shared/fixtures/tiny/README.md),
 * through the real CLI: exit codes, verdicts per component, and the JSON report.
 */
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../src/report/schema.js";
import { tiny } from "./helpers/fixtures.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("cli");
});

async function check(candidate: string, references: string[], extra: string[] = []): Promise<{ code: number; report: Report; stdout: string; stderr: string }> {
  const reportPath = path.join(tmp, `${path.basename(candidate)}-${Math.random().toString(36).slice(2)}.json`);
  const args = ["check", "--candidate", candidate, ...references.flatMap((r) => ["--reference", r]), "--report", reportPath, "--quiet", ...extra];
  const run = await runCli(args);
  return { ...run, report: await readReport(reportPath) };
}

describe("trained tiny fixtures", () => {
  it("a fine-tune of llm-a is reused: exit 1, most parameters matched, evidence far past the line", async () => {
    const { code, report } = await check(await tiny("llm-a-sft"), [await tiny("llm-a")]);
    expect(code).toBe(1);
    expect(report.verdict).toBe("reused");
    const ref = report.references[0]!;
    expect(ref.verdict).toBe("reused");
    const model = ref.components.find((c) => c.name === "model")!;
    expect(model.verdict).toBe("reused");
    expect(model.share).toBeGreaterThan(0.8);
    expect(model.pearsonMedian!).toBeGreaterThan(0.9);
    expect(model.zMedian!).toBeGreaterThan(report.thresholds.minZ * 5);
    expect(report.gate.failed).toBe(true);
  });

  it("an independent model (other seed) passes although its RMSNorm raw cosines are ~0.99", async () => {
    const { code, report } = await check(await tiny("llm-b"), [await tiny("llm-a")]);
    expect(code).toBe(0);
    expect(report.verdict).toBe("independent");
    const model = report.references[0]!.components[0]!;
    const norms = model.tensors.filter((t) => t.role.includes("norm"));
    expect(norms.length).toBeGreaterThanOrEqual(9);
    // The trap: raw cosine of norm gains is high for unrelated models...
    expect(Math.min(...norms.map((t) => t.cosine!))).toBeGreaterThan(0.99);
    // ...and they never count as evidence; the matrices decide, far from the line.
    expect(norms.every((t) => !t.informative && !t.standsOut)).toBe(true);
    const maxAbsZ = Math.max(...model.tensors.filter((t) => t.informative).map((t) => Math.abs(t.z!)));
    expect(maxAbsZ).toBeLessThan(report.thresholds.minZ / 1.5);
    expect(model.share).toBe(0);
  });

  it("vlm-cand reuses vlm-ref's vision tower under other names; language and projector are independent", async () => {
    const { code, report } = await check(await tiny("vlm-cand"), [await tiny("vlm-ref")]);
    expect(code).toBe(1);
    const comps = Object.fromEntries(report.references[0]!.components.map((c) => [c.name, c]));
    expect(Object.keys(comps).sort()).toEqual(["language", "projector", "vision"]);
    expect(comps.vision!.verdict).toBe("reused");
    expect(comps.vision!.share).toBeGreaterThan(0.9);
    const qkv = comps.vision!.tensors.find((t) => t.candidate === "model.vision_model.blocks.3.attn.qkv.weight")!;
    expect(qkv.reference).toBe("visual.blocks.3.attn.qkv.weight");
    expect(qkv.standsOut).toBe(true);
    expect(comps.vision!.tensors.some((t) => t.candidate.startsWith("model.vision_model.merger.") && t.standsOut)).toBe(true);
    expect(comps.language!.verdict).toBe("independent");
    expect(comps.language!.share).toBe(0);
    expect(comps.projector!.verdict).toBe("independent");
    expect(comps.projector!.reason).toMatch(/no tensor of compatible shape/);
    expect(comps.projector!.unmatchedTensors).toBeGreaterThan(0);
    // Shares are of the candidate's parameters, per component.
    const total = report.candidate.components.reduce((s, c) => s + c.parameters, 0);
    expect(total).toBe(report.candidate.parameters);
  });

  it("a vision tower against a text-only reference is independent, with the reason stated", async () => {
    const { code, report } = await check(await tiny("vlm-cand"), [await tiny("llm-a")]);
    expect(code).toBe(0);
    const vision = report.references[0]!.components.find((c) => c.name === "vision")!;
    expect(vision.verdict).toBe("independent");
    expect(vision.reason).toMatch(/no tensor of compatible shape/);
  });

  it("every independent pair of the ground-truth table passes", async () => {
    const pairs: [Parameters<typeof tiny>[0], Parameters<typeof tiny>[0]][] = [
      ["llm-a-sft", "llm-b"],
      ["llm-a", "vlm-ref"],
      ["llm-a-sft", "vlm-ref"],
      ["llm-b", "vlm-ref"],
      ["llm-a", "vlm-cand"],
    ];
    for (const [a, b] of pairs) {
      const { code, report } = await check(await tiny(a), [await tiny(b)]);
      expect({ pair: `${a}/${b}`, verdict: report.verdict, code }).toEqual({ pair: `${a}/${b}`, verdict: "independent", code: 0 });
    }
  });

  it("several references: the overall verdict is reused if any is, and reused-references are listed", async () => {
    const { code, report } = await check(await tiny("llm-a-sft"), [await tiny("llm-b"), await tiny("llm-a")]);
    expect(code).toBe(1);
    expect(report.references.map((r) => r.verdict)).toEqual(["independent", "reused"]);
    expect(report.verdict).toBe("reused");
  });

  it("--fail-on never passes a reused model; the verdict is still reported", async () => {
    const { code, report } = await check(await tiny("llm-a-sft"), [await tiny("llm-a")], ["--fail-on", "never"]);
    expect(code).toBe(0);
    expect(report.verdict).toBe("reused");
    expect(report.gate.failed).toBe(false);
  });

  it("thresholds appear in the report and change the decision", async () => {
    const { code, report } = await check(await tiny("llm-a-sft"), [await tiny("llm-a")], ["--min-pearson", "0.999"]);
    expect(report.thresholds.minPearson).toBe(0.999);
    expect(report.verdict).not.toBe("reused");
    expect(code).toBe(0);
  });

  it("--components overrides detection with globs", async () => {
    const { report } = await check(await tiny("vlm-cand"), [await tiny("vlm-ref")], [
      "--components",
      "tower=model.vision_model.blocks.*;rest=model.language_model.*",
    ]);
    const names = report.references[0]!.components.map((c) => c.name).sort();
    expect(names).toEqual(["rest", "tower"]);
    expect(report.references[0]!.components.find((c) => c.name === "tower")!.verdict).toBe("reused");
  });

  it("the JSON report carries the documented schema", async () => {
    const { report } = await check(await tiny("vlm-cand"), [await tiny("vlm-ref")]);
    expect(report.schemaVersion).toBe(2);
    // The test's family and level (schema 2): every component against every reference.
    expect(report.family).toEqual({ size: report.candidate.components.length * report.references.length, references: 1, components: report.candidate.components.length, correction: "bonferroni" });
    expect(report.thresholds).toMatchObject({ level: 1e-6, reviewLevel: 1e-3, minEffect: 0.05, minShare: 0 });
    expect(report.tool.name).toBe("fromscratch");
    expect(report.candidate).toMatchObject({ source: expect.any(String), revision: null, parameters: expect.any(Number) });
    const r = report.references[0]!;
    expect(r).toMatchObject({ source: expect.any(String), revision: null, license: null, verdict: "reused" });
    const c = r.components.find((x) => x.name === "vision")!;
    for (const k of ["name", "verdict", "share", "candidateParameters", "matchedParameters", "null", "pearsonMedian", "tensors"]) {
      expect(c).toHaveProperty(k);
    }
    expect(c.null).toMatchObject({ mean: expect.any(Number), sd: expect.any(Number), n: expect.any(Number) });
    expect(c.combination).toEqual({ method: "truncated-cauchy", tensors: expect.any(Number) });
    expect(c.log10p).toBeLessThan(-6);
    expect(c.log10pCorrected).toBeCloseTo(c.log10p! + Math.log10(report.family!.size), 6);
    expect(c.effect).toBeGreaterThan(0.5);
    const t = c.tensors[0]!;
    for (const k of ["candidate", "reference", "elements", "cosine", "pearson", "z", "identical", "transform"]) expect(t).toHaveProperty(k);
    // Every tested tensor carries its p-value and effect; its z is its test's normal score.
    const tested = c.tensors.filter((x) => x.informative && !x.error);
    expect(tested.length).toBeGreaterThan(0);
    for (const x of tested) {
      expect(x.log10p).toBeLessThanOrEqual(0);
      expect(Math.abs(x.effect!)).toBeLessThanOrEqual(1);
      expect(x.permutation).toMatchObject({ units: expect.any(Number), features: expect.any(Number), axis: expect.stringMatching(/^(rows|cols)$/) });
    }
    expect(report.bytesRead).toBeGreaterThan(0);
    expect(report.seconds).toBeGreaterThanOrEqual(0);
  });

  it("--format json and markdown print the report to stdout", async () => {
    const json = await runCli(["check", "--candidate", await tiny("llm-b"), "--reference", await tiny("llm-a"), "--format", "json", "--quiet"]);
    expect(JSON.parse(json.stdout).verdict).toBe("independent");
    const md = await runCli(["check", "--candidate", await tiny("vlm-cand"), "--reference", await tiny("vlm-ref"), "--format", "markdown", "--quiet"]);
    expect(md.stdout).toMatch(/^## fromscratch: .* REUSED/m);
    expect(md.stdout).toMatch(/\| vision \| 🔴 reused \|/);
  });
});
