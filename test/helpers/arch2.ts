/**
 * A second architecture for detector tests: GPT-2-like, with LayerNorm weight
 * + bias, Linear biases, learned position embeddings, GELU MLP of width 4d,
 * Conv1D storage ([in, out]) with q,k,v fused in `attn.c_attn` [d, 3d] + bias
 * [3d], tied embeddings by default. Seeded, no training. Plus the evasions
 * that make sense for it (all function-preserving).
 */
import { type FloatTensors, drifted, gaussian } from "../../src/examples/generate.js";
import { permutation, permuteCols, permuteRows, renameOpaque, uniform } from "./evasions.js";

export interface Gpt2Shape {
  d: number;
  layers: number;
  heads: number;
  vocab: number;
  positions: number;
  /** lm_head shares wte (no lm_head.weight tensor). Default true. */
  tied?: boolean;
}

export const GPT2_SHAPE: Gpt2Shape = { d: 128, layers: 4, heads: 4, vocab: 300, positions: 64, tied: true };

/**
 * A freshly initialised GPT-2-style model in HF GPT-2 naming
 * (`transformer.wte.weight`, `transformer.wpe.weight`,
 * `transformer.h.{i}.{ln_1,attn.c_attn,attn.c_proj,ln_2,mlp.c_fc,mlp.c_proj}.{weight,bias}`,
 * `transformer.ln_f.{weight,bias}`, `lm_head.weight` when untied).
 * Matrices N(0, 1/fan_in) (residual writers further / sqrt(2 layers)), biases
 * N(0, 0.02^2), LayerNorm gains 1 + N(0, 0.05^2) so they are not constant.
 */
export function gpt2Model(seed: number, shape: Partial<Gpt2Shape> = {}): FloatTensors {
  const s: Gpt2Shape = { ...GPT2_SHAPE, ...shape };
  const { d, layers, vocab, positions } = s;
  if (d % s.heads !== 0) throw new Error(`d ${d} not divisible by heads ${s.heads}`);
  const g = gaussian(seed);
  const out: FloatTensors = new Map();
  const mat = (rows: number, cols: number, sd: number) => {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = g() * sd;
    return { shape: [rows, cols], data };
  };
  const vec = (n: number, mean: number, sd: number) => {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = mean + sd * g();
    return { shape: [n], data };
  };
  const resid = 1 / Math.sqrt(2 * layers);
  out.set("transformer.wte.weight", mat(vocab, d, 0.1));
  out.set("transformer.wpe.weight", mat(positions, d, 0.05));
  for (let i = 0; i < layers; i++) {
    const h = `transformer.h.${i}.`;
    out.set(`${h}ln_1.weight`, vec(d, 1, 0.05));
    out.set(`${h}ln_1.bias`, vec(d, 0, 0.02));
    out.set(`${h}attn.c_attn.weight`, mat(d, 3 * d, 1 / Math.sqrt(d)));
    out.set(`${h}attn.c_attn.bias`, vec(3 * d, 0, 0.02));
    out.set(`${h}attn.c_proj.weight`, mat(d, d, resid / Math.sqrt(d)));
    out.set(`${h}attn.c_proj.bias`, vec(d, 0, 0.02));
    out.set(`${h}ln_2.weight`, vec(d, 1, 0.05));
    out.set(`${h}ln_2.bias`, vec(d, 0, 0.02));
    out.set(`${h}mlp.c_fc.weight`, mat(d, 4 * d, 1 / Math.sqrt(d)));
    out.set(`${h}mlp.c_fc.bias`, vec(4 * d, 0, 0.02));
    out.set(`${h}mlp.c_proj.weight`, mat(4 * d, d, resid / Math.sqrt(4 * d)));
    out.set(`${h}mlp.c_proj.bias`, vec(d, 0, 0.02));
  }
  out.set("transformer.ln_f.weight", vec(d, 1, 0.05));
  out.set("transformer.ln_f.bias", vec(d, 0, 0.02));
  if (s.tied === false) out.set("lm_head.weight", mat(vocab, d, 1 / Math.sqrt(d)));
  return out;
}

/** An HF-style config.json for `gpt2Model`. */
export function gpt2Config(shape: Partial<Gpt2Shape> = {}): Record<string, unknown> {
  const s: Gpt2Shape = { ...GPT2_SHAPE, ...shape };
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    n_embd: s.d,
    n_layer: s.layers,
    n_head: s.heads,
    n_positions: s.positions,
    vocab_size: s.vocab,
    activation_function: "gelu_new",
    layer_norm_epsilon: 1e-5,
    tie_word_embeddings: s.tied !== false,
  };
}

/** Fine-tune-like drift: every tensor W + drift * sd(W) * N(0, 1). */
export function gpt2Derived(base: FloatTensors, seed: number, drift: number): FloatTensors {
  return drifted(base, seed, drift);
}

function gpt2Layers(m: FloatTensors): number {
  let n = 0;
  for (const k of m.keys()) {
    const mt = /^transformer\.h\.(\d+)\./.exec(k);
    if (mt) n = Math.max(n, Number(mt[1]) + 1);
  }
  return n;
}

function upd(out: FloatTensors, name: string, f: (t: { shape: number[]; data: Float32Array }) => { shape: number[]; data: Float32Array }): void {
  const t = out.get(name);
  if (t) out.set(name, f(t));
}

/**
 * One permutation of the 4d MLP units per layer: c_fc columns and bias,
 * mlp.c_proj rows. Preserves: the function (GELU is elementwise).
 */
export function permuteMlpGpt2(m: FloatTensors, seed: number): FloatTensors {
  const rand = uniform(seed);
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < gpt2Layers(m); i++) {
    const h = `transformer.h.${i}.`;
    const fc = m.get(`${h}mlp.c_fc.weight`);
    if (!fc) continue;
    const perm = permutation(fc.shape[1]!, rand);
    upd(out, `${h}mlp.c_fc.weight`, (t) => permuteCols(t, perm));
    upd(out, `${h}mlp.c_fc.bias`, (t) => permuteRows(t, perm));
    upd(out, `${h}mlp.c_proj.weight`, (t) => permuteRows(t, perm));
  }
  return out;
}

/**
 * Permute whole heads per layer: the same head-block permutation of the q, k
 * and v column sections of c_attn (and its bias), and of attn.c_proj rows.
 * Preserves: the function (no RoPE; heads are independent and summed).
 */
export function permuteHeadsGpt2(m: FloatTensors, seed: number, heads: number): FloatTensors {
  const rand = uniform(seed);
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < gpt2Layers(m); i++) {
    const h = `transformer.h.${i}.`;
    const ca = m.get(`${h}attn.c_attn.weight`);
    if (!ca) continue;
    const d = ca.shape[1]! / 3;
    const hd = d / heads;
    const ph = permutation(heads, rand);
    const within: number[] = [];
    for (const p of ph) for (let r = 0; r < hd; r++) within.push(p * hd + r);
    const full: number[] = [];
    for (let sec = 0; sec < 3; sec++) for (const w of within) full.push(sec * d + w);
    upd(out, `${h}attn.c_attn.weight`, (t) => permuteCols(t, full));
    upd(out, `${h}attn.c_attn.bias`, (t) => permuteRows(t, full));
    upd(out, `${h}attn.c_proj.weight`, (t) => permuteRows(t, within));
  }
  return out;
}

/**
 * One permutation of the residual dimension: wte/wpe/lm_head columns, every
 * LayerNorm weight and bias, rows of c_attn and c_fc (readers, [in, out]),
 * columns and biases of attn.c_proj and mlp.c_proj (writers). Preserves: the
 * function (LayerNorm's mean and variance are permutation-invariant).
 */
export function permuteResidualGpt2(m: FloatTensors, seed: number): FloatTensors {
  const wte = m.get("transformer.wte.weight");
  if (!wte) throw new Error("transformer.wte.weight not found");
  const perm = permutation(wte.shape[1]!, uniform(seed));
  const out: FloatTensors = new Map(m);
  for (const n of ["transformer.wte.weight", "transformer.wpe.weight", "lm_head.weight"]) upd(out, n, (t) => permuteCols(t, perm));
  for (const n of ["transformer.ln_f.weight", "transformer.ln_f.bias"]) upd(out, n, (t) => permuteRows(t, perm));
  for (let i = 0; i < gpt2Layers(m); i++) {
    const h = `transformer.h.${i}.`;
    for (const s of ["ln_1.weight", "ln_1.bias", "ln_2.weight", "ln_2.bias", "attn.c_attn.weight", "mlp.c_fc.weight", "attn.c_proj.bias", "mlp.c_proj.bias"]) upd(out, h + s, (t) => permuteRows(t, perm));
    for (const s of ["attn.c_proj.weight", "mlp.c_proj.weight"]) upd(out, h + s, (t) => permuteCols(t, perm));
  }
  return out;
}

/** Opaque renaming (`net.stack.{i}.p{k}` / `net.p{k}`), as `renameOpaque`. Preserves: everything. */
export function renameGpt2ToOpaque(m: FloatTensors, seed: number): FloatTensors {
  return renameOpaque(m, seed);
}
