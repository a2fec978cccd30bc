/**
 * Tensor lists shaped like real 100B-class checkpoints, and sharded BF16
 * safetensors checkpoints of them written *sparse*: each shard holds its
 * 8-byte length and JSON header, then is truncated to its full size, so a
 * 200 GB model takes a few MB of disk (its weights read as zeros). For
 * planning (headers only) and for a Hub-like server that serves ranges from
 * disk (test/hub/server.ts FileOnDisk).
 *
 * Shapes, from the models' config.json:
 * - GLM-4.5-Air (zai-org/GLM-4.5-Air, Glm4MoeForCausalLM): 46 layers, hidden 4096, 96 heads of 128
 *   and 8 KV heads (q/k/v with bias), vocab 151552, untied; layer 0 dense (first_k_dense_replace 1,
 *   intermediate 10944), layers 1-45 MoE: a router `mlp.gate.weight` [128, 4096] with its
 *   `e_score_correction_bias`, 128 routed experts and 1 shared expert of 1408. About 106.9 B parameters
 *   (the Hub checkpoint also holds the MTP layer, not drawn here).
 * - Qwen2.5-VL-72B (Qwen/Qwen2.5-VL-72B-Instruct): 80 layers, hidden 8192, MLP 29568, 64 heads of 128,
 *   8 KV heads (q/k/v with bias), vocab 152064, untied; a vision tower of 32 blocks (hidden 1280, MLP
 *   3420, fused qkv, biases) and a patch merger (5120 -> 5120 -> 8192). About 73.4 B parameters.
 */
import { open, writeFile } from "node:fs/promises";
import path from "node:path";

export interface TensorSpec {
  name: string;
  shape: number[];
}

export const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export interface MoeShape {
  layers: number;
  /** Leading dense layers (first_k_dense_replace). */
  denseLayers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** The dense layers' MLP. */
  intermediate: number;
  experts: number;
  sharedExperts: number;
  expertIntermediate: number;
  vocab: number;
}

export const GLM_45_AIR: MoeShape = {
  layers: 46,
  denseLayers: 1,
  hidden: 4096,
  heads: 96,
  kvHeads: 8,
  headDim: 128,
  intermediate: 10944,
  experts: 128,
  sharedExperts: 1,
  expertIntermediate: 1408,
  vocab: 151552,
};

/** GLM-4.5-Air's tensor names and shapes (Hugging Face transformers' Glm4Moe naming). */
export function moeSpecs(s: MoeShape): TensorSpec[] {
  const d = s.hidden;
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const list: TensorSpec[] = [{ name: "model.embed_tokens.weight", shape: [s.vocab, d] }];
  const mlp = (prefix: string, f: number) => {
    list.push({ name: `${prefix}.gate_proj.weight`, shape: [f, d] }, { name: `${prefix}.up_proj.weight`, shape: [f, d] }, { name: `${prefix}.down_proj.weight`, shape: [d, f] });
  };
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}`;
    list.push({ name: `${p}.input_layernorm.weight`, shape: [d] }, { name: `${p}.post_attention_layernorm.weight`, shape: [d] });
    list.push({ name: `${p}.self_attn.q_proj.weight`, shape: [q, d] }, { name: `${p}.self_attn.q_proj.bias`, shape: [q] });
    list.push({ name: `${p}.self_attn.k_proj.weight`, shape: [kv, d] }, { name: `${p}.self_attn.k_proj.bias`, shape: [kv] });
    list.push({ name: `${p}.self_attn.v_proj.weight`, shape: [kv, d] }, { name: `${p}.self_attn.v_proj.bias`, shape: [kv] });
    list.push({ name: `${p}.self_attn.o_proj.weight`, shape: [d, q] });
    if (i < s.denseLayers) {
      mlp(`${p}.mlp`, s.intermediate);
      continue;
    }
    list.push({ name: `${p}.mlp.gate.weight`, shape: [s.experts, d] }, { name: `${p}.mlp.gate.e_score_correction_bias`, shape: [s.experts] });
    for (let e = 0; e < s.experts; e++) mlp(`${p}.mlp.experts.${e}`, s.expertIntermediate);
    if (s.sharedExperts > 0) mlp(`${p}.mlp.shared_experts`, s.sharedExperts * s.expertIntermediate);
  }
  list.push({ name: "model.norm.weight", shape: [d] }, { name: "lm_head.weight", shape: [s.vocab, d] });
  return list;
}

/** Qwen2.5-VL-72B's tensor names and shapes (the checkpoint's `visual.*` and `model.*` naming). */
export function qwen25Vl72bSpecs(): TensorSpec[] {
  const d = 8192;
  const f = 29568;
  const kv = 8 * 128;
  const vocab = 152064;
  const vd = 1280;
  const vf = 3420;
  const list: TensorSpec[] = [{ name: "visual.patch_embed.proj.weight", shape: [vd, 3, 2, 14, 14] }];
  for (let i = 0; i < 32; i++) {
    const p = `visual.blocks.${i}`;
    list.push({ name: `${p}.norm1.weight`, shape: [vd] }, { name: `${p}.norm2.weight`, shape: [vd] });
    list.push({ name: `${p}.attn.qkv.weight`, shape: [3 * vd, vd] }, { name: `${p}.attn.qkv.bias`, shape: [3 * vd] });
    list.push({ name: `${p}.attn.proj.weight`, shape: [vd, vd] }, { name: `${p}.attn.proj.bias`, shape: [vd] });
    for (const n of ["gate_proj", "up_proj"]) list.push({ name: `${p}.mlp.${n}.weight`, shape: [vf, vd] }, { name: `${p}.mlp.${n}.bias`, shape: [vf] });
    list.push({ name: `${p}.mlp.down_proj.weight`, shape: [vd, vf] }, { name: `${p}.mlp.down_proj.bias`, shape: [vd] });
  }
  list.push({ name: "visual.merger.ln_q.weight", shape: [vd] });
  list.push({ name: "visual.merger.mlp.0.weight", shape: [4 * vd, 4 * vd] }, { name: "visual.merger.mlp.0.bias", shape: [4 * vd] });
  list.push({ name: "visual.merger.mlp.2.weight", shape: [d, 4 * vd] }, { name: "visual.merger.mlp.2.bias", shape: [d] });
  list.push({ name: "model.embed_tokens.weight", shape: [vocab, d] });
  for (let i = 0; i < 80; i++) {
    const p = `model.layers.${i}`;
    list.push({ name: `${p}.input_layernorm.weight`, shape: [d] }, { name: `${p}.post_attention_layernorm.weight`, shape: [d] });
    list.push({ name: `${p}.self_attn.q_proj.weight`, shape: [d, d] }, { name: `${p}.self_attn.q_proj.bias`, shape: [d] });
    list.push({ name: `${p}.self_attn.k_proj.weight`, shape: [kv, d] }, { name: `${p}.self_attn.k_proj.bias`, shape: [kv] });
    list.push({ name: `${p}.self_attn.v_proj.weight`, shape: [kv, d] }, { name: `${p}.self_attn.v_proj.bias`, shape: [kv] });
    list.push({ name: `${p}.self_attn.o_proj.weight`, shape: [d, d] });
    list.push({ name: `${p}.mlp.gate_proj.weight`, shape: [f, d] }, { name: `${p}.mlp.up_proj.weight`, shape: [f, d] }, { name: `${p}.mlp.down_proj.weight`, shape: [d, f] });
  }
  list.push({ name: "model.norm.weight", shape: [d] }, { name: "lm_head.weight", shape: [vocab, d] });
  return list;
}

/** The safetensors prefix (8-byte length + JSON header padded to 8 bytes) of BF16 tensors laid out in order. */
export function headerPrefix(list: readonly TensorSpec[]): { prefix: Buffer; dataBytes: number; offsets: Map<string, [number, number]> } {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const offsets = new Map<string, [number, number]>();
  let off = 0;
  for (const s of list) {
    const n = numelOf(s.shape) * 2;
    header[s.name] = { dtype: "BF16", shape: s.shape, data_offsets: [off, off + n] };
    offsets.set(s.name, [off, off + n]);
    off += n;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8);
  const prefix = Buffer.alloc(8 + json.length);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  prefix.write(json, 8);
  return { prefix, dataBytes: off, offsets };
}

export interface SparseShard {
  /** Relative name (model-00001-of-00047.safetensors). */
  name: string;
  path: string;
  size: number;
  headerBytes: number;
  tensors: TensorSpec[];
}

/**
 * Write `list` as a sharded BF16 checkpoint into `dir`, shards of about
 * `shardBytes` (the Hub's ~5 GB), each sparse: header written, then the file
 * truncated to its full size. Writes model.safetensors.index.json.
 */
export async function writeSparseCheckpoint(dir: string, list: readonly TensorSpec[], shardBytes = 5e9): Promise<SparseShard[]> {
  const groups: TensorSpec[][] = [[]];
  let bytes = 0;
  for (const s of list) {
    const n = numelOf(s.shape) * 2;
    if (bytes > 0 && bytes + n > shardBytes) {
      groups.push([]);
      bytes = 0;
    }
    groups[groups.length - 1]!.push(s);
    bytes += n;
  }
  const count = String(groups.length).padStart(5, "0");
  const shards: SparseShard[] = [];
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let i = 0; i < groups.length; i++) {
    const name = `model-${String(i + 1).padStart(5, "0")}-of-${count}.safetensors`;
    const file = path.join(dir, name);
    const { prefix, dataBytes } = headerPrefix(groups[i]!);
    const fh = await open(file, "w");
    try {
      await fh.write(prefix, 0, prefix.length, 0);
      await fh.truncate(prefix.length + dataBytes);
    } finally {
      await fh.close();
    }
    for (const s of groups[i]!) weightMap[s.name] = name;
    total += dataBytes;
    shards.push({ name, path: file, size: prefix.length + dataBytes, headerBytes: prefix.length, tensors: groups[i]! });
  }
  await writeFile(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  return shards;
}
