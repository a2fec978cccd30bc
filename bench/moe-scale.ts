/**
 * node --import tsx bench/moe-scale.ts [--experts 8,32,64,128,256] [--layers 4] [--d 256] [--f 64] [--cases reordered,graft,independent] [--sample F] [--dist]
 *
 * The expert matching's cost against the expert count (issue 24 item 6): per count, a small MoE of
 * GLM-4.5-Air's layout (d 256, 4 layers, a router and E routed experts per layer, BF16) and candidates
 * against it: its fine-tune (noise 0.3) with the experts renumbered at random, its experts rolled by one
 * index per layer under an independent model's attention, embeddings and routers (a graft), and an
 * independent model. Each check runs through the CLI (from source, or dist/cli.js with --dist) under
 * /usr/bin/time; prints per line: experts, case, exit code, verdict, share, wall seconds, peak RSS (MB).
 * Compare counts with each other (the machine's load moves the absolute numbers).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fineTune, graftExperts, moeModel, moeShape, parametersOf, randomOrder, renumberExperts, rolled } from "../test/helpers/moe-scale.js";
import { saveModel } from "../test/helpers/model-io.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const flag = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const counts = flag("experts", "8,32,64,128,256").split(",").map(Number);
const cases = flag("cases", "reordered,graft,independent").split(",");
const layers = Number(flag("layers", "4"));
const d = Number(flag("d", "256"));
const f = Number(flag("f", "64"));
const dir = flag("dir", path.join(os.tmpdir(), "fromscratch-moe-scale"));
const useDist = process.argv.includes("--dist");
const sample = flag("sample", "");

/** One CLI check under /usr/bin/time: exit code, wall seconds, peak RSS in MB, the JSON report. */
async function check(candidate: string, reference: string, report: string): Promise<{ code: number; seconds: number; rssMb: number; json: { verdict?: string; references?: { components?: { share?: number }[] }[] } }> {
  const cli = useDist ? [path.join(ROOT, "dist/cli.js")] : ["--import", "tsx", path.join(ROOT, "src/cli-main.ts")];
  const started = Date.now();
  const child = spawn("/usr/bin/time", ["-f", "maxrss_kb=%M", process.execPath, ...cli, "check", "--candidate", candidate, "--reference", reference, "--report", report, "--quiet", ...(sample ? ["--sample", sample] : [])], { stdio: ["ignore", "ignore", "pipe"], cwd: ROOT });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? -1)));
  const seconds = (Date.now() - started) / 1000;
  const rssMb = Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) / 1024;
  const json = existsSync(report) ? JSON.parse(await readFile(report, "utf8")) : {};
  return { code, seconds, rssMb, json };
}

for (const experts of counts) {
  const shape = moeShape({ experts, layers, d, f });
  const base = path.join(dir, `e${experts}-d${d}-f${f}-l${layers}`);
  const ref = path.join(base, "reference");
  const make: Record<string, () => ReturnType<typeof moeModel>> = {
    reordered: () => renumberExperts(fineTune(moeModel(shape, 1), 0.3, 5), randomOrder(3)),
    graft: () => graftExperts(renumberExperts(fineTune(moeModel(shape, 1), 0.3, 6), rolled), moeModel(shape, 2)),
    independent: () => moeModel(shape, 2),
  };
  if (!existsSync(ref)) {
    const m = moeModel(shape, 1);
    console.log(`experts ${experts}: ${(parametersOf(m, /./) / 1e6).toFixed(1)} M parameters, experts ${(parametersOf(m, /experts/) / parametersOf(m, /./)).toFixed(3)} of them`);
    await saveModel(ref, m, { dtype: "BF16" });
  }
  for (const name of cases) {
    const cand = path.join(base, name);
    if (!existsSync(cand)) await saveModel(cand, make[name]!(), { dtype: "BF16" });
    const r = await check(cand, ref, path.join(base, `${name}.json`));
    const share = r.json.references?.[0]?.components?.[0]?.share;
    console.log(`experts ${experts} ${name}: exit ${r.code} ${r.json.verdict ?? "none"} share ${share?.toFixed(3) ?? "-"} ${r.seconds.toFixed(1)} s ${r.rssMb.toFixed(0)} MB`);
  }
}
