/**
 * The option table (settings/options.ts) rendered for people: the CLI's `--help`, `action.yml`'s
 * inputs and the README's table of options. scripts/gen-action-yml.mts and
 * scripts/gen-readme-options.mts write the last two; test/options.test.ts fails when the files drift.
 */
import { COMMAND, VERSION } from "../common/version.js";
import { type OptionMode, type OptionSpec, OPTIONS, optionEntries, specOf } from "./options.js";
import { flagOf, inputOfFlag } from "./read-options.js";

const MODES: readonly OptionMode[] = ["check", "plan", "merge"];
const WIDTH = 100;

/** `text` in lines of at most `width` columns, each starting with `indent` (the first with `first`). */
export function wrap(text: string, width: number, indent: string, first = indent): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const start = line === first || line === indent;
    if (!start && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line += (start ? "" : " ") + word;
  }
  lines.push(line);
  return lines;
}

/** "check and plan", "check, plan and merge". */
function listModes(modes: readonly OptionMode[]): string {
  return modes.length < 2 ? modes.join("") : `${modes.slice(0, -1).join(", ")} and ${modes[modes.length - 1]}`;
}

/** `--flag ARG` as the CLI takes it. */
function flagUsage(spec: OptionSpec): string {
  const cli = spec.cli;
  if (!cli || "command" in cli) return "";
  if ("positionals" in cli) return cli.positionals;
  return cli.argument ? `--${cli.flag} ${cli.argument}` : `--${cli.flag}`;
}

/** A deprecated option's reading, as a sentence. */
const deprecation = (spec: OptionSpec, use: string) => (spec.deprecated ? `Deprecated: ${spec.deprecated.reading}; use ${use} instead.` : "");

/** One option for `--help`: its flag and modes, then its help, required, default and environment. */
function helpEntry(spec: OptionSpec): string[] {
  const cli = spec.cli;
  if (!cli || "command" in cli) return [];
  const env = "flag" in cli && cli.env ? `$${cli.env}` : "";
  const dflt = env && spec.default ? `Default: ${env}, else ${spec.default}.` : env ? `Default: ${env}.` : spec.default ? `Default: ${spec.default}.` : "";
  const use = spec.deprecated ? `--${flagOf(specOf(spec.deprecated.use))}` : "";
  const text = [
    deprecation(spec, use),
    spec.help,
    spec.required ? `Required for ${listModes(spec.required)}.` : "",
    "flag" in cli ? (cli.note ?? "") : "",
    dflt,
  ];
  return [`  ${flagUsage(spec)}   (${spec.modes.join(", ")})`, ...wrap(text.filter(Boolean).join(" "), WIDTH, "      ")];
}

/** The synopsis of one command: its required flags, then every other flag it takes. */
function synopsis(mode: OptionMode): string[] {
  const entries = optionEntries().filter(([, s]) => s.modes.includes(mode) && s.cli && !("command" in s.cli) && !s.deprecated);
  const required = entries.filter(([, s]) => s.required?.includes(mode)).map(([, s]) => flagUsage(s));
  const optional = entries.filter(([, s]) => !s.required?.includes(mode) && s.cli && "flag" in s.cli).map(([, s]) => `[${flagUsage(s)}]`);
  const positional = entries.filter(([, s]) => s.cli && "positionals" in s.cli && !s.required?.includes(mode)).map(([, s]) => flagUsage(s));
  const words = [...required, ...optional, ...positional].join(" ");
  const head = `  ${COMMAND} ${mode.padEnd(5)} `;
  return wrap(words.replace(/ (?=[^[\]]*\])/g, "\u0001"), WIDTH, " ".repeat(head.length), head).map((l) => l.replace(/\u0001/g, " "));
}

/** The CLI's `--help`: every command and every option of the table. */
export function renderHelp(): string {
  const options = optionEntries().filter(([, s]) => !s.deprecated);
  const retired = optionEntries().filter(([, s]) => s.deprecated);
  return [
    `fromscratch ${VERSION}: were these weights trained from scratch?`,
    "",
    "Usage:",
    ...MODES.flatMap(synopsis),
    `  ${COMMAND} examples DIR   write the deterministic example models (base, finetune, independent)`,
    "",
    ...wrap(OPTIONS.mode.help, WIDTH, "  "),
    "",
    "SOURCE: a local directory (model.safetensors or model.safetensors.index.json + shards),",
    "        a .safetensors file, or a Hub repo org/name[@revision] (also hf://org/name@revision).",
    "",
    "Options (the commands that take them):",
    ...options.flatMap(([, s]) => helpEntry(s)),
    "",
    "Retired options, still accepted with a warning:",
    ...retired.flatMap(([, s]) => helpEntry(s)),
    "",
    "Exit codes: 0 gate passed, 1 gate failed, 2 bad usage or bad model files, 3 could not fetch, 4 internal error.",
    "",
  ].join("\n");
}

/** Help worded for a workflow: `--flag` becomes the Action input that stands for it, in backticks. */
export function inInputTerms(text: string): string {
  const inputs = inputOfFlag();
  return text.replace(/--([a-z][a-z-]*)/g, (m, flag: string) => (inputs[flag] ? `\`${inputs[flag]}\`` : m));
}

/** An Action input's description: help, required, default (unless action.yml's `default:` says it), note. */
function inputDescription(spec: OptionSpec): string {
  const a = spec.action!;
  const dflt = a.default ? "" : a.env && spec.default ? `Default: ${a.env}, else ${spec.default}.` : a.env ? `Default: ${a.env}.` : spec.default ? `Default: ${spec.default}.` : "";
  const text = [spec.help, spec.required ? `Required for ${listModes(spec.required)}.` : "", dflt, a.note ?? ""];
  return inInputTerms(text.filter(Boolean).join(" "));
}

/** A YAML double-quoted scalar (JSON's string syntax is a subset of YAML's). */
const yamlString = (s: string) => JSON.stringify(s);

/** One input of action.yml as the table declares it. */
export interface ActionInputDoc {
  input: string;
  description: string;
  default?: string;
  deprecationMessage?: string;
}

/** action.yml's inputs, from the table, in its order. */
export function actionInputs(): ActionInputDoc[] {
  return optionEntries().flatMap(([, spec]): ActionInputDoc[] => {
    const a = spec.action;
    if (!a) return [];
    const doc: ActionInputDoc = { input: a.input, description: inputDescription(spec) };
    if (a.default !== undefined) doc.default = a.default;
    if (spec.deprecated) doc.deprecationMessage = inInputTerms(deprecation(spec, `--${flagOf(specOf(spec.deprecated.use))}`));
    return [doc];
  });
}

/** action.yml's `inputs:` block, from the table. */
export function renderActionInputs(): string {
  const lines = ["inputs:"];
  for (const doc of actionInputs()) {
    lines.push(`  ${doc.input}:`, `    description: ${yamlString(doc.description)}`, "    required: false");
    if (doc.default !== undefined) lines.push(`    default: ${yamlString(doc.default)}`);
    if (doc.deprecationMessage !== undefined) lines.push(`    deprecationMessage: ${yamlString(doc.deprecationMessage)}`);
  }
  return lines.join("\n") + "\n";
}

/** action.yml with its `inputs:` block replaced by the table's (everything else kept as it is). */
export function updateActionYml(yml: string): string {
  const m = /^inputs:\n(?:(?:[ \t].*)?\n)*/m.exec(yml);
  if (!m) throw new Error("action.yml has no top-level `inputs:` block");
  return yml.slice(0, m.index) + renderActionInputs() + yml.slice(m.index + m[0].length);
}

/** A table cell: pipes escaped (GitHub's tables honour \\| in code spans too). */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
/** A cell of prose: also no HTML tags or emphasis out of <org_name> or glob stars. */
const prose = (s: string) => cell(s).replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\*/g, "\\*");
const code = (s: string) => (s ? `\`${s}\`` : "");

/** A row's default: the value, the environment variable before it, the Action's own where it differs. */
function defaultCell(spec: OptionSpec): string {
  const env = (spec.cli && "flag" in spec.cli ? spec.cli.env : undefined) ?? spec.action?.env;
  const parts = [env ? `$${env}` : "", spec.default ?? ""].filter(Boolean).map(code);
  const a = spec.action?.default;
  if (a !== undefined && a !== spec.default) parts.push(`${code(a)} (Action)`);
  return parts.join(", else ") || "—";
}

/** The README's table of options: one row per option, retired ones last. */
export function renderOptionsTable(): string {
  const rows = ["| input | CLI | default | modes | meaning |", "|---|---|---|---|---|"];
  const ordered = [...optionEntries().filter(([, s]) => !s.deprecated), ...optionEntries().filter(([, s]) => s.deprecated)];
  for (const [, spec] of ordered) {
    const cli = spec.cli && "command" in spec.cli ? "the command" : flagUsage(spec);
    const use = spec.deprecated ? code(specOf(spec.deprecated.use).action?.input ?? "") : "";
    const meaning = [
      deprecation(spec, use),
      spec.help,
      spec.required ? `Required for ${listModes(spec.required)}.` : "",
      spec.cli && "flag" in spec.cli && spec.cli.note ? `CLI: ${spec.cli.note}` : "",
      spec.action?.note ? `Action: ${spec.action.note}` : "",
    ];
    const columns = [code(spec.action?.input ?? "") || "—", cli === "the command" ? cli : code(cli) || "—", defaultCell(spec), spec.modes.join(", ")].map(cell);
    rows.push(`| ${[...columns, prose(inInputTerms(meaning.filter(Boolean).join(" ")))].join(" | ")} |`);
  }
  return rows.join("\n") + "\n";
}

export const README_START = "<!-- options:start -->";
export const README_END = "<!-- options:end -->";

/** README.md with the table between its markers replaced, or null when it has no markers. */
export function updateReadme(readme: string): string | null {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END, start);
  if (start < 0 || end < 0) return null;
  return `${readme.slice(0, start + README_START.length)}\n${renderOptionsTable()}${readme.slice(end)}`;
}
