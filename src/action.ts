/**
 * GitHub glue only: inputs -> Settings, run the engine, annotations, job
 * summary, outputs. Every input is read here once; the engine never sees core.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as core from "@actions/core";
import { runCheck } from "./compare/engine.js";
import { FromScratchError } from "./errors.js";
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
    failOn: core.getInput("fail-on"),
    endpoint: core.getInput("endpoint") || process.env.HF_ENDPOINT,
    token: token || process.env.HF_TOKEN,
    components: core.getInput("components"),
    minPearson: core.getInput("min-pearson"),
    minZ: core.getInput("min-z"),
    minShare: core.getInput("min-share"),
    sample: core.getInput("sample"),
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

export async function run(): Promise<void> {
  try {
    const settings = readInputs();
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
    const { report, error } = await runCheck(settings, {
      openSource: (s) => createSource(s, { endpoint: settings.endpoint, token: settings.token, logger }),
      logger,
      now: () => Date.now(),
    });
    const reportPath = settings.reportPath!;
    await writeFile(reportPath, JSON.stringify(report, null, 2) + "\n");
    core.setOutput("verdict", report.verdict);
    core.setOutput("report-path", reportPath);
    core.setOutput("reused-references", JSON.stringify(report.references.filter((r) => r.verdict === "reused").map((r) => r.source)));
    annotate(report, annotationFile(settings.candidate));
    await core.summary.addRaw(renderMarkdown(report)).write();
    if (error) core.setFailed(`fromscratch could not complete: ${error.message}`);
    else if (report.gate.failed) core.setFailed(`fromscratch: ${report.gate.rule}`);
  } catch (e) {
    core.setFailed(e instanceof FromScratchError ? e.message : `internal error: ${(e as Error)?.stack ?? String(e)}`);
  }
}
