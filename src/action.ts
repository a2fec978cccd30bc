/**
 * GitHub glue only: inputs -> Settings, run the engine, annotations, job
 * summary, outputs. Every input is read here once; the engine never sees core.
 */
import path from "node:path";
import * as core from "@actions/core";
import { actionsCacheStoreFor, parseActionsCacheMode } from "./action/cache-store.js";
import { referenceOpener, runCheck } from "./engine/engine.js";
import { FromScratchError, InternalError, UsageError } from "./common/errors.js";
import { expandReportPaths, mergeReports, parseFailOn, readPartials } from "./fanout/merge.js";
import { describePlan, makePlan, matrixOf, parseShardCount, parseShardMark } from "./fanout/plan.js";
import { renderHtml } from "./report/html.js";
import { renderMarkdown } from "./report/markdown.js";
import type { Report } from "./report/schema.js";
import { parseSettings } from "./settings/settings.js";
import { createSource, parseSource } from "./sources/parse-source.js";
import type { Logger } from "./sources/types.js";
import { fmtPct, fmtR, fmtZ, strongest } from "./report/format.js";
import { checkOutputPath, writeOutput } from "./common/output-file.js";

/** GitHub drops annotations past 10 per type per step; keep the first 10 and point to the summary. */
const MAX_ANNOTATIONS = 10;

function readInputs() {
  const token = core.getInput("hf-token");
  if (token) core.setSecret(token);
  const settings = parseSettings({
    candidate: core.getInput("candidate"),
    references: [core.getInput("references")],
    reportPath: core.getInput("report-path") || "fromscratch-report.json",
    htmlPath: core.getInput("html-report"),
    failOn: core.getInput("fail-on"),
    endpoint: core.getInput("endpoint") || process.env.HF_ENDPOINT,
    token: token || process.env.HF_TOKEN,
    components: core.getInput("components"),
    minPearson: core.getInput("min-pearson"),
    minZ: core.getInput("min-z"),
    minShare: core.getInput("min-share"),
    sample: core.getInput("sample"),
    concurrency: core.getInput("concurrency"),
    networkTimeout: core.getInput("network-timeout"),
    // The tool cache persists on self-hosted runners; on hosted ones the input actions-cache carries entries between jobs.
    cacheDir: core.getInput("cache-dir") || (process.env.RUNNER_TOOL_CACHE ? `${process.env.RUNNER_TOOL_CACHE}/fromscratch` : ""),
    format: "markdown",
  });
  if (settings.token) core.setSecret(settings.token);
  return settings;
}

/** The candidate's config.json or index, relative to the workspace, when it is a local path inside it. */
function annotationFile(candidate: string): string | undefined {
  const parsed = parseSource(candidate);
  if (parsed.kind !== "local") return undefined;
  const ws = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const abs = path.resolve(parsed.path);
  const dir = abs.endsWith(".safetensors") ? path.dirname(abs) : abs;
  const rel = path.relative(ws, path.join(dir, "config.json"));
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join("/");
}

/** The CLI flags the engine's messages name, and the Action inputs a workflow sets instead. */
const INPUT_OF_FLAG: Record<string, string> = {
  candidate: "candidate",
  reference: "references",
  report: "report-path",
  html: "html-report",
  "fail-on": "fail-on",
  endpoint: "endpoint",
  token: "hf-token",
  components: "components",
  "min-pearson": "min-pearson",
  "min-z": "min-z",
  "min-share": "min-share",
  sample: "sample",
  concurrency: "concurrency",
  "cache-dir": "cache-dir",
  shard: "shard",
  shards: "shards",
  "plan-fingerprint": "plan-fingerprint",
  "plan-positions": "plan-positions",
  "network-timeout": "network-timeout",
};

/** Word a message for a workflow author: CLI flags become the Action's input names. */
export function inActionTerms(message: string): string {
  return message.replace(/--([a-z][a-z-]*)/g, (m, flag: string) => (INPUT_OF_FLAG[flag] ? `input \`${INPUT_OF_FLAG[flag]}\`` : m));
}

/**
 * The step's log: engine info, warnings and progress are log lines, never
 * annotations (retries, cache misses and slow links are not findings).
 */
function actionLogger(): Logger {
  let last = 0;
  return {
    info: (m) => core.info(inActionTerms(m)),
    warn: (m) => core.info(`warning: ${inActionTerms(m)}`),
    progress: (m) => {
      if (Date.now() - last > 10_000) {
        last = Date.now();
        core.info(m);
      }
    },
  };
}

/**
 * Annotations: one per reference judged reused (error) or inconclusive
 * (warning). GitHub keeps at most 10 of each type per step, counting every
 * annotation the step emits, so the budget counts the step's own failure
 * (`core.setFailed` is an error annotation) and the overflow note (a warning).
 */
function annotate(report: Report, file: string | undefined, willFail: boolean): void {
  const lines = (r: Report["references"][number]) =>
    r.components
      .filter((c) => c.verdict === r.verdict)
      .map((c) => {
        const top = strongest(c, 1)[0];
        const ident = c.tensors.filter((t) => t.identical && t.informative).length;
        return `${c.name}: ${fmtPct(c.share)} of parameters matched${ident ? ` (${ident} byte-identical ${ident === 1 ? "matrix" : "matrices"})` : ""}, median r ${fmtR(c.pearsonMedian)}${top ? `, strongest ${top.candidate} (r ${fmtR(top.pearson)}, z ${fmtZ(top.z)}${top.identical ? ", identical" : ""})` : ""}. ${c.reason}`;
      })
      .join(" ");
  const reused = report.references.filter((r) => r.verdict === "reused");
  const inconclusive = report.references.filter((r) => r.verdict === "inconclusive");
  const errorSlots = MAX_ANNOTATIONS - (willFail ? 1 : 0);
  const overflow = reused.length > errorSlots || inconclusive.length > MAX_ANNOTATIONS;
  const warningSlots = MAX_ANNOTATIONS - (overflow ? 1 : 0);
  const props = (r: Report["references"][number]) => ({ title: `fromscratch: ${r.verdict} (${r.source})`, file, startLine: file ? 1 : undefined });
  reused.forEach((r, i) => {
    const text = `Weights reused from ${r.source}${r.revision ? `@${r.revision}` : ""}. ${lines(r)}`;
    if (i < errorSlots) core.error(inActionTerms(text), props(r));
    else core.info(`reused: ${inActionTerms(text)}`);
  });
  inconclusive.forEach((r, i) => {
    const text = `Inconclusive against ${r.source}: ${r.error?.message ?? lines(r)}`;
    if (i < warningSlots) core.warning(inActionTerms(text), props(r));
    else core.info(`inconclusive: ${inActionTerms(text)}`);
  });
  if (overflow) {
    core.warning(
      `${reused.length} reused and ${inconclusive.length} inconclusive references; GitHub shows at most ${MAX_ANNOTATIONS} annotations of each type per step, so the rest are in the log and the job summary.`,
    );
  }
}

/** A failed step: the one error annotation `core.setFailed` emits, worded for a workflow. */
function fail(message: string): void {
  core.setFailed(inActionTerms(message));
}

/** `mode: plan`: list headers, balance the references over `shards`, output the job matrix. */
async function runPlanMode(): Promise<void> {
  const settings = readInputs();
  const shards = parseShardCount(core.getInput("shards"));
  const logger = actionLogger();
  const plan = await makePlan(settings, shards, {
    openSource: (s) => createSource(s, { endpoint: settings.endpoint, token: settings.token, logger, networkTimeoutMs: settings.networkTimeoutMs }),
    logger,
  });
  for (const l of describePlan(plan)) core.info(l);
  core.setOutput("matrix", JSON.stringify(matrixOf(plan)));
  core.setOutput("fingerprint", plan.fingerprint);
  await core.summary.addRaw(`## fromscratch plan\n\n\`\`\`\n${describePlan(plan).join("\n")}\n\`\`\`\n`).write();
}

/** Where the full reports are when the summary is cut: the run's artifacts. */
function artifactNote(): string {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = process.env;
  return server && repo && id ? `\nFull JSON reports (merged and per shard): the artifacts of [this run](${server}/${repo}/actions/runs/${id}).\n` : "";
}

/** `mode: merge`: the shards' partial reports -> one report, one summary, one gate. */
async function runMergeMode(): Promise<void> {
  const patterns = core.getInput("reports");
  if (!patterns.trim()) throw new UsageError("mode: merge needs the input `reports` (files, directories or globs of the shards' partial reports)");
  const files = await expandReportPaths([patterns]);
  const reportPath = core.getInput("report-path") || "fromscratch-report.json";
  await checkOutputPath(reportPath, "--report");
  core.info(`merging ${files.length} partial reports: ${files.join(", ")}`);
  const report = mergeReports(await readPartials(files), { failOn: parseFailOn(core.getInput("fail-on")) });
  await finishStep(report, null, { reportPath, htmlPath: null, candidate: report.candidate.source, note: artifactNote() });
}

/**
 * Write the report files, set the outputs, annotate, write the job summary
 * and fail the step by the verdict (or by the error that stopped the run).
 * A file that cannot be written is a log line and a line in the summary; the
 * verdict, outputs and gate never depend on it.
 */
async function finishStep(
  report: Report,
  error: FromScratchError | null,
  out: { reportPath: string; htmlPath: string | null; candidate: string; note?: string },
): Promise<void> {
  const unwritten: string[] = [];
  const write = async (file: string, what: string, content: () => string): Promise<boolean> => {
    const why = await writeOutput(file, content());
    if (why) {
      unwritten.push(`could not write the ${what} to ${file} (${why}); the verdict stands`);
      core.info(`warning: ${unwritten[unwritten.length - 1]}`);
      return false;
    }
    return true;
  };
  const reportWritten = await write(out.reportPath, "JSON report", () => JSON.stringify(report, null, 2) + "\n");
  core.setOutput("verdict", report.verdict);
  core.setOutput("report-path", reportWritten ? out.reportPath : "");
  // The HTML report only when asked (input html-report); uploading it is the workflow's choice.
  if (out.htmlPath && (await write(out.htmlPath, "HTML report", () => renderHtml(report, { reportPath: out.reportPath })))) core.setOutput("html-path", out.htmlPath);
  core.setOutput("reused-references", JSON.stringify(report.references.filter((r) => r.verdict === "reused").map((r) => r.source)));
  const failure = error ?? (report.error ? report.error : null);
  const willFail = failure !== null || report.gate.failed;
  annotate(report, annotationFile(out.candidate), willFail);
  // renderMarkdown stays under 1,000,000 bytes; the notes keep the whole under GitHub's 1 MiB.
  const notes = unwritten.map((u) => `\n> ⚠️ ${u}\n`).join("");
  await core.summary.addRaw(inActionTerms(renderMarkdown(report, { reportPath: out.reportPath, htmlPath: out.htmlPath })) + notes + (out.note ?? "")).write();
  if (failure) fail(`fromscratch could not complete: ${failure.message}`);
  else if (report.gate.failed) fail(`fromscratch: ${report.gate.rule}`);
}

/** The job summary of a step stopped before it had a report: what went wrong, in one place. */
async function summariseFailure(message: string): Promise<void> {
  try {
    await core.summary.addRaw(`## fromscratch: ⚠️ could not run\n\n**Error:** ${inActionTerms(message).replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)}\n\nNo verdict was reached, so the step fails.\n`).write();
  } catch (e) {
    core.info(`warning: could not write the job summary: ${(e as Error)?.message ?? String(e)}`);
  }
}

export async function run(): Promise<void> {
  try {
    const mode = core.getInput("mode").trim() || "check";
    if (mode === "plan") return await runPlanMode();
    if (mode === "merge") return await runMergeMode();
    if (mode !== "check") throw new UsageError(`input mode must be check, plan or merge (got ${JSON.stringify(mode)})`);
    const settings = readInputs();
    const shard = parseShardMark(
      { shard: core.getInput("shard"), shards: core.getInput("shards"), fingerprint: core.getInput("plan-fingerprint"), positions: core.getInput("plan-positions") },
      settings.references,
    );
    const logger = actionLogger();
    // Output paths that can never be written are refused before any work.
    await checkOutputPath(settings.reportPath!, "--report");
    if (settings.htmlPath) await checkOutputPath(settings.htmlPath, "--html");
    const cacheStore = actionsCacheStoreFor(parseActionsCacheMode(core.getInput("actions-cache")), { env: process.env, cacheDir: settings.cacheDir ?? "", logger });
    const openSource = (s: string) => createSource(s, { endpoint: settings.endpoint, token: settings.token, logger, networkTimeoutMs: settings.networkTimeoutMs });
    const { report, error } = await runCheck(settings, {
      openSource,
      openReference: referenceOpener(openSource, { cacheDir: settings.cacheDir, logger, cacheStore }),
      logger,
      now: () => Date.now(),
    });
    if (shard) report.shard = shard;
    await finishStep(report, error, { reportPath: settings.reportPath!, htmlPath: settings.htmlPath, candidate: settings.candidate });
    if (error instanceof InternalError) core.info(error.detail);
  } catch (e) {
    const message = e instanceof FromScratchError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)} (a bug: please report it)`;
    if (!(e instanceof FromScratchError)) core.info((e as Error)?.stack ?? String(e));
    await summariseFailure(message);
    fail(message);
  }
}
