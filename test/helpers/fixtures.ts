/**
 * The trained tiny fixtures from ../shared/fixtures/tiny when present; else
 * generated stand-ins with the same names, layout and ground truth (a base, a
 * drifted fine-tune, an independent seed, and a VLM pair whose vision tower is
 * reused under another prefix while its wider language model is new).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type FloatTensors,
  drifted,
  gaussian,
  llamaConfig,
  llamaModel,
  writeModel,
} from "../../src/examples/generate.js";
import { tempDir } from "./temp.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The trained fixtures; FROMSCRATCH_TEST_SHARED=/nonexistent hides them (to run as CI does without ../shared). */
export const SHARED_TINY = path.resolve(REPO_ROOT, process.env.FROMSCRATCH_TEST_SHARED ?? "../shared/fixtures/tiny");
export const TINY_NAMES = ["llm-a", "llm-a-sft", "llm-b", "vlm-ref", "vlm-cand"] as const;
export type TinyName = (typeof TINY_NAMES)[number];

/** Whether the trained fixtures are there (else tinyRoot generates stand-ins). */
export function haveSharedTiny(): boolean {
  return TINY_NAMES.every((n) => existsSync(path.join(SHARED_TINY, n, "model.safetensors")));
}

// Once per test file (vitest isolates modules per file); the folder is a
// tempDir, so it is removed when the file ends.
let generated: Promise<string> | null = null;

/** Directory holding the five tiny models (shared trained ones, or generated). */
export function tinyRoot(): Promise<string> {
  if (haveSharedTiny()) return Promise.resolve(SHARED_TINY);
  generated ??= generateTiny();
  return generated;
}

export async function tiny(name: TinyName): Promise<string> {
  return path.join(await tinyRoot(), name);
}

function visionTower(seed: number, prefix: string): FloatTensors {
  const g = gaussian(seed);
  const out: FloatTensors = new Map();
  const mat = (rows: number, cols: number) => {
    const d = new Float32Array(rows * cols);
    for (let i = 0; i < d.length; i++) d[i] = g() / Math.sqrt(cols);
    return { shape: [rows, cols], data: d };
  };
  const vec = (n: number, mean: number, sd: number) => {
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = mean + sd * g();
    return { shape: [n], data: d };
  };
  const w = 96;
  const patch = mat(96, 16);
  out.set(`${prefix}patch_embed.proj.weight`, { shape: [96, 1, 4, 4], data: patch.data });
  for (let i = 0; i < 4; i++) {
    const p = `${prefix}blocks.${i}.`;
    out.set(`${p}norm1.weight`, vec(w, 1, 0.05));
    out.set(`${p}attn.qkv.weight`, mat(3 * w, w));
    out.set(`${p}attn.qkv.bias`, vec(3 * w, 0, 0.02));
    out.set(`${p}attn.proj.weight`, mat(w, w));
    out.set(`${p}attn.proj.bias`, vec(w, 0, 0.02));
    out.set(`${p}mlp.gate_proj.weight`, mat(256, w));
    out.set(`${p}mlp.gate_proj.bias`, vec(256, 0, 0.02));
    out.set(`${p}mlp.up_proj.weight`, mat(256, w));
    out.set(`${p}mlp.up_proj.bias`, vec(256, 0, 0.02));
    out.set(`${p}mlp.down_proj.weight`, mat(w, 256));
    out.set(`${p}mlp.down_proj.bias`, vec(w, 0, 0.02));
    out.set(`${p}norm2.weight`, vec(w, 1, 0.05));
  }
  out.set(`${prefix}merger.ln_q.weight`, vec(w, 1, 0.05));
  out.set(`${prefix}merger.mlp.0.weight`, mat(384, 384));
  out.set(`${prefix}merger.mlp.0.bias`, vec(384, 0, 0.02));
  out.set(`${prefix}merger.mlp.2.weight`, mat(128, 384));
  out.set(`${prefix}merger.mlp.2.bias`, vec(128, 0, 0.02));
  return out;
}

function renamePrefix(m: FloatTensors, from: string, to: string): FloatTensors {
  return new Map([...m].map(([k, v]) => [k.startsWith(from) ? to + k.slice(from.length) : k, v]));
}

export async function generateTiny(): Promise<string> {
  const root = await tempDir("tiny");
  const small = { hidden: 128, intermediate: 352, layers: 4, vocab: 260 };
  const wide = { hidden: 160, intermediate: 432, layers: 4, vocab: 260 };
  const cfg = llamaConfig(small);
  const a = llamaModel(small, 1);
  await writeModel(path.join(root, "llm-a"), a, cfg);
  await writeModel(path.join(root, "llm-a-sft"), drifted(a, 101, 0.15), cfg);
  await writeModel(path.join(root, "llm-b"), llamaModel(small, 2), cfg);
  const vis = visionTower(3, "visual.");
  const vlmRef = new Map([...vis, ...llamaModel(small, 33)]);
  await writeModel(path.join(root, "vlm-ref"), vlmRef, { ...cfg, model_type: "qwen2_5_vl" });
  const candVision = renamePrefix(drifted(vis, 4, 0.15), "visual.", "model.vision_model.");
  const g = gaussian(44);
  const proj = (rows: number, cols: number) => {
    const d = new Float32Array(rows * cols);
    for (let i = 0; i < d.length; i++) d[i] = g() / Math.sqrt(cols);
    return { shape: [rows, cols], data: d };
  };
  const projector: FloatTensors = new Map([
    ["model.mm_projector.linear_1.weight", proj(160, 128)],
    ["model.mm_projector.linear_2.weight", proj(160, 160)],
  ]);
  // The HyperCLOVA X layout: the whole language model under model.language_model.
  const lm: FloatTensors = new Map([...llamaModel(wide, 4)].map(([k, v]) => [`model.language_model.${k}`, v] as const));
  await writeModel(path.join(root, "vlm-cand"), new Map([...candVision, ...projector, ...lm]), { ...llamaConfig(wide), model_type: "hyperclovax_vlm" });
  return root;
}
