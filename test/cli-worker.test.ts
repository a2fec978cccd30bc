/**
 * The bundled CLI (dist/cli.js, what `fromscratch-weights` runs) checks in a worker thread with a capped
 * young generation (src/cli-main.ts): its exit codes, its report on stdout and its errors on stderr
 * come through the worker as they do in process, and FROMSCRATCH_IN_PROCESS=1 gives the same report.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { tempEnv } from "./helpers/temp.js";
import { tiny } from "./helpers/fixtures.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUNDLE = path.join(REPO_ROOT, "dist/cli.js");

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { env: { PATH: process.env.PATH ?? "", ...tempEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let llmA: string;
let llmASft: string;
let llmB: string;
beforeAll(async () => {
  [llmA, llmASft, llmB] = await Promise.all([tiny("llm-a"), tiny("llm-a-sft"), tiny("llm-b")]);
});

describe("the bundled CLI checks in a worker thread", () => {
  it("a fine-tune: exit 1 and the whole JSON report on stdout, the same as in process", async () => {
    const args = ["check", "--candidate", llmASft, "--reference", llmA, "--quiet", "--format", "json"];
    const worker = await run(args);
    const inProcess = await run(args, { FROMSCRATCH_IN_PROCESS: "1" });
    expect(worker.code).toBe(1);
    expect(inProcess.code).toBe(1);
    const a = JSON.parse(worker.stdout) as { verdict: string; tool: { name: string }; references: { verdict: string }[] };
    const b = JSON.parse(inProcess.stdout) as typeof a;
    expect(a.tool.name).toBe("fromscratch");
    expect(a.verdict).toBe("reused");
    expect(a.references.map((r) => r.verdict)).toEqual(b.references.map((r) => r.verdict));
  });

  it("an independent model: exit 0", async () => {
    const r = await run(["check", "--candidate", llmB, "--reference", llmA, "--quiet", "--format", "json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { verdict: string }).verdict).toBe("independent");
  });

  it("a missing candidate: exit 2 with the path named on stderr", async () => {
    const missing = path.join(REPO_ROOT, "no-such-model-dir");
    const r = await run(["check", "--candidate", missing, "--reference", llmA, "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
  });
});
