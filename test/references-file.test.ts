/**
 * `--references-file FILE` / input `references-file`: one reference per line, `#` comments and blank
 * lines allowed, after the `--reference` ones, duplicates compared once (with a note); a relative FILE
 * is the working directory's (CLI) or the workspace's (Action); a file that cannot be read, or a line
 * that is not one reference, is a usage error (exit 2) naming the file and the line.
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type ActionIO, run } from "../src/action.js";
import { weighCommand } from "../src/cli-weight.js";
import type { Report } from "../src/report/schema.js";
import { parseReferencesText } from "../src/settings/references-file.js";
import { parseSettings } from "../src/settings/settings.js";
import { REPO_ROOT, tiny } from "./helpers/fixtures.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir, tempEnv } from "./helpers/temp.js";

let dir: string;
let llmA: string;
let llmASft: string;
let llmB: string;
beforeAll(async () => {
  dir = await tempDir("references-file");
  [llmA, llmASft, llmB] = await Promise.all([tiny("llm-a"), tiny("llm-a-sft"), tiny("llm-b")]);
});

describe("the file's lines", () => {
  it("one reference per line; blank lines and # comments (whole-line or after a space) are skipped", () => {
    const text = "\uFEFF# the references\n\norg/a\n  org/b@main   # pinned later\r\n./models/v#2\n\t# indented comment\n";
    expect(parseReferencesText(text, "refs.txt")).toEqual([
      { source: "org/a", line: 3 },
      { source: "org/b@main", line: 4 },
      { source: "./models/v#2", line: 5 },
    ]);
  });

  it("two references on one line are an error naming the file and the line", () => {
    expect(() => parseReferencesText("org/a\norg/b org/c\n", "refs.txt")).toThrow(/--references-file refs\.txt, line 2: one reference per line \(got "org\/b org\/c"\)/);
    expect(() => parseReferencesText("org/a,org/b\n", "refs.txt")).toThrow(/line 1/);
  });

  it("merged after the listed ones; a duplicate is kept once, where it first appeared, with a note", () => {
    const files: Record<string, string> = { [path.resolve("/ws", "refs.txt")]: "org/c\norg/a\n# org/z\norg/c\n" };
    const s = parseSettings({ candidate: "x", references: ["org/a,org/b"], referencesFile: "refs.txt" }, { referencesFile: { baseDir: "/ws", readText: (p) => files[p] ?? "" } });
    expect(s.references).toEqual(["org/a", "org/b", "org/c"]);
    expect(s.notes).toEqual([
      "reference org/a is listed more than once (again in --references-file refs.txt, line 2); it is compared once",
      "reference org/c is listed more than once (again in --references-file refs.txt, line 4); it is compared once",
    ]);
    // Without --reference, the file alone is enough; a file that lists none is not.
    expect(parseSettings({ candidate: "x", referencesFile: "refs.txt" }, { referencesFile: { baseDir: "/ws", readText: (p) => files[p] ?? "" } }).references).toEqual(["org/c", "org/a"]);
    expect(() => parseSettings({ candidate: "x", referencesFile: "empty.txt" }, { referencesFile: { baseDir: "/ws", readText: () => "# nothing yet\n" } })).toThrow(
      /at least one reference is required \(--reference or --references-file; empty\.txt lists none\)/,
    );
  });

  it("is refused in a shard's check, whose references are its matrix entry's", () => {
    expect(() => parseSettings({ candidate: "x", references: ["org/a"], referencesFile: "refs.txt", shard: "0/2", planFingerprint: "0".repeat(64), planPositions: "0" })).toThrow(/a shard's check takes the references of its matrix entry/);
  });
});

describe("the CLI", () => {
  it("checks the file's references after --reference's, each once, and says which duplicate it dropped", async () => {
    const refs = path.join(dir, "refs.txt");
    await writeFile(refs, `# reference models\n${llmB}   # independent\n\n${llmA}\n${llmB}\n`);
    const report = path.join(dir, "cli.json");
    const r = await runCli(["check", "--candidate", llmASft, "--reference", llmB, "--references-file", refs, "--report", report]);
    expect(r.code).toBe(1);
    const written = await readReport(report);
    expect(written.references.map((x) => [x.source, x.verdict])).toEqual([
      [llmB, "independent"],
      [llmA, "reused"],
    ]);
    expect(r.stderr).toContain(`note: reference ${llmB} is listed more than once (again in --references-file ${refs}, line 2); it is compared once`);
    expect(r.stderr).toContain(`note: reference ${llmB} is listed more than once (again in --references-file ${refs}, line 5); it is compared once`);
  });

  it("a missing file: exit 2, the file named, the usage hint, no report block", async () => {
    const missing = path.join(dir, "nope.txt");
    const r = await runCli(["check", "--candidate", llmASft, "--references-file", missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: --references-file ${missing}: no such file`);
    expect(r.stderr).toMatch(/--help/);
    expect(r.stdout).toBe("");
  });

  it("the launcher sizes the file's references too (a missing file weighs nothing; the check's parse says why)", async () => {
    const a = path.join(dir, "a.safetensors");
    const b = path.join(dir, "b.safetensors");
    await writeFile(a, Buffer.alloc(1000));
    await writeFile(b, Buffer.alloc(300));
    const refs = path.join(dir, "weigh.txt");
    await writeFile(refs, `# b only\n${b}\n`);
    expect(await weighCommand(["check", "--candidate", a, "--references-file", refs])).toEqual({ check: true, localBytes: 1300 });
    expect(await weighCommand(["check", "--candidate", a, "--references-file", path.join(dir, "none.txt")])).toEqual({ check: true, localBytes: 1000 });
  });

  it("a relative FILE is read from the working directory (the CLI process, spawned)", async () => {
    const cwd = await tempDir("references-file-cwd");
    await writeFile(path.join(cwd, "refs.txt"), `${llmA}\n`);
    const tsx = pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;
    const args = ["--import", tsx, path.join(REPO_ROOT, "src/cli-main.ts"), "check", "--candidate", llmASft, "--references-file", "refs.txt", "--format", "json", "--quiet"];
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? "", ...tempEnv() }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.code, out.stderr).toBe(1);
    const report = JSON.parse(out.stdout) as Report;
    expect(report.references.map((x) => [x.source, x.verdict])).toEqual([[llmA, "reused"]]);
  });
});

/** The Action in-process (as test/action-inprocess.test.ts drives it): inputs, log, failure. */
function actionIO(inputs: Record<string, string>, env: Record<string, string>) {
  const rec = { log: [] as string[], failed: [] as string[], outputs: {} as Record<string, string>, summary: "" };
  const io: ActionIO = {
    getInput: (name) => (inputs[name] ?? "").trim(),
    setOutput: (name, value) => void (rec.outputs[name] = value),
    setSecret: () => undefined,
    info: (m) => void rec.log.push(m),
    warning: () => undefined,
    error: () => undefined,
    setFailed: (m) => void rec.failed.push(m),
    writeSummary: async (md) => void (rec.summary += md),
    env,
  };
  return { io, rec };
}

describe("the Action", () => {
  it("reads a relative references-file from the workspace, after the references input", async () => {
    const ws = await tempDir("references-file-ws");
    await writeFile(path.join(ws, "references.txt"), `# one per line\n${llmA}\n`);
    const report = path.join(ws, "report.json");
    const { io, rec } = actionIO({ candidate: llmASft, references: llmB, "references-file": "references.txt", "report-path": report }, { GITHUB_WORKSPACE: ws });
    await run(io);
    expect(rec.outputs.verdict).toBe("reused");
    expect(JSON.parse(rec.outputs["reused-references"]!)).toEqual([llmA]);
    expect((await readReport(report)).references.map((x) => x.source)).toEqual([llmB, llmA]);
  });

  it("a missing references-file fails the step with the input and the file named", async () => {
    const ws = await tempDir("references-file-ws-missing");
    const { io, rec } = actionIO({ candidate: llmASft, "references-file": "refs/missing.txt" }, { GITHUB_WORKSPACE: ws });
    await run(io);
    expect(rec.failed).toEqual([`input \`references-file\` refs/missing.txt (${path.join(ws, "refs/missing.txt")}): no such file`]);
    expect(rec.summary).toContain("could not run");
  });
});
