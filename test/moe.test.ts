/**
 * Mixtures of experts: experts matched many-to-one against a dense MLP
 * (sparse upcycling, every expert counted in the share), one-to-one in any
 * order against another MoE (the order chosen by the data, the choice paid
 * for), and two independent MoEs left independent.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { upcycleMoe } from "./helpers/audit-cases.js";
import { permutation, uniform } from "./helpers/evasions.js";
import { tiny } from "./helpers/fixtures.js";
import { type FloatTensors, loadModel, saveModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

async function check(candidate: FloatTensors, reference: FloatTensors) {
  const dir = await tempDir("moe");
  await saveModel(path.join(dir, "cand"), candidate);
  await saveModel(path.join(dir, "ref"), reference);
  const out = path.join(dir, "report.json");
  await runCli(["check", "--candidate", path.join(dir, "cand"), "--reference", path.join(dir, "ref"), "--report", out, "--quiet"]);
  return readReport(out);
}

/** Keep only the MLP experts of `moe`; every other tensor from `rest` (attention, norms, embeddings retrained). */
function expertsOnly(moe: FloatTensors, rest: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map(rest);
  for (const name of [...out.keys()]) if (/\.mlp\./.test(name)) out.delete(name);
  for (const [n, t] of moe) if (/\.mlp\./.test(n)) out.set(n, t);
  return out;
}

/** The experts of every layer renumbered by one random permutation per layer. */
function shuffleExperts(moe: FloatTensors, experts: number, seed: number): FloatTensors {
  const out: FloatTensors = new Map();
  const perms = new Map<string, number[]>();
  for (const [n, t] of moe) {
    const m = /^(.*\.layers\.\d+\.mlp\.experts\.)(\d+)(\..*)$/.exec(n);
    if (!m) {
      out.set(n, t);
      continue;
    }
    let p = perms.get(m[1]!);
    if (!p) perms.set(m[1]!, (p = permutation(experts, uniform(seed + perms.size))));
    out.set(`${m[1]}${p[Number(m[2])]}${m[3]}`, t);
  }
  return out;
}

/**
 * Experts fused in one tensor per projection, as recent Hugging Face MoE checkpoints store them:
 * - "rows": experts.gate_up_proj [E, 2F, D] ([gate; up] rows), experts.down_proj [E, D, F] (Qwen-MoE, Mixtral);
 * - "cols": [E, D, 2F] ([gate, up] columns), [E, F, D] (Llama 4);
 * - "cols-interleaved": [E, D, 2F] with gate = [..., ::2], up = [..., 1::2], [E, F, D] (GPT-OSS).
 */
function fuseExperts(moe: FloatTensors, experts: number, layout: "rows" | "cols" | "cols-interleaved" = "rows"): FloatTensors {
  const out: FloatTensors = new Map();
  const layers = new Set<string>();
  for (const [n, t] of moe) {
    const m = /^(.*\.mlp\.)experts\.\d+\./.exec(n);
    if (m) layers.add(m[1]!);
    else out.set(n, t);
  }
  for (const base of layers) {
    const get = (e: number, p: string) => moe.get(`${base}experts.${e}.${p}_proj.weight`)!;
    const [f, d] = get(0, "gate").shape as [number, number];
    const gateUp = new Float32Array(experts * 2 * f * d);
    const down = new Float32Array(experts * d * f);
    for (let e = 0; e < experts; e++) {
      const [gate, up, dn] = [get(e, "gate").data, get(e, "up").data, get(e, "down").data];
      const g0 = e * 2 * f * d;
      if (layout === "rows") {
        gateUp.set(gate, g0);
        gateUp.set(up, g0 + f * d);
        down.set(dn, e * d * f);
        continue;
      }
      // Slab [D, 2F]: column j of gate (its input i) at row i.
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < f; j++) {
          const [gc, uc] = layout === "cols" ? [j, f + j] : [2 * j, 2 * j + 1];
          gateUp[g0 + i * 2 * f + gc] = gate[j * d + i]!;
          gateUp[g0 + i * 2 * f + uc] = up[j * d + i]!;
          // down [D, F] stored [F, D].
          down[e * d * f + j * d + i] = dn[i * f + j]!;
        }
      }
    }
    const cols = layout !== "rows";
    out.set(`${base}experts.gate_up_proj`, { shape: cols ? [experts, d, 2 * f] : [experts, 2 * f, d], data: gateUp });
    out.set(`${base}experts.down_proj`, { shape: cols ? [experts, f, d] : [experts, d, f], data: down });
  }
  return out;
}

describe("mixtures of experts", () => {
  it("an 8-expert upcycle of a dense model (attention and embeddings retrained) is reused, every expert counted", async () => {
    const a = (await loadModel(await tiny("llm-a"))).tensors;
    const b = (await loadModel(await tiny("llm-b"))).tensors;
    const cand = expertsOnly(upcycleMoe(a, { experts: 8, noise: 0.25, seed: 7 }), b);
    const report = await check(cand, a);
    expect(report.verdict).toBe("reused");
    const comp = report.references[0]!.components[0]!;
    const experts = comp.tensors.filter((t) => /experts\.\d+\./.test(t.candidate));
    expect(experts.length).toBeGreaterThanOrEqual(8 * 3);
    expect(experts.every((t) => t.transform === "expert-of-dense" && t.standsOut)).toBe(true);
    // The experts are ~the MLPs x 8 of the candidate's parameters: the share says so.
    const expertParams = experts.reduce((s, t) => s + t.elements, 0);
    expect(comp.matchedParameters).toBeGreaterThanOrEqual(expertParams);
    expect(comp.share).toBeGreaterThan(0.5);
    // The routers (mlp.gate.weight [8, d]) are not taken for the dense gate projection.
    expect(comp.tensors.filter((t) => /\.mlp\.gate\.weight$/.test(t.candidate))).toEqual([]);
  });

  it("two MoEs with the experts renumbered: matched in any order, reused; two independent MoEs: not reused", async () => {
    const a = (await loadModel(await tiny("llm-a"))).tensors;
    const b = (await loadModel(await tiny("llm-b"))).tensors;
    const moeA = upcycleMoe(a, { experts: 4, noise: 0.5, seed: 11 });
    const moeB = upcycleMoe(b, { experts: 4, noise: 0.5, seed: 12 });
    const derived = await check(shuffleExperts(expertsOnly(moeA, b), 4, 5), moeA);
    expect(derived.verdict).toBe("reused");
    const matched = derived.references[0]!.components[0]!.tensors.filter((t) => t.transform === "expert-matched");
    expect(matched.length).toBeGreaterThanOrEqual(4 * 3);
    // Every expert paired with a reference expert it is close to (the upcycled experts resemble each other too).
    for (const t of matched) expect(t.effect!).toBeGreaterThan(0.5);
    const independent = await check(moeB, moeA);
    expect(independent.verdict).not.toBe("reused");
  });

  it("fused expert tensors ([E, 2F, D], [E, D, F]) meet per-expert ones and a dense MLP", async () => {
    const a = (await loadModel(await tiny("llm-a"))).tensors;
    const b = (await loadModel(await tiny("llm-b"))).tensors;
    const moe = upcycleMoe(a, { experts: 4, noise: 0.25, seed: 21 });
    const fused = fuseExperts(expertsOnly(moe, b), 4);
    const perExpert = await check(fused, moe);
    expect(perExpert.verdict).toBe("reused");
    // Cut per expert and matched in any order (the order the data supports, the choice paid for).
    const split = perExpert.references[0]!.components[0]!.tensors.filter((t) => t.transform === "split-experts+expert-matched");
    expect(split.length).toBe(4 * 3 * (a.size > 0 ? new Set([...a.keys()].filter((n) => /mlp\.up_proj/.test(n))).size : 0));
    expect(split.every((t) => t.standsOut && t.effect! > 0.9)).toBe(true);
    const dense = await check(fused, a);
    expect(dense.verdict).toBe("reused");
    expect(dense.references[0]!.components[0]!.tensors.filter((t) => /expert-of-dense/.test(t.transform)).length).toBe(split.length);
  });
});
