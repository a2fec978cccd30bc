/**
 * Fan-out through the real CLI: `plan` balances shards by header bytes,
 * `check --shard` writes partial reports, `merge` combines them into the
 * report a single machine writes (same verdicts, same per-reference results),
 * and refuses sets that do not make one plan. References: the trained tiny
 * fixtures, generated Llama-style models of several depths, and two Hub repos
 * on loopback.
 */
import { spawn } from "node:child_process";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drifted, llamaConfig, llamaModel, writeModel } from "../src/examples/generate.js";
import { balance } from "../src/fanout/plan.js";
import type { Report } from "../src/report/schema.js";
import { REPO_ROOT, tiny } from "./helpers/fixtures.js";
import { loadModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { type HubServer, startHubServer } from "./hub/server.js";
import { tempDir, tempEnv } from "./helpers/temp.js";

interface MatrixEntry {
  shard: number;
  shards: number;
  references: string;
  positions: string;
  fingerprint: string;
  bytes: number;
}

let tmp: string;
let server: HubServer;
let candidate: string;
let otherCandidate: string;
let references: string[];
const SHARDS = 3;

async function plan(shards: number, refs = references, cand = candidate): Promise<{ code: number; stdout: string; stderr: string; matrix: MatrixEntry[] }> {
  const run = await runCli(["plan", "--candidate", cand, ...refs.flatMap((r) => ["--reference", r]), "--shards", String(shards), "--endpoint", server.url]);
  const matrix = run.code === 0 ? (JSON.parse(run.stdout) as { include: MatrixEntry[] }).include : [];
  return { ...run, matrix };
}

async function runShard(e: MatrixEntry, out: string, cand = candidate): Promise<number> {
  const refs = e.references.split("\n");
  // As examples/matrix.yml: the shards never fail, the merge gates.
  const args = ["check", "--candidate", cand, ...refs.flatMap((r) => ["--reference", r]), "--endpoint", server.url, "--quiet", "--report", out, "--fail-on", "never"];
  const run = await runCli([...args, "--shard", `${e.shard}/${e.shards}`, "--plan-fingerprint", e.fingerprint, "--plan-positions", e.positions]);
  return run.code;
}

/** The report without what legitimately differs between one machine and a merge of shards. */
function comparable(r: Report): unknown {
  const { seconds: _s, bytesRead: _b, merged: _m, shard: _sh, ...rest } = r;
  return { ...rest, references: rest.references.map(({ cache: _c, ...ref }) => ref) };
}

let matrix: MatrixEntry[];
let shardDir: string;
let shardFiles: string[];
let single: { code: number; report: Report };

beforeAll(async () => {
  tmp = await tempDir("plan");
  const small = { hidden: 128, intermediate: 352, vocab: 260 };
  const gen: string[] = [];
  for (const layers of [1, 2]) {
    const dir = path.join(tmp, "models", `gen-${layers}`);
    await writeModel(dir, llamaModel({ ...small, layers }, 200 + layers), llamaConfig({ ...small, layers }));
    gen.push(dir);
  }
  // Two layers of llm-a, drifted: a partial copy the candidate (a fine-tune of llm-a) reuses.
  const base = await loadModel(await tiny("llm-a"));
  const truncated = new Map([...base.tensors].filter(([k]) => !/^model\.layers\.[23]\./.test(k)));
  const twoLayers = path.join(tmp, "models", "llm-a-2layers");
  await writeModel(twoLayers, drifted(truncated, 7, 0.1), llamaConfig({ ...small, layers: 2 }));
  const hubFile = async (dir: string) => ({
    "model.safetensors": new Uint8Array(await readFile(path.join(dir, "model.safetensors"))),
    "config.json": await readFile(path.join(dir, "config.json"), "utf8"),
  });
  server = await startHubServer({
    repos: {
      "open/llm-a": { files: await hubFile(await tiny("llm-a")), license: "mit" },
      "open/gen-2": { files: await hubFile(gen[1]!), license: "apache-2.0" },
    },
  });
  candidate = await tiny("llm-a-sft");
  otherCandidate = gen[0]!;
  references = [await tiny("llm-a"), ...gen, "open/llm-a", await tiny("vlm-ref"), twoLayers, await tiny("llm-b"), "open/gen-2"];

  // One machine...
  const singlePath = path.join(tmp, "single.json");
  const run = await runCli([
    "check",
    "--candidate",
    candidate,
    ...references.flatMap((r) => ["--reference", r]),
    "--endpoint",
    server.url,
    "--quiet",
    "--report",
    singlePath,
  ]);
  single = { code: run.code, report: await readReport(singlePath) };
  // ...and the same work as a matrix.
  matrix = (await plan(SHARDS)).matrix;
  shardDir = path.join(tmp, "shards");
  await mkdir(shardDir, { recursive: true });
  shardFiles = matrix.map((e) => path.join(shardDir, `fromscratch-shard-${e.shard}.json`));
  const codes = await Promise.all(matrix.map((e, i) => runShard(e, shardFiles[i]!)));
  expect(codes.every((c) => c === 0 || c === 1)).toBe(true);
});

afterAll(async () => {
  await server?.close();
});

describe("fromscratch plan", () => {
  it("covers every reference exactly once, balances bytes within the largest reference, and is deterministic", async () => {
    expect(matrix).toHaveLength(SHARDS);
    expect(matrix.map((e) => e.shard)).toEqual([0, 1, 2]);
    const positions = matrix.flatMap((e) => e.positions.split(",").map(Number));
    expect([...positions].sort((a, b) => a - b)).toEqual(references.map((_, i) => i));
    for (const e of matrix) {
      expect(e.shards).toBe(SHARDS);
      expect(e.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(e.fingerprint).toBe(matrix[0]!.fingerprint);
      // The references string lists the references at those positions, in plan order.
      expect(e.references.split("\n")).toEqual(e.positions.split(",").map((p) => references[Number(p)]));
    }
    // One shard per reference gives each reference's bytes.
    const each = await plan(references.length);
    expect(each.code).toBe(0);
    expect(each.matrix).toHaveLength(references.length);
    const largest = Math.max(...each.matrix.map((e) => e.bytes));
    expect(each.matrix.reduce((s, e) => s + e.bytes, 0)).toBe(matrix.reduce((s, e) => s + e.bytes, 0));
    const loads = matrix.map((e) => e.bytes);
    expect(Math.max(...loads)).toBeLessThanOrEqual(Math.min(...loads) + largest);
    expect(Math.min(...loads)).toBeGreaterThan(0);
    // Deterministic: the same inputs give the same matrix, byte for byte.
    const again = await plan(SHARDS);
    expect(again.stdout).toBe(JSON.stringify({ include: matrix }) + "\n");
  });

  it("plans fewer shards than asked when there are fewer references; refuses more than 256 shards", async () => {
    const few = await plan(5, references.slice(0, 2));
    expect(few.code).toBe(0);
    expect(few.matrix.map((e) => e.shards)).toEqual([2, 2]);
    const tooMany = await plan(257);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/--shards must be an integer between 1 and 256/);
  });

  it("balance: longest-processing-time keeps every shard within the largest item of the lightest", () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 200; trial++) {
      const weights = Array.from({ length: 1 + Math.floor(rand() * 40) }, () => Math.floor(rand() ** 3 * 1e9));
      const count = 1 + Math.floor(rand() * Math.min(16, weights.length));
      const shards = balance(weights, count);
      expect(shards.flat().sort((a, b) => a - b)).toEqual(weights.map((_, i) => i));
      const loads = shards.map((s) => s.reduce((t, i) => t + weights[i]!, 0));
      expect(Math.max(...loads)).toBeLessThanOrEqual(Math.min(...loads) + Math.max(...weights));
    }
  });
});

describe("fromscratch merge", () => {
  it("the merged report equals the single-machine report (verdicts, gate, every reference's results)", async () => {
    const out = path.join(tmp, "merged.json");
    const summary = path.join(tmp, "merged.md");
    // A quoted glob: merge expands it itself (the Action's `reports` input).
    const run = await runCli(["merge", "--report", out, "--summary", summary, "--quiet", path.join(shardDir, "*.json")]);
    expect(run.stderr).toBe("");
    const merged = await readReport(out);
    expect(single.report.verdict).toBe("reused");
    expect(single.code).toBe(1);
    expect(run.code).toBe(single.code);
    expect(merged.references.map((r) => r.source)).toEqual(references);
    expect(merged.references.map((r) => r.verdict)).toEqual(single.report.references.map((r) => r.verdict));
    expect(merged.references.filter((r) => r.verdict === "reused").length).toBeGreaterThanOrEqual(3);
    expect(merged.references.filter((r) => r.verdict === "independent").length).toBeGreaterThanOrEqual(3);
    expect(comparable(merged)).toEqual(comparable(single.report));
    expect(merged.shard).toBeUndefined();
    expect(merged.merged!.fingerprint).toBe(matrix[0]!.fingerprint);
    expect(merged.merged!.shards.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(merged.seconds).toBeCloseTo(merged.merged!.shards.reduce((s, x) => s + x.seconds, 0), 6);
    expect(await readFile(summary, "utf8")).toMatch(/fromscratch: 🔴 REUSED/);
    // Each partial report is marked with its shard and the plan.
    for (const [i, f] of shardFiles.entries()) {
      const part = await readReport(f);
      expect(part.shard).toEqual({ index: i, count: SHARDS, fingerprint: matrix[i]!.fingerprint, positions: matrix[i]!.positions.split(",").map(Number) });
    }
    // Without --fail-on the merge gates like check (reused), whatever the shards ran with (never).
    for (const f of shardFiles) expect((await readReport(f)).failOn).toBe("never");
    expect(merged.failOn).toBe("reused");
    expect(merged.gate).toEqual({ failed: true, rule: "verdict reused with fail-on reused: the gate fails" });
    // The gate is the merge's: with --fail-on never the same set passes.
    const never = await runCli(["merge", "--fail-on", "never", "--format", "json", ...shardFiles]);
    expect(never.code).toBe(0);
    expect((JSON.parse(never.stdout) as Report).gate.failed).toBe(false);
  });

  it("refuses a set with a missing shard, naming it (exit 2)", async () => {
    const run = await runCli(["merge", "--quiet", shardFiles[0]!, shardFiles[2]!]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/missing shard 1 of 3/);
  });

  it("refuses a set with a duplicated shard, naming it and its files (exit 2)", async () => {
    const copy = path.join(tmp, "shard-0-again.json");
    await copyFile(shardFiles[0]!, copy);
    const run = await runCli(["merge", "--quiet", ...shardFiles, copy]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/duplicated shard 0/);
    expect(run.stderr).toContain(copy);
  });

  it("refuses a shard report of another candidate, naming the file (exit 2)", async () => {
    // The smallest shard, run with the right matrix values but another candidate.
    const e = [...matrix].sort((a, b) => a.positions.split(",").length - b.positions.split(",").length)[0]!;
    const other = path.join(tmp, "other-candidate.json");
    expect([0, 1]).toContain(await runShard(e, other, otherCandidate));
    const files = shardFiles.map((f, i) => (i === e.shard ? other : f));
    const run = await runCli(["merge", "--quiet", ...files]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/different candidates/);
    expect(run.stderr).toContain(other);
  });

  it("refuses reports of another plan, and reports whose fingerprint does not match their content (exit 2)", async () => {
    const otherPlan = await plan(2);
    expect(otherPlan.matrix[0]!.fingerprint).not.toBe(matrix[0]!.fingerprint);
    const part = (await readReport(shardFiles[1]!)) as Report & { shard: NonNullable<Report["shard"]> };
    const foreign = path.join(tmp, "foreign-plan.json");
    await writeFile(foreign, JSON.stringify({ ...part, shard: { ...part.shard, fingerprint: otherPlan.matrix[0]!.fingerprint } }));
    const run = await runCli(["merge", "--quiet", shardFiles[0]!, foreign, shardFiles[2]!]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/different plans/);
    expect(run.stderr).toContain(foreign);
    // Every report claiming one fingerprint that is not the plan of what they contain.
    const fake = "f".repeat(64);
    const forged: string[] = [];
    for (const [i, f] of shardFiles.entries()) {
      const r = (await readReport(f)) as Report & { shard: NonNullable<Report["shard"]> };
      forged.push(path.join(tmp, `forged-${i}.json`));
      await writeFile(forged[i]!, JSON.stringify({ ...r, shard: { ...r.shard, fingerprint: fake } }));
    }
    const run2 = await runCli(["merge", "--quiet", ...forged]);
    expect(run2.code).toBe(2);
    expect(run2.stderr).toMatch(/do not match their plan/);
  });

  it("refuses a report without a shard mark, and an unmatched glob (exit 2)", async () => {
    const plain = await runCli(["merge", "--quiet", path.join(tmp, "single.json")]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/not a partial report/);
    const none = await runCli(["merge", "--quiet", path.join(tmp, "nowhere", "*.json")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no report matches/);
  });

  it("check refuses incomplete shard flags (exit 2)", async () => {
    const run = await runCli(["check", "--candidate", candidate, "--reference", references[0]!, "--shard", "0/2", "--quiet"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--plan-fingerprint and --plan-positions together/);
  });
});

/** The Action from source (src/index.ts through tsx), as the runner runs it: INPUT_* variables, output and summary files. */
async function runAction(inputs: Record<string, string>, cwd: string): Promise<{ status: number | null; log: string; outputs: Record<string, string>; summary: string }> {
  const dir = await tempDir("runner");
  const outputFile = path.join(dir, "output");
  const summaryFile = path.join(dir, "summary");
  await writeFile(outputFile, "");
  await writeFile(summaryFile, "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    ...tempEnv(),
    GITHUB_WORKSPACE: cwd,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_SERVER_URL: "https://github.example",
    GITHUB_REPOSITORY: "org/repo",
    GITHUB_RUN_ID: "42",
    RUNNER_TEMP: dir,
    HF_ENDPOINT: server.url,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const r = await new Promise<{ status: number | null; log: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", pathToFileURL(path.join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href, path.join(REPO_ROOT, "src/index.ts")], {
      cwd,
      env,
    });
    let log = "";
    child.stdout.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    child.on("close", (status) => resolve({ status, log }));
  });
  const outputs: Record<string, string> = {};
  const lines = (await readFile(outputFile, "utf8")).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    outputs[m[1]!] = value.join("\n");
  }
  return { ...r, outputs, summary: await readFile(summaryFile, "utf8") };
}

describe("the Action's modes (from source)", () => {
  it("mode plan outputs the CLI's matrix; mode check with a shard writes a partial report; mode merge gates on a glob of reports", async () => {
    const ws = await tempDir("ws");
    const planned = await runAction({ mode: "plan", candidate, references: references.join("\n"), shards: String(SHARDS) }, ws);
    expect(planned.status).toBe(0);
    expect(JSON.parse(planned.outputs.matrix!)).toEqual({ include: matrix });
    expect(planned.outputs.fingerprint).toBe(matrix[0]!.fingerprint);
    // A shard's check through the Action (a one-reference plan, to stay quick): a partial report.
    const small = (await plan(1, [references[0]!])).matrix[0]!;
    const checked = await runAction(
      {
        mode: "check",
        "fail-on": "never",
        candidate,
        references: small.references,
        shard: String(small.shard),
        shards: String(small.shards),
        "plan-fingerprint": small.fingerprint,
        "plan-positions": small.positions,
        "report-path": "small-shard.json",
      },
      ws,
    );
    expect(checked.status).toBe(0);
    expect((await readReport(path.join(ws, "small-shard.json"))).shard).toEqual({ index: 0, count: 1, fingerprint: small.fingerprint, positions: [0] });
    // The CLI's partial reports of the big plan, merged by the Action from a glob.
    await mkdir(path.join(ws, "reports"));
    for (const f of shardFiles) await copyFile(f, path.join(ws, "reports", path.basename(f)));
    const merged = await runAction({ mode: "merge", reports: "reports/*.json", "fail-on": "reused", "report-path": "merged.json" }, ws);
    expect(merged.status).toBe(1);
    expect(merged.log).toMatch(/::error::fromscratch: verdict reused/);
    expect(merged.outputs.verdict).toBe("reused");
    expect(merged.summary).toMatch(/REUSED/);
    expect(merged.summary).toContain("https://github.example/org/repo/actions/runs/42");
    const report = await readReport(path.join(ws, "merged.json"));
    expect(comparable(report)).toEqual(comparable(single.report));
    // A missing shard fails the step with the refusal.
    const refused = await runAction({ mode: "merge", reports: "reports/fromscratch-shard-0.json\nreports/fromscratch-shard-2.json" }, ws);
    expect(refused.status).toBe(1);
    expect(refused.log).toMatch(/::error::refusing to merge: missing shard 1 of 3/);
  });
});
