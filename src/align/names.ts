/**
 * Tensor names -> (component, layer, role). Different families spell the same
 * thing differently (`model.vision_model.blocks.3.attn.qkv` vs
 * `visual.blocks.3.attn.qkv`, `self_attn.q_proj` vs `attention.wq`); alignment
 * works on this canonical form, never on raw names or `model_type`.
 */

/** Segments that open a component, checked on the first two segments of a name. */
const COMPONENT_SEGMENTS: Record<string, string> = {
  visual: "vision",
  vision_model: "vision",
  vision_tower: "vision",
  vision_encoder: "vision",
  image_encoder: "vision",
  vision: "vision",
  vit: "vision",
  vpm: "vision",
  siglip: "vision",
  audio_model: "audio",
  audio_tower: "audio",
  audio_encoder: "audio",
  audio: "audio",
  apm: "audio",
  speech_encoder: "audio",
  whisper_encoder: "audio",
  mm_projector: "projector",
  multi_modal_projector: "projector",
  audio_projector: "projector",
  vision_projector: "projector",
  mlp1: "projector",
  connector: "projector",
  resampler: "projector",
  language_model: "language",
  text_model: "language",
  llm: "language",
  // Detection and segmentation models: the heads on a backbone (the backbone is `vision` only beside
  // heads: a `backbone.` prefix alone is a wrapper, as a copier may add it).
  roi_heads: "head",
  rpn: "head",
  bbox_head: "head",
  cls_head: "head",
  decode_head: "head",
  auxiliary_head: "head",
};

/** Tensors that make the rest of a checkpoint with a backbone a language model after all. */
const LANGUAGE_MARKERS = /(^|\.)(embed_tokens|lm_head|wte|tok_embeddings|word_embeddings|embed_in|embed_out)(\.|$)/;

/** Wrapper segments dropped from the front of a key (they carry no structure). */
const WRAPPERS = new Set(["model", "module", "transformer", "base_model", "decoder", "language_model", "text_model", "llm"]);

/** Containers whose next segment is a layer index. */
const LAYER_CONTAINERS = new Set(["layers", "blocks", "h", "layer", "block", "resblocks", "encoder_layers", "blk"]);

/** Segment synonyms -> canonical role tokens. */
const SYNONYMS: Record<string, string> = {
  self_attn: "attn",
  self_attention: "attn",
  attention: "attn",
  attn: "attn",
  q_proj: "q",
  wq: "q",
  query: "q",
  to_q: "q",
  k_proj: "k",
  wk: "k",
  key: "k",
  to_k: "k",
  v_proj: "v",
  wv: "v",
  value: "v",
  to_v: "v",
  o_proj: "o",
  out_proj: "o",
  wo: "o",
  to_out: "o",
  qkv: "qkv",
  qkv_proj: "qkv",
  c_attn: "qkv",
  query_key_value: "qkv",
  Wqkv: "qkv",
  W_pack: "qkv",
  mlp: "mlp",
  feed_forward: "mlp",
  ffn: "mlp",
  gate_proj: "gate",
  w1: "gate",
  up_proj: "up",
  w3: "up",
  fc1: "up",
  c_fc: "up",
  dense_h_to_4h: "up",
  down_proj: "down",
  w2: "down",
  fc2: "down",
  dense_4h_to_h: "down",
  gate_up_proj: "gate_up",
  input_layernorm: "norm1",
  ln_1: "norm1",
  ln1: "norm1",
  norm1: "norm1",
  attention_norm: "norm1",
  layer_norm1: "norm1",
  post_attention_layernorm: "norm2",
  ln_2: "norm2",
  ln2: "norm2",
  norm2: "norm2",
  ffn_norm: "norm2",
  layer_norm2: "norm2",
  embed_tokens: "embed",
  wte: "embed",
  word_embeddings: "embed",
  tok_embeddings: "embed",
  lm_head: "head",
  ln_f: "final_norm",
  norm_f: "final_norm",
  final_layernorm: "final_norm",
  final_layer_norm: "final_norm",
  // GGUF (llama.cpp) names.
  token_embd: "embed",
  attn_q: "attn.q",
  attn_k: "attn.k",
  attn_v: "attn.v",
  attn_qkv: "attn.qkv",
  attn_output: "attn.o",
  ffn_gate: "mlp.gate",
  ffn_up: "mlp.up",
  ffn_down: "mlp.down",
  attn_norm: "norm1",
  output_norm: "final_norm",
};

export interface NameInfo {
  /** Component this tensor belongs to (vision, audio, projector, language, model, or a custom name). */
  component: string;
  /** Layer index inside its stack, or null. */
  layer: number | null;
  /** Canonical role, e.g. "attn.q.weight", "mlp.down.weight", "embed.weight", "blocks:attn.qkv.bias". */
  role: string;
}

/** Detect the component from the first segments of a name (null: no multimodal marker). */
function detectComponent(name: string): string | null {
  const segs = name.split(".");
  for (let i = 0; i < Math.min(2, segs.length - 1); i++) {
    const c = COMPONENT_SEGMENTS[segs[i]!];
    if (c) return c;
    if (segs[i] !== "model") break;
  }
  return null;
}

/** Canonical (layer, role) of a tensor name, independent of prefixes and family spelling. */
export function parseName(name: string): { layer: number | null; role: string } {
  let segs = name.split(".");
  // Drop the component opener and wrapper segments at the front.
  let i = 0;
  while (i < segs.length - 1 && (WRAPPERS.has(segs[i]!) || COMPONENT_SEGMENTS[segs[i]!] !== undefined)) i++;
  segs = segs.slice(i);
  let layer: number | null = null;
  for (let j = 0; j + 1 < segs.length; j++) {
    if (LAYER_CONTAINERS.has(segs[j]!) && /^\d+$/.test(segs[j + 1]!)) {
      layer = Number(segs[j + 1]);
      segs = segs.slice(j + 2);
      break;
    }
  }
  const mapped = segs.map((s) => SYNONYMS[s] ?? s);
  // Inside an attention block, a bare `proj`/`dense`/`c_proj` is the output projection;
  // inside an MLP, `c_proj`/`dense` is the down projection (GPT-2, BERT, ViT naming).
  for (let j = 1; j < mapped.length; j++) {
    const parent = mapped[j - 1];
    if (parent === "attn" && (mapped[j] === "proj" || mapped[j] === "dense" || mapped[j] === "c_proj")) mapped[j] = "o";
    if (parent === "mlp" && (mapped[j] === "c_proj" || mapped[j] === "dense")) mapped[j] = "down";
  }
  // A top-level `norm` outside any layer is the final norm; `output` at top level is the LM head.
  if (layer === null && mapped.length === 2 && mapped[0] === "norm") mapped[0] = "final_norm";
  if (layer === null && mapped.length === 2 && mapped[0] === "output") mapped[0] = "head";
  return { layer, role: mapped.join(".") };
}

/** Glob with `*` (any run of characters, dots included) and `?`. */
function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`);
}

export type ComponentSpec = { name: string; globs: string[] }[];

/**
 * Assign every tensor a component. With a spec, the first matching rule wins
 * and unmatched tensors get null (excluded, but counted). Without one, known
 * multimodal prefixes decide (and a Whisper-style speech encoder: `encoder.*` next to an
 * `encoder.conv1` stem is `audio`; a detection model's `backbone.*` is `vision`, its heads `head`);
 * the rest is `language` when any multimodal part exists (`head` in a detection model without token
 * embeddings or LM head), else the whole model is one component named `model`.
 */
export function assignComponents(names: string[], spec?: ComponentSpec | null): Map<string, NameInfo | null> {
  const out = new Map<string, NameInfo | null>();
  if (spec && spec.length) {
    const rules = spec.map((r) => ({ name: r.name, res: r.globs.map(globToRegExp) }));
    for (const n of names) {
      const rule = rules.find((r) => r.res.some((re) => re.test(n)));
      out.set(n, rule ? { component: rule.name, ...parseName(n) } : null);
    }
    return out;
  }
  // A Whisper-style speech encoder (a conv stem `encoder.conv1` on mel features) makes `encoder.*` the audio tower.
  const speechEncoder = names.some((n) => /(^|\.)encoder\.conv[12]\.weight$/.test(n));
  const heads = names.some((n) => detectComponent(n) === "head");
  const detected = names.map(
    (n) => detectComponent(n) ?? (speechEncoder && /^(?:[^.]+\.)?encoder\.|(^|\.)mel_filters$/.test(n) ? "audio" : heads && /^(?:model\.)?backbone\./.test(n) ? "vision" : null),
  );
  const multimodal = detected.some((c) => c !== null && c !== "language");
  // What no prefix claimed: the language model of a multimodal checkpoint, except in a detection or
  // segmentation model (a backbone or heads, and no token embeddings or LM head): there, its heads.
  const detection = heads;
  const undetected = names.filter((_, i) => detected[i] === null);
  const rest = detection && !detected.includes("language") && !undetected.some((n) => LANGUAGE_MARKERS.test(n)) ? "head" : (taskHeadOf(detected, undetected) ?? "language");
  names.forEach((n, i) => {
    const c = detected[i] ?? (multimodal ? rest : "model");
    out.set(n, { component: c === "language" && !multimodal ? "model" : c, ...parseName(n) });
  });
  return out;
}

/**
 * A task head on a single tower (a ViT classifier's `classifier.*`, a pooler) belongs to that tower: when
 * every prefix found names one component and what is left has no token embeddings, no LM head and no
 * layer stack, the rest is that component's head, not a language model of its own (a 6-class head alone
 * would be a component "too thin to decide").
 */
function taskHeadOf(detected: (string | null)[], undetected: string[]): string | null {
  const kinds = new Set(detected.filter((c): c is string => c !== null));
  if (kinds.size !== 1 || kinds.has("language") || kinds.has("head") || undetected.length === 0) return null;
  if (undetected.some((n) => LANGUAGE_MARKERS.test(n) || parseName(n).layer !== null)) return null;
  return [...kinds][0]!;
}

/** Components that may hold each other's weights: a text-only `model` is a `language` model. */
export function componentKind(component: string): string {
  return component === "model" ? "language" : component;
}

/**
 * A mixture-of-experts role: `mlp.experts.5.gate.weight` (also `block_sparse_moe.experts.5.…`,
 * `mlp.shared_expert.…`, `mlp.shared_experts.…`) -> the dense MLP role it stands for
 * (`mlp.gate.weight`) and the expert index (-1 for a shared expert). Null for other roles.
 */
export function expertRole(role: string): { base: string; expert: number } | null {
  const routed = /^(?:.*\.)?experts\.(\d+)\.(.+)$/.exec(role);
  if (routed) return { base: `mlp.${routed[2]}`, expert: Number(routed[1]) };
  const shared = /^(?:.*\.)?shared_experts?\.(.+)$/.exec(role);
  if (shared) return { base: `mlp.${shared[1]}`, expert: -1 };
  return null;
}
