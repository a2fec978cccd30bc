/**
 * CLI glue only: argv -> Settings, run the engine, print, exit code.
 *   fromscratch check --candidate SOURCE --reference SOURCE [...]
 *   fromscratch examples DIR
 */
import os from "node:os";
import { type CheckOutcome, referenceOpener, runCheck } from "./engine/engine.js";
import { EXIT, FromScratchError, InternalError, UsageError, exitCodeFor } from "./common/errors.js";
import { writeExamples } from "./examples/generate.js";
import { expandReportPaths, mergeReports, readPartials } from "./fanout/merge.js";
import { describePlan, makePlan, matrixOf } from "./fanout/plan.js";
import { renderHtml } from "./report/html.js";
import { renderMarkdown } from "./report/markdown.js";
import { renderText } from "./report/text.js";
import { nothingComparable, nothingComparableWarning } from "./report/format.js";
import { type CheckSettings, type MergeSettings, type PlanSettings, type RawInputs, parseSettings } from "./settings/settings.js";
import { deprecationsIn, readArgv } from "./settings/read-options.js";
import { renderHelp } from "./settings/render-options.js";
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

/** `--help`, rendered from the option table (settings/options.ts). */
export const USAGE = renderHelp();

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

/**
 * argv of one command (and the environment's defaults) -> its settings, through the option table;
 * a retired option given is a warning (settings/read-options.ts).
 */
function parseCommandArgs<M extends "check" | "plan" | "merge">(mode: M, args: string[], io: CliIO): RawInputs & { mode: M } {
  const raw = readArgv(mode, args, io.env);
  for (const w of deprecationsIn(raw)) io.stderr(`warning: ${w}\n`);
  return { ...raw, mode };
}

/** `fromscratch plan`: the job matrix on stdout (one line, for $GITHUB_OUTPUT), the plan on stderr. */
async function runPlanCommand(args: string[], io: CliIO): Promise<number> {
  const settings = parseSettings(parseCommandArgs("plan", args, io));
  const logger = cliLogger(io, settings.quiet);
  for (const n of settings.notes) logger.info(`note: ${n}`);
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
  const settings = parseSettings(parseCommandArgs("merge", args, io), { entry: "cli", command: COMMAND });
  const logger = cliLogger(io, settings.quiet);
  const { reportPath, summaryPath } = settings;
  if (reportPath) await checkOutputPath(reportPath, "--report");
  if (summaryPath) await checkOutputPath(summaryPath, "--summary");
  const files = await expandReportPaths(settings.reports);
  // Merge gates like check: without --fail-on the gate is `reused`, whatever the shards ran with.
  const report = mergeReports(await readPartials(files), { failOn: settings.failOn });
  logger.info(`merged ${files.length} partial reports (plan ${report.merged!.fingerprint.slice(0, 12)}, ${report.references.length} references)`);
  return await deliver({ report, error: null }, io, logger, {
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
async function deliver({ report, error }: CheckOutcome, io: CliIO, logger: Logger, out: Deliverables): Promise<number> {
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
    const settings = parseSettings(parseCommandArgs("check", rest, io));
    // Output paths that can never be written are refused before any work.
    if (settings.reportPath) await checkOutputPath(settings.reportPath, "--report");
    if (settings.htmlPath) await checkOutputPath(settings.htmlPath, "--html");
    const logger = cliLogger(io, settings.quiet);
    for (const n of settings.notes) logger.info(`note: ${n}`);
    const openSource = (s: string) => createSource(s, { endpoint: settings.endpoint, token: settings.token, fetch: io.fetch, logger, networkTimeoutMs: settings.networkTimeoutMs, hubTimings: io.hubTimings });
    const { report, error } = await runCheck(settings, {
      openSource,
      openReference: referenceOpener(openSource, { cacheDir: settings.cacheDir, logger }),
      logger,
      now: () => Date.now(),
      scratchDir: os.tmpdir(),
    });
    if (settings.shard) report.shard = settings.shard;
    return await deliver({ report, error }, io, logger, {
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
