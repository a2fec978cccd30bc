/**
 * The README is a user guide that stays true: short, its inputs table names
 * exactly action.yml's inputs and outputs, every CLI flag of `--help` and
 * every error code is documented, its two commands are npm scripts (the test
 * one is what CI runs), every link resolves, and nothing in it or in docs/
 * reads like a lab notebook.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { USAGE } from "../src/cli.js";
import { ERROR_CODES } from "../src/common/errors.js";
import { type YamlValue, parseYaml } from "./helpers/mini-yaml.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (rel: string) => readFileSync(path.join(ROOT, rel), "utf8");
const README = read("README.md");
const DOCS = readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
const action = parseYaml(read("action.yml")) as { [key: string]: { [key: string]: YamlValue } };
/** Inputs still accepted for old workflows, left out of the guide. */
const RETIRED = ["min-pearson", "min-z"];

/** The first-column names (`name`) of the table rows between the options markers. */
function optionRows(): string[] {
  const m = /<!-- options:start -->\n([\s\S]*?)<!-- options:end -->/.exec(README);
  expect(m, "the options markers").not.toBeNull();
  return [...m![1]!.matchAll(/^\| `([\w-]+)` \|/gm)].map((r) => r[1]!);
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

describe("the README", () => {
  it("is a guide of at most ~300 lines that starts with the question it answers", () => {
    expect(README.split("\n").length).toBeLessThanOrEqual(300);
    const firstScreen = README.split("\n").slice(0, 25).join("\n");
    expect(firstScreen).toMatch(/trained from scratch/);
    expect(firstScreen).toMatch(/!\[[^\]]*\]\(docs\/html-report-[\w-]+\.png\)/);
  });

  it("lists every input of action.yml between the options markers (retired ones marked deprecated), and every output after them", () => {
    const rows = optionRows();
    const inputs = Object.keys(action.inputs!);
    expect([...rows].sort()).toEqual([...inputs].sort());
    const table = /<!-- options:start -->\n([\s\S]*?)<!-- options:end -->/.exec(README)![1]!;
    for (const name of RETIRED) expect(table).toMatch(new RegExp(`^\\| \`${name}\` \\|[^\\n]*Deprecated`, "m"));
    const after = README.slice(README.indexOf("<!-- options:end -->"));
    const outputs = [...after.matchAll(/^\| `([\w-]+)` \|/gm)].map((r) => r[1]!);
    expect(outputs).toEqual(expect.arrayContaining(Object.keys(action.outputs!)));
  });

  it("documents every flag of --help", () => {
    const flags = new Set([...USAGE.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]));
    expect(flags.size).toBeGreaterThan(20);
    for (const flag of flags) expect(README, flag).toContain(flag);
  });

  it("documents every exit code and every error code", () => {
    for (const code of [0, 1, 2, 3, 4]) expect(README).toMatch(new RegExp(`^\\| ${code} \\|`, "m"));
    for (const code of ERROR_CODES) expect(README, code).toContain(`\`${code}\``);
  });

  it("gives the two commands of a fresh machine, and they are the package's scripts CI runs", () => {
    expect(README).toContain("npm ci && npm run demo");
    expect(README).toMatch(/^npm test\b/m);
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["demo", "test"]));
    expect(read(".ci/run")).toMatch(/^npm test\b/m);
    expect(README).not.toMatch(/TEST_MINUTES/);
  });
});

describe("the README and docs/", () => {
  const files = ["README.md", ...DOCS];

  it.each(files)("%s: every relative link resolves, anchors included", (file) => {
    const text = read(file).replace(/^```[\s\S]*?^```/gm, "");
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      const [rel, anchor] = target.split("#") as [string, string | undefined];
      const resolved = rel === "" ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), rel);
      expect(existsSync(resolved), `${file}: ${target}`).toBe(true);
      if (anchor && resolved.endsWith(".md")) {
        const headings = [...readFileSync(resolved, "utf8").matchAll(/^#+ (.+)$/gm)].map((h) => slug(h[1]!));
        expect(headings, `${file}: ${target}`).toContain(anchor);
      }
    }
  });

  it.each(files)("%s: nothing dated or session-like", (file) => {
    const text = read(file);
    expect(text).not.toMatch(/\bthis session\b|\bsessions? (earlier|\d)|\bsession \d|\bsince commit\b|\bat commit [0-9a-f]{7}|\bmain at [0-9a-f]{7}|\(today\)/i);
  });
});
