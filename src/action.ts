/**
 * GitHub glue only: inputs -> settings, run the engine, annotations, job
 * summary, outputs. Every input is read once, in `readInputs`, and parsed in
 * settings/; everything the step does to the runner goes through an ActionIO,
 * so `run` is testable in-process. The engine never sees core.
 */
import os from "node:os";
import path from "node:path";
import * as core from "@actions/core";
import type { CacheAccess } from "./action/cache-client.js";
import { actionsCacheStoreFor } from "./action/cache-store.js";
import { referenceOpener, runCheck } from "./engine/engine.js";
import { FromScratchError, InternalError } from "./common/errors.js";
import { expandReportPaths, mergeReports, readPartials } from "./fanout/merge.js";
import { describePlan, makePlan, matrixOf } from "./fanout/plan.js";
import { renderHtml } from "./report/html.js";
import { renderMarkdown } from "./report/markdown.js";
import type { Report } from "./report/schema.js";
import { type AnySettings, type CheckSettings, type MergeSettings, type PlanSettings, parseSettings } from "./settings/settings.js";
import { deprecationsIn, inputOfFlag, readActionInputs } from "./settings/read-options.js";
import { createSource, parseSource } from "./sources/parse-source.js";
import type { Logger } from "./sources/types.js";
import { fmtP, fmtPct, fmtR, identicalTag, nothingComparable, nothingComparableWarning, strongest } from "./report/format.js";
import { checkOutputPath, writeOutput } from "./common/output-file.js";
import { count } from "./common/words.js";

/** GitHub drops annotations past 10 per type per step; keep the first 10 and point to the summary. */
const MAX_ANNOTATIONS = 10;

/** Where an annotation points (the subset of core.AnnotationProperties this step sets). */
export interface AnnotationProps {
  title?: string;
  file?: string;
  startLine?: number;
}

/** Everything the step does to the runner: inputs, outputs, log, annotations, summary, failure. */
export interface ActionIO {
  getInput(name: string): string;
  setOutput(name: string, value: string): void;
  /** Mask a value in the log. */
  setSecret(value: string): void;
  info(message: string): void;
  /** A warning annotation. */
  warning(message: string, props?: AnnotationProps): void;
  /** An error annotation. */
  error(message: string, props?: AnnotationProps): void;
  /** Fail the step (one error annotation and exit code 1). */
  setFailed(message: string): void;
  /** Append markdown to the job summary. */
  writeSummary(markdown: string): Promise<void>;
  env: Record<string, string | undefined>;
  /** The fetch under Hub requests (tests: a local server); default the global fetch. */
  fetch?: typeof fetch;
  /** The GitHub cache service, when the step has one (input actions-cache); absent: not available. */
  cache?: CacheAccess;
}

/** The runner's ActionIO, over @actions/core, with the GitHub cache service's calls (src/action/cache-client.ts). */
export function coreIO(cache?: CacheAccess): ActionIO {
  return {
    getInput: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    setSecret: (value) => core.setSecret(value),
    info: (m) => core.info(m),
    warning: (m, props) => core.warning(m, props),
    error: (m, props) => core.error(m, props),
    setFailed: (m) => core.setFailed(m),
    writeSummary: async (md) => {
      await core.summary.addRaw(md).write();
    },
    env: process.env,
    cache,
  };
}

/** Every input, read once through the option table (settings/read-options.ts), with the environment's defaults, parsed in settings/. */
function readInputs(io: ActionIO): AnySettings {
  const env = io.env;
  const raw = readActionInputs((name) => io.getInput(name), env, (secret) => io.setSecret(secret));
  // The tool cache persists on self-hosted runners; on hosted ones the input actions-cache carries entries between jobs.
  raw.cacheDir ||= env.RUNNER_TOOL_CACHE ? `${env.RUNNER_TOOL_CACHE}/fromscratch` : "";
  raw.format = "markdown";
  for (const w of deprecationsIn(raw)) io.info(`warning: ${inActionTerms(w)}`);
  // A relative references-file is the workspace's, like a relative candidate.
  const settings = parseSettings(raw, { entry: "action", referencesFile: { baseDir: env.GITHUB_WORKSPACE || process.cwd() } });
  if (settings.mode !== "merge" && settings.token) io.setSecret(settings.token);
  if (settings.mode !== "merge") for (const n of settings.notes) io.info(`note: ${inActionTerms(n)}`);
  return settings;
}

/** The candidate's config.json or index, relative to the workspace, when it is a local path inside it. */
function annotationFile(candidate: string, env: ActionIO["env"]): string | undefined {
  const parsed = parseSource(candidate);
  if (parsed.kind !== "local") return undefined;
  const ws = env.GITHUB_WORKSPACE ?? process.cwd();
  const abs = path.resolve(parsed.path);
  const dir = abs.endsWith(".safetensors") ? path.dirname(abs) : abs;
  const rel = path.relative(ws, path.join(dir, "config.json"));
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join("/");
}

/** The CLI flags the engine's messages name, and the Action inputs a workflow sets instead (from the option table). */
const INPUT_OF_FLAG: Record<string, string> = inputOfFlag();

/** Word a message for a workflow author: CLI flags become the Action's input names. */
export function inActionTerms(message: string): string {
  return message.replace(/--([a-z][a-z-]*)/g, (m, flag: string) => (INPUT_OF_FLAG[flag] ? `input \`${INPUT_OF_FLAG[flag]}\`` : m));
}

/**
 * The step's log: engine info, warnings and progress are log lines, never
 * annotations (retries, cache misses and slow links are not findings).
 */
function actionLogger(io: ActionIO): Logger {
  let last = 0;
  return {
    info: (m) => io.info(inActionTerms(m)),
    warn: (m) => io.info(`warning: ${inActionTerms(m)}`),
    progress: (m) => {
      if (Date.now() - last > 10_000) {
        last = Date.now();
        io.info(m);
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
function annotate(io: ActionIO, report: Report, file: string | undefined, willFail: boolean): void {
  const lines = (r: Report["references"][number]) =>
    r.components
      .filter((c) => c.verdict === r.verdict)
      .map((c) => {
        const top = strongest(c, 1)[0];
        const ident = c.identical?.tensors ?? 0;
        return `${c.name}: ${fmtPct(c.share)} of parameters with evidence${ident ? ` (${count(ident, "byte-identical matrix", "byte-identical matrices")})` : ""}, combined p ${fmtP(c.log10pCorrected)} corrected${top ? `, strongest ${top.candidate} (p ${fmtP(top.log10p)}, effect ${fmtR(top.effect)}, r ${fmtR(top.pearson)}${top.identical ? `, ${identicalTag(top)}` : ""})` : ""}. ${c.reason}`;
      })
      .join(" ");
  const reused = report.references.filter((r) => r.verdict === "reused");
  const inconclusive = report.references.filter((r) => r.verdict === "inconclusive");
  const errorSlots = MAX_ANNOTATIONS - (willFail ? 1 : 0);
  const overflow = reused.length > errorSlots || inconclusive.length > MAX_ANNOTATIONS;
  const warningSlots = MAX_ANNOTATIONS - (overflow ? 1 : 0);
  const props = (r: Report["references"][number]) => ({ title: `fromscratch: ${r.verdict} (${r.source})`, file, startLine: file ? 1 : undefined });
  reused.forEach((r, i) => {
    const text = `Not independent of ${r.source}${r.revision ? `@${r.revision}` : ""} (copied, fine-tuned, or trained from a shared initialisation). ${lines(r)}`;
    if (i < errorSlots) io.error(inActionTerms(text), props(r));
    else io.info(`reused: ${inActionTerms(text)}`);
  });
  inconclusive.forEach((r, i) => {
    // Nothing comparable is most likely a misconfigured reference list: its own words, never a silent pass.
    const none = nothingComparable(r);
    const text = none ? nothingComparableWarning(r, report.failOn, "action") : `Inconclusive against ${r.source}: ${r.error?.message ?? lines(r)}`;
    if (i < warningSlots) io.warning(none ? text : inActionTerms(text), none ? { ...props(r), title: `fromscratch: nothing comparable (${r.source})` } : props(r));
    else io.info(`inconclusive: ${inActionTerms(text)}`);
  });
  if (overflow) {
    io.warning(
      `${reused.length} reused and ${inconclusive.length} inconclusive references; GitHub shows at most ${MAX_ANNOTATIONS} annotations of each type per step, so the rest are in the log and the job summary.`,
    );
  }
}

/** A failed step: the one error annotation `core.setFailed` emits, worded for a workflow. */
function fail(io: ActionIO, message: string): void {
  io.setFailed(inActionTerms(message));
}

/** `mode: plan`: list headers, balance the references over `shards`, output the job matrix. */
async function runPlanMode(io: ActionIO, settings: PlanSettings): Promise<void> {
  const logger = actionLogger(io);
  const plan = await makePlan(settings, settings.shards, {
    openSource: (s) => createSource(s, { endpoint: settings.endpoint, token: settings.token, fetch: io.fetch, logger, networkTimeoutMs: settings.networkTimeoutMs }),
    logger,
  });
  for (const l of describePlan(plan)) io.info(l);
  io.setOutput("matrix", JSON.stringify(matrixOf(plan)));
  io.setOutput("fingerprint", plan.fingerprint);
  await io.writeSummary(`## fromscratch plan\n\n\`\`\`\n${describePlan(plan).join("\n")}\n\`\`\`\n`);
}

/** Where the full reports are when the summary is cut: the run's artifacts. */
function artifactNote(env: ActionIO["env"]): string {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = env;
  return server && repo && id ? `\nFull JSON reports (merged and per shard): the artifacts of [this run](${server}/${repo}/actions/runs/${id}).\n` : "";
}

/** `mode: merge`: the shards' partial reports -> one report, one summary, one gate. */
async function runMergeMode(io: ActionIO, settings: MergeSettings): Promise<void> {
  const files = await expandReportPaths(settings.reports);
  const reportPath = settings.reportPath ?? "fromscratch-report.json";
  await checkOutputPath(reportPath, "--report");
  io.info(`merging ${files.length} partial reports: ${files.join(", ")}`);
  const report = mergeReports(await readPartials(files), { failOn: settings.failOn });
  await finishStep(io, report, null, { reportPath, htmlPath: null, candidate: report.candidate.source, note: artifactNote(io.env) });
}

/**
 * Write the report files, set the outputs, annotate, write the job summary
 * and fail the step by the verdict (or by the error that stopped the run).
 * A file that cannot be written is a log line and a line in the summary; the
 * verdict, outputs and gate never depend on it.
 */
async function finishStep(
  io: ActionIO,
  report: Report,
  error: FromScratchError | null,
  out: { reportPath: string; htmlPath: string | null; candidate: string; note?: string },
): Promise<void> {
  const unwritten: string[] = [];
  const write = async (file: string, what: string, content: () => string): Promise<boolean> => {
    const why = await writeOutput(file, content());
    if (why) {
      unwritten.push(`could not write the ${what} to ${file} (${why}); the verdict stands`);
      io.info(`warning: ${unwritten[unwritten.length - 1]}`);
      return false;
    }
    return true;
  };
  const reportWritten = await write(out.reportPath, "JSON report", () => JSON.stringify(report, null, 2) + "\n");
  io.setOutput("verdict", report.verdict);
  io.setOutput("report-path", reportWritten ? out.reportPath : "");
  // The HTML report only when asked (input html-report); uploading it is the workflow's choice.
  if (out.htmlPath && (await write(out.htmlPath, "HTML report", () => renderHtml(report, { reportPath: out.reportPath })))) io.setOutput("html-path", out.htmlPath);
  io.setOutput("reused-references", JSON.stringify(report.references.filter((r) => r.verdict === "reused").map((r) => r.source)));
  const failure = error ?? (report.error ? report.error : null);
  // Stopped before any reference was compared: no verdict to show, so the error alone (no INCONCLUSIVE block).
  if (failure && failure.kind !== "internal" && report.references.every((r) => r.error)) {
    await summariseFailure(io, failure.message + unwritten.map((u) => `; ${u}`).join(""), failure.kind);
    return fail(io, `fromscratch could not complete: ${failure.message}`);
  }
  const willFail = failure !== null || report.gate.failed;
  annotate(io, report, annotationFile(out.candidate, io.env), willFail);
  // renderMarkdown stays under 1,000,000 bytes; the notes keep the whole under GitHub's 1 MiB.
  const notes = unwritten.map((u) => `\n> ⚠️ ${u}\n`).join("");
  await io.writeSummary(inActionTerms(renderMarkdown(report, { reportPath: out.reportPath, htmlPath: out.htmlPath, entry: "action" })) + notes + (out.note ?? ""));
  if (failure) fail(io, `fromscratch could not complete: ${failure.message}`);
  else if (report.gate.failed) fail(io, `fromscratch: ${report.gate.rule}`);
}

/** The job summary of a step stopped before it had a report: what went wrong, in one place. */
async function summariseFailure(io: ActionIO, message: string, kind: string | null): Promise<void> {
  const hint = kind === "usage" ? "Check the step's `with:` inputs (the fromscratch README lists them).\n\n" : "";
  try {
    await io.writeSummary(`## fromscratch: ⚠️ could not run\n\n**Error:** ${inActionTerms(message).replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)}\n\n${hint}No verdict was reached, so the step fails.\n`);
  } catch (e) {
    io.info(`warning: could not write the job summary: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** `mode: check` (the default): one check, its report, annotations, summary, outputs and gate. */
async function runCheckMode(io: ActionIO, settings: CheckSettings): Promise<void> {
  const logger = actionLogger(io);
  const reportPath = settings.reportPath ?? "fromscratch-report.json";
  // Output paths that can never be written are refused before any work.
  await checkOutputPath(reportPath, "--report");
  if (settings.htmlPath) await checkOutputPath(settings.htmlPath, "--html");
  const cacheStore = await actionsCacheStoreFor(settings.actionsCache, { env: io.env, cacheDir: settings.cacheDir ?? "", logger, access: io.cache });
  const openSource = (s: string) => createSource(s, { endpoint: settings.endpoint, token: settings.token, fetch: io.fetch, logger, networkTimeoutMs: settings.networkTimeoutMs });
  const { report, error } = await runCheck(settings, {
    openSource,
    openReference: referenceOpener(openSource, { cacheDir: settings.cacheDir, logger, cacheStore }),
    logger,
    now: () => Date.now(),
    // The runner's temp dir (emptied after every job), else the OS's.
    scratchDir: io.env.RUNNER_TEMP || os.tmpdir(),
  });
  if (settings.shard) report.shard = settings.shard;
  await finishStep(io, report, error, { reportPath, htmlPath: settings.htmlPath, candidate: settings.candidate });
  if (error instanceof InternalError) io.info(error.detail);
}

/** The step: read the inputs, run the mode, and turn any error into a failed step with a summary. */
export async function run(io: ActionIO = coreIO()): Promise<void> {
  try {
    const settings = readInputs(io);
    if (settings.mode === "plan") return await runPlanMode(io, settings);
    if (settings.mode === "merge") return await runMergeMode(io, settings);
    await runCheckMode(io, settings);
  } catch (e) {
    const message = e instanceof FromScratchError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)} (a bug: please report it)`;
    if (!(e instanceof FromScratchError)) io.info((e as Error)?.stack ?? String(e));
    await summariseFailure(io, message, e instanceof FromScratchError ? e.kind : null);
    fail(io, message);
  }
}
