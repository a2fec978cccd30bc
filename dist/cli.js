import { createRequire as __fsCreateRequire } from 'node:module'; const require = __fsCreateRequire(import.meta.url);

// src/common/check-process.ts
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
var SEMI_SPACE_MB = 4;
var MMAP_THRESHOLD_LOCAL = 128 << 10;
var MMAP_THRESHOLD_REMOTE = 32 << 10;
var FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"];
async function runCheckProcess(check, opts) {
  if (process.env.FROMSCRATCH_IN_PROCESS || check.pathname.endsWith(".ts") || opts.small) {
    const m = await import(check.href);
    await m.checkWith();
    return;
  }
  const child = spawn(process.execPath, [...process.execArgv, `--max-semi-space-size=${SEMI_SPACE_MB}`, fileURLToPath(check), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: opts.mmapThreshold !== null ? { MALLOC_MMAP_THRESHOLD_: String(opts.mmapThreshold), ...process.env } : process.env
  });
  const forward = (signal) => child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  const ended = await new Promise((resolve) => {
    child.on("error", resolve);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  for (const s of FORWARDED) process.off(s, forward);
  if (ended instanceof Error) {
    process.stderr.write(`internal error: could not start the check (${process.execPath} ${fileURLToPath(check)}): ${ended.message}
`);
    process.exitCode = opts.internalErrorCode;
  } else if (ended.signal) {
    process.stderr.write(`the check process (${fileURLToPath(check)}) was ended by ${ended.signal}
`);
    process.kill(process.pid, ended.signal);
  } else {
    process.exitCode = ended.code ?? opts.internalErrorCode;
  }
}

// src/cli-weight.ts
import { readdir, stat } from "node:fs/promises";
import path2 from "node:path";

// src/settings/read-options.ts
import { parseArgs } from "node:util";

// src/common/errors.ts
var FromScratchError = class extends Error {
  kind;
  /** Stable code (`kind` or `kind.detail`); see ErrorCode. */
  code;
  constructor(kind, message, code = kind) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.name = "FromScratchError";
  }
};
var UsageError = class extends FromScratchError {
  constructor(message, code = "usage") {
    super("usage", message, code);
    this.name = "UsageError";
  }
};

// src/settings/options.ts
var inMatrix = (field) => `In a matrix: matrix.${field}.`;
var OPTIONS = {
  mode: {
    type: "string",
    modes: ["check", "plan", "merge"],
    default: "check",
    help: 'check: compare the candidate with every reference and gate on the verdict; plan: list headers only, split the references into at most --shards shards of balanced bytes and give the job matrix {"include":[{shard, shards, references, positions, fingerprint, bytes}]}, with per reference and in total the parameters, the bytes a check reads and their time over a --link-mbs link; merge: combine the partial reports of one plan (every shard exactly once) into one report, one summary and one gate.',
    cli: { command: true },
    action: { input: "mode", default: "check", note: "plan sets the outputs matrix and fingerprint." }
  },
  candidate: {
    type: "string",
    modes: ["check", "plan"],
    help: "The model to check: a local directory (model.safetensors, or model.safetensors.index.json and its shards), a .safetensors file, or a Hub repo org/name[@revision] (also hf://org/name@revision). A path starting with ./, ../, / or ~ is local only.",
    required: ["check", "plan"],
    cli: { flag: "candidate", argument: "SOURCE" },
    action: { input: "candidate", note: "A path is relative to the workspace." }
  },
  references: {
    type: "list",
    modes: ["check", "plan"],
    help: "The reference open models, in the forms --candidate takes. At least one, here or in --references-file, is required for check and plan.",
    cli: { flag: "reference", argument: "SOURCE", note: "Repeat the flag for each (a comma-separated list works too)." },
    action: { input: "references", note: "Newline- or comma-separated. In a matrix: matrix.references." }
  },
  referencesFile: {
    type: "string",
    modes: ["check", "plan"],
    help: "A file of references, one per line in the forms --candidate takes; blank lines and # comments allowed. They come after the --reference ones; a reference listed twice is compared once (with a note). Not for a shard's check, which takes its matrix entry's references.",
    cli: { flag: "references-file", argument: "FILE", note: "A relative FILE is read from the working directory." },
    action: { input: "references-file", note: "A relative path is read from the workspace." }
  },
  reports: {
    type: "list",
    modes: ["merge"],
    required: ["merge"],
    help: "The partial reports of every shard of one plan: files, directories or globs (e.g. reports/*.json). Merge refuses (exit 2) other plans, candidates or revisions, and missing or duplicated shards.",
    cli: { positionals: "REPORT.json|DIR|GLOB ..." },
    action: { input: "reports", note: "Newline-separated." }
  },
  reportPath: {
    type: "string",
    modes: ["check", "merge"],
    help: "Where to write the JSON report.",
    cli: { flag: "report", argument: "FILE" },
    action: { input: "report-path", default: "fromscratch-report.json" }
  },
  htmlPath: {
    type: "string",
    modes: ["check"],
    help: "Where to write the self-contained HTML report (heatmaps, per-layer lines, every compared tensor; it loads nothing), e.g. fromscratch-report.html; none unless set.",
    cli: { flag: "html", argument: "FILE" },
    action: { input: "html-report", note: "Nothing is uploaded; add an actions/upload-artifact step to keep it." }
  },
  summaryPath: {
    type: "string",
    modes: ["merge"],
    help: "Where to write the merged report's markdown summary; none unless set.",
    cli: { flag: "summary", argument: "FILE" }
  },
  format: {
    type: "string",
    modes: ["check", "merge"],
    default: "text",
    help: "What stdout shows: the text report (per-layer strips, in colour only when stdout is a terminal and NO_COLOR is unset), the JSON report, or the markdown summary.",
    cli: { flag: "format", argument: "text|json|markdown" }
  },
  failOn: {
    type: "string",
    modes: ["check", "merge"],
    default: "reused",
    help: "When the gate fails: reused, when any reference is reused; inconclusive, also when the check cannot decide; never. Merge gates on reused unless told otherwise, whatever the shards ran with.",
    cli: { flag: "fail-on", argument: "reused|inconclusive|never" },
    action: { input: "fail-on", default: "reused" }
  },
  endpoint: {
    type: "string",
    modes: ["check", "plan"],
    default: "https://huggingface.co",
    help: "The Hub endpoint: https, or plain http on loopback hosts only (localhost, 127.0.0.0/8, ::1).",
    cli: { flag: "endpoint", argument: "URL", env: "HF_ENDPOINT" },
    action: { input: "endpoint", env: "HF_ENDPOINT" }
  },
  token: {
    type: "string",
    modes: ["check", "plan"],
    help: "Hugging Face token for gated or private repos; sent only to the endpoint's origin, never to the CDN a download redirects to.",
    cli: { flag: "token", argument: "TOKEN", env: "HF_TOKEN" },
    action: { input: "hf-token", env: "HF_TOKEN", secret: true, note: "Masked in the log." }
  },
  components: {
    type: "string",
    modes: ["check", "plan"],
    help: 'Override component detection: name=glob,glob;name=glob (e.g. "vision=model.vision_model.*;language=model.language_model.*").',
    cli: { flag: "components", argument: "SPEC" },
    action: { input: "components" }
  },
  level: {
    type: "string",
    modes: ["check"],
    default: "1e-6",
    help: "A component is reused when its combined p-value, corrected over every component x reference, is at most this; between it and 1e-3, inconclusive.",
    cli: { flag: "level", argument: "P" },
    action: { input: "level" }
  },
  minEffect: {
    type: "string",
    modes: ["check"],
    default: "0.05",
    help: "A component is reused only when its strongest tensor's effect (Pearson of standardised units) is at least this.",
    cli: { flag: "min-effect", argument: "X" },
    action: { input: "min-effect" }
  },
  minShare: {
    type: "string",
    modes: ["check"],
    default: "0",
    help: "A component is reused only when its tensors with evidence on their own cover at least this share of its parameters (0: any share; partial reuse is reuse).",
    cli: { flag: "min-share", argument: "X" },
    action: { input: "min-share" }
  },
  sample: {
    type: "string",
    modes: ["check", "plan"],
    default: "auto",
    help: "The fraction (0, 1] of each large matrix's rows to read (deterministic chunks), exact, or auto: exact up to 4 GiB compared per reference, sampled down to ~1 GiB above.",
    cli: { flag: "sample", argument: "FRACTION|exact|auto" },
    action: { input: "sample" }
  },
  concurrency: {
    type: "string",
    modes: ["check", "plan"],
    default: "4",
    help: "Read-ahead per remote model: up to N x 2 MiB of coalesced 4 MiB spans (one ranged request each) fetched ahead of the comparison, and blocks in flight per side, so transfers overlap computation (1-64).",
    cli: { flag: "concurrency", argument: "N" },
    action: { input: "concurrency" }
  },
  networkTimeout: {
    type: "string",
    modes: ["check", "plan"],
    default: "60",
    help: "Seconds one Hub request may take, all its attempts and the waits between them included, without an answer (or a download without a byte) before the run gives up with exit code 3 (could not fetch); at most 3600. Each attempt is dropped after min(30 s, timeout / 4) of silence.",
    cli: { flag: "network-timeout", argument: "SECONDS", env: "FROMSCRATCH_NETWORK_TIMEOUT" },
    action: { input: "network-timeout" }
  },
  cacheDir: {
    type: "string",
    modes: ["check"],
    help: "The reference cache: Hub references' headers and sampled rows per repo@sha, so a second sampled run fetches nothing from them.",
    cli: { flag: "cache-dir", argument: "DIR", env: "FROMSCRATCH_CACHE_DIR" },
    action: { input: "cache-dir", note: "Default: RUNNER_TOOL_CACHE/fromscratch (persists on self-hosted runners; on GitHub-hosted runners see actions-cache)." }
  },
  actionsCache: {
    type: "string",
    modes: ["check"],
    default: "auto",
    help: "Carry each Hub reference's cache entry (key fromscratch-ref-v1-<org_name>@<sha>) between jobs through GitHub's cache service (@actions/cache): restored before the reference is read, saved after it is compared when the run added to it. auto: on GitHub-hosted runners, where the tool cache starts empty; true: on any runner with the cache service; false: never. A failing cache service is a warning, never a failed step.",
    action: { input: "actions-cache", default: "auto" }
  },
  quiet: {
    type: "boolean",
    modes: ["check", "plan", "merge"],
    help: "No progress or info lines (warnings and errors still print).",
    cli: { flag: "quiet" }
  },
  shards: {
    type: "string",
    modes: ["plan", "check"],
    required: ["plan"],
    help: "plan: the most shards to make (1-256, GitHub's matrix limit; fewer when there are fewer references). check: the plan's shard count, when --shard gives only K.",
    cli: { flag: "shards", argument: "N" },
    action: { input: "shards", note: inMatrix("shards") }
  },
  shard: {
    type: "string",
    modes: ["check"],
    help: "Run one entry of a plan's job matrix: shard K of N (or K with --shards N), with --plan-fingerprint and --plan-positions; the report is a partial report for merge.",
    cli: { flag: "shard", argument: "K/N" },
    action: { input: "shard", note: inMatrix("shard") }
  },
  planFingerprint: {
    type: "string",
    modes: ["check"],
    help: "The plan's fingerprint (the 64 hex digits it printed), with --shard.",
    cli: { flag: "plan-fingerprint", argument: "F" },
    action: { input: "plan-fingerprint", note: inMatrix("fingerprint") }
  },
  planPositions: {
    type: "string",
    modes: ["check"],
    help: "The positions of this shard's references in the plan, with --shard.",
    cli: { flag: "plan-positions", argument: "I,J,..." },
    action: { input: "plan-positions", note: inMatrix("positions") }
  },
  linkMbs: {
    type: "string",
    modes: ["plan"],
    default: "100",
    help: "The link speed in MB/s (10^6 bytes per second) plan's time estimate assumes.",
    cli: { flag: "link-mbs", argument: "MBPS" },
    action: { input: "link-mbs" }
  },
  linkLatencyMs: {
    type: "string",
    modes: ["plan"],
    default: "20",
    help: "The wait in ms before the first byte of each ranged request that plan's time estimate assumes.",
    cli: { flag: "link-latency-ms", argument: "MS" },
    action: { input: "link-latency-ms" }
  },
  minPearson: {
    type: "string",
    modes: ["check"],
    help: "Schema 1's per-tensor Pearson threshold (0-1), kept in the report's thresholds.",
    cli: { flag: "min-pearson", argument: "X" },
    action: { input: "min-pearson" },
    deprecated: { reading: "read as --min-effect when --min-effect is not given", use: "minEffect" }
  },
  minZ: {
    type: "string",
    modes: ["check"],
    help: "Schema 1's per-tensor normal-score threshold, kept in the report's thresholds.",
    cli: { flag: "min-z", argument: "Z" },
    action: { input: "min-z" },
    deprecated: { reading: "read as --level 2\xB7P(N > Z), the level of a two-sided normal score Z (--min-z 6 = --level 2e-9), when --level is not given", use: "level" }
  }
};
var optionEntries = () => Object.entries(OPTIONS);

// src/settings/read-options.ts
function flagOf(spec) {
  return spec.cli && "flag" in spec.cli ? spec.cli.flag : null;
}
function flagsOf(mode) {
  const flags = {};
  for (const [, spec] of optionEntries()) {
    const flag = flagOf(spec);
    if (flag === null || !spec.modes.includes(mode)) continue;
    flags[flag] = spec.type === "boolean" ? { type: "boolean" } : spec.type === "list" ? { type: "string", multiple: true } : { type: "string" };
  }
  return flags;
}
function set(raw, key, value) {
  if (value !== void 0) raw[key] = value;
}
function typed(spec, v) {
  if (spec.type === "boolean") return typeof v === "boolean" ? v : void 0;
  if (spec.type === "list") return Array.isArray(v) ? v.filter((x) => typeof x === "string") : void 0;
  return typeof v === "string" ? v : void 0;
}
function readArgv(mode, args, env, opts = {}) {
  const strict = opts.strict ?? true;
  const takesPositionals = optionEntries().some(([, s]) => s.modes.includes(mode) && s.cli !== void 0 && "positionals" in s.cli);
  let parsed;
  try {
    parsed = parseArgs({ args, strict, allowPositionals: takesPositionals || !strict, options: flagsOf(mode) });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const raw = { mode };
  for (const [key, spec] of optionEntries()) {
    if (!spec.cli || !spec.modes.includes(mode)) continue;
    if ("positionals" in spec.cli) set(raw, key, parsed.positionals);
    else if ("flag" in spec.cli) set(raw, key, typed(spec, parsed.values[spec.cli.flag]) ?? (spec.cli.env ? env[spec.cli.env] : void 0));
  }
  return raw;
}
function splitList(s) {
  return s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
}

// src/settings/references-file.ts
import { readFileSync } from "node:fs";
import path from "node:path";
function withoutComment(line) {
  const m = /(^|[ \t])#/.exec(line);
  return m ? line.slice(0, m.index) : line;
}
function parseReferencesText(text, label) {
  const out = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, i) => {
    const source = withoutComment(raw).trim();
    if (source === "") return;
    if (/[\s,]/.test(source)) {
      throw new UsageError(
        `--references-file ${label}, line ${i + 1}: one reference per line (got ${JSON.stringify(source)}); put each on its own line, and start comments with #`,
        "usage.bad-value"
      );
    }
    out.push({ source, line: i + 1 });
  });
  return out;
}
function readReferencesFile(file, opts) {
  const given = file.trim();
  const abs = path.resolve(opts.baseDir, given);
  const where = abs === given ? given : `${given} (${abs})`;
  let text;
  try {
    text = (opts.readText ?? ((p) => readFileSync(p, "utf8")))(abs);
  } catch (e) {
    const code = e?.code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "permission denied" : e?.message ?? String(e);
    throw new UsageError(`--references-file ${where}: ${why}`, "usage.bad-value");
  }
  return parseReferencesText(text, given);
}

// src/cli-weight.ts
var IN_PROCESS_MAX_BYTES = 3 * 2 ** 30;
var FIXED_MMAP_MIN_BYTES = 4 * 2 ** 30;
async function weighCommand(argv) {
  if (argv[0] !== "check") return { check: false, localBytes: 0 };
  let raw;
  try {
    raw = readArgv("check", argv.slice(1), {}, { strict: false });
  } catch {
    return { check: true, localBytes: 0 };
  }
  const sources = [raw.candidate, ...(raw.references ?? []).flatMap(splitList), ...listedIn(raw.referencesFile)].filter((s) => typeof s === "string" && s !== "");
  let total = 0;
  for (const s of sources) {
    const bytes = await bytesUnder(s.startsWith("~/") ? path2.join(process.env.HOME ?? "~", s.slice(2)) : s, FIXED_MMAP_MIN_BYTES - total);
    if (bytes === null) return { check: true, localBytes: null };
    total += bytes;
    if (total > FIXED_MMAP_MIN_BYTES) break;
  }
  return { check: true, localBytes: total };
}
function listedIn(file) {
  if (!file) return [];
  try {
    return readReferencesFile(file, { baseDir: process.cwd() }).map((r) => r.source);
  } catch {
    return [];
  }
}
async function bytesUnder(p, limit) {
  const s = await stat(p).catch(() => null);
  if (!s) return null;
  if (!s.isDirectory()) return s.size;
  let total = 0;
  const entries = await readdir(p, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (total > limit) break;
    const sub = await bytesUnder(path2.join(p, e.name), limit - total);
    total += sub ?? 0;
  }
  return total;
}

// src/cli-main.ts
var INTERNAL_ERROR = 4;
var weight = await weighCommand(process.argv.slice(2));
await runCheckProcess(new URL(`./cli-check${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url), {
  internalErrorCode: INTERNAL_ERROR,
  // Every command but a check, and a small local check, runs in this process; a big or remote check gets a fixed mmap threshold (cli-weight.ts).
  small: !weight.check || weight.localBytes !== null && weight.localBytes < IN_PROCESS_MAX_BYTES,
  mmapThreshold: weight.localBytes === null ? MMAP_THRESHOLD_REMOTE : weight.localBytes > FIXED_MMAP_MIN_BYTES ? MMAP_THRESHOLD_LOCAL : null
});
