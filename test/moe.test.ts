/**
 * Mixtures of experts: experts matched many-to-one against a dense MLP
 * (sparse upcycling, every expert counted in the share), one-to-one in any
 * order against another MoE (the order chosen by the data, the choice paid
 * for), and two independent MoEs left independent.
 */
import { renderTransforms } from "../src/align/transform.js";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { alignModels } from "../src/align/align.js";
import { fusedExpertParts } from "../src/align/experts.js";
import type { TensorEntry } from "../src/sources/types.js";
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

describe("mixtures of experts in every fused storage, on either side", () => {
  const elementsOf = (m: FloatTensors, re: RegExp) => [...m].filter(([n]) => re.test(n)).reduce((s, [, t]) => s + t.data.length, 0);

  it("a GPT-OSS-style upcycle ([E, D, 2F] interleaved gate_up, [E, F, D] down) of a dense model: reused, every expert counted", async () => {
    const a = (await loadModel(await tiny("llm-a"))).tensors;
    const b = (await loadModel(await tiny("llm-b"))).tensors;
    const fused = fuseExperts(expertsOnly(upcycleMoe(a, { experts: 4, noise: 0.25, seed: 31 }), b), 4, "cols-interleaved");
    const report = await check(fused, a);
    expect(report.verdict).toBe("reused");
    const comp = report.references[0]!.components[0]!;
    const experts = comp.tensors.filter((t) => /experts\.(gate_up|down)_proj$/.test(t.candidate));
    const layers = new Set([...a.keys()].filter((n) => /mlp\.up_proj/.test(n))).size;
    expect(experts.length).toBe(4 * 3 * layers);
    expect(experts.every((t) => t.standsOut && t.effect! > 0.9)).toBe(true);
    // The orientation decided by the hidden width; [gate; up] against interleaved chosen by the data.
    for (const t of experts) expect(t.transform).toBe(/down/.test(t.candidate) ? "split-experts+expert-of-dense+experts-transposed" : "split-experts+expert-of-dense+experts-transposed+gate-up-interleaved");
    // Every expert in the share: the fused tensors' parameters are all matched.
    expect(comp.matchedParameters).toBeGreaterThanOrEqual(elementsOf(fused, /experts\.(gate_up|down)_proj$/));
    expect(comp.share).toBeGreaterThan(0.5);
  });

  it("a Llama-4-style [E, D, 2F] concatenated gate_up: the halves, not the interleaving, and the look paid for", async () => {
    const a = (await loadModel(await tiny("llm-a"))).tensors;
    const b = (await loadModel(await tiny("llm-b"))).tensors;
    const moe = expertsOnly(upcycleMoe(a, { experts: 2, noise: 0.25, seed: 33 }), b);
    const report = await check(fuseExperts(moe, 2, "cols"), a);
    expect(report.verdict).toBe("reused");
    const gateUp = (r: typeof report) => r.references[0]!.components[0]!.tensors.filter((t) => /experts\.gate_up_proj$/.test(t.candidate));
    expect(gateUp(report).length).toBeGreaterThan(0);
    expect(gateUp(report).every((t) => t.transform === "split-experts+expert-of-dense+experts-transposed" && t.standsOut)).toBe(true);
    // The same experts stored [E, 2F, D] leave nothing open (one look): [E, D, 2F] paid 2x for its two.
    const rows = gateUp(await check(fuseExperts(moe, 2, "rows"), a));
    expect(rows.length).toBe(gateUp(report).length);
    rows.forEach((t, i) => expect(gateUp(report)[i]!.permutation!.log10p - t.permutation!.log10p).toBeCloseTo(Math.log10(2), 6));
  });

  it("a per-expert candidate against a fused reference, and fused against fused in another order: reused", async () => {
    const a = (await loadModel(await tiny("llm-a"))).tensors;
    const b = (await loadModel(await tiny("llm-b"))).tensors;
    const moeA = upcycleMoe(a, { experts: 4, noise: 0.5, seed: 41 });
    const renumbered = shuffleExperts(expertsOnly(moeA, b), 4, 9);
    const perExpert = await check(renumbered, fuseExperts(moeA, 4, "cols-interleaved"));
    expect(perExpert.verdict).toBe("reused");
    const matched = perExpert.references[0]!.components[0]!.tensors.filter((t) => /^expert-matched\+split-reference-experts/.test(t.transform));
    expect(matched.length).toBeGreaterThanOrEqual(4 * 3);
    for (const t of matched) expect(t.effect!).toBeGreaterThan(0.5);
    const both = await check(fuseExperts(renumbered, 4, "rows"), fuseExperts(moeA, 4, "cols"));
    expect(both.verdict).toBe("reused");
    const fusedPairs = both.references[0]!.components[0]!.tensors.filter((t) => /^split-experts\+expert-matched\+split-reference-experts/.test(t.transform));
    expect(fusedPairs.length).toBeGreaterThanOrEqual(4 * 3);
    for (const t of fusedPairs) expect(t.effect!).toBeGreaterThan(0.5);
  });

  it("two independent MoEs in fused storage: not reused", async () => {
    const a = (await loadModel(await tiny("llm-a"))).tensors;
    const b = (await loadModel(await tiny("llm-b"))).tensors;
    const moeA = fuseExperts(upcycleMoe(a, { experts: 4, noise: 0.5, seed: 51 }), 4, "cols-interleaved");
    const moeB = fuseExperts(upcycleMoe(b, { experts: 4, noise: 0.5, seed: 52 }), 4, "cols-interleaved");
    const report = await check(moeB, moeA);
    expect(report.verdict).not.toBe("reused");
    const experts = report.references[0]!.components[0]!.tensors.filter((t) => /split-experts/.test(t.transform));
    expect(experts.length).toBeGreaterThan(0);
    expect(experts.every((t) => !t.standsOut)).toBe(true);
  });
});

describe("experts: which storage, decided by names and shapes", () => {
  const entry = (name: string, shape: number[]): TensorEntry => ({ name, shape, dtype: "F32", file: "x", begin: 0, end: 4 * shape.reduce((x, y) => x * y, 1) });
  const views = (shape: number[], role: string, hidden: number[]) => fusedExpertParts(entry("t", shape), role, new Set(hidden))!.filter((p) => p.expert === 0).map((p) => [p.base, p.views.map((v) => v.label.join("+"))]);

  it("the hidden width decides the orientation; [E, D, 2F] keeps [gate; up] and interleaved open; 2F = D keeps both orientations", () => {
    expect(views([4, 704, 128], "mlp.experts.gate_up.weight", [128])).toEqual([["mlp.gate.weight", [""]], ["mlp.up.weight", [""]]]);
    const t = ["experts-transposed", "experts-transposed+gate-up-interleaved"];
    expect(views([4, 128, 704], "mlp.experts.gate_up.weight", [128])).toEqual([["mlp.gate.weight", t], ["mlp.up.weight", t]]);
    expect(views([4, 128, 352], "mlp.experts.down.weight", [128])).toEqual([["mlp.down.weight", [""]]]);
    expect(views([4, 352, 128], "mlp.experts.down.weight", [128])).toEqual([["mlp.down.weight", ["experts-transposed"]]]);
    expect(views([4, 128, 128], "mlp.experts.gate_up.weight", [128])[0]![1]).toEqual(["", ...t]);
    // Each expert is its own byte range (a slab), the same name.
    const parts = fusedExpertParts(entry("t", [4, 128, 704]), "mlp.experts.gate_up.weight", new Set([128]))!;
    expect(new Set(parts.map((p) => p.views[0]!.view.entry.begin)).size).toBe(4);
  });

  it("a shared expert is a dense MLP: it meets the reference's shared expert, else its dense MLP, never its routed experts first", () => {
    const d = 128;
    const f = 352;
    const moe = (shared: string) => [
      entry(`model.layers.0.mlp.${shared}.gate_proj.weight`, [f, d]),
      entry("model.layers.0.mlp.gate.weight", [4, d]),
      ...[0, 1, 2, 3].map((e) => entry(`model.layers.0.mlp.experts.${e}.gate_proj.weight`, [f, d])),
      entry("model.layers.0.input_layernorm.weight", [d]),
    ];
    const pairsOf = (c: TensorEntry[], r: TensorEntry[]) => alignModels(c, r).components[0]!.pairs.filter((p) => /shared|^model\.layers\.0\.mlp\.gate_proj/.test(p.candidate.entry.name));
    const sharedPairs = pairsOf(moe("shared_expert"), moe("shared_experts"));
    expect(sharedPairs.map((p) => [p.reference.entry.name, renderTransforms(p.transform)])).toEqual([["model.layers.0.mlp.shared_experts.gate_proj.weight", "shared-expert"]]);
    const dense = [entry("model.layers.0.mlp.gate_proj.weight", [f, d]), entry("model.layers.0.input_layernorm.weight", [d])];
    expect(pairsOf(moe("shared_expert"), dense).map((p) => renderTransforms(p.transform))).toEqual(["shared-expert-of-dense"]);
    // The dense MLP of a model against an MoE reference's shared expert.
    expect(pairsOf(dense, moe("shared_expert")).map((p) => renderTransforms(p.transform))).toEqual(["dense-of-shared-expert"]);
  });
});
