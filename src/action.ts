/**
 * GitHub glue only: inputs -> Settings, run the engine, annotations, job
 * summary, outputs. Every input is read here once; the engine never sees core.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as core from "@actions/core";
import { actionsCacheStoreFor, parseActionsCacheMode } from "./action-cache-store.js";
import { runCheck } from "./compare/engine.js";
import { FromScratchError, UsageError } from "./errors.js";
import { expandReportPaths, mergeReports, parseFailOn, readPartials } from "./merge.js";
import { describePlan, makePlan, matrixOf, parseShardCount, parseShardMark } from "./plan.js";
import { renderHtml } from "./report/html.js";
import { renderMarkdown } from "./report/markdown.js";
import type { Report } from "./report/schema.js";
import { parseSettings } from "./settings.js";
import { createSource, parseSource } from "./sources/parse-source.js";
import type { Logger } from "./sources/types.js";
import { fmtPct, fmtR, fmtZ, strongest } from "./report/format.js";

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

function annotate(report: Report, file: string | undefined): void {
  let errors = 0;
  let warnings = 0;
  for (const r of report.references) {
    const comps = r.components.filter((c) => c.verdict === r.verdict);
    const detail = comps
      .map((c) => {
        const top = strongest(c, 1)[0];
        return `${c.name}: ${fmtPct(c.share)} of parameters matched, median r ${fmtR(c.pearsonMedian)}${top ? `, strongest ${top.candidate} (r ${fmtR(top.pearson)}, z ${fmtZ(top.z)})` : ""}. ${c.reason}`;
      })
      .join(" ");
    const props = { title: `fromscratch: ${r.verdict} (${r.source})`, file, startLine: file ? 1 : undefined };
    if (r.verdict === "reused") {
      if (++errors <= MAX_ANNOTATIONS) core.error(`Weights reused from ${r.source}${r.revision ? `@${r.revision}` : ""}. ${detail}`, props);
    } else if (r.verdict === "inconclusive") {
      if (++warnings <= MAX_ANNOTATIONS) core.warning(`Inconclusive against ${r.source}: ${r.error?.message ?? detail}`, props);
    }
  }
  if (errors > MAX_ANNOTATIONS || warnings > MAX_ANNOTATIONS) {
    core.warning(`${errors} reused and ${warnings} inconclusive references; only the first ${MAX_ANNOTATIONS} of each are annotated. See the job summary.`);
  }
}

/** `mode: plan`: list headers, balance the references over `shards`, output the job matrix. */
async function runPlanMode(): Promise<void> {
  const settings = readInputs();
  const shards = parseShardCount(core.getInput("shards"));
  const logger: Logger = { info: (m) => core.info(m), warn: (m) => core.warning(m) };
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
  core.info(`merging ${files.length} partial reports: ${files.join(", ")}`);
  const report = mergeReports(await readPartials(files), { failOn: parseFailOn(core.getInput("fail-on")) });
  const reportPath = core.getInput("report-path") || "fromscratch-report.json";
  await writeFile(reportPath, JSON.stringify(report, null, 2) + "\n");
  core.setOutput("verdict", report.verdict);
  core.setOutput("report-path", reportPath);
  core.setOutput("reused-references", JSON.stringify(report.references.filter((r) => r.verdict === "reused").map((r) => r.source)));
  annotate(report, annotationFile(report.candidate.source));
  // renderMarkdown stays under 1,000,000 bytes; the note keeps the whole under GitHub's 1 MiB.
  await core.summary.addRaw(renderMarkdown(report, { reportPath }) + artifactNote()).write();
  if (report.error) core.setFailed(`fromscratch could not complete: ${report.error.message}`);
  else if (report.gate.failed) core.setFailed(`fromscratch: ${report.gate.rule}`);
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
    const logger: Logger = {
      info: (m) => core.info(m),
      warn: (m) => core.warning(m),
      progress: (() => {
        let last = 0;
        return (m: string) => {
          if (Date.now() - last > 10_000) {
            last = Date.now();
            core.info(m);
          }
        };
      })(),
    };
    const cacheStore = actionsCacheStoreFor(parseActionsCacheMode(core.getInput("actions-cache")), { env: process.env, cacheDir: settings.cacheDir ?? "", logger });
    const { report, error } = await runCheck(settings, {
      openSource: (s) => createSource(s, { endpoint: settings.endpoint, token: settings.token, logger, networkTimeoutMs: settings.networkTimeoutMs }),
      logger,
      now: () => Date.now(),
      cacheStore,
    });
    if (shard) report.shard = shard;
    const reportPath = settings.reportPath!;
    await writeFile(reportPath, JSON.stringify(report, null, 2) + "\n");
    core.setOutput("verdict", report.verdict);
    core.setOutput("report-path", reportPath);
    // The HTML report only when asked (input html-report); uploading it is the workflow's choice.
    if (settings.htmlPath) {
      await writeFile(settings.htmlPath, renderHtml(report, { reportPath }));
      core.setOutput("html-path", settings.htmlPath);
    }
    core.setOutput("reused-references", JSON.stringify(report.references.filter((r) => r.verdict === "reused").map((r) => r.source)));
    annotate(report, annotationFile(settings.candidate));
    await core.summary.addRaw(renderMarkdown(report, { reportPath, htmlPath: settings.htmlPath })).write();
    if (error) core.setFailed(`fromscratch could not complete: ${error.message}`);
    else if (report.gate.failed) core.setFailed(`fromscratch: ${report.gate.rule}`);
  } catch (e) {
    core.setFailed(e instanceof FromScratchError ? e.message : `internal error: ${(e as Error)?.stack ?? String(e)}`);
  }
}
