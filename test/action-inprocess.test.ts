/**
 * The Action's run() in-process, through a recording ActionIO: the same step
 * the runner runs (inputs -> settings -> engine -> outputs, annotations,
 * summary, failure), without spawning the bundle.
 */
import path from "node:path";
import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { type ActionIO, type AnnotationProps, run } from "../src/action.js";
import type { Report } from "../src/report/schema.js";
import { tiny } from "./helpers/fixtures.js";
import { tempDir } from "./helpers/temp.js";

interface Recorded {
  io: ActionIO;
  outputs: Record<string, string>;
  secrets: string[];
  log: string[];
  warnings: { message: string; props?: AnnotationProps }[];
  errors: { message: string; props?: AnnotationProps }[];
  failed: string[];
  summary: string;
}

function recordingIO(inputs: Record<string, string>, env: Record<string, string | undefined> = {}): Recorded {
  const r: Recorded = {
    outputs: {},
    secrets: [],
    log: [],
    warnings: [],
    errors: [],
    failed: [],
    summary: "",
    io: undefined as unknown as ActionIO,
  };
  r.io = {
    getInput: (name) => (inputs[name] ?? "").trim(),
    setOutput: (name, value) => void (r.outputs[name] = value),
    setSecret: (value) => void r.secrets.push(value),
    info: (m) => void r.log.push(m),
    warning: (message, props) => void r.warnings.push({ message, props }),
    error: (message, props) => void r.errors.push({ message, props }),
    setFailed: (m) => void r.failed.push(m),
    writeSummary: async (md) => void (r.summary += md),
    env,
  };
  return r;
}

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("action-inprocess");
});
let n = 0;
const reportPath = () => path.join(tmp, `report-${n++}.json`);

describe("run(io): the Action in-process", () => {
  it("reused: fails the step once, one error annotation, outputs and summary set", async () => {
    const report = reportPath();
    const rec = recordingIO({ candidate: await tiny("llm-a-sft"), references: `${await tiny("llm-b")}\n${await tiny("llm-a")}`, "report-path": report, "hf-token": "hf_secret" });
    await run(rec.io);
    expect(rec.failed).toHaveLength(1);
    expect(rec.failed[0]).toMatch(/^fromscratch: /);
    // The failure is the step's error annotation; the reused reference is the one other.
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]!.message).toContain(`Not independent of ${await tiny("llm-a")} (copied, fine-tuned, or trained from a shared initialisation)`);
    expect(rec.outputs.verdict).toBe("reused");
    expect(rec.outputs["report-path"]).toBe(report);
    expect(JSON.parse(rec.outputs["reused-references"]!)).toEqual([await tiny("llm-a")]);
    expect(rec.summary).toMatch(/reused/i);
    expect(rec.secrets).toContain("hf_secret");
    const written = JSON.parse(await readFile(report, "utf8")) as Report;
    expect(written.verdict).toBe("reused");
    expect(written.references.map((r) => r.verdict)).toEqual(["independent", "reused"]);
  });

  it("independent: the step passes, no annotations", async () => {
    const report = reportPath();
    const rec = recordingIO({ candidate: await tiny("llm-b"), references: await tiny("llm-a"), "report-path": report });
    await run(rec.io);
    expect(rec.failed).toEqual([]);
    expect(rec.errors).toEqual([]);
    expect(rec.warnings).toEqual([]);
    expect(rec.outputs.verdict).toBe("independent");
    expect(rec.outputs["reused-references"]).toBe("[]");
    expect(rec.summary.length).toBeGreaterThan(0);
  });

  it("a bad input fails the step once, worded in the Action's input names, with a summary", async () => {
    const rec = recordingIO({ candidate: await tiny("llm-b"), references: await tiny("llm-a"), "report-path": reportPath(), "min-pearson": "high" });
    await run(rec.io);
    expect(rec.failed).toEqual(['input `min-pearson` must be a number between 0 and 1 (got "high")']);
    expect(rec.outputs).toEqual({});
    expect(rec.summary).toMatch(/could not run/);
  });

  it("mode is validated with the other inputs", async () => {
    const rec = recordingIO({ mode: "deploy" });
    await run(rec.io);
    expect(rec.failed).toEqual(['input mode must be check, plan or merge (got "deploy")']);
  });

  it("plan mode sets the matrix and the fingerprint", async () => {
    const rec = recordingIO({ mode: "plan", candidate: await tiny("llm-a-sft"), references: `${await tiny("llm-a")}\n${await tiny("llm-b")}`, shards: "2" });
    await run(rec.io);
    expect(rec.failed).toEqual([]);
    const matrix = JSON.parse(rec.outputs.matrix!) as { include: { shard: number; fingerprint: string }[] };
    expect(matrix.include.map((e) => e.shard)).toEqual([0, 1]);
    expect(matrix.include[0]!.fingerprint).toBe(rec.outputs.fingerprint);
  });
});
