/**
 * The gate fails closed and never loses its verdict: report paths in missing
 * folders are created, an unwritable path is refused before any work, a write
 * that fails after the comparison is a warning printed after the verdict (exit
 * by the verdict), a reference with nothing comparable is never a silent
 * `independent`, and byte-identical matrices are named. All through the CLI.
 */
import { existsSync } from "node:fs";
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/temp.js";
import type { Report } from "../src/report/schema.js";
import { tiny } from "./helpers/fixtures.js";
import { saveModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";

let tmp: string;
let sft: string;
let base: string;
beforeAll(async () => {
  tmp = await tempDir("failclosed");
  sft = await tiny("llm-a-sft");
  base = await tiny("llm-a");
});
describe("report files never lose the verdict", () => {
  it("--report, --html in missing folders: the folders are created, exit by the verdict", async () => {
    const report = path.join(tmp, "no/such/dir/r.json");
    const html = path.join(tmp, "other/deep/r.html");
    const run = await runCli(["check", "--candidate", sft, "--reference", base, "--quiet", "--report", report, "--html", html]);
    expect(run.code).toBe(1);
    expect((await readReport(report)).verdict).toBe("reused");
    expect(await readFile(html, "utf8")).toMatch(/<html/);
    expect(run.stdout).toMatch(/^verdict: REUSED/m);
  });

  it("a path that can never be written is refused before any work: exit 2, naming the flag and the file", async () => {
    const file = path.join(tmp, "a-file");
    await writeFile(file, "x");
    const underFile = await runCli(["check", "--candidate", sft, "--reference", base, "--report", path.join(file, "r.json")]);
    expect(underFile.code).toBe(2);
    expect(underFile.stderr).toContain(`--report ${path.join(file, "r.json")}: ${file} is a file, not a folder`);
    // Before any work: no header was read.
    expect(underFile.stderr).not.toMatch(/reading headers/);
    const folder = await runCli(["check", "--candidate", sft, "--reference", base, "--html", tmp]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`--html ${tmp}: is a folder`);
  });

  it.skipIf(!existsSync("/dev/full"))("a write that fails after the comparison: the verdict first, then a warning naming the file, exit by the verdict", async () => {
    // /dev/full accepts the open and fails every write (ENOSPC): a disk that fills up during the run.
    const run = await runCli(["check", "--candidate", sft, "--reference", base, "--quiet", "--report", "/dev/full"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^verdict: REUSED/m);
    expect(run.stderr).toMatch(/^warning: could not write the JSON report to \/dev\/full \(ENOSPC[^)]*\); the verdict above stands$/m);
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it("merge: --report and --summary in missing folders are created", async () => {
    const shardReport = path.join(tmp, "shard", "s.json");
    const planned = await runCli(["plan", "--candidate", sft, "--reference", base, "--shards", "1", "--quiet"]);
    const entry = (JSON.parse(planned.stdout) as { include: { shard: number; shards: number; fingerprint: string; positions: string }[] }).include[0]!;
    const shard = await runCli([
      "check", "--candidate", sft, "--reference", base, "--quiet", "--report", shardReport, "--fail-on", "never",
      "--shard", `${entry.shard}/${entry.shards}`, "--plan-fingerprint", entry.fingerprint, "--plan-positions", entry.positions,
    ]);
    expect(shard.code).toBe(0);
    const merged = path.join(tmp, "m/n/merged.json");
    const summary = path.join(tmp, "s/t/summary.md");
    // No --fail-on: the merge gates on `reused`, like check, though the shard ran with `never`.
    const run = await runCli(["merge", "--quiet", "--report", merged, "--summary", summary, shardReport]);
    expect(run.code).toBe(1);
    expect((await readReport(merged)).gate.failed).toBe(true);
    expect(await readFile(summary, "utf8")).toMatch(/REUSED/);
  });
});

describe("no silent green without evidence", () => {
  let cnn: string;
  beforeAll(async () => {
    let s = 1;
    const g = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
    const t = (shape: number[]) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, g) });
    cnn = path.join(tmp, "cnn");
    await saveModel(
      cnn,
      new Map([
        ["features.0.weight", t([32, 3, 3, 3])],
        ["features.0.bias", t([32])],
        ["features.3.weight", t([64, 32, 3, 3])],
        ["features.3.bias", t([64])],
        ["classifier.weight", t([10, 1024])],
        ["classifier.bias", t([10])],
      ]),
    );
  });

  it("a CNN against an LLM (not a single tensor comparable): inconclusive, shown on the reference's first line, and fail-on inconclusive fails", async () => {
    const out = path.join(tmp, "cnn.json");
    const run = await runCli(["check", "--candidate", cnn, "--reference", base, "--report", out, "--fail-on", "inconclusive", "--quiet"]);
    expect(run.code).toBe(1);
    const report = await readReport(out);
    expect(report.verdict).toBe("inconclusive");
    const comp = report.references[0]!.components[0]!;
    expect(comp.comparable).toBe(false);
    expect(comp.verdict).toBe("inconclusive");
    expect(comp.reason).toMatch(/^nothing comparable: /);
    expect(run.stdout).toContain(`${base}: INCONCLUSIVE (nothing comparable)`);
    const md = await runCli(["check", "--candidate", cnn, "--reference", base, "--format", "markdown", "--quiet"]);
    expect(md.stdout).toMatch(/### 🟡 <code>.*<\/code>: inconclusive \(nothing comparable\)/);
    // The default gate (reused) lets inconclusive pass, but never calls it independent.
    const dflt = await runCli(["check", "--candidate", cnn, "--reference", base, "--quiet"]);
    expect(dflt.code).toBe(0);
    expect(dflt.stdout).toMatch(/^verdict: INCONCLUSIVE/m);
  });

  it("a vision tower against a text-only reference whose language model was compared: independent (nothing comparable) for that component", async () => {
    const out = path.join(tmp, "vlm.json");
    const run = await runCli(["check", "--candidate", await tiny("vlm-cand"), "--reference", base, "--report", out, "--quiet"]);
    const report: Report = await readReport(out);
    const ref = report.references[0]!;
    const vision = ref.components.find((c) => c.name === "vision")!;
    expect(vision.verdict).toBe("independent");
    expect(vision.comparable).toBe(false);
    expect(ref.components.find((c) => c.name === "language")!.comparable).toBe(true);
    expect(ref.verdict).toBe("independent");
    expect(run.stdout).toMatch(/INDEPENDENT \(nothing comparable in [a-z, ]*vision[a-z, ]*\)/);
    expect(run.stdout).toMatch(/^ {2}vision +independent \(nothing comparable\)/m);
  });

  it("byte-identical matrices are named in the text output and the summary", async () => {
    const json = path.join(tmp, "same.json");
    const summary = await runCli(["check", "--candidate", base, "--reference", base, "--format", "markdown", "--report", json, "--quiet"]);
    const report = await readReport(json);
    const comp = report.references[0]!.components[0]!;
    const matrices = comp.tensors.filter((t) => t.informative);
    expect(comp.identical).toEqual({ tensors: matrices.length, parameters: matrices.reduce((s, t) => s + t.elements, 0) });
    expect(summary.stdout).toContain(`(${matrices.length} byte-identical matrices)`);
    expect(summary.stdout).toMatch(/, byte-identical\)/);
    const text = await runCli(["check", "--candidate", base, "--reference", base, "--quiet"]);
    expect(text.stdout).toContain(`${base}: REUSED (${matrices.length} byte-identical matrices)`);
    expect(text.stdout).toMatch(/^ {6}\d+ byte-identical matrices \(\d+\.\d% of the component's parameters\)$/m);
  });
});

describe("each error printed once", () => {
  it("a run stopped by an error after a comparison: the error once, on stderr; the text report refers to it", async () => {
    const missing = path.join(tmp, "missing-model");
    const run = await runCli(["check", "--candidate", sft, "--reference", base, "--reference", missing, "--quiet"]);
    expect(run.code).toBe(2);
    const all = run.stdout + "\n" + run.stderr;
    expect(all.split("\n").filter((l) => l.includes("no such file"))).toHaveLength(1);
    expect(run.stderr).toMatch(new RegExp(`^error: no such file or directory: ${missing}$`, "m"));
    expect(run.stdout).toMatch(/^verdict: REUSED/m);
    expect(run.stdout).toContain(`  could not complete (usage error, printed below)`);
  });

  it("a run stopped before any comparison: the error once, and no verdict block", async () => {
    const missing = path.join(tmp, "missing-model");
    const run = await runCli(["check", "--candidate", sft, "--reference", missing, "--quiet"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.split("\n").filter((l) => l.includes("no such file"))).toHaveLength(1);
  });
});

describe("a bug mid-run keeps the verdicts reached so far", () => {
  it("a reference whose reads hit an internal error: the earlier reference's verdict stands, the run reports an internal error, never independent", async () => {
    const { runCheck } = await import("../src/engine/engine.js");
    const { parseSettings } = await import("../src/settings/settings.js");
    const { LocalSource } = await import("../src/sources/local.js");
    const broken = path.join(tmp, "broken-ref");
    await cp(base, broken, { recursive: true });
    const settings = parseSettings({ candidate: await tiny("llm-b"), references: [base, broken] });
    const { report, error } = await runCheck(settings, {
      // A dependency with a bug (a TypeError, not a typed error) behind the second reference.
      openSource: (s) => {
        const src = new LocalSource(s);
        if (s !== broken) return src;
        return Object.assign(Object.create(src) as typeof src, {
          read: () => Promise.reject(new TypeError("cannot read properties of undefined (reading 'x')")),
        });
      },
      logger: { info: () => {}, warn: () => {} },
      now: () => 0,
    });
    expect(error?.kind, error?.message).toBe("internal");
    expect(report.error).toMatchObject({ kind: "internal", exitCode: 4 });
    expect(report.references[0]!.verdict).toBe("independent");
    expect(report.references[1]!.verdict).toBe("inconclusive");
    expect(report.references[1]!.error!.message).toMatch(/internal error: cannot read properties/);
    expect(report.verdict).toBe("inconclusive");
    expect(report.gate.failed).toBe(true);
  });
});
