/**
 * One option, one declaration (src/settings/options.ts): the CLI's parser and --help, the Action's
 * inputs, action.yml and the README's table all come from the table, and fail here when they drift.
 * Retired options stay accepted, with a warning.
 */
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type ActionIO, run } from "../src/action.js";
import { USAGE } from "../src/cli.js";
import { weighCommand } from "../src/cli-weight.js";
import { type OptionMode, type RawInputs, optionEntries, specOf } from "../src/settings/options.js";
import { deprecationsIn, flagOf, readActionInputs, readArgv } from "../src/settings/read-options.js";
import { README_END, README_START, actionInputs, renderOptionsTable, updateActionYml, updateReadme } from "../src/settings/render-options.js";
import { type AnySettings, parseSettings } from "../src/settings/settings.js";
import { tiny } from "./helpers/fixtures.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const MODES: OptionMode[] = ["check", "plan", "merge"];
const flagged = (mode: OptionMode) => optionEntries().filter(([, s]) => s.modes.includes(mode) && flagOf(s) !== null);

/** action.yml's inputs, read loosely: name -> its properties (double-quoted values as JSON strings). */
function actionYmlInputs(yml: string): Record<string, Record<string, string>> {
  const block = /^inputs:\n((?:(?:[ \t].*)?\n)*)/m.exec(yml)?.[1] ?? "";
  const inputs: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const line of block.split("\n")) {
    const name = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line);
    const prop = /^ {4}([A-Za-z]+):\s*(.*)$/.exec(line);
    if (name) inputs[name[1]!] = current = {};
    else if (prop && current) current[prop[1]!] = prop[2]!.startsWith('"') ? (JSON.parse(prop[2]!) as string) : prop[2]!;
  }
  return inputs;
}

describe("the table itself", () => {
  it("flags and inputs are unique; a retired option names the option that replaced it", () => {
    const flags = optionEntries().map(([, s]) => flagOf(s)).filter((f) => f !== null);
    const inputs = optionEntries().flatMap(([, s]) => (s.action ? [s.action.input] : []));
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(inputs).size).toBe(inputs.length);
    for (const [key, spec] of optionEntries()) {
      expect(spec.cli ?? spec.action, `${key} is neither a CLI option nor an input`).toBeDefined();
      if (spec.deprecated) expect(specOf(spec.deprecated.use).deprecated, `${key} -> ${spec.deprecated.use}`).toBeUndefined();
    }
  });

  it("each default is the one the parser applies when the option is not given", () => {
    const base: Record<OptionMode, RawInputs> = { check: { candidate: "a", references: ["b"] }, plan: { mode: "plan", candidate: "a", references: ["b"], shards: "2" }, merge: { mode: "merge", reports: ["r.json"] } };
    // merge without --fail-on gates like check (`reused`); its settings say so with undefined.
    const gate = (s: AnySettings) => (s.mode === "merge" ? { ...s, failOn: s.failOn ?? "reused" } : s);
    const checked: string[] = [];
    for (const [key, spec] of optionEntries()) {
      if (spec.default === undefined) continue;
      // The mode's default is the mode an input without one gets.
      for (const mode of key === "mode" ? [spec.default as OptionMode] : spec.modes) {
        const raw = { ...base[mode], [key]: spec.default } as RawInputs;
        expect(gate(parseSettings(raw)), `${key} = ${spec.default} in ${mode}`).toEqual(gate(parseSettings(base[mode])));
        checked.push(`${key}/${mode}`);
      }
    }
    expect(checked).toEqual(expect.arrayContaining(["level/check", "networkTimeout/plan", "failOn/merge", "format/merge", "linkMbs/plan", "sample/check"]));
  });
});

describe("the CLI", () => {
  it("every flag of the table parses, in the commands it applies to, into its field", () => {
    for (const mode of MODES) {
      for (const [key, spec] of flagged(mode)) {
        const flag = `--${flagOf(spec)}`;
        const raw = readArgv(mode, spec.type === "boolean" ? [flag] : [flag, "v1"], {});
        expect(raw[key], `${mode} ${flag}`).toEqual(spec.type === "boolean" ? true : spec.type === "list" ? ["v1"] : "v1");
      }
    }
    expect(readArgv("check", ["--reference", "a", "--reference", "b,c"], {}).references).toEqual(["a", "b,c"]);
    expect(readArgv("merge", ["x.json", "--quiet", "dir/"], {})).toMatchObject({ mode: "merge", reports: ["x.json", "dir/"], quiet: true });
  });

  it("a flag outside its commands is a usage error (exit 2), as before", async () => {
    expect(() => readArgv("plan", ["--level", "1e-9"], {})).toThrow(/--level/);
    expect(() => readArgv("merge", ["--candidate", "x"], {})).toThrow(/--candidate/);
    const run = await runCli(["plan", "--candidate", "a", "--reference", "b", "--shards", "1", "--html", "x.html"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--html/);
  });

  it("environment variables stand in for their flags, and a flag wins over its variable", () => {
    const env = { HF_ENDPOINT: "https://mirror.example", HF_TOKEN: "t-env", FROMSCRATCH_NETWORK_TIMEOUT: "9", FROMSCRATCH_CACHE_DIR: "/c" };
    expect(readArgv("check", [], env)).toMatchObject({ endpoint: "https://mirror.example", token: "t-env", networkTimeout: "9", cacheDir: "/c" });
    expect(readArgv("check", ["--token", "t-flag"], env).token).toBe("t-flag");
    // --cache-dir is check's only: plan never reads its variable.
    expect(readArgv("plan", [], env).cacheDir).toBeUndefined();
  });

  it("--help lists every command and every option of the table, retired ones too", () => {
    for (const mode of MODES) expect(USAGE).toMatch(new RegExp(`^ {2}fromscratch-weights ${mode} `, "m"));
    for (const [key, spec] of optionEntries()) {
      const flag = flagOf(spec);
      if (flag !== null) expect(USAGE, key).toMatch(new RegExp(`^ {2}--${flag}\\b`, "m"));
    }
    expect(USAGE).toContain("REPORT.json|DIR|GLOB");
    expect(USAGE).toMatch(/Exit codes: 0 gate passed, 1 gate failed, 2 bad usage or bad model files, 3 could not fetch, 4 internal error/);
    expect(USAGE.split("\n").every((l) => l.length <= 110)).toBe(true);
  });

  it("the launcher's peek reads --candidate and --reference through the same table, other flags and lists included", async () => {
    const dir = await tempDir("options-weigh");
    await mkdir(path.join(dir, "a"));
    await writeFile(path.join(dir, "a", "model.safetensors"), Buffer.alloc(1000));
    await writeFile(path.join(dir, "b.safetensors"), Buffer.alloc(500));
    const a = path.join(dir, "a");
    const b = path.join(dir, "b.safetensors");
    expect(await weighCommand(["check", "--level", "1e-9", "--candidate", a, "--quiet", "--reference", `${a},${b}`])).toEqual({ check: true, localBytes: 2500 });
    expect(await weighCommand(["plan", "--candidate", a, "--reference", b])).toEqual({ check: false, localBytes: 0 });
  });
});

describe("retired options: accepted, read as what replaced them, with a warning", () => {
  it("min-pearson and min-z are the retired names (git log -S min-pearson); each warns and names its replacement", () => {
    const retired = optionEntries().filter(([, s]) => s.deprecated).map(([k, s]) => [k, flagOf(s), s.action?.input, flagOf(specOf(s.deprecated!.use))]);
    expect(retired).toEqual([
      ["minPearson", "min-pearson", "min-pearson", "min-effect"],
      ["minZ", "min-z", "min-z", "level"],
    ]);
    expect(deprecationsIn({ minZ: "6", minPearson: "0.3", level: "1e-9" })).toEqual([
      expect.stringMatching(/^--min-pearson is deprecated: read as --min-effect when --min-effect is not given; use --min-effect instead$/),
      expect.stringMatching(/^--min-z is deprecated: read as --level 2·P\(N > Z\).*; use --level instead$/),
    ]);
    expect(deprecationsIn({ minZ: "", level: "1e-9" })).toEqual([]);
  });

  it("the CLI: --min-z and --min-pearson still decide as before, after a warning on stderr", async () => {
    const out = path.join(await tempDir("options-retired"), "report.json");
    const args = ["check", "--candidate", await tiny("llm-a-sft"), "--reference", await tiny("llm-a"), "--quiet", "--report", out];
    const run = await runCli([...args, "--min-z", "6", "--min-pearson", "0.3"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^warning: --min-pearson is deprecated: .*use --min-effect instead$/m);
    expect(run.stderr).toMatch(/^warning: --min-z is deprecated: .*use --level instead$/m);
    const th = (await readReport(out)).thresholds;
    expect(th).toMatchObject({ minZ: 6, minPearson: 0.3, minEffect: 0.3 });
    expect(th.level).toBeCloseTo(1.973e-9, 11);
    // A bad value is still a usage error, after the warning.
    const bad = await runCli([...args, "--min-pearson", "high"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/warning: --min-pearson is deprecated[^]*error: --min-pearson must be a number between 0 and 1/);
  });

  it("the Action: inputs min-z and min-pearson, a warning in the log worded with the inputs, no annotation", async () => {
    const out = path.join(await tempDir("options-action"), "report.json");
    const inputs: Record<string, string> = { candidate: await tiny("llm-a-sft"), references: await tiny("llm-a"), "report-path": out, "min-z": "6" };
    const log: string[] = [];
    const warnings: string[] = [];
    const io: ActionIO = {
      getInput: (name) => inputs[name] ?? "",
      setOutput: () => {},
      setSecret: () => {},
      info: (m) => void log.push(m),
      warning: (m) => void warnings.push(m),
      error: () => {},
      setFailed: () => {},
      writeSummary: async () => {},
      env: {},
    };
    await run(io);
    expect(log).toEqual(expect.arrayContaining([expect.stringMatching(/^warning: input `min-z` is deprecated: read as input `level` 2·P\(N > Z\).*; use input `level` instead$/)]));
    expect(warnings).toEqual([]);
    expect((await readReport(out)).thresholds.level).toBeCloseTo(1.973e-9, 11);
  });
});

describe("the Action's inputs", () => {
  it("every input of the table is read once, with its environment variable and action.yml's default", () => {
    const asked: string[] = [];
    const secrets: string[] = [];
    const raw = readActionInputs((name) => (asked.push(name), name === "hf-token" ? "hf_x" : ""), { HF_ENDPOINT: "https://mirror.example" }, (s) => void secrets.push(s));
    expect(asked).toEqual(actionInputs().map((d) => d.input));
    expect(secrets).toEqual(["hf_x"]);
    expect(raw).toMatchObject({ mode: "check", token: "hf_x", endpoint: "https://mirror.example", reportPath: "fromscratch-report.json", failOn: "reused", actionsCache: "auto", references: [""] });
  });

  it("action.yml's inputs are the table's: names, descriptions, defaults and deprecation messages", () => {
    const yml = readFileSync(path.join(ROOT, "action.yml"), "utf8");
    const found = actionYmlInputs(yml);
    const hint = "action.yml drifted from src/settings/options.ts: run `node --import tsx scripts/gen-action-yml.mts`";
    expect(Object.keys(found), hint).toEqual(actionInputs().map((d) => d.input));
    for (const doc of actionInputs()) {
      const { input, ...want } = doc;
      expect(found[input], `${hint} (input ${input})`).toEqual({ required: "false", ...want });
    }
    expect(updateActionYml(yml), hint).toBe(yml);
    // The rest of the file is kept: the outputs and how the action runs.
    expect(yml).toMatch(/^outputs:\n {2}matrix:/m);
    expect(yml).toMatch(/^runs:\n {2}using: node24\n {2}main: dist\/index\.js$/m);
  });
});

describe("the README's table of options", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const hasMarkers = readme.includes(README_START) && readme.includes(README_END);

  it("renders one row per option, retired ones last", () => {
    const rows = renderOptionsTable().trim().split("\n").slice(2);
    expect(rows).toHaveLength(optionEntries().length);
    expect(rows.slice(-2).every((r) => /Deprecated:/.test(r))).toBe(true);
    expect(updateReadme("# x\n\n<!-- options:start -->\nold\n<!-- options:end -->\n")).toBe(`# x\n\n<!-- options:start -->\n${renderOptionsTable()}<!-- options:end -->\n`);
    expect(updateReadme("# no markers\n")).toBeNull();
  });

  // Until the README carries the markers there is nothing to compare (scripts/gen-readme-options.mts says so and exits 1).
  it.skipIf(!hasMarkers)("README.md's table between the markers is the table's", () => {
    expect(updateReadme(readme), "run `node --import tsx scripts/gen-readme-options.mts`").toBe(readme);
  });
});
