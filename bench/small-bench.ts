import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { ROOT, cliCheck, out, pyEnv, readWhole } from "./common.js";
import { generateWide } from "./wide-models.js";

/**
 * The small end of the cost target: an independent pair of 10.4 M parameters (bench/wide-models.ts at
 * d 512, MLP 1376, 8 heads, 2 layers, vocab 4000), the CLI's whole process against numpy's on the same
 * files, SMALL_RUNS alternating runs each (this machine's timing noise is ±30% at half a second):
 * medians, their ratio, and the range of the run-by-run ratios.
 */
const SMALL_RUNS = 7;
export async function smallEndBench(): Promise<void> {
  const dir = path.join(os.tmpdir(), "fromscratch-bench-small-d512-2l");
  const file = (n: string) => path.join(dir, n, "model.safetensors");
  if (!["base", "independent"].every((n) => existsSync(file(n)))) {
    await generateWide(dir, { d: 512, ff: 1376, heads: 8, kvHeads: 8, headDim: 64, layers: 2, vocab: 4000, only: ["base", "independent"] });
  }
  for (const n of ["base", "independent"]) await readWhole(file(n));
  const ours: number[] = [];
  const numpy: number[] = [];
  let last: Awaited<ReturnType<typeof cliCheck>> | null = null;
  for (let i = 0; i < SMALL_RUNS; i++) {
    last = await cliCheck(["--candidate", path.join(dir, "independent"), "--reference", path.join(dir, "base")]);
    ours.push(last.wall);
    const started = Date.now();
    spawnSync("python3", [path.join(ROOT, "bench/numpy_compare.py"), file("independent"), file("base")], { encoding: "utf8", env: pyEnv });
    numpy.push((Date.now() - started) / 1000);
  }
  const median = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]!;
  const ratios = ours.map((o, i) => o / numpy[i]!);
  out("small_parameters", last?.report.candidate?.parameters ?? 0);
  out("small_independent_verdict", last?.report.verdict ?? "none");
  out("small_independent_wall_seconds_median", median(ours).toFixed(2));
  out("small_independent_numpy_wall_seconds_median", median(numpy).toFixed(2));
  out("small_independent_vs_numpy", (median(ours) / median(numpy)).toFixed(2));
  out("small_independent_vs_numpy_range", `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`);
  out("small_independent_peak_rss_mb", last?.rss ?? "NaN");
}
