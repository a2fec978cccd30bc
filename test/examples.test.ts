/**
 * The example workflows run as pasted: each file in examples/ is a complete
 * workflow, every `with:` key given to this action (there, in the README and in
 * docs/) is an input of action.yml, the reports a step writes are the files
 * its job uploads, step and job outputs referred to exist, and the README's
 * workflow is one of the examples. This repository's CI (`uses: ./`) is held
 * to the same inputs.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { REPORT_PREDICATE_TYPE } from "../src/report/schema.js";
import { type YamlValue, parseYaml, yamlBlocks } from "./helpers/mini-yaml.js";

type YMap = { [key: string]: YamlValue };
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (rel: string) => readFileSync(path.join(ROOT, rel), "utf8");
const isMap = (v: YamlValue | undefined): v is YMap => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: YamlValue | undefined): string => (typeof v === "string" ? v : "");

const action = parseYaml(read("action.yml")) as YMap;
const INPUTS = action.inputs as YMap;
const OUTPUTS = action.outputs as YMap;
/** Inputs still accepted for old workflows, never shown in examples or docs. */
const RETIRED = ["min-pearson", "min-z"];

const EXAMPLES = readdirSync(path.join(ROOT, "examples"))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => ({ file: `examples/${f}`, text: read(`examples/${f}`), doc: parseYaml(read(`examples/${f}`)) as YMap }));

/** This action in a `uses:` (`./` in this repository's own CI, OWNER/fromscratch@ref elsewhere). */
const isThisAction = (uses: string) => uses === "./" || /^[\w.-]+\/fromscratch@[\w./-]+$/.test(uses);

function jobsOf(doc: YMap): [string, YMap][] {
  return Object.entries(doc.jobs as YMap).map(([name, job]) => [name, job as YMap]);
}
function stepsOf(job: YMap): YMap[] {
  return (job.steps as YamlValue[]).map((s) => s as YMap);
}
/** Every mapping with a string `uses` anywhere in a parsed document (workflow, job or step fragment). */
function usesSteps(v: YamlValue): YMap[] {
  if (Array.isArray(v)) return v.flatMap(usesSteps);
  if (!isMap(v)) return [];
  return [...(typeof v.uses === "string" ? [v] : []), ...Object.values(v).flatMap(usesSteps)];
}
function ourSteps(v: YamlValue): YMap[] {
  return usesSteps(v).filter((s) => isThisAction(str(s.uses)));
}
function withOf(step: YMap): YMap {
  return isMap(step.with) ? step.with : {};
}
/** Every string in a value, for expression references. */
function strings(v: YamlValue): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  return isMap(v) ? Object.values(v).flatMap(strings) : [];
}

/** Every place a step of this action may appear: examples, yaml blocks of the README and docs, this repository's CI. */
function allDocuments(): { where: string; doc: YamlValue }[] {
  const docs = readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`);
  const blocks = ["README.md", ...docs].flatMap((file) =>
    yamlBlocks(read(file)).map((b) => ({ where: `${file}:${b.line}`, doc: parseYaml(b.text) })),
  );
  const ci = { where: ".github/workflows/ci.yml", doc: parseYaml(read(".github/workflows/ci.yml")) };
  return [...EXAMPLES.map((e) => ({ where: e.file, doc: e.doc as YamlValue })), ...blocks, ci];
}

describe("the YAML reader these checks use", () => {
  it("reads the subset the workflows use, and refuses what it does not know", () => {
    const text = "on:\n  push:\n    tags:\n      - \"v*\"\njobs:\n  a:\n    needs: [b, c]  # comment\n    steps:\n      - uses: x/y@v1\n        with:\n          refs: |\n            a # kept\n            b\n";
    expect(parseYaml(text)).toEqual({ on: { push: { tags: ["v*"] } }, jobs: { a: { needs: ["b", "c"], steps: [{ uses: "x/y@v1", with: { refs: "a # kept\nb\n" } }] } } });
    expect(() => parseYaml("with: { a: b }")).toThrow(/flow mappings/);
    expect(() => parseYaml("a: 1\na: 2")).toThrow(/duplicate key a/);
    expect(() => parseYaml("a:\n  b: 1\n   c: 2")).toThrow(/line 3/);
  });
});

describe("action.yml, as the examples read it", () => {
  it("declares the inputs and outputs the examples rely on", () => {
    for (const name of ["mode", "candidate", "references", "fail-on", "report-path", "html-report", "shards", "reports"]) expect(INPUTS).toHaveProperty([name]);
    for (const name of ["verdict", "report-path", "html-path", "matrix"]) expect(OUTPUTS).toHaveProperty([name]);
    expect(str((INPUTS["report-path"] as YMap).default)).toBe("fromscratch-report.json");
  });
});

describe("every example is a complete workflow", () => {
  it("finds the four examples", () => {
    expect(EXAMPLES.map((e) => e.file)).toEqual(expect.arrayContaining(["examples/attest.yml", "examples/matrix.yml", "examples/pull-request.yml", "examples/release-gate.yml"]));
  });

  it.each(EXAMPLES)("$file: triggers, jobs on a runner, steps that use or run, pinned actions", ({ doc }) => {
    expect(str(doc.name)).not.toBe("");
    expect(isMap(doc.on)).toBe(true);
    const jobs = jobsOf(doc);
    expect(jobs.length).toBeGreaterThan(0);
    for (const [name, job] of jobs) {
      expect(str(job["runs-on"]), name).not.toBe("");
      const needs = job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs.map(str) : [str(job.needs)];
      for (const n of needs) expect(Object.keys(doc.jobs as YMap), `${name} needs ${n}`).toContain(n);
      const steps = stepsOf(job);
      expect(steps.length, name).toBeGreaterThan(0);
      for (const step of steps) {
        expect(typeof step.uses === "string" !== (typeof step.run === "string"), JSON.stringify(step)).toBe(true);
        if (typeof step.uses === "string") expect(step.uses, "an action pinned to a ref").toMatch(/^\.\/$|@[\w./-]+$/);
      }
    }
  });

  it.each(EXAMPLES)("$file: every step and job output referred to exists", ({ doc }) => {
    for (const [name, job] of jobsOf(doc)) {
      const ids = new Map(stepsOf(job).filter((s) => typeof s.id === "string").map((s) => [str(s.id), s]));
      for (const text of strings(job)) {
        for (const m of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const step = ids.get(m[1]!);
          expect(step, `${name}: no step with id ${m[1]}`).toBeDefined();
          if (isThisAction(str(step!.uses))) expect(OUTPUTS, `${name}: output ${m[2]}`).toHaveProperty([m[2]!]);
        }
        for (const m of text.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const other = (doc.jobs as YMap)[m[1]!] as YMap | undefined;
          expect(isMap(other?.outputs) && Object.hasOwn(other!.outputs as YMap, m[2]!), `${name}: needs.${m[1]}.outputs.${m[2]}`).toBe(true);
        }
      }
    }
  });

  it.each(EXAMPLES)("$file: the reports this action writes are the files its job uploads, also when the gate fails", ({ doc }) => {
    for (const [name, job] of jobsOf(doc)) {
      const steps = stepsOf(job);
      steps.forEach((step, i) => {
        if (!isThisAction(str(step.uses)) || str(withOf(step).mode) === "plan") return;
        const upload = steps.slice(i + 1).find((s) => str(s.uses).startsWith("actions/upload-artifact@"));
        expect(upload, `${name}: an upload-artifact step after the check`).toBeDefined();
        expect(str(upload!.if), `${name}: the upload runs when the step failed`).toMatch(/always\(\)|!cancelled\(\)/);
        const uploaded = str(withOf(upload!).path).split("\n").map((p) => p.trim()).filter(Boolean);
        const written = [str(withOf(step)["report-path"]) || str((INPUTS["report-path"] as YMap).default), str(withOf(step)["html-report"])].filter(Boolean);
        for (const file of written) expect(uploaded, `${name}: ${file} uploaded`).toContain(file);
      });
    }
  });
});

describe("every step of this action, in examples, the README and docs/", () => {
  const places = allDocuments().flatMap(({ where, doc }) => ourSteps(doc).map((step) => ({ where, step })));

  it("is found, and refers to the action in one form", () => {
    expect(places.length).toBeGreaterThanOrEqual(6);
    const refs = new Set(places.map((p) => str(p.step.uses)).filter((u) => u !== "./"));
    expect([...refs]).toEqual(["OWNER/fromscratch@v1"]);
  });

  it("gives only inputs action.yml declares, never a retired one, with values they take", () => {
    for (const { where, step } of places) {
      const given = withOf(step);
      for (const key of Object.keys(given)) {
        expect(Object.keys(INPUTS), `${where}: with.${key}`).toContain(key);
        expect(RETIRED, `${where}: retired input ${key}`).not.toContain(key);
      }
      const mode = str(given.mode) || "check";
      expect(["check", "plan", "merge"], where).toContain(mode);
      if (given["fail-on"] !== undefined) expect(["reused", "inconclusive", "never"], where).toContain(str(given["fail-on"]));
      const required = mode === "merge" ? ["reports"] : mode === "plan" ? ["candidate", "references", "shards"] : ["candidate", "references"];
      for (const key of required) expect(str(given[key]), `${where}: ${mode} needs ${key}`).not.toBe("");
    }
  });
});

describe("what the examples show", () => {
  const byFile = Object.fromEntries(EXAMPLES.map((e) => [e.file, e]));

  it("a check on pull requests: checkout, the step, the reports uploaded and linked from the job summary", () => {
    const { doc } = byFile["examples/pull-request.yml"]!;
    expect(Object.keys(doc.on as YMap)).toContain("pull_request");
    const steps = stepsOf(jobsOf(doc)[0]![1]);
    const uses = steps.map((s) => str(s.uses));
    expect(uses[0]).toMatch(/^actions\/checkout@/);
    const check = steps.findIndex((s) => isThisAction(str(s.uses)));
    expect(withOf(steps[check]!)["html-report"]).toBeTruthy();
    const link = steps.find((s) => str(s.run).includes("GITHUB_STEP_SUMMARY"));
    expect(strings(link!).join(" ")).toContain("outputs.artifact-url");
  });

  it("a job matrix: plan, a check per shard that leaves the gate to merge, merge", () => {
    const { doc } = byFile["examples/matrix.yml"]!;
    const modes = ourSteps(doc).map((s) => str(withOf(s).mode) || "check");
    expect(modes).toEqual(["plan", "check", "merge"]);
    const check = ourSteps(doc)[1]!;
    expect(withOf(check)["fail-on"]).toBe("never");
    expect(str(withOf(check).shard)).toContain("matrix.shard");
  });

  it("a release gate with fail-on: inconclusive, saying when to use it", () => {
    const { doc, text } = byFile["examples/release-gate.yml"]!;
    expect(ourSteps(doc).map((s) => withOf(s)["fail-on"])).toEqual(["inconclusive"]);
    expect(text).toMatch(/nothing comparable/);
    const publish = jobsOf(doc).find(([, job]) => job.needs !== undefined);
    expect(publish, "a job that runs only after the gate").toBeDefined();
  });

  it("a signed result: actions/attest over the report and the weights, the report as predicate of our type, the permissions it needs", () => {
    const { doc } = byFile["examples/attest.yml"]!;
    const permissions = doc.permissions as YMap;
    expect(permissions).toMatchObject({ "id-token": "write", attestations: "write" });
    const [, job] = jobsOf(doc)[0]!;
    const steps = stepsOf(job);
    const check = steps.find((s) => isThisAction(str(s.uses)))!;
    const attest = steps.find((s) => /^actions\/attest@v2$/.test(str(s.uses)));
    expect(attest, "an actions/attest@v2 step").toBeDefined();
    expect(steps.indexOf(attest!)).toBeGreaterThan(steps.indexOf(check));
    const report = str(withOf(check)["report-path"]);
    const subjects = str(withOf(attest!)["subject-path"]).split("\n").map((p) => p.trim()).filter(Boolean);
    expect(subjects).toContain(report);
    expect(subjects.some((p) => p.startsWith(str(withOf(check).candidate).replace(/^\.\//, "")))).toBe(true);
    expect(withOf(attest!)).toMatchObject({ "predicate-type": REPORT_PREDICATE_TYPE, "predicate-path": report });
    expect(read("docs/verify.md")).toContain(REPORT_PREDICATE_TYPE);
  });

  it("the README's workflow is one of the examples, as written there", () => {
    const workflows = yamlBlocks(read("README.md"))
      .map((b) => parseYaml(b.text))
      .filter((d): d is YMap => isMap(d) && d.jobs !== undefined);
    expect(workflows.length).toBeGreaterThan(0);
    for (const w of workflows) expect(EXAMPLES.map((e) => e.doc)).toContainEqual(w);
  });
});
