/**
 * The renderers without a browser: the per-layer strip, the text output's
 * colour rule, the job summary's size and escaping with many references and
 * hostile names, the HTML report's self-containment and escaping, and the
 * CLI flag and Action input that write it.
 */
import { spawn } from "node:child_process";
import { cp, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli.js";
import { renderHtml } from "../src/report/html.js";
import { SUMMARY_MAX_BYTES, renderMarkdown } from "../src/report/markdown.js";
import type { ComponentResult, Report, TensorResult } from "../src/report/schema.js";
import { BLOCKS, blockFor, layerProfile, strip, verdictSentence } from "../src/report/strip.js";
import { renderText } from "../src/report/text.js";
import { REPO_ROOT, tiny } from "./helpers/fixtures.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { skipping } from "./helpers/skip.js";
import { tempDir, tempEnv } from "./helpers/temp.js";

const ANSI = /\x1b\[/;

let derived: Promise<Report> | null = null;
/** The llm-a-sft vs llm-a report (reused), computed once. */
function derivedReport(): Promise<Report> {
  derived ??= (async () => {
    const dir = await tempDir("render");
    const json = path.join(dir, "r.json");
    await runCli(["check", "--candidate", await tiny("llm-a-sft"), "--reference", await tiny("llm-a"), "--report", json, "--quiet"]);
    return readReport(json);
  })();
  return derived.then((r) => structuredClone(r));
}

function tensor(layer: number | null, name: string, pearson: number, standsOut: boolean): TensorResult {
  return {
    candidate: name,
    reference: name,
    elements: 1 << 20,
    cosine: pearson,
    pearson,
    z: standsOut ? 50 : 0.5,
    identical: false,
    transform: "none",
    layer,
    role: "mlp.up.weight",
    informative: true,
    standsOut,
    null: { mean: 0, sd: 0.01, n: 19 },
    dtype: { candidate: "BF16", reference: "BF16" },
  };
}

/** A 7B-like component: `layers` layers of 7 matrices and 2 norms, names `nameLen` long, the whole layer matrix. */
function bigComponent(name: string, layers: number, nameLen: number, reused: boolean): ComponentResult {
  const tensors: TensorResult[] = [];
  const pad = (s: string) => (s.length >= nameLen ? s : `${"x".repeat(nameLen - s.length)}${s}`);
  for (let l = 0; l < layers; l++) {
    for (const role of ["q", "k", "v", "o", "gate", "up", "down"]) tensors.push(tensor(l, pad(`|<b>\`*_[x](javascript:alert(1))\n.layers.${l}.${role}.weight`), reused ? 0.9 : 0.001, reused));
    for (const n of ["input_layernorm", "post_attention_layernorm"]) tensors.push({ ...tensor(l, pad(`.layers.${l}.${n}.weight`), 0.02, false), informative: false, cosine: 0.998, role: "norm1.weight" });
  }
  const m = (f: (i: number, j: number) => number) => Array.from({ length: layers }, (_, i) => Array.from({ length: layers }, (_, j) => f(i, j)));
  return {
    name,
    verdict: reused ? "reused" : "independent",
    reason: reused ? "many matrices stand out" : "none stands out",
    share: reused ? 0.96 : 0,
    candidateParameters: tensors.length << 20,
    matchedParameters: reused ? (layers * 7) << 20 : 0,
    comparedParameters: (layers * 7) << 20,
    null: { mean: 0, sd: 0.01, n: 500 },
    pearsonMedian: reused ? 0.9 : 0.001,
    zMedian: reused ? 50 : 0.5,
    unmatchedTensors: 0,
    unmatchedParameters: 0,
    unreadTensors: 0,
    search: null,
    layerMatrix: {
      candidateLayers: Array.from({ length: layers }, (_, i) => i),
      referenceLayers: Array.from({ length: layers }, (_, i) => i),
      pearson: m((i, j) => (reused && i === j ? 0.9 : 0.001)),
      normPearson: m(() => 0.01),
      normCosine: m(() => 0.998),
    },
    tensors,
  };
}

/**
 * `n` references, each with vision, projector and an 80-layer language model, hostile names throughout.
 * The renderers only read them, so references share their (few distinct) components: a thousand
 * references are a thousand rows to render, not a million tensors to build first.
 */
async function manyReferences(n: number, layers = 80, nameLen = 400): Promise<Report> {
  const base = await derivedReport();
  const hostile = (s: string) => `${"r".repeat(200)}|<script>alert(1)</script>\`${s}`;
  const components = (reused: boolean) => [bigComponent("language", layers, nameLen, reused), bigComponent("vision", 32, nameLen, false), { ...bigComponent("projector", 0, nameLen, false), layerMatrix: null }];
  const shared = { reused: components(true), independent: components(false) };
  base.references = Array.from({ length: n }, (_, i) => ({
    source: hostile(`org/model-${i}`),
    revision: "0123456789abcdef0123456789abcdef01234567",
    license: hostile("other"),
    verdict: i % 7 === 0 ? "reused" : "independent",
    reason: "x",
    // Each reference its own component objects (tests may edit them), sharing the tensors.
    components: (i % 7 === 0 ? shared.reused : shared.independent).map((c) => ({ ...c })),
    referenceUnmatchedTensors: 0,
    sampling: { fraction: 1, mode: "exact", chosen: "auto" },
  }));
  return base;
}

describe("the per-layer strip", () => {
  it("is one block per layer in eighths of |r|, · where nothing was compared", () => {
    expect(BLOCKS.join("")).toBe("▁▂▃▄▅▆▇█");
    expect([0, 0.1, 0.13, 0.5, -0.6, 0.87, 0.99, 1, null].map(blockFor).join("")).toBe("▁▁▂▅▅▇██·");
    const c = bigComponent("language", 4, 10, true);
    // Layer 2: its matrices unread (no Pearson): a dot, and no colour beyond the escape codes.
    c.tensors = c.tensors.map((t) => (t.layer === 2 ? { ...t, pearson: null, error: "unsupported dtype", standsOut: false } : t));
    expect(layerProfile(c).map((p) => p.layer)).toEqual([0, 1, 2, 3]);
    expect(strip(c)).toBe("██·█");
    expect(strip(c, { color: true })).toBe("\x1b[31m██\x1b[0m\x1b[2m·\x1b[0m\x1b[31m█\x1b[0m");
    expect(strip(bigComponent("x", 200, 10, false), { maxLayers: 160 })).toBe(`${"▁".repeat(160)}…(+40)`);
    expect(strip({ ...bigComponent("projector", 0, 10, false), layerMatrix: null })).toBe("");
  });

  it("shows the fixtures' derived model as full blocks and the independent one as flat", async () => {
    const r = await derivedReport();
    expect(strip(r.references[0]!.components[0]!)).toBe("████");
    const b = await runCli(["check", "--candidate", await tiny("llm-b"), "--reference", await tiny("llm-a"), "--quiet"]);
    expect(b.stdout).toMatch(/^ {6}layers ▁▁▁▁$/m);
  });

  it("states the verdict and its rule in one sentence", async () => {
    const r = await derivedReport();
    // A plain model is one component: the sentence does not read "the candidate's model … because in model …".
    expect(verdictSentence(r)).toMatch(/^Reused: the candidate is not independent of .*llm-a \(copied, fine-tuned, or trained from a shared initialisation\): combined p (\d(\.\d)?e-\d+|< 1e-300 \(log10 p -\d+\.\d\)) over \d+ tensors \(truncated Cauchy\), .* corrected over a family of 1 \(level 1e-6\); effect 0\.\d\d; \d+ matrices with evidence on their own cover 9\d\.\d% of the parameters\.$/);
    expect(verdictSentence(r)).not.toMatch(/in model|candidate's model/);
    const ind = await manyReferences(3, 4, 10);
    for (const ref of ind.references) {
      ref.verdict = "independent";
      ref.components = ref.components.map((c) => ({ ...c, verdict: "independent" }));
    }
    ind.verdict = "independent";
    expect(verdictSentence(ind)).toMatch(/^Independent: against .*, (language|vision): none stands out, and every component of the candidate is independent of all 3 references\.$/);
    const inc = structuredClone(ind);
    inc.verdict = "inconclusive";
    inc.references[1]!.verdict = "inconclusive";
    inc.references[1]!.error = { kind: "fetch", message: "404 not found" };
    expect(verdictSentence(inc)).toMatch(/^Inconclusive: .* could not be compared \(404 not found\)\.$/);
  });
});

describe("the CLI's text output", () => {
  async function text(stdoutTTY: boolean, env: Record<string, string> = {}): Promise<string> {
    let out = "";
    const code = await main(["check", "--candidate", await tiny("llm-a-sft"), "--reference", await tiny("llm-a"), "--quiet"], {
      stdout: (s) => (out += s),
      stderr: () => undefined,
      env,
      isTTY: false,
      stdoutTTY,
    });
    expect(code).toBe(1);
    return out;
  }

  it("has the strip per component; colour only on a TTY, and not with NO_COLOR", async () => {
    const plain = await text(false);
    expect(plain).not.toMatch(ANSI);
    expect(plain).toMatch(/^ {6}layers ████$/m);
    expect(plain).toMatch(/^verdict: REUSED \(/m);
    const tty = await text(true);
    expect(tty).toMatch(/verdict: \x1b\[1;31mREUSED\x1b\[0m/);
    expect(tty).toMatch(/layers \x1b\[31m████\x1b\[0m/);
    // Colour never shifts the columns: without the escapes (and the timing line), the same text.
    const bare = (x: string) => x.replace(/\x1b\[[0-9;]*m/g, "").replace(/[\d,]+ bytes read in [\d.]+ s\n$/, "");
    expect(bare(tty)).toBe(bare(plain));
    expect(await text(true, { NO_COLOR: "1" })).not.toMatch(ANSI);
  });

  it("never lets a name drive the terminal", async () => {
    const r = await derivedReport();
    r.references[0]!.components[0]!.tensors.sort((a, b) => Math.abs(b.z ?? 0) - Math.abs(a.z ?? 0))[0]!.candidate = "evil\x1b]0;pwned\x07\x1b[2J";
    const out = renderText(r, { color: false });
    expect(out).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
    expect(out).toContain("evil?]0;pwned??[2J");
  });
});

describe("--html and the job summary's pointer", () => {
  it("writes one self-contained HTML file, and the markdown says where it and the JSON are", async () => {
    const dir = await tempDir("html-cli");
    const html = path.join(dir, "out.html");
    const json = path.join(dir, "out.json");
    const run = await runCli(["check", "--candidate", await tiny("vlm-cand"), "--reference", await tiny("vlm-ref"), "--report", json, "--html", html, "--format", "markdown"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`HTML report written to ${html}`);
    const page = await readFile(html, "utf8");
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`);
    // Nothing that could load anything: no src/href to another document, no CSS url() or @import, no fonts.
    expect(page).not.toMatch(/\ssrc=|href="(?!#)|url\((?!#)|@import|@font-face/i);
    expect((page.match(/<script>/g) ?? []).length).toBe(1);
    expect((page.match(/<svg class="heatmap /g) ?? []).length).toBe(6);
    expect((page.match(/<svg class="layer-line"/g) ?? []).length).toBe(2);
    expect(page).toContain("Norm vectors: raw cosine");
    expect(run.stdout).toContain(`the HTML report <code>${html.replace(/_/g, "&#95;")}</code>`);
    expect(run.stdout).toContain(`the JSON report <code>${json.replace(/_/g, "&#95;")}</code>`);
    expect(run.stdout).toContain("actions/upload-artifact");
  });

  it("without --html, the summary says how to ask for it", async () => {
    const r = await derivedReport();
    const md = renderMarkdown(r, { reportPath: "fromscratch-report.json" });
    expect(md).toMatch(/ask for the HTML report \(`--html FILE`\)/);
    expect(renderMarkdown(r, { reportPath: "fromscratch-report.json", entry: "action" })).toMatch(/ask for the HTML report \(input `html-report`\)/);
    expect(md).toMatch(/\| model \| 🔴 reused \| 9\d\.\d% of [\d,]+ \| 0\.9\d\d \| `████` \|/);
  });
});

describe("the job summary's size and escaping", () => {
  it("50 references of 80 layers with 400-character hostile names: under 1 MB, one row per reference, names escaped", async () => {
    const r = await manyReferences(50);
    const md = renderMarkdown(r, { reportPath: "fromscratch-report.json", htmlPath: "fromscratch-report.html" });
    const bytes = Buffer.byteLength(md);
    expect(bytes).toBeLessThan(SUMMARY_MAX_BYTES);
    console.log(`job summary, 50 references x (80 + 32 layers, 400-char names): ${bytes} bytes`);
    const rows = md.split("\n").filter((l) => /^\| …r+/.test(l));
    expect(rows).toHaveLength(50);
    expect(md).toContain("the HTML report <code>fromscratch-report.html</code>");
    // No markup, no link, no raw pipe or backtick from a name: every table row keeps its cell count.
    expect(md).not.toMatch(/<script|<b>|\]\(javascript/);
    for (const l of md.split("\n").filter((x) => x.startsWith("| "))) {
      const cells = l.replace(/`[▁▂▃▄▅▆▇█·…+()\d]*`/g, "S").split("|").length - 2;
      expect([6, 7]).toContain(cells);
      expect(l.replace(/`[▁▂▃▄▅▆▇█·…+()\d]*`/g, "")).not.toContain("`");
    }
  });

  it("thousands of references: rows past the budget are counted, and the whole stays under the cap", async () => {
    const r = await manyReferences(1000, 80, 400);
    const md = renderMarkdown(r, { reportPath: "r.json", htmlPath: "r.html" });
    expect(Buffer.byteLength(md)).toBeLessThan(SUMMARY_MAX_BYTES);
    const shown = md.split("\n").filter((l) => /^\| …r+/.test(l)).length;
    const cut = /_(\d+) more references not shown here \(summary size limit\)\._/.exec(md);
    expect(cut, "the rows past the budget are counted").not.toBeNull();
    expect(shown + Number(cut![1])).toBe(1000);
    expect(md.includes("Summary truncated to stay under GitHub's 1 MiB limit")).toBe(true);
    expect(md.includes("the HTML report <code>r.html</code>")).toBe(true);
  });

  it("the fixtures' real run against 2 references renders a verdict line, a row per reference and the strips", async () => {
    const refs = await Promise.all((["llm-a", "vlm-ref"] as const).map((n) => tiny(n)));
    const run = await runCli(["check", "--candidate", await tiny("vlm-cand"), ...refs.flatMap((x) => ["--reference", x]), "--format", "markdown", "--quiet"]);
    expect(run.stdout).toMatch(/^\*\*Verdict:\*\* Reused: the candidate's vision is not independent of .*vlm-ref \(copied, fine-tuned, or trained from a shared initialisation\), because in vision /m);
    expect(run.stdout.split("\n").filter((l) => /^\| .*(llm-a|vlm-ref) \| unknown \| local \|/.test(l))).toHaveLength(2);
    expect(run.stdout).toMatch(/🔴 vision 9\d\.\d% `████`/);
  });
});

describe("the HTML report's size", () => {
  it("draws large layer grids as one path per colour, so 50 references of 80-layer models stay openable", async () => {
    const r = await manyReferences(50, 80, 60);
    const page = renderHtml(r);
    // 80 x 80 > 24 x 24: no per-cell rect; the reused references' diagonals are still marked.
    expect(page).not.toMatch(/<rect class="cell"/);
    expect(page).toMatch(/<path class="cells" fill="#[0-9a-f]{6}" d="M/);
    expect(page).toMatch(/<path class="out-of-band thin" d="M/);
    expect((page.match(/<svg class="heatmap pearson"/g) ?? []).length).toBe(100);
    const mb = Buffer.byteLength(page) / 1e6;
    console.log(`HTML report, 50 references x (80 + 32 layers): ${mb.toFixed(1)} MB`);
    expect(mb).toBeLessThan(60);
  });
});

describe("the HTML report's escaping", () => {
  it("escapes every name, licence, revision and reason", async () => {
    const r = await manyReferences(2, 4, 10);
    const evil = `<img src=x onerror=alert(1)>"'&`;
    r.candidate.source = evil;
    r.references[0]!.license = evil;
    r.references[0]!.revision = evil;
    r.references[0]!.reason = evil;
    r.references[0]!.components[0]!.reason = evil;
    r.references[0]!.components[0]!.tensors[0]!.candidate = evil;
    r.references[0]!.components[0]!.tensors[0]!.transform = evil;
    r.gate.rule = evil;
    const page = renderHtml(r);
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<b>");
    expect(page).not.toMatch(/<script>alert/);
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;");
  });
});

describe("the Action's html-report input (dist/index.js)", () => {
  const dist = path.join(REPO_ROOT, "dist/index.js");
  async function runAction(inputs: Record<string, string>) {
    const ws = await tempDir("ws-html");
    for (const n of ["llm-a", "llm-a-sft"] as const) await cp(await tiny(n), path.join(ws, "models", n), { recursive: true });
    const out = path.join(ws, ".output");
    const summary = path.join(ws, ".summary");
    await writeFile(out, "");
    await writeFile(summary, "");
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", ...tempEnv(), GITHUB_WORKSPACE: ws, GITHUB_OUTPUT: out, GITHUB_STEP_SUMMARY: summary, RUNNER_TEMP: ws };
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
    const status = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [dist], { cwd: ws, env, stdio: "ignore" });
      child.on("close", resolve);
    });
    return { ws, status, outputs: await readFile(out, "utf8"), summary: await readFile(summary, "utf8") };
  }

  const unbuilt = !existsSync(dist) && `${path.relative(REPO_ROOT, dist)} is missing (npm run build writes it)`;
  it.skipIf(skipping("the Action's html-report input", unbuilt))("writes the HTML only when asked, sets html-path, and the summary points to it", async () => {
    const asked = await runAction({ candidate: "models/llm-a-sft", references: "models/llm-a", "html-report": "fromscratch-report.html" });
    expect(asked.status).toBe(1);
    expect(asked.outputs).toMatch(/^html-path<<.*\nfromscratch-report\.html\n/m);
    expect((await readFile(path.join(asked.ws, "fromscratch-report.html"), "utf8")).startsWith("<!doctype html>")).toBe(true);
    expect(asked.summary).toContain("the HTML report <code>fromscratch-report.html</code>");
    expect(asked.summary).toMatch(/\| model \| 🔴 reused \| .* \| `████` \|/);
    const not = await runAction({ candidate: "models/llm-a-sft", references: "models/llm-a" });
    expect(not.outputs).not.toMatch(/html-path/);
    expect(existsSync(path.join(not.ws, "fromscratch-report.html"))).toBe(false);
    expect(not.summary).toContain("ask for the HTML report");
  });
});
