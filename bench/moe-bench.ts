/**
 * The bench's MoE line (npm run bench; `-- --moe-only` runs just this): a base model of GLM-4.5-Air's
 * layout and a drifted copy whose experts are renumbered in every layer (expert e is the base's
 * e + layer + 1, router rows moved with them: only the expert matching on sketches finds them), both
 * served by the Hub-like server from disk behind the emulated link. Prints `plan`'s bytes and time (in
 * process, the same link), then the check's verdict, share, the bytes the server served against the plan,
 * wall time, peak RSS, the transfer floor, and the same check on the local files (the compute alone).
 *
 * --moe-width eighth (default): GLM-4.5-Air / 8 in width (d 512, expert MLP 176, heads and vocabulary
 *   scaled alike), 4 layers (1 dense, 3 MoE).
 * --moe-width full: GLM-4.5-Air's own width (d 4096, 96 heads of 128, 8 KV heads, dense MLP 10944,
 *   128 routed experts of 1408 + 1 shared, vocabulary 151552), 3 layers (1 dense, 2 MoE): 6.2 B
 *   parameters, 12.3 GB a checkpoint in BF16 (the pair is kept under the OS temp dir between runs).
 * --moe-layers N, --moe-experts N, --moe-vocab N override the shape; --moe-sample F runs plan and both
 * checks in sampled mode at F.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { makePlan } from "../src/fanout/plan.js";
import { parseSettings } from "../src/settings/settings.js";
import { createSource } from "../src/sources/parse-source.js";
import { silentLogger } from "../src/sources/types.js";
import { GLM_45_AIR, type MoeShape, moeSpecs } from "../test/helpers/large-shapes.js";
import { startHubServer } from "../test/hub/server.js";
import { cliCheck, out } from "./common.js";
import { rolledExperts, writeMoePair } from "./moe-checkpoint.js";

export interface MoeBenchOptions {
  /** Where the checkpoints are kept between runs. */
  dir: string;
  width: "eighth" | "full";
  layers?: number;
  experts?: number;
  vocab?: number;
  /** Sampled mode at this fraction (plan and both checks), else exact. */
  sample: string | null;
  linkMbs: number;
  latencyMs: number;
}

/** GLM-4.5-Air's layout at the width asked for, with the overrides. */
export function moeBenchShape(o: MoeBenchOptions): MoeShape {
  const eighth: MoeShape = { layers: 4, denseLayers: 1, hidden: 512, heads: 12, kvHeads: 1, headDim: 128, intermediate: 1368, experts: 128, sharedExperts: 1, expertIntermediate: 176, vocab: 18944 };
  const shape = o.width === "full" ? { ...GLM_45_AIR, layers: 3 } : eighth;
  return { ...shape, layers: o.layers ?? shape.layers, experts: o.experts ?? shape.experts, vocab: o.vocab ?? shape.vocab };
}

/** The MoE line (see the top of this file). */
export async function moeBench(o: MoeBenchOptions): Promise<void> {
  if (o.linkMbs <= 0) return;
  const shape = moeBenchShape(o);
  const list = moeSpecs(shape);
  const t0 = Date.now();
  const tag = `${o.width === "full" ? "full-" : ""}${shape.experts}e-${shape.layers}l-${shape.vocab}v`;
  const [base, derived] = await writeMoePair(path.join(o.dir, `moe-${tag}-rolled`), list, rolledExperts(shape.experts));
  const size = (await stat(base)).size;
  out("moe_shape", `d ${shape.hidden}, ${shape.layers} layers (${shape.denseLayers} dense), ${shape.experts} routed + ${shape.sharedExperts} shared experts of ${shape.expertIntermediate}, vocabulary ${shape.vocab}`);
  out("moe_parameters", list.reduce((s, t) => s + t.shape.reduce((x, y) => x * y, 1), 0));
  out("moe_checkpoint_bytes", size);
  out("moe_generate_seconds", ((Date.now() - t0) / 1000).toFixed(1));
  const sample = o.sample ? ["--sample", o.sample] : [];
  const server = await startHubServer({
    repos: { "bench/moe-base": { files: { "model.safetensors": { path: base, size } } }, "bench/moe-derived": { files: { "model.safetensors": { path: derived, size } } } },
    cdnLink: { bytesPerSecond: o.linkMbs * 1e6, latencyMs: o.latencyMs },
  });
  try {
    const settings = parseSettings({ mode: "plan", candidate: "bench/moe-derived", references: ["bench/moe-base"], endpoint: server.url, shards: "1", linkMbs: String(o.linkMbs), linkLatencyMs: String(o.latencyMs), ...(o.sample ? { sample: o.sample } : {}) });
    const plan = await makePlan(settings, 1, { openSource: (s) => createSource(s, { endpoint: server.url, token: null }), logger: silentLogger });
    out("moe_plan_bytes", plan.total.remoteBytes);
    out("moe_plan_requests", plan.total.requests);
    out("moe_plan_seconds", plan.total.seconds.toFixed(2));
    out("moe_plan_fraction", plan.shards[0]!.references[0]!.fraction);
    const before = server.requests.length;
    const r = await cliCheck(["--candidate", "bench/moe-derived", "--reference", "bench/moe-base", "--endpoint", server.url, ...sample]);
    // The same check on the local files, same mode: the compute alone (no network). After the Hub's
    // run, which leaves the ranges both read in the page cache: at full width the pair (24.7 GB) is
    // larger than this machine's memory, and a check from a cold disk waits on it.
    const local = await cliCheck(["--candidate", path.dirname(derived), "--reference", path.dirname(base), ...sample]);
    const served = server.requests.slice(before).reduce((s2, q) => s2 + q.bytes, 0);
    const floor = served / (o.linkMbs * 1e6);
    out("moe_exit_code", r.code);
    out("moe_verdict", r.report.verdict ?? "none");
    out("moe_share", r.report.references?.[0]?.components?.[0]?.share?.toFixed(3) ?? "none");
    out("moe_bytes_served", served);
    out("moe_requests", server.requests.length - before);
    out("moe_bytes_vs_plan", (served / plan.total.remoteBytes).toFixed(3));
    out("moe_wall_seconds", r.wall.toFixed(2));
    out("moe_peak_rss_mb", r.rss);
    out("moe_transfer_floor_seconds", floor.toFixed(2));
    out("moe_vs_floor", (r.wall / floor).toFixed(3));
    out("moe_wall_vs_plan", (r.wall / plan.total.seconds).toFixed(3));
    out("moe_local_verdict", local.report.verdict ?? "none");
    out("moe_local_wall_seconds", local.wall.toFixed(2));
    out("moe_local_peak_rss_mb", local.rss);
    out("moe_wall_vs_max_floor", (r.wall / Math.max(floor, local.wall)).toFixed(3));
  } finally {
    await server.close();
  }
}
