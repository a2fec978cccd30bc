/**
 * What the user gave -> RawInputs, through the option table (settings/options.ts): the CLI's argv
 * (and the environment standing in for flags), the Action's inputs (and theirs). Nothing here
 * validates a value; settings.ts does, for both entries. Light on purpose: the CLI's launcher
 * (src/cli-weight.ts) reads argv through `readArgv` before it loads anything else.
 */
import { parseArgs } from "node:util";
import { UsageError } from "../common/errors.js";
import { type OptionKey, type OptionMode, type OptionSpec, type RawInputs, optionEntries, specOf } from "./options.js";

type FlagConfig = { type: "string" | "boolean"; multiple?: boolean };

/** The `--flag` of an option, or null when it has none (the command, positionals, Action only). */
export function flagOf(spec: OptionSpec): string | null {
  return spec.cli && "flag" in spec.cli ? spec.cli.flag : null;
}

/** parseArgs' options for one command: every flag of the table that applies to it. */
export function flagsOf(mode: OptionMode): Record<string, FlagConfig> {
  const flags: Record<string, FlagConfig> = {};
  for (const [, spec] of optionEntries()) {
    const flag = flagOf(spec);
    if (flag === null || !spec.modes.includes(mode)) continue;
    flags[flag] = spec.type === "boolean" ? { type: "boolean" } : spec.type === "list" ? { type: "string", multiple: true } : { type: "string" };
  }
  return flags;
}

function set(raw: RawInputs, key: OptionKey, value: string | string[] | boolean | undefined): void {
  if (value !== undefined) (raw as Record<OptionKey, unknown>)[key] = value;
}

/** A value of the type the table declares, or undefined (a non-strict parse can give a string flag `true`). */
function typed(spec: OptionSpec, v: unknown): string | string[] | boolean | undefined {
  if (spec.type === "boolean") return typeof v === "boolean" ? v : undefined;
  if (spec.type === "list") return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
  return typeof v === "string" ? v : undefined;
}

/**
 * argv of one command (after the command's name) -> RawInputs, a flag's environment variable
 * standing in when the flag is not given. Strict (the CLI): an unknown flag, a missing value or a
 * stray positional is a usage error. Not strict (the launcher's peek): whatever parses.
 */
export function readArgv(mode: OptionMode, args: string[], env: Record<string, string | undefined>, opts: { strict?: boolean } = {}): RawInputs {
  const strict = opts.strict ?? true;
  const takesPositionals = optionEntries().some(([, s]) => s.modes.includes(mode) && s.cli !== undefined && "positionals" in s.cli);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, strict, allowPositionals: takesPositionals || !strict, options: flagsOf(mode) });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const raw: RawInputs = { mode };
  for (const [key, spec] of optionEntries()) {
    if (!spec.cli || !spec.modes.includes(mode)) continue;
    if ("positionals" in spec.cli) set(raw, key, parsed.positionals);
    else if ("flag" in spec.cli) set(raw, key, typed(spec, parsed.values[spec.cli.flag]) ?? (spec.cli.env ? env[spec.cli.env] : undefined));
  }
  return raw;
}

/**
 * The Action's inputs -> RawInputs, every input of the table read once (whatever the mode, so a
 * workflow's typo fails in any mode): the input, else its environment variable, else action.yml's
 * default (which the runner passes anyway). A secret is masked as soon as it is read.
 */
export function readActionInputs(getInput: (name: string) => string, env: Record<string, string | undefined>, setSecret: (value: string) => void): RawInputs {
  const raw: RawInputs = {};
  for (const [key, spec] of optionEntries()) {
    const a = spec.action;
    if (!a) continue;
    const given = getInput(a.input);
    if (given && a.secret) setSecret(given);
    const value = given || (a.env ? env[a.env] : undefined) || a.default || "";
    set(raw, key, spec.type === "list" ? [value] : value);
  }
  return raw;
}

/** One warning per retired option given: what it is read as, and what to use instead (worded with CLI flags). */
export function deprecationsIn(raw: RawInputs): string[] {
  const warnings: string[] = [];
  for (const [key, spec] of optionEntries()) {
    const value = raw[key];
    if (!spec.deprecated || value === undefined || value === false || (typeof value === "string" && value.trim() === "")) continue;
    const use = flagOf(specOf(spec.deprecated.use));
    warnings.push(`--${flagOf(spec)} is deprecated: ${spec.deprecated.reading}; use --${use} instead`);
  }
  return warnings;
}

/** The Action input that stands for each CLI flag, for wording messages to a workflow author. */
export function inputOfFlag(): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [, spec] of optionEntries()) {
    const flag = flagOf(spec);
    if (flag !== null && spec.action) map[flag] = spec.action.input;
  }
  return map;
}

/** Split a list given as newlines and/or commas (the Action's `references`, a `--reference a,b`). */
export function splitList(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}
