/**
 * Every malformed input through the real CLI: exit code 2, the stable error
 * code of the problem (report `error.code`), an error line that names the file,
 * and never an "independent" verdict. Prose is asserted where it is the
 * requirement (the file named, "truncated or incomplete download") and where a
 * source still throws the generic code "format".
 */
import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { beforeAll, describe, expect, it } from "vitest";
import type { ErrorCode } from "../src/common/errors.js";
import { CORRUPT_KINDS, type CorruptCase, type CorruptKind, SINGLE_FILE_KINDS, writeCorrupt } from "./helpers/corrupt.js";
import { tiny } from "./helpers/fixtures.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

let tmp: string;
let valid: string;
beforeAll(async () => {
  tmp = await tempDir("malformed");
  valid = await tiny("llm-a");
});
let n = 0;
const reportPath = () => path.join(tmp, `report-${n++}.json`);

/** The code each corrupt kind fails with. */
const CODE_OF: Record<CorruptKind, ErrorCode> = {
  truncated: "format.truncated",
  "header-length-too-large": "format.header-too-large",
  "header-length-u64-max": "format.header-too-large",
  "header-length-past-eof": "format.truncated",
  "header-length-tiny": "format.header-too-small",
  "too-short": "format.header-too-small",
  "empty-file": "format.header-too-small",
  "not-json": "format.invalid-header",
  "not-utf8": "format.invalid-header",
  "not-object": "format.invalid-header",
  "duplicate-key": "format.invalid-header",
  "entry-not-object": "format.invalid-header",
  "dtype-missing": "format.invalid-header",
  "unknown-dtype": "format.unknown-dtype",
  "negative-offset": "format.invalid-offsets",
  "offsets-reversed": "format.invalid-offsets",
  "overlapping-offsets": "format.invalid-offsets",
  gap: "format.invalid-offsets",
  "offsets-past-buffer": "format.truncated",
  "span-mismatch": "format.invalid-offsets",
  "not-whole-bytes": "format.misaligned",
  "element-overflow": "format.overflow",
  "bad-shape": "format.invalid-header",
  "metadata-wrong-type": "format.invalid-header",
  "metadata-not-object": "format.invalid-header",
  "trailing-bytes": "format.invalid-offsets",
  "index-shard-dotdot": "format.invalid-index",
  "index-shard-absolute": "format.invalid-index",
  "index-shard-not-safetensors": "format.invalid-index",
  "index-tensor-not-in-shard": "format.index-mismatch",
  "index-wrong-shard": "format.index-mismatch",
  "shard-tensor-not-in-index": "format.index-mismatch",
  "tensor-in-two-shards": "format.index-mismatch",
  "index-not-json": "format.invalid-index",
  "index-duplicate-key": "format.invalid-index",
  "index-no-weight-map": "format.invalid-index",
  "index-empty-weight-map": "format.invalid-index",
  "shard-corrupt": "format.truncated",
  // Thrown by the sources' listing: still the generic code (the prose is asserted too).
  "index-missing-shard": "format",
  "shard-symlink-escape": "format",
  // No safetensors weights where a model was expected: the message lists what the folder holds (prose asserted).
  "pickle-only-dir": "format.no-weights",
  "pickle-file": "format.no-weights",
  "empty-dir": "format.no-weights",
  "lora-adapter-only": "format.no-weights",
  "shards-without-index": "format.no-weights",
  "other-safetensors-name": "format.no-weights",
  "many-files": "format.no-weights",
};

/** The prose is the requirement for truncated files, and the only check left for generic codes. */
const proseChecked = (c: CorruptCase) => ["format", "format.truncated", "format.no-weights"].includes(CODE_OF[c.kind]);

function expectNamesProblem(stderr: string, c: CorruptCase): void {
  const errorLines = stderr.split("\n").filter((l) => l.startsWith("error: "));
  expect(errorLines, stderr).toHaveLength(1);
  expect(errorLines[0]).toContain(c.file);
  if (proseChecked(c)) expect(errorLines[0]).toMatch(c.problem);
  expect(stderr).not.toMatch(/internal error/);
}

describe("a malformed candidate: exit 2, the file named, the problem stated", () => {
  it.each(CORRUPT_KINDS.map((k) => [k]))("%s", async (kind) => {
    const c = await writeCorrupt(path.join(tmp, "cand"), kind);
    const out = reportPath();
    const run = await runCli(["check", "--candidate", c.source, "--reference", valid, "--quiet", "--report", out]);
    expect(run.code, run.stderr).toBe(2);
    expectNamesProblem(run.stderr, c);
    expect(run.stdout + run.stderr).not.toMatch(/independent/i);
    const report = await readReport(out);
    expect(report.verdict).toBe("inconclusive");
    expect(report.error).toMatchObject({ kind: "format", code: CODE_OF[kind], exitCode: 2 });
    expect(report.gate.rule).not.toMatch(/independent/);
  });

  it.each(SINGLE_FILE_KINDS.map((k) => [k]))("%s, given as the .safetensors file itself", async (kind) => {
    const c = await writeCorrupt(path.join(tmp, "cand-file"), kind, { asFile: true });
    expect(c.source.endsWith(c.file)).toBe(true);
    const run = await runCli(["check", "--candidate", c.source, "--reference", valid, "--quiet"]);
    expect(run.code, run.stderr).toBe(2);
    expectNamesProblem(run.stderr, c);
    expect(run.stdout + run.stderr).not.toMatch(/independent/i);
  });

  it("the JSON report on stdout is partial and not independent", async () => {
    const c = await writeCorrupt(path.join(tmp, "json"), "truncated");
    const run = await runCli(["check", "--candidate", c.source, "--reference", valid, "--quiet", "--format", "json"]);
    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as { verdict: string; references: unknown[]; error?: { code: string; message: string } };
    expect(report.verdict).toBe("inconclusive");
    expect(report.references).toEqual([]);
    expect(report.error?.code).toBe("format.truncated");
    expect(report.error?.message).toMatch(/truncated or incomplete download/);
  });
});

describe("a malformed reference (valid candidate): exit 2, the report is not independent and carries the error", () => {
  it.each(CORRUPT_KINDS.map((k) => [k]))("%s", async (kind) => {
    const c = await writeCorrupt(path.join(tmp, "ref"), kind);
    const out = reportPath();
    const run = await runCli(["check", "--candidate", valid, "--reference", c.source, "--quiet", "--report", out]);
    expect(run.code, run.stderr).toBe(2);
    expectNamesProblem(run.stderr, c);
    const report = await readReport(out);
    expect(report.verdict).not.toBe("independent");
    expect(report.verdict).toBe("inconclusive");
    expect(report.error).toMatchObject({ kind: "format", code: CODE_OF[kind], exitCode: 2 });
    expect(report.error!.message).toContain(c.file);
    const ref = report.references[0]!;
    expect(ref.verdict).toBe("inconclusive");
    expect(ref.error).toMatchObject({ kind: "format", code: CODE_OF[kind] });
    expect(ref.reason).toMatch(/^could not complete: /);
    expect(ref.components).toEqual([]);
  });

  it("one good and one corrupt reference: the good one is still compared, the run still exits 2 and is not independent", async () => {
    const c = await writeCorrupt(path.join(tmp, "ref2"), "span-mismatch");
    const out = reportPath();
    const run = await runCli(["check", "--candidate", await tiny("llm-b"), "--reference", valid, "--reference", c.source, "--quiet", "--report", out]);
    expect(run.code).toBe(2);
    const report = await readReport(out);
    expect(report.references.map((r) => r.verdict)).toEqual(["independent", "inconclusive"]);
    expect(report.verdict).toBe("inconclusive");
    expect(report.error?.code).toBe("format.invalid-offsets");
  });

  it("a reference whose config.json has a trailing comma is compared normally (config.json is never read)", async () => {
    const dir = path.join(tmp, "ref-bad-config");
    await cp(valid, dir, { recursive: true });
    await writeFile(path.join(dir, "config.json"), '{"model_type": "llama",');
    const out = reportPath();
    const run = await runCli(["check", "--candidate", await tiny("llm-a-sft"), "--reference", dir, "--quiet", "--report", out]);
    expect(run.code, run.stderr).toBe(1);
    const report = await readReport(out);
    expect(report.error).toBeUndefined();
    expect(report.references.map((r) => r.verdict)).toEqual(["reused"]);
  });

  it("a corrupt reference does not hide reuse found in another reference", async () => {
    const c = await writeCorrupt(path.join(tmp, "ref3"), "not-json");
    const out = reportPath();
    const run = await runCli(["check", "--candidate", await tiny("llm-a-sft"), "--reference", c.source, "--reference", valid, "--quiet", "--report", out]);
    expect(run.code).toBe(2);
    const report = await readReport(out);
    expect(report.references.map((r) => r.verdict)).toEqual(["inconclusive", "reused"]);
    expect(report.verdict).toBe("reused");
  });
});

describe("bad usage: exit 2 and the usage hint", () => {
  const cases: [string, () => Promise<string[]>, RegExp][] = [
    ["a missing candidate path", async () => ["check", "--candidate", path.join(tmp, "does-not-exist"), "--reference", valid], /no such file or directory: .*does-not-exist\n/],
    ["a missing reference path", async () => ["check", "--candidate", valid, "--reference", path.join(tmp, "nope", "model.safetensors")], /no such file or directory: .*nope\/model\.safetensors\n/],
    ["an unknown flag", async () => ["check", "--candidate", valid, "--reference", valid, "--frobnicate"], /frobnicate/],
    ["a positional argument", async () => ["check", "--candidate", valid, "--reference", valid, "extra"], /extra|positional/i],
    ["no reference", async () => ["check", "--candidate", valid], /at least one reference is required/],
    ["an empty reference", async () => ["check", "--candidate", valid, "--reference", " , "], /at least one reference is required/],
    ["no candidate", async () => ["check", "--reference", valid], /a candidate is required/],
    ["a bad --fail-on", async () => ["check", "--candidate", valid, "--reference", valid, "--fail-on", "sometimes"], /--fail-on must be one of reused, inconclusive, never \(got "sometimes"\)/],
    ["a bad --format", async () => ["check", "--candidate", valid, "--reference", valid, "--format", "yaml"], /--format must be one of text, json, markdown/],
    ["a non-numeric --min-pearson", async () => ["check", "--candidate", valid, "--reference", valid, "--min-pearson", "high"], /--min-pearson must be a number between 0 and 1 \(got "high"\)/],
    ["an out-of-range --min-pearson", async () => ["check", "--candidate", valid, "--reference", valid, "--min-pearson", "1.5"], /--min-pearson must be a number between 0 and 1/],
    ["a negative --min-z", async () => ["check", "--candidate", valid, "--reference", valid, "--min-z=-1"], /--min-z must be a number/],
    ["NaN --min-share", async () => ["check", "--candidate", valid, "--reference", valid, "--min-share", "NaN"], /--min-share must be a number/],
    ["--components without =", async () => ["check", "--candidate", valid, "--reference", valid, "--components", "vision"], /--components: "vision" is not name=glob/],
    ["--components with an empty name", async () => ["check", "--candidate", valid, "--reference", valid, "--components", "=model.*"], /--components: "=model\.\*" is not name=glob/],
    ["--components with no globs", async () => ["check", "--candidate", valid, "--reference", valid, "--components", "vision=;language=model.*"], /--components: "vision=" is not name=glob/],
    ["--components that is only separators", async () => ["check", "--candidate", valid, "--reference", valid, "--components", ";;"], /--components is empty/],
    ["a plain-http non-loopback endpoint", async () => ["check", "--candidate", valid, "--reference", valid, "--endpoint", "http://example.com"], /only https is allowed \(http is accepted for loopback hosts only: localhost, 127\.0\.0\.0\/8, ::1\)/],
    ["an endpoint with credentials", async () => ["check", "--candidate", valid, "--reference", valid, "--endpoint", "https://user:pw@huggingface.co"], /must not embed credentials/],
    ["an ftp endpoint", async () => ["check", "--candidate", valid, "--reference", valid, "--endpoint", "ftp://huggingface.co"], /must be an https:\/\/ URL/],
    ["an endpoint that is not a URL", async () => ["check", "--candidate", valid, "--reference", valid, "--endpoint", "not a url"], /is not a valid URL/],
    ["an unknown command", async () => ["compare", "--candidate", valid], /unknown command "compare"/],
    ["a zero --network-timeout", async () => ["check", "--candidate", valid, "--reference", valid, "--network-timeout", "0"], /--network-timeout must be a number of seconds, above 0 and at most 3600 \(got "0"\)/],
    ["a negative --network-timeout", async () => ["check", "--candidate", valid, "--reference", valid, "--network-timeout=-5"], /--network-timeout must be a number of seconds/],
    ["a --network-timeout above an hour", async () => ["check", "--candidate", valid, "--reference", valid, "--network-timeout", "3601"], /--network-timeout must be a number of seconds, above 0 and at most 3600 \(got "3601"\)/],
    ["a --network-timeout with a unit", async () => ["check", "--candidate", valid, "--reference", valid, "--network-timeout", "60s"], /--network-timeout must be a number of seconds/],
    ["a hex --network-timeout", async () => ["check", "--candidate", valid, "--reference", valid, "--network-timeout", "0x10"], /--network-timeout must be a number of seconds/],
    ["an infinite --network-timeout on plan", async () => ["plan", "--candidate", valid, "--reference", valid, "--shards", "1", "--network-timeout", "Infinity"], /--network-timeout must be a number of seconds/],
    ["a source that is neither a path nor a repo id", async () => ["check", "--candidate", "not a repo", "--reference", valid], /neither an existing local path nor a Hugging Face repo/],
    ["a hub source with an empty revision", async () => ["check", "--candidate", "hf://org/name@", "--reference", valid], /not a valid Hub reference/],
  ];
  it.each(cases)("%s", async (_label, args, message) => {
    const run = await runCli([...(await args()), "--quiet"]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.stdout).not.toMatch(/independent/i);
  });

  // ./x, ../x, /abs and ~/x are local only: missing, they fail at once (exit 2), and the Hub is never asked.
  it.each([["./models/noisyy"], ["../models/noisyy"], ["~/fromscratch-missing-9f3a/models/noisyy"], ["/nonexistent-fromscratch/models/noisyy"]])(
    "a missing %s is local only: exit 2, no such file or directory, no Hub attempt",
    async (source) => {
      // A closed loopback port: any Hub attempt would show up as a network error in the output.
      const run = await runCli(["check", "--candidate", source, "--reference", valid, "--quiet", "--endpoint", "http://127.0.0.1:9"]);
      expect(run.code, run.stderr).toBe(2);
      const shown = source.startsWith("~/") ? path.join(os.homedir(), source.slice(2)) : source;
      expect(run.stderr).toContain(`error: no such file or directory: ${shown}\n`);
      expect(run.stderr).not.toMatch(/network|Hub repo|127\.0\.0\.1/);
    },
  );

  it("a plain-http endpoint from $HF_ENDPOINT is refused too", async () => {
    const run = await runCli(["check", "--candidate", valid, "--reference", valid, "--quiet"], { HF_ENDPOINT: "http://10.0.0.1:8080" });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/only https is allowed/);
  });

  it("loopback http endpoints are accepted (local files never touch it)", async () => {
    // The sources' rule: localhost, 127.0.0.0/8 and ::1.
    for (const endpoint of ["http://localhost:1", "http://127.0.0.1:1", "http://127.1.2.3:1", "http://[::1]:1", "http://LOCALHOST:1"]) {
      const run = await runCli(["check", "--candidate", valid, "--reference", valid, "--quiet", "--endpoint", endpoint]);
      expect({ endpoint, code: run.code }).toEqual({ endpoint, code: 1 });
    }
  });

  it("no arguments at all prints the usage and exits 2", async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/Usage:/);
  });
});
