/** Alignment across naming schemes and layouts, on tensor headers only. */
import { renderTransforms } from "../src/align/transform.js";
import { describe, expect, it } from "vitest";
import { alignModels } from "../src/align/align.js";
import { assignComponents, parseName } from "../src/align/names.js";
import type { TensorEntry } from "../src/sources/types.js";

let offset = 0;
function t(name: string, shape: number[], dtype = "BF16"): TensorEntry {
  const bytes = shape.reduce((a, b) => a * b, 1) * 2;
  const e = { name, dtype, shape, file: "model.safetensors", begin: offset, end: offset + bytes };
  offset += bytes;
  return e;
}

function pairsOf(candidate: TensorEntry[], reference: TensorEntry[]) {
  const a = alignModels(candidate, reference);
  return a.components.flatMap((c) => c.pairs.map((p) => ({ c: p.candidate.entry.name, r: p.reference.entry.name, transform: renderTransforms(p.transform), rows: p.candidate.rows, cols: p.candidate.cols, rowStart: p.candidate.rowStart, refRowStart: p.reference.rowStart, role: p.role })));
}

describe("components", () => {
  it("recognises Qwen2.5-VL, LLaVA, HyperCLOVA X / InternVL and audio towers", () => {
    const names = [
      "visual.blocks.0.attn.qkv.weight",
      "model.visual.blocks.0.attn.qkv.weight",
      "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight",
      "multi_modal_projector.linear_1.weight",
      "model.vision_model.blocks.0.attn.qkv.weight",
      "model.mm_projector.linear_1.weight",
      "model.language_model.model.layers.0.self_attn.q_proj.weight",
      "model.audio_model.layers.0.self_attn.q_proj.weight",
      "audio_tower.layers.0.fc1.weight",
      "model.audio_projector.linear_1.weight",
      "mlp1.1.weight",
      "language_model.model.layers.0.mlp.up_proj.weight",
      "lm_head.weight",
    ];
    const got = Object.fromEntries([...assignComponents(names)].map(([n, i]) => [n, i!.component]));
    expect(got).toEqual({
      "visual.blocks.0.attn.qkv.weight": "vision",
      "model.visual.blocks.0.attn.qkv.weight": "vision",
      "vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight": "vision",
      "multi_modal_projector.linear_1.weight": "projector",
      "model.vision_model.blocks.0.attn.qkv.weight": "vision",
      "model.mm_projector.linear_1.weight": "projector",
      "model.language_model.model.layers.0.self_attn.q_proj.weight": "language",
      "model.audio_model.layers.0.self_attn.q_proj.weight": "audio",
      "audio_tower.layers.0.fc1.weight": "audio",
      "model.audio_projector.linear_1.weight": "projector",
      "mlp1.1.weight": "projector",
      "language_model.model.layers.0.mlp.up_proj.weight": "language",
      "lm_head.weight": "language",
    });
  });

  it("a text-only model is one component named model", () => {
    const got = [...assignComponents(["model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight", "lm_head.weight"]).values()];
    expect(got.map((i) => i!.component)).toEqual(["model", "model", "model"]);
  });

  it("a Whisper-style speech encoder (conv stem on mel features) is the audio tower; a T5 encoder stays text", () => {
    const whisper = ["model.encoder.conv1.weight", "model.encoder.layers.0.fc1.weight", "mel_filters", "model.decoder.embed_tokens.weight", "model.decoder.layers.0.fc1.weight", "proj_out.weight"];
    expect([...assignComponents(whisper).values()].map((i) => i!.component)).toEqual(["audio", "audio", "audio", "language", "language", "language"]);
    const t5 = ["encoder.block.0.layer.0.SelfAttention.q.weight", "decoder.block.0.layer.0.SelfAttention.q.weight"];
    expect([...assignComponents(t5).values()].map((i) => i!.component)).toEqual(["model", "model"]);
  });

  it("a detection model: backbone is vision, the rest (FPN, RPN, ROI heads) is head, never language; a CNN alone is model", () => {
    const det = ["backbone.body.conv1.weight", "backbone.body.layer1.0.conv1.weight", "backbone.fpn.inner_blocks.0.weight", "rpn.head.conv.weight", "roi_heads.box_head.fc6.weight", "class_embed.weight"];
    expect([...assignComponents(det).values()].map((i) => i!.component)).toEqual(["vision", "vision", "vision", "head", "head", "head"]);
    const cnn = ["features.0.weight", "features.3.weight", "classifier.1.weight"];
    expect([...assignComponents(cnn).values()].map((i) => i!.component)).toEqual(["model", "model", "model"]);
  });

  it("a task head on a single tower belongs to the tower (a ViT classifier is one vision component, not vision + language)", () => {
    const vit = ["vit.embeddings.patch_embeddings.projection.weight", "vit.encoder.layer.0.attention.attention.query.weight", "vit.layernorm.weight", "classifier.weight", "classifier.bias"];
    expect([...assignComponents(vit).values()].map((i) => i!.component)).toEqual(["vision", "vision", "vision", "vision", "vision"]);
    // A language model beside the tower (token embeddings, or a layer stack) stays its own component.
    const vlm = ["visual.blocks.0.attn.qkv.weight", "model.layers.0.mlp.up_proj.weight", "lm_head.weight"];
    expect([...assignComponents(vlm).values()].map((i) => i!.component)).toEqual(["vision", "language", "language"]);
    const twoTowers = ["visual.blocks.0.attn.qkv.weight", "audio_tower.layers.0.fc1.weight", "classifier.weight"];
    expect([...assignComponents(twoTowers).values()].map((i) => i!.component)).toEqual(["vision", "audio", "language"]);
  });

  it("family spellings reduce to one (layer, role)", () => {
    expect(parseName("model.layers.3.self_attn.q_proj.weight")).toEqual({ layer: 3, role: "attn.q.weight" });
    expect(parseName("layers.3.attention.wq.weight")).toEqual({ layer: 3, role: "attn.q.weight" });
    expect(parseName("transformer.h.3.attn.c_attn.weight")).toEqual({ layer: 3, role: "attn.qkv.weight" });
    expect(parseName("transformer.h.3.mlp.c_fc.weight")).toEqual({ layer: 3, role: "mlp.up.weight" });
    expect(parseName("transformer.h.3.mlp.c_proj.weight")).toEqual({ layer: 3, role: "mlp.down.weight" });
    expect(parseName("transformer.h.3.attn.c_proj.weight")).toEqual({ layer: 3, role: "attn.o.weight" });
    expect(parseName("gpt_neox.layers.3.attention.query_key_value.weight")).toEqual({ layer: 3, role: "attn.qkv.weight" });
    expect(parseName("model.norm.weight")).toEqual({ layer: null, role: "final_norm.weight" });
  });
});

describe("alignment", () => {
  it("strips differing prefixes and matches layer indices (vision_model vs visual)", () => {
    const p = pairsOf([t("model.vision_model.blocks.3.attn.qkv.weight", [288, 96])], [t("visual.blocks.3.attn.qkv.weight", [288, 96]), t("visual.blocks.2.attn.qkv.weight", [288, 96])]);
    expect(p).toEqual([expect.objectContaining({ c: "model.vision_model.blocks.3.attn.qkv.weight", r: "visual.blocks.3.attn.qkv.weight", transform: "none" })]);
  });

  it("accepts a transposed layout", () => {
    const p = pairsOf([t("model.layers.0.mlp.up_proj.weight", [256, 64])], [t("model.layers.0.mlp.up_proj.weight", [64, 256])]);
    // The canonical orientation is the reference's (Linear [out, in]).
    expect(p[0]).toMatchObject({ transform: "transpose", rows: 64, cols: 256 });
  });

  it("splits a fused QKV against separate q/k/v, GQA sizes included", () => {
    const p = pairsOf(
      [t("model.layers.0.self_attn.qkv_proj.weight", [64 + 16 + 16, 64])],
      [t("model.layers.0.self_attn.q_proj.weight", [64, 64]), t("model.layers.0.self_attn.k_proj.weight", [16, 64]), t("model.layers.0.self_attn.v_proj.weight", [16, 64])],
    );
    expect(p.map((x) => [x.r, x.transform, x.rowStart, x.rows])).toEqual([
      ["model.layers.0.self_attn.q_proj.weight", "split-qkv", 0, 64],
      ["model.layers.0.self_attn.k_proj.weight", "split-qkv", 64, 16],
      ["model.layers.0.self_attn.v_proj.weight", "split-qkv", 80, 16],
    ]);
  });

  it("splits a Conv1D fused c_attn [d, 3d] against Linear q/k/v (transpose + split)", () => {
    const p = pairsOf(
      [t("transformer.h.1.attn.c_attn.weight", [64, 192])],
      ["q", "k", "v"].map((n) => t(`model.layers.1.self_attn.${n}_proj.weight`, [64, 64])),
    );
    expect(p.map((x) => [x.transform, x.rowStart, x.rows, x.cols])).toEqual([
      ["transpose+split-qkv", 0, 64, 64],
      ["transpose+split-qkv", 64, 64, 64],
      ["transpose+split-qkv", 128, 64, 64],
    ]);
  });

  it("split q/k/v in the candidate meet a fused reference", () => {
    const p = pairsOf(
      ["q", "k", "v"].map((n) => t(`model.layers.0.self_attn.${n}_proj.weight`, [64, 64])),
      [t("model.layers.0.self_attn.qkv_proj.weight", [192, 64])],
    );
    expect(p.map((x) => [x.c, x.transform, x.refRowStart])).toEqual([
      ["model.layers.0.self_attn.q_proj.weight", "split-qkv", 0],
      ["model.layers.0.self_attn.k_proj.weight", "split-qkv", 64],
      ["model.layers.0.self_attn.v_proj.weight", "split-qkv", 128],
    ]);
  });

  it("fused gate_up against split gate and up", () => {
    const p = pairsOf([t("model.layers.0.mlp.gate_up_proj.weight", [512, 64])], [t("model.layers.0.mlp.gate_proj.weight", [256, 64]), t("model.layers.0.mlp.up_proj.weight", [256, 64])]);
    expect(p.map((x) => [x.r, x.transform, x.rowStart])).toEqual([
      ["model.layers.0.mlp.gate_proj.weight", "split-gate-up", 0],
      ["model.layers.0.mlp.up_proj.weight", "split-gate-up", 256],
    ]);
  });

  it("compares a vocabulary-extended embedding on its leading block", () => {
    const p = pairsOf([t("model.embed_tokens.weight", [300, 64])], [t("model.embed_tokens.weight", [260, 64])]);
    expect(p[0]).toMatchObject({ transform: "leading-block", rows: 260, cols: 64 });
  });

  it("counts tensors with no counterpart instead of dropping them", () => {
    const a = alignModels(
      [t("model.layers.0.mlp.up_proj.weight", [256, 64]), t("model.mm_projector.linear_1.weight", [64, 32]), t("visual.blocks.0.attn.qkv.weight", [96, 32])],
      [t("model.layers.0.mlp.up_proj.weight", [256, 64])],
    );
    const byName = Object.fromEntries(a.components.map((c) => [c.name, c]));
    expect(byName.projector!.unmatched).toEqual(["model.mm_projector.linear_1.weight"]);
    expect(byName.projector!.unmatchedParameters).toBe(64 * 32);
    expect(byName.vision!.unmatched).toHaveLength(1);
    expect(byName.language!.pairs).toHaveLength(1);
  });

  it("in a multimodal candidate, never pairs a vision tensor with a language tensor of the same role", () => {
    const p = pairsOf(
      [t("visual.blocks.0.mlp.up_proj.weight", [256, 64]), t("model.layers.0.mlp.up_proj.weight", [128, 32])],
      [t("model.layers.0.mlp.up_proj.weight", [256, 64])],
    );
    expect(p.filter((x) => x.c.startsWith("visual."))).toEqual([]);
  });

  it("a candidate that is one component under a modality's prefix meets every kind (a whole LLM renamed `visual.*`)", () => {
    const p = pairsOf([t("visual.layers.0.mlp.up_proj.weight", [256, 64])], [t("model.layers.0.mlp.up_proj.weight", [256, 64])]);
    expect(p).toHaveLength(1);
  });

  it("marks norms, biases and tiny matrices as not informative; small matrices (a first conv) count", () => {
    const a = alignModels(
      [t("model.layers.0.input_layernorm.weight", [64]), t("model.layers.0.self_attn.q_proj.weight", [64, 64]), t("model.layers.0.self_attn.o_proj.weight", [32, 32]), t("model.layers.0.mlp.up_proj.weight", [4, 6]), t("model.layers.0.mlp.down_proj.weight", [64, 1])],
      [t("model.layers.0.input_layernorm.weight", [64]), t("model.layers.0.self_attn.q_proj.weight", [64, 64]), t("model.layers.0.self_attn.o_proj.weight", [32, 32]), t("model.layers.0.mlp.up_proj.weight", [4, 6]), t("model.layers.0.mlp.down_proj.weight", [64, 1])],
    );
    expect(a.components[0]!.pairs.map((p) => [p.role, p.informative])).toEqual([
      ["norm1.weight", false],
      ["attn.q.weight", true],
      ["attn.o.weight", true],
      ["mlp.up.weight", false],
      ["mlp.down.weight", false],
    ]);
    const conv = alignModels([t("features.0.weight", [24, 3, 3, 3])], [t("features.0.weight", [24, 3, 3, 3])]);
    expect(conv.components[0]!.pairs[0]!.informative).toBe(true);
  });
});
