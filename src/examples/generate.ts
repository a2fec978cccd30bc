/**
 * Deterministic example models (no network, no training): a Llama-style base,
 * a "fine-tune" of it (base + small drift, as training moves weights), and an
 * independent model of the same architecture (another seed). Norm gains sit
 * near 1 in all three, so raw cosine on norms is ~1 everywhere: the trap the
 * gate must not fall into. Used by the demo and by tests.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { encodeFloats } from "../safetensors/dtypes.js";
import { type TensorBytes, serializeSafetensors } from "../safetensors/writer.js";

/** mulberry32 + Box-Muller: small, fast, reproducible across platforms. */
export function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export interface LlamaShape {
  hidden: number;
  intermediate: number;
  layers: number;
  vocab: number;
}

export const EXAMPLE_SHAPE: LlamaShape = { hidden: 96, intermediate: 256, layers: 4, vocab: 512 };

export type FloatTensors = Map<string, { shape: number[]; data: Float32Array }>;

/** A freshly initialised Llama-style model: matrices N(0, 1/fan_in), norm gains 1 + N(0, 0.05). */
export function llamaModel(shape: LlamaShape, seed: number): FloatTensors {
  const g = gaussian(seed);
  const out: FloatTensors = new Map();
  const mat = (rows: number, cols: number, scale = 1 / Math.sqrt(cols)) => {
    const d = new Float32Array(rows * cols);
    for (let i = 0; i < d.length; i++) d[i] = g() * scale;
    return { shape: [rows, cols], data: d };
  };
  const norm = (n: number) => {
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = 1 + 0.05 * g();
    return { shape: [n], data: d };
  };
  const { hidden: h, intermediate: f, layers, vocab } = shape;
  out.set("model.embed_tokens.weight", mat(vocab, h, 1));
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}.`;
    for (const n of ["q", "k", "v", "o"]) out.set(`${p}self_attn.${n}_proj.weight`, mat(h, h));
    out.set(`${p}mlp.gate_proj.weight`, mat(f, h));
    out.set(`${p}mlp.up_proj.weight`, mat(f, h));
    out.set(`${p}mlp.down_proj.weight`, mat(h, f));
    out.set(`${p}input_layernorm.weight`, norm(h));
    out.set(`${p}post_attention_layernorm.weight`, norm(h));
  }
  out.set("model.norm.weight", norm(h));
  out.set("lm_head.weight", mat(vocab, h));
  return out;
}

/** Simulated further training: every tensor drifts by `drift` times its own spread. */
export function drifted(model: FloatTensors, seed: number, drift: number): FloatTensors {
  const g = gaussian(seed);
  const out: FloatTensors = new Map();
  for (const [name, t] of model) {
    let m = 0;
    for (const v of t.data) m += v;
    m /= t.data.length;
    let sd = 0;
    for (const v of t.data) sd += (v - m) ** 2;
    sd = Math.sqrt(sd / t.data.length) || 1e-3;
    const d = new Float32Array(t.data.length);
    for (let i = 0; i < d.length; i++) d[i] = t.data[i]! + drift * sd * g();
    out.set(name, { shape: t.shape, data: d });
  }
  return out;
}

export function toSafetensors(model: FloatTensors, dtype: "F32" | "F16" | "BF16" = "BF16"): Uint8Array {
  const tensors: TensorBytes[] = [...model].map(([name, t]) => ({ name, dtype, shape: t.shape, data: encodeFloats(dtype, t.data) }));
  return serializeSafetensors(tensors, { format: "pt" });
}

export function llamaConfig(shape: LlamaShape): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.hidden / 32,
    vocab_size: shape.vocab,
    torch_dtype: "bfloat16",
  };
}

export async function writeModel(dir: string, model: FloatTensors, config: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "model.safetensors"), toSafetensors(model));
  await writeFile(path.join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
}

/** Write `base`, `finetune` (base drifted by 0.3 sd: Pearson ~0.96) and `independent` (another seed). */
export async function writeExamples(dir: string): Promise<string[]> {
  const base = llamaModel(EXAMPLE_SHAPE, 1);
  const config = llamaConfig(EXAMPLE_SHAPE);
  await writeModel(path.join(dir, "base"), base, config);
  await writeModel(path.join(dir, "finetune"), drifted(base, 2, 0.3), config);
  await writeModel(path.join(dir, "independent"), llamaModel(EXAMPLE_SHAPE, 3), config);
  return ["base", "finetune", "independent"].map((n) => path.join(dir, n));
}
