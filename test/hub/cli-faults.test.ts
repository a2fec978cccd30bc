/**
 * Each network fault of the test Hub through the real CLI: exit code, the
 * message on stderr, and the report written with --report. A recovered fault
 * gives the same result as a clean run (exit 1: the fine-tune is `reused`);
 * one that is not recovered is exit 3 with `error` in the report and a verdict
 * that is never `independent`. The token appears nowhere in the output or the
 * report, and never reaches the CDN.
 *
 * The CLI is given shorter Hub timings (CliIO.hubTimings, passed to every
 * source it builds) to keep stalls and backoff short.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/report/schema.js";
import { tiny } from "../helpers/fixtures.js";
import { readReport, runCli } from "../helpers/run-cli.js";
import { type Fault, type FaultOptions, type HubServer, type RequestLog, startHubServer } from "./server.js";
import { tempDir } from "../helpers/temp.js";

const TOKEN = "hf_cli_fault_token_5e2a9";
const REF = "open/llm-a";

let server: HubServer;
let tmp: string;
let candidate: string;
let refFiles: Record<string, Uint8Array | string>;
let refBytes: Uint8Array;
let otherBytes: Uint8Array;
let baseline: Report;

function headerEnd(b: Uint8Array): number {
  return 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
}
function rangeOf(r: RequestLog): [number, number] | null {
  const m = r.range ? /^bytes=(\d+)-(\d+)$/.exec(r.range) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}
/** CDN reads of tensor data (after the header), optionally at least `min` bytes long. */
function tensorRead(min = 1): FaultOptions {
  return {
    origin: "cdn",
    when: (r) => {
      const g = rangeOf(r);
      return g !== null && g[0] >= headerEnd(refBytes) && g[1] - g[0] + 1 >= min;
    },
  };
}
const CDN = /^\/repos\//;
/** Short stalls and backoff for every Hub source the CLI builds. */
const FAST = { retryBaseMs: 10, stallMs: 300 };

beforeAll(async () => {
  tmp = await tempDir("clifaults");
  candidate = await tiny("llm-a-sft");
  const dir = await tiny("llm-a");
  refBytes = new Uint8Array(await readFile(path.join(dir, "model.safetensors")));
  otherBytes = new Uint8Array(await readFile(path.join(await tiny("llm-b"), "model.safetensors")));
  refFiles = { "model.safetensors": refBytes, "config.json": await readFile(path.join(dir, "config.json"), "utf8") };
  server = await startHubServer({ token: TOKEN, repos: { [REF]: { files: refFiles, license: "mit" } } });
  const clean = await check();
  expect(clean.code).toBe(1);
  baseline = clean.report!;
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => {
  server.faults.clear();
  server.onRequest = null;
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  report: Report | null;
  requests: RequestLog[];
  ms: number;
}

async function check(on: HubServer = server): Promise<Run> {
  const report = path.join(tmp, `r-${Math.random().toString(36).slice(2)}.json`);
  const before = on.requests.length;
  const t0 = Date.now();
  const run = await runCli(["check", "--candidate", candidate, "--reference", REF, "--endpoint", on.url, "--token", TOKEN, "--report", report, "--quiet"], {}, { hubTimings: FAST });
  const ms = Date.now() - t0;
  let parsed: Report | null = null;
  try {
    parsed = await readReport(report);
  } catch {
    // no report written
  }
  return { ...run, report: parsed, requests: on.requests.slice(before), ms };
}

/** What must hold whatever the fault. */
function common(run: Run): void {
  expect(run.report).not.toBeNull();
  for (const text of [run.stdout, run.stderr, JSON.stringify(run.report)]) expect(text).not.toContain(TOKEN);
  expect(run.requests.filter((r) => r.origin === "cdn").every((r) => !r.authorization)).toBe(true);
  expect(run.requests.filter((r) => r.origin === "hub").every((r) => r.authorization)).toBe(true);
}

/** Recovered: exit 1 and the very same comparison as the clean run. */
function recovered(run: Run): void {
  common(run);
  expect(run.code).toBe(1);
  const report = run.report!;
  expect(report.error).toBeUndefined();
  expect(report.verdict).toBe("reused");
  expect(report.references[0]!.revision).toBe(server.shaOf(REF));
  expect(report.references[0]!.components).toEqual(baseline.references[0]!.components);
}

/** Not recovered: exit 3, the message on stderr and in the report, never `independent`. */
function failed(run: Run, message: RegExp): void {
  common(run);
  expect(run.code).toBe(3);
  expect(run.stderr).toMatch(new RegExp(`^error: ${message.source}`, "m"));
  const report = run.report!;
  expect(report.error).toMatchObject({ kind: "fetch", exitCode: 3 });
  expect(report.error!.message).toMatch(message);
  expect(report.verdict).not.toBe("independent");
  expect(report.verdict).toBe("inconclusive");
  expect(report.gate.failed).toBe(true);
  const ref = report.references[0]!;
  expect(ref.verdict).toBe("inconclusive");
  expect(ref.error?.message).toMatch(message);
  expect(ref.reason).toMatch(/^could not complete: /);
}

async function withFault(pattern: RegExp, faults: Fault[], opts?: FaultOptions): Promise<Run> {
  server.faults.next(pattern, faults, opts);
  return check();
}

describe("clean run", () => {
  it("exit 1 (the fine-tune is reused), no warnings", () => {
    expect(baseline.verdict).toBe("reused");
    expect(baseline.error).toBeUndefined();
    expect(baseline.references[0]!.license).toBe("mit");
  });
});

describe("429 / 5xx", () => {
  it("429 with Retry-After: 0 on model info, twice, then success: exit 1", async () => {
    const run = await withFault(/^\/api\/models\/open\/llm-a\/revision\//, [
      { status: 429, retryAfter: 0 },
      { status: 429, retryAfter: 0 },
    ]);
    recovered(run);
    expect(run.stderr).toMatch(/^warning: HTTP 429 from http:\/\/127\.0\.0\.1:\d+\/api\/models\/open\/llm-a\/revision\/HEAD; retrying in 0 s \(attempt 2\/4\)$/m);
    expect(run.requests.filter((r) => r.url.includes("/revision/")).map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("429 with a Retry-After beyond the retry budget (the default --network-timeout, 60 s) mid-run: exit 3 at once, saying how long the Hub asked to wait", async () => {
    server.faults.always(CDN, { status: 429, retryAfter: 3600, body: "rate limited" }, tensorRead());
    const run = await check();
    failed(run, /open\/llm-a@[0-9a-f]{40}:model\.safetensors: HTTP 429 from http:\/\/127\.0\.0\.1:\d+\/repos\/[0-9a-f]{64}\/model\.safetensors \(rate limited\): the Hub asked to wait 3600 s \(Retry-After\) before retrying, more than the 60 s left of the 60 s retry budget; gave up after 1 attempt, try again later or raise --network-timeout/);
    // At once: waiting would take the 60 s budget (and more); no bound near the run's own speed.
    expect(run.ms).toBeLessThan(50_000);
    expect(run.requests.filter((r) => r.status === 429)).toHaveLength(1);
  });

  it("503 twice on a tensor read, then recovery: exit 1", async () => {
    const run = await withFault(CDN, [{ status: 503 }, { status: 503 }], tensorRead());
    recovered(run);
    expect(run.stderr).toMatch(/^warning: HTTP 503 from .*\/repos\/[0-9a-f]{64}\/model\.safetensors; retrying in 0\.01 s \(attempt 2\/4\)$/m);
    expect(run.stderr).toMatch(/retrying in 0\.02 s \(attempt 3\/4\)$/m);
  });

  it("503 on every request to the Hub: exit 3 after the bounded attempts", async () => {
    server.faults.always(/^\/api\/models\/open\/llm-a\//, { status: 503, body: "upstream unavailable" });
    const run = await check();
    // The reference is given as open/llm-a, which is no local path either: the message says both readings.
    failed(run, /no local path open\/llm-a; as a Hub repo: open\/llm-a: the Hub answered HTTP 503 \(upstream unavailable\) after 4 attempts; try again later/);
    expect(run.requests.filter((r) => r.status === 503)).toHaveLength(4);
  });
});

describe("broken bodies", () => {
  it("a body truncated mid-read is resumed from the last byte: exit 1", async () => {
    const run = await withFault(CDN, [{ truncate: 1000 }], tensorRead(20_000));
    recovered(run);
    expect(run.stderr).toMatch(/^warning: open\/llm-a@[0-9a-f]{40}:model\.safetensors: the body from .* ended after 1000 of \d+ bytes \(Content-Length 1000\); resuming at byte \d+/m);
    const cut = run.requests.find((r) => r.origin === "cdn" && r.bytes === 1000)!;
    const [b, e] = rangeOf(cut)!;
    expect(run.requests.some((r) => r.origin === "cdn" && r.range === `bytes=${b + 1000}-${e}`)).toBe(true);
  });

  it("a connection dropped mid-body is resumed: exit 1", async () => {
    const run = await withFault(CDN, [{ dropAfter: 30_000 }], tensorRead(60_000));
    recovered(run);
    expect(run.stderr).toMatch(/^warning: open\/llm-a@[0-9a-f]{40}:model\.safetensors: connection broke mid-body .*; resuming at byte \d+/m);
    expect(run.requests.filter((r) => r.aborted)).toHaveLength(1);
  });

  it("a connection dropped before any answer is retried: exit 1", async () => {
    const run = await withFault(CDN, [{ reset: true }], tensorRead());
    recovered(run);
    expect(run.stderr).toMatch(/^warning: network error fetching .*\/repos\/[0-9a-f]{64}\/model\.safetensors: .*; retrying/m);
  });

  it("bodies cut short on every request: exit 3, never short data", async () => {
    server.faults.always(CDN, { truncate: 100 }, tensorRead(20_000));
    const run = await check();
    failed(run, /open\/llm-a@[0-9a-f]{40}:model\.safetensors: the body from .* ended after 100 of \d+ bytes \(Content-Length 100\); gave up after 4 attempts with 400 of \d+ bytes of range \d+-\d+ received/);
  });
});

describe("a server that ignores Range", () => {
  it("every read answered 200 with the whole file: exit 1 with the same result, one warning, the waste in bytesRead", async () => {
    server.faults.always(CDN, { ignoreRange: true }, { origin: "cdn" });
    const run = await check();
    recovered(run);
    const warnings = run.stderr.split("\n").filter((l) => /ignores Range requests/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(`^warning: open/llm-a@[0-9a-f]{40}:model\\.safetensors: the server ignores Range requests \\(HTTP 200 with the whole ${refBytes.length}-byte file\\)`),
    );
    expect(run.requests.filter((r) => r.origin === "cdn").every((r) => r.status === 200)).toBe(true);
    // Every byte before each range was received and counts (the waste shows in the report), but each
    // answer was cut once its range was complete: at most a read chunk past the range's end.
    const cdnReads = run.requests.filter((r) => r.origin === "cdn").map((r) => rangeOf(r)!);
    const before = cdnReads.reduce((s, [b]) => s + b, 0);
    const waste = run.report!.bytesRead - baseline.bytesRead;
    expect(waste).toBeGreaterThanOrEqual(before);
    expect(waste).toBeLessThanOrEqual(before + cdnReads.length * 256 * 1024);
  });
});

describe("stalled connections", () => {
  it("no answer within the stall limit, once: retried, exit 1", async () => {
    const run = await withFault(CDN, [{ stall: 10_000 }], tensorRead());
    recovered(run);
    expect(run.stderr).toMatch(/^warning: network error fetching .*: no response within 0\.3 s \(stalled connection\); retrying/m);
  });

  it("a body that stops mid-way: resumed, exit 1", async () => {
    const run = await withFault(CDN, [{ stall: 10_000, stallAfterBytes: 5000 }], tensorRead(20_000));
    recovered(run);
    expect(run.stderr).toMatch(/^warning: open\/llm-a@[0-9a-f]{40}:model\.safetensors: no data for 0\.3 s \(stalled connection\); resuming at byte \d+ \(5000 of \d+ bytes received/m);
  });

  it("a Hub that never answers: exit 3 within bounded time", async () => {
    server.faults.always(/^\/api\/models\/open\/llm-a\//, { stall: 10_000 });
    const run = await check();
    failed(
      run,
      /could not reach the Hub at http:\/\/127\.0\.0\.1:\d+ for open\/llm-a \(and no local folder open\/llm-a exists\)\. .* Cause: open\/llm-a: no response from http:\/\/127\.0\.0\.1:\d+\/api\/models\/open\/llm-a\/revision\/HEAD within [\d.]+ s \(4 attempts, each dropped after 0\.3 s of silence, [\d.]+ s in all; stalled connection\); raise --network-timeout/,
    );
    // At once: waiting would take the 60 s budget (and more); no bound near the run's own speed.
    expect(run.ms).toBeLessThan(50_000);
  });
});

describe("a repo changing mid-run", () => {
  it("the weights are replaced after the headers were read: exit 3, reported, not mixed", async () => {
    const s = await startHubServer({ token: TOKEN, repos: { [REF]: { files: refFiles, license: "mit" } } });
    try {
      const pinned = s.shaOf(REF);
      let replaced = false;
      s.onRequest = (r) => {
        const g = rangeOf(r);
        if (!replaced && r.origin === "cdn" && g !== null && g[0] >= headerEnd(refBytes)) {
          // The first read of tensor data (coalesced spans may cover the whole small model in one request).
          replaced = true;
          s.replaceFile(REF, "model.safetensors", otherBytes);
        }
      };
      const run = await check(s);
      expect(replaced).toBe(true);
      common(run);
      failed(run, /open\/llm-a: the repo changed while it was being read \(file model\.safetensors: etag "[0-9a-f]{64}" then "[0-9a-f]{64}"\); re-run to check one revision/);
      // The reference was pinned to the sha it had when the run started.
      expect(run.report!.references[0]!.revision).toBe(pinned);
      expect(s.shaOf(REF)).not.toBe(pinned);
    } finally {
      await s.close();
    }
  });
});
