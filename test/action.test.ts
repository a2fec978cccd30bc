/**
 * The bundled action as the runner runs it: `node dist/index.js` with INPUT_*
 * variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, annotations on stdout.
 */
import { spawn } from "node:child_process";
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../src/report/schema.js";
import { REPO_ROOT, tiny } from "./helpers/fixtures.js";
import { startHubServer } from "./hub/server.js";
import { tempDir, tempEnv } from "./helpers/temp.js";

interface ActionRun {
  status: number | null;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
  workspace: string;
}

/** Parse the GITHUB_OUTPUT file format (`name<<delimiter ... delimiter`). */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join("\n");
  }
  return out;
}

let workspace: string;
beforeAll(async () => {
  workspace = await tempDir("ws");
  for (const n of ["vlm-cand", "vlm-ref", "llm-a", "llm-b", "llm-a-sft"] as const) await cp(await tiny(n), path.join(workspace, "models", n), { recursive: true });
});

async function runAction(inputs: Record<string, string>): Promise<ActionRun> {
  const dir = await tempDir("runner");
  const outputFile = path.join(dir, "output");
  const summaryFile = path.join(dir, "summary");
  await writeFile(outputFile, "");
  await writeFile(summaryFile, "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    ...tempEnv(),
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  // Asynchronous, so a Hub-like server in this process can answer the action.
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "dist/index.js")], { cwd: workspace, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
  return {
    status: r.status,
    stdout: r.stdout + r.stderr,
    outputs: parseOutputs(await readFile(outputFile, "utf8")),
    summary: await readFile(summaryFile, "utf8"),
    workspace,
  };
}

describe("the action (dist/index.js)", () => {
  it("fails the step on a reused vision tower, annotates config.json, writes outputs and summary", async () => {
    const run = await runAction({
      candidate: "models/vlm-cand",
      references: "models/llm-a\nmodels/vlm-ref",
      "report-path": "report.json",
    });
    expect(run.status).toBe(1);
    expect(run.outputs.verdict).toBe("reused");
    expect(JSON.parse(run.outputs["reused-references"]!)).toEqual(["models/vlm-ref"]);
    expect(run.outputs["report-path"]).toBe("report.json");
    const report = JSON.parse(await readFile(path.join(workspace, "report.json"), "utf8")) as Report;
    expect(report.verdict).toBe("reused");
    // One error annotation for the reused reference, attached to the candidate's config.json.
    const errors = run.stdout.split("\n").filter((l) => l.startsWith("::error "));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/file=models\/vlm-cand\/config\.json/);
    expect(errors[0]).toMatch(/models\/vlm-ref/);
    expect(run.stdout).not.toMatch(/::error[^\n]*models\/llm-a[,:]/);
    expect(run.stdout).toMatch(/::error::fromscratch: verdict reused/);
    // The job summary: a table per reference and component.
    expect(run.summary).toMatch(/## fromscratch: .* REUSED/);
    expect(run.summary).toMatch(/\| vision \| 🔴 reused \| [\d.]+% of [\d,]+ \| 0\.9\d\d \|/);
    expect(run.summary).toMatch(/\| language \| 🟢 independent \|/);
  });

  it("passes an independent model and sets verdict=independent", async () => {
    const run = await runAction({ candidate: "models/llm-b", references: "models/llm-a" });
    expect(run.status).toBe(0);
    expect(run.outputs.verdict).toBe("independent");
    expect(JSON.parse(run.outputs["reused-references"]!)).toEqual([]);
    expect(run.stdout).not.toMatch(/^::error/m);
  });

  it("masks the token, and bad input fails the step with a clear message", async () => {
    const run = await runAction({ candidate: "models/llm-b", references: "", "hf-token": "hf_secretvalue123" });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/::add-mask::hf_secretvalue123/);
    expect(run.stdout).toMatch(/::error::.*at least one reference is required/);
  });

  it("a missing candidate is a clear failure naming the path", async () => {
    const run = await runAction({ candidate: "./models/nope", references: "models/llm-a" });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/::error::.*models\/nope/);
    expect(run.outputs.verdict).toBe("inconclusive");
  });

  it("reads Hub repos through the endpoint input, masks the token and keeps it off the CDN", async () => {
    const files = async (n: Parameters<typeof tiny>[0]) => ({
      "model.safetensors": new Uint8Array(await readFile(path.join(await tiny(n), "model.safetensors"))),
      "config.json": await readFile(path.join(await tiny(n), "config.json"), "utf8"),
    });
    const server = await startHubServer({
      token: "hf_actiontoken",
      repos: { "lab/llm-a-sft": { files: await files("llm-a-sft") }, "open/llm-a": { files: await files("llm-a"), gated: true, license: "mit" } },
    });
    try {
      const run = await runAction({ candidate: "lab/llm-a-sft", references: "open/llm-a", endpoint: server.url, "hf-token": "hf_actiontoken" });
      expect(run.status).toBe(1);
      expect(run.outputs.verdict).toBe("reused");
      expect(run.stdout).toMatch(/::add-mask::hf_actiontoken/);
      expect(run.stdout.replace(/::add-mask::hf_actiontoken/g, "")).not.toMatch(/hf_actiontoken/);
      const cdn = server.requests.filter((q) => q.origin === "cdn");
      expect(cdn.length).toBeGreaterThan(0);
      expect(cdn.every((q) => !q.authorization)).toBe(true);
      const report = JSON.parse(await readFile(path.join(workspace, "fromscratch-report.json"), "utf8")) as Report;
      expect(report.references[0]!.revision).toBe(server.shaOf("open/llm-a"));
      expect(report.references[0]!.license).toBe("mit");
      // No annotation file for a Hub candidate.
      expect(run.stdout).toMatch(/^::error title=[^:]*::Not independent of open\/llm-a@/m);
    } finally {
      await server.close();
    }
  });

  it("report-path and html-report in missing folders are created; the verdict, outputs and gate are as usual", async () => {
    const run = await runAction({
      candidate: "models/llm-a-sft",
      references: "models/llm-a",
      "report-path": "out/deep/report.json",
      "html-report": "out/html/report.html",
    });
    expect(run.status).toBe(1);
    expect(run.outputs.verdict).toBe("reused");
    expect(run.outputs["report-path"]).toBe("out/deep/report.json");
    expect(run.outputs["html-path"]).toBe("out/html/report.html");
    expect((JSON.parse(await readFile(path.join(workspace, "out/deep/report.json"), "utf8")) as Report).verdict).toBe("reused");
    // The gate's message names the input, not the CLI flag.
    expect(run.stdout).toMatch(/^::error::fromscratch: verdict reused with fail-on reused: the gate fails$/m);
    expect(run.stdout).not.toMatch(/--fail-on/);
  });

  it("an html-report that can never be written fails the step before any work, naming the input, and still writes the job summary", async () => {
    await writeFile(path.join(workspace, "a-file"), "x");
    const run = await runAction({ candidate: "models/llm-a-sft", references: "models/llm-a", "html-report": "a-file/report.html" });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^::error::input `html-report` a-file\/report\.html: .*a-file is a file, not a folder$/m);
    expect(run.stdout).not.toMatch(/reading headers/);
    expect(run.summary).toMatch(/## fromscratch: ⚠️ could not run/);
    expect(run.summary).toMatch(/input `html-report` a-file\/report\.html/);
  });

  it("a run stopped by an error still writes the job summary", async () => {
    const run = await runAction({ candidate: "models/llm-a-sft", references: "./models/not-there" });
    expect(run.status).toBe(1);
    expect(run.summary).toMatch(/## fromscratch: ⚠️ could not run/);
    expect(run.summary).toMatch(/not-there/);
    expect(run.outputs.verdict).toBe("inconclusive");
  });

  it("input errors are worded with the Action's input names", async () => {
    const run = await runAction({ candidate: "models/llm-b", references: "models/llm-a", sample: "2" });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^::error::input `sample` must be a fraction/m);
  });

  it("the annotation budget counts every annotation of the step: 10 errors with the failed gate, 10 warnings with the overflow note", async () => {
    const refs: string[] = [];
    for (let i = 0; i < 12; i++) {
      const dir = `models/copies/llm-a-${i}`;
      await cp(path.join(workspace, "models/llm-a"), path.join(workspace, dir), { recursive: true });
      refs.push(dir);
    }
    const run = await runAction({ candidate: "models/llm-a-sft", references: refs.join("\n") });
    expect(run.status).toBe(1);
    const lines = run.stdout.split("\n");
    const errors = lines.filter((l) => l.startsWith("::error"));
    const warnings = lines.filter((l) => l.startsWith("::warning"));
    expect(errors).toHaveLength(10);
    expect(errors.filter((l) => /Not independent of/.test(l))).toHaveLength(9);
    expect(errors.at(-1)).toMatch(/^::error::fromscratch: verdict reused/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/12 reused and 0 inconclusive references; GitHub shows at most 10 annotations of each type per step/);
    // The rest are log lines, and every reference is in the summary.
    expect(lines.filter((l) => /^reused: Not independent of models\/copies\/llm-a-/.test(l))).toHaveLength(3);
    for (const r of refs) expect(run.summary).toContain(r);
  });
});

