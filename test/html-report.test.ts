/**
 * The HTML report in a real browser: Debian's headless Chromium (installed by
 * .ci/run), driven over the DevTools protocol on a pipe (no extra package).
 * For a derived, an independent, a trap and a VLM fixture case the CLI writes
 * the report with --html; the page must load with no request beyond its own
 * file, no error, the heatmaps and per-layer lines as SVG, the marks where they
 * belong, a table that sorts, and escaped names. Each case is screenshotted
 * (FROMSCRATCH_UPDATE_SCREENSHOTS=1 writes the README's screenshots to docs/).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../src/report/html.js";
import type { Report } from "../src/report/schema.js";
import { TRAPS } from "./evasion/cases.js";
import { materialise } from "./evasion/materialise.js";
import { REPO_ROOT, tiny } from "./helpers/fixtures.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { skipping } from "./helpers/skip.js";
import { tempDir } from "./helpers/temp.js";

/** FROMSCRATCH_TEST_CHROMIUM=/nonexistent runs this file as a machine without Chromium would. */
const CHROMIUM = process.env.FROMSCRATCH_TEST_CHROMIUM ?? "/usr/bin/chromium";
const NO_CHROMIUM = !existsSync(CHROMIUM) && `${CHROMIUM} not found (.ci/run installs Debian's chromium)`;
const DOCS = process.env.FROMSCRATCH_UPDATE_SCREENSHOTS === "1" ? path.join(REPO_ROOT, "docs") : null;
const WIDTH = 1280;

type Json = Record<string, unknown>;

/** A DevTools-protocol client over --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON). */
class Chromium {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void; method: string }>();
  private listeners: ((method: string, params: Json, sessionId: string | undefined) => void)[] = [];
  private stderr = "";

  private constructor(
    private proc: ChildProcess,
    private input: Writable,
    output: Readable,
    private profile: string,
  ) {
    let buf = "";
    output.setEncoding("utf8");
    output.on("data", (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\0")) >= 0) {
        const msg = JSON.parse(buf.slice(0, i)) as { id?: number; result?: Json; error?: { message: string }; method?: string; params?: Json; sessionId?: string };
        buf = buf.slice(i + 1);
        if (msg.id !== undefined) {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
          else p?.resolve(msg.result ?? {});
        } else if (msg.method) for (const l of this.listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
      }
    });
    proc.stderr?.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    proc.on("exit", () => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited: ${this.stderr}`));
      this.pending.clear();
    });
  }

  static async launch(): Promise<Chromium> {
    const profile = await tempDir("chromium");
    const args = [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      "--remote-debugging-pipe",
      `--user-data-dir=${profile}`,
      "about:blank",
    ];
    const proc = spawn(CHROMIUM, args, { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
    const b = new Chromium(proc, proc.stdio[3] as Writable, proc.stdio[4] as Readable, profile);
    await b.send("Browser.getVersion");
    return b;
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    });
  }

  on(listener: (method: string, params: Json, sessionId: string | undefined) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => (this.proc.exitCode !== null ? resolve() : this.proc.once("exit", () => resolve())));
    await this.send("Browser.close").catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    await rm(this.profile, { recursive: true, force: true });
  }
}

interface PageLoad {
  /** Every URL the page requested. */
  requests: string[];
  /** Requests that failed, responses >= 400, console errors, exceptions, CSP violations. */
  problems: string[];
  session: string;
  /** Evaluate an expression in the page, returning its (JSON) value. */
  evaluate: <T>(expression: string) => Promise<T>;
  /** PNG of the whole page (or of a CSS selector's box). */
  screenshot: (selector?: string, maxHeight?: number) => Promise<Buffer>;
}

async function openPage(browser: Chromium, file: string): Promise<PageLoad> {
  const { targetId } = (await browser.send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
  const { sessionId } = (await browser.send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
  const requests: string[] = [];
  const problems: string[] = [];
  let loaded!: () => void;
  const load = new Promise<void>((resolve) => (loaded = resolve));
  browser.on((method, p, sid) => {
    if (sid !== sessionId) return;
    if (method === "Network.requestWillBeSent") requests.push(String((p.request as Json).url));
    else if (method === "Network.loadingFailed") problems.push(`load failed: ${String(p.errorText)} ${String(p.blockedReason ?? "")}`);
    else if (method === "Network.responseReceived" && Number((p.response as Json).status) >= 400) problems.push(`HTTP ${String((p.response as Json).status)} ${String((p.response as Json).url)}`);
    else if (method === "Runtime.exceptionThrown") problems.push(`exception: ${JSON.stringify(p.exceptionDetails)}`);
    else if (method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "warning")) problems.push(`console ${String(p.type)}: ${JSON.stringify(p.args)}`);
    else if (method === "Log.entryAdded" && ["error", "warning"].includes(String((p.entry as Json).level))) problems.push(`log: ${String((p.entry as Json).text)}`);
    else if (method === "Page.loadEventFired") loaded();
  });
  for (const d of ["Page.enable", "Network.enable", "Runtime.enable", "Log.enable"]) await browser.send(d, {}, sessionId);
  await browser.send("Emulation.setDeviceMetricsOverride", { width: WIDTH, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
  const nav = (await browser.send("Page.navigate", { url: pathToFileURL(file).href }, sessionId)) as { errorText?: string };
  if (nav.errorText) problems.push(`navigate: ${nav.errorText}`);
  await load;
  const evaluate = async <T,>(expression: string): Promise<T> => {
    const r = (await browser.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }, sessionId)) as { result: { value: T }; exceptionDetails?: Json };
    if (r.exceptionDetails) throw new Error(`evaluate ${expression}: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  };
  const screenshot = async (selector?: string, maxHeight = 16000): Promise<Buffer> => {
    const box = await evaluate<{ x: number; y: number; width: number; height: number }>(
      selector
        ? `(() => { const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect(); return { x: r.x + scrollX - 8, y: r.y + scrollY - 8, width: r.width + 16, height: r.height + 16 }; })()`
        : `({ x: 0, y: 0, width: ${WIDTH}, height: Math.min(${maxHeight}, document.documentElement.scrollHeight) })`,
    );
    await browser.send("Emulation.setDeviceMetricsOverride", { width: WIDTH, height: Math.ceil(box.y + box.height), deviceScaleFactor: 1, mobile: false }, sessionId);
    const { data } = (await browser.send("Page.captureScreenshot", { format: "png", clip: { ...box, scale: 1 } }, sessionId)) as { data: string };
    await browser.send("Emulation.setDeviceMetricsOverride", { width: WIDTH, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
    return Buffer.from(data, "base64");
  };
  return { requests, problems, session: sessionId, evaluate, screenshot };
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

interface Shape {
  verdict: string;
  heatmaps: { pearson: number; normPearson: number; normCosine: number; cells: number; diag: number; outOfBand: number };
  lines: number;
  bands: number;
  tables: number;
  rows: number;
  strips: string[];
  cosine: number[];
  pearson: number[];
  text: string;
  images: number;
  scripts: number;
}

const SHAPE = `(() => {
  const q = (s) => document.querySelectorAll(s);
  const vals = (s) => [...q(s)].map((c) => c.dataset.v).filter((v) => v !== "").map(Number);
  return {
    verdict: document.querySelector("header .badge").textContent,
    heatmaps: {
      pearson: q("svg.heatmap.pearson").length, normPearson: q("svg.heatmap.norm-pearson").length, normCosine: q("svg.heatmap.norm-cosine").length,
      cells: q("svg.heatmap rect.cell").length, diag: q("svg.heatmap rect.diag").length, outOfBand: q("svg.heatmap.pearson rect.out-of-band").length,
    },
    lines: q("svg.layer-line").length,
    bands: q("svg.layer-line .null-band").length,
    tables: q("table.tensors-table").length,
    rows: q("table.tensors-table tbody tr").length,
    strips: [...q(".component .strip")].map((s) => s.textContent),
    cosine: vals("svg.norm-cosine rect.cell"),
    pearson: vals("svg.heatmap.pearson rect.cell"),
    text: document.body.innerText,
    images: q("img, image, iframe, object, embed, link").length,
    scripts: q("script").length,
  };
})()`;

interface Case {
  name: string;
  /** The README's screenshot (docs/), top of the page; with collapse, the tensor tables folded. */
  docs: string | null;
  collapse?: boolean;
  candidate: () => Promise<string>;
  reference: () => Promise<string>;
  code: number;
  check: (s: Shape, r: Report) => void;
}

const CASES: Case[] = [
  {
    name: "derived (llm-a-sft vs llm-a)",
    docs: "html-report-derived.png",
    candidate: () => tiny("llm-a-sft"),
    reference: () => tiny("llm-a"),
    code: 1,
    check: (s) => {
      expect(s.verdict).toBe("REUSED");
      // The bright diagonal: every diagonal cell outside the null band, nothing else.
      expect(s.heatmaps.outOfBand).toBe(4);
      expect(Math.max(...s.pearson)).toBeGreaterThan(0.9);
      expect(s.strips[0]).toBe("████");
    },
  },
  {
    name: "independent (llm-b vs llm-a)",
    docs: "html-report-independent.png",
    candidate: () => tiny("llm-b"),
    reference: () => tiny("llm-a"),
    code: 0,
    check: (s) => {
      expect(s.verdict).toBe("INDEPENDENT");
      expect(s.heatmaps.outOfBand).toBe(0);
      expect(Math.max(...s.pearson.map(Math.abs))).toBeLessThan(0.1);
      // The norm trap, visible: raw cosine ~1 for every pair of layers.
      expect(s.cosine).toHaveLength(16);
      expect(Math.min(...s.cosine)).toBeGreaterThan(0.99);
      expect(s.strips[0]).toBe("▁▁▁▁");
    },
  },
  {
    name: `trap: ${TRAPS[2]!.name}`,
    docs: null,
    candidate: () => materialise(TRAPS[2]!.candidate),
    reference: () => materialise(TRAPS[2]!.reference),
    code: 0,
    check: (s) => {
      expect(s.verdict).toBe("INDEPENDENT");
      expect(s.heatmaps.outOfBand).toBe(0);
      expect(Math.min(...s.cosine)).toBeGreaterThan(0.99);
    },
  },
  {
    name: "VLM (vlm-cand vs vlm-ref)",
    docs: "html-report-vlm.png",
    collapse: true,
    candidate: () => tiny("vlm-cand"),
    reference: () => tiny("vlm-ref"),
    code: 1,
    check: (s, r) => {
      expect(s.verdict).toBe("REUSED");
      // language and vision have layers; the projector has none (no heatmap, no line).
      const layered = r.references[0]!.components.filter((c) => c.layerMatrix).length;
      expect(layered).toBe(2);
      expect(s.heatmaps.pearson).toBe(2);
      expect(s.strips).toEqual(["████", "▁▁▁▁"]);
      expect(s.heatmaps.outOfBand).toBe(4);
      expect(s.text).toMatch(/projector/);
    },
  },
];

describe.skipIf(skipping("the HTML report in headless Chromium", NO_CHROMIUM))(
  NO_CHROMIUM ? `the HTML report in headless Chromium (skipped: ${NO_CHROMIUM})` : "the HTML report in headless Chromium",
  () => {
    let browser: Chromium;
    let dir: string;
    beforeAll(async () => {
      browser = await Chromium.launch();
      dir = await tempDir("html");
      if (DOCS) await mkdir(DOCS, { recursive: true });
    });
    afterAll(async () => {
      await browser?.close();
    });

    for (const c of CASES) {
      it(`${c.name}: loads nothing, draws the heatmaps and lines, sorts, screenshots`, async () => {
        const slug = c.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
        const html = path.join(dir, `${slug}.html`);
        const json = path.join(dir, `${slug}.json`);
        // Relative sources: the committed screenshots must not show this machine's paths.
        const rel = async (p: Promise<string>) => path.relative(process.cwd(), await p);
        const run = await runCli(["check", "--candidate", await rel(c.candidate()), "--reference", await rel(c.reference()), "--report", json, "--html", html, "--quiet"]);
        expect(run.code, run.stderr).toBe(c.code);
        const report = await readReport(json);
        const page = await openPage(browser, html);
        expect(page.problems).toEqual([]);
        // Nothing but the file itself was requested: no fonts, scripts, images or network.
        expect(page.requests).toEqual([pathToFileURL(html).href]);
        const s = await page.evaluate<Shape>(SHAPE);
        const comps = report.references.flatMap((r) => r.components);
        const layered = comps.filter((x) => x.layerMatrix);
        const withNorms = layered.filter((x) => x.layerMatrix!.normPearson && x.layerMatrix!.normCosine);
        expect(s.heatmaps.pearson).toBe(layered.length);
        expect(s.heatmaps.normPearson).toBe(withNorms.length);
        expect(s.heatmaps.normCosine).toBe(withNorms.length);
        const cells = layered.reduce((n, x) => n + x.layerMatrix!.candidateLayers.length * x.layerMatrix!.referenceLayers.length * (x.layerMatrix!.normCosine ? 3 : 1), 0);
        expect(s.heatmaps.cells).toBe(cells);
        expect(s.heatmaps.diag).toBeGreaterThan(0);
        expect(s.lines).toBe(layered.length);
        expect(s.bands).toBe(layered.length);
        // Every compared tensor is in a table.
        expect(s.tables).toBe(comps.filter((x) => x.tensors.length).length);
        expect(s.rows).toBe(comps.reduce((n, x) => n + x.tensors.length, 0));
        expect(s.images).toBe(0);
        expect(s.scripts).toBe(1);
        // The verdict and its rule, the licence and revision lines.
        expect(s.text).toContain(report.gate.rule);
        expect(s.text).toMatch(/licence/);
        expect(s.text).toMatch(/revision/);
        c.check(s, report);
        // Every tensor table fits its card (no sideways scrolling), names wrapping at their separators.
        const overflow = await page.evaluate<number[]>(`[...document.querySelectorAll("details.tensors")].map((d) => { d.open = true; const w = d.querySelector(".table-wrap"); return w.scrollWidth - w.clientWidth; })`);
        expect(overflow.every((px) => px <= 1), `overflow px: ${overflow.join(", ")}`).toBe(true);
        expect(await page.evaluate<number>(`document.querySelectorAll("table.tensors-table td.name wbr").length`)).toBeGreaterThan(0);

        const png = await page.screenshot();
        const size = pngSize(png);
        expect(size.width).toBe(WIDTH);
        expect(size.height).toBeGreaterThan(800);
        expect(png.length).toBeGreaterThan(30_000);
        await writeFile(path.join(dir, `${slug}.png`), png);
        if (DOCS && c.docs) {
          if (c.collapse) await page.evaluate(`for (const d of document.querySelectorAll("details.tensors")) d.open = false`);
          await writeFile(path.join(DOCS, c.docs), await page.screenshot(undefined, 2400));
        }
        if (DOCS && c.name.startsWith("independent")) await writeFile(path.join(DOCS, "html-report-trap.png"), await page.screenshot(".trap-pair"));

        // Sorting: the first table by Pearson, descending then ascending.
        const sorted = await page.evaluate<number[][]>(`(() => {
          const table = document.querySelector("table.tensors-table");
          const th = [...table.tHead.rows[0].cells].find((h) => h.textContent === "Pearson");
          const col = () => [...table.tBodies[0].rows].map((r) => r.cells[th.cellIndex].dataset.v).filter((v) => v !== "").map(Number);
          th.click(); const a = col(); th.click(); return [a, col()];
        })()`);
        expect(sorted[0]!.length).toBeGreaterThan(3);
        expect(sorted[0]).toEqual([...sorted[0]!].sort((a, b) => b - a));
        expect(sorted[1]).toEqual([...sorted[1]!].sort((a, b) => a - b));

        expect(page.problems).toEqual([]);
      });
    }

    it("50 references in one report: a section each, everything drawn, still nothing loaded", async () => {
      const json = path.join(dir, "vlm50.json");
      await runCli(["check", "--candidate", await tiny("vlm-cand"), "--reference", await tiny("vlm-ref"), "--report", json, "--quiet"]);
      const report = await readReport(json);
      const one = report.references[0]!;
      report.references = Array.from({ length: 50 }, (_, i) => ({ ...structuredClone(one), source: `org/reference-${i}`, revision: `${i}`.padStart(40, "0"), license: i % 2 ? "apache-2.0" : "llama3.1" }));
      const file = path.join(dir, "vlm50.html");
      await writeFile(file, renderHtml(report, { reportPath: json }));
      const page = await openPage(browser, file);
      expect(page.problems).toEqual([]);
      expect(page.requests).toEqual([pathToFileURL(file).href]);
      const n = await page.evaluate<number[]>(`[document.querySelectorAll("section.reference").length, document.querySelectorAll("svg.heatmap.pearson").length, document.querySelectorAll("svg.layer-line").length, document.querySelectorAll("table.overview tbody tr").length]`);
      expect(n).toEqual([50, 100, 100, 50]);
      expect(await page.evaluate<string>(`document.querySelector("table.overview tbody tr:last-child").innerText`)).toMatch(/org\/reference-49\s+0+49\s+llama3\.1|org\/reference-49\s+0+49\s+apache-2\.0/);
    });

    it("escapes hostile names: no markup, no script, no request from the report's strings", async () => {
      const json = path.join(dir, "hostile.json");
      await runCli(["check", "--candidate", await tiny("llm-a-sft"), "--reference", await tiny("llm-a"), "--report", json, "--quiet"]);
      const report = await readReport(json);
      const evil = `<img src="http://127.0.0.1:9/x" onerror="window.pwned=1"><script>window.pwned=2</script>"'&`;
      report.candidate.source = evil;
      const ref = report.references[0]!;
      ref.source = evil;
      ref.license = evil;
      ref.revision = evil;
      const comp = ref.components[0]!;
      comp.reason = evil;
      comp.tensors[0]!.candidate = evil;
      comp.tensors[0]!.reference = `</table></svg>${evil}`;
      comp.tensors[0]!.transform = evil;
      const file = path.join(dir, "hostile.html");
      await writeFile(file, renderHtml(report));
      const page = await openPage(browser, file);
      expect(page.requests).toEqual([pathToFileURL(file).href]);
      expect(page.problems).toEqual([]);
      expect(await page.evaluate<unknown>("window.pwned ?? null")).toBeNull();
      expect(await page.evaluate<number>(`document.querySelectorAll("img").length + document.scripts.length`)).toBe(1);
      expect(await page.evaluate<string>(`document.querySelector("table.tensors-table tbody td").textContent`)).toBe(evil);
      expect(await page.evaluate<number>(`document.querySelectorAll("table.tensors-table tbody tr").length`)).toBe(comp.tensors.length);
    });
  },
);
