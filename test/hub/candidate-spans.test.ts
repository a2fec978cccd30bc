/**
 * A Hub candidate checked against several references is fetched once: its
 * span cache serves every reference after the first (in memory, or from a
 * scratch file when the memory budget is small), the scratch file never
 * outlives the run, and the verdicts are those of separate runs.
 */
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../src/engine/engine.js";
import { drifted, llamaModel, toSafetensors } from "../../src/examples/generate.js";
import type { Report } from "../../src/report/schema.js";
import { parseSettings } from "../../src/settings/settings.js";
import { createSource } from "../../src/sources/parse-source.js";
import type { Logger } from "../../src/sources/types.js";
import { tempDir } from "../helpers/temp.js";
import { type HubServer, startHubServer } from "./server.js";

const SHAPE = { hidden: 256, intermediate: 704, vocab: 512, layers: 3 };
let server: HubServer;
let candidateOid: string;
let candidateSize: number;

beforeAll(async () => {
  const base = llamaModel(SHAPE, 11);
  const files = {
    candidate: toSafetensors(drifted(base, 12, 0.2)),
    base: toSafetensors(base),
    sibling: toSafetensors(drifted(base, 13, 0.3)),
    other: toSafetensors(llamaModel(SHAPE, 14)),
  };
  candidateOid = createHash("sha256").update(files.candidate).digest("hex");
  candidateSize = files.candidate.length;
  server = await startHubServer({
    repos: Object.fromEntries(Object.entries(files).map(([name, bytes]) => [`open/${name}`, { files: { "model.safetensors": bytes } }])),
  });
});

afterAll(async () => {
  await server?.close();
});

/** One check through the real engine and Hub sources; the candidate's bytes as the server counted them. */
async function check(references: string[], opts: { scratchDir?: string; memoryBytes?: number } = {}) {
  const settings = parseSettings({ mode: "check", candidate: "open/candidate", references, endpoint: server.url, sample: "exact" });
  const lines: string[] = [];
  const logger: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m) };
  const before = server.requests.length;
  const { report } = await runCheck(settings, {
    openSource: (s) => createSource(s, { endpoint: server.url, token: null, logger }),
    logger,
    now: () => Date.now(),
    scratchDir: opts.scratchDir ?? null,
    spanCache: opts.memoryBytes === undefined ? undefined : { memoryBytes: opts.memoryBytes },
  });
  const candidateBytes = server.requests
    .slice(before)
    .filter((r) => r.origin === "cdn" && r.url.startsWith(`/repos/${candidateOid}/`))
    .reduce((s, r) => s + r.bytes, 0);
  return { report, candidateBytes, lines };
}

const verdicts = (r: Report) => r.references.map((x) => [x.source, x.verdict]);

describe("the candidate's span cache (a Hub candidate against several references)", () => {
  it("fetches each candidate byte once across 3 references (<= 1.05x one reference's), with the verdicts of separate runs", async () => {
    const one = await check(["open/base"]);
    expect(one.candidateBytes).toBeGreaterThan(0.9 * candidateSize);
    const three = await check(["open/base", "open/sibling", "open/other"]);
    expect(three.candidateBytes / one.candidateBytes).toBeLessThanOrEqual(1.05);
    expect(three.lines.some((l) => /^candidate span cache: \d+ reads/.test(l))).toBe(true);
    const separate = [one.report, (await check(["open/sibling"])).report, (await check(["open/other"])).report];
    expect(verdicts(three.report)).toEqual(separate.map((r) => verdicts(r)[0]));
    expect(verdicts(three.report).map(([, v]) => v)).toEqual(["reused", "reused", "independent"]);
    console.log(`candidate ${candidateSize} bytes; served for 1 reference ${one.candidateBytes}, for 3 references ${three.candidateBytes} (${(three.candidateBytes / one.candidateBytes).toFixed(3)}x)`);
  });

  it("spills past its memory budget to a scratch file in the given dir, which is gone after the run (also when a reference fails)", async () => {
    const scratch = await tempDir("spans");
    const one = await check(["open/base"], { scratchDir: scratch });
    const spilled = await check(["open/base", "open/missing", "open/sibling", "open/other"], { scratchDir: scratch, memoryBytes: 64 << 10 });
    const line = spilled.lines.find((l) => l.startsWith("candidate span cache: "))!;
    expect(line).toBeDefined();
    expect(Number(/([\d.]+) MB spilled/.exec(line)![1])).toBeGreaterThan(0.5);
    expect(spilled.candidateBytes / one.candidateBytes).toBeLessThanOrEqual(1.05);
    expect(spilled.report.references[1]!.error).toBeDefined();
    expect(verdicts(spilled.report).map(([, v]) => v)).toEqual(["reused", "inconclusive", "reused", "independent"]);
    expect(await readdir(scratch)).toEqual([]);
  });
});
