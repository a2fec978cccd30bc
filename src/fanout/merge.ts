/**
 * Combine the partial reports of one plan (one per shard) into the report a
 * single machine would have written: references in plan order, the overall
 * verdict and gate recomputed with the same rules. Refuses (UsageError, exit
 * code 2) reports of different plans, candidates, candidate revisions, tool
 * versions or thresholds, and a set with a missing or duplicated shard,
 * naming which. Pure of GitHub: the CLI and the Action call it.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../common/errors.js";
import { planFingerprint } from "./plan.js";
import type { FailOn, Report, ReferenceResult } from "../report/schema.js";
import { applyComparability, combinationOf, decideComponent, familyOf, gateOf, referenceVerdict, runVerdict } from "../policy/policy.js";
import { evidenceOfResult, renderComponent } from "../report/render.js";
import { exists } from "../common/fs.js";

export interface PartialReport {
  /** Where it came from (named in refusals). */
  file: string;
  report: Report & { shard: NonNullable<Report["shard"]> };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isIntArray = (x: unknown): x is number[] => Array.isArray(x) && x.every((v) => Number.isInteger(v) && (v as number) >= 0);

/** Parse and sanity-check one partial report (a shard's `check --report` output). */
function parsePartial(file: string, text: string): PartialReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not a JSON report (${(e as Error).message})`);
  }
  if (!isObject(data) || data.schemaVersion !== 2 || !isObject(data.tool) || data.tool.name !== "fromscratch" || !Array.isArray(data.references) || !isObject(data.candidate)) {
    throw new UsageError(`${file}: not a fromscratch report of this version (schemaVersion 2)`);
  }
  const shard = data.shard;
  if (!isObject(shard)) {
    throw new UsageError(`${file} is not a partial report (no "shard" mark): run each shard's check with --shard K/N --plan-fingerprint F --plan-positions P from \`fromscratch plan\``);
  }
  if (!Number.isInteger(shard.index) || !Number.isInteger(shard.count) || typeof shard.fingerprint !== "string" || !isIntArray(shard.positions)) {
    throw new UsageError(`${file}: malformed "shard" mark (needs index, count, fingerprint, positions)`);
  }
  const report = data as unknown as PartialReport["report"];
  // A shard whose candidate could not be listed has no references (and an error); otherwise one per position.
  const candidateFailed = report.error !== undefined && report.references.length === 0;
  if (!candidateFailed && report.shard.positions.length !== report.references.length) {
    throw new UsageError(`${file}: its shard mark lists ${report.shard.positions.length} positions for ${report.references.length} references`);
  }
  return { file, report };
}

/** Read and parse partial reports from files. */
export async function readPartials(files: string[]): Promise<PartialReport[]> {
  const out: PartialReport[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read report ${f}: ${(e as Error).message}`);
    }
    out.push(parsePartial(f, text));
  }
  return out;
}

/** The candidate was listed (a shard that failed to list it has no revision to compare). */
const listed = (r: Report) => !(r.error !== undefined && r.references.length === 0);

function names(parts: PartialReport[]): string {
  return parts.map((p) => p.file).join(", ");
}

/** Refuse unless every report gives the same value; name the files per value. */
function agree(parts: PartialReport[], what: string, key: (r: PartialReport["report"]) => string, show: (v: string) => string = (v) => v): string {
  const groups = new Map<string, PartialReport[]>();
  for (const p of parts) groups.set(key(p.report), [...(groups.get(key(p.report)) ?? []), p]);
  if (groups.size > 1) {
    const list = [...groups].sort((a, b) => b[1].length - a[1].length).map(([v, ps]) => `${show(v)} in ${names(ps)}`);
    throw new UsageError(`refusing to merge: the reports ${what}: ${list.join("; ")}`);
  }
  return groups.keys().next().value as string;
}

export interface MergeOptions {
  /**
   * The merge's gate policy; default `reused`, as `check`'s. The shards' own policy is ignored: in a
   * matrix they run with `fail-on: never` so that the merge step decides.
   */
  failOn?: FailOn;
}

/** Merge the partial reports of one plan into one report. */
export function mergeReports(parts: PartialReport[], opts: MergeOptions = {}): Report {
  if (parts.length === 0) throw new UsageError("no reports to merge");
  const plan = agreeOnPlan(parts);
  checkShards(parts, plan.count);
  const total = checkPositions(parts);
  const { ordered, slots, sources } = inPlanOrder(parts, total);
  // The fingerprint covers candidate, revision, ordered references, shard count and version: recompute it.
  if (plan.listedParts.length === parts.length) checkFingerprint(parts, plan, sources, total);
  return assemble({ parts, plan, ordered, slots }, opts.failOn ?? "reused");
}

type Slot = { position: number; ref: ReferenceResult; part: PartialReport };

/** What every report must agree on (refusing otherwise): candidate, revision, plan, shard count, version, thresholds. */
function agreeOnPlan(parts: PartialReport[]) {
  agree(parts, "check different candidates", (r) => r.candidate.source, (v) => `candidate ${JSON.stringify(v)}`);
  const listedParts = parts.filter((p) => listed(p.report));
  const revision = listedParts.length
    ? (JSON.parse(agree(listedParts, "saw different candidate revisions", (r) => JSON.stringify(r.candidate.revision), (v) => `revision ${v}`)) as string | null)
    : null;
  const fingerprint = agree(parts, "come from different plans", (r) => r.shard.fingerprint, (v) => `plan ${v.slice(0, 12)}`);
  const count = Number(agree(parts, "disagree on the shard count", (r) => String(r.shard.count), (v) => `${v} shards`));
  const version = agree(parts, "come from different fromscratch versions", (r) => r.tool.version, (v) => `version ${v}`);
  const thresholds = agree(parts, "use different thresholds", (r) => JSON.stringify(r.thresholds));
  return { listedParts, revision, fingerprint, count, version, thresholds };
}

/** Every shard exactly once. */
function checkShards(parts: PartialReport[], count: number): void {
  const byIndex = new Map<number, PartialReport[]>();
  for (const p of parts) byIndex.set(p.report.shard.index, [...(byIndex.get(p.report.shard.index) ?? []), p]);
  const problems: string[] = [];
  const outOfRange = parts.filter((p) => p.report.shard.index < 0 || p.report.shard.index >= count);
  if (outOfRange.length) problems.push(`shard index out of range 0..${count - 1} in ${names(outOfRange)}`);
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) problems.push(`missing shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${count}`);
  for (const [i, ps] of [...byIndex].sort((a, b) => a[0] - b[0])) {
    if (ps.length > 1) problems.push(`duplicated shard ${i} (${names(ps)})`);
  }
  if (problems.length) throw new UsageError(`refusing to merge: ${problems.join("; ")}`);
}

/** Every plan position exactly once; returns the number of positions (the plan's references). */
function checkPositions(parts: PartialReport[]): number {
  const total = parts.reduce((s, p) => s + p.report.shard.positions.length, 0);
  const seen = new Array<number>(total).fill(0);
  for (const p of parts) for (const pos of p.report.shard.positions) if (pos < total) seen[pos]!++;
  if (seen.some((n) => n !== 1)) {
    throw new UsageError(`refusing to merge: the shards' --plan-positions do not cover the plan's ${total} references exactly once (reports edited, or run with other matrix values)`);
  }
  return total;
}

/** Shards by index, references in plan order, and the reference sources by plan position. */
function inPlanOrder(parts: PartialReport[], total: number): { ordered: PartialReport[]; slots: Slot[]; sources: string[] } {
  const ordered = parts.slice().sort((a, b) => a.report.shard.index - b.report.shard.index);
  const slots: Slot[] = [];
  for (const p of ordered) p.report.references.forEach((ref, i) => slots.push({ position: p.report.shard.positions[i]!, ref, part: p }));
  slots.sort((a, b) => a.position - b.position);
  const sources = new Array<string>(total).fill("");
  for (const p of ordered) p.report.shard.positions.forEach((pos, i) => (sources[pos] = p.report.references[i]?.source ?? ""));
  return { ordered, slots, sources };
}

function checkFingerprint(parts: PartialReport[], plan: ReturnType<typeof agreeOnPlan>, sources: string[], total: number): void {
  const { revision, count, version, fingerprint } = plan;
  const expect = planFingerprint({ candidate: parts[0]!.report.candidate.source, revision, references: sources, count, version });
  if (expect === fingerprint) return;
  throw new UsageError(
    `refusing to merge: the reports do not match their plan ${fingerprint.slice(0, 12)} (candidate ${JSON.stringify(parts[0]!.report.candidate.source)}` +
      `${revision ? ` @ ${revision}` : ""}, ${total} references, ${count} shards, version ${version}): the candidate's revision changed since the plan, or a shard ran other references than its matrix entry`,
  );
}

/** The partial reports as given and in plan order, the plan they agree on, and each reference's slot. */
interface Agreed {
  parts: PartialReport[];
  plan: ReturnType<typeof agreeOnPlan>;
  ordered: PartialReport[];
  slots: Slot[];
}

/** The report a single run would have written: its error, verdict and gate by the same policy, plus the merge's record. */
function assemble({ parts, plan, ordered, slots }: Agreed, failOn: FailOn): Report {
  const { listedParts, revision, fingerprint, count, version } = plan;
  const first = listedParts.length ? listedParts.slice().sort((a, b) => Math.min(...a.report.shard.positions) - Math.min(...b.report.shard.positions))[0]!.report : parts[0]!.report;
  const withComponents = slots.find((s) => s.part.report.candidate.components.length > 0);
  // The error a single run would stop on: the candidate's, else the first reference's in plan order.
  const candidateError = parts.find((p) => !listed(p.report))?.report.error;
  const refError = slots.find((s) => s.ref.error && s.part.report.error)?.part.report.error;
  const error = candidateError ?? refError ?? parts.map((p) => p.report.error).find((e) => e !== undefined);

  // Every component decided again over the whole plan's family, as one run would have.
  const thresholds = JSON.parse(plan.thresholds) as Report["thresholds"];
  const components = withComponents ? withComponents.part.report.candidate.components : first.candidate.components;
  const family = familyOf(slots.length, components.length);
  const references = slots.map((s) => redecide(s.ref, family.size, thresholds));
  const verdict = runVerdict(references, error ?? null);
  const gate = gateOf(verdict, failOn, error ?? null);
  return {
    schemaVersion: 2,
    tool: { name: "fromscratch", version },
    candidate: {
      source: first.candidate.source,
      revision,
      parameters: first.candidate.parameters,
      components,
      // Every shard listed the same candidate revision (agreed above): its files are any listed shard's.
      ...(first.candidate.files ? { files: first.candidate.files } : {}),
    },
    verdict,
    thresholds,
    family,
    failOn,
    gate,
    references,
    ...(error ? { error } : {}),
    bytesRead: parts.reduce((s, p) => s + p.report.bytesRead, 0),
    seconds: parts.reduce((s, p) => s + p.report.seconds, 0),
    merged: {
      fingerprint,
      count,
      shards: ordered.map((p) => ({ index: p.report.shard.index, references: p.report.references.length, bytesRead: p.report.bytesRead, seconds: p.report.seconds })),
    },
  };
}

// ---------------------------------------------------------------------------
// A tiny glob for the Action's `reports` input (no dependency): `*` and `?`
// within a path segment, `**` for any number of directories; a directory
// stands for its *.json files.

const WILD = /[*?]/;

function segmentRegex(seg: string): RegExp {
  const body = seg.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}


async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

async function expandSegments(base: string, segs: string[]): Promise<string[]> {
  if (segs.length === 0) return (await exists(base)) ? [base] : [];
  const [seg, ...rest] = segs as [string, ...string[]];
  if (seg === "**") {
    const out = await expandSegments(base, rest);
    for (const e of await entries(base)) {
      const child = path.join(base, e);
      if (await isDir(child)) out.push(...(await expandSegments(child, segs)));
    }
    return out;
  }
  if (!WILD.test(seg)) return expandSegments(path.join(base, seg), rest);
  const re = segmentRegex(seg);
  const out: string[] = [];
  for (const e of await entries(base)) if (re.test(e)) out.push(...(await expandSegments(path.join(base, e), rest)));
  return out;
}

/**
 * Expand report paths: each item is a file, a directory (its *.json files) or
 * a glob (`reports/*.json`, `out/**\/shard-*.json`). Lists may be
 * newline-separated. Order: items in order, matches sorted. A pattern that
 * matches nothing is an error (a missing artifact must not pass silently).
 */
export async function expandReportPaths(items: string[], cwd: string = process.cwd()): Promise<string[]> {
  const out: string[] = [];
  for (const item of items.flatMap((s) => s.split("\n")).map((s) => s.trim()).filter(Boolean)) {
    const abs = path.resolve(cwd, item);
    let found: string[];
    if (WILD.test(item)) {
      const { root } = path.parse(abs);
      found = await expandSegments(root, abs.slice(root.length).split(path.sep).filter(Boolean));
      const files: string[] = [];
      for (const f of found) if (!(await isDir(f))) files.push(f);
      found = files.sort();
    } else if (await isDir(abs)) {
      found = (await entries(abs)).filter((e) => e.endsWith(".json")).map((e) => path.join(abs, e));
    } else {
      found = (await exists(abs)) ? [abs] : [];
    }
    if (found.length === 0) throw new UsageError(`no report matches ${JSON.stringify(item)}`);
    out.push(...found.map((f) => (path.isAbsolute(item) ? f : path.relative(cwd, f) || f)));
  }
  return out;
}

/** A reference decided again with the plan's family (a reference that stopped on an error keeps its result). */
function redecide(ref: ReferenceResult, family: number, th: Report["thresholds"]): ReferenceResult {
  if (ref.error) return ref;
  const decided = ref.components.map((c) => {
    const evidence = evidenceOfResult(c, combinationOf);
    return renderComponent(evidence, decideComponent(evidence, family, th));
  });
  const components = applyComparability(decided);
  return { ...ref, components, ...referenceVerdict(components) };
}
