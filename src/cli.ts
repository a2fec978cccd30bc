/**
 * CLI glue only: argv -> Settings, run the engine, print, exit code.
 *   fromscratch check --candidate SOURCE --reference SOURCE [...]
 *   fromscratch examples DIR
 */
import os from "node:os";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { referenceOpener, runCheck } from "./engine/engine.js";
import { EXIT, FromScratchError, InternalError, UsageError, exitCodeFor } from "./common/errors.js";
import { writeExamples } from "./examples/generate.js";
import { expandReportPaths, mergeReports, readPartials } from "./fanout/merge.js";
import { describePlan, makePlan, matrixOf } from "./fanout/plan.js";
import type { Report } from "./report/schema.js";
import { renderHtml } from "./report/html.js";
import { renderMarkdown } from "./report/markdown.js";
import { renderText } from "./report/text.js";
import { nothingComparable, nothingComparableWarning } from "./report/format.js";
import { type CheckSettings, type MergeSettings, type PlanSettings, parseSettings } from "./settings/settings.js";
import { createSource } from "./sources/parse-source.js";
import type { HubTimings } from "./sources/hub-timings.js";
import type { Logger } from "./sources/types.js";
import { checkOutputPath, writeOutput } from "./common/output-file.js";
import { COMMAND, VERSION } from "./common/version.js";

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
  /** stderr is a terminal: progress redraws one line. */
  isTTY: boolean;
  /** stdout is a terminal: the text output may use colour (unless NO_COLOR is set). */
  stdoutTTY?: boolean;
  fetch?: typeof fetch;
  /** Shorter Hub retry and stall timings for every source (tests); unset in normal use. */
  hubTimings?: HubTimings;
}

export const USAGE = `fromscratch ${VERSION}: were these weights trained from scratch?

Usage:
  ${COMMAND} check --candidate SOURCE --reference SOURCE [--reference SOURCE ...]
                            [--report FILE] [--html FILE] [--format text|json|markdown]
                            [--fail-on reused|inconclusive|never]
                            [--endpoint URL] [--token TOKEN] [--components SPEC]
                            [--level P] [--min-effect X] [--min-share X]
                            [--sample FRACTION|exact|auto] [--concurrency N] [--cache-dir DIR]
                            [--network-timeout SECONDS] [--quiet]
                            [--shard K/N --plan-fingerprint F --plan-positions I,J,...]
  ${COMMAND} plan  --candidate SOURCE --reference SOURCE [...] --shards N
                            [--endpoint URL] [--token TOKEN] [--components SPEC] [--sample ...]
                            [--link-mbs MBPS] [--link-latency-ms MS]
                            [--network-timeout SECONDS] [--quiet]
  ${COMMAND} merge [--report FILE] [--summary FILE] [--format text|json|markdown]
                            [--fail-on reused|inconclusive|never] [--quiet] REPORT.json|DIR|GLOB ...
  ${COMMAND} examples DIR   write the deterministic example models (base, finetune, independent)

SOURCE: a local directory (model.safetensors or model.safetensors.index.json + shards),
        a .safetensors file, or a Hub repo org/name[@revision] (also hf://org/name@revision).
--endpoint defaults to $HF_ENDPOINT or https://huggingface.co; --token defaults to $HF_TOKEN.
--components: name=glob,glob;name=glob (e.g. "vision=model.vision_model.*;language=model.language_model.*").
--sample: read that fraction of each large matrix's rows (deterministic chunks); auto (default) is exact
          up to 4 GiB compared per reference and samples down to ~1 GiB above.
--concurrency: read-ahead per remote model, up to N x 2 MiB of coalesced 4 MiB spans (one ranged request each),
               and blocks in flight per side (default 4), so transfers overlap computation.
--html: write a self-contained HTML report (heatmaps, per-layer lines, every tensor; loads nothing).
--network-timeout: the time one Hub request may take, all its attempts and the waits between them
          included, without an answer (or a download without a byte) before the run gives up with exit 3
          (default 60, at most 3600; default $FROMSCRATCH_NETWORK_TIMEOUT). Each attempt is dropped after
          min(30 s, timeout / 4) of silence.
--cache-dir: keep Hub references' headers and sampled rows per repo@sha (default $FROMSCRATCH_CACHE_DIR;
          none when unset), so a second sampled run fetches nothing from them.

plan: list headers only, split the references into at most N (<= 256) shards of balanced bytes, and print
          the job matrix {"include":[{"shard","shards","references","positions","fingerprint","bytes"}]} on one line;
          on stderr, per reference and in total: parameters, the bytes a check reads (exact or sampled, as the
          check will choose) and the time they take over a link of --link-mbs MB/s (default 100) with
          --link-latency-ms per ranged request (default 20).
--shard K/N --plan-fingerprint F --plan-positions I,J: run one matrix entry; the report is a partial report.
merge: combine the partial reports of one plan (every shard exactly once) into one report and one gate;
          refuses (exit 2) other plans, candidates or revisions, and missing or duplicated shards.

Exit codes: 0 gate passed, 1 gate failed, 2 bad usage or bad model files, 3 could not fetch, 4 internal error.
`;

/** The hint after a usage error. */
const USAGE_HINT = `run \`${COMMAND} --help\` for usage`;

function cliLogger(io: CliIO, quiet: boolean): Logger {
  let last = 0;
  let pending = false;
  return {
    info: (m) => {
      if (quiet) return;
      if (pending && io.isTTY) io.stderr("\n");
      pending = false;
      io.stderr(`${m}\n`);
    },
    warn: (m) => io.stderr(`warning: ${m}\n`),
    progress: (m) => {
      if (quiet) return;
      const now = Date.now();
      if (now - last < (io.isTTY ? 200 : 5000)) return;
      last = now;
      if (io.isTTY) {
        io.stderr(`\r${m}\x1b[K`);
        pending = true;
      } else io.stderr(`${m}\n`);
    },
  };
}

/** Flags `check` and `plan` share: where the models are and how to read them. */
const SOURCE_FLAGS = {
  candidate: { type: "string" },
  reference: { type: "string", multiple: true },
  endpoint: { type: "string" },
  token: { type: "string" },
  components: { type: "string" },
  sample: { type: "string" },
  concurrency: { type: "string" },
  "network-timeout": { type: "string" },
  quiet: { type: "boolean" },
} as const;

type SourceFlagValues = { candidate?: string; reference?: string[]; endpoint?: string; token?: string; components?: string; sample?: string; concurrency?: string; "network-timeout"?: string; quiet?: boolean };

/** The shared flags as raw inputs, with the environment's defaults. */
function sourceInputs(v: SourceFlagValues, env: CliIO["env"]) {
  return {
    candidate: v.candidate,
    references: v.reference ?? [],
    endpoint: v.endpoint ?? env.HF_ENDPOINT,
    token: v.token ?? env.HF_TOKEN,
    components: v.components,
    sample: v.sample,
    concurrency: v.concurrency,
    networkTimeout: v["network-timeout"] ?? env.FROMSCRATCH_NETWORK_TIMEOUT,
    quiet: v.quiet,
  };
}

/** argv of `check` (and the environment's defaults) -> CheckSettings. */
function parseCheckArgs(args: string[], env: CliIO["env"]): CheckSettings {
  const { values } = parseOrUsage({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ...SOURCE_FLAGS,
      report: { type: "string" },
      html: { type: "string" },
      format: { type: "string" },
      "fail-on": { type: "string" },
      "min-pearson": { type: "string" },
      "min-z": { type: "string" },
      "min-share": { type: "string" },
      level: { type: "string" },
      "min-effect": { type: "string" },
      "cache-dir": { type: "string" },
      shard: { type: "string" },
      "plan-fingerprint": { type: "string" },
      "plan-positions": { type: "string" },
    },
  });
  return parseSettings({
    mode: "check",
    ...sourceInputs(values, env),
    reportPath: values.report,
    htmlPath: values.html,
    format: values.format,
    failOn: values["fail-on"],
    minPearson: values["min-pearson"],
    minZ: values["min-z"],
    minShare: values["min-share"],
    level: values.level,
    minEffect: values["min-effect"],
    cacheDir: values["cache-dir"] ?? env.FROMSCRATCH_CACHE_DIR,
    shard: values.shard,
    planFingerprint: values["plan-fingerprint"],
    planPositions: values["plan-positions"],
  });
}

/** argv of `plan` -> PlanSettings. */
function parsePlanArgs(args: string[], env: CliIO["env"]): PlanSettings {
  const { values } = parseOrUsage({
    args,
    strict: true,
    allowPositionals: false,
    options: { ...SOURCE_FLAGS, shards: { type: "string" }, "link-mbs": { type: "string" }, "link-latency-ms": { type: "string" } },
  });
  return parseSettings({ mode: "plan", ...sourceInputs(values, env), shards: values.shards, linkMbs: values["link-mbs"], linkLatencyMs: values["link-latency-ms"] });
}

/** argv of `merge` -> MergeSettings. */
function parseMergeArgs(args: string[]): MergeSettings {
  const { values: v, positionals } = parseOrUsage({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      report: { type: "string" },
      summary: { type: "string" },
      format: { type: "string" },
      "fail-on": { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  return parseSettings(
    { mode: "merge", reports: positionals, reportPath: v.report, summaryPath: v.summary, format: v.format, failOn: v["fail-on"], quiet: v.quiet },
    { entry: "cli", command: COMMAND },
  );
}

function parseOrUsage<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `fromscratch plan`: the job matrix on stdout (one line, for $GITHUB_OUTPUT), the plan on stderr. */
async function runPlanCommand(args: string[], io: CliIO): Promise<number> {
  const settings = parsePlanArgs(args, io.env);
  const logger = cliLogger(io, settings.quiet);
  const plan = await makePlan(settings, settings.shards, {
    openSource: (s) => createSource(s, { endpoint: settings.endpoint, token: settings.token, fetch: io.fetch, logger, networkTimeoutMs: settings.networkTimeoutMs, hubTimings: io.hubTimings }),
    logger,
  });
  for (const l of describePlan(plan)) logger.info(l);
  io.stdout(JSON.stringify(matrixOf(plan)) + "\n");
  return EXIT.pass;
}

/** `fromscratch merge`: one report, one summary, one gate from the partial reports of one plan. */
async function runMergeCommand(args: string[], io: CliIO): Promise<number> {
  const settings = parseMergeArgs(args);
  const logger = cliLogger(io, settings.quiet);
  const { reportPath, summaryPath } = settings;
  if (reportPath) await checkOutputPath(reportPath, "--report");
  if (summaryPath) await checkOutputPath(summaryPath, "--summary");
  const files = await expandReportPaths(settings.reports);
  // Merge gates like check: without --fail-on the gate is `reused`, whatever the shards ran with.
  const report = mergeReports(await readPartials(files), { failOn: settings.failOn });
  logger.info(`merged ${files.length} partial reports (plan ${report.merged!.fingerprint.slice(0, 12)}, ${report.references.length} references)`);
  return await deliver(report, null, io, logger, {
    format: settings.format,
    reportPath,
    summaryPath,
    color: false,
  });
}

interface Deliverables {
  format: string;
  reportPath?: string | null;
  htmlPath?: string | null;
  summaryPath?: string | null;
  color: boolean;
}

/**
 * Write the files asked for, print the report, and return the exit code. The
 * verdict is never lost: a file that cannot be written is a warning printed
 * after the verdict, and the exit code still follows the verdict (or the error
 * that stopped the run). Each error is printed once.
 */
async function deliver(report: Report, error: FromScratchError | null, io: CliIO, logger: Logger, out: Deliverables): Promise<number> {
  const failures: string[] = [];
  const paths = { reportPath: out.reportPath ?? null, htmlPath: out.htmlPath ?? null };
  const files: { path: string | null | undefined; what: string; render: () => string }[] = [
    { path: out.reportPath, what: "JSON report", render: () => JSON.stringify(report, null, 2) + "\n" },
    { path: out.htmlPath, what: "HTML report", render: () => renderHtml(report, paths) },
    { path: out.summaryPath, what: "summary", render: () => renderMarkdown(report, paths) },
  ];
  let bug: InternalError | null = null;
  for (const f of files) {
    if (!f.path) continue;
    let content: string;
    try {
      content = f.render();
    } catch (e) {
      bug ??= new InternalError(e);
      failures.push(`could not render the ${f.what} for ${f.path}: ${(e as Error)?.message ?? String(e)}`);
      continue;
    }
    const why = await writeOutput(f.path, content);
    if (why) failures.push(`could not write the ${f.what} to ${f.path} (${why}); the verdict above stands`);
    else logger.info(`${f.what} written to ${f.path}`);
  }
  const stop = error ?? (report.error ? { kind: report.error.kind, message: report.error.message, exitCode: report.error.exitCode } : null);
  // A run stopped before any reference was compared has no verdict to show: the error (and a hint) only,
  // not an INCONCLUSIVE block over an empty table. JSON keeps the report: scripts read its error.code.
  const bare = stop !== null && stop.kind !== "internal" && out.format !== "json" && report.references.every((r) => r.error);
  if (!bare) {
    let rendered: string;
    try {
      rendered =
        out.format === "json"
          ? JSON.stringify(report, null, 2) + "\n"
          : out.format === "markdown"
            ? renderMarkdown(report, paths)
            : renderText(report, { htmlPath: paths.htmlPath, color: out.color });
    } catch (e) {
      // The verdict survives a renderer bug: one plain line, then the bug.
      bug ??= new InternalError(e);
      rendered = `verdict: ${report.verdict.toUpperCase()} (${report.gate.rule})\n`;
    }
    io.stdout(rendered);
  }
  for (const f of failures) io.stderr(`warning: ${f}\n`);
  if (!bare) for (const r of report.references.filter(nothingComparable)) io.stderr(`warning: ${nothingComparableWarning(r, report.failOn, "cli")}\n`);
  if (stop) {
    // Printed once, here: the text report refers to it.
    io.stderr(`error: ${stop.message}\n`);
    if (stop.kind === "usage") io.stderr(`${USAGE_HINT}\n`);
    if (error instanceof InternalError) io.stderr(`${error.detail}\n`);
  }
  if (bug) io.stderr(`${bug.message}\n${bug.detail}\n`);
  if (error) return exitCodeFor(error);
  if (report.error) return report.error.exitCode;
  if (bug) return EXIT.internal;
  return report.gate.failed ? EXIT.gateFailed : EXIT.pass;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.stdout(USAGE);
      return command === undefined ? EXIT.badInput : EXIT.pass;
    }
    if (command === "--version" || command === "-v") {
      io.stdout(`${VERSION}\n`);
      return EXIT.pass;
    }
    if (command === "examples") {
      if (rest.length !== 1) throw new UsageError(`usage: ${COMMAND} examples DIR`);
      for (const d of await writeExamples(rest[0]!)) io.stdout(`${d}\n`);
      return EXIT.pass;
    }
    if (command === "plan" || command === "merge") {
      if (rest.includes("--help") || rest.includes("-h")) {
        io.stdout(USAGE);
        return EXIT.pass;
      }
      return command === "plan" ? await runPlanCommand(rest, io) : await runMergeCommand(rest, io);
    }
    if (command !== "check") throw new UsageError(`unknown command ${JSON.stringify(command)} (try: ${COMMAND} check --help)`);
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(USAGE);
      return EXIT.pass;
    }
    const settings = parseCheckArgs(rest, io.env);
    // Output paths that can never be written are refused before any work.
    if (settings.reportPath) await checkOutputPath(settings.reportPath, "--report");
    if (settings.htmlPath) await checkOutputPath(settings.htmlPath, "--html");
    const logger = cliLogger(io, settings.quiet);
    const openSource = (s: string) => createSource(s, { endpoint: settings.endpoint, token: settings.token, fetch: io.fetch, logger, networkTimeoutMs: settings.networkTimeoutMs, hubTimings: io.hubTimings });
    const { report, error } = await runCheck(settings, {
      openSource,
      openReference: referenceOpener(openSource, { cacheDir: settings.cacheDir, logger }),
      logger,
      now: () => Date.now(),
      scratchDir: os.tmpdir(),
    });
    if (settings.shard) report.shard = settings.shard;
    return await deliver(report, error, io, logger, {
      format: settings.format,
      reportPath: settings.reportPath,
      htmlPath: settings.htmlPath,
      color: io.stdoutTTY === true && !io.env.NO_COLOR,
    });
  } catch (e) {
    if (e instanceof FromScratchError) {
      io.stderr(`error: ${e.message}\n`);
      if (e.kind === "usage") io.stderr(`${USAGE_HINT}\n`);
      return exitCodeFor(e);
    }
    io.stderr(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}
