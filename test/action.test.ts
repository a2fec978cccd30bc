/**
 * The bundled action as the runner runs it: `node dist/index.js` with INPUT_*
 * variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, annotations on stdout.
 */
import { spawnSync } from "node:child_process";
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../src/report/schema.js";
import { REPO_ROOT, tiny } from "./helpers/fixtures.js";

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
  workspace = await mkdtemp(path.join(os.tmpdir(), "fromscratch-ws-"));
  for (const n of ["vlm-cand", "vlm-ref", "llm-a", "llm-b"] as const) await cp(await tiny(n), path.join(workspace, "models", n), { recursive: true });
});

async function runAction(inputs: Record<string, string>): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "fromscratch-runner-"));
  const outputFile = path.join(dir, "output");
  const summaryFile = path.join(dir, "summary");
  await writeFile(outputFile, "");
  await writeFile(summaryFile, "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, "dist/index.js")], { cwd: workspace, env, encoding: "utf8", timeout: 120_000 });
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
      "report-path": "out/report.json".replace("out/", ""),
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
});
