/**
 * Every option of fromscratch, declared once (after vitest's `cliOptionsConfig`): its CLI flag, its
 * Action input, the environment variable that stands in for it, its type, its default, its help and
 * the commands (modes) it applies to. This table drives the CLI's parser and `--help`
 * (settings/read-options.ts, settings/render-options.ts), the Action's input reading, `action.yml`'s
 * inputs (scripts/gen-action-yml.mts) and the README's table (scripts/gen-readme-options.mts);
 * test/options.test.ts fails when any of them drifts from it. Validation stays in settings.ts.
 *
 * A leaf module (data and types only): the CLI's launcher reads it before it loads anything else.
 */

export type OptionMode = "check" | "plan" | "merge";

/** As given: "string" one value, "list" repeated flags or a newline/comma list, "boolean" a switch. */
export type OptionType = "string" | "boolean" | "list";

/** On the command line: a `--flag` (with the placeholder `--help` shows), the positionals, or the command itself. */
export type CliForm =
  | {
      flag: string;
      /** The value's placeholder in `--help` (none for a boolean). */
      argument?: string;
      /** The environment variable read when the flag is not given. */
      env?: string;
      /** Said after the help, for the CLI only. */
      note?: string;
    }
  | { positionals: string }
  | { command: true };

export interface ActionForm {
  input: string;
  /** action.yml's `default:` (the runner passes it when the input is not set; the in-process reader applies it too). */
  default?: string;
  /** The environment variable read when the input is empty. */
  env?: string;
  /** Masked in the log (core.setSecret) as soon as it is read. */
  secret?: boolean;
  /** Said after the help, for the Action only (action.yml, the README's table). */
  note?: string;
}

export interface OptionSpec {
  type: OptionType;
  /** The commands (the Action's `mode`) it applies to. */
  modes: readonly OptionMode[];
  /** One paragraph; other options are named by their `--flag` and renamed for the Action where it has them. */
  help: string;
  /** The modes in which it must be given. */
  required?: readonly OptionMode[];
  /** The default the parser applies when the option is not given, as a user would write it (test/options.test.ts pins that they agree). */
  default?: string;
  cli?: CliForm;
  action?: ActionForm;
  /** A retired option, still accepted with a warning: what it is read as now, and which option replaced it. */
  deprecated?: { reading: string; use: string };
}

/** The placeholder of the Action's matrix fields, for the shard options' notes. */
const inMatrix = (field: string) => `In a matrix: matrix.${field}.`;

export const OPTIONS = {
  mode: {
    type: "string",
    modes: ["check", "plan", "merge"],
    default: "check",
    help: "check: compare the candidate with every reference and gate on the verdict; plan: list headers only, split the references into at most --shards shards of balanced bytes and give the job matrix {\"include\":[{shard, shards, references, positions, fingerprint, bytes}]}, with per reference and in total the parameters, the bytes a check reads and their time over a --link-mbs link; merge: combine the partial reports of one plan (every shard exactly once) into one report, one summary and one gate.",
    cli: { command: true },
    action: { input: "mode", default: "check", note: "plan sets the outputs matrix and fingerprint." },
  },
  candidate: {
    type: "string",
    modes: ["check", "plan"],
    help: "The model to check: a local directory (model.safetensors, or model.safetensors.index.json and its shards), a .safetensors file, or a Hub repo org/name[@revision] (also hf://org/name@revision). A path starting with ./, ../, / or ~ is local only.",
    required: ["check", "plan"],
    cli: { flag: "candidate", argument: "SOURCE" },
    action: { input: "candidate", note: "A path is relative to the workspace." },
  },
  references: {
    type: "list",
    modes: ["check", "plan"],
    help: "The reference open models, in the forms --candidate takes. At least one, here or in --references-file, is required for check and plan.",
    cli: { flag: "reference", argument: "SOURCE", note: "Repeat the flag for each (a comma-separated list works too)." },
    action: { input: "references", note: "Newline- or comma-separated. In a matrix: matrix.references." },
  },
  referencesFile: {
    type: "string",
    modes: ["check", "plan"],
    help: "A file of references, one per line in the forms --candidate takes; blank lines and # comments allowed. They come after the --reference ones; a reference listed twice is compared once (with a note). Not for a shard's check, which takes its matrix entry's references.",
    cli: { flag: "references-file", argument: "FILE", note: "A relative FILE is read from the working directory." },
    action: { input: "references-file", note: "A relative path is read from the workspace." },
  },
  reports: {
    type: "list",
    modes: ["merge"],
    required: ["merge"],
    help: "The partial reports of every shard of one plan: files, directories or globs (e.g. reports/*.json). Merge refuses (exit 2) other plans, candidates or revisions, and missing or duplicated shards.",
    cli: { positionals: "REPORT.json|DIR|GLOB ..." },
    action: { input: "reports", note: "Newline-separated." },
  },
  reportPath: {
    type: "string",
    modes: ["check", "merge"],
    help: "Where to write the JSON report.",
    cli: { flag: "report", argument: "FILE" },
    action: { input: "report-path", default: "fromscratch-report.json" },
  },
  htmlPath: {
    type: "string",
    modes: ["check"],
    help: "Where to write the self-contained HTML report (heatmaps, per-layer lines, every compared tensor; it loads nothing), e.g. fromscratch-report.html; none unless set.",
    cli: { flag: "html", argument: "FILE" },
    action: { input: "html-report", note: "Nothing is uploaded; add an actions/upload-artifact step to keep it." },
  },
  summaryPath: {
    type: "string",
    modes: ["merge"],
    help: "Where to write the merged report's markdown summary; none unless set.",
    cli: { flag: "summary", argument: "FILE" },
  },
  format: {
    type: "string",
    modes: ["check", "merge"],
    default: "text",
    help: "What stdout shows: the text report (per-layer strips, in colour only when stdout is a terminal and NO_COLOR is unset), the JSON report, or the markdown summary.",
    cli: { flag: "format", argument: "text|json|markdown" },
  },
  failOn: {
    type: "string",
    modes: ["check", "merge"],
    default: "reused",
    help: "When the gate fails: reused, when any reference is reused; inconclusive, also when the check cannot decide; never. Merge gates on reused unless told otherwise, whatever the shards ran with.",
    cli: { flag: "fail-on", argument: "reused|inconclusive|never" },
    action: { input: "fail-on", default: "reused" },
  },
  endpoint: {
    type: "string",
    modes: ["check", "plan"],
    default: "https://huggingface.co",
    help: "The Hub endpoint: https, or plain http on loopback hosts only (localhost, 127.0.0.0/8, ::1).",
    cli: { flag: "endpoint", argument: "URL", env: "HF_ENDPOINT" },
    action: { input: "endpoint", env: "HF_ENDPOINT" },
  },
  token: {
    type: "string",
    modes: ["check", "plan"],
    help: "Hugging Face token for gated or private repos; sent only to the endpoint's origin, never to the CDN a download redirects to.",
    cli: { flag: "token", argument: "TOKEN", env: "HF_TOKEN" },
    action: { input: "hf-token", env: "HF_TOKEN", secret: true, note: "Masked in the log." },
  },
  components: {
    type: "string",
    modes: ["check", "plan"],
    help: 'Override component detection: name=glob,glob;name=glob (e.g. "vision=model.vision_model.*;language=model.language_model.*").',
    cli: { flag: "components", argument: "SPEC" },
    action: { input: "components" },
  },
  level: {
    type: "string",
    modes: ["check"],
    default: "1e-6",
    help: "A component is reused when its combined p-value, corrected over every component x reference, is at most this; between it and 1e-3, inconclusive.",
    cli: { flag: "level", argument: "P" },
    action: { input: "level" },
  },
  minEffect: {
    type: "string",
    modes: ["check"],
    default: "0.05",
    help: "A component is reused only when its strongest tensor's effect (Pearson of standardised units) is at least this.",
    cli: { flag: "min-effect", argument: "X" },
    action: { input: "min-effect" },
  },
  minShare: {
    type: "string",
    modes: ["check"],
    default: "0",
    help: "A component is reused only when its tensors with evidence on their own cover at least this share of its parameters (0: any share; partial reuse is reuse).",
    cli: { flag: "min-share", argument: "X" },
    action: { input: "min-share" },
  },
  sample: {
    type: "string",
    modes: ["check", "plan"],
    default: "auto",
    help: "The fraction (0, 1] of each large matrix's rows to read (deterministic chunks), exact, or auto: exact up to 4 GiB compared per reference, sampled down to ~1 GiB above.",
    cli: { flag: "sample", argument: "FRACTION|exact|auto" },
    action: { input: "sample" },
  },
  concurrency: {
    type: "string",
    modes: ["check", "plan"],
    default: "4",
    help: "Read-ahead per remote model: up to N x 2 MiB of coalesced 4 MiB spans (one ranged request each) fetched ahead of the comparison, and blocks in flight per side, so transfers overlap computation (1-64).",
    cli: { flag: "concurrency", argument: "N" },
    action: { input: "concurrency" },
  },
  networkTimeout: {
    type: "string",
    modes: ["check", "plan"],
    default: "60",
    help: "Seconds one Hub request may take, all its attempts and the waits between them included, without an answer (or a download without a byte) before the run gives up with exit code 3 (could not fetch); at most 3600. Each attempt is dropped after min(30 s, timeout / 4) of silence.",
    cli: { flag: "network-timeout", argument: "SECONDS", env: "FROMSCRATCH_NETWORK_TIMEOUT" },
    action: { input: "network-timeout" },
  },
  cacheDir: {
    type: "string",
    modes: ["check"],
    help: "The reference cache: Hub references' headers and sampled rows per repo@sha, so a second sampled run fetches nothing from them.",
    cli: { flag: "cache-dir", argument: "DIR", env: "FROMSCRATCH_CACHE_DIR" },
    action: { input: "cache-dir", note: "Default: RUNNER_TOOL_CACHE/fromscratch (persists on self-hosted runners; on GitHub-hosted runners see actions-cache)." },
  },
  actionsCache: {
    type: "string",
    modes: ["check"],
    default: "auto",
    help: "Carry each Hub reference's cache entry (key fromscratch-ref-v1-<org_name>@<sha>) between jobs through GitHub's cache service (@actions/cache): restored before the reference is read, saved after it is compared when the run added to it. auto: on GitHub-hosted runners, where the tool cache starts empty; true: on any runner with the cache service; false: never. A failing cache service is a warning, never a failed step.",
    action: { input: "actions-cache", default: "auto" },
  },
  quiet: {
    type: "boolean",
    modes: ["check", "plan", "merge"],
    help: "No progress or info lines (warnings and errors still print).",
    cli: { flag: "quiet" },
  },
  shards: {
    type: "string",
    modes: ["plan", "check"],
    required: ["plan"],
    help: "plan: the most shards to make (1-256, GitHub's matrix limit; fewer when there are fewer references). check: the plan's shard count, when --shard gives only K.",
    cli: { flag: "shards", argument: "N" },
    action: { input: "shards", note: inMatrix("shards") },
  },
  shard: {
    type: "string",
    modes: ["check"],
    help: "Run one entry of a plan's job matrix: shard K of N (or K with --shards N), with --plan-fingerprint and --plan-positions; the report is a partial report for merge.",
    cli: { flag: "shard", argument: "K/N" },
    action: { input: "shard", note: inMatrix("shard") },
  },
  planFingerprint: {
    type: "string",
    modes: ["check"],
    help: "The plan's fingerprint (the 64 hex digits it printed), with --shard.",
    cli: { flag: "plan-fingerprint", argument: "F" },
    action: { input: "plan-fingerprint", note: inMatrix("fingerprint") },
  },
  planPositions: {
    type: "string",
    modes: ["check"],
    help: "The positions of this shard's references in the plan, with --shard.",
    cli: { flag: "plan-positions", argument: "I,J,..." },
    action: { input: "plan-positions", note: inMatrix("positions") },
  },
  linkMbs: {
    type: "string",
    modes: ["plan"],
    default: "100",
    help: "The link speed in MB/s (10^6 bytes per second) plan's time estimate assumes.",
    cli: { flag: "link-mbs", argument: "MBPS" },
    action: { input: "link-mbs" },
  },
  linkLatencyMs: {
    type: "string",
    modes: ["plan"],
    default: "20",
    help: "The wait in ms before the first byte of each ranged request that plan's time estimate assumes.",
    cli: { flag: "link-latency-ms", argument: "MS" },
    action: { input: "link-latency-ms" },
  },
  minPearson: {
    type: "string",
    modes: ["check"],
    help: "Schema 1's per-tensor Pearson threshold (0-1), kept in the report's thresholds.",
    cli: { flag: "min-pearson", argument: "X" },
    action: { input: "min-pearson" },
    deprecated: { reading: "read as --min-effect when --min-effect is not given", use: "minEffect" },
  },
  minZ: {
    type: "string",
    modes: ["check"],
    help: "Schema 1's per-tensor normal-score threshold, kept in the report's thresholds.",
    cli: { flag: "min-z", argument: "Z" },
    action: { input: "min-z" },
    deprecated: { reading: "read as --level 2·P(N > Z), the level of a two-sided normal score Z (--min-z 6 = --level 2e-9), when --level is not given", use: "level" },
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;

type RawValue<T extends OptionType> = T extends "list" ? string[] : T extends "boolean" ? boolean : string;

/**
 * What the user gave, as given, one field per option of the table: strings from argv or
 * core.getInput (undefined or "" means "not given"); lists as the entry point split them (repeated
 * flags, positionals), each item possibly itself a newline/comma list.
 */
export type RawInputs = { -readonly [K in OptionKey]?: RawValue<(typeof OPTIONS)[K]["type"]> };

/** The table as a list of [key, spec], in its order. */
export const optionEntries = (): [OptionKey, OptionSpec][] => Object.entries(OPTIONS) as [OptionKey, OptionSpec][];

/** One option's declaration by key, typed as a spec (a retired option's `use` names a key). */
export const specOf = (key: string): OptionSpec => {
  const spec = (OPTIONS as Record<string, OptionSpec>)[key];
  if (!spec) throw new Error(`no option ${JSON.stringify(key)} in the table`);
  return spec;
};
