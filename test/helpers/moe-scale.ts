/**
 * Mixture-of-experts models at real expert counts (8-256 per layer), small in width, for the expert
 * matching (src/engine/expert-match.ts): GLM-4.5-Air's naming (test/helpers/large-shapes.ts moeSpecs), a
 * router and routed experts in every layer, an optional shared expert; and the edits a copier makes:
 * experts renumbered (router rows with them), rolled by one index per layer, hidden units permuted inside
 * each expert, experts grafted under another model's attention, embeddings and routers, fused storage.
 */
import { gaussian } from "../../src/examples/generate.js";
import { trainedLooking, noiseWhere } from "./audit-cases.js";
import { permutation, tensorSeed, uniform } from "./evasions.js";
import { type MoeShape, moeSpecs } from "./large-shapes.js";
import type { FloatTensors } from "./model-io.js";

type Tensor = { shape: number[]; data: Float32Array };

/** A small MoE of GLM-4.5-Air's layout: `experts` routed experts of width `f` per layer, d `d`. */
export function moeShape(opts: { experts: number; layers?: number; d?: number; f?: number; shared?: boolean }): MoeShape {
  const d = opts.d ?? 256;
  return { layers: opts.layers ?? 4, denseLayers: 0, hidden: d, heads: d / 64, kvHeads: 1, headDim: 64, intermediate: 4 * d, experts: opts.experts, sharedExperts: opts.shared ? 1 : 0, expertIntermediate: opts.f ?? 64, vocab: 512 };
}

/** Draw every tensor of `shape` (matrices trained-looking, norms near 1, biases small), seeded per name. */
export function moeModel(shape: MoeShape, seed: number): FloatTensors {
  const out: FloatTensors = new Map();
  for (const s of moeSpecs(shape)) {
    const g = gaussian(tensorSeed(seed, s.name));
    if (s.shape.length >= 2) {
      out.set(s.name, trainedLooking(s.shape, g));
      continue;
    }
    const data = new Float32Array(s.shape[0]!);
    const norm = /norm\.weight$/.test(s.name);
    for (let i = 0; i < data.length; i++) data[i] = norm ? 1 + 0.05 * g() : 0.02 * g();
    out.set(s.name, { shape: [...s.shape], data });
  }
  return out;
}

const EXPERT = /^(.*\.layers\.(\d+)\.mlp\.)experts\.(\d+)\.(.*)$/;
const ROUTER = /^(.*\.layers\.(\d+)\.mlp\.)gate\.(weight|e_score_correction_bias)$/;

/**
 * Renumber the experts of every layer: the candidate's expert e is the model's expert `perm(layer)[e]`,
 * and the router's row e moves with it (the function is unchanged).
 */
export function renumberExperts(m: FloatTensors, perm: (layer: number, experts: number) => number[]): FloatTensors {
  const experts = new Map<string, number>();
  for (const n of m.keys()) {
    const x = EXPERT.exec(n);
    if (x) experts.set(x[1]!, Math.max(experts.get(x[1]!) ?? 0, Number(x[3]) + 1));
  }
  const perms = new Map<string, number[]>();
  const permOf = (prefix: string, layer: number) => {
    let p = perms.get(prefix);
    if (!p) perms.set(prefix, (p = perm(layer, experts.get(prefix)!)));
    return p;
  };
  const out: FloatTensors = new Map();
  for (const [n, t] of m) {
    const x = EXPERT.exec(n);
    const r = ROUTER.exec(n);
    if (x) {
      // Candidate expert e holds the model's expert p[e]: the model's expert j goes to e = p⁻¹[j].
      const p = permOf(x[1]!, Number(x[2]));
      out.set(`${x[1]}experts.${p.indexOf(Number(x[3]))}.${x[4]}`, t);
    } else if (r && experts.has(r[1]!)) {
      const p = permOf(r[1]!, Number(r[2]));
      out.set(n, permuteLeading(t, p));
    } else out.set(n, t);
  }
  // Keep the model's tensor order (expert names in order) so files look like real checkpoints.
  return new Map([...out].sort(([a], [b]) => order(m, a) - order(m, b)));
}

function order(m: FloatTensors, name: string): number {
  let i = 0;
  for (const n of m.keys()) {
    if (n === name) return i;
    i++;
  }
  return i;
}

/** Rows (first axis) of `t` taken in the order `p`: row e of the result is row p[e]. */
function permuteLeading(t: Tensor, p: readonly number[]): Tensor {
  const width = t.data.length / t.shape[0]!;
  const data = new Float32Array(t.data.length);
  p.forEach((src, e) => data.set(t.data.subarray(src * width, (src + 1) * width), e * width));
  return { shape: [...t.shape], data };
}

/** A random renumbering per layer. */
export const randomOrder = (seed: number) => (layer: number, experts: number) => permutation(experts, uniform(seed + 977 * layer));
/** Expert e holds the model's expert e + layer + 1 (mod E): no expert keeps its index. */
export const rolled = (layer: number, experts: number) => Array.from({ length: experts }, (_, e) => (e + layer + 1) % experts);

/** Hidden units permuted inside every routed expert (gate and up rows, down columns alike): the same function. */
export function permuteExpertUnits(m: FloatTensors, seed: number): FloatTensors {
  const out: FloatTensors = new Map(m);
  const done = new Set<string>();
  for (const n of m.keys()) {
    const x = EXPERT.exec(n);
    if (!x) continue;
    const base = `${x[1]}experts.${x[3]}.`;
    if (done.has(base)) continue;
    done.add(base);
    const gate = m.get(`${base}gate_proj.weight`)!;
    const p = permutation(gate.shape[0]!, uniform(tensorSeed(seed, base)));
    out.set(`${base}gate_proj.weight`, permuteLeading(gate, p));
    out.set(`${base}up_proj.weight`, permuteLeading(m.get(`${base}up_proj.weight`)!, p));
    const down = m.get(`${base}down_proj.weight`)!;
    const [d, f] = down.shape as [number, number];
    const data = new Float32Array(d * f);
    for (let i = 0; i < d; i++) for (let j = 0; j < f; j++) data[i * f + j] = down.data[i * f + p[j]!]!;
    out.set(`${base}down_proj.weight`, { shape: [d, f], data });
  }
  return out;
}

/** A fine-tune: every tensor plus `noise` x its sd of fresh noise (noise 0.3: Pearson ~0.96). */
export const fineTune = (m: FloatTensors, noise: number, seed: number): FloatTensors => noiseWhere(m, seed, noise);

/** The routed experts (and shared experts) of `donor`; attention, embeddings, norms and routers of `host`. */
export function graftExperts(donor: FloatTensors, host: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [n, t] of host) out.set(n, /\.mlp\.(experts|shared_experts)\./.test(n) ? donor.get(n)! : t);
  return out;
}

/** Experts fused per layer as `experts.gate_up_proj` [E, 2F, D] and `experts.down_proj` [E, D, F] (Qwen-MoE, Mixtral). */
export function fuseExpertRows(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  const layers = new Map<string, number>();
  for (const [n, t] of m) {
    const x = EXPERT.exec(n);
    if (x) layers.set(x[1]!, Math.max(layers.get(x[1]!) ?? 0, Number(x[3]) + 1));
    else out.set(n, t);
  }
  for (const [base, experts] of layers) {
    const get = (e: number, p: string) => m.get(`${base}experts.${e}.${p}_proj.weight`)!;
    const [f, d] = get(0, "gate").shape as [number, number];
    const gateUp = new Float32Array(experts * 2 * f * d);
    const down = new Float32Array(experts * d * f);
    for (let e = 0; e < experts; e++) {
      gateUp.set(get(e, "gate").data, e * 2 * f * d);
      gateUp.set(get(e, "up").data, e * 2 * f * d + f * d);
      down.set(get(e, "down").data, e * d * f);
    }
    out.set(`${base}experts.gate_up_proj`, { shape: [experts, 2 * f, d], data: gateUp });
    out.set(`${base}experts.down_proj`, { shape: [experts, d, f], data: down });
  }
  return out;
}

/** Parameters of the tensors whose names `re` matches. */
export const parametersOf = (m: FloatTensors, re: RegExp): number => [...m].filter(([n]) => re.test(n)).reduce((s, [, t]) => s + t.data.length, 0);

/**
 * The residual stream permuted (the same function): columns of every matrix that reads it (embeddings,
 * LM head, q/k/v, routers, every expert's gate and up), rows of every matrix that writes it (o and every
 * down, their biases) and every RMSNorm gain of the model's width.
 */
export function permuteResidualMoe(m: FloatTensors, seed: number): FloatTensors {
  const d = m.get("model.embed_tokens.weight")!.shape[1]!;
  const p = permutation(d, uniform(seed));
  const out: FloatTensors = new Map();
  for (const [n, t] of m) {
    if (t.shape.length === 2 && /(o_proj|down_proj)\.weight$/.test(n)) out.set(n, permuteLeading(t, p));
    else if (t.shape.length === 2 && t.shape[1] === d) {
      const [r, c] = t.shape as [number, number];
      const data = new Float32Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[i * c + j] = t.data[i * c + p[j]!]!;
      out.set(n, { shape: [r, c], data });
    } else if (t.shape.length === 1 && t.shape[0] === d && /(norm\.weight|(o_proj|down_proj)\.bias)$/.test(n)) out.set(n, permuteLeading(t, p));
    else out.set(n, t);
  }
  return out;
}
