/**
 * Messages people trust, through the real CLI and the Action's run() on the
 * bundled example models: p-values past 1e-300 read "< 1e-300" with log10 p
 * beside; alignments on a result that is not reused are "tried", never
 * "undone"; a run stopped before any comparison prints the error and a hint
 * only; the summary names the Action's inputs; an unreachable Hub says so and
 * how to do without it, with a documented code; a candidate with nothing
 * comparable is never a silent pass.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type ActionIO, type AnnotationProps, run } from "../src/action.js";
import { ERROR_CODES } from "../src/common/errors.js";
import { writeExamples } from "../src/examples/generate.js";
import { fmtP } from "../src/report/format.js";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { saveModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

let tmp: string;
let base: string;
let finetune: string;
let independent: string;
let cnn: string;
beforeAll(async () => {
  tmp = await tempDir("messages");
  [base, finetune, independent] = await writeExamples(path.join(tmp, "models"));
  // Not one tensor an LLM could be compared with: another architecture altogether.
  let s = 1;
  const g = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
  const t = (shape: number[]) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, g) });
  cnn = path.join(tmp, "cnn");
  await saveModel(cnn, new Map([["features.0.weight", t([32, 3, 3, 3])], ["classifier.weight", t([10, 1024])]]));
});

let n = 0;
const file = (ext: string) => path.join(tmp, `out-${n++}.${ext}`);

interface Step {
  io: ActionIO;
  outputs: Record<string, string>;
  warnings: { message: string; props?: AnnotationProps }[];
  errors: { message: string; props?: AnnotationProps }[];
  failed: string[];
  summary: string;
}

/** The Action's step in-process, recording what it does to the runner. */
async function step(inputs: Record<string, string>): Promise<Step> {
  const r: Step = { outputs: {}, warnings: [], errors: [], failed: [], summary: "", io: undefined as unknown as ActionIO };
  r.io = {
    getInput: (name) => (inputs[name] ?? "").trim(),
    setOutput: (name, value) => void (r.outputs[name] = value),
    setSecret: () => undefined,
    info: () => undefined,
    warning: (message, props) => void r.warnings.push({ message, props }),
    error: (message, props) => void r.errors.push({ message, props }),
    setFailed: (m) => void r.failed.push(m),
    writeSummary: async (md) => void (r.summary += md),
    env: {},
  };
  await run(r.io);
  return r;
}

describe("p-values below 1e-300", () => {
  it("formats as < 1e-300 with log10 p beside, and plainly above", () => {
    expect(fmtP(-2159.04)).toBe("< 1e-300 (log10 p -2159.0)");
    expect(fmtP(-300.5)).toBe("< 1e-300 (log10 p -300.5)");
    expect(fmtP(-299.7)).toBe("2e-300");
    expect(fmtP(-6)).toBe("1e-6");
    expect(fmtP(Math.log10(0.41))).toBe("0.41");
  });

  it("a fine-tune: text, summary, HTML and annotation say < 1e-300 with log10 p, never a mantissa past 1e-300; JSON keeps the numbers", async () => {
    const json = file("json");
    const html = file("html");
    const text = await runCli(["check", "--candidate", finetune, "--reference", base, "--report", json, "--html", html, "--quiet"]);
    expect(text.code).toBe(1);
    const report = await readReport(json);
    const comp = report.references[0]!.components[0]!;
    expect(comp.log10pCorrected).toBeLessThan(-300);
    expect(typeof comp.tensors.find((t) => t.informative)!.log10p).toBe("number");
    const shown = `< 1e-300 (log10 p ${comp.log10pCorrected!.toFixed(1)})`;
    const md = await runCli(["check", "--candidate", finetune, "--reference", base, "--format", "markdown", "--quiet"]);
    const page = await readFile(html, "utf8");
    const action = await step({ candidate: finetune, references: base, "report-path": file("json") });
    expect(action.errors).toHaveLength(1);
    for (const out of [text.stdout, md.stdout, page.replace(/&lt;/g, "<"), action.errors[0]!.message, action.summary]) {
      expect(out).toContain("< 1e-300 (log10 p -");
      expect(out).not.toMatch(/\de-(30[1-9]|3[1-9]\d|[4-9]\d\d|\d{4,})\b/);
    }
    expect(text.stdout).toContain(shown);
    // The text table stays aligned: the p column is as wide as its longest cell.
    const header = text.stdout.split("\n").find((l) => l.startsWith("reference / component"))!;
    const row = text.stdout.split("\n").find((l) => l.startsWith("  model "))!;
    expect(row.indexOf(comp.effect!.toFixed(3))).toBe(header.indexOf("effect"));
  });
});

describe("alignments: undone on a reused result, tried otherwise", () => {
  it("an independent model's transposed looks are alignments tried, in text, summary and HTML", async () => {
    const html = file("html");
    const json = file("json");
    const text = await runCli(["check", "--candidate", independent, "--reference", base, "--html", html, "--report", json, "--quiet"]);
    expect(text.code).toBe(0);
    const report = await readReport(json);
    expect(report.references[0]!.components[0]!.tensors.some((t) => t.transform !== "none")).toBe(true);
    const md = await runCli(["check", "--candidate", independent, "--reference", base, "--format", "markdown", "--quiet"]);
    const page = await readFile(html, "utf8");
    for (const out of [text.stdout, md.stdout, page]) expect(out).not.toMatch(/undone/);
    expect(page).toMatch(/<span class="k">alignments tried<\/span> <code>[^<]+<\/code> ×\d+/);
    expect(page).toMatch(/>alignment tried<\/th>/);
    // The text and summary list only the strongest tensors; the HTML lists every one the search moved.
    const moved = report.references[0]!.components[0]!.tensors.filter((t) => t.transform !== "none").map((t) => t.transform);
    for (const transform of moved) expect(page).toContain(`<td class="transform">${transform}</td>`);
  });

  it("a fine-tune's are transforms undone", async () => {
    const html = file("html");
    await runCli(["check", "--candidate", finetune, "--reference", base, "--html", html, "--quiet"]);
    const page = await readFile(html, "utf8");
    expect(page).toMatch(/<span class="k">transforms undone<\/span>/);
    expect(page).toMatch(/>transform undone<\/th>/);
    expect(page).not.toMatch(/alignments? tried/);
  });
});

describe("a run stopped before any comparison: the error and a hint only", () => {
  it.each([
    ["a missing candidate path", () => ["--candidate", path.join(tmp, "no-such-model"), "--reference", base], /^error: no such file or directory: .*no-such-model$/m],
    ["a missing reference path", () => ["--candidate", finetune, "--reference", path.join(tmp, "no-such-ref")], /^error: no such file or directory: .*no-such-ref$/m],
    ["no candidate", () => ["--reference", base], /^error: a candidate is required/m],
    ["an unknown flag", () => ["--candidate", finetune, "--reference", base, "--frobnicate"], /^error: Unknown option '--frobnicate'/m],
  ])("CLI, %s: no verdict block, no table, no (0 parameters)", async (_label, args, message) => {
    for (const format of ["text", "markdown"]) {
      const r = await runCli(["check", ...args(), "--format", format]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^run `fromscratch-weights --help` for usage$/m);
      expect(r.stderr).not.toMatch(/INCONCLUSIVE|0 parameters|reference \/ component/);
    }
  });

  it("CLI --format json still prints the report, with the error's code", async () => {
    const r = await runCli(["check", "--candidate", path.join(tmp, "no-such-model"), "--reference", base, "--format", "json", "--quiet"]);
    expect(r.code).toBe(2);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toMatch(/^usage/);
  });

  it("Action, a missing candidate path: a could-not-run summary with a hint, one failure, no verdict block, no annotation", async () => {
    const s = await step({ candidate: path.join(tmp, "no-such-model"), references: base, "report-path": file("json") });
    expect(s.failed).toHaveLength(1);
    expect(s.failed[0]).toMatch(/no such file or directory: .*no-such-model/);
    expect(s.summary).toMatch(/^## fromscratch: ⚠️ could not run/);
    expect(s.summary).toMatch(/Check the step's `with:` inputs/);
    expect(s.summary).not.toMatch(/INCONCLUSIVE|0 parameters|\| reference \|/);
    expect(s.warnings).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  it("Action, a bad input: the same could-not-run summary with the hint", async () => {
    const s = await step({ candidate: finetune, references: base, level: "7" });
    expect(s.failed).toEqual(['input `level` must be a number between 5e-324 and 0.5 (got "7")']);
    expect(s.summary).toMatch(/could not run[\s\S]*Check the step's `with:` inputs/);
  });
});

describe("the summary names the entry's own switches", () => {
  it("the Action's summary asks for input `html-report`; the CLI's for --html FILE", async () => {
    const s = await step({ candidate: independent, references: base, "report-path": file("json") });
    expect(s.summary).toContain("ask for the HTML report (input `html-report`).");
    expect(s.summary).not.toMatch(/`input `|`html-report` input/);
    const md = await runCli(["check", "--candidate", independent, "--reference", base, "--format", "markdown", "--quiet"]);
    expect(md.stdout).toContain("(`--html FILE`)");
    expect(md.stdout).not.toMatch(/html-report/);
  });
});

describe("a Hub that cannot be reached", () => {
  // A closed loopback port: the connection is refused at once; two quick attempts.
  const FAST = { maxAttempts: 2, retryBaseMs: 10, maxRetryMs: 5_000, stallMs: 5_000 };

  it("an org/name id: could not reach the Hub, HF_ENDPOINT or a local folder, code fetch.network, exit 3", async () => {
    const json = file("json");
    const r = await runCli(["check", "--candidate", finetune, "--reference", "meta-llama/Llama-3.2-1B", "--endpoint", "http://127.0.0.1:9", "--report", json, "--quiet"], {}, { hubTimings: FAST });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: could not reach the Hub at http:\/\/127\.0\.0\.1:9 for meta-llama\/Llama-3\.2-1B \(and no local folder meta-llama\/Llama-3\.2-1B exists\)\. /m);
    expect(r.stderr).toMatch(/HF_ENDPOINT/);
    expect(r.stderr).toMatch(/local folder with the model's safetensors files/);
    expect(r.stderr).not.toMatch(/^error: no local path/m);
    expect(r.stdout).toBe("");
    const report = await readReport(json);
    expect(report.error!.code).toBe("fetch.network");
    expect(report.references[0]!.error!.code).toBe("fetch.network");
  });

  it("the Action words it with its own input", async () => {
    const s = await step({ candidate: "lab/model", references: base, endpoint: "http://127.0.0.1:9", "network-timeout": "1", "report-path": file("json") });
    expect(s.failed).toHaveLength(1);
    expect(s.failed[0]).toMatch(/could not reach the Hub at http:\/\/127\.0\.0\.1:9 for lab\/model/);
    expect(s.failed[0]).toMatch(/HF_ENDPOINT \(or input `endpoint`\)/);
  });

  it("every error code the tool can report is documented (README or docs/)", async () => {
    const { readdir } = await import("node:fs/promises");
    const docs = await Promise.all(
      [path.join(REPO_ROOT, "README.md"), ...(await readdir(path.join(REPO_ROOT, "docs"), { recursive: true })).filter((f) => f.endsWith(".md")).map((f) => path.join(REPO_ROOT, "docs", f))].map((f) => readFile(f, "utf8")),
    );
    const text = docs.join("\n");
    expect(ERROR_CODES.filter((c) => !text.includes(`\`${c}\``))).toEqual([]);
  });
});

describe("nothing comparable is never a silent pass", () => {
  it("Action: a warning annotation naming the likely cause; the default gate passes, fail-on inconclusive fails", async () => {
    const dflt = await step({ candidate: cnn, references: base, "report-path": file("json") });
    expect(dflt.failed).toEqual([]);
    expect(dflt.outputs.verdict).toBe("inconclusive");
    expect(dflt.warnings).toHaveLength(1);
    const w = dflt.warnings[0]!;
    expect(w.props?.title).toBe(`fromscratch: nothing comparable (${base})`);
    expect(w.message).toMatch(/^Nothing comparable between the candidate and .*: .*Likely cause: another architecture, or the wrong reference/);
    expect(w.message).toContain("`fail-on: inconclusive` would fail it");
    const strict = await step({ candidate: cnn, references: base, "fail-on": "inconclusive", "report-path": file("json") });
    expect(strict.failed).toEqual(["fromscratch: verdict inconclusive with fail-on inconclusive: the gate fails"]);
    expect(strict.warnings[0]!.message).toContain("so the gate fails (fail-on inconclusive)");
  });

  it("CLI: the same warning on stderr; exit 0 by default, 1 under --fail-on inconclusive", async () => {
    const dflt = await runCli(["check", "--candidate", cnn, "--reference", base, "--quiet"]);
    expect(dflt.code).toBe(0);
    expect(dflt.stderr).toMatch(/^warning: Nothing comparable between the candidate and .*another architecture, or the wrong reference.*`--fail-on inconclusive` would fail it\.$/m);
    const strict = await runCli(["check", "--candidate", cnn, "--reference", base, "--quiet", "--fail-on", "inconclusive"]);
    expect(strict.code).toBe(1);
  });

  it("no such warning when the reference was compared", async () => {
    const r = await runCli(["check", "--candidate", independent, "--reference", base, "--quiet"]);
    expect(r.stderr).not.toMatch(/Nothing comparable/);
  });
});
