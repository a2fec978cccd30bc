/**
 * The alignment search at real width (bench/wide-models.ts; see bench/run.ts's header for what it prints):
 * `--wide-layers` (default 3; 0 skips it), `--wide-kv-heads` (32), `--wide-d` / `--wide-ff` (4096 / 11008).
 */
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { makePlan } from "../src/fanout/plan.js";
import { parseSettings } from "../src/settings/settings.js";
import { createSource } from "../src/sources/parse-source.js";
import { silentLogger } from "../src/sources/types.js";
import { startHubServer } from "../test/hub/server.js";
import { type CheckJson, ROOT, arg, cliCheck, out, pyEnv, readWhole } from "./common.js";
import { generateWide } from "./wide-models.js";

const wideLayers = arg("wide-layers", 3);
const wideKvHeads = arg("wide-kv-heads", 32);
const wideD = arg("wide-d", 4096);
const wideFf = arg("wide-ff", 11008);

/** The alignment search at real width (see the top of this file). */
export async function wideBench(): Promise<void> {
  if (wideLayers <= 0) return;
  const dir = path.join(os.tmpdir(), `fromscratch-bench-wide-${wideD === 4096 ? "" : `${wideD}d-`}${wideLayers}l-${wideKvHeads}kv`);
  // Layer edits (a layer dropped, one duplicated, two swapped) where there are layers enough.
  const edits = wideLayers >= 4 ? (["dropped", "duplicated", "reordered"] as const) : [];
  // A QuaRot-style rotated fine-tune (randomised Hadamard, norms folded) where the width is a power of two.
  const rotated = (wideD & (wideD - 1)) === 0 ? (["rotated", "orthogonal"] as const) : [];
  const names = ["base", "permuted", "independent", ...rotated, ...edits] as const;
  const file = (n: string) => path.join(dir, n, "model.safetensors");
  const t0 = Date.now();
  if (!names.every((n) => existsSync(file(n)))) await generateWide(dir, { d: wideD, ff: wideFf, layers: wideLayers, kvHeads: wideKvHeads, only: [...names] });
  out("wide_d", wideD);
  out("wide_layers", wideLayers);
  out("wide_kv_heads", wideKvHeads);
  out("wide_checkpoint_bytes", (await stat(file("base"))).size);
  out("wide_generate_seconds", ((Date.now() - t0) / 1000).toFixed(1));
  for (const n of names) await readWhole(file(n));
  const found = (r: CheckJson) => (r.references?.[0]?.components ?? []).flatMap((c) => c.tensors ?? []).filter((t) => t.aligned && t.aligned.log10p <= -6).length;
  for (const cand of ["permuted", "independent", ...rotated] as const) {
    const r = await cliCheck(["--candidate", path.join(dir, cand), "--reference", path.join(dir, "base")]);
    const comp = r.report.references?.[0]?.components?.[0];
    out(`wide_${cand}_exit_code`, r.code);
    out(`wide_${cand}_verdict`, r.report.verdict ?? "none");
    out(`wide_${cand}_search_found`, found(r.report));
    out(`wide_${cand}_share`, (comp?.share ?? 0).toFixed(3));
    out(`wide_${cand}_wall_seconds`, r.wall.toFixed(2));
    out(`wide_${cand}_peak_rss_mb`, r.rss);
  }
  for (const edit of edits) {
    const r = await cliCheck(["--candidate", path.join(dir, edit), "--reference", path.join(dir, "base"), "--sample", "0.05"]);
    const shifted = (r.report.references?.[0]?.components ?? []).flatMap((c) => c.tensors ?? []).filter((t) => /layer-shift/.test((t as { transform?: string }).transform ?? "") && t.aligned && t.aligned.log10p <= -6).length;
    out(`wide_${edit}_verdict`, r.report.verdict ?? "none");
    out(`wide_${edit}_layer_shifts_found`, shifted);
    out(`wide_${edit}_wall_seconds`, r.wall.toFixed(2));
  }
  const pyStarted = Date.now();
  spawnSync("python3", [path.join(ROOT, "bench/numpy_compare.py"), file("independent"), file("base")], { encoding: "utf8", env: pyEnv });
  const pyWall = (Date.now() - pyStarted) / 1000;
  const indep = await cliCheck(["--candidate", path.join(dir, "independent"), "--reference", path.join(dir, "base")]);
  out("wide_independent_numpy_wall_seconds", pyWall.toFixed(2));
  out("wide_independent_vs_numpy", (indep.wall / pyWall).toFixed(2));
  // The reference on the Hub (from disk), sampled: the reference bytes served against the plan's.
  const server = await startHubServer({ repos: { "bench/wide-base": { files: { "model.safetensors": { path: file("base"), size: (await stat(file("base"))).size } } } } });
  try {
    const settings = parseSettings({ mode: "plan", candidate: path.join(dir, "independent"), references: ["bench/wide-base"], endpoint: server.url, shards: "1", sample: "0.05" });
    const plan = await makePlan(settings, 1, { openSource: (s) => createSource(s, { endpoint: server.url, token: null }), logger: silentLogger });
    const planned = plan.shards[0]!.references[0]!;
    const announced = planned.referenceBytes + (planned.search?.referenceBytes ?? 0);
    out("wide_plan_reference_bytes", planned.referenceBytes);
    out("wide_plan_search_reference_bytes", planned.search?.referenceBytes ?? 0);
    for (const cand of ["independent", "permuted"] as const) {
      const before = server.requests.length;
      const r = await cliCheck(["--candidate", path.join(dir, cand), "--reference", "bench/wide-base", "--endpoint", server.url, "--sample", "0.05"]);
      const served = server.requests.slice(before).reduce((s2, q) => s2 + q.bytes, 0);
      const searched = r.report.references?.[0]?.components?.[0]?.search?.ran ?? false;
      out(`wide_hub_${cand}_verdict`, r.report.verdict ?? "none");
      out(`wide_hub_${cand}_search_ran`, String(searched));
      out(`wide_hub_${cand}_reference_bytes_served`, served);
      out(`wide_hub_${cand}_reference_bytes_vs_plan`, (served / (searched ? announced : planned.referenceBytes)).toFixed(3));
      out(`wide_hub_${cand}_wall_seconds`, r.wall.toFixed(2));
      out(`wide_hub_${cand}_peak_rss_mb`, r.rss);
    }
    // Exact mode, independent candidate (the search runs): the reference bytes served against the file.
    {
      const before = server.requests.length;
      const r = await cliCheck(["--candidate", path.join(dir, "independent"), "--reference", "bench/wide-base", "--endpoint", server.url, "--sample", "exact"]);
      const served = server.requests.slice(before).reduce((s2, q) => s2 + q.bytes, 0);
      out("wide_hub_exact_independent_verdict", r.report.verdict ?? "none");
      out("wide_hub_exact_independent_reference_bytes_served", served);
      out("wide_hub_exact_independent_reference_bytes_vs_file", (served / (await stat(file("base"))).size).toFixed(3));
      out("wide_hub_exact_independent_wall_seconds", r.wall.toFixed(2));
      out("wide_hub_exact_independent_peak_rss_mb", r.rss);
    }
  } finally {
    await server.close();
  }
}
