import { createRequire as __fsCreateRequire } from 'node:module'; const require = __fsCreateRequire(import.meta.url);
var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res) => function __init() {
  return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
};

// node_modules/@huggingface/hub/dist/chunk-FFYIGW52.mjs
var init_chunk_FFYIGW52 = __esm({
  "node_modules/@huggingface/hub/dist/chunk-FFYIGW52.mjs"() {
  }
});

// src/cli.ts
import os from "node:os";

// src/align/layout.ts
var NATIVE = "layout:native";
var native = { label: NATIVE, axes: null };
var KERAS_KERNEL = /(^|[/.])(kernel|depthwise_kernel|pointwise_kernel)(:\d+)?$/;
var TF_PATH = /\/(weights|filters|depthwise_filter|pointwise_filter|w)(:\d+)?$/;
var DEPTHWISE = /depthwise/i;
var ONNX_MATMUL = /^onnx::MatMul_\d+$/;
var PADDLE_LINEAR = /(^|[./])(linear|fc)_\d+\.w_\d+$/;
var TFLITE_OP = /\/(Conv2D|Conv2D1|DepthwiseConv2dNative|depthwise|MatMul|Conv1D|conv1d)(\b|;|$)|;/;
var TORCH = /(^|\.)weight$/;
function tapsLike(a, b) {
  return a <= 7 && b <= 7 || a === b && a <= 32;
}
function hwio(shape) {
  const r = shape.length;
  const taps = Array.from({ length: r - 2 }, (_, i) => i);
  const label = r === 3 ? "layout:tf-wio" : r === 5 ? "layout:tf-dhwio" : "layout:tf-hwio";
  return { label, axes: [r - 1, r - 2, ...taps] };
}
function tfDepthwise() {
  return { label: "layout:tf-depthwise", axes: [2, 3, 0, 1] };
}
function tfliteConv(shape) {
  if (shape[0] === 1 && shape[3] > 1) return { label: "layout:tflite-1hwc", axes: [3, 0, 1, 2] };
  return { label: "layout:tflite-ohwi", axes: [0, 3, 1, 2] };
}
function tfKernel(name2, shape) {
  if (shape.length === 4 && (DEPTHWISE.test(name2) || shape[3] === 1 && shape[2] > 1)) return tfDepthwise();
  return hwio(shape);
}
function byShape(name2, shape) {
  const r = shape.length;
  const out = [];
  const nativeTaps = shape.slice(2);
  const tfTaps = shape.slice(0, r - 2);
  const ok = (taps) => taps.every((t, i) => tapsLike(t, taps[(i + 1) % taps.length]));
  if (ok(nativeTaps)) out.push(native);
  if (ok(tfTaps)) out.push(tfKernel(name2, shape));
  if (r === 4 && ok([shape[1], shape[2]]) && !(shape[1] === shape[3] && shape[2] === shape[0])) out.push(tfliteConv(shape));
  if (out.length === 0) out.push(native);
  const seen = /* @__PURE__ */ new Set();
  return out.filter((o) => {
    const key = (o.axes ?? shape.map((_, i) => i)).join(",");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
function layoutOptions(name2, shape) {
  const r = shape.length;
  if (r < 2) return [native];
  if (r === 2) {
    if (ONNX_MATMUL.test(name2) || PADDLE_LINEAR.test(name2) || KERAS_KERNEL.test(name2) || TF_PATH.test(name2)) return [{ label: "layout:in-out", axes: [1, 0] }];
    return [native];
  }
  if (KERAS_KERNEL.test(name2) || TF_PATH.test(name2)) return [tfKernel(name2, shape)];
  if (TORCH.test(name2)) return [native];
  if (r === 4 && TFLITE_OP.test(name2)) return [tfliteConv(shape)];
  if (r > 5) return [native];
  return byShape(name2, shape);
}
function familyOf(label) {
  if (label === NATIVE) return "native";
  if (label.startsWith("layout:tf-")) return "tf";
  if (label.startsWith("layout:tflite-")) return "tflite";
  return null;
}
function modelLayoutFamily(entries2) {
  const votes = /* @__PURE__ */ new Set();
  for (const e2 of entries2) {
    if (e2.shape.length < 3) continue;
    const opts = layoutOptions(e2.name, e2.shape);
    if (opts.length !== 1) continue;
    const f = familyOf(opts[0].label);
    if (f) votes.add(f);
  }
  return votes.size === 1 ? [...votes][0] : null;
}
function layoutOptionsIn(name2, shape, family) {
  const opts = layoutOptions(name2, shape);
  if (opts.length < 2 || !family) return opts;
  const same = opts.filter((o) => familyOf(o.label) === family);
  return same.length ? same : opts;
}

// src/align/transform.ts
var AS_STORED = Object.freeze([]);
function renderTransforms(ts) {
  return ts.length === 0 ? "none" : ts.join("+");
}
function parseTransforms(s) {
  return s === "none" || s === "" ? AS_STORED : s.split("+");
}
var isOnly = (ts, kind) => ts.length === 1 && ts[0] === kind;
var movesResidual = (kind) => kind === "residual-permuted" || kind.startsWith("residual-rotated");
var isLayout = (kind) => kind.startsWith("layout:") || kind.startsWith("reference-layout:");

// src/align/view.ts
function storedMatrixShape(shape) {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], 1];
  return [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];
}
function numel(shape) {
  return shape.reduce((a, b) => a * b, 1);
}
function fullView(entry, transpose2 = false) {
  const [r, c] = storedMatrixShape(entry.shape);
  return {
    entry,
    storedRows: r,
    storedCols: c,
    transpose: transpose2,
    rowStart: 0,
    rows: transpose2 ? c : r,
    cols: transpose2 ? r : c
  };
}
var MAX_PERMUTE_ELEMENTS = 16 * 1024 * 1024;
function isIdentity(axes) {
  return axes.every((a, i) => a === i);
}
function canonicalShape(shape, axes) {
  return axes ? axes.map((a) => shape[a]) : [...shape];
}
function layoutView(entry, axes) {
  if (!axes || isIdentity(axes)) return fullView(entry);
  if (entry.shape.length === 2) return fullView(entry, true);
  const [r, c] = storedMatrixShape(entry.shape);
  const canon = canonicalShape(entry.shape, axes);
  const rows = canon[0];
  return { entry, storedRows: r, storedCols: c, transpose: false, rowStart: 0, rows, cols: numel(canon) / Math.max(1, rows), axes: [...axes] };
}
function reorderColumns(data, cols, order, scratch = new Float32Array(cols)) {
  const { groups, size } = order;
  for (let o = 0; o + cols <= data.length; o += cols) {
    scratch.set(data.subarray(o, o + cols));
    for (let g = 0; g < groups; g++) for (let s = 0; s < size; s++) data[o + s * groups + g] = scratch[g * size + s];
  }
}
function viewLike(entry, like) {
  if (like.axes && like.axes.length === entry.shape.length) return layoutView(entry, like.axes);
  return fullView(entry, like.transpose);
}
function readsWhole(v) {
  return v.transpose || v.axes !== void 0;
}
function permuteAxes(data, shape, axes) {
  const rank = shape.length;
  const strides = new Array(rank);
  let s = 1;
  for (let k = rank - 1; k >= 0; k--) {
    strides[k] = s;
    s *= shape[k];
  }
  const dims = axes.map((a) => shape[a]);
  const step = axes.map((a) => strides[a]);
  const out = new Float32Array(data.length);
  const idx = new Array(rank).fill(0);
  let src = 0;
  const last = rank - 1;
  const lastDim = dims[last];
  const lastStep = step[last];
  for (let o = 0; o < out.length; ) {
    for (let j = 0; j < lastDim; j++) out[o++] = data[src + j * lastStep];
    let k = last - 1;
    while (k >= 0) {
      idx[k]++;
      src += step[k];
      if (idx[k] < dims[k]) break;
      src -= step[k] * dims[k];
      idx[k] = 0;
      k--;
    }
    if (k < 0) break;
  }
  return out;
}
function viewKey(v) {
  const order = v.columnOrder ? `G${v.columnOrder.groups}x${v.columnOrder.size}:` : "";
  return `${v.entry.name}@${v.entry.begin}:${v.transpose ? "T" : ""}${v.axes ? `P${v.axes.join("")}:` : ""}${order}${v.rowStart}+${v.rows}x${v.cols}`;
}
function partKey(v) {
  return `${v.entry.name}@${v.entry.begin}:${v.rowStart}`;
}
function sliceRows(v, rowStart, rows) {
  return { ...v, rowStart: v.rowStart + rowStart, rows };
}
function leadingBlock(v, rows, cols) {
  return { ...v, rows, cols };
}
function viewElements(v) {
  return v.rows * v.cols;
}

// src/align/experts.ts
var TRANSPOSED = ["experts-transposed"];
var TRANSPOSED_INTERLEAVED = ["experts-transposed", "gate-up-interleaved"];
var FUSED_EXPERTS = /(^|\.)experts\.(gate_up|down)(\.weight)?$/;
function hiddenWidths(entries2, roleOf) {
  const out = /* @__PURE__ */ new Set();
  for (const e2 of entries2) {
    const role = roleOf(e2);
    if (role && e2.shape.length === 1 && /(^|\.)(norm1|norm2|final_norm)\.weight$/.test(role)) out.add(e2.shape[0]);
  }
  return out;
}
function slab(entry, e2, shape = entry.shape.slice(1)) {
  const bytes = (entry.end - entry.begin) / entry.shape[0];
  const begin = entry.begin + e2 * bytes;
  return { ...entry, shape, begin, end: begin + bytes };
}
function interleavedHalf(s, d, f, half) {
  const entry = { ...s, shape: [d, f, 2] };
  return { entry, storedRows: d, storedCols: 2 * f, transpose: false, rowStart: half * f, rows: f, cols: d, axes: [2, 1, 0] };
}
function fusedExpertParts(entry, role, hidden) {
  const m = FUSED_EXPERTS.exec(role);
  if (!m || entry.shape.length !== 3 || numel(entry.shape) === 0) return null;
  const [e2, a, b] = entry.shape;
  if ((entry.end - entry.begin) % e2 !== 0) return null;
  const knows = (w) => hidden.size === 0 || hidden.has(w);
  const out = [];
  if (m[2] === "down") {
    let standard2 = knows(a);
    let transposed3 = knows(b);
    if (!standard2 && !transposed3) standard2 = transposed3 = true;
    for (let x = 0; x < e2; x++) {
      const s = slab(entry, x);
      const views = [];
      if (standard2) views.push({ view: fullView(s), label: AS_STORED });
      if (transposed3) views.push({ view: fullView(s, true), label: TRANSPOSED });
      out.push({ base: "mlp.down.weight", role: "mlp.down.weight", expert: x, fused: true, entry, views });
    }
    return out;
  }
  let standard = a % 2 === 0 && knows(b);
  let transposed2 = b % 2 === 0 && knows(a);
  if (!standard && !transposed2) [standard, transposed2] = [a % 2 === 0, b % 2 === 0];
  if (!standard && !transposed2) return null;
  for (let x = 0; x < e2; x++) {
    const s = slab(entry, x);
    const gate = [];
    const up = [];
    if (standard) {
      gate.push({ view: sliceRows(fullView(s), 0, a / 2), label: AS_STORED });
      up.push({ view: sliceRows(fullView(s), a / 2, a / 2), label: AS_STORED });
    }
    if (transposed2) {
      const f = b / 2;
      gate.push({ view: sliceRows(fullView(s, true), 0, f), label: TRANSPOSED });
      up.push({ view: sliceRows(fullView(s, true), f, f), label: TRANSPOSED });
      gate.push({ view: interleavedHalf(s, a, f, 0), label: TRANSPOSED_INTERLEAVED });
      up.push({ view: interleavedHalf(s, a, f, 1), label: TRANSPOSED_INTERLEAVED });
    }
    out.push({ base: "mlp.gate.weight", role: "mlp.gate.weight", expert: x, fused: true, entry, views: gate });
    out.push({ base: "mlp.up.weight", role: "mlp.up.weight", expert: x, fused: true, entry, views: up });
  }
  return out;
}
function perExpertPart(entry, base2, expert, role) {
  return { base: base2, role, expert, fused: false, entry, views: [{ view: fullView(entry), label: AS_STORED }] };
}
function fittingViews(c, r) {
  const out = [];
  for (const rv of r.views) for (const cv of c.views) if (cv.view.rows === rv.view.rows && cv.view.cols === rv.view.cols) out.push({ candidate: cv, reference: rv });
  return out;
}
function expertTransform(relation, c, r) {
  return [
    ...c.fused ? ["split-experts"] : [],
    ...relation ? [relation] : [],
    ...r.fused ? ["split-reference-experts"] : [],
    ...c.label,
    ...r.label.map((w) => `reference-${w}`)
  ];
}

// src/align/names.ts
var COMPONENT_SEGMENTS = {
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
  auxiliary_head: "head"
};
var LANGUAGE_MARKERS = /(^|\.)(embed_tokens|lm_head|wte|tok_embeddings|word_embeddings|embed_in|embed_out)(\.|$)/;
var WRAPPERS = /* @__PURE__ */ new Set(["model", "module", "transformer", "base_model", "decoder", "language_model", "text_model", "llm"]);
var LAYER_CONTAINERS = /* @__PURE__ */ new Set(["layers", "blocks", "h", "layer", "block", "resblocks", "encoder_layers", "blk"]);
var SYNONYMS = {
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
  output_norm: "final_norm"
};
function detectComponent(name2) {
  const segs = name2.split(".");
  for (let i = 0; i < Math.min(2, segs.length - 1); i++) {
    const c = COMPONENT_SEGMENTS[segs[i]];
    if (c) return c;
    if (segs[i] !== "model") break;
  }
  return null;
}
function parseName(name2) {
  let segs = name2.split(".");
  let i = 0;
  while (i < segs.length - 1 && (WRAPPERS.has(segs[i]) || COMPONENT_SEGMENTS[segs[i]] !== void 0)) i++;
  segs = segs.slice(i);
  let layer = null;
  for (let j = 0; j + 1 < segs.length; j++) {
    if (LAYER_CONTAINERS.has(segs[j]) && /^\d+$/.test(segs[j + 1])) {
      layer = Number(segs[j + 1]);
      segs = segs.slice(j + 2);
      break;
    }
  }
  const mapped = segs.map((s) => SYNONYMS[s] ?? s);
  for (let j = 1; j < mapped.length; j++) {
    const parent = mapped[j - 1];
    if (parent === "attn" && (mapped[j] === "proj" || mapped[j] === "dense" || mapped[j] === "c_proj")) mapped[j] = "o";
    if (parent === "mlp" && (mapped[j] === "c_proj" || mapped[j] === "dense")) mapped[j] = "down";
  }
  if (layer === null && mapped.length === 2 && mapped[0] === "norm") mapped[0] = "final_norm";
  if (layer === null && mapped.length === 2 && mapped[0] === "output") mapped[0] = "head";
  return { layer, role: mapped.join(".") };
}
function globToRegExp(glob) {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`);
}
function assignComponents(names2, spec) {
  const out = /* @__PURE__ */ new Map();
  if (spec && spec.length) {
    const rules = spec.map((r) => ({ name: r.name, res: r.globs.map(globToRegExp) }));
    for (const n2 of names2) {
      const rule = rules.find((r) => r.res.some((re) => re.test(n2)));
      out.set(n2, rule ? { component: rule.name, ...parseName(n2) } : null);
    }
    return out;
  }
  const speechEncoder = names2.some((n2) => /(^|\.)encoder\.conv[12]\.weight$/.test(n2));
  const heads = names2.some((n2) => detectComponent(n2) === "head");
  const detected = names2.map(
    (n2) => detectComponent(n2) ?? (speechEncoder && /^(?:[^.]+\.)?encoder\.|(^|\.)mel_filters$/.test(n2) ? "audio" : heads && /^(?:model\.)?backbone\./.test(n2) ? "vision" : null)
  );
  const multimodal = detected.some((c) => c !== null && c !== "language");
  const detection = heads;
  const undetected = names2.filter((_, i) => detected[i] === null);
  const rest = detection && !detected.includes("language") && !undetected.some((n2) => LANGUAGE_MARKERS.test(n2)) ? "head" : taskHeadOf(detected, undetected) ?? "language";
  names2.forEach((n2, i) => {
    const c = detected[i] ?? (multimodal ? rest : "model");
    out.set(n2, { component: c === "language" && !multimodal ? "model" : c, ...parseName(n2) });
  });
  return out;
}
function taskHeadOf(detected, undetected) {
  const kinds = new Set(detected.filter((c) => c !== null));
  if (kinds.size !== 1 || kinds.has("language") || kinds.has("head") || undetected.length === 0) return null;
  if (undetected.some((n2) => LANGUAGE_MARKERS.test(n2) || parseName(n2).layer !== null)) return null;
  return [...kinds][0];
}
function componentKind(component) {
  return component === "model" ? "language" : component;
}
function expertRole(role) {
  const routed = /^(?:.*\.)?experts\.(\d+)\.(.+)$/.exec(role);
  if (routed) return { base: `mlp.${routed[2]}`, expert: Number(routed[1]) };
  const shared3 = /^(?:.*\.)?shared_experts?\.(.+)$/.exec(role);
  if (shared3) return { base: `mlp.${shared3[1]}`, expert: -1 };
  return null;
}

// src/align/depth-options.ts
var DEPTH_GROUPS = 2e6;
var MAX_OPTIONS = 1024;
var LAYER_MATCHED = ["layer-matched"];
var MAX_ELEMENTS = 1 << 25;
function pairDepthsByEvidence(comps, ctx) {
  let nextId = DEPTH_GROUPS;
  for (const comp of comps) {
    const kind = componentKind(comp.name);
    const refs = ctx.reference.filter((r) => {
      const info = ctx.rInfo.get(r.name);
      return info && info.layer === null && componentKind(info.component) === kind && r.shape.length >= 2;
    });
    const named = comp.pairs.filter((p) => p.layer === null && p.ambiguity === void 0 && !p.alternatives && p.transform.length === 0 && p.informative && p.candidate.entry.name === p.reference.entry.name);
    const loose = comp.unmatchedEntries.filter((u) => u.layer === null && u.entry.shape.length >= 2);
    const unused = refs.filter((r) => !ctx.usedRef.has(r.name));
    if (loose.length === 0 && unused.length === 0) continue;
    const byShape2 = /* @__PURE__ */ new Map();
    const shapeKey2 = (e2) => e2.shape.join("x");
    for (const r of refs) {
      const g = byShape2.get(shapeKey2(r)) ?? { cands: [], refs: [] };
      g.refs.push(r);
      byShape2.set(shapeKey2(r), g);
    }
    for (const c of [...named, ...loose]) byShape2.get(shapeKey2(entryOf(c)))?.cands.push(c);
    for (const g of byShape2.values()) {
      const options = g.cands.length * g.refs.length;
      if (g.cands.length === 0 || g.refs.length < 2 || options > MAX_OPTIONS || options * numel(g.refs[0].shape) > MAX_ELEMENTS) continue;
      const group = { component: comp.name, refs: g.refs, id: nextId };
      const pairs = g.cands.flatMap((c) => optionsOf(c, group, ctx));
      if (pairs.length === 0) continue;
      nextId++;
      comp.pairs = [...comp.pairs.filter((p) => !g.cands.includes(p)), ...pairs];
      comp.unmatchedEntries = comp.unmatchedEntries.filter((u) => !g.cands.includes(u));
      for (const r of g.refs) ctx.usedRef.add(r.name);
    }
    comp.unmatched = comp.unmatchedEntries.map((u) => u.entry.name);
    comp.unmatchedParameters = comp.unmatchedEntries.reduce((s, u) => s + numel(u.entry.shape), 0);
  }
}
function entryOf(c) {
  return "entry" in c ? c.entry : c.candidate.entry;
}
function optionsOf(c, { component, refs, id }, ctx) {
  const entry = entryOf(c);
  return refs.flatMap((r) => {
    const whole = ctx.pairWhole(entry, r);
    if (!whole || whole.transform.length > 0) return [];
    const role = ctx.rInfo.get(r.name).role;
    return [{ component, layer: null, role, candidate: whole.cv, reference: whole.rv, transform: r.name === entry.name ? AS_STORED : LAYER_MATCHED, informative: ctx.isInformative(whole.cv), ambiguity: id, manyToOne: true }];
  });
}

// src/align/operator.ts
function operatorShape(op) {
  switch (op.kind) {
    case "matrix":
      return [op.view.rows, op.view.cols];
    case "product":
      return [operatorShape(op.left)[0], operatorShape(op.right)[1]];
    case "sum":
      return operatorShape(op.terms[0]);
    case "stack": {
      const shapes = op.blocks.map(operatorShape);
      const along = op.axis === "rows" ? 0 : 1;
      const total = shapes.reduce((s, x) => s + x[along], 0);
      return op.axis === "rows" ? [total, shapes[0][1]] : [shapes[0][0], total];
    }
  }
}
function operatorTensors(op) {
  const out = [];
  const walk = (o) => {
    if (o.kind === "matrix") {
      if (!out.includes(o.view.entry)) out.push(o.view.entry);
    } else if (o.kind === "product") {
      walk(o.left);
      walk(o.right);
    } else (o.kind === "sum" ? o.terms : o.blocks).forEach(walk);
  };
  walk(op);
  return out;
}
function describeOperator(op) {
  switch (op.kind) {
    case "matrix":
      return op.view.entry.name + (op.view.transpose ? "\u1D40" : "");
    case "product":
      return `${describeOperator(op.left)} \xB7 ${describeOperator(op.right)}`;
    case "sum":
      return op.terms.map(describeOperator).join(" + ");
    case "stack":
      return `[${op.blocks.map(describeOperator).join(op.axis === "rows" ? "; " : " | ")}]`;
  }
}
function operatorFits(op, rows, cols) {
  if (!consistent(op)) return false;
  const [r, c] = operatorShape(op);
  return r === rows && c === cols;
}
function consistent(op) {
  switch (op.kind) {
    case "matrix":
      return true;
    case "product":
      return consistent(op.left) && consistent(op.right) && operatorShape(op.left)[1] === operatorShape(op.right)[0];
    case "sum": {
      const [r, c] = operatorShape(op.terms[0]);
      return op.terms.every((t) => consistent(t) && operatorShape(t)[0] === r && operatorShape(t)[1] === c);
    }
    case "stack": {
      const across = op.axis === "rows" ? 1 : 0;
      const size = operatorShape(op.blocks[0])[across];
      return op.blocks.every((b) => consistent(b) && operatorShape(b)[across] === size);
    }
  }
}

// src/align/factor-chains.ts
var MAX_SHAPE_OPTIONS = 512;
var FACTOR_NAMES = [
  { re: /_u_proj(?=\.|$)/, to: "_proj", side: "left", adapter: false },
  { re: /_v_proj(?=\.|$)/, to: "_proj", side: "right", adapter: false },
  { re: /\.BLinear(?=\.)/, to: "", side: "left", adapter: false },
  { re: /\.ALinear(?=\.)/, to: "", side: "right", adapter: false },
  { re: /\.lora_B(\.[^.]+)?(?=\.weight$)/, to: "", side: "left", adapter: true },
  { re: /\.lora_A(\.[^.]+)?(?=\.weight$)/, to: "", side: "right", adapter: true },
  { re: /\.lora_up(?=\.)/, to: "", side: "left", adapter: true },
  { re: /\.lora_down(?=\.)/, to: "", side: "right", adapter: true },
  { re: /\.base_layer(?=\.)/, to: "", side: "base", adapter: true }
];
var BLOCK_NAMES = [/^(.*)\.(\d+)(\.weight)$/, /^(.*\.weight)\.(\d+)()$/, /^(.*)[._](?:part|shard|block)_?(\d+)(\.weight)$/];
var keyOf = (kind, layer, role) => `${kind}|${layer ?? "-"}|${role}`;
var is2d = (e2) => e2.shape.length === 2 && e2.shape[0] >= 1 && e2.shape[1] >= 1;
var leaf = (e2) => ({ kind: "matrix", view: fullView(e2) });
function pairNamedFactors(comps, ctx) {
  const refs = /* @__PURE__ */ new Map();
  for (const e2 of ctx.reference) {
    const info = ctx.rInfo.get(e2.name);
    if (info && is2d(e2)) refs.set(keyOf(componentKind(info.component), info.layer, info.role), e2);
  }
  for (const comp of comps) {
    if (comp.unmatchedEntries.length === 0) continue;
    const taken = /* @__PURE__ */ new Set();
    const found = namedFactors(comp, refs, ctx.usedRef);
    for (const p of found) for (const t of p.tensors) taken.add(t.entry.name);
    found.push(...namedBlocks(comp, refs, ctx.usedRef, taken));
    record(comp, found, ctx.usedRef);
  }
}
function pairShapeChains(comps, ctx) {
  let nextGroup = 1;
  for (const comp of comps) {
    if (comp.unmatchedEntries.length < 2) continue;
    const found = [];
    for (const group of shapeChains(comp, ctx)) {
      const id = group.length > 1 ? nextGroup++ : void 0;
      for (const p of group) found.push(id === void 0 ? p : { ...p, ambiguity: id });
    }
    record(comp, found, ctx.usedRef);
  }
}
function record(comp, found, usedRef) {
  if (found.length === 0) return;
  const taken = new Set(found.flatMap((p) => p.tensors.map((t) => t.entry.name)));
  for (const p of found) usedRef.add(p.reference.name);
  comp.factored = [...comp.factored ?? [], ...found];
  comp.unmatchedEntries = comp.unmatchedEntries.filter((u) => !taken.has(u.entry.name));
  comp.unmatched = comp.unmatchedEntries.map((u) => u.entry.name);
  comp.unmatchedParameters = comp.unmatchedEntries.reduce((s, u) => s + u.entry.shape.reduce((a, b) => a * b, 1), 0);
}
function factorName(name2) {
  for (const f of FACTOR_NAMES) if (f.re.test(name2)) return { base: name2.replace(f.re, f.to), side: f.side, adapter: f.adapter };
  return null;
}
function namedFactors(comp, refs, usedRef) {
  const groups = /* @__PURE__ */ new Map();
  for (const u of comp.unmatchedEntries) {
    const f = is2d(u.entry) ? factorName(u.entry.name) : null;
    if (!f) continue;
    const g = groups.get(f.base) ?? { adapter: f.adapter };
    g[f.side] = u;
    groups.set(f.base, g);
  }
  const out = [];
  const kind = componentKind(comp.name);
  for (const [base2, g] of groups) {
    if (!g.left || !g.right) continue;
    const info = parseName(base2);
    const ref = refs.get(keyOf(kind, info.layer, info.role));
    if (!ref) continue;
    const paired = g.adapter ? comp.pairs.findIndex((p) => p.candidate.entry.name === base2 && p.transform.length === 0 && p.reference.entry.name === ref.name) : -1;
    if (usedRef.has(ref.name) && paired < 0) continue;
    const product2 = { kind: "product", left: leaf(g.left.entry), right: leaf(g.right.entry) };
    const tensors = [g.left, g.right];
    let op = product2;
    if (g.adapter) {
      const w = g.base ?? (paired >= 0 ? { entry: comp.pairs[paired].candidate.entry, kind, layer: info.layer, role: info.role } : null);
      if (w) {
        op = { kind: "sum", terms: [leaf(w.entry), product2] };
        if (!operatorFits(op, ref.shape[0], ref.shape[1])) continue;
        if (paired >= 0 && !g.base) comp.pairs.splice(paired, 1);
        tensors.unshift(w);
      }
    }
    if (!operatorFits(op, ref.shape[0], ref.shape[1])) continue;
    out.push({ component: comp.name, layer: info.layer, role: info.role, candidate: op, tensors, reference: ref, transform: [op.kind === "sum" ? "adapter-unmerged" : "factored"] });
  }
  return out;
}
function namedBlocks(comp, refs, usedRef, taken) {
  const groups = /* @__PURE__ */ new Map();
  for (const u of comp.unmatchedEntries) {
    if (!is2d(u.entry) || taken.has(u.entry.name)) continue;
    for (const re of BLOCK_NAMES) {
      const m = re.exec(u.entry.name);
      if (!m) continue;
      const base2 = `${m[1]}${m[3]}`;
      groups.set(base2, [...groups.get(base2) ?? [], { index: Number(m[2]), u }]);
      break;
    }
  }
  const out = [];
  const kind = componentKind(comp.name);
  for (const [base2, blocks] of groups) {
    if (blocks.length < 2) continue;
    const info = parseName(base2);
    const ref = refs.get(keyOf(kind, info.layer, info.role));
    if (!ref || usedRef.has(ref.name)) continue;
    const ordered = [...blocks].sort((a, b) => a.index - b.index).map((b) => b.u);
    for (const axis of ["rows", "cols"]) {
      const op = { kind: "stack", axis, blocks: ordered.map((u) => leaf(u.entry)) };
      if (!operatorFits(op, ref.shape[0], ref.shape[1])) continue;
      out.push({ component: comp.name, layer: info.layer, role: info.role, candidate: op, tensors: ordered, reference: ref, transform: [axis === "rows" ? "split-rows" : "split-cols"] });
      break;
    }
  }
  return out;
}
function shapeOptions(pool2, a, b) {
  const out = [];
  for (const x of pool2) {
    const [xr, xc] = x.entry.shape;
    for (const y of pool2) {
      if (y === x) continue;
      const [yr, yc] = y.entry.shape;
      const pair = [x, y];
      if (xr === a && yc === b && xc === yr && xc < Math.min(a, b)) out.push({ op: { kind: "product", left: leaf(x.entry), right: leaf(y.entry) }, tensors: pair, transform: ["renamed", "factored"] });
      if (xc === b && yc === b && xr + yr === a) out.push({ op: { kind: "stack", axis: "rows", blocks: [leaf(x.entry), leaf(y.entry)] }, tensors: pair, transform: ["renamed", "split-rows"] });
      if (xr === a && yr === a && xc + yc === b) out.push({ op: { kind: "stack", axis: "cols", blocks: [leaf(x.entry), leaf(y.entry)] }, tensors: pair, transform: ["renamed", "split-cols"] });
    }
  }
  return out;
}
function shapeChains(comp, ctx) {
  const kind = componentKind(comp.name);
  const byLayer = /* @__PURE__ */ new Map();
  for (const u of comp.unmatchedEntries) {
    if (!is2d(u.entry)) continue;
    byLayer.set(u.layer, [...byLayer.get(u.layer) ?? [], u]);
  }
  const groups = [];
  for (const [layer, pool2] of byLayer) {
    if (pool2.length < 2) continue;
    const free = ctx.reference.filter((e2) => {
      const info = ctx.rInfo.get(e2.name);
      return info && is2d(e2) && !ctx.usedRef.has(e2.name) && info.layer === layer && (ctx.anyKind || componentKind(info.component) === kind);
    });
    const options = [];
    for (const ref of free) {
      const info = ctx.rInfo.get(ref.name);
      for (const o of shapeOptions(pool2, ref.shape[0], ref.shape[1])) {
        options.push({ component: comp.name, layer, role: info.role, candidate: o.op, tensors: o.tensors, reference: ref, transform: o.transform });
      }
    }
    if (options.length === 0 || options.length > MAX_SHAPE_OPTIONS) continue;
    groups.push(...connected(options));
  }
  return groups;
}
function connected(options) {
  const parent = options.map((_, i) => i);
  const find = (i) => parent[i] === i ? i : parent[i] = find(parent[i]);
  const owner = /* @__PURE__ */ new Map();
  options.forEach((o, i) => {
    for (const name2 of [o.reference.name, ...o.tensors.map((t) => t.entry.name)]) {
      const j = owner.get(name2);
      if (j === void 0) owner.set(name2, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = /* @__PURE__ */ new Map();
  options.forEach((o, i) => groups.set(find(i), [...groups.get(find(i)) ?? [], o]));
  return [...groups.values()];
}

// src/align/port-layouts.ts
var TAPS_SWAPPED = "layout:taps-swapped";
var FLATTEN_TO_HWC = "layout:flatten-chw-to-hwc";
var FLATTEN_TO_CHW = "layout:flatten-hwc-to-chw";
var MAX_CHANNEL_OPTIONS = 2;
function portContext(candidate) {
  const convChannels = /* @__PURE__ */ new Set();
  const denseDims = /* @__PURE__ */ new Map();
  for (const e2 of candidate) {
    if (e2.shape.length === 4) {
      const o = layoutOptions(e2.name, e2.shape)[0];
      const out = canonicalShape(e2.shape, o.axes)[0];
      if (out > 1) convChannels.add(out);
    } else if (e2.shape.length === 2) {
      for (const d of new Set(e2.shape)) denseDims.set(d, (denseDims.get(d) ?? 0) + 1);
    }
  }
  return { convChannels: [...convChannels], denseDims };
}
var isWhole = (v) => v.rowStart === 0 && !v.columnOrder && viewElements(v) === numel(v.entry.shape);
var join = (transform, extra) => [...transform, extra];
var sameShape = (a, b) => a.length === b.length && a.every((d, i) => d === b[i]);
function tapsSwapped(look, reference) {
  const c = look.candidate;
  const shape = c.entry.shape;
  if (shape.length !== 4 || reference.entry.shape.length !== 4 || !isWhole(c) || !isWhole(reference) || c.transpose || reference.transpose) return null;
  const axes = c.axes ? [...c.axes] : [0, 1, 2, 3];
  if (shape[axes[2]] === 1 || shape[axes[3]] === 1) return null;
  [axes[2], axes[3]] = [axes[3], axes[2]];
  if (!sameShape(canonicalShape(shape, axes), canonicalShape(reference.entry.shape, reference.axes ?? null))) return null;
  return { candidate: layoutView(c.entry, axes), reference, transform: join(look.transform, TAPS_SWAPPED) };
}
var isSquareNumber = (n2) => Number.isInteger(Math.sqrt(n2));
function flattenChannels(inputs, units, ctx) {
  if (inputs === units || (ctx.denseDims.get(inputs) ?? 0) > 1) return [];
  return ctx.convChannels.filter((c) => inputs % c === 0 && inputs / c >= 2).sort((a, b) => Number(isSquareNumber(inputs / b)) - Number(isSquareNumber(inputs / a)) || b - a).slice(0, MAX_CHANNEL_OPTIONS);
}
function flattenOrders(look, reference, ctx) {
  const c = look.candidate;
  if (c.entry.shape.length !== 2 || !isWhole(c) || !isWhole(reference) || c.cols !== reference.cols || c.rows !== reference.rows) return [];
  const out = [];
  for (const channels of flattenChannels(c.cols, c.rows, ctx)) {
    const spatial = c.cols / channels;
    out.push({ candidate: { ...c, columnOrder: { groups: channels, size: spatial } }, reference, transform: join(look.transform, FLATTEN_TO_HWC) });
    if (spatial !== channels) out.push({ candidate: { ...c, columnOrder: { groups: spatial, size: channels } }, reference, transform: join(look.transform, FLATTEN_TO_CHW) });
  }
  return out;
}
function withPortLooks(pair, ctx) {
  const own = { candidate: pair.candidate, reference: pair.reference, transform: pair.transform };
  const looks = [own, ...pair.alternatives ?? []];
  const seen = new Set(looks.map((l) => `${viewKey(l.candidate)}|${viewKey(l.reference ?? pair.reference)}`));
  const added = [];
  for (const look of looks) {
    const reference = look.reference ?? pair.reference;
    const swapped = tapsSwapped(look, reference);
    for (const alt of [...swapped ? [swapped] : [], ...flattenOrders(look, reference, ctx)]) {
      const key = `${viewKey(alt.candidate)}|${viewKey(reference)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      added.push(alt);
    }
  }
  return added.length ? { ...pair, alternatives: [...pair.alternatives ?? [], ...added] } : pair;
}
function addPortAlternatives(components, candidate) {
  const ctx = portContext(candidate);
  for (const comp of components) comp.pairs = comp.pairs.map((p) => withPortLooks(p, ctx));
}

// src/align/pair-layouts.ts
var MIN_INFORMATIVE_ELEMENTS = 64;
var MIN_INFORMATIVE_SIDE = 8;
function isInformative(v) {
  return v.entry.shape.length >= 2 && v.rows >= 2 && v.cols >= 2 && Math.max(v.rows, v.cols) >= MIN_INFORMATIVE_SIDE && viewElements(v) >= MIN_INFORMATIVE_ELEMENTS;
}
var NO_FAMILIES = { candidate: null, reference: null };
function layoutTransform(c, r) {
  if (c === r) return AS_STORED;
  if (r === NATIVE) return [c];
  return c === NATIVE ? [`reference-${r}`] : [c, `reference-${r}`];
}
function pairLayouts(c, r, families = NO_FAMILIES) {
  const cOpts = layoutOptionsIn(c.name, c.shape, families.candidate);
  const rOpts = layoutOptionsIn(r.name, r.shape, families.reference);
  const onlyNative = (opts) => opts.length === 1 && opts[0].label === NATIVE;
  if (onlyNative(rOpts) && onlyNative(cOpts)) return pairWhole(c, r);
  const fits = [];
  for (const ro of rOpts) {
    const want = canonicalShape(r.shape, ro.axes);
    for (const co of cOpts) {
      const got = canonicalShape(c.shape, co.axes);
      if (got.length === want.length && got.every((d, i) => d === want[i])) fits.push({ candidate: layoutView(c, co.axes), reference: layoutView(r, ro.axes), transform: layoutTransform(co.label, ro.label) });
    }
  }
  if (fits.length === 0) return rOpts.some((o) => o.label === NATIVE) && cOpts.some((o) => o.label === NATIVE) ? pairWhole(c, r) : null;
  const [first, ...rest] = fits;
  return { cv: first.candidate, rv: first.reference, transform: first.transform, ...rest.length ? { alternatives: rest } : {} };
}
function pairWhole(c, r) {
  const [cr, cc] = storedMatrixShape(c.shape);
  const [rr, rc] = storedMatrixShape(r.shape);
  if (cr === rr && cc === rc) return { cv: fullView(c), rv: fullView(r), transform: AS_STORED };
  if (c.shape.length === 2 && r.shape.length === 2 && cr === rc && cc === rr) {
    return { cv: fullView(c, true), rv: fullView(r), transform: ["transpose"] };
  }
  if (c.shape.length === r.shape.length) {
    const rows = Math.min(cr, rr);
    const cols = Math.min(cc, rc);
    if (rows * cols * 2 >= Math.min(cr * cc, rr * rc)) {
      return { cv: leadingBlock(fullView(c), rows, cols), rv: leadingBlock(fullView(r), rows, cols), transform: ["leading-block"] };
    }
  }
  return null;
}
function splitFused(fused, parts) {
  const partShapes = parts.map((p) => storedMatrixShape(p.shape));
  const [fr, fc] = storedMatrixShape(fused.shape);
  const vector = fused.shape.length === 1;
  for (const fT of vector ? [false] : [false, true]) {
    for (const pT of vector ? [false] : [false, true]) {
      const [fRows, fCols] = fT ? [fc, fr] : [fr, fc];
      const pc = partShapes.map(([r, c]) => pT ? [c, r] : [r, c]);
      if (pc.some(([, c]) => c !== fCols)) continue;
      if (pc.reduce((s, [r]) => s + r, 0) !== fRows) continue;
      let start = 0;
      const fusedViews = [];
      const partViews = [];
      parts.forEach((p, i) => {
        fusedViews.push(sliceRows(fullView(fused, fT), start, pc[i][0]));
        partViews.push(fullView(p, pT));
        start += pc[i][0];
      });
      return { fusedViews, partViews, transposed: fT || pT };
    }
  }
  return null;
}

// src/align/structural.ts
var STANDARD = /* @__PURE__ */ new Set(["language", "vision", "audio", "projector"]);
var MAX_WIDE_OPTIONS = 256;
var ROLE_ORDER = ["q", "k", "v", "qkv", "o", "gate", "up", "gate_up", "down"];
function roleRank(role) {
  const segs = role.split(".");
  const i = ROLE_ORDER.findIndex((r) => segs.includes(r));
  return i < 0 ? ROLE_ORDER.length : i;
}
function naturalCompare(a, b) {
  return a.localeCompare(b, "en", { numeric: true });
}
function pairWideInOrder(widened, options, still, { layerOfRef, rInfo }) {
  const byShape2 = /* @__PURE__ */ new Map();
  for (const u of widened) {
    const v = options.get(u)[0].whole.cv;
    const key = `${v.rows}x${v.cols}`;
    byShape2.set(key, [...byShape2.get(key) ?? [], u]);
  }
  for (const cands of byShape2.values()) {
    const refs = /* @__PURE__ */ new Map();
    for (const u of cands) for (const o of options.get(u)) refs.set(o.ref.name, o.ref);
    if (cands.length * refs.size <= MAX_WIDE_OPTIONS) continue;
    const orderedRefs = [...refs.values()].sort(
      (a, b) => (layerOfRef(a) ?? -1) - (layerOfRef(b) ?? -1) || roleRank(rInfo.get(a.name).role) - roleRank(rInfo.get(b.name).role) || naturalCompare(a.name, b.name)
    );
    const candLayer = (u) => u.layer ?? genericLayer(u.entry.name) ?? -1;
    const orderedCands = [...cands].sort((a, b) => candLayer(a) - candLayer(b) || roleRank(a.role) - roleRank(b.role) || naturalCompare(a.entry.name, b.entry.name));
    orderedCands.forEach((u, i) => {
      const ref = orderedRefs[i];
      const o = ref ? options.get(u).find((x) => x.ref.name === ref.name) : void 0;
      if (o) options.set(u, [o]);
      else {
        options.delete(u);
        still.push(u);
      }
    });
  }
}
function genericLayer(name2) {
  const segs = name2.split(".");
  if (segs.length === 1) return null;
  const seg = segs.find((x) => /^\d+$/.test(x));
  return seg === void 0 ? null : Number(seg);
}
function structuralFallback(comps, { reference, rInfo, usedRef, families, anyKind }) {
  let nextId = 1;
  for (const comp of comps.values()) {
    if (comp.unmatchedEntries.length === 0) continue;
    const kind = componentKind(comp.name);
    const free = reference.filter((e2) => {
      const info = rInfo.get(e2.name);
      return info && !usedRef.has(e2.name) && (anyKind || !STANDARD.has(kind) || componentKind(info.component) === kind);
    });
    const layerOfRef = (e2) => rInfo.get(e2.name).layer ?? genericLayer(e2.name);
    const still = [];
    const widened = [];
    const options = /* @__PURE__ */ new Map();
    for (const u of comp.unmatchedEntries) {
      const layer = u.layer ?? genericLayer(u.entry.name);
      const fitsIn = (refs) => refs.map((r) => ({ ref: r, whole: pairLayouts(u.entry, r, families) })).filter((x) => x.whole !== null && !isOnly(x.whole.transform, "leading-block"));
      let fits = fitsIn(free.filter((r) => layerOfRef(r) === layer));
      let wide = false;
      if (fits.length === 0) {
        fits = fitsIn(layer === null ? free : free.filter((r) => layerOfRef(r) === null));
        wide = true;
      }
      const same = fits.filter((f) => !isOnly(f.whole.transform, "transpose"));
      const chosen = same.length ? same : fits;
      if (chosen.length) {
        options.set(u, chosen);
        if (wide) widened.push(u);
      } else still.push(u);
    }
    pairWideInOrder(widened, options, still, { layerOfRef, rInfo });
    nextId = pairGroups(comp, options, { rInfo, usedRef, nextId });
    comp.unmatchedEntries = still;
    comp.unmatched = still.map((x) => x.entry.name);
    comp.unmatchedParameters = still.reduce((sum, x) => sum + numel(x.entry.shape), 0);
  }
}
function pairGroups(comp, options, g) {
  const { rInfo, usedRef } = g;
  let nextId = g.nextId;
  const seen = /* @__PURE__ */ new Set();
  for (const u of options.keys()) {
    if (seen.has(u)) continue;
    const group = [];
    const refs = /* @__PURE__ */ new Set();
    const queue = [u];
    seen.add(u);
    while (queue.length) {
      const x = queue.pop();
      group.push(x);
      for (const o of options.get(x)) refs.add(o.ref.name);
      for (const y of options.keys()) {
        if (!seen.has(y) && options.get(y).some((o) => refs.has(o.ref.name))) {
          seen.add(y);
          queue.push(y);
        }
      }
    }
    const ambiguous = group.length > 1 || options.get(u).length > 1;
    const id = ambiguous ? nextId++ : void 0;
    for (const c of group) {
      for (const o of options.get(c)) {
        const info = rInfo.get(o.ref.name);
        comp.pairs.push({
          component: comp.name,
          layer: c.layer ?? genericLayer(c.entry.name),
          role: info.role,
          candidate: o.whole.cv,
          reference: o.whole.rv,
          transform: ["renamed", ...o.whole.transform],
          informative: isInformative(o.whole.cv),
          ambiguity: id,
          ...o.whole.alternatives ? { alternatives: o.whole.alternatives.map((a) => ({ ...a, transform: ["renamed", ...a.transform] })) } : {}
        });
        usedRef.add(o.ref.name);
      }
    }
  }
  return nextId;
}

// src/align/align.ts
var FUSED = [
  { fused: /(^|\.)qkv(\.|$)/, parts: ["q", "k", "v"], transform: "split-qkv" },
  { fused: /(^|\.)gate_up(\.|$)/, parts: ["gate", "up"], transform: "split-gate-up" }
];
function keyOf2(kind, layer, role) {
  return `${kind}|${layer ?? "-"}|${role}`;
}
function isCounter(e2) {
  return numel(e2.shape) <= 1 && /^(I|U)\d+$|^BOOL$/.test(e2.dtype);
}
function alignModels(candidate, reference, spec) {
  const ctx = alignContext(candidate, reference, spec);
  const comps = /* @__PURE__ */ new Map();
  const excluded = [];
  for (const entry of candidate) {
    const info = ctx.cInfo.get(entry.name);
    if (!info) {
      excluded.push(entry.name);
      continue;
    }
    let comp = comps.get(info.component);
    if (!comp) {
      comp = { name: info.component, candidateParameters: 0, candidateTensors: 0, pairs: [], unmatched: [], unmatchedParameters: 0, unmatchedEntries: [] };
      comps.set(info.component, comp);
    }
    comp.candidateParameters += numel(entry.shape);
    comp.candidateTensors++;
    if (isCounter(entry)) continue;
    const t = { entry, info, comp, kind: componentKind(info.component), ex: expertRole(info.role) };
    if (MATCHERS.some((match) => match(ctx, t))) continue;
    comp.unmatched.push(entry.name);
    comp.unmatchedParameters += numel(entry.shape);
    comp.unmatchedEntries.push({ entry, kind: t.kind, layer: info.layer, role: info.role });
  }
  const { rInfo, usedRef, families, singleComponent } = ctx;
  const factorContext = { reference, rInfo, usedRef, anyKind: singleComponent };
  pairNamedFactors(comps.values(), factorContext);
  structuralFallback(comps, { ...factorContext, families });
  pairShapeChains(comps.values(), factorContext);
  pairDepthsByEvidence(comps.values(), { reference, rInfo, usedRef, pairWhole: (c, r) => pairLayouts(c, r, families), isInformative });
  addPortAlternatives(comps.values(), candidate);
  return {
    components: [...comps.values()],
    excludedTensors: excluded,
    referenceUnmatched: reference.filter((t) => !usedRef.has(t.name)).length,
    referenceTensors: reference.flatMap((entry) => {
      const info = rInfo.get(entry.name);
      return info ? [{ entry, kind: componentKind(info.component), layer: info.layer, role: info.role }] : [];
    })
  };
}
var MATCHERS = [matchRoutedExperts, matchSharedExpert, matchWhole, matchFused, matchDenseToExperts];
function alignContext(candidate, reference, spec) {
  const cInfo = assignComponents(
    candidate.map((t) => t.name),
    spec
  );
  const rInfo = assignComponents(reference.map((t) => t.name));
  const refByKey = /* @__PURE__ */ new Map();
  for (const entry of reference) {
    const info = rInfo.get(entry.name);
    if (!info) continue;
    refByKey.set(keyOf2(componentKind(info.component), info.layer, info.role), { entry, info });
  }
  const roleIn = (infos) => (e2) => infos.get(e2.name)?.role ?? null;
  const { routed: refExperts, shared: refShared } = expertIndex(reference, rInfo, hiddenWidths(reference, roleIn(rInfo)));
  return {
    candidate,
    cInfo,
    rInfo,
    families: { candidate: modelLayoutFamily(candidate), reference: modelLayoutFamily(reference) },
    refByKey,
    singleComponent: new Set([...cInfo.values()].flatMap((i) => i ? [i.component] : [])).size === 1,
    cHidden: hiddenWidths(candidate, roleIn(cInfo)),
    refExperts,
    refShared,
    candMoe: moeLayers(cInfo),
    refMoe: moeLayers(rInfo),
    usedRef: /* @__PURE__ */ new Set(),
    expertGroups: /* @__PURE__ */ new Map(),
    nextExpertGroup: EXPERT_GROUPS
  };
}
function moeLayers(infos) {
  return new Set([...infos.values()].filter((i) => i !== null && expertRole(i.role) !== null).map((i) => `${componentKind(i.component)}|${i.layer}`));
}
function isRouter(info, moe) {
  return info.role === "mlp.gate.weight" && moe.has(`${componentKind(info.component)}|${info.layer}`);
}
function lookupAll(ctx, info, role) {
  const kind = componentKind(info.component);
  const kinds = STANDARD.has(kind) && !ctx.singleComponent ? [kind] : [kind, ...[...STANDARD].filter((k) => k !== kind)];
  return kinds.map((k) => ctx.refByKey.get(keyOf2(k, info.layer, role))).filter((x) => x !== void 0);
}
function denseOf(ctx, info, base2) {
  return lookupAll(ctx, { ...info, role: base2 }, base2).find((r) => !isRouter(r.info, ctx.refMoe));
}
function addPair(ctx, t, p) {
  t.comp.pairs.push({ component: t.info.component, layer: t.info.layer, role: p.role, candidate: p.cv, reference: p.rv, transform: p.transform, informative: isInformative(p.cv), ...p.alternatives ? { alternatives: p.alternatives } : {} });
  ctx.usedRef.add(p.rv.entry.name);
}
function pairOne(ctx, t, m) {
  const { c, r, relation, ambiguity } = m;
  const fits = fittingViews(c, r);
  if (fits.length === 0) return false;
  const transform = (f) => expertTransform(relation, { fused: c.fused, label: f.candidate.label }, { fused: r.fused, label: f.reference.label });
  const [first, ...rest] = fits;
  t.comp.pairs.push({
    component: t.info.component,
    layer: t.info.layer,
    role: r.role,
    candidate: first.candidate.view,
    reference: first.reference.view,
    transform: transform(first),
    informative: isInformative(first.candidate.view),
    ...ambiguity !== void 0 ? { ambiguity } : {},
    ...rest.length ? { alternatives: rest.map((f) => ({ candidate: f.candidate.view, reference: f.reference.view, transform: transform(f) })) } : {}
  });
  ctx.usedRef.add(r.entry.name);
  return true;
}
function pairWithExperts(ctx, t, part, relation) {
  const refs = (ctx.refExperts.get(keyOf2(t.kind, t.info.layer, part.base)) ?? []).filter((r) => fittingViews(part, r).length > 0);
  if (refs.length === 0 || refs.length > MAX_DENSE_OF_EXPERT_OPTIONS) return false;
  const id = refs.length > 1 ? ctx.nextExpertGroup++ : void 0;
  for (const r of refs) pairOne(ctx, t, { c: part, r, relation, ambiguity: id });
  return true;
}
function matchRoutedExperts(ctx, t) {
  const { entry, info, ex } = t;
  const parts = ex ? ex.expert >= 0 ? [perExpertPart(entry, ex.base, ex.expert, info.role)] : null : fusedExpertParts(entry, info.role, ctx.cHidden);
  if (!parts) return false;
  let any = false;
  for (const part of parts) {
    const k = keyOf2(t.kind, info.layer, part.base);
    const refs = (ctx.refExperts.get(k) ?? []).filter((r) => fittingViews(part, r).length > 0);
    if (refs.length > MAX_EXPERT_OPTIONS) {
      const same = refs.find((r) => r.expert === part.expert) ?? refs[Math.max(0, part.expert) % refs.length];
      if (pairOne(ctx, t, { c: part, r: same, relation: null })) {
        const pair = t.comp.pairs[t.comp.pairs.length - 1];
        pair.expertSlot = { group: keyOf2(t.kind, info.layer, "experts"), part, refs: ctx.refExperts.get(k), relation: "expert-matched", informative: pair.informative };
        any = true;
      }
      continue;
    }
    if (refs.length > 0) {
      let id;
      if (refs.length > 1) {
        id = ctx.expertGroups.get(k);
        if (id === void 0) ctx.expertGroups.set(k, id = ctx.nextExpertGroup++);
      }
      for (const r of refs) pairOne(ctx, t, { c: part, r, relation: "expert-matched", ambiguity: id });
      any = true;
      continue;
    }
    const dense = denseOf(ctx, info, part.base);
    if (dense && pairOne(ctx, t, { c: part, r: perExpertPart(dense.entry, part.base, -1, dense.info.role), relation: "expert-of-dense" })) any = true;
  }
  return any;
}
function matchSharedExpert(ctx, t) {
  const { entry, info, ex } = t;
  if (!ex || ex.expert >= 0) return false;
  const shared3 = ctx.refShared.get(keyOf2(t.kind, info.layer, ex.base));
  const part = perExpertPart(entry, ex.base, -1, info.role);
  if (shared3 && pairOne(ctx, t, { c: part, r: perExpertPart(shared3.entry, ex.base, -1, shared3.info.role), relation: shared3.info.role === info.role ? null : "shared-expert" })) return true;
  const dense = denseOf(ctx, info, ex.base);
  if (dense && pairOne(ctx, t, { c: part, r: perExpertPart(dense.entry, ex.base, -1, dense.info.role), relation: "shared-expert-of-dense" })) return true;
  return pairWithExperts(ctx, t, part, "shared-expert-of-expert");
}
var RANK = (t) => t.length === 0 ? 0 : isOnly(t, "transpose") || isLayout(t[0]) || t.some((k) => k.startsWith("reference-layout:")) ? 1 : 2;
function matchWhole(ctx, t) {
  const { entry, info } = t;
  if (isRouter(info, ctx.candMoe) !== isRouter(info, ctx.refMoe)) return false;
  const whole = lookupAll(ctx, info, info.role).map((r) => pairLayouts(entry, r.entry, ctx.families)).filter((x) => x !== null).sort((a, b) => RANK(a.transform) - RANK(b.transform))[0] ?? null;
  if (!whole) return false;
  addPair(ctx, t, { cv: whole.cv, rv: whole.rv, role: info.role, transform: whole.transform, alternatives: whole.alternatives });
  return true;
}
function matchFused(ctx, t) {
  const { entry, info } = t;
  for (const f of FUSED) {
    if (f.fused.test(info.role)) {
      const partRoles2 = f.parts.map((p) => info.role.replace(f.fused, (m2, a, b) => `${a}${p}${b}`));
      const parts = partRoles2.map((r) => lookupAll(ctx, info, r)[0]);
      if (!parts.every((p) => p)) continue;
      const s2 = splitFused(entry, parts.map((p) => p.entry));
      if (!s2) continue;
      s2.fusedViews.forEach((fv, i) => addPair(ctx, t, { cv: fv, rv: s2.partViews[i], role: partRoles2[i], transform: s2.transposed ? ["transpose", f.transform] : [f.transform] }));
      return true;
    }
    const m = f.parts.findIndex((p) => new RegExp(`(^|\\.)${p}(\\.|$)`).test(info.role));
    if (m < 0) continue;
    const fusedRole = info.role.replace(new RegExp(`(^|\\.)${f.parts[m]}(\\.|$)`), (_x, a, b) => `${a}${f.parts.join("_").replace("q_k_v", "qkv")}${b}`);
    const fused = lookupAll(ctx, info, fusedRole)[0];
    if (!fused) continue;
    const partRoles = f.parts.map((p) => fusedRole.replace(f.fused, (_x, a, b) => `${a}${p}${b}`));
    const siblings = partRoles.map(
      (r) => ctx.candidate.find((c) => {
        const i2 = ctx.cInfo.get(c.name);
        return i2 && i2.component === info.component && i2.layer === info.layer && i2.role === r;
      })
    );
    if (siblings.some((x) => !x)) continue;
    const s = splitFused(fused.entry, siblings.map((x) => x));
    if (!s) continue;
    addPair(ctx, t, { cv: s.partViews[m], rv: s.fusedViews[m], role: info.role, transform: s.transposed ? ["transpose", f.transform] : [f.transform] });
    return true;
  }
  return false;
}
function matchDenseToExperts(ctx, t) {
  const { entry, info } = t;
  if (t.ex || !DENSE_MLP.test(info.role) || isRouter(info, ctx.candMoe)) return false;
  const part = perExpertPart(entry, info.role, -1, info.role);
  const shared3 = ctx.refShared.get(keyOf2(t.kind, info.layer, info.role));
  return shared3 !== void 0 && pairOne(ctx, t, { c: part, r: perExpertPart(shared3.entry, info.role, -1, shared3.info.role), relation: "dense-of-shared-expert" }) || pairWithExperts(ctx, t, part, "dense-of-expert");
}
var EXPERT_GROUPS = 1e6;
var MAX_EXPERT_OPTIONS = 4;
var MAX_DENSE_OF_EXPERT_OPTIONS = 16;
var DENSE_MLP = /^mlp\.(gate|up|down)\.weight$/;
function expertIndex(reference, rInfo, hidden) {
  const routed = /* @__PURE__ */ new Map();
  const shared3 = /* @__PURE__ */ new Map();
  for (const entry of reference) {
    const info = rInfo.get(entry.name);
    if (!info) continue;
    const kind = componentKind(info.component);
    const ex = expertRole(info.role);
    if (ex && ex.expert < 0) {
      shared3.set(keyOf2(kind, info.layer, ex.base), { entry, info });
      continue;
    }
    const parts = ex ? [perExpertPart(entry, ex.base, ex.expert, info.role)] : fusedExpertParts(entry, info.role, hidden) ?? [];
    for (const p of parts) {
      const k = keyOf2(kind, info.layer, p.base);
      routed.set(k, [...routed.get(k) ?? [], p]);
    }
  }
  return { routed, shared: shared3 };
}

// src/common/errors.ts
var FromScratchError = class extends Error {
  kind;
  /** Stable code (`kind` or `kind.detail`); see ErrorCode. */
  code;
  constructor(kind, message, code = kind) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.name = "FromScratchError";
  }
};
var UsageError = class extends FromScratchError {
  constructor(message, code = "usage") {
    super("usage", message, code);
    this.name = "UsageError";
  }
};
var FormatError = class extends FromScratchError {
  file;
  tensor;
  constructor(file, problem, tensor, code = "format") {
    super("format", `${file}${tensor ? ` (tensor ${JSON.stringify(tensor)})` : ""}: ${problem}`, code);
    this.file = file;
    this.tensor = tensor;
    this.name = "FormatError";
  }
};
var FetchError = class extends FromScratchError {
  status;
  constructor(message, status, code = status === 404 ? "fetch.not-found" : "fetch") {
    super("fetch", message, code);
    this.status = status;
    this.name = "FetchError";
  }
};
var AuthError = class extends FromScratchError {
  status;
  constructor(message, status, code = "auth.denied") {
    super("auth", message, code);
    this.status = status;
    this.name = "AuthError";
  }
};
var InternalError = class extends FromScratchError {
  /** The original stack, printed after the verdict. */
  detail;
  constructor(cause) {
    super("internal", `internal error: ${cause?.message ?? String(cause)} (a bug: please report it)`);
    this.detail = cause?.stack ?? String(cause);
    this.name = "InternalError";
  }
};
var EXIT = {
  pass: 0,
  gateFailed: 1,
  badInput: 2,
  fetchFailed: 3,
  internal: 4
};
function exitCodeFor(err) {
  if (err instanceof FromScratchError) {
    if (err.kind === "internal") return EXIT.internal;
    return err.kind === "usage" || err.kind === "format" ? EXIT.badInput : EXIT.fetchFailed;
  }
  return EXIT.internal;
}

// src/common/version.ts
var VERSION = "0.1.0";
var COMMAND = "fromscratch-weights";

// src/report/evidence.ts
function comparedParametersOf(tensors) {
  return tensors.filter(isCompared).reduce((s, t) => s + t.elements, 0);
}
var isCompared = (t) => t.informative && t.pearson !== null && !t.error;

// src/common/words.ts
function count(n2, singular, plural2 = `${singular}s`) {
  return `${n2.toLocaleString("en-US")} ${n2 === 1 ? singular : plural2}`;
}

// src/report/format.ts
var fmtPct = (x) => `${(100 * x).toFixed(x > 0 && x < 1e-3 ? 3 : 1)}%`;
var fmtR = (x) => x === null || x === void 0 ? "n/a" : x.toFixed(3);
var fmtZ = (x) => x === null || x === void 0 ? "n/a" : x.toFixed(1);
var fmtInt = (x) => x.toLocaleString("en-US");
var fmtNull = (n2) => n2 ? `${n2.mean.toFixed(3)} \xB1 ${n2.sd.toFixed(3)}` : "n/a";
var P_FLOOR_LOG10 = -300;
function fmtP(log10p) {
  if (log10p === null || log10p === void 0) return "n/a";
  if (log10p < P_FLOOR_LOG10) return `< 1e${P_FLOOR_LOG10} (log10 p ${log10p.toFixed(1)})`;
  if (log10p > -2) return (10 ** log10p).toPrecision(2);
  const e2 = Math.floor(log10p);
  const m = 10 ** (log10p - e2);
  return m >= 9.95 ? `1e${e2 + 1}` : `${m.toFixed(1).replace(/\.0$/, "")}e${e2}`;
}
function decisionRule(th, family) {
  const fam = family ? `${family.size} (${count(family.components, "component")} \xD7 ${count(family.references, "reference")})` : "components \xD7 references";
  return `A component is reused (copied, fine-tuned, or trained from a shared initialisation: weights alone cannot tell these apart) when the combination of its tensors' permutation-test p-values (a truncated Cauchy combination, valid under their dependence), Bonferroni-corrected over ${fam} tests, is at most ${fmtP(Math.log10(th.level))} and its strongest tensor's effect (Pearson of standardised units) is at least ${th.minEffect}${th.minShare > 0 ? `, over at least ${fmtPct(th.minShare)} of its parameters` : ""}; between ${fmtP(Math.log10(th.level))} and ${fmtP(Math.log10(th.reviewLevel))} it is inconclusive. Shared constructions (sinusoid and rotary tables, filterbanks, DFT bases, identity, constants) carry no evidence. Raw cosine is shown, never used.`;
}
function nothingComparable(r) {
  return !r.error && r.components.every((c) => c.comparable === false);
}
function nothingComparableWarning(r, failOn, entry) {
  const strict = entry === "action" ? "`fail-on: inconclusive`" : "`--fail-on inconclusive`";
  const gate = failOn === "inconclusive" ? ", so the gate fails (fail-on inconclusive)" : `; the gate passes it under fail-on ${failOn}, and ${strict} would fail it`;
  return `Nothing comparable between the candidate and ${r.source}: not one of its tensors could be compared with the candidate's, so it is no evidence either way. Likely cause: another architecture, or the wrong reference (a typo, another model or revision in the reference list?). It counts as ${r.verdict}${gate}.`;
}
function referenceNotes(r) {
  const notes = [];
  const none = r.components.filter((c) => c.comparable === false);
  if (nothingComparable(r)) notes.push("nothing comparable");
  else if (none.length) notes.push(`nothing comparable in ${none.map((c) => c.name).join(", ")}`);
  const same = r.components.reduce((s, c) => s + (c.identical?.tensors ?? 0), 0);
  if (same) notes.push(count(same, "byte-identical matrix", "byte-identical matrices"));
  return notes;
}
function identicalLine(c) {
  const id = c.identical;
  if (!id || id.tensors === 0) return null;
  return `${count(id.tensors, "byte-identical matrix", "byte-identical matrices")} (${fmtPct(id.parameters / Math.max(1, c.candidateParameters))} of the component's parameters)`;
}
function componentVerdictLabel(c) {
  return c.comparable === false ? `${c.verdict} (nothing comparable)` : c.verdict;
}
function alignmentWords(c) {
  return c.verdict === "reused" ? { many: "transforms undone", one: "transform undone" } : { many: "alignments tried", one: "alignment tried" };
}
function transformNote(t, c) {
  return t.transform === "none" ? "" : `${alignmentWords(c).one}: ${t.transform}`;
}
function isByteIdentical(t) {
  return t.identical && !t.error && !t.sampled && t.transform === "none" && t.dtype.candidate === t.dtype.reference;
}
function identicalTag(t) {
  if (!t.identical) return "";
  return isByteIdentical(t) ? "byte-identical" : "identical values";
}
function strongest(c, k) {
  return c.tensors.filter((t) => t.informative && t.log10p !== void 0).sort((a, b) => a.log10p - b.log10p).slice(0, k);
}
function cacheLine(r) {
  const c = r.cache;
  if (!c || c.listing === "off") return null;
  const parts = [`headers ${c.listing === "hit" ? "from the cache" : "fetched and cached"}`];
  if (c.rangesHit > 0) parts.push(`${c.rangesHit} ranges (${(c.bytesFromCache / 1e6).toFixed(1)} MB) from the cache`);
  if (c.rangesStored > 0) parts.push(`${c.rangesStored} ranges stored`);
  if (c.store) parts.push(c.store.restored ? `restored from ${c.store.name}` : c.store.saved ? `saved to ${c.store.name}` : `not in ${c.store.name}`);
  return `cache ${c.listing === "hit" ? "hit" : "miss"}: ${parts.join(", ")}`;
}
function searchLine(search) {
  const matched = search.matched ? `; ${search.matched === 1 ? "1 matrix stands" : `${search.matched} matrices stand`} out only once aligned` : "";
  return search.status === "stopped" ? `alignment search stopped: ${search.note}` : `${search.note}${matched}`;
}

// src/stats/combine.ts
var SMALL = 1e-8;
var LN10 = Math.LN10;
function log10OfTail(t) {
  if (t > 1e6) return -Math.log10(Math.PI * t);
  return Math.min(0, Math.log10(0.5 - Math.atan(t) / Math.PI));
}
var TRUNCATE_AT = 0.9;
var GUARD_LOG10 = Math.log10(1.1);
function combineLog10(log10ps) {
  const k = log10ps.length;
  if (k === 0) return { log10p: 0, rule: "truncated-cauchy" };
  if (k === 1) return { log10p: Math.min(0, log10ps[0]), rule: "truncated-cauchy" };
  const shift = Math.max(0.15, Math.log(k) / Math.PI - 0.2);
  const x = truncatedCauchyCentred(log10ps, k, shift);
  const log10p = typeof x === "number" ? log10OfTail(x) : (-Math.log(Math.PI) - x.ln) / LN10;
  return { log10p: Math.min(0, log10p + GUARD_LOG10), rule: "truncated-cauchy" };
}
function truncatedCauchyCentred(log10ps, k, shift) {
  let regular = -shift;
  const logLarge = [];
  for (const lp of log10ps) {
    if (lp < Math.log10(SMALL)) logLarge.push(-Math.log(Math.PI) - lp * LN10 - Math.log(k));
    else regular += Math.tan((0.5 - Math.min(TRUNCATE_AT, 10 ** Math.min(0, lp))) * Math.PI) / k;
  }
  if (logLarge.length === 0) return regular;
  const maxL = Math.max(...logLarge);
  let s = 0;
  for (const l of logLarge) s += Math.exp(l - maxL);
  const ln = maxL + Math.log(s + regular * Math.exp(-maxL));
  return ln < Math.log(1e12) ? Math.exp(ln) : { ln };
}
function weightedLog10(log10p, weight) {
  return Math.min(0, log10p - Math.log10(weight));
}
function bonferroniLog10(log10p, m) {
  return Math.min(0, log10p + Math.log10(Math.max(1, m)));
}

// src/policy/policy.ts
var DEFAULT_THRESHOLDS = { minPearson: 0.1, minZ: 6, minShare: 0, level: 1e-6, reviewLevel: 1e-3, minEffect: 0.05 };
function isSignificant(log10pCorrected, effect, th) {
  return log10pCorrected <= Math.log10(th.level) && Math.abs(effect ?? 0) >= th.minEffect;
}
var DIRECT_WEIGHT = 0.9;
function tensorEvidence(t) {
  const direct = t.permutation ? { log10p: t.permutation.log10p, effect: t.permutation.effect ?? 0, z: t.permutation.z } : null;
  const search = t.aligned ? { log10p: t.aligned.log10p, effect: t.aligned.effect ?? 0, z: t.aligned.z } : null;
  if (direct && search) {
    const d = { ...direct, log10p: weightedLog10(direct.log10p, DIRECT_WEIGHT) };
    const s = { ...search, log10p: weightedLog10(search.log10p, 1 - DIRECT_WEIGHT) };
    return s.log10p < d.log10p ? s : d;
  }
  return direct ?? search;
}
function withTensorP(t) {
  if (t.deterministic && !t.deterministic.residualTested) return t;
  const ev = tensorEvidence(t);
  return ev ? { ...t, log10p: ev.log10p, effect: ev.effect, z: ev.z } : t;
}
function isTested(t) {
  return t.informative && !t.error && (!t.deterministic || t.deterministic.residualTested === true) && t.log10p !== void 0;
}
function combinationOf(tensors) {
  const tested = tensors.filter(isTested);
  if (tested.length === 0) return null;
  const { log10p, rule } = combineLog10(tested.map((t) => t.log10p));
  const strongest2 = tested.reduce((a, b) => b.log10p < a.log10p ? b : a);
  return { log10p, effect: Math.abs(strongest2.effect ?? 0), tensors: tested.length, method: rule };
}
function standingOut(tensors, family, th) {
  const tested = tensors.map(isTested);
  const perTensorFamily = tested.filter(Boolean).length * Math.max(1, family);
  return tensors.map((t, i) => tested[i] && isSignificant(bonferroniLog10(t.log10p, perTensorFamily), t.effect, th));
}
function decideComponent(e2, family, th) {
  const standsOut = standingOut(e2.tensors, family, th);
  let matchedParameters = e2.tensors.filter((_, i) => standsOut[i]).reduce((s, t) => s + t.elements, 0);
  let share = shareOf(matchedParameters, e2.candidateParameters);
  const log10pCorrected = e2.combination ? bonferroniLog10(e2.combination.log10p, family) : null;
  let { verdict, reason } = componentVerdict({ ...e2, standsOut, share, log10pCorrected }, th, family);
  if (verdict === "reused") {
    const structural = structureOnlyReason(e2.tensors, family, th);
    if (structural) {
      verdict = "inconclusive";
      reason = structural;
    } else {
      const copies = copiesOf(e2.tensors, standsOut);
      if (copies.length > 0) {
        matchedParameters += copies.reduce((s, t) => s + t.elements, 0);
        share = shareOf(matchedParameters, e2.candidateParameters);
        reason += `; with ${count(copies.length, "small tensor")} holding the reference's values, ${pct(share)} of the parameters are shown derived`;
      }
    }
  }
  const search = e2.search ? searchClaims(e2.tensors, standsOut) : null;
  if (verdict === "independent" && e2.search?.status === "stopped") {
    verdict = "inconclusive";
    reason = `the alignment search for hidden reuse could not run (${e2.search.note}); an unsearched component never counts as independent`;
  }
  return { verdict, reason, standsOut, matchedParameters, share, log10pCorrected, search };
}
var shareOf = (matched, candidate) => candidate > 0 ? Math.min(1, matched / candidate) : 0;
function structureOnlyReason(tensors, family, th) {
  const structural = tensors.filter((t) => isTested(t) && t.structureOnly);
  if (structural.length === 0) return null;
  const rest = tensors.filter((t) => isTested(t) && !t.structureOnly);
  if (rest.length > 0) {
    const { log10p } = combineLog10(rest.map((t) => t.log10p));
    const strongest2 = rest.reduce((a, b) => b.log10p < a.log10p ? b : a);
    if (isSignificant(bonferroniLog10(log10p, family), strongest2.effect, th)) return null;
  }
  const first = structural[0];
  return `driven only by a structure the null cannot price (${first.candidate}: ${first.structureOnly}); without ${structural.length === 1 ? "it" : `these ${structural.length} tensors`} the evidence does not reach the level, so this is evidence to review, not reuse`;
}
function copiesOf(tensors, standsOut) {
  return tensors.filter((t, i) => t.promoted && !standsOut[i] && !t.error && !t.structureOnly && !(t.deterministic && !t.deterministic.residualTested));
}
function familyOf2(references, components) {
  return { size: Math.max(1, references * Math.max(1, components)), references, components, correction: "bonferroni" };
}
function searchClaims(tensors, standsOut) {
  const aligned = tensors.filter((t, i) => standsOut[i] && t.aligned && (t.direct || t.pearson === t.aligned.pearson));
  return { matched: aligned.length, residualPermuted: aligned.some((t) => t.transform.some(movesResidual)) };
}
var pct = (x) => `${(100 * x).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;
function componentVerdict(c, th, family) {
  const informative = c.tensors.filter(isCompared);
  const unread = c.tensors.filter((t) => t.error);
  const stand = c.tensors.filter((_, i) => c.standsOut[i]);
  const compared2 = c.tensors.filter((t) => !t.error);
  const tested = c.combination?.tensors ?? 0;
  const corrected = c.log10pCorrected ?? 0;
  const effect = c.combination?.effect ?? 0;
  const comparedParameters = comparedParametersOf(c.tensors);
  const evidence = () => `combined p ${fmtP(c.combination?.log10p ?? 0)} over ${count(tested, "tensor")} (truncated Cauchy), ${fmtP(corrected)} corrected over a family of ${family}`;
  const covering = () => `${count(stand.length, "matrix", "matrices")} with evidence on ${stand.length === 1 ? "its" : "their"} own cover ${pct(c.share)} of the parameters`;
  if (tested > 0 && isSignificant(corrected, effect, th) && c.share >= th.minShare) {
    return { verdict: "reused", reason: `not independent: ${evidence()} (level ${fmtP(Math.log10(th.level))}); effect ${effect.toFixed(2)}; ${covering()}` };
  }
  if (unread.length > 0) {
    return {
      verdict: "inconclusive",
      reason: `${count(unread.length, "tensor")} could not be read (${unread[0].error}); an unread tensor never counts as independent`
    };
  }
  if (tested > 0 && corrected <= Math.log10(th.level)) {
    const why = effect < th.minEffect ? `its effect ${effect.toFixed(3)} is below min-effect ${th.minEffect}` : `${covering()} (< min-share ${pct(th.minShare)})`;
    return { verdict: "inconclusive", reason: `${evidence()}, but ${why}: to review` };
  }
  if (tested > 0 && corrected <= Math.log10(th.reviewLevel)) {
    return { verdict: "inconclusive", reason: `${evidence()}: above the level ${fmtP(Math.log10(th.level))} but at most ${fmtP(Math.log10(th.reviewLevel))}, weak evidence to review` };
  }
  if (informative.length === 0 || tested === 0) {
    if (compared2.length > 0) {
      return {
        verdict: "inconclusive",
        reason: `only norms, biases, small tensors or shared constructions (${compared2.length}) are comparable with the reference: too thin to decide`
      };
    }
    return { verdict: "independent", reason: `${NOTHING_COMPARABLE}: the reference has no tensor of compatible shape for this component` };
  }
  return {
    verdict: "independent",
    reason: `no evidence against independence: ${evidence()} (needs ${fmtP(Math.log10(th.level))}); ${count(informative.length, "matrix", "matrices")} (${pct(comparedParameters / Math.max(1, c.candidateParameters))} of the parameters) compared`
  };
}
var NOTHING_COMPARABLE = "nothing comparable";
function applyComparability(components) {
  const anyMatrices = components.some((c) => c.comparedParameters > 0);
  return components.map((c) => {
    const comparable = c.tensors.some((t) => !t.error && t.pearson !== null);
    if (comparable || c.verdict !== "independent" || anyMatrices) return { ...c, comparable };
    const reason = `${NOTHING_COMPARABLE}: not a single tensor of the reference could be compared with this component, and no other component of it was compared (another architecture?); a reference with nothing comparable never counts as independent`;
    return { ...c, comparable, verdict: "inconclusive", reason };
  });
}
function referenceVerdict(components) {
  if (components.length === 0) return { verdict: "inconclusive", reason: `${NOTHING_COMPARABLE}: the candidate has no tensor to compare with this reference` };
  const reused = components.filter((c) => c.verdict === "reused");
  if (reused.length) return { verdict: "reused", reason: `reuse found in: ${reused.map((c) => c.name).join(", ")}` };
  const inc = components.filter((c) => c.verdict === "inconclusive");
  if (inc.length) return { verdict: "inconclusive", reason: `inconclusive: ${inc.map((c) => c.name).join(", ")}` };
  return { verdict: "independent", reason: "every component independent of this reference" };
}
function overallVerdict(refs) {
  if (refs.some((r) => r.verdict === "reused")) return "reused";
  if (refs.length > 0 && refs.every((r) => r.verdict === "independent")) return "independent";
  return "inconclusive";
}
function runVerdict(refs, stopped) {
  if (stopped) return refs.some((r) => r.verdict === "reused") ? "reused" : "inconclusive";
  return overallVerdict(refs);
}
function gateOf(verdict, failOn, stopped) {
  if (stopped) return { failed: true, rule: `the check stopped on a ${stopped.kind} error (exit code ${stopped.exitCode}), so the gate fails` };
  return { failed: gateFails(verdict, failOn), rule: gateRule(verdict, failOn) };
}
function gateFails(verdict, failOn) {
  if (failOn === "never") return false;
  if (failOn === "inconclusive") return verdict !== "independent";
  return verdict === "reused";
}
function gateRule(verdict, failOn) {
  const failed = gateFails(verdict, failOn);
  return `verdict ${verdict} with fail-on ${failOn}: the gate ${failed ? "fails" : "passes"}`;
}
var AUTO_EXACT_BYTES = 4 * 1024 ** 3;
var AUTO_TARGET_BYTES = 1024 ** 3;
function samplingFraction(informativeBytes2, sample) {
  if (sample !== null) return sample;
  return informativeBytes2 <= AUTO_EXACT_BYTES ? 1 : Math.max(0.01, AUTO_TARGET_BYTES / informativeBytes2);
}

// src/sources/cached.ts
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
function isRevisioned(s) {
  const x = s;
  return typeof x.resolve === "function" && typeof x.snapshot === "function" && typeof x.restore === "function";
}
var CACHE_FORMAT = 1;
var CachedSource = class {
  constructor(inner, cacheRoot, logger, store = null) {
    this.inner = inner;
    this.cacheRoot = cacheRoot;
    this.logger = logger;
    this.store = store;
    this.source = inner.source;
  }
  source;
  stats = { listing: "off", rangesHit: 0, rangesStored: 0, bytesFromCache: 0 };
  /** Store ranges read from the network (set in sampled mode; exact mode would copy whole models). */
  storeRanges = false;
  dir = null;
  /** The store key of this reference's entry: repo and commit (and the cache format). */
  storeKey(repoKey, sha) {
    return `fromscratch-ref-v${CACHE_FORMAT}-${repoKey}@${sha}`;
  }
  get bytesRead() {
    return this.inner.bytesRead;
  }
  async list() {
    const { sha } = await this.inner.resolve();
    const repoKey = this.source.replace(/^hf:\/\//, "").replace(/@.*$/, "").replace(/[^A-Za-z0-9._-]/g, "_");
    this.dir = path.join(this.cacheRoot, `${repoKey}@${sha}`);
    const file = path.join(this.dir, "listing.json");
    if (this.store) {
      const key = this.storeKey(repoKey, sha);
      const onDisk = await readFile(file).then(() => true, () => false);
      const restored = onDisk ? false : await this.store.restore(key, this.dir);
      this.stats.store = { name: this.store.name, key, restored, saved: false };
      if (restored) this.logger.info(`cache restored: ${this.source} @ ${sha} from ${this.store.name} (key ${key})`);
    }
    try {
      const cached2 = JSON.parse(await readFile(file, "utf8"));
      if (cached2.format === CACHE_FORMAT && cached2.snapshot.sha === sha && Array.isArray(cached2.listing.fileIds)) {
        this.inner.restore(cached2.snapshot);
        this.stats.listing = "hit";
        this.logger.info(`cache hit: ${this.source} @ ${sha} (headers from ${this.dir})`);
        return { ...cached2.listing, source: this.source, headerBytes: 0 };
      }
    } catch {
    }
    const listing = await this.inner.list();
    this.stats.listing = "miss";
    const snapshot = this.inner.snapshot();
    if (snapshot) await atomicWrite(file, JSON.stringify({ format: CACHE_FORMAT, listing, snapshot }));
    return listing;
  }
  rangeFile(file, begin, end) {
    const h = createHash("sha256").update(`${file}\0${begin}\0${end}`).digest("hex");
    return path.join(this.dir, "ranges", h.slice(0, 2), `${h}.bin`);
  }
  async read(file, begin, end) {
    if (this.dir === null) return this.inner.read(file, begin, end);
    const where = this.rangeFile(file, begin, end);
    try {
      const bytes2 = new Uint8Array(await readFile(where));
      if (bytes2.length === end - begin) {
        this.stats.rangesHit++;
        this.stats.bytesFromCache += bytes2.length;
        return bytes2;
      }
    } catch {
    }
    const bytes = await this.inner.read(file, begin, end);
    if (this.storeRanges) {
      await atomicWrite(where, bytes);
      this.stats.rangesStored++;
    }
    return bytes;
  }
  /**
   * Save this reference's directory to the store when this run added to it
   * (a fresh listing or new ranges). Entries are immutable per key, so an
   * entry restored from the store is not saved again.
   */
  async persist() {
    const st = this.stats.store;
    if (!this.store || !st || this.dir === null || st.restored) return;
    if (this.stats.listing !== "miss" && this.stats.rangesStored === 0) return;
    st.saved = await this.store.save(st.key, this.dir);
    if (st.saved) this.logger.info(`cache saved: ${this.source} to ${this.store.name} (key ${st.key})`);
  }
  /** Forward the plan, less the ranges the cache already holds (they are read from disk). */
  expect(ranges, concurrency) {
    if (!this.inner.expect) return;
    this.inner.expect(this.dir === null ? ranges : ranges.filter((r) => !existsSync(this.rangeFile(r.file, r.begin, r.end))), concurrency);
  }
  async close() {
    await this.inner.close?.();
  }
};
async function atomicWrite(file, data) {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

// src/sources/types.ts
var silentLogger = { info() {
}, warn() {
} };
async function readInto(source, { file, begin, end }, into) {
  if (into.length !== end - begin) throw new Error(`internal: readInto given ${into.length} bytes for a range of ${end - begin}`);
  if (source.readInto) return source.readInto(file, begin, end, into);
  into.set(await source.read(file, begin, end));
}

// src/sources/memo.ts
var MEMO_MAX_RANGE_BYTES = 256 << 10;
var MEMO_MAX_BYTES = 8 << 20;
var MemoSource = class {
  constructor(inner, maxBytes = MEMO_MAX_BYTES, maxRange = MEMO_MAX_RANGE_BYTES) {
    this.inner = inner;
    this.maxBytes = maxBytes;
    this.maxRange = maxRange;
  }
  /** Serve remembered ranges (off while the planned pass reads through the source's read-ahead). */
  serving = false;
  ranges = /* @__PURE__ */ new Map();
  held = 0;
  get source() {
    return this.inner.source;
  }
  get bytesRead() {
    return this.inner.bytesRead;
  }
  list() {
    return this.inner.list();
  }
  expect(ranges, concurrency) {
    this.inner.expect?.(ranges, concurrency);
  }
  async read(file, begin, end) {
    const key = `${begin}:${end}:${file}`;
    const hit = this.ranges.get(key);
    if (hit && this.serving) {
      this.ranges.delete(key);
      this.ranges.set(key, hit);
      return hit;
    }
    const bytes = await this.inner.read(file, begin, end);
    if (!hit && end - begin <= this.maxRange && end - begin <= this.maxBytes) {
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      this.ranges.set(key, own);
      this.held += own.byteLength;
      for (const [k, v] of this.ranges) {
        if (this.held <= this.maxBytes) break;
        this.ranges.delete(k);
        this.held -= v.byteLength;
      }
    }
    return bytes;
  }
  async readInto(file, begin, end, into) {
    const hit = this.serving ? this.ranges.get(`${begin}:${end}:${file}`) : void 0;
    if (hit || end - begin <= this.maxRange) {
      into.set(await this.read(file, begin, end));
      return;
    }
    await readInto(this.inner, { file, begin, end }, into);
  }
  /** Forget everything (the source itself stays open: its owner closes it). */
  clear() {
    this.ranges.clear();
    this.held = 0;
  }
};

// src/sources/span-cache.ts
import { mkdtemp, open, rm, statfs } from "node:fs/promises";
import path2 from "node:path";

// src/sources/span-set.ts
var Intervals = class {
  begins = [];
  ends = [];
  /** Index of the first interval whose end is after `at`. */
  firstEndingAfter(at) {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = lo + hi >> 1;
      if (this.ends[mid] <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  covers(begin, end) {
    if (end <= begin) return true;
    const i = this.firstEndingAfter(begin);
    return i < this.begins.length && this.begins[i] <= begin && this.ends[i] >= end;
  }
  /** The parts of [begin, end) not held, in order. */
  gaps(begin, end) {
    const out = [];
    let at = begin;
    for (let i = this.firstEndingAfter(begin); i < this.begins.length && at < end; i++) {
      if (this.begins[i] >= end) break;
      if (this.begins[i] > at) out.push([at, this.begins[i]]);
      at = Math.max(at, this.ends[i]);
    }
    if (at < end) out.push([at, end]);
    return out;
  }
  /** Add [begin, end), merging with what it touches; returns the bytes newly covered. */
  add(begin, end) {
    if (end <= begin) return 0;
    const fresh = this.gaps(begin, end).reduce((s, [a, b2]) => s + b2 - a, 0);
    let i = this.firstEndingAfter(begin - 1);
    let j = i;
    let b = begin;
    let e2 = end;
    while (j < this.begins.length && this.begins[j] <= end) {
      b = Math.min(b, this.begins[j]);
      e2 = Math.max(e2, this.ends[j]);
      j++;
    }
    this.begins.splice(i, j - i, b);
    this.ends.splice(i, j - i, e2);
    return fresh;
  }
};
var SpanSet = class {
  files = /* @__PURE__ */ new Map();
  /** Bytes covered in all. */
  bytes = 0;
  of(file) {
    let f = this.files.get(file);
    if (!f) this.files.set(file, f = new Intervals());
    return f;
  }
  covers(file, begin, end) {
    return this.files.get(file)?.covers(begin, end) ?? end <= begin;
  }
  gaps(file, begin, end) {
    const f = this.files.get(file);
    return f ? f.gaps(begin, end) : end > begin ? [[begin, end]] : [];
  }
  /** Add [begin, end) of `file`; returns the bytes it newly covers. */
  add(file, begin, end) {
    const fresh = this.of(file).add(begin, end);
    this.bytes += fresh;
    return fresh;
  }
};

// src/sources/span-cache.ts
var SPAN_CACHE_MEMORY_BYTES = 64 << 20;
var SPAN_CACHE_DISK_BYTES = 64 * 1024 ** 3;
var SpanCacheSource = class {
  constructor(inner, options) {
    this.inner = inner;
    this.options = options;
    this.memoryBytes = options.memoryBytes ?? SPAN_CACHE_MEMORY_BYTES;
    this.wanted = options.keepOnly ? new SpanSet() : null;
    for (const r of options.keepOnly ?? []) this.wanted.add(r.file, r.begin, r.end);
  }
  stats = { hits: 0, bytesFromCache: 0, memoryBytes: 0, diskBytes: 0 };
  held = new SpanSet();
  /** Per file, disjoint segments sorted by begin. */
  segments = /* @__PURE__ */ new Map();
  inFlight = /* @__PURE__ */ new Map();
  spill = null;
  spillOpening = null;
  diskBudget = null;
  closed = false;
  memoryBytes;
  wanted;
  get source() {
    return this.inner.source;
  }
  get bytesRead() {
    return this.inner.bytesRead;
  }
  list() {
    return this.inner.list();
  }
  /** Forward the plan less what is kept, and less repeats of ranges announced earlier in it (served once kept). */
  expect(ranges, concurrency) {
    if (!this.inner.expect) return;
    const announced = new SpanSet();
    const fresh = [];
    for (const r of ranges) {
      if (this.held.covers(r.file, r.begin, r.end) || announced.covers(r.file, r.begin, r.end)) continue;
      announced.add(r.file, r.begin, r.end);
      fresh.push(r);
    }
    this.inner.expect(fresh, concurrency);
  }
  async read(file, begin, end) {
    if (end > begin && this.held.covers(file, begin, end)) return this.fromCache(file, begin, end);
    const key = `${file}\0${begin}\0${end}`;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = this.inner.read(file, begin, end).then(async (bytes) => {
      await this.keep(file, begin, bytes);
      return bytes;
    });
    this.inFlight.set(key, p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(key);
    }
  }
  async fromCache(file, begin, end) {
    const segs = this.segments.get(file);
    let i = firstEndingAfter(segs, begin);
    this.stats.hits++;
    this.stats.bytesFromCache += end - begin;
    const first = segs[i];
    if (first.bytes && first.end >= end) return first.bytes.subarray(begin - first.begin, end - first.begin);
    const out = new Uint8Array(end - begin);
    for (let at = begin; at < end; i++) {
      const s = segs[i];
      const to = Math.min(end, s.end);
      if (s.bytes) out.set(s.bytes.subarray(at - s.begin, to - s.begin), at - begin);
      else await readFully(this.spill.fh, out.subarray(at - begin, to - begin), s.at + (at - s.begin));
      at = to;
    }
    return out;
  }
  /** Keep the parts of [begin, begin + bytes.length) not kept yet: in memory while the budget allows, then on disk. */
  async keep(file, begin, bytes) {
    if (this.closed) return;
    for (const [a, b] of this.keepable(file, begin, begin + bytes.length)) {
      const part = bytes.subarray(a - begin, b - begin);
      let seg = null;
      if (this.stats.memoryBytes + part.length <= this.memoryBytes) {
        seg = { begin: a, end: b, bytes: part.slice(), at: 0 };
        this.stats.memoryBytes += part.length;
      } else if (this.options.scratchDir !== null && await this.diskRoom() >= part.length) {
        await this.openSpill();
        if (this.closed || !this.spill) return;
        const at = this.spill.size;
        this.spill.size += part.length;
        await this.spill.fh.write(part, 0, part.length, at);
        seg = { begin: a, end: b, bytes: null, at };
        this.stats.diskBytes += part.length;
      }
      if (!seg) continue;
      if (!this.held.gaps(file, a, b).every(([x, y]) => x === a && y === b)) continue;
      const segs = this.segments.get(file) ?? [];
      this.segments.set(file, segs);
      segs.splice(firstEndingAfter(segs, a), 0, seg);
      this.held.add(file, a, b);
    }
  }
  /** The parts of [begin, end) not kept yet that are wanted (all of them without keepOnly). */
  keepable(file, begin, end) {
    const gaps = this.held.gaps(file, begin, end);
    if (!this.wanted) return gaps;
    const out = [];
    for (const [a, b] of gaps) {
      let at = a;
      for (const [x, y] of this.wanted.gaps(file, a, b)) {
        if (x > at) out.push([at, x]);
        at = y;
      }
      if (at < b) out.push([at, b]);
    }
    return out;
  }
  /** Bytes the disk may still take: min(budget, half the scratch dir's free space at the first spill) less what is spilled. */
  async diskRoom() {
    if (this.diskBudget === null) {
      let free = Number.POSITIVE_INFINITY;
      try {
        const s = await statfs(this.options.scratchDir);
        free = s.bavail * s.bsize;
      } catch {
        free = 0;
      }
      this.diskBudget = Math.min(this.options.diskBytes ?? SPAN_CACHE_DISK_BYTES, free / 2);
    }
    return this.diskBudget - this.stats.diskBytes;
  }
  async openSpill() {
    if (this.spill) return;
    this.spillOpening ??= (async () => {
      const dir = await mkdtemp(path2.join(this.options.scratchDir, "fromscratch-spans-"));
      const file = path2.join(dir, "candidate-spans.bin");
      const fh = await open(file, "w+", 384);
      const unlinked = await rm(dir, { recursive: true, force: true }).then(
        () => true,
        () => false
      );
      this.spill = { fh, dir, unlinked, size: 0 };
      if (this.closed) await this.dropSpill();
    })();
    await this.spillOpening;
  }
  async dropSpill() {
    const s = this.spill;
    this.spill = null;
    if (!s) return;
    await s.fh.close().catch(() => void 0);
    if (!s.unlinked) await rm(s.dir, { recursive: true, force: true, maxRetries: 3 });
  }
  /** Forget every kept byte and remove the scratch file; the inner source stays open. */
  async forget() {
    this.closed = true;
    this.segments.clear();
    this.stats.memoryBytes = 0;
    await this.spillOpening?.catch(() => void 0);
    await this.dropSpill();
  }
  /** Forget every kept byte and remove the scratch file. The candidate source itself is closed too. */
  async close() {
    await this.forget();
    await this.inner.close?.();
  }
};
function firstEndingAfter(segs, at) {
  let lo = 0;
  let hi = segs.length;
  while (lo < hi) {
    const mid = lo + hi >> 1;
    if (segs[mid].end <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
async function readFully(fh, into, position) {
  let got = 0;
  while (got < into.length) {
    const { bytesRead } = await fh.read(into, got, into.length - got, position + got);
    if (bytesRead === 0) throw new Error("internal: the candidate span cache's scratch file ended early");
    got += bytesRead;
  }
}

// src/safetensors/dtypes.ts
var DTYPE_BITS = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64
};
var DECODABLE = /* @__PURE__ */ new Set(["F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"]);
function bytesPerElement(dtype) {
  const bits = Object.hasOwn(DTYPE_BITS, dtype) ? DTYPE_BITS[dtype] : void 0;
  if (bits === void 0 || bits % 8 !== 0) throw new Error(`no whole-byte size for dtype ${dtype}`);
  return bits / 8;
}
var F16_TABLE = buildF16Table();
var F8_E4M3_TABLE = buildF8Table(4, 3, true);
var F8_E5M2_TABLE = buildF8Table(5, 2, false);
function buildF16Table() {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 32768 ? -1 : 1;
    const exp = h >> 10 & 31;
    const frac = h & 1023;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return t;
}
function buildF8Table(expBits, manBits, fn) {
  const t = new Float32Array(256);
  const bias = (1 << expBits - 1) - 1;
  const expMax = (1 << expBits) - 1;
  for (let b = 0; b < 256; b++) {
    const sign = b & 128 ? -1 : 1;
    const exp = b >> manBits & expMax;
    const man = b & (1 << manBits) - 1;
    if (fn) {
      if (exp === expMax && man === (1 << manBits) - 1) {
        t[b] = NaN;
        continue;
      }
    } else if (exp === expMax) {
      t[b] = man ? NaN : sign * Infinity;
      continue;
    }
    if (exp === 0) t[b] = sign * (man / (1 << manBits)) * 2 ** (1 - bias);
    else t[b] = sign * (1 + man / (1 << manBits)) * 2 ** (exp - bias);
  }
  return t;
}
function bf16Bits(src, p) {
  return (src[p] | src[p + 1] << 8) << 16 >>> 0;
}
function decodeInto(dtype, src, srcOffset, count2, out, outOffset = 0) {
  switch (dtype) {
    case "BF16": {
      const u32 = new Uint32Array(out.buffer, out.byteOffset, out.length);
      let p = srcOffset;
      for (let i = 0; i < count2; i++, p += 2) u32[outOffset + i] = bf16Bits(src, p);
      return;
    }
    case "F16": {
      let p = srcOffset;
      for (let i = 0; i < count2; i++, p += 2) out[outOffset + i] = F16_TABLE[src[p] | src[p + 1] << 8];
      return;
    }
    case "F32": {
      if ((src.byteOffset + srcOffset) % 4 === 0) {
        out.set(new Float32Array(src.buffer, src.byteOffset + srcOffset, count2), outOffset);
      } else {
        const dv = new DataView(src.buffer, src.byteOffset + srcOffset, count2 * 4);
        for (let i = 0; i < count2; i++) out[outOffset + i] = dv.getFloat32(i * 4, true);
      }
      return;
    }
    case "F64": {
      const dv = new DataView(src.buffer, src.byteOffset + srcOffset, count2 * 8);
      for (let i = 0; i < count2; i++) out[outOffset + i] = dv.getFloat64(i * 8, true);
      return;
    }
    case "F8_E4M3": {
      for (let i = 0; i < count2; i++) out[outOffset + i] = F8_E4M3_TABLE[src[srcOffset + i]];
      return;
    }
    case "F8_E5M2": {
      for (let i = 0; i < count2; i++) out[outOffset + i] = F8_E5M2_TABLE[src[srcOffset + i]];
      return;
    }
    default:
      throw new Error(`unsupported dtype ${dtype}`);
  }
}
function encodeFloats(dtype, values) {
  const n2 = values.length;
  if (dtype === "F32") return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + n2 * 4));
  const out = new Uint8Array(n2 * 2);
  const u32 = new Uint32Array(values.buffer, values.byteOffset, n2);
  for (let i = 0; i < n2; i++) {
    const h = dtype === "BF16" ? f32BitsToBf16(u32[i]) : f32ToF16(values[i]);
    out[2 * i] = h & 255;
    out[2 * i + 1] = h >> 8;
  }
  return out;
}
function f32BitsToBf16(bits) {
  if ((bits & 2147483647) > 2139095040) return 32704;
  const rounded = bits + 32767 + (bits >>> 16 & 1);
  return rounded >>> 16 & 65535;
}
var f32Scratch = new Float32Array(1);
var u32Scratch = new Uint32Array(f32Scratch.buffer);
function f32ToF16(v) {
  f32Scratch[0] = v;
  const x = u32Scratch[0];
  const sign = x >>> 16 & 32768;
  const exp = x >>> 23 & 255;
  let man = x & 8388607;
  if (exp === 255) return sign | 31744 | (man ? 512 : 0);
  let e2 = exp - 127 + 15;
  if (e2 >= 31) return sign | 31744;
  if (e2 <= 0) {
    if (e2 < -10) return sign;
    man |= 8388608;
    const shift = 14 - e2;
    let h2 = man >> shift;
    const rem2 = man & (1 << shift) - 1;
    const half = 1 << shift - 1;
    if (rem2 > half || rem2 === half && h2 & 1) h2++;
    return sign | h2;
  }
  let h = e2 << 10 | man >> 13;
  const rem = man & 8191;
  if (rem > 4096 || rem === 4096 && h & 1) h++;
  return sign | h;
}

// src/stats/pvalues.ts
var LN102 = Math.LN10;
function normalTailLog10(z) {
  if (z < 5) return Math.log10(0.5 * erfc(z / Math.SQRT2));
  const z2 = z * z;
  const series = 1 - 1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2);
  return (-z2 / 2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(series)) / LN102;
}
function twoSidedNormalLog10(z) {
  return Math.min(0, Math.log10(2) + normalTailLog10(Math.abs(z)));
}
function zFromLog10P(log10p) {
  if (log10p >= Math.log10(0.5)) return 0;
  let lo = 0;
  let hi = 1;
  while (normalTailLog10(hi) > log10p) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalTailLog10(mid) > log10p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
function erfc(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
  return x >= 0 ? r : 2 - r;
}

// src/search/fold-findings.ts
var FLIPPED = "#transposed";
function bestOrientation(results) {
  const best = /* @__PURE__ */ new Map();
  for (const d of results) {
    const key = d.candidate.endsWith(FLIPPED) ? d.candidate.slice(0, -FLIPPED.length) : d.candidate;
    const prev = best.get(key);
    const flippedToo = prev !== void 0;
    const pick = !prev || d.log10p < prev.log10p ? d : prev;
    const log10p = flippedToo ? Math.min(0, pick.log10p + Math.log10(2)) : pick.log10p;
    const transform = pick.candidate.endsWith(FLIPPED) ? ["transpose", ...pick.transform] : pick.transform;
    best.set(key, { ...pick, candidate: key, log10p, z: zFromLog10P(log10p), transform });
  }
  return best;
}
function foldFindings(best, loaded, given2) {
  const tensors = [...given2];
  const added = [];
  for (const d of best.values()) {
    const origin = loaded.idToPair.get(d.candidate);
    const existing = origin.pairIndex !== null ? tensors[origin.pairIndex] : null;
    const aligned = { reference: d.reference, pearson: d.pearson, z: d.z, log10p: d.log10p, effect: d.effect, transform: d.transform };
    const directLog10p = existing?.permutation?.log10p ?? 0;
    const stronger = !existing || d.log10p < directLog10p;
    let folded = existing ? { ...existing, aligned } : { ...unpairedResult(origin.view, origin.layer, d.reference), aligned, role: loaded.roleGroups.find((g) => g.candidate.some((c) => c.name === d.candidate)).role };
    if (stronger) {
      if (existing) folded = { ...folded, direct: { reference: existing.reference, pearson: existing.pearson, cosine: existing.cosine, z: existing.z, log10p: existing.permutation?.log10p } };
      folded = { ...folded, reference: d.reference, pearson: d.pearson, cosine: d.cosine, z: d.z, null: d.null, transform: d.transform };
    }
    if (existing) tensors[origin.pairIndex] = folded;
    else added.push(folded);
  }
  return { tensors, added };
}
function unpairedResult(view, layer, reference) {
  return {
    candidate: view.entry.name,
    reference,
    elements: viewElements(view),
    cosine: null,
    pearson: null,
    z: null,
    identical: false,
    transform: AS_STORED,
    layer,
    role: "",
    informative: true,
    null: null,
    dtype: { candidate: view.entry.dtype, reference: "" }
  };
}

// src/search/search-groups.ts
var HIDDEN_ON_COLS = /(^|\.)(o|down)\.weight$/;
var SKIP_ROLES = /(^|\.)(embed|head)\.weight$/;
var BASIS_ROLES = [
  { re: /(^|\.)embed\.weight$/, residual: "cols" },
  { re: /(^|\.)head\.weight$/, residual: "cols" },
  { re: /(^|\.)(wpe|position_embeddings?|pos_embed)\.weight$/, residual: "cols" },
  { re: /(^|\.)patch_embed\.proj\.weight$/, residual: "rows" }
];
var NORM_ROLE = /norm/;
function shapeKey(v) {
  return `${v.rows}x${v.cols}`;
}
var notRunSummary = () => ({ ran: false, status: "not-run", note: "", residualMatchQuality: null, referenceDuplicateLayers: [] });
function hiddenAxis(role, v, residualSize, conv1d) {
  const bySize = hiddenBySize(v, residualSize);
  if (bySize) return bySize;
  const byRole = HIDDEN_ON_COLS.test(role) ? "cols" : "rows";
  return conv1d ? byRole === "rows" ? "cols" : "rows" : byRole;
}
function hiddenBySize(v, residualSize) {
  if (residualSize === null || v.rows === v.cols) return null;
  if (v.cols === residualSize) return "rows";
  if (v.rows === residualSize) return "cols";
  return null;
}
function storesConv1D(views, residualSize) {
  let agree3 = 0;
  let disagree = 0;
  for (const { role, view } of views) {
    const bySize = hiddenBySize(view, residualSize);
    if (!bySize) continue;
    if (bySize === (HIDDEN_ON_COLS.test(role) ? "cols" : "rows")) agree3++;
    else disagree++;
  }
  return disagree > agree3;
}
var basisResidual = (role) => BASIS_ROLES.find((x) => x.re.test(role)).residual;
function selectPairs(comp, tensors, explained) {
  const usable = comp.pairs.map((p, i) => ({ p, t: tensors[i], explained: explained[i] ?? false })).filter(({ p, t }) => p.informative && !t.error && t.pearson !== null);
  const basisPairs = usable.filter(({ p }) => BASIS_ROLES.some((b) => b.re.test(p.role)));
  const isBasis = (p) => basisPairs.some((b) => b.p === p);
  const openRoles = new Set(usable.filter((u) => !u.explained).map(({ p }) => p.role));
  for (const u of comp.unmatchedEntries) openRoles.add(u.role);
  const groupPairs = usable.filter(({ p }) => openRoles.has(p.role) && !SKIP_ROLES.test(p.role) && !isBasis(p) && p.candidate.entry.shape.length >= 2);
  const normPairs = comp.pairs.filter((p, i) => NORM_ROLE.test(p.role) && p.candidate.entry.shape.length === 1 && !tensors[i].error);
  return { basisPairs, groupPairs, normPairs };
}
function viewGroups(comp, groupPairs, referenceTensors) {
  const groups = /* @__PURE__ */ new Map();
  for (const { p } of groupPairs) {
    const key = `${p.role}|${shapeKey(p.candidate)}|${shapeKey(p.reference)}`;
    let g = groups.get(key);
    if (!g) {
      g = { role: p.role, cand: /* @__PURE__ */ new Map(), refs: /* @__PURE__ */ new Map() };
      groups.set(key, g);
    }
    g.cand.set(viewKey(p.candidate), { ...p.candidate, layer: p.layer, pairIndex: comp.pairs.indexOf(p) });
    g.refs.set(viewKey(p.reference), { ...p.reference, layer: p.layer });
  }
  const kind = componentKind(comp.name);
  const sameKind = (l) => kind === "language" || kind === "vision" || kind === "audio" || kind === "projector" ? l.kind === kind : true;
  for (const g of groups.values()) {
    const anyRef = g.refs.values().next().value;
    const anyCand = g.cand.values().next().value;
    if (isWhole2(anyRef)) {
      for (const l of referenceTensors) {
        if (!sameKind(l) || l.role !== g.role) continue;
        const v = viewLike(l.entry, anyRef);
        if (v.rows === anyRef.rows && v.cols === anyRef.cols && !g.refs.has(viewKey(v))) g.refs.set(viewKey(v), { ...v, layer: l.layer });
      }
    }
    if (isWhole2(anyCand)) {
      for (const l of comp.unmatchedEntries) {
        if (l.role !== g.role) continue;
        const v = viewLike(l.entry, anyCand);
        if (v.rows === anyCand.rows && v.cols === anyCand.cols) g.cand.set(viewKey(v), { ...v, layer: l.layer, pairIndex: null });
      }
    }
  }
  return groups;
}
var isWhole2 = (v) => v.rowStart === 0 && v.rows === (v.axes ? v.entry.shape[v.axes[0]] : v.transpose ? v.storedCols : v.storedRows);
function searchElements(groups, basisPairs) {
  let elements = 0;
  for (const g of groups.values()) for (const v of [...g.cand.values(), ...g.refs.values()]) elements += viewElements(v);
  for (const b of basisPairs) elements += viewElements(b.p.candidate) + viewElements(b.p.reference);
  return elements;
}
function unreadResults(unread, groups, tensors) {
  const added = [];
  for (const [name2, u] of unread) {
    if (u.pairIndex !== null) {
      const t = tensors[u.pairIndex];
      if (t.error === void 0 || t.error === null) tensors[u.pairIndex] = { ...t, error: u.message };
      continue;
    }
    added.push({
      ...unpairedResult(u.view, u.layer, ""),
      candidate: name2,
      role: [...groups.values()].find((g) => g.cand.has(viewKey(u.view)))?.role ?? "",
      error: u.message
    });
  }
  return added;
}
async function stackNorms(pairs, cand, ref, load) {
  if (pairs.length < 2) return null;
  const dc = pairs[0].candidate.rows;
  const dr = pairs[0].reference.rows;
  const use = pairs.filter((p) => p.candidate.rows === dc && p.reference.rows === dr);
  if (use.length < 2) return null;
  const c = new Float32Array(use.length * dc);
  const r = new Float32Array(use.length * dr);
  for (let k = 0; k < use.length; k++) {
    c.set((await load(cand, use[k].candidate)).data, k * dc);
    r.set((await load(ref, use[k].reference)).data, k * dr);
  }
  return {
    candidate: { rows: use.length, cols: dc, data: c },
    reference: { rows: use.length, cols: dr, data: r },
    residual: "cols",
    signed: true,
    center: true
  };
}

// src/search/stream-groups.ts
var FEATURES = { min: 64, max: 256 };
var UNITS = 128;
var ROW_CLASS = 16;
var ALL_ROWS = 256;
var TOKENS = { min: 128, max: 512 };
function spread(n2, k, chunks) {
  if (n2 <= k) return Int32Array.from({ length: n2 }, (_, i) => i);
  const per = Math.max(1, Math.floor(k / chunks));
  const out = [];
  for (let c = 0; c < chunks && out.length < k; c++) {
    const start = Math.floor(c * n2 / chunks);
    for (let i = start; i < Math.min(n2, start + per) && out.length < k; i++) out.push(i);
  }
  return Int32Array.from(out);
}
function classRows(n2) {
  if (n2 <= ALL_ROWS) return Int32Array.from({ length: n2 }, (_, i) => i);
  return Int32Array.from({ length: Math.ceil(n2 / ROW_CLASS) }, (_, i) => i * ROW_CLASS);
}
function orientSquare(groups) {
  const square = (v) => !v.axes && v.rowStart === 0 && v.storedRows === v.storedCols;
  let transposed2 = 0;
  let plain = 0;
  for (const g of groups) for (const v of g.cand.values()) if (!v.axes && !square(v)) v.transpose ? transposed2++ : plain++;
  const transpose2 = transposed2 > plain;
  for (const g of groups) for (const [k, v] of g.cand) if (square(v) && v.transpose !== transpose2) g.cand.set(k, { ...v, transpose: transpose2, rows: v.cols, cols: v.rows });
}
function widths(basisPairs, groups) {
  let width = null;
  let candidateWidth = null;
  for (const b of basisPairs) {
    const onCols = basisResidual(b.p.role) === "cols";
    width ??= onCols ? b.p.reference.cols : b.p.reference.rows;
    candidateWidth ??= onCols ? b.p.candidate.cols : b.p.candidate.rows;
  }
  width ??= commonWidth(groups);
  return { width, candidateWidth: candidateWidth ?? width };
}
var anEighth = (n2, bounds) => spread(n2, Math.min(bounds.max, Math.max(bounds.min, Math.ceil(n2 / 8))), 16);
var featureDims = (width) => anEighth(width, FEATURES);
var tokenRows = (c, r) => anEighth(Math.min(c.rows, r.rows), TOKENS);
function commonWidth(groups) {
  const votes = /* @__PURE__ */ new Map();
  for (const g of groups) {
    for (const v of g.refs.values()) {
      votes.set(v.rows, (votes.get(v.rows) ?? 0) + 1);
      votes.set(v.cols, (votes.get(v.cols) ?? 0) + 1);
    }
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 0;
}
function classify(viewGroupList, width, candidateWidth) {
  const conv1d = storesConv1D(
    viewGroupList.map((g) => ({ role: g.role, view: g.refs.values().next().value })),
    width
  );
  const out = [];
  for (const g of viewGroupList) {
    const r = g.refs.values().next().value;
    const c = g.cand.values().next().value;
    const hidden = hiddenAxis(g.role, r, width, conv1d);
    const refResidual = hidden === "rows" ? r.cols : r.rows;
    const candResidual = hidden === "rows" ? c.cols : c.rows;
    if (refResidual !== width || candResidual !== candidateWidth) continue;
    out.push({ g, kind: hidden === "cols" ? "cols" : "rows" });
  }
  const classified = out.map((x) => {
    if (x.kind !== "rows" || !/(^|\.)(gate|up)\.weight$/.test(x.g.role)) return x;
    const down = x.g.role.replace(/(gate|up)\.weight$/, "down.weight");
    const c = x.g.cand.values().next().value;
    const sib = out.find((y) => y.kind === "cols" && y.g.role === down && y.g.cand.values().next().value.cols === c.rows);
    return sib ? { ...x, kind: "sibling", via: down } : x;
  });
  const order = { cols: 0, rows: 1, sibling: 2 };
  return classified.sort((a, b) => order[a.kind] - order[b.kind]);
}
function candidateUnits(x, v) {
  if (x.kind === "cols") return spread(v.cols, UNITS, 1);
  if (x.kind === "sibling") return spread(v.rows, UNITS, 1);
  return classRows(v.rows);
}

// src/search/stream-budget.ts
var SIBLINGS_KEPT_BYTES = 64 << 20;
var WHOLE_SEARCH_MAX_ELEMENTS = 4e6;
function streamsSearch(comp, fraction) {
  if (fraction < 1) return true;
  let elements = 0;
  for (const p of comp.pairs) if (p.candidate.entry.shape.length >= 2) elements += viewElements(p.candidate) + viewElements(p.reference);
  return elements > WHOLE_SEARCH_MAX_ELEMENTS;
}
function plannedSearch(comp) {
  const open3 = comp.pairs.map(() => ({ error: void 0, pearson: 0 }));
  const { basisPairs, groupPairs } = selectPairs(comp, open3, []);
  if (groupPairs.length === 0) return null;
  const viewGroupList = [...viewGroups(comp, groupPairs, []).values()];
  const { width, candidateWidth } = widths(basisPairs, viewGroupList);
  return { basisPairs, groups: classify(viewGroupList, width, candidateWidth), features: featureDims(width) };
}
function streamSearchBytes(comp) {
  const planned = plannedSearch(comp);
  if (!planned) return { candidate: 0, reference: 0 };
  const { basisPairs, groups } = planned;
  const features = planned.features.length;
  const cost = (v, rows) => readsWhole(v) ? storedBytes(v) : rows * v.cols * bytesPerElement(v.entry.dtype);
  let candidate = 0;
  let reference = 0;
  for (const b of basisPairs) {
    if (basisResidual(b.p.role) !== "cols") continue;
    const tokens = tokenRows(b.p.candidate, b.p.reference).length;
    candidate += cost(b.p.candidate, tokens);
    reference += cost(b.p.reference, tokens);
  }
  for (const x of groups) {
    for (const v of x.g.cand.values()) candidate += cost(v, x.kind === "cols" ? features : candidateUnits(x, v).length);
    for (const v of x.g.refs.values()) reference += cost(v, x.kind === "cols" ? features : x.kind === "sibling" ? 1.5 * UNITS : classRows(v.rows).length);
  }
  return { candidate, reference };
}
function streamSearchReferenceRanges(comp) {
  const planned = plannedSearch(comp);
  if (!planned) return [];
  const { basisPairs, groups, features } = planned;
  const out = [];
  const rowsOf = (v, rows) => {
    if (readsWhole(v)) return;
    for (const r of rows) out.push(storedRowRange(v, r, r + 1));
  };
  for (const b of basisPairs) if (basisResidual(b.p.role) === "cols") rowsOf(b.p.reference, tokenRows(b.p.candidate, b.p.reference));
  const siblings = [];
  for (const x of groups) {
    if (x.kind === "sibling") siblings.push(...x.g.refs.values());
    else for (const v of x.g.refs.values()) rowsOf(v, x.kind === "cols" ? features : classRows(v.rows));
  }
  if (siblings.reduce((sum, v) => sum + storedBytes(v), 0) <= SIBLINGS_KEPT_BYTES) {
    for (const v of siblings) if (!readsWhole(v)) out.push(storedRowRange(v, 0, v.rows));
  }
  return out;
}
var storedBytes = (v) => v.storedRows * v.storedCols * bytesPerElement(v.entry.dtype);
function storedRowRange(v, r0, r1) {
  const bytes = v.storedCols * bytesPerElement(v.entry.dtype);
  return { file: v.entry.file, begin: v.entry.begin + (v.rowStart + r0) * bytes, end: v.entry.begin + (v.rowStart + r1) * bytes };
}

// src/common/median.ts
function median(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// src/report/render.ts
function renderTensor(t, standsOut) {
  const negated = standsOut && t.pearson !== null && t.pearson < 0 && !t.transform.includes("negated");
  const { aligned, ...rest } = t;
  const out = { ...rest, standsOut, transform: renderTransforms(negated ? [...t.transform, "negated"] : t.transform) };
  return aligned ? { ...out, aligned: { ...aligned, transform: renderTransforms(aligned.transform) } } : out;
}
function renderComponent(e2, d) {
  const compared2 = e2.tensors.filter(isCompared);
  const tensors = e2.tensors.map((t, i) => renderTensor(t, d.standsOut[i] ?? false));
  const result = {
    name: e2.name,
    verdict: d.verdict,
    reason: d.reason,
    share: d.share,
    candidateParameters: e2.candidateParameters,
    matchedParameters: d.matchedParameters,
    comparedParameters: comparedParametersOf(e2.tensors),
    null: pooledSummary(compared2.flatMap((t) => t.null ? [t.null] : [])),
    pearsonMedian: median(compared2.map((t) => t.pearson)),
    zMedian: median(compared2.map((t) => Math.abs(t.z ?? 0))),
    unmatchedTensors: e2.unmatchedTensors,
    unmatchedParameters: e2.unmatchedParameters,
    unreadTensors: e2.tensors.filter((t) => t.error).length,
    identical: identicalOf(tensors),
    search: e2.search ? { ...e2.search, matched: d.search?.matched ?? 0, residualPermuted: d.search?.residualPermuted ?? false } : null,
    layerMatrix: e2.layerMatrix,
    deterministic: deterministicOf(tensors),
    tensors
  };
  if (!e2.combination || d.log10pCorrected === null) return result;
  const c = e2.combination;
  return { ...result, log10p: c.log10p, log10pCorrected: d.log10pCorrected, effect: c.effect, combination: { method: c.method, tensors: c.tensors } };
}
function evidenceOfResult(c, combination) {
  const tensors = c.tensors.map(({ standsOut: _, transform, aligned, ...t }) => {
    const read = { ...t, transform: parseTransforms(transform) };
    return aligned ? { ...read, aligned: { ...aligned, transform: parseTransforms(aligned.transform) } } : read;
  });
  let search = null;
  if (c.search) {
    const { matched: _m, residualPermuted: _r, ...rest } = c.search;
    search = rest;
  }
  return {
    name: c.name,
    candidateParameters: c.candidateParameters,
    unmatchedTensors: c.unmatchedTensors,
    unmatchedParameters: c.unmatchedParameters,
    tensors,
    combination: combination(tensors),
    search,
    layerMatrix: c.layerMatrix
  };
}
function identicalOf(tensors) {
  const same = tensors.filter((t) => t.informative && isByteIdentical(t) && !(t.deterministic && !t.deterministic.residualTested));
  return { tensors: same.length, parameters: same.reduce((s, t) => s + t.elements, 0) };
}
function deterministicOf(tensors) {
  const d = tensors.filter((t) => t.deterministic && !t.deterministic.residualTested);
  return { tensors: d.length, parameters: d.reduce((s, t) => s + t.elements, 0) };
}
function pooledSummary(nulls) {
  const n2 = nulls.reduce((s, x) => s + x.n, 0);
  if (n2 === 0) return null;
  const mean = nulls.reduce((s, x) => s + x.mean * x.n, 0) / n2;
  const ss = nulls.reduce((s, x) => s + (x.n - 1) * x.sd * x.sd + x.n * (x.mean - mean) ** 2, 0);
  return { mean, sd: n2 > 1 ? Math.sqrt(ss / (n2 - 1)) : 0, n: n2 };
}

// src/stats/pair-stats.ts
var PairAccumulator = class {
  n = 0;
  meanA = 0;
  meanB = 0;
  m2A = 0;
  m2B = 0;
  cAB = 0;
  rawAA = 0;
  rawBB = 0;
  rawAB = 0;
  identical = true;
  nonFinite = 0;
  /** Add one block of paired values (same length). */
  add(a, b, len = a.length) {
    let n2 = 0;
    let sa = 0;
    let sb = 0;
    let saa = 0;
    let sbb = 0;
    let sab = 0;
    let same = this.identical;
    for (let i = 0; i < len; i++) {
      const x = a[i];
      const y = b[i];
      if (x !== y) same = false;
      if (x - x !== 0 || y - y !== 0) {
        this.nonFinite++;
        continue;
      }
      n2++;
      sa += x;
      sb += y;
      saa += x * x;
      sbb += y * y;
      sab += x * y;
    }
    this.identical = same;
    if (n2 === 0) return;
    const ma = sa / n2;
    const mb = sb / n2;
    let caa = 0;
    let cbb = 0;
    let cab = 0;
    for (let i = 0; i < len; i++) {
      const x = a[i];
      const y = b[i];
      if (x - x !== 0 || y - y !== 0) continue;
      const dx = x - ma;
      const dy = y - mb;
      caa += dx * dx;
      cbb += dy * dy;
      cab += dx * dy;
    }
    this.merge({ n: n2, ma, mb, caa, cbb, cab, raa: saa, rbb: sbb, rab: sab });
  }
  /** Chan's parallel merge of one block (its count, means, centred sums and raw sums). */
  merge(b) {
    const { n: n2, ma, mb, caa, cbb, cab, raa, rbb, rab } = b;
    const tot = this.n + n2;
    const da = ma - this.meanA;
    const db = mb - this.meanB;
    const f = this.n * n2 / tot;
    this.m2A += caa + da * da * f;
    this.m2B += cbb + db * db * f;
    this.cAB += cab + da * db * f;
    this.meanA += da * n2 / tot;
    this.meanB += db * n2 / tot;
    this.n = tot;
    this.rawAA += raa;
    this.rawBB += rbb;
    this.rawAB += rab;
  }
  /** Merge one block of shifted sums from the SIMD kernel (values a = ka + a', b = kb + b'). */
  addShifted(s) {
    const n2 = s.n;
    if (n2 === 0) return;
    if (s.differs) this.identical = false;
    const ma = s.ka + s.sa / n2;
    const mb = s.kb + s.sb / n2;
    const caa = Math.max(0, s.saa - s.sa * s.sa / n2);
    const cbb = Math.max(0, s.sbb - s.sb * s.sb / n2);
    const cab = s.sab - s.sa * s.sb / n2;
    this.merge({
      n: n2,
      ma,
      mb,
      caa,
      cbb,
      cab,
      raa: s.saa + 2 * s.ka * s.sa + n2 * s.ka * s.ka,
      rbb: s.sbb + 2 * s.kb * s.sb + n2 * s.kb * s.kb,
      rab: s.sab + s.kb * s.sa + s.ka * s.sb + n2 * s.ka * s.kb
    });
  }
  result() {
    const { n: n2 } = this;
    const cosDen = Math.sqrt(this.rawAA * this.rawBB);
    const constA = this.m2A <= 1e-12 * Math.max(this.rawAA, Number.MIN_VALUE);
    const constB = this.m2B <= 1e-12 * Math.max(this.rawBB, Number.MIN_VALUE);
    const pearson2 = n2 > 1 && !constA && !constB ? clamp(this.cAB / Math.sqrt(this.m2A * this.m2B)) : null;
    return {
      n: n2,
      cosine: cosDen > 0 ? clamp(this.rawAB / cosDen) : null,
      pearson: pearson2,
      identical: this.identical && this.nonFinite === 0 && n2 > 0,
      nonFinite: this.nonFinite,
      meanA: this.meanA,
      meanB: this.meanB,
      sdA: n2 > 0 ? Math.sqrt(this.m2A / n2) : 0,
      sdB: n2 > 0 ? Math.sqrt(this.m2B / n2) : 0
    };
  }
};
function clamp(x) {
  return x > 1 ? 1 : x < -1 ? -1 : x;
}
function pearson(a, b, index) {
  const n2 = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n2; i++) {
    sa += a[i];
    sb += b[index ? index(i) : i];
  }
  const ma = sa / n2;
  const mb = sb / n2;
  let caa = 0;
  let cbb = 0;
  let cab = 0;
  for (let i = 0; i < n2; i++) {
    const dx = a[i] - ma;
    const dy = b[index ? index(i) : i] - mb;
    caa += dx * dx;
    cbb += dy * dy;
    cab += dx * dy;
  }
  if (!(caa > 0 && cbb > 0) || !Number.isFinite(cab)) return null;
  return clamp(cab / Math.sqrt(caa * cbb));
}
function momentsOf(a) {
  const n2 = a.length;
  let sa = 0;
  for (let i = 0; i < n2; i++) sa += a[i];
  const mean = sa / n2;
  let ss = 0;
  for (let i = 0; i < n2; i++) {
    const d = a[i] - mean;
    ss += d * d;
  }
  return { mean, ss };
}
function pearsonOfMany() {
  const known = /* @__PURE__ */ new Map();
  const of = (x) => {
    let m = known.get(x);
    if (!m) known.set(x, m = momentsOf(x));
    return m;
  };
  return (a, b) => {
    const n2 = a.length;
    const { mean: ma, ss: caa } = of(a);
    const { mean: mb, ss: cbb } = of(b);
    let cab = 0;
    for (let i = 0; i < n2; i++) cab += (a[i] - ma) * (b[i] - mb);
    if (!(caa > 0 && cbb > 0) || !Number.isFinite(cab)) return null;
    return clamp(cab / Math.sqrt(caa * cbb));
  };
}
function relativeSquaredDifference(a, b) {
  let d = 0;
  let n2 = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n2 += b[i] ** 2;
  }
  return n2 > 0 ? d / n2 : Infinity;
}

// src/kernels/hungarian-wasm.ts
var HUNGARIAN_WASM_BASE64 = "AGFzbQEAAAABDgFgCn9/f39/f39/f38AAwIBAAUDAQABBxYCBm1lbW9yeQIACWh1bmdhcmlhbgAACt4FAdsFBAl/BHwCfw57RAAAAAAAAPB//RQhHUEBIQoCQANAIAogAEsNASAIIAo2AgBBACEMQQAhCwNAIAUgC0EDdGpEAAAAAAAA8H85AwAgBiALQQN0akIANwMAIAtBAWohCyALIAFNDQALIAYgAUEBakEDdGpCfzcDAEEAIRBEAAAAAAAAAAAhFANAIAYgDEEDdGpCfzcDACAJIBBBAnRqIAw2AgAgEEEBaiEQIAggDEECdGooAgAhDiACIA5BAWsgAWxBA3RqQQhrIREgAyAOQQN0aisDAP0UIRogFP0UIRkgDK39EiEb/QwBAAAAAAAAAAIAAAAAAAAAIRwgHSEe/QwAAAAAAAAAAAAAAAAAAAAAIR9BASELA0AgC0EDdCESIAYgEmr9AAQAISAgBSASav0ABAAhISAhIBn98QEhIiARIBJq/QAEAP3tASAa/fEBIAQgEmr9AAQA/fEBISMgIyAi/UkhJCAjICIgJP1SISIgBSASaiAhICIgIP1S/QsEACAHIBJqIBsgByASav0ABAAgJCAg/U/9Uv0LBAAgHSAiICD9UiElICUgHv1JISYgJSAeICb9UiEeIBwgHyAm/VIhHyAc/QwCAAAAAAAAAAIAAAAAAAAA/c4BIRwgC0ECaiELIAsgAU0NAAsgHv0hACEVIB79IQEhFiAf/R0ApyEXIB/9HQGnIRggFiAVYyAWIBVhIBggF0lxcgRAIBYhEyAYIQ0FIBUhEyAXIQ0LQQAhDwNAIAkgD0ECdGooAgAhCyADIAggC0ECdGooAgBBA3RqIRIgEiASKwMAIBOgOQMAIAQgC0EDdGohEiASIBIrAwAgE6E5AwAgD0EBaiEPIA8gEEkNAAsgEyEUIA0hDCAIIAxBAnRqKAIAQQBHDQALA0AgByAMQQN0aikDAKchDSAIIAxBAnRqIAggDUECdGooAgA2AgAgDSEMIAxBAEcNAAsgCkEBaiEKDAALCws=";

// src/kernels/hungarian.ts
var WASM_MAX_CELLS = 4 << 20;
var wasm = null;
function hungarianWasm(score, n2, m) {
  if (!wasm) {
    const module = new WebAssembly.Module(Buffer.from(HUNGARIAN_WASM_BASE64, "base64"));
    wasm = new WebAssembly.Instance(module, {}).exports;
  }
  const cols = m + 2;
  const ps = 0;
  const pu = ps + (n2 * m + 2) * 8;
  const pv = pu + (n2 + 2) * 8;
  const pminv = pv + cols * 8;
  const pused = pminv + cols * 8;
  const pway = pused + cols * 8;
  const pp = pway + cols * 8;
  const plist = pp + cols * 4;
  const need = plist + cols * 4;
  const mem = wasm.memory;
  if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
  const f64 = new Float64Array(mem.buffer);
  f64.set(score.subarray(0, n2 * m), ps / 8);
  new Uint8Array(mem.buffer, ps + n2 * m * 8, plist - (ps + n2 * m * 8)).fill(0);
  wasm.hungarian(n2, m, ps, pu, pv, pminv, pused, pway, pp, plist);
  const p = new Int32Array(mem.buffer, pp, m + 1);
  const out = new Int32Array(n2).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j] > 0) out[p[j] - 1] = j - 1;
  return out;
}

// src/search/assignment.ts
var EXACT_LIMIT = 1500;
function maximizeAssignment(score, n2, m) {
  if (n2 === 0) return new Int32Array(0);
  if (n2 > m) throw new Error(`assignment needs rows <= columns (${n2} > ${m})`);
  if (n2 > EXACT_LIMIT) return greedy(score, n2, m);
  return n2 * m <= WASM_MAX_CELLS ? hungarianWasm(score, n2, m) : hungarian(score, n2, m);
}
function invertMatching(a, n2) {
  const out = new Int32Array(n2).fill(-1);
  a.forEach((j, i) => {
    if (j >= 0) out[j] = i;
  });
  return out;
}
function hungarian(score, n2, m) {
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(n2 + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  const usedList = new Int32Array(m + 1);
  for (let i = 1; i <= n2; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(INF);
    used.fill(0);
    let nUsed = 0;
    let pending = 0;
    do {
      used[j0] = 1;
      usedList[nUsed++] = j0;
      const i0 = p[j0];
      let delta = INF;
      let j1 = 0;
      const rowBase = (i0 - 1) * m - 1;
      const ui0 = u[i0];
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        let mv = minv[j] - pending;
        const cur = -score[rowBase + j] - ui0 - v[j];
        if (cur < mv) {
          mv = cur;
          way[j] = j0;
        }
        minv[j] = mv;
        if (mv < delta) {
          delta = mv;
          j1 = j;
        }
      }
      for (let k = 0; k < nUsed; k++) {
        const j = usedList[k];
        u[p[j]] += delta;
        v[j] -= delta;
      }
      pending = delta;
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const out = new Int32Array(n2).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j] > 0) out[p[j] - 1] = j - 1;
  return out;
}
function greedy(score, n2, m) {
  const order = new Int32Array(n2);
  const best = new Float64Array(n2);
  const out = new Int32Array(n2).fill(-1);
  const takenCol = new Uint8Array(m);
  let remaining = n2;
  for (let round = 0; round < 4 && remaining > 0; round++) {
    let k = 0;
    for (let i = 0; i < n2; i++) {
      if (out[i] !== -1) continue;
      let b = -Infinity;
      for (let j = 0; j < m; j++) if (!takenCol[j] && score[i * m + j] > b) b = score[i * m + j];
      best[i] = b;
      order[k++] = i;
    }
    const rows = Array.from(order.subarray(0, k)).sort((a, b) => best[b] - best[a]);
    for (const i of rows) {
      let bj = -1;
      let b = -Infinity;
      for (let j = 0; j < m; j++) if (!takenCol[j] && score[i * m + j] > b) {
        b = score[i * m + j];
        bj = j;
      }
      if (bj >= 0) {
        out[i] = bj;
        takenCol[bj] = 1;
        remaining--;
      }
    }
  }
  return out;
}

// src/common/scratch.ts
var MAX_ELEMENTS2 = 1 << 18;
var all = [];
var Scratch = class {
  block = new Float64Array(0);
  constructor() {
    all.push(this);
  }
  /** `n` Float64 elements, with whatever the last use left in them. */
  take(n2) {
    if (n2 > MAX_ELEMENTS2) return new Float64Array(n2);
    if (this.block.length < n2) this.block = new Float64Array(Math.min(MAX_ELEMENTS2, Math.max(n2, 2 * this.block.length)));
    return this.block.subarray(0, n2);
  }
  release() {
    this.block = new Float64Array(0);
  }
};
function releaseScratch() {
  for (const s of all) s.release();
}

// src/kernels/dots-wasm.ts
var DOTS_WASM_BASE64 = "AGFzbQEAAAABCgFgBn9/f39/fwADAgEABQMBAAEHEQIGbWVtb3J5AgAEZG90cwAACq0EAaoEAgh/C3sgBEUEQA8LIARBBXQhDCADQQV0IQ0CQANAIAYgAU8NAUEAIQcCQANAIAcgA08NASAAIAYgDGxqIQggCCAMaiEKIAIgByAMbGohCf0MAAAAAAAAAAAAAAAAAAAAACER/QwAAAAAAAAAAAAAAAAAAAAAIRL9DAAAAAAAAAAAAAAAAAAAAAAhE/0MAAAAAAAAAAAAAAAAAAAAACEU/QwAAAAAAAAAAAAAAAAAAAAAIRX9DAAAAAAAAAAAAAAAAAAAAAAhFv0MAAAAAAAAAAAAAAAAAAAAACEX/QwAAAAAAAAAAAAAAAAAAAAAIRgDQCAJ/QAEACEPIAn9AAQQIRAgCCsDAP0UIQ4gESAOIA/98gH98AEhESASIA4gEP3yAf3wASESIAgrAwj9FCEOIBMgDiAP/fIB/fABIRMgFCAOIBD98gH98AEhFCAIKwMQ/RQhDiAVIA4gD/3yAf3wASEVIBYgDiAQ/fIB/fABIRYgCCsDGP0UIQ4gFyAOIA/98gH98AEhFyAYIA4gEP3yAf3wASEYIAhBIGohCCAJQSBqIQkgCCAKSQ0ACyAFIAZBAnQgDWwgB0EFdGpqIQsgCyAR/QsEACALIBL9CwQQIAsgDWohCyALIBP9CwQAIAsgFP0LBBAgCyANaiELIAsgFf0LBAAgCyAW/QsEECALIA1qIQsgCyAX/QsEACALIBj9CwQQIAdBAWohBwwACwsgBkEBaiEGDAALCws=";

// src/kernels/dots.ts
var CHUNK_BYTES = 2 << 20;
var A_ROWS_MAX = 256;
var B_ROWS_MAX = 1024;
var shared = null;
function kernel() {
  if (!shared) {
    const module = new WebAssembly.Module(Buffer.from(DOTS_WASM_BASE64, "base64"));
    shared = new WebAssembly.Instance(module, {}).exports;
  }
  return shared;
}
function chunkRows(n2, w, max) {
  const byBytes = Math.floor(CHUNK_BYTES / (w * 8 * 4)) * 4;
  return Math.max(4, Math.min(max, byBytes, n2 + 3 & ~3));
}
function pack(m, w, r0, r1, dst, at) {
  const rows = r1 - r0;
  const panels = rows + 3 >> 2;
  for (let p = 0; p < panels; p++) {
    const base2 = at + p * w * 4;
    for (let r = 0; r < 4; r++) {
      const row = r0 + p * 4 + r;
      if (row < r1) {
        const src = row * w;
        for (let k = 0; k < w; k++) dst[base2 + k * 4 + r] = m[src + k];
      } else {
        for (let k = 0; k < w; k++) dst[base2 + k * 4 + r] = 0;
      }
    }
  }
}
function rowDots(a, na, b, nb, w, into) {
  const out = into ? into.subarray(0, na * nb) : new Float64Array(na * nb);
  if (na === 0 || nb === 0 || w === 0) return out;
  const k = kernel();
  const aRows = chunkRows(na, w, A_ROWS_MAX);
  const bRows = chunkRows(nb, w, B_ROWS_MAX);
  const aBytes = aRows * w * 8;
  const bBytes = bRows * w * 8;
  const need = aBytes + bBytes + aRows * bRows * 8;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const mem = new Float64Array(k.memory.buffer);
  const pa = 0;
  const pb = aBytes;
  const po = aBytes + bBytes;
  for (let j0 = 0; j0 < nb; j0 += bRows) {
    const j1 = Math.min(nb, j0 + bRows);
    const nb4 = j1 - j0 + 3 >> 2;
    pack(b, w, j0, j1, mem, pb / 8);
    for (let i0 = 0; i0 < na; i0 += aRows) {
      const i1 = Math.min(na, i0 + aRows);
      pack(a, w, i0, i1, mem, pa / 8);
      k.dots(pa, i1 - i0 + 3 >> 2, pb, nb4, w, po);
      const stride = nb4 * 4;
      const width = j1 - j0;
      if (width === nb && stride === nb) {
        out.set(mem.subarray(po / 8, po / 8 + (i1 - i0) * nb), i0 * nb);
        continue;
      }
      for (let i = i0; i < i1; i++) {
        const src = po / 8 + (i - i0) * stride;
        const dst = i * nb + j0;
        for (let j = 0; j < width; j++) out[dst + j] = mem[src + j];
      }
    }
  }
  return out;
}

// src/align/read-view.ts
var MAX_TRANSPOSE_ELEMENTS = 64 * 1024 * 1024;
var BLOCK_ELEMENTS = 1 << 20;
function checkDecodable(v) {
  if (!DECODABLE.has(v.entry.dtype)) {
    throw new FormatError(v.entry.file, `unsupported dtype ${v.entry.dtype} (decodable: ${[...DECODABLE].join(", ")})`, v.entry.name);
  }
}
var ViewReader = class {
  constructor(source, view) {
    this.source = source;
    this.view = view;
    checkDecodable(view);
  }
  whole = null;
  scratch = null;
  /** Canonical rows [r0, r1) as a Float32Array of (r1 - r0) * cols values (reused between calls). */
  async rows(r0, r1) {
    const out = await this.storedOrderRows(r0, r1);
    if (this.view.columnOrder) reorderColumns(out, this.view.cols, this.view.columnOrder);
    return out;
  }
  /** Canonical rows [r0, r1) with their columns in the order read (before `columnOrder`). */
  async storedOrderRows(r0, r1) {
    const v = this.view;
    const n2 = (r1 - r0) * v.cols;
    if (!this.scratch || this.scratch.length < n2) this.scratch = new Float32Array(n2);
    const out = this.scratch.subarray(0, n2);
    const bpe = bytesPerElement(v.entry.dtype);
    if (v.axes) {
      if (!this.whole) {
        const total = v.storedRows * v.storedCols;
        if (total > MAX_PERMUTE_ELEMENTS) {
          throw new FormatError(v.entry.file, `too large to compare in layout [${v.axes.join(", ")}] in memory (${total} elements, limit ${MAX_PERMUTE_ELEMENTS}); counted as unread`, v.entry.name);
        }
        const bytes2 = await this.source.read(v.entry.file, v.entry.begin, v.entry.begin + total * bpe);
        const stored = new Float32Array(total);
        decodeInto(v.entry.dtype, bytes2, 0, total, stored);
        this.whole = permuteAxes(stored, v.entry.shape, v.axes);
      }
      const from = (v.rowStart + r0) * v.cols;
      out.set(this.whole.subarray(from, from + n2));
      return out;
    }
    if (v.transpose) {
      if (!this.whole) {
        const total = v.storedRows * v.storedCols;
        if (total > MAX_TRANSPOSE_ELEMENTS) {
          throw new FormatError(v.entry.file, `too large to compare transposed in memory (${total} elements, limit ${MAX_TRANSPOSE_ELEMENTS}); counted as unread`, v.entry.name);
        }
        const bytes2 = await this.source.read(v.entry.file, v.entry.begin, v.entry.begin + total * bpe);
        this.whole = new Float32Array(total);
        decodeInto(v.entry.dtype, bytes2, 0, total, this.whole);
      }
      const w = this.whole;
      const sc = v.storedCols;
      for (let i = 0; i < r1 - r0; i++) {
        const storedCol = v.rowStart + r0 + i;
        const o = i * v.cols;
        for (let j = 0; j < v.cols; j++) out[o + j] = w[j * sc + storedCol];
      }
      return out;
    }
    const first = v.rowStart + r0;
    const begin = v.entry.begin + first * v.storedCols * bpe;
    if (v.cols === v.storedCols) {
      const bytes2 = await this.source.read(v.entry.file, begin, begin + n2 * bpe);
      decodeInto(v.entry.dtype, bytes2, 0, n2, out);
      return out;
    }
    const bytes = await this.source.read(v.entry.file, begin, begin + (r1 - r0) * v.storedCols * bpe);
    for (let i = 0; i < r1 - r0; i++) decodeInto(v.entry.dtype, bytes, i * v.storedCols * bpe, v.cols, out, i * v.cols);
    return out;
  }
  release() {
    this.whole = null;
    this.scratch = null;
  }
};

// src/search/matrix.ts
async function loadMatrix(source, view) {
  const reader = new ViewReader(source, view);
  const block = await reader.rows(0, view.rows);
  const data = block.slice();
  reader.release();
  return { rows: view.rows, cols: view.cols, data };
}
function transposed(m) {
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j];
  return { rows: m.cols, cols: m.rows, data: out };
}
var unitCache = /* @__PURE__ */ new WeakMap();
function unitRows(m, colSubset) {
  const key = colSubset ? `${colSubset.length}:${colSubset[0]}:${colSubset[colSubset.length - 1]}` : "all";
  let perMatrix = unitCache.get(m);
  const hit = perMatrix?.get(key);
  if (hit) return hit;
  const computed = computeUnitRows(m, colSubset);
  if (!perMatrix) unitCache.set(m, perMatrix = /* @__PURE__ */ new Map());
  perMatrix.set(key, computed);
  return computed;
}
function computeUnitRows(m, colSubset) {
  const width = colSubset ? colSubset.length : m.cols;
  const out = new Float32Array(m.rows * width);
  for (let i = 0; i < m.rows; i++) {
    let ss = 0;
    const base2 = i * m.cols;
    for (let k = 0; k < width; k++) {
      const v = m.data[base2 + (colSubset ? colSubset[k] : k)];
      out[i * width + k] = v;
      ss += v * v;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let k = 0; k < width; k++) out[i * width + k] *= inv;
  }
  return { data: out, width };
}
function rowCosines(a, b, colSubset, into) {
  const ua = unitRows(a, colSubset);
  const ub = unitRows(b, colSubset);
  return rowDots(ua.data, a.rows, ub.data, b.rows, ua.width, into);
}
function columnSubset(cols, k) {
  if (cols <= k) return void 0;
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) out[i] = Math.floor(i * cols / k);
  return out;
}
function mapColumns(m, perm, sign, targetCols) {
  const out = new Float32Array(m.rows * targetCols);
  for (let i = 0; i < m.rows; i++) {
    const base2 = i * m.cols;
    const ob = i * targetCols;
    for (let c = 0; c < m.cols; c++) {
      const t = perm[c];
      if (t >= 0 && t < targetCols) out[ob + t] = sign[c] * m.data[base2 + c];
    }
  }
  return { rows: m.rows, cols: targetCols, data: out };
}
function leadingCols(m, cols) {
  const out = new Float32Array(m.rows * cols);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols, i * m.cols + cols), i * cols);
  return { rows: m.rows, cols, data: out };
}
function rowBlock(m, r0, r1) {
  return { rows: r1 - r0, cols: m.cols, data: m.data.subarray(r0 * m.cols, r1 * m.cols) };
}
function pickColumns(m, columns2, sign) {
  const out = new Float32Array(m.rows * columns2.length);
  for (let i = 0; i < m.rows; i++) {
    for (let x = 0; x < columns2.length; x++) {
      const c = columns2[x];
      out[i * columns2.length + x] = c < 0 ? 0 : (sign ? sign[x] : 1) * m.data[i * m.cols + c];
    }
  }
  return { rows: m.rows, cols: columns2.length, data: out };
}
function pickRows(m, rows) {
  const out = new Float32Array(rows.length * m.cols);
  rows.forEach((r, k) => out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return { rows: rows.length, cols: m.cols, data: out };
}

// src/stats/small-permutation.ts
var MONTE_CARLO_DRAWS = 9999;
var STOP_AT_HITS = 10;
var LN103 = Math.LN10;
function smallPermutationLog10p(cross, n2) {
  let t = 0;
  for (let i = 0; i < n2; i++) t += cross[i * n2 + i];
  const mc = monteCarloLog10p(cross, n2, t);
  const resolved = Math.log10(2 / (MONTE_CARLO_DRAWS + 1));
  if (mc > resolved) return mc;
  const bound = chernoffLog10(cross, n2, Math.abs(t), t >= 0 ? 1 : -1);
  return Math.min(0, Math.log10(2) + Math.min(mc, bound));
}
function monteCarloLog10p(cross, n2, t) {
  const perm = Int32Array.from({ length: n2 }, (_, i) => i);
  let s = (2654435769 ^ n2 * 2654435761) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const limit = Math.abs(t) * (1 - 1e-12);
  let hits = 0;
  for (let b = 0; b < MONTE_CARLO_DRAWS; b++) {
    for (let i = n2 - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      const x = perm[i];
      perm[i] = perm[j];
      perm[j] = x;
    }
    let tp = 0;
    for (let i = 0; i < n2; i++) tp += cross[i * n2 + perm[i]];
    if (Math.abs(tp) >= limit && ++hits === STOP_AT_HITS) return Math.log10(STOP_AT_HITS / (b + 1));
  }
  return Math.log10((1 + hits) / (MONTE_CARLO_DRAWS + 1));
}
function chernoffLog10(cross, n2, t, sign) {
  let logFactorial = 0;
  for (let k = 2; k <= n2; k++) logFactorial += Math.log(k);
  let best = 0;
  for (let step = 0; step <= 30; step++) {
    const lambda = 0.05 * 1.45 ** step;
    let log = -lambda * t - logFactorial;
    for (let i = 0; i < n2; i++) {
      let max = -Infinity;
      for (let j = 0; j < n2; j++) max = Math.max(max, lambda * sign * cross[i * n2 + j]);
      let sum = 0;
      for (let j = 0; j < n2; j++) sum += Math.exp(lambda * sign * cross[i * n2 + j] - max);
      log += max + Math.log(sum);
    }
    if (log < best) best = log;
  }
  return best / LN103;
}

// src/stats/permutation.ts
var SIDE_A = new Scratch();
var SIDE_B = new Scratch();
var UNITS_A = new Scratch();
var UNITS_B = new Scratch();
var PRODUCTS_A = new Scratch();
var PRODUCTS_B = new Scratch();
var SMALL_UNITS = 64;
function permutationTest({ a, b, rows, cols }, axis) {
  const n2 = axis === "rows" ? rows : cols;
  const m = axis === "rows" ? cols : rows;
  if (n2 < 3 || m < 1) return null;
  const ca = standardised(a, n2, m, cols, axis, SIDE_A.take(m * n2));
  const cb = standardised(b, n2, m, cols, axis, SIDE_B.take(m * n2));
  if (!ca || !cb) return null;
  let t = 0;
  let ssa = 0;
  let ssb = 0;
  for (let i = 0; i < n2 * m; i++) {
    const x = ca[i];
    const y = cb[i];
    t += x * y;
    ssa += x * x;
    ssb += y * y;
  }
  if (n2 < SMALL_UNITS) {
    const cross = crossProducts(ca, cb, n2, m);
    let s2 = 0;
    for (let i = 0; i < n2 * n2; i++) s2 += cross[i] * cross[i];
    const variance2 = s2 / (n2 - 1);
    if (!(variance2 > 0)) return null;
    const z2 = t / Math.sqrt(variance2);
    return { units: n2, features: m, z: z2, log10p: smallPermutationLog10p(cross, n2), effect: t / Math.sqrt(ssa * ssb) };
  }
  const s = 2 * m < n2 ? gramInner(ca, cb, n2, m) : crossSquares(ca, cb, n2, m);
  const variance = s / (n2 - 1);
  if (!(variance > 0)) return null;
  const z = t / Math.sqrt(variance);
  return { units: n2, features: m, z, log10p: twoSidedNormalLog10(z), effect: t / Math.sqrt(ssa * ssb) };
}
function standardised(x, n2, m, cols, axis, into) {
  const out = into ?? new Float64Array(m * n2);
  if (axis === "cols") for (let i = 0; i < m * n2; i++) out[i] = x[i];
  else for (let u = 0; u < n2; u++) for (let k = 0, i = u * cols; k < m; k++, i++) out[k * n2 + u] = x[i];
  const inv = new Float64Array(n2);
  unitLengths(out, n2, m, inv);
  let spread3 = 0;
  const featureSs = new Float64Array(m);
  for (let k = 0; k < m; k++) spread3 += featureSs[k] = scaleAndCentre(out, k * n2, n2, inv);
  if (!(spread3 > 1e-12 * n2)) return null;
  for (let k = 0; k < m; k++) {
    const ss = featureSs[k];
    scaleRow(out, k * n2, n2, ss > 0 ? 1 / Math.sqrt(ss / n2) : 0);
  }
  if (!unitLengths(out, n2, m, inv)) return null;
  for (let k = 0; k < m; k++) scaleAndCentre(out, k * n2, n2, inv);
  return out;
}
function unitLengths(x, n2, m, inv) {
  inv.fill(0);
  for (let k = 0; k < m; k++) {
    const o = k * n2;
    for (let u = 0; u < n2; u++) {
      const v = x[o + u];
      inv[u] = inv[u] + v * v;
    }
  }
  let any = false;
  for (let u = 0; u < n2; u++) {
    const ss = inv[u];
    if (ss > 0) any = true;
    inv[u] = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  }
  return any;
}
function scaleAndCentre(x, o, n2, inv) {
  let sum = 0;
  for (let u = 0; u < n2; u++) {
    const v = x[o + u] * inv[u];
    x[o + u] = v;
    sum += v;
  }
  const mean = sum / n2;
  let ss = 0;
  for (let u = 0; u < n2; u++) {
    const v = x[o + u] - mean;
    x[o + u] = v;
    ss += v * v;
  }
  return ss;
}
function scaleRow(x, o, n2, s) {
  for (let u = 0; u < n2; u++) x[o + u] = x[o + u] * s;
}
function gramInner(ca, cb, n2, m) {
  const ga = rowDots(ca, m, ca, m, n2, PRODUCTS_A.take(m * m));
  const gb2 = rowDots(cb, m, cb, m, n2, PRODUCTS_B.take(m * m));
  let s = 0;
  for (let i = 0; i < m * m; i++) s += ga[i] * gb2[i];
  return s;
}
function crossProducts(ca, cb, n2, m) {
  return rowDots(unitMajor(ca, n2, m, UNITS_A.take(n2 * m)), n2, unitMajor(cb, n2, m, UNITS_B.take(n2 * m)), n2, m, PRODUCTS_A.take(n2 * n2));
}
function crossSquares(ca, cb, n2, m) {
  const cross = rowDots(unitMajor(ca, n2, m, UNITS_A.take(n2 * m)), n2, unitMajor(cb, n2, m, UNITS_B.take(n2 * m)), n2, m, PRODUCTS_A.take(n2 * n2));
  let s = 0;
  for (let i = 0; i < n2 * n2; i++) s += cross[i] * cross[i];
  return s;
}
function unitMajor(x, n2, m, out) {
  for (let k = 0; k < m; k++) for (let u = 0, i = k * n2; u < n2; u++, i++) out[u * m + k] = x[i];
  return out;
}

// src/search/match-rows.ts
var SCORE_COLUMNS = 512;
var SEARCH_ROWS = 256;
function searchRows(n2, modulus) {
  if (n2 <= SEARCH_ROWS) return Int32Array.from({ length: n2 }, (_, i) => i);
  const mod = modulus > 0 && n2 % modulus === 0 ? modulus : n2;
  const keep = Math.min(1, SEARCH_ROWS / mod);
  const out = [];
  for (let i = 0; i < n2; i++) if ((Math.imul(i % mod, 2654435761) >>> 0) / 4294967296 < keep) out.push(i);
  return Int32Array.from(out);
}
var COS_BLOCK_CELLS = 1 << 18;
var COS_BLOCK = new Scratch();
function absCosines(c, r, cols, swap) {
  const n2 = c.rows;
  const m = r.rows;
  const out = new Float32Array(n2 * m);
  const step = Math.max(1, Math.min(n2, Math.floor(COS_BLOCK_CELLS / Math.max(1, m))));
  const block = COS_BLOCK.take(step * m);
  for (let i0 = 0; i0 < n2; i0 += step) {
    const rows = Math.min(step, n2 - i0);
    const cos = rowCosines(rowBlock(c, i0, i0 + rows), r, cols, block);
    for (let k = 0; k < rows; k++) {
      const i = i0 + k;
      if (!swap) for (let j = 0; j < m; j++) out[i * m + j] = Math.abs(cos[k * m + j]);
      else for (let j = 0; j < m; j++) out[j * n2 + i] = Math.abs(cos[k * m + j]);
    }
  }
  return out;
}
function dotSign(c, r, i, j, cols) {
  const w = cols ? cols.length : Math.min(c.cols, r.cols);
  let dot = 0;
  for (let x = 0; x < w; x++) {
    const col = cols ? cols[x] : x;
    dot += c.data[i * c.cols + col] * r.data[j * r.cols + col];
  }
  return dot < 0 ? -1 : 1;
}
function matchRows(cFull, r, modulus = 0) {
  const picked = searchRows(cFull.rows, modulus);
  const c = picked.length === cFull.rows ? cFull : pickRows(cFull, picked);
  const n2 = c.rows;
  const m = r.rows;
  const w = Math.min(c.cols, r.cols);
  const cc = c.cols === w ? c : leadingCols(c, w);
  const rr = r.cols === w ? r : leadingCols(r, w);
  const { choose, held } = splitFeatures(w, n2 * m * Math.ceil(w / 2) > 2e8 ? SCORE_COLUMNS : w);
  const swap = n2 > m;
  const abs = absCosines(cc, rr, choose, swap);
  const perm = swap ? invertMatching(maximizeAssignment(abs, m, n2), n2) : maximizeAssignment(abs, n2, m);
  const signs = new Int8Array(n2);
  let flipped = 0;
  let matched = 0;
  for (let i = 0; i < n2; i++) {
    const j = perm[i];
    if (j < 0) continue;
    matched++;
    signs[i] = dotSign(cc, rr, i, j, choose);
    if (signs[i] < 0) flipped++;
  }
  const matching = { perm, signs };
  const select = matchedPearson(cc, rr, matching, choose ?? allColumns(w));
  let judged = null;
  const heldOut = () => judged ??= heldOutTest(cc, rr, matching, held);
  const fullPerm = new Int32Array(cFull.rows).fill(-1);
  const fullSigns = new Int8Array(cFull.rows);
  let identical = 0;
  picked.forEach((row, k) => {
    fullPerm[row] = perm[k];
    fullSigns[row] = signs[k];
    if (perm[k] === row) identical++;
  });
  return { select, heldOut, perm: fullPerm, signs: fullSigns, identityFraction: identical / Math.max(1, matched), flipped: flipped / Math.max(1, matched) };
}
function splitFeatures(w, limit) {
  const even = Array.from({ length: Math.ceil(w / 2) }, (_, i) => 2 * i);
  const odd = Array.from({ length: Math.floor(w / 2) }, (_, i) => 2 * i + 1);
  const thin = (xs) => xs.length <= limit ? xs : Array.from({ length: limit }, (_, i) => xs[Math.floor(i * xs.length / limit)]);
  return { choose: Int32Array.from(thin(even)), held: Int32Array.from(odd) };
}
var allColumns = (w) => Int32Array.from({ length: w }, (_, i) => i);
function matchedPearson(c, r, matching, cols) {
  const { a, b } = matchedColumns(c, r, matching, cols);
  const acc = new PairAccumulator();
  acc.add(a, b);
  return acc.result().pearson ?? 0;
}
function matchedColumns(c, r, { perm, signs }, cols) {
  const rows = [];
  for (let i = 0; i < perm.length; i++) if (perm[i] >= 0) rows.push(i);
  const k = cols.length;
  const a = new Float32Array(rows.length * k);
  const b = new Float32Array(rows.length * k);
  rows.forEach((i, q) => {
    const j = perm[i];
    const s = signs[i];
    for (let x = 0; x < k; x++) {
      a[q * k + x] = s * c.data[i * c.cols + cols[x]];
      b[q * k + x] = r.data[j * r.cols + cols[x]];
    }
  });
  return { a, b, rows: rows.length };
}
function heldOutTest(c, r, matching, held) {
  const { a, b, rows } = matchedColumns(c, r, matching, held);
  const acc = new PairAccumulator();
  acc.add(a, b);
  const st = acc.result();
  const test = rows >= 1 && held.length >= 3 ? permutationTest({ a, b, rows, cols: held.length }, "cols") : null;
  return { test, pearson: st.pearson ?? 0, cosine: st.cosine ?? 0 };
}

// src/search/expert-gram.ts
function gramTriangle(s, k, f) {
  const out = new Float64Array(k * (k + 1) / 2);
  let o = 0;
  for (let a = 0; a < k; a++) {
    const ra = a * f;
    for (let b = a; b < k; b++) {
      const rb = b * f;
      let sum = 0;
      for (let x = 0; x < f; x++) sum += s[ra + x] * s[rb + x];
      out[o++] = sum;
    }
  }
  return out;
}
function standardise(items) {
  const n2 = items[0]?.vector.length ?? 0;
  const mean = new Float64Array(n2);
  for (const it of items) for (let i = 0; i < n2; i++) mean[i] += it.vector[i] / items.length;
  for (const it of items) {
    const v = it.vector;
    let m = 0;
    for (let i = 0; i < n2; i++) m += (v[i] -= mean[i]) / n2;
    let ss = 0;
    for (let i = 0; i < n2; i++) ss += (v[i] -= m) ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let i = 0; i < n2; i++) v[i] *= inv;
  }
}
function similarity(cand, ref) {
  const out = new Float64Array(cand.length * ref.length);
  cand.forEach(
    (c, i) => ref.forEach((r, j) => {
      let s = 0;
      for (let x = 0; x < c.vector.length; x++) s += c.vector[x] * r.vector[x];
      out[i * ref.length + j] = s;
    })
  );
  return out;
}
function assign(score, n2, m) {
  if (n2 <= m) return maximizeAssignment(score, n2, m);
  const out = new Int32Array(n2);
  for (let i = 0; i < n2; i++) {
    let best = 0;
    for (let j = 1; j < m; j++) if (score[i * m + j] > score[i * m + best]) best = j;
    out[i] = best;
  }
  return out;
}
function columnGram(m, cols) {
  const k = cols.length;
  const s = new Float32Array(k * m.rows);
  for (let a = 0; a < k; a++) for (let u = 0; u < m.rows; u++) s[a * m.rows + u] = m.data[u * m.cols + cols[a]];
  return gramTriangle(s, k, m.rows);
}

// src/search/expert-partners.ts
var GRAM_FEATURES = 32;
var EXPERT_ROLE = /^((?:.*\.)?experts\.)(\d+)\.(.+)$/;
function candidateExpert(prefix, name2, groupExpert) {
  const m = /(?:^|\.)experts\.(\d+)\./.exec(name2);
  return m ? `${prefix}#${m[1]}` : `${prefix}${groupExpert}`;
}
function unitsKey(role, candidateName) {
  const m = EXPERT_ROLE.exec(role);
  return m ? `${candidateExpert(m[1], candidateName, Number(m[2]))}.${m[3]}` : role;
}
var hasExpertGroups = (groups) => groups.some((x) => EXPERT_ROLE.test(x.g.role));
async function choosePartners(groups, at) {
  const bases = /* @__PURE__ */ new Map();
  for (const x of groups) {
    const m = EXPERT_ROLE.exec(x.g.role);
    if (!m || x.kind !== "cols") continue;
    const key = `${m[1]}*.${m[3]}`;
    bases.set(key, [...bases.get(key) ?? [], { x, prefix: m[1], expert: Number(m[2]) }]);
  }
  const byExpert2 = /* @__PURE__ */ new Map();
  for (const items of bases.values()) for (const [from, to] of await matchLayer(items, at)) byExpert2.set(from, to);
  const byRole = /* @__PURE__ */ new Map();
  for (const x of groups) byRole.set(x.g.role, byRole.has(x.g.role) ? null : x);
  return (x, v) => {
    const m = EXPERT_ROLE.exec(x.g.role);
    const to = m ? byExpert2.get(candidateExpert(m[1], v.entry.name, Number(m[2]))) : void 0;
    const other = to && byRole.get(`${to.expert}.${m[3]}`);
    return other && other.kind === x.kind ? { refs: other.g.refs, options: to.options } : void 0;
  };
}
async function matchLayer(items, at) {
  const { reader, look } = at;
  const { choose } = splitFeatures(reader.features.length, GRAM_FEATURES);
  const cand = [];
  const ref = [];
  for (const { x, prefix, expert } of items) {
    const views = [...x.g.cand.values()].filter((v) => v.layer === at.layer);
    const c = views.length === 1 ? await reader.candidate(views[0], "cols", look, candidateUnits(x, views[0])) : null;
    if (c) cand.push({ key: candidateExpert(prefix, views[0].entry.name, expert), vector: columnGram(c, choose) });
    const rv = [...x.g.refs.values()].find((r2) => r2.layer === at.want);
    const r = rv ? await reader.reference(rv, "cols") : null;
    if (r) ref.push({ key: `${prefix}${expert}`, vector: columnGram(r, choose) });
  }
  if (new Set(cand.map((c) => c.key)).size !== cand.length) return /* @__PURE__ */ new Map();
  return pairSketches(cand, ref);
}
function pairSketches(cand, ref) {
  if (cand.length < 2 || ref.length < 2) return /* @__PURE__ */ new Map();
  standardise(cand);
  standardise(ref);
  return pairStandardised(cand, ref);
}
function pairStandardised(cand, ref) {
  const out = /* @__PURE__ */ new Map();
  if (cand.length < 2 || ref.length < 2) return out;
  const chosen = assign(similarity(cand, ref), cand.length, ref.length);
  cand.forEach((c, i) => {
    const j = chosen[i];
    if (j >= 0) out.set(c.key, { expert: ref[j].key, options: ref.length });
  });
  return out;
}
function paidPartner(result, options) {
  const log10p = bonferroniLog10(result.log10p, options);
  return { ...result, log10p, z: zFromLog10P(log10p), transform: ["expert-matched", ...result.transform] };
}

// src/search/expert-partners-whole.ts
var DOWN = /(^|\.)down\.weight$/;
function wholePartners(groups, forms, candForm) {
  const parsed = /* @__PURE__ */ new Map();
  const byRole = /* @__PURE__ */ new Map();
  for (const g of groups) {
    const m = EXPERT_ROLE.exec(g.role);
    if (!m || g.candidate.length === 0 || g.reference.length === 0) continue;
    parsed.set(g, { prefix: m[1], expert: Number(m[2]), part: m[3] });
    byRole.set(g.role, byRole.has(g.role) ? null : g);
  }
  const downs = [...parsed].filter(([, p]) => DOWN.test(p.part));
  if (downs.length < 2) return null;
  const partners = /* @__PURE__ */ new Map();
  const bases = /* @__PURE__ */ new Map();
  for (const d of downs) bases.set(`${d[1].prefix}*.${d[1].part}`, [...bases.get(`${d[1].prefix}*.${d[1].part}`) ?? [], d]);
  const refLayers = /* @__PURE__ */ new Set();
  for (const items of bases.values()) pairLayers(items, { forms, candForm, partners, refLayers });
  if (partners.size === 0) return null;
  return (g, ct) => {
    const p = parsed.get(g);
    if (!p) return null;
    const out = [];
    for (const rl of refLayers) {
      const to = partners.get(`${ct.layer}|${rl}|${candidateExpert(p.prefix, ct.name, p.expert)}`);
      const other = to && byRole.get(`${to.expert}.${p.part}`);
      const k = other ? other.reference.findIndex((rt) => rt.layer === rl) : -1;
      if (other && k >= 0) out.push({ rt: other.reference[k], form: forms.get(other)[k], options: to.options });
    }
    return out.length ? out : null;
  };
}
function pairLayers(items, { forms, candForm, partners, refLayers }) {
  const cand = /* @__PURE__ */ new Map();
  const ref = /* @__PURE__ */ new Map();
  const push = (m, layer, s) => m.set(layer, [...m.get(layer) ?? [], s]);
  for (const [g, p] of items) {
    const refs = forms.get(g);
    const w = Math.min(refs[0].cols, candForm(g.candidate[0], g, refs[0].cols).cols);
    const { choose } = splitFeatures(w, GRAM_FEATURES);
    for (const ct of g.candidate) push(cand, ct.layer, { key: candidateExpert(p.prefix, ct.name, p.expert), vector: columnGram(candForm(ct, g, refs[0].cols), choose) });
    g.reference.forEach((rt, k) => push(ref, rt.layer, { key: `${p.prefix}${p.expert}`, vector: columnGram(refs[k], choose) }));
  }
  for (const xs of [...cand.values(), ...ref.values()]) if (xs.length >= 2) standardise(xs);
  const unique = (xs) => new Set(xs.map((x) => x.key)).size === xs.length;
  for (const [cl, cs] of cand) {
    if (!unique(cs)) continue;
    for (const [rl, rs] of ref) {
      refLayers.add(rl);
      if (!unique(rs)) continue;
      for (const [from, to] of pairStandardised(cs, rs)) partners.set(`${cl}|${rl}|${from}`, to);
    }
  }
}

// src/search/procrustes.ts
var PROCRUSTES_MAX_DIM = 512;
function procrustes(a, b) {
  const d = a.cols;
  if (d !== b.cols || d > PROCRUSTES_MAX_DIM || d < 2) return null;
  const rows = Math.min(a.rows, b.rows);
  const m = rowDots(columns(a, rows), d, columns(b, rows), d, rows);
  const { u, v } = svd(m, d);
  const q = rowDots(u, d, v, d, d);
  const mapped = rowDots(a.data, rows, transpose(q, d), d, d);
  let fit = 0;
  for (let r = 0; r < rows; r++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = 0; j < d; j++) {
      const x = mapped[r * d + j];
      const y = b.data[r * d + j];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    fit += aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
  }
  return { q, fit: fit / Math.max(1, rows) };
}
function columns(m, rows) {
  const out = new Float32Array(m.cols * rows);
  for (let r = 0; r < rows; r++) for (let i = 0; i < m.cols; i++) out[i * rows + r] = m.data[r * m.cols + i];
  return out;
}
function transpose(q, d) {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[j * d + i] = q[i * d + j];
  return out;
}
function svd(m, d) {
  const a = transpose(m, d);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let p = 0; p < d - 1; p++) {
      const pc = p * d;
      for (let q = p + 1; q < d; q++) {
        const qc = q * d;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < d; i++) {
          const x = a[pc + i];
          const y = a[qc + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        off = Math.max(off, Math.abs(gamma) / Math.sqrt(alpha * beta));
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s2 = c * t;
        for (let i = 0; i < d; i++) {
          const x = a[pc + i];
          const y = a[qc + i];
          a[pc + i] = c * x - s2 * y;
          a[qc + i] = s2 * x + c * y;
          const vx = v[pc + i];
          const vy = v[qc + i];
          v[pc + i] = c * vx - s2 * vy;
          v[qc + i] = s2 * vx + c * vy;
        }
      }
    }
    if (off < 1e-12) break;
  }
  const s = new Float64Array(d);
  const u = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let n2 = 0;
    for (let i = 0; i < d; i++) n2 += a[j * d + i] ** 2;
    n2 = Math.sqrt(n2);
    s[j] = n2;
    for (let i = 0; i < d; i++) u[i * d + j] = n2 > 0 ? a[j * d + i] / n2 : i === j ? 1 : 0;
  }
  return { u, s, v: transpose(v, d) };
}
function rotateRows(m, q) {
  const d = m.cols;
  const qt = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) qt[j * d + i] = q[i * d + j];
  return { rows: m.rows, cols: d, data: Float32Array.from(rowDots(m.data, m.rows, qt, d, d)) };
}

// src/search/align-once.ts
var DUPLICATE_R = 0.5;
var cellKey = (g, ct) => `${g.role}|${ct.name}`;
function hForm(t, hidden) {
  return hidden === "rows" ? t.m : transposed(t.m);
}
function alignOnce(groups, transform, residualSize, progress) {
  const refs = referenceForms(groups);
  const toRef = candidateInReferenceBasis(transform);
  const partners = transform ? wholePartners(groups, refs.forms, toRef) : null;
  const layers = matchLayers(groups, { refForms: refs.forms, toRef, residualSize, partners }, progress);
  const results = judgeChosen(groups, layers, { isDuplicate: refs.isDuplicate, transform, residualSize });
  const map = transform?.kind === "permutation" ? transform.map : null;
  return { results, residualPermuted: transform !== null, residualMatchQuality: map ? map.quality : null, referenceDuplicates: refs.duplicates };
}
function candidateInReferenceBasis(transform) {
  const map = transform?.kind === "permutation" ? transform.map : null;
  return (t, g, refCols) => {
    const h = hForm(t, g.hidden);
    if (transform?.kind === "rotation") return h.cols === transform.d && refCols === transform.d ? rotateRows(h, transform.q) : h;
    if (!map || h.cols !== map.perm.length) return h;
    return mapColumns(h, map.perm, map.sign, refCols);
  };
}
function referenceForms(groups) {
  const forms = /* @__PURE__ */ new Map();
  const pairs = /* @__PURE__ */ new Set();
  const duplicates = [];
  for (const g of groups) {
    const refH = g.reference.map((t) => hForm(t, g.hidden));
    forms.set(g, refH);
    for (let a = 0; a < g.reference.length; a++) {
      for (let b = a + 1; b < g.reference.length; b++) {
        if (!(directPearson(refH[a], refH[b]) > DUPLICATE_R)) continue;
        const la = g.reference[a].layer ?? -1;
        const lb = g.reference[b].layer ?? -1;
        const key = `${Math.min(la, lb)}|${Math.max(la, lb)}`;
        if (!pairs.has(key)) duplicates.push([Math.min(la, lb), Math.max(la, lb)]);
        pairs.add(key);
      }
    }
  }
  const isDuplicate = (a, b) => pairs.has(`${Math.min(a ?? -1, b ?? -1)}|${Math.max(a ?? -1, b ?? -1)}`);
  return { forms, duplicates, isDuplicate };
}
function directPearson(a, b) {
  if (a.rows !== b.rows || a.cols !== b.cols) return 0;
  const acc = new PairAccumulator();
  acc.add(a.data, b.data);
  return acc.result().pearson ?? 0;
}
function matchLayers(groups, ctx, progress) {
  const toMatch = groups.reduce((n2, g) => n2 + g.candidate.length, 0);
  const matched = /* @__PURE__ */ new Set();
  const cells = /* @__PURE__ */ new Map();
  const fillRow = (g, ct, only) => {
    matched.add(ct);
    progress?.(matched.size, toMatch);
    cells.set(cellKey(g, ct), matchAcross(g, ct, ctx, only));
  };
  const selecting = selectingGroups(groups);
  for (const g of selecting) for (const ct of g.candidate) fillRow(g, ct, () => true);
  const chosenLayer = chooseLayers(selecting, cells);
  const others = groups.filter((g) => !selecting.has(g));
  for (const g of others) {
    for (const ct of g.candidate) {
      const want = chosenLayer.get(ct.layer);
      if (want === void 0) fillRow(g, ct, () => true);
      else fillRow(g, ct, (l) => l === want);
    }
  }
  for (const g of others) {
    for (const ct of g.candidate) {
      if (chosenLayer.has(ct.layer)) continue;
      const best = cells.get(cellKey(g, ct)).reduce((a, b) => a === null || b.select > a.select ? b : a, null);
      if (best) chosenLayer.set(ct.layer, best.refLayer);
    }
  }
  return { cells, chosenLayer };
}
function matchAcross(g, ct, { refForms, toRef, residualSize, partners }, only) {
  const refH = refForms.get(g);
  const row = [];
  const mapped = /* @__PURE__ */ new Map();
  const options = partners?.(g, ct) ?? g.reference.map((rt, k) => ({ rt, form: refH[k], options: 1 }));
  for (const { rt, form, options: n2 } of options) {
    if (!only(rt.layer)) continue;
    const cols = form.cols;
    if (!mapped.has(cols)) mapped.set(cols, toRef(ct, g, cols));
    row.push({ ...matchRows(mapped.get(cols), form, residualSize), refName: rt.name, refLayer: rt.layer, options: n2 });
  }
  return row;
}
function selectingGroups(groups) {
  const cost = (g) => {
    const c = hForm(g.candidate[0], g.hidden);
    const r = hForm(g.reference[0], g.hidden);
    return c.rows * r.rows * Math.min(c.cols, r.cols);
  };
  const cheapest = Math.min(...groups.filter((g) => g.candidate.length && g.reference.length).map(cost));
  return new Set(groups.filter((g) => g.candidate.length && g.reference.length && cost(g) <= 2 * cheapest));
}
function chooseLayers(selecting, cells) {
  const layerScore = /* @__PURE__ */ new Map();
  for (const g of selecting) {
    for (const ct of g.candidate) {
      const scores = layerScore.get(ct.layer) ?? /* @__PURE__ */ new Map();
      for (const cell of cells.get(cellKey(g, ct))) scores.set(cell.refLayer, (scores.get(cell.refLayer) ?? 0) + cell.select);
      layerScore.set(ct.layer, scores);
    }
  }
  const chosenLayer = /* @__PURE__ */ new Map();
  for (const [cl, scores] of layerScore) {
    let best = null;
    let bestScore = -Infinity;
    for (const [rl, sc] of scores) {
      if (sc > bestScore + 1e-12 || Math.abs(sc - bestScore) <= 1e-12 && rl === cl) {
        best = rl;
        bestScore = sc;
      }
    }
    chosenLayer.set(cl, best);
  }
  return chosenLayer;
}
function judgeChosen(groups, { cells, chosenLayer }, { isDuplicate, transform, residualSize }) {
  const results = [];
  for (const g of groups) {
    const nul = alignedNull(g, cells, chosenLayer, isDuplicate);
    const exchangeable = residualSize > 0 && g.reference.length > 0 && hForm(g.reference[0], g.hidden).cols === residualSize;
    for (const ct of g.candidate) {
      const want = chosenLayer.get(ct.layer);
      const cell = cells.get(cellKey(g, ct)).find((c) => c.refLayer === want);
      if (!cell) continue;
      const { test, pearson: pearson2, cosine } = cell.heldOut();
      const result = {
        candidate: ct.name,
        reference: cell.refName,
        pearson: pearson2,
        cosine,
        log10p: exchangeable ? test?.log10p ?? 0 : 0,
        z: exchangeable ? test?.z ?? 0 : 0,
        effect: test?.effect ?? 0,
        null: nul,
        transform: transformsOf(cell, ct, transform),
        elements: ct.m.rows * ct.m.cols
      };
      results.push(cell.options > 1 ? paidPartner(result, cell.options) : result);
    }
  }
  return results;
}
function alignedNull(g, cells, chosenLayer, isDuplicate) {
  const values = [];
  for (const ct of g.candidate) {
    const want = chosenLayer.get(ct.layer);
    for (const cell of cells.get(cellKey(g, ct))) {
      if (cell.refLayer === want || isDuplicate(cell.refLayer, want ?? null)) continue;
      values.push(cell.select);
    }
  }
  return summarise(values);
}
function summarise(values) {
  const n2 = values.length;
  if (n2 === 0) return { mean: 0, sd: 0, n: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / n2;
  const sd = n2 > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n2 - 1)) : 0;
  return { mean, sd, n: n2 };
}
function transformsOf(cell, ct, transform) {
  const transforms = [];
  if (cell.refLayer !== ct.layer) transforms.push("layer-shift");
  if (transform !== null) transforms.push(transform.kind === "rotation" ? "residual-rotated" : "residual-permuted");
  if (cell.identityFraction < 0.9) transforms.push("permuted-rows");
  if (cell.flipped > 0.1 && cell.flipped < 0.9) transforms.push("sign-flips");
  return transforms;
}

// src/search/residual.ts
var ROTATION_MIN_FIT = 0.9;
function unitResidualRows(m, { residual, center }, { cols, shared: shared3 }) {
  const d = residual === "rows" ? m.rows : m.cols;
  const k = cols ? cols.length : shared3;
  const at = residual === "rows" ? (i, j) => i * m.cols + j : (i, j) => j * m.cols + i;
  const mean = new Float64Array(k);
  if (center)
    for (let x = 0; x < k; x++) {
      const j = cols ? cols[x] : x;
      let mu = 0;
      for (let i = 0; i < d; i++) mu += m.data[at(i, j)];
      mean[x] = mu / d;
    }
  const out = new Float32Array(d * k);
  for (let i = 0; i < d; i++) {
    const row = out.subarray(i * k, (i + 1) * k);
    let ss = 0;
    for (let x = 0; x < k; x++) {
      const v = Math.fround(m.data[at(i, cols ? cols[x] : x)] - mean[x]);
      row[x] = v;
      ss += v * v;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let x = 0; x < k; x++) row[x] *= inv;
  }
  return out;
}
var ROW_CHUNK = 128;
var DENSE_MAX_CELLS = 4 << 20;
var TOP_K = 32;
function residualMap(basis) {
  const blocks = [];
  let n2 = 0;
  let m = 0;
  for (const b of basis.blocks) {
    const dims = (x) => b.residual === "rows" ? x.rows : x.cols;
    const other = (x) => b.residual === "rows" ? x.cols : x.rows;
    if (blocks.length && (dims(b.candidate) !== n2 || dims(b.reference) !== m)) continue;
    const shared3 = Math.min(other(b.candidate), other(b.reference));
    if (shared3 < 2) continue;
    n2 = dims(b.candidate);
    m = dims(b.reference);
    const cols = columnSubset(shared3, 4096);
    const k = cols ? cols.length : shared3;
    const over = { cols, shared: shared3 };
    blocks.push({ c: unitResidualRows(b.candidate, b, over), r: unitResidualRows(b.reference, b, over), k, w: Math.sqrt(k), signed: b.signed });
  }
  if (!blocks.length) return null;
  const signing = blocks.find((b) => !b.signed) ?? null;
  const dense = n2 * m <= DENSE_MAX_CELLS;
  const total = dense ? new Float32Array(n2 * m) : null;
  const top = dense ? null : { col: new Int32Array(n2 * TOP_K).fill(-1), score: new Float32Array(n2 * TOP_K).fill(-Infinity) };
  const chunk = new Float32Array(Math.min(ROW_CHUNK, n2) * m);
  const cosBlock = new Float64Array(Math.min(ROW_CHUNK, n2) * m);
  for (let i0 = 0; i0 < n2; i0 += ROW_CHUNK) {
    const rows = Math.min(ROW_CHUNK, n2 - i0);
    const cells = rows * m;
    chunk.fill(0, 0, cells);
    for (const b of blocks) {
      const cos = rowDots(b.c.subarray(i0 * b.k, (i0 + rows) * b.k), rows, b.r, m, b.k, cosBlock);
      for (let k = 0; k < cells; k++) chunk[k] += b.w * (b.signed ? cos[k] : Math.abs(cos[k]));
    }
    if (total) total.set(chunk.subarray(0, cells), i0 * m);
    else for (let k = 0; k < rows; k++) keepTop(chunk.subarray(k * m, (k + 1) * m), top.col, top.score, (i0 + k) * TOP_K);
  }
  let a;
  if (total) {
    const swap = n2 > m;
    const score = swap ? transposeScore(total, n2, m) : total;
    a = swap ? invertMatching(maximizeAssignment(score, m, n2), n2) : maximizeAssignment(score, n2, m);
  } else {
    a = sparseGreedy(top.col, top.score, n2, m);
  }
  return withSigns(a, signing, n2, m);
}
function keepTop(row, col, score, at) {
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (!(v > score[at + TOP_K - 1])) continue;
    let k = TOP_K - 1;
    while (k > 0 && score[at + k - 1] < v) {
      score[at + k] = score[at + k - 1];
      col[at + k] = col[at + k - 1];
      k--;
    }
    score[at + k] = v;
    col[at + k] = j;
  }
}
function sparseGreedy(col, score, n2, m) {
  const order = Array.from({ length: n2 * TOP_K }, (_, k) => k).filter((k) => col[k] >= 0);
  order.sort((x, y) => score[y] - score[x]);
  const out = new Int32Array(n2).fill(-1);
  const taken = new Uint8Array(m);
  for (const k of order) {
    const i = Math.floor(k / TOP_K);
    const j = col[k];
    if (out[i] !== -1 || taken[j]) continue;
    out[i] = j;
    taken[j] = 1;
  }
  return out;
}
function profileCos(s, i, j) {
  let dot = 0;
  for (let x = 0; x < s.k; x++) dot += s.c[i * s.k + x] * s.r[j * s.k + x];
  return dot;
}
function withSigns(a, signing, n2, m) {
  const sign = new Float32Array(n2);
  let same = 0;
  let quality = 0;
  for (let i = 0; i < n2; i++) {
    const j = a[i];
    const sv = signing && j >= 0 ? profileCos(signing, i, j) : 1;
    sign[i] = sv < 0 ? -1 : 1;
    if (signing && j >= 0) quality += Math.abs(sv);
    if (j === i && sign[i] > 0) same++;
  }
  let identityQuality = 0;
  if (signing) for (let i = 0; i < Math.min(n2, m); i++) identityQuality += Math.abs(profileCos(signing, i, i));
  return { perm: a, sign, identity: same >= 0.98 * n2, quality: signing ? quality / n2 : 0, identityQuality: signing ? identityQuality / n2 : 0 };
}
function transposeScore(s, n2, m) {
  const out = new Float32Array(n2 * m);
  for (let i = 0; i < n2; i++) for (let j = 0; j < m; j++) out[j * n2 + i] = s[i * m + j];
  return out;
}
function residualRotation(basis) {
  const block = basis.blocks.find((b) => !b.signed && b.residual === "cols");
  if (!block) return null;
  const p = procrustes(block.candidate, block.reference);
  return p && p.fit >= ROTATION_MIN_FIT ? { kind: "rotation", q: p.q, d: block.candidate.cols, fit: p.fit } : null;
}

// src/search/deep-align.ts
var FUNCTIONAL_FLOOR = { permutation: 0.35, rotation: 0.5, asStored: 0.35 };
function deepAlign(groups, basis, residualSize = 0, progress) {
  const map = basis ? residualMap(basis) : null;
  const clean2 = map !== null && map.quality >= 0.5 && map.identityQuality < 0.5 * map.quality;
  const perm = map && !map.identity ? { kind: "permutation", map } : null;
  const transforms = !perm ? [null] : clean2 ? [perm] : [null, perm];
  const rotation = basis && !clean2 ? residualRotation(basis) : null;
  if (rotation) transforms.push(rotation);
  const runs = transforms.map(
    (t, i) => alignOnce(groups, t, residualSize, progress ? (done, total) => progress(`residual look ${i + 1}/${transforms.length} (${t ? t.kind : "as stored"}): ${done}/${total} matrices matched`) : void 0)
  );
  const results = combineLooks(
    runs.map((r) => r.results),
    transforms
  );
  const dups = new Map(runs.flatMap((r) => r.referenceDuplicates).map((d) => [`${d[0]}|${d[1]}`, d]));
  return {
    results,
    residualPermuted: results.some((r) => r.transform.some(movesResidual)),
    residualMatchQuality: map ? map.quality : null,
    referenceDuplicates: [...dups.values()]
  };
}
function combineLooks(looks, transforms, floors) {
  const penalty = Math.log10(transforms.length);
  const byCandidate = /* @__PURE__ */ new Map();
  looks.forEach((results, i) => {
    const t = transforms[i];
    const floor = floors?.[i] ?? (t ? FUNCTIONAL_FLOOR[t.kind] : FUNCTIONAL_FLOOR.asStored);
    for (const raw of results) {
      const r = Math.abs(raw.effect) < floor ? { ...raw, log10p: 0, z: 0 } : raw;
      const prev = byCandidate.get(r.candidate);
      if (!prev || r.log10p < prev.log10p) byCandidate.set(r.candidate, r);
    }
  });
  return [...byCandidate.values()].map((best) => {
    const log10p = Math.min(0, best.log10p + penalty);
    return { ...best, log10p, z: zFromLog10P(log10p) };
  });
}

// src/common/collect-garbage.ts
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
var gc;
var WORTH_BYTES = 32 << 20;
function collectGarbage() {
  if (process.memoryUsage().arrayBuffers < WORTH_BYTES) return;
  releaseScratch();
  if (gc === void 0) {
    try {
      setFlagsFromString("--expose-gc");
      const f = runInNewContext("gc");
      gc = typeof f === "function" ? f : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

// src/search/gram-look.ts
var GRAM_ROWS = 256;
var GRAM_ROLES = /(^|\.)(v|gate|up)\.weight$/;
var ROTATION_GRAM_MIN = 0.5;
function tokenGramAgreement(basis) {
  const block = basis.blocks.find((b2) => !b2.signed && b2.residual === "cols");
  if (!block) return 0;
  const k = Math.min(256, block.candidate.rows, block.reference.rows);
  if (k < 16) return 0;
  const gc2 = rowDots(block.candidate.data, k, block.candidate.data, k, block.candidate.cols);
  const gr = rowDots(block.reference.data, k, block.reference.data, k, block.reference.cols);
  const a = new Float32Array(k * (k - 1) / 2);
  const b = new Float32Array(a.length);
  let at = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      a[at] = gc2[i * k + j];
      b[at++] = gr[i * k + j];
    }
  }
  const acc = new PairAccumulator();
  acc.add(a, b);
  return acc.result().pearson ?? 0;
}
async function gramLook(groups, reader) {
  const results = [];
  for (const x of groups) {
    if (x.kind === "cols" || !GRAM_ROLES.test(x.g.role)) continue;
    for (const [key, v] of x.g.cand) {
      const refView = [...x.g.refs.values()].find((r2) => r2.layer === v.layer);
      if (!refView || refView.rows !== v.rows) continue;
      const rows = spread(v.rows, GRAM_ROWS, 16);
      collectGarbage();
      const [c, r] = await Promise.all([reader.candidateRows(v, rows), reader.referenceRows(refView, rows)]);
      if (!c || !r) continue;
      const fc = anchorFeatures(c);
      const fr = anchorFeatures(r);
      const test = permutationTest({ a: fc.data, b: fr.data, rows: fc.rows, cols: fc.cols }, "rows");
      if (!test) continue;
      results.push({
        candidate: key,
        reference: refView.entry.name,
        pearson: test.effect,
        cosine: test.effect,
        log10p: test.log10p,
        z: test.z,
        effect: test.effect,
        null: { mean: 0, sd: 0, n: 0 },
        transform: ["residual-rotated-gram"],
        elements: viewElements(v)
      });
    }
  }
  return results;
}
function anchorFeatures(m) {
  const anchors = [];
  const units = [];
  for (let i = 0; i < m.rows; i++) (i % 4 === 0 ? anchors : units).push(i);
  const a = pickRows(m, Int32Array.from(anchors));
  const u = pickRows(m, Int32Array.from(units));
  return { rows: units.length, cols: anchors.length, data: Float32Array.from(rowDots(u.data, u.rows, a.data, a.rows, m.cols)) };
}

// src/search/layer-looks.ts
var SCORE_FEATURES = 64;
async function searchLooks(groups, looks, reader, say) {
  const selector = await selectorSketches(groups, reader);
  const chosen = [];
  for (let i = 0; i < looks.length; i++) chosen.push(looks[i].hadamard ? /* @__PURE__ */ new Map() : await chooseLayers2(selector, looks[i], reader, (m) => say(`residual look ${i + 1}/${looks.length}: ${m}`)));
  const results = looks.map(() => []);
  const { held } = splitFeatures(reader.features.length, reader.features.length);
  const layers = [...new Set(groups.flatMap(({ g }) => [...g.cand.values()].map((v) => v.layer)))];
  const jobs = looks.flatMap((_, i) => layers.map((layer) => ({ i, layer, want: chosen[i].has(layer) ? chosen[i].get(layer) : layer })));
  jobs.sort((a, b) => (a.want ?? -1) - (b.want ?? -1) || a.i - b.i || (a.layer ?? -1) - (b.layer ?? -1));
  let current;
  let done = 0;
  const experts = hasExpertGroups(groups);
  for (const job of jobs) {
    if (job.want !== current) {
      reader.dropReferenceSketches();
      collectGarbage();
    }
    current = job.want;
    say(`${++done}/${jobs.length} layer looks: matching units`);
    const at = { look: looks[job.i], reader, held, viaMatch: /* @__PURE__ */ new Map() };
    const partners = experts && at.look.transform && !at.look.hadamard ? await choosePartners(groups, { look: at.look, reader, layer: job.layer, want: job.want }) : null;
    for (const x of groups) {
      for (const [key, v] of x.g.cand) {
        if (v.layer !== job.layer) continue;
        const partner = partners?.(x, v);
        const refView = [...(partner?.refs ?? x.g.refs).values()].find((r) => r.layer === job.want);
        if (!refView) continue;
        const result = await judge(at, { x, key, v, refView });
        if (result) results[job.i].push(partner ? paidPartner(result, partner.options) : result);
      }
    }
  }
  return results;
}
async function judge(at, p) {
  const { look } = at;
  const { x, key, v, refView } = p;
  const base2 = { candidate: key, reference: refView.entry.name, null: { mean: 0, sd: 0, n: 0 }, elements: viewElements(v) };
  const shift = refView.layer !== v.layer ? ["layer-shift"] : [];
  const residual = look.hadamard ? [`residual-rotated-hadamard-${look.hadamard}`] : look.transform ? ["residual-permuted"] : [];
  if (look.hadamard) return judgeHadamard(at, p, base2, [...shift, ...residual]);
  if (x.kind === "sibling") return judgeSibling(at, p, base2, [...shift, ...residual]);
  return judgeMatched(at, p, base2, [...shift, ...residual]);
}
async function judgeHadamard(at, p, base2, transforms) {
  const { look, reader } = at;
  const { x, v, refView } = p;
  if (x.kind === "cols") return null;
  const units = classRows(v.rows);
  const [c, r] = await Promise.all([reader.candidateHadamard(v, look, units), reader.reference(refView, look.hadamard === "reference" ? "rows-hadamard" : "rows", units)]);
  if (!c || !r) return null;
  const match = matchRows(c, r, 0);
  const { test, pearson: pearson2, cosine } = match.heldOut();
  if (match.identityFraction < 0.9) transforms.push("permuted-rows");
  return { ...base2, pearson: pearson2, cosine, log10p: test?.log10p ?? 0, z: test?.z ?? 0, effect: test?.effect ?? 0, transform: transforms };
}
async function judgeSibling(at, p, base2, transforms) {
  const { look, reader, held, viaMatch } = at;
  const { x, v, refView } = p;
  const via = viaMatch.get(`${v.layer}|${unitsKey(x.via, v.entry.name)}`);
  if (!via) return null;
  const units = via.units.filter((u) => via.match.perm[u] >= 0);
  const [c, r] = await Promise.all([reader.candidate(v, x.kind, look, Int32Array.from(units)), reader.reference(refView, x.kind, Int32Array.from(units, (u) => via.match.perm[u]))]);
  if (!c || !r) return null;
  const rowSign = Int8Array.from(units, (u) => via.match.signs[u]);
  const identity = Int32Array.from({ length: units.length }, (_, i) => i);
  const { test, pearson: pearson2, cosine } = heldOutTest(c, r, { perm: identity, signs: rowSign }, held);
  const permuted = via.match.identityFraction < 0.9 ? ["permuted-rows"] : [];
  return { ...base2, pearson: pearson2, cosine, log10p: test?.log10p ?? 0, z: test?.z ?? 0, effect: test?.effect ?? 0, transform: [...transforms, ...permuted] };
}
async function judgeMatched(at, p, base2, transforms) {
  const { look, reader, viaMatch } = at;
  const { x, v, refView } = p;
  const units = candidateUnits(x, v);
  const [c, r] = await Promise.all([reader.candidate(v, x.kind, look, units), reader.reference(refView, x.kind)]);
  if (!c || !r) return null;
  const match = matchRows(c, r, 0);
  if (x.kind === "cols") {
    const perm = new Int32Array(v.cols).fill(-1);
    const signs = new Int8Array(v.cols);
    units.forEach((u, k) => {
      perm[u] = match.perm[k];
      signs[u] = match.signs[k];
    });
    viaMatch.set(`${v.layer}|${unitsKey(x.g.role, v.entry.name)}`, { match: { perm, signs, identityFraction: match.identityFraction }, units });
  }
  const { test, pearson: pearson2, cosine } = match.heldOut();
  if (match.identityFraction < 0.9) transforms.push("permuted-rows");
  if (match.flipped > 0.1 && match.flipped < 0.9) transforms.push("sign-flips");
  return { ...base2, pearson: pearson2, cosine, log10p: test?.log10p ?? 0, z: test?.z ?? 0, effect: test?.effect ?? 0, transform: transforms };
}
async function selectorSketches(groups, reader) {
  const rowGroups = groups.filter((x) => x.kind === "rows");
  if (rowGroups.length === 0) return null;
  const size = (x) => x.g.refs.values().next().value.rows;
  const group = rowGroups.reduce((a, b) => size(b) < size(a) ? b : a);
  const refs = [];
  for (const r of group.g.refs.values()) {
    const m = await reader.reference(r, "rows", void 0, true);
    if (m) refs.push({ layer: r.layer, m });
  }
  return { group, refs };
}
async function chooseLayers2(selector, look, reader, say) {
  const chosen = /* @__PURE__ */ new Map();
  if (!selector) return chosen;
  const { choose } = splitFeatures(reader.features.length, SCORE_FEATURES);
  say(`choosing layers (${selector.group.g.role}: ${selector.group.g.cand.size} candidate x ${selector.refs.length} reference layers)`);
  for (const v of selector.group.g.cand.values()) {
    const c = await reader.candidate(v, "rows", look, classRows(v.rows));
    if (!c) continue;
    let best = v.layer;
    let bestScore = -Infinity;
    for (const r of selector.refs) {
      const score = meanBestCos(c, r.m, choose);
      if (score > bestScore + 1e-12 || Math.abs(score - bestScore) <= 1e-12 && r.layer === v.layer) {
        best = r.layer;
        bestScore = score;
      }
    }
    chosen.set(v.layer, best);
  }
  return chosen;
}
var BEST_COS = new Scratch();
function meanBestCos(c, r, cols) {
  const cos = rowCosines(c, r, cols, BEST_COS.take(c.rows * r.rows));
  let total = 0;
  const m = r.rows;
  for (let i = 0; i < c.rows; i++) {
    let b = 0;
    for (let k = i * m, end = k + m; k < end; k++) {
      const v = cos[k];
      if (v > b) b = v;
      else if (-v > b) b = -v;
    }
    total += b;
  }
  return total / Math.max(1, c.rows);
}

// src/search/hadamard.ts
function fwht(x, off, n2) {
  for (let h = 1; h < n2; h <<= 1) {
    for (let i = off; i < off + n2; i += h << 1) {
      for (let j = i; j < i + h; j++) {
        const a = x[j];
        const b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}
function hadamardRows(m, inPlace = false) {
  const d = m.cols;
  const out = inPlace ? m.data : new Float32Array(m.data);
  const scale = 1 / Math.sqrt(d);
  for (let r = 0; r < m.rows; r++) {
    fwht(out, r * d, d);
    for (let k = r * d; k < (r + 1) * d; k++) out[k] *= scale;
  }
  return { rows: m.rows, cols: d, data: out };
}

// src/common/pool.ts
async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (e2) {
        failed = true;
        throw e2;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, Math.floor(limit)), items.length) }, worker));
  return results;
}

// src/search/sketch-read.ts
var RUNS_IN_FLIGHT = 64;
async function readRowSet(source, view, rows, options = {}) {
  const { columns: columns2, rowSign, columnSign, transpose: transpose2 } = options;
  const width = columns2 ? columns2.length : view.cols;
  const out = new Float32Array(rows.length * width);
  const [rowStride, colStride] = transpose2 ? [1, rows.length] : [width, 1];
  const place = (k, row) => {
    const s = rowSign ? rowSign[k] : 1;
    const o = k * rowStride;
    for (let x = 0; x < width; x++) {
      const c = columns2 ? columns2[x] : x;
      out[o + x * colStride] = c < 0 ? 0 : s * (columnSign ? columnSign[x] : 1) * row[c];
    }
  };
  const result = () => transpose2 ? { rows: width, cols: rows.length, data: out } : { rows: rows.length, cols: width, data: out };
  const wanted = /* @__PURE__ */ new Map();
  rows.forEach((r, k) => {
    if (r < 0) return;
    const list = wanted.get(r);
    if (list) list.push(k);
    else wanted.set(r, [k]);
  });
  if (readsWhole(view)) {
    const m = await loadMatrix(source, view);
    for (const [r, ks] of wanted) for (const k of ks) place(k, m.data.subarray(r * m.cols, (r + 1) * m.cols));
    return result();
  }
  const sorted = [...wanted.keys()].sort((a, b) => a - b);
  const runs = [];
  for (const r of sorted) {
    const last = runs[runs.length - 1];
    if (last && r === last[1]) last[1] = r + 1;
    else runs.push([r, r + 1]);
  }
  await mapLimit(runs, RUNS_IN_FLIGHT, async ([r0, r1]) => {
    const reader = new ViewReader(source, view);
    const block = await reader.rows(r0, r1);
    for (let r = r0; r < r1; r++) for (const k of wanted.get(r)) place(k, block.subarray((r - r0) * view.cols, (r - r0 + 1) * view.cols));
    reader.release();
  });
  return result();
}

// src/search/residual-looks.ts
function lookName(l) {
  if (l.hadamard) return `Hadamard on the ${l.hadamard}'s side`;
  return l.transform ? "recovered permutation" : "as stored";
}
function looksFor(map, features, candidateWidth) {
  const asStored = {
    transform: null,
    dims: Int32Array.from(features, (r) => r < candidateWidth ? r : -1),
    sign: new Float32Array(features.length).fill(1)
  };
  if (!map || map.identity) return [asStored];
  const permuted = permutationLook(map, features);
  return isClean(map) ? [permuted] : [asStored, permuted];
}
var isClean = (map) => map.quality >= 0.5 && map.identityQuality < 0.5 * map.quality;
function permutationLook(map, features) {
  const inverse = new Int32Array(Math.max(...features) + 1).fill(-1);
  map.perm.forEach((r, c) => {
    if (r >= 0 && r < inverse.length) inverse[r] = c;
  });
  const dims = Int32Array.from(features, (r) => inverse[r]);
  const sign = Float32Array.from(dims, (c) => c >= 0 ? map.sign[c] : 1);
  return { transform: { kind: "permutation", map }, dims, sign };
}
var HADAMARD_TOKENS = 256;
var HADAMARD_MIN_QUALITY = 0.6;
var isPowerOfTwo = (n2) => n2 >= 2 && (n2 & n2 - 1) === 0;
function hadamardLooks(basis, main2, features) {
  if (main2 && isClean(main2)) return [];
  const looks = [];
  const embeddings = basis.blocks.filter((b) => !b.signed && b.residual === "cols" && b.candidate.cols === b.reference.cols && isPowerOfTwo(b.reference.cols));
  if (!embeddings.length) return looks;
  const head = (m) => rowBlock(m, 0, Math.min(HADAMARD_TOKENS, m.rows));
  for (const side of ["reference", "candidate"]) {
    collectGarbage();
    const blocks = embeddings.map((b) => ({
      ...b,
      candidate: side === "candidate" ? hadamardRows(head(b.candidate)) : head(b.candidate),
      reference: side === "reference" ? hadamardRows(head(b.reference)) : head(b.reference)
    }));
    const probeDims = spread(blocks[0].candidate.cols, 256, 16);
    const probe = residualMap({ blocks: blocks.map((b) => ({ ...b, candidate: pickColumns(b.candidate, probeDims) })) });
    if (!probe || probe.quality < HADAMARD_MIN_QUALITY) continue;
    const map = residualMap({ blocks });
    if (map && map.quality >= HADAMARD_MIN_QUALITY) looks.push({ ...permutationLook(map, features), hadamard: side });
  }
  return looks;
}
async function sketchBasis(basisPairs, normPairs, cand, ref) {
  const blocks = [];
  for (const b of basisPairs) {
    const residual = basisResidual(b.p.role);
    try {
      if (residual === "cols") {
        const tokens = tokenRows(b.p.candidate, b.p.reference);
        const c = await readRowSet(cand, b.p.candidate, tokens);
        const r = await readRowSet(ref, b.p.reference, tokens);
        blocks.push({ candidate: c, reference: r, residual, signed: false, center: false });
      } else if (b.p.candidate.rows * b.p.candidate.cols <= 1 << 22 && b.p.reference.rows * b.p.reference.cols <= 1 << 22) {
        blocks.push({ candidate: await loadMatrix(cand, b.p.candidate), reference: await loadMatrix(ref, b.p.reference), residual, signed: false, center: false });
      }
    } catch (e2) {
      if (!(e2 instanceof FromScratchError && e2.kind === "format")) throw e2;
    }
  }
  try {
    const norms = await stackNorms(normPairs, cand, ref, loadMatrix);
    if (norms) blocks.push(norms);
  } catch (e2) {
    if (!(e2 instanceof FromScratchError && e2.kind === "format")) throw e2;
  }
  return blocks.length ? { blocks } : null;
}

// src/search/sketch-reader.ts
var REFERENCE_SKETCH_BYTES = 48 << 20;
var SketchReader = class {
  constructor(cand, ref, features) {
    this.cand = cand;
    this.ref = ref;
    this.features = features;
  }
  unreadCandidate = /* @__PURE__ */ new Map();
  unreadReference = /* @__PURE__ */ new Map();
  refCache = /* @__PURE__ */ new Map();
  refBytes = 0;
  pinned = /* @__PURE__ */ new Map();
  /** The reference's units of `v` (all, or the given rows) on the features. */
  reference(v, kind, rows, pin = false) {
    const key = `${viewKey(v)}|${kind}|${rows ? rows.join(",") : ""}`;
    const pinned = this.pinned.get(key);
    if (pinned) return pinned;
    let hit = this.refCache.get(key);
    if (hit) {
      this.refCache.delete(key);
      this.refCache.set(key, hit);
      return hit.matrix;
    }
    const units = kind === "cols" ? v.cols : (rows ?? classRows(v.rows)).length;
    hit = {
      bytes: units * this.features.length * 4,
      matrix: this.guard(
        () => kind === "cols" ? readRowSet(this.ref, v, this.features, { transpose: true }) : kind === "rows-hadamard" ? readRowSet(this.ref, v, rows ?? classRows(v.rows)).then((m) => pickColumns(hadamardRows(m, true), this.features)) : readRowSet(this.ref, v, rows ?? classRows(v.rows), { columns: this.features }),
        this.referenceUnread(v)
      )
    };
    if (pin) {
      this.pinned.set(key, hit.matrix);
      return hit.matrix;
    }
    this.refCache.set(key, hit);
    this.refBytes += hit.bytes;
    for (const [k, old] of this.refCache) {
      if (this.refBytes <= REFERENCE_SKETCH_BYTES || k === key) break;
      this.refCache.delete(k);
      this.refBytes -= old.bytes;
    }
    return hit.matrix;
  }
  /** Forget the reference sketches read so far (the next reference layer's are read afresh). */
  dropReferenceSketches() {
    this.refCache.clear();
    this.refBytes = 0;
  }
  /** Whole rows of the candidate (the Gram look). */
  candidateRows(v, rows) {
    return this.guard(
      () => readRowSet(this.cand, v, rows),
      this.candidateUnread(v)
    );
  }
  /** Whole rows of the reference (the Gram look). */
  referenceRows(v, rows) {
    return this.guard(
      () => readRowSet(this.ref, v, rows),
      this.referenceUnread(v)
    );
  }
  /** The candidate's rows `units` of `v` on a Hadamard look's features (through H/√d first when the look says so). */
  candidateHadamard(v, look, units) {
    return this.guard(
      () => look.hadamard === "candidate" ? readRowSet(this.cand, v, units).then((m) => pickColumns(hadamardRows(m, true), look.dims, look.sign)) : readRowSet(this.cand, v, units, { columns: look.dims, columnSign: look.sign }),
      this.candidateUnread(v)
    );
  }
  /** The candidate's `units` of `v` on the look's features. */
  candidate(v, kind, look, units) {
    return this.guard(
      () => kind === "cols" ? readRowSet(this.cand, v, look.dims, { columns: units, rowSign: look.sign, transpose: true }) : readRowSet(this.cand, v, units, { columns: look.dims, columnSign: look.sign }),
      this.candidateUnread(v)
    );
  }
  candidateUnread(v) {
    return (message) => this.unreadCandidate.set(v.entry.name, { view: v, layer: v.layer, pairIndex: v.pairIndex, message });
  }
  referenceUnread(v) {
    return (message) => this.unreadReference.set(v.entry.name, message);
  }
  async guard(read, unread) {
    try {
      return await read();
    } catch (e2) {
      if (!(e2 instanceof FromScratchError && e2.kind === "format")) throw e2;
      unread(e2.message);
      return null;
    }
  }
};

// src/search/stream-search.ts
async function streamSearch(input) {
  const { comp, tensors, selected, viewGroupsByKey, cand, ref, progress } = input;
  const summary = notRunSummary();
  const { basisPairs, normPairs } = selected;
  const { width, candidateWidth } = widths(basisPairs, [...viewGroupsByKey.values()]);
  orientSquare([...viewGroupsByKey.values()]);
  const groups = classify([...viewGroupsByKey.values()], width, candidateWidth);
  if (groups.length === 0) {
    summary.note = "no matrix reads or writes the residual stream: nothing the streamed search can test";
    return { summary, tensors, added: [] };
  }
  const say = (m) => progress?.(`alignment search in ${comp.name}: ${m}`);
  say(`reading the residual basis (${count(basisPairs.length, "embedding-like tensor", "embedding-like tensors")}, sampled tokens)`);
  const features = featureDims(width);
  collectGarbage();
  const { map, looks, gram } = await sketchBasis(basisPairs, normPairs, cand, ref).then((basis) => residualLooks(basis, features, candidateWidth));
  collectGarbage();
  const reader = new SketchReader(cand, ref, features);
  const runs = await searchLooks(groups, looks, reader, say);
  const transforms = looks.map((l) => l.transform);
  const floors = looks.map((l) => l.transform ? FUNCTIONAL_FLOOR.permutation : FUNCTIONAL_FLOOR.asStored);
  if (gram) {
    reader.dropReferenceSketches();
    collectGarbage();
    say("rotation-invariant look: unit Gram matrices of v, gate and up");
    runs.push(await gramLook(groups, reader));
    transforms.push(null);
    floors.push(0);
  }
  const results = combineLooks(runs, transforms, floors);
  summary.ran = true;
  summary.status = "ran";
  summary.residualMatchQuality = map ? map.quality : null;
  const best = bestOrientation(results);
  const found = foldFindings(best, origins(groups), tensors);
  const added = [...found.added, ...unreadResults(reader.unreadCandidate, viewGroupsByKey, found.tensors)];
  summary.note = searchNote({ searched: best.size, features: features.length, width, looks, gram, reader });
  return { summary, tensors: found.tensors, added };
}
function residualLooks(basis, features, candidateWidth) {
  const main2 = basis ? residualMap(basis) : null;
  const gram = basis !== null && !(main2 && isClean(main2)) && tokenGramAgreement(basis) >= ROTATION_GRAM_MIN;
  return { map: main2, looks: [...looksFor(main2, features, candidateWidth), ...basis ? hadamardLooks(basis, main2, features) : []], gram };
}
function origins(groups) {
  const idToPair = /* @__PURE__ */ new Map();
  const roleGroups = [];
  for (const { g } of groups) {
    const empty = { rows: 0, cols: 0, data: new Float32Array(0) };
    roleGroups.push({ role: g.role, hidden: "rows", candidate: [...g.cand.keys()].map((k) => ({ name: k, layer: g.cand.get(k).layer, m: empty })), reference: [] });
    for (const [k, v] of g.cand) idToPair.set(k, { pairIndex: v.pairIndex, view: v, layer: v.layer });
  }
  return { roleGroups, idToPair };
}
function searchNote(s) {
  const { reader } = s;
  const parts = [
    `the streamed alignment search (residual basis, hidden units, layers) looked at ${count(s.searched, "matrix", "matrices")}`,
    `${s.features} of ${s.width} residual dimensions and up to ${UNITS} units per matrix read`,
    `residual looks: ${[...s.looks.map(lookName), ...s.gram ? ["rotation-invariant (v, gate, up)"] : []].join(", ")}`
  ];
  if (reader.unreadCandidate.size) parts.push(`${count(reader.unreadCandidate.size, "candidate matrix", "candidate matrices")} unread, left out of the search`);
  if (reader.unreadReference.size) parts.push(`${count(reader.unreadReference.size, "reference matrix", "reference matrices")} unread, left out of the search (${[...reader.unreadReference.values()][0]})`);
  return parts.join("; ");
}

// src/search/deep-stage.ts
async function searchComponent(input) {
  const { comp, tensors, referenceTensors, cand, ref, fraction, progress } = input;
  const summary = notRunSummary();
  const selected = selectPairs(comp, tensors, input.explained);
  const { basisPairs, groupPairs, normPairs } = selected;
  if (groupPairs.length === 0) {
    summary.note = "no matrices to search";
    return { summary, tensors, added: [] };
  }
  const groups = viewGroups(comp, groupPairs, referenceTensors);
  if (fraction < 1 || searchElements(groups, basisPairs) > WHOLE_SEARCH_MAX_ELEMENTS) return streamSearch({ comp, tensors, selected, viewGroupsByKey: groups, cand, ref, progress });
  let residualSize = null;
  for (const b of basisPairs) residualSize ??= basisResidual(b.p.role) === "cols" ? b.p.reference.cols : b.p.reference.rows;
  const loader = new MatrixLoader(cand, ref);
  const loaded = await loadRoleGroups(groups, { name: comp.name, loader, residualSize, progress });
  const basis = await loadBasis(basisPairs, normPairs, loader);
  const deep = deepAlign(loaded.roleGroups, basis, residualSize ?? 0, progress && ((m) => progress(`alignment search in ${comp.name}: ${m}`)));
  summary.ran = true;
  summary.status = "ran";
  summary.residualMatchQuality = deep.residualMatchQuality;
  summary.referenceDuplicateLayers = deep.referenceDuplicates;
  const best = bestOrientation(deep.results);
  const found = foldFindings(best, loaded, tensors);
  const added = [...found.added, ...unreadResults(loaded.unreadCandidate, groups, found.tensors)];
  const searched = best.size;
  const parts = [`the alignment search (residual basis, hidden units, layers) looked at ${count(searched, "matrix", "matrices")}`];
  if (loaded.unreadCandidate.size) parts.push(`${count(loaded.unreadCandidate.size, "candidate matrix", "candidate matrices")} unread, left out of the search`);
  if (loaded.unreadReference.size) parts.push(`${count(loaded.unreadReference.size, "reference matrix", "reference matrices")} unread, left out of the search (${[...loaded.unreadReference.values()][0]})`);
  summary.note = parts.join("; ");
  return { summary, tensors: found.tensors, added };
}
var MatrixLoader = class {
  constructor(cand, ref) {
    this.cand = cand;
    this.ref = ref;
  }
  loaded = /* @__PURE__ */ new Map();
  load(src, v) {
    const k = `${src === this.cand ? "c" : "r"}:${viewKey(v)}`;
    if (!this.loaded.has(k)) this.loaded.set(k, loadMatrix(src, v));
    return this.loaded.get(k);
  }
  /** The matrix, or the reason it cannot be decoded. */
  async tryLoad(src, v) {
    try {
      return await this.load(src, v);
    } catch (e2) {
      if (e2 instanceof FromScratchError && e2.kind === "format") return e2.message;
      throw e2;
    }
  }
};
async function loadRoleGroups(groups, { name: name2, loader, residualSize, progress }) {
  const conv1d = storesConv1D(
    [...groups.values()].map((g) => ({ role: g.role, view: g.refs.values().next().value })),
    residualSize
  );
  const unreadCandidate = /* @__PURE__ */ new Map();
  const unreadReference = /* @__PURE__ */ new Map();
  const roleGroups = [];
  const idToPair = /* @__PURE__ */ new Map();
  let loadedGroups = 0;
  for (const g of groups.values()) {
    progress?.(`alignment search in ${name2}: reading matrices, role ${++loadedGroups}/${groups.size} (${g.role})`);
    const candidate = await loadCandidates(g, loader, idToPair, unreadCandidate);
    const reference = [];
    for (const v of g.refs.values()) {
      const m = await loader.tryLoad(loader.ref, v);
      if (typeof m === "string") unreadReference.set(v.entry.name, m);
      else reference.push({ name: v.entry.name, layer: v.layer, m });
    }
    if (candidate.length === 0 || reference.length === 0) continue;
    roleGroups.push({ role: g.role, hidden: hiddenAxis(g.role, g.refs.values().next().value, residualSize, conv1d), candidate, reference });
  }
  return { roleGroups, idToPair, unreadCandidate, unreadReference };
}
async function loadCandidates(g, loader, idToPair, unread) {
  const candidate = [];
  for (const [k, v] of g.cand) {
    const m = await loader.tryLoad(loader.cand, v);
    if (typeof m === "string") {
      unread.set(v.entry.name, { view: v, layer: v.layer, pairIndex: v.pairIndex, message: m });
      continue;
    }
    candidate.push({ name: k, layer: v.layer, m });
    idToPair.set(k, { pairIndex: v.pairIndex, view: v, layer: v.layer });
    if (!v.axes && v.rows === v.cols && v.rowStart === 0 && v.storedRows === v.storedCols) {
      const mf = await loader.tryLoad(loader.cand, { ...v, transpose: !v.transpose });
      if (typeof mf === "string") continue;
      candidate.push({ name: `${k}${FLIPPED}`, layer: v.layer, m: mf });
      idToPair.set(`${k}${FLIPPED}`, { pairIndex: v.pairIndex, view: v, layer: v.layer });
    }
  }
  return candidate;
}
async function loadBasis(basisPairs, normPairs, loader) {
  const blocks = [];
  for (const b of basisPairs) {
    const c = await loader.tryLoad(loader.cand, b.p.candidate);
    const r = await loader.tryLoad(loader.ref, b.p.reference);
    if (typeof c !== "string" && typeof r !== "string") blocks.push({ candidate: c, reference: r, residual: basisResidual(b.p.role), signed: false, center: false });
  }
  const normBlock = await stackNorms(normPairs, loader.cand, loader.ref, (src, v) => loader.load(src, v));
  if (normBlock) blocks.push(normBlock);
  return blocks.length ? { blocks } : null;
}

// src/engine/tensor-roles.ts
var MLP_IN = /(^|\.)mlp\.(gate|up)\.weight$/;
var MLP_OUT = /(^|\.)mlp\.down\.weight$/;
function mlpLayout(pairs) {
  const basis = pairs.find((p) => BASIS_ROLES.some((b) => b.re.test(p.role)) && (basisResidual(p.role) === "rows" ? p.reference.entry.shape.length >= 2 : p.reference.entry.shape.length === 2));
  const residual = basis ? basisResidual(basis.role) === "cols" ? basis.reference.cols : basis.reference.rows : normWidth(pairs);
  let linear = 0;
  let conv1d = 0;
  for (const p of pairs) {
    const v = p.reference;
    if (residual === null || v.entry.shape.length !== 2 || v.rows === v.cols || !/(^|\.)(mlp|attn)\./.test(p.role)) continue;
    const hidden = v.cols === residual ? "rows" : v.rows === residual ? "cols" : null;
    if (!hidden) continue;
    if (hidden === (HIDDEN_ON_COLS.test(p.role) ? "cols" : "rows")) linear++;
    else conv1d++;
  }
  return { residual, conv1d: linear === conv1d ? null : conv1d > linear };
}
function normWidth(pairs) {
  const counts = /* @__PURE__ */ new Map();
  for (const p of pairs) if (NORM_ROLE.test(p.role) && p.reference.entry.shape.length === 1) counts.set(p.reference.entry.shape[0], (counts.get(p.reference.entry.shape[0]) ?? 0) + 1);
  const best = [...counts].sort((a, b) => b[1] - a[1])[0];
  return best ? best[0] : null;
}
function mlpUnitAxis(role, rows, cols, layout) {
  if (!MLP_IN.test(role) && !MLP_OUT.test(role)) return null;
  const { residual, conv1d } = layout;
  if (residual !== null && rows !== cols) {
    if (cols === residual) return "rows";
    if (rows === residual) return "cols";
  }
  if (conv1d === null) return null;
  const linear = MLP_IN.test(role) ? "rows" : "cols";
  return conv1d ? linear === "rows" ? "cols" : "rows" : linear;
}
var RESIDUAL_ONLY = /(^|\.)(embed|head|classifier|score|wpe|position_embeddings?|pos_embed|patch_embed\.proj|patch_embeddings\.projection)(\.weight)?$/;
function floorIfResidualOnly(t, role) {
  if (!t.permutation || !RESIDUAL_ONLY.test(role)) return t;
  const structureOnly = `only its residual axis can be permuted (its other axis is ${/patch/.test(role) ? "the pixels" : /position|pos_embed|wpe/.test(role) ? "the positions" : /classifier/.test(role) ? "the classes" : /embed|head|score/.test(role) ? "the vocabulary" : "the positions"}), and a fixed position table can tie residual dimensions across independent models`;
  if (Math.abs(t.permutation.effect ?? 0) >= FUNCTIONAL_FLOOR.asStored || t.promoted) return { ...t, structureOnly };
  return { ...t, structureOnly, permutation: { ...t.permutation, tested: t.permutation.log10p, log10p: 0, floor: FUNCTIONAL_FLOOR.asStored } };
}

// src/engine/unit-axis.ts
function hiddenWidths2(pairs) {
  const units = /* @__PURE__ */ new Set();
  const inputs = /* @__PURE__ */ new Set();
  for (const p of pairs) {
    const v = p.candidate;
    const shape = v.entry.shape;
    if (shape.length < 2 || v.rowStart !== 0) continue;
    const canon = v.axes ? canonicalShape(shape, v.axes) : v.transpose ? [shape[1], shape[0]] : [...shape];
    units.add(canon[0]);
    inputs.add(canon[1]);
  }
  return new Set([...units].filter((u) => inputs.has(u)));
}
var unitRules = (pairs) => ({ widths: hiddenWidths2(pairs), layout: mlpLayout(pairs) });
var FUSED_EXPERTS2 = /split-(reference-)?experts|experts-transposed|gate-up-interleaved|layout:/;
function internalUnits(pair, rules) {
  const expert = expertRole(pair.role);
  if (expert && pair.reference.rows === pair.reference.cols && pair.transform.some((t) => FUSED_EXPERTS2.test(t))) return null;
  const role = expert?.base ?? pair.role;
  if (MLP_IN.test(role) || MLP_OUT.test(role)) return mlpUnitAxis(role, pair.reference.rows, pair.reference.cols, rules.layout);
  if (pair.candidate.entry.shape.length === 4 && pair.reference.entry.shape.length === 4 && rules.widths.has(pair.candidate.rows)) return "rows";
  return null;
}

// src/kernels/kernel-wasm.ts
var KERNEL_WASM_BASE64 = "AGFzbQEAAAABJwZgAXsBfGAFe3t7e3sAYAAAYAJ9fQBgBH9/f38Be2AFf39/fX0BfwMIBwABAgMEBQUFAwEAAgcfBAZtZW1vcnkCAAVyZXNldAACBGJmMTYABQNmMzIABgqnCwcdACAA/R8AuyAA/R8Bu6AgAP0fArsgAP0fA7ugoAtNAEEAQQArAwAgABAAoDkDAEEAQQArAwggARAAoDkDCEEAQQArAxAgAhAAoDkDEEEAQQArAxggAxAAoDkDGEEAQQArAyAgBBAAoDkDIAtIAEEARAAAAAAAAAAAOQMAQQBEAAAAAAAAAAA5AwhBAEQAAAAAAAAAADkDEEEARAAAAAAAAAAAOQMYQQBEAAAAAAAAAAA5AyALVABBAEEAKwMAIAC7oDkDAEEAQQArAwggAbugOQMIQQBBACsDECAAuyAAu6KgOQMQQQBBACsDGCABuyABu6KgOQMYQQBBACsDICAAuyABu6KgOQMgC1wBBHtBgP8B/RAhBwJAA0AgAiADTw0BIAAgAkEBdGr9AAAAIQQgASACQQF0av0AAAAhBSAGIAQgB/1OIAf9LSAFIAf9TiAH/S39UP1QIQYgAkEIaiECDAALCyAGC9IEBQN/EXsBfwJ9AX8gA/0TIRUgBP0TIRZBgIB8/REhFyACQXhxIQYCQANAIAUgBk8NASAFQYAEaiEHIAcgBksEQCAGIQcL/QwAAAAAAAAAAAAAAAAAAAAAIRD9DAAAAAAAAAAAAAAAAAAAAAAhEf0MAAAAAAAAAAAAAAAAAAAAACES/QwAAAAAAAAAAAAAAAAAAAAAIRP9DAAAAAAAAAAAAAAAAAAAAAAhFCAFIRkDQCAAIAVBAXRq/QAAACEIIAEgBUEBdGr9AAAAIQkgCiAIIAn9Uf1QIQogCEEQ/asBIBX95QEhDCAIIBf9TiAV/eUBIQ0gCUEQ/asBIBb95QEhDiAJIBf9TiAW/eUBIQ8gECAMIA395AH95AEhECARIA4gD/3kAf3kASERIBIgDCAM/eYBIA0gDf3mAf3kAf3kASESIBMgDiAO/eYBIA8gD/3mAf3kAf3kASETIBQgDCAO/eYBIA0gD/3mAf3kAf3kASEUIAVBCGohBSAFIAdJDQALIBIgE/3kASEYIBggGP3lASEYIBggGP1C/VMEQCALIAAgASAZIAcQBP1QIQsLIBAgESASIBMgFBABDAALCwJAA0AgBSACTw0BIAAgBUEBdGovAQBBEHS+IRogASAFQQF0ai8BAEEQdL4hGyAavCAbvEcEQCAcQQFyIRwLIBogGpNDAAAAAFwgGyAbk0MAAAAAXHIEQCAcQQJyIRwLIBogA5MgGyAEkxADIAVBAWohBQwACwsgCv1TBEAgHEEBciEcCyAL/VMEQCAcQQJyIRwLIBwL6QMEA38PewJ9AX8gA/0TIRUgBP0TIRYgAkF8cSEGAkADQCAFIAZPDQEgBUGABGohByAHIAZLBEAgBiEHC/0MAAAAAAAAAAAAAAAAAAAAACEQ/QwAAAAAAAAAAAAAAAAAAAAAIRH9DAAAAAAAAAAAAAAAAAAAAAAhEv0MAAAAAAAAAAAAAAAAAAAAACET/QwAAAAAAAAAAAAAAAAAAAAAIRQDQCAAIAVBAnRq/QAAACEIIAEgBUECdGr9AAAAIQkgCiAIIAn9Uf1QIQogCCAI/eUBIQ4gCSAJ/eUBIQ8gCyAOIA79QiAPIA/9Qv1Q/VAhCyAIIBX95QEhDCAJIBb95QEhDSAQIAz95AEhECARIA395AEhESASIAwgDP3mAf3kASESIBMgDSAN/eYB/eQBIRMgFCAMIA395gH95AEhFCAFQQRqIQUgBSAHSQ0ACyAQIBEgEiATIBQQAQwACwsCQANAIAUgAk8NASAAIAVBAnRqKgAAIRcgASAFQQJ0aioAACEYIBe8IBi8RwRAIBlBAXIhGQsgFyAXk0MAAAAAXCAYIBiTQwAAAABccgRAIBlBAnIhGQsgFyADkyAYIASTEAMgBUEBaiEFDAALCyAK/VMEQCAZQQFyIRkLIAv9UwRAIBlBAnIhGQsgGQs=";

// src/kernels/kernel.ts
var HEADER = 64;
var compiled = null;
function kernelModule() {
  compiled ??= new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, "base64"));
  return compiled;
}
var PairKernel = class {
  k;
  constructor() {
    this.k = new WebAssembly.Instance(kernelModule(), {}).exports;
  }
  /** Whether this dtype pair has a kernel (both sides the same, BF16 or F32). */
  static supports(dtypeA, dtypeB) {
    return dtypeA === dtypeB && (dtypeA === "BF16" || dtypeA === "F32");
  }
  run(dtype, a, b, n2, ka, kb) {
    const bytes = dtype === "BF16" ? 2 : 4;
    const len = n2 * bytes;
    const pa = HEADER;
    const pb = HEADER + (len + 15 & ~15);
    const need = pb + len;
    const mem = this.k.memory;
    if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    const view = new Uint8Array(mem.buffer);
    view.set(a.subarray(0, len), pa);
    view.set(b.subarray(0, len), pb);
    return this.sums(dtype, pa, pb, n2, ka, kb);
  }
  /** The sums of n pairs already in the kernel's memory at byte offsets pa and pb. */
  sums(dtype, pa, pb, n2, ka, kb) {
    this.k.reset();
    const flags = dtype === "BF16" ? this.k.bf16(pa, pb, n2, ka, kb) : this.k.f32(pa, pb, n2, ka, kb);
    const acc = new Float64Array(this.k.memory.buffer, 0, 5);
    return { n: n2, sa: acc[0], sb: acc[1], saa: acc[2], sbb: acc[3], sab: acc[4], ka: Math.fround(ka), kb: Math.fround(kb), differs: (flags & 1) !== 0, nonFinite: (flags & 2) !== 0 };
  }
};
var SlotKernel = class extends PairKernel {
  constructor(slotBytes, count2) {
    super();
    this.slotBytes = slotBytes;
    this.count = count2;
    const stride = slotBytes + 15 & ~15;
    const need = HEADER + stride * count2;
    const mem = this.k.memory;
    if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    this.views = Array.from({ length: count2 }, (_, i) => new Uint8Array(mem.buffer, HEADER + i * stride, slotBytes));
  }
  views;
  /** Slot i's bytes (a view into the kernel's memory). */
  slot(i) {
    return this.views[i];
  }
  /** The sums of the first n pairs of slots i (side a) and j (side b), read where they lie. */
  runSlots(dtype, i, j, n2, ka, kb) {
    return this.sums(dtype, this.views[i].byteOffset, this.views[j].byteOffset, n2, ka, kb);
  }
  /** Give the instance back to the pool (every read into its slots has settled). */
  release() {
    if (pool.length < MAX_POOLED) pool.push(this);
  }
};
var MAX_POOLED = 2;
var pool = [];
function acquireSlots(slotBytes, count2) {
  const i = pool.findIndex((k) => k.slotBytes >= slotBytes && k.count >= count2);
  if (i >= 0) return pool.splice(i, 1)[0];
  return new SlotKernel(slotBytes, count2);
}
var shared2 = null;
function pairKernel() {
  shared2 ??= new PairKernel();
  return shared2;
}

// src/stats/sample.ts
var SAMPLE_TARGET = 16384;
var MAX_SAMPLE_COLS = 128;
function spread2(k, n2, m) {
  const start = Math.floor(k * n2 / m);
  const width = Math.floor((k + 1) * n2 / m) - start;
  return start + (width > 1 ? 7 * k % width : 0);
}
function sampleGrid(rows, cols) {
  const mc = Math.min(cols, MAX_SAMPLE_COLS);
  const mr = Math.min(rows, Math.max(1, Math.floor(SAMPLE_TARGET / mc)));
  const r = new Int32Array(mr);
  const c = new Int32Array(mc);
  for (let k = 0; k < mr; k++) r[k] = spread2(k, rows, mr);
  for (let k = 0; k < mc; k++) c[k] = spread2(k, cols, mc);
  return { rows: r, cols: c };
}
function sampleGridIn(ranges, cols) {
  const total = ranges.reduce((s, [a, b]) => s + b - a, 0);
  const inner = sampleGrid(total, cols);
  const rows = new Int32Array(inner.rows.length);
  let k = 0;
  let before = 0;
  for (const [a, b] of ranges) {
    while (k < rows.length && inner.rows[k] < before + (b - a)) {
      rows[k] = a + inner.rows[k] - before;
      k++;
    }
    before += b - a;
  }
  return { rows, cols: inner.cols };
}
var SampleCollector = class {
  constructor(grid, cols) {
    this.grid = grid;
    this.cols = cols;
    this.values = new Float32Array(grid.rows.length * grid.cols.length);
  }
  values;
  next = 0;
  /** Offer rows [r0, r0 + rowCount) as raw bytes of whole rows (plain views): only sampled values are decoded. */
  offerRaw(r0, bytes, rowCount, dtype) {
    const { rows, cols } = this.grid;
    const mc = cols.length;
    const bpe = bytesPerElement(dtype);
    const u32 = dtype === "BF16" ? new Uint32Array(this.values.buffer, this.values.byteOffset, this.values.length) : null;
    while (this.next < rows.length && rows[this.next] < r0 + rowCount) {
      const base2 = (rows[this.next] - r0) * this.cols * bpe;
      const o = this.next * mc;
      if (u32) {
        for (let j = 0; j < mc; j++) u32[o + j] = bf16Bits(bytes, base2 + cols[j] * 2);
      } else for (let j = 0; j < mc; j++) decodeInto(dtype, bytes, base2 + cols[j] * bpe, 1, this.values, o + j);
      this.next++;
    }
  }
  /** Offer rows [r0, r0 + block.length / cols) of the canonical matrix. */
  offer(r0, block, rowCount) {
    const { rows, cols } = this.grid;
    const mc = cols.length;
    while (this.next < rows.length && rows[this.next] < r0 + rowCount) {
      const local = rows[this.next] - r0;
      const base2 = local * this.cols;
      const o = this.next * mc;
      for (let j = 0; j < mc; j++) this.values[o + j] = block[base2 + cols[j]];
      this.next++;
    }
  }
};

// src/stats/pair-blocks.ts
var PairBlocks = class {
  /** `ranges`: the rows read (sampled-rows.ts), in canonical rows of `pair.candidate`. */
  constructor(pair, ranges) {
    this.pair = pair;
    const cols = pair.candidate.cols;
    this.grid = sampleGridIn(ranges, cols);
    this.sa = new SampleCollector(this.grid, cols);
    this.sb = new SampleCollector(this.grid, cols);
    this.chunkAcc = ranges.length > 1 ? ranges.map(() => new PairAccumulator()) : null;
  }
  grid;
  sa;
  sb;
  acc = new PairAccumulator();
  chunkAcc;
  kernel = pairKernel();
  /** Each side's shift (its approximate mean, from the first block), so the f32 partial sums do not cancel. */
  shift = null;
  /**
   * A block as stored bytes of BF16 or F32 on both sides (whole stored rows): only sampled values are
   * decoded. `sums`, when given, computes the kernel's sums where the bytes already lie (a slot kernel's memory).
   */
  addRaw(block, dtype, ba, bb, sums) {
    const { r0, r1, chunk } = block;
    const n2 = (r1 - r0) * this.pair.candidate.cols;
    this.shift ??= { ka: leadingMean(dtype, ba, n2), kb: leadingMean(dtype, bb, n2) };
    const s = sums ? sums(n2, this.shift.ka, this.shift.kb) : this.kernel.run(dtype, ba, bb, n2, this.shift.ka, this.shift.kb);
    if (s.nonFinite) {
      const fa = new Float32Array(n2);
      const fb = new Float32Array(n2);
      decodeInto(dtype, ba, 0, n2, fa);
      decodeInto(dtype, bb, 0, n2, fb);
      this.acc.add(fa, fb, n2);
      this.chunkAcc?.[chunk].add(fa, fb, n2);
    } else {
      this.acc.addShifted(s);
      this.chunkAcc?.[chunk].addShifted(s);
    }
    this.sa.offerRaw(r0, ba, r1 - r0, dtype);
    this.sb.offerRaw(r0, bb, r1 - r0, dtype);
  }
  /** A block decoded to Float32 canonical rows on both sides, summed by the same SIMD kernel as F32. */
  addDecoded(block, fa, fb) {
    const { r0, r1, chunk } = block;
    const n2 = (r1 - r0) * this.pair.candidate.cols;
    this.shift ??= { ka: finiteMean(fa, n2), kb: finiteMean(fb, n2) };
    const s = this.kernel.run("F32", new Uint8Array(fa.buffer, fa.byteOffset, n2 * 4), new Uint8Array(fb.buffer, fb.byteOffset, n2 * 4), n2, this.shift.ka, this.shift.kb);
    if (s.nonFinite) {
      this.acc.add(fa, fb, n2);
      this.chunkAcc?.[chunk].add(fa, fb, n2);
    } else {
      this.acc.addShifted(s);
      this.chunkAcc?.[chunk].addShifted(s);
    }
    this.sa.offer(r0, fa, r1 - r0);
    this.sb.offer(r0, fb, r1 - r0);
  }
  /** The statistics of every block added, the sample, and (sampled mode) the fraction read and Pearson's standard error. */
  outcome() {
    const { pair, grid, sa, sb, acc, chunkAcc } = this;
    const rows = pair.candidate.rows;
    const stats = acc.result();
    let sampling2 = null;
    if (chunkAcc) {
      const rs = chunkAcc.map((c) => c.result().pearson).filter((r) => r !== null);
      const m = rs.length;
      const mean = rs.reduce((x, y) => x + y, 0) / Math.max(1, m);
      const sd = m > 1 ? Math.sqrt(rs.reduce((x, y) => x + (y - mean) ** 2, 0) / (m - 1)) : null;
      const readRows2 = pair.candidate.cols > 0 ? stats.n / pair.candidate.cols : 0;
      sampling2 = { fraction: readRows2 / rows, elements: stats.n, pearsonSe: sd === null ? null : sd / Math.sqrt(m) };
    }
    const sample = { layer: pair.layer, role: pair.role, rowsSampled: grid.rows.length, colsSampled: grid.cols.length, a: sa.values, b: sb.values, grid };
    return { stats, sample, sampling: sampling2 };
  }
};
function leadingMean(dtype, bytes, n2) {
  const k = Math.min(n2, 4096);
  const f = new Float32Array(k);
  decodeInto(dtype, bytes, 0, k, f);
  return finiteMean(f, k);
}
function finiteMean(f, n2) {
  const k = Math.min(n2, 4096);
  let s = 0;
  let c = 0;
  for (let i = 0; i < k; i++) if (Number.isFinite(f[i])) {
    s += f[i];
    c++;
  }
  return c ? s / c : 0;
}

// src/stats/sampled-rows.ts
function sampleMinElements(fraction) {
  return Math.max(1 << 15, Math.min(1 << 18, Math.round((1 << 18) * fraction / 0.05)));
}
var SAMPLE_CHUNKS = 16;
var CHUNK_MIN_ELEMENTS = 1 << 16;
function rowRanges(rows, cols, fraction, name2) {
  const minElements = sampleMinElements(fraction);
  if (fraction >= 1 || rows * cols <= minElements || rows < 2 * SAMPLE_CHUNKS) return [[0, rows]];
  const want = Math.min(rows, Math.max(Math.ceil(fraction * rows), Math.ceil(minElements / cols)));
  if (want >= rows) return [[0, rows]];
  const chunks = Math.max(2, Math.min(SAMPLE_CHUNKS, Math.floor(want * cols / CHUNK_MIN_ELEMENTS)));
  const chunkRows2 = Math.max(1, Math.ceil(want / chunks));
  const spacing = rows / chunks;
  let h = 2166136261;
  for (let i = 0; i < name2.length; i++) h = Math.imul(h ^ name2.charCodeAt(i), 16777619) >>> 0;
  const slack = Math.max(0, Math.floor(spacing) - chunkRows2);
  const offset = slack > 0 ? h % (slack + 1) : 0;
  const out = [];
  for (let c = 0; c < chunks; c++) {
    const start = Math.min(rows - 1, Math.floor(c * spacing) + offset);
    const end = Math.min(rows, start + chunkRows2);
    if (out.length && start < out[out.length - 1][1]) continue;
    out.push([start, end]);
  }
  return out;
}
function blocksOf(ranges, step) {
  const out = [];
  ranges.forEach(([s, e2], chunk) => {
    for (let r0 = s; r0 < e2; r0 += step) out.push({ r0, r1: Math.min(e2, r0 + step), chunk });
  });
  return out;
}

// src/engine/stream-pair.ts
var DEFAULT_PREFETCH_DEPTH = 4;
function pairReads(pair, fraction) {
  const a = pair.candidate;
  const b = pair.reference;
  const none = { candidate: [], reference: [] };
  if (!DECODABLE.has(a.entry.dtype) || !DECODABLE.has(b.entry.dtype)) return none;
  for (const v of [a, b]) if (v.transpose && v.storedRows * v.storedCols > MAX_TRANSPOSE_ELEMENTS) return none;
  for (const v of [a, b]) if (v.axes && v.storedRows * v.storedCols > MAX_PERMUTE_ELEMENTS) return none;
  const ranges = rowRanges(a.rows, a.cols, fraction, b.entry.name);
  const step = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, a.cols)));
  const blocks = blocksOf(ranges, step);
  const side = (v) => {
    const bpe = bytesPerElement(v.entry.dtype);
    if (readsWhole(v)) return [{ file: v.entry.file, begin: v.entry.begin, end: v.entry.begin + v.storedRows * v.storedCols * bpe }];
    return blocks.map(({ r0, r1 }) => {
      const begin = v.entry.begin + (v.rowStart + r0) * v.storedCols * bpe;
      return { file: v.entry.file, begin, end: begin + (r1 - r0) * v.storedCols * bpe };
    });
  };
  return { candidate: side(a), reference: side(b) };
}
async function comparePair(pair, candidate, reference, options = {}) {
  const depth = options.depth ?? DEFAULT_PREFETCH_DEPTH;
  const cr = new ViewReader(candidate, pair.candidate);
  const rr = new ViewReader(reference, pair.reference);
  const { cols } = pair.candidate;
  const ranges = rowRanges(pair.candidate.rows, cols, options.fraction ?? 1, pair.reference.entry.name);
  const into = new PairBlocks(pair, ranges);
  const step = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, cols)));
  const blocks = blocksOf(ranges, step);
  const a = pair.candidate;
  const b = pair.reference;
  if (isPlain(a) && isPlain(b) && PairKernel.supports(a.entry.dtype, b.entry.dtype)) {
    await streamPlain({ pair, candidate, reference, blocks, depth }, into);
    return into.outcome();
  }
  for (const block of blocks) {
    const [fa, fb] = await Promise.all([cr.rows(block.r0, block.r1), rr.rows(block.r0, block.r1)]);
    into.addDecoded(block, fa, fb);
  }
  cr.release();
  rr.release();
  return into.outcome();
}
async function streamPlain(reads, into) {
  const { pair, candidate, reference, blocks, depth } = reads;
  const a = pair.candidate;
  const b = pair.reference;
  const dtype = a.entry.dtype;
  const bpe = bytesPerElement(dtype);
  const pairs = depth + 1;
  const largest = blocks.reduce((m, { r0, r1 }) => Math.max(m, (r1 - r0) * a.cols), 0);
  const kernel2 = acquireSlots(Math.max(BLOCK_ELEMENTS, largest) * bpe, 2 * pairs);
  const candSide = { source: candidate, view: a, bpe };
  const refSide = { source: reference, view: b, bpe };
  const pending = [];
  let next = 0;
  const issue = () => {
    if (next >= blocks.length) return;
    const k = next++;
    const block = blocks[k];
    const slot = 2 * (k % pairs);
    const p = Promise.all([readRows(candSide, block, kernel2.slot(slot)), readRows(refSide, block, kernel2.slot(slot + 1))]);
    p.catch(() => void 0);
    pending.push(p);
  };
  try {
    for (let i = 0; i < depth; i++) issue();
    for (let i = 0; i < blocks.length; i++) {
      await pending.shift();
      issue();
      const { r0, r1 } = blocks[i];
      const bytes = (r1 - r0) * a.cols * bpe;
      const slot = 2 * (i % pairs);
      const ba = kernel2.slot(slot).subarray(0, bytes);
      const bb = kernel2.slot(slot + 1).subarray(0, bytes);
      into.addRaw(blocks[i], dtype, ba, bb, (n2, ka, kb) => kernel2.runSlots(dtype, slot, slot + 1, n2, ka, kb));
    }
  } finally {
    await Promise.allSettled(pending);
    kernel2.release();
  }
}
function isPlain(v) {
  return !readsWhole(v) && v.cols === v.storedCols && !v.columnOrder;
}
function readRows({ source, view: v, bpe }, { r0, r1 }, slot) {
  const begin = v.entry.begin + (v.rowStart + r0) * v.storedCols * bpe;
  const length = (r1 - r0) * v.cols * bpe;
  return readInto(source, { file: v.entry.file, begin, end: begin + length }, slot.subarray(0, length));
}

// src/stats/controls.ts
var SHIFTS = [1, 2, 3, 5, 8, 13, 21, 34];
var CENTRED_A = new Scratch();
var CENTRED_B = new Scratch();
var DUPLICATE_LAYER_R = 0.5;
var MAX_CROSS = 32;
function shiftedControls(p) {
  const out = [];
  const mr = p.rowsSampled;
  const mc = p.colsSampled;
  if (p.a.length !== mr * mc || p.b.length !== mr * mc) {
    for (const s of SHIFTS) {
      const r1 = s < mr ? pearson(p.a, p.b, (i) => (Math.floor(i / mc) + s) % mr * mc + i % mc) : null;
      if (r1 !== null) out.push(r1);
      const r2 = s < mc ? pearson(p.a, p.b, (i) => i - i % mc + (i % mc + s) % mc) : null;
      if (r2 !== null) out.push(r2);
    }
    return out;
  }
  const { mean: ma, ss: caa } = momentsOf(p.a);
  const { mean: mb, ss: cbb } = momentsOf(p.b);
  if (!(caa > 0 && cbb > 0)) return out;
  const push = (cab) => Number.isFinite(cab) ? out.push(clamp(cab / Math.sqrt(caa * cbb))) : 0;
  const n2 = mr * mc;
  const ca = CENTRED_A.take(n2);
  const cb = CENTRED_B.take(n2);
  for (let i = 0; i < n2; i++) {
    ca[i] = p.a[i] - ma;
    cb[i] = p.b[i] - mb;
  }
  const dot = (i, j, len) => {
    let s = 0;
    for (let k = 0; k < len; k++) s += ca[i + k] * cb[j + k];
    return s;
  };
  for (const s of SHIFTS) {
    if (s < mr) {
      const cut = (mr - s) * mc;
      push(dot(0, s * mc, cut) + dot(cut, 0, n2 - cut));
    }
    if (s < mc) {
      let cab = 0;
      for (let o = 0; o < n2; o += mc) cab += dot(o, o + s, mc - s) + dot(o + mc - s, o, s);
      push(cab);
    }
  }
  return out;
}
function summarise2(values) {
  const n2 = values.length;
  if (n2 === 0) return { mean: 0, sd: 0, n: 0, values };
  const mean = values.reduce((a, b) => a + b, 0) / n2;
  const sd = n2 > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n2 - 1)) : 0;
  return { mean, sd, n: n2, values };
}
function nullsFor(pairs) {
  const groups = /* @__PURE__ */ new Map();
  pairs.forEach((p, i) => {
    if (!p) return;
    const key = `${p.role}|${p.rowsSampled}x${p.colsSampled}|${p.a.length}`;
    const g = groups.get(key) ?? [];
    g.push(i);
    groups.set(key, g);
  });
  const dupR = /* @__PURE__ */ new Map();
  const pearsonOf = pearsonOfMany();
  return pairs.map((p, i) => {
    if (!p) return null;
    const values = shiftedControls(p);
    const group = groups.get(`${p.role}|${p.rowsSampled}x${p.colsSampled}|${p.a.length}`);
    let cross = 0;
    for (const j of group) {
      if (j === i || cross >= MAX_CROSS) continue;
      const q = pairs[j];
      if (q.layer === p.layer) continue;
      const key = Math.min(i, j) * pairs.length + Math.max(i, j);
      let dup = dupR.get(key);
      if (dup === void 0) dupR.set(key, dup = pearsonOf(p.b, q.b));
      if (dup !== null && Math.abs(dup) > DUPLICATE_LAYER_R) continue;
      const r = pearsonOf(p.a, q.b);
      if (r !== null) {
        values.push(r);
        cross++;
      }
    }
    return summarise2(values);
  });
}
function rawCosine(a, b) {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null;
}
function layerMatrixOf(pairs, pick, stat4) {
  const usable = pairs.filter((p) => p !== null && p.layer !== null && pick(p));
  if (usable.length === 0) return null;
  const layers = [...new Set(usable.map((p) => p.layer))].sort((a, b) => a - b);
  const sum = layers.map(() => layers.map(() => 0));
  const cnt = layers.map(() => layers.map(() => 0));
  const groups = /* @__PURE__ */ new Map();
  for (const p of usable) {
    const key = `${p.role}|${p.rowsSampled}x${p.colsSampled}|${p.a.length}`;
    groups.set(key, [...groups.get(key) ?? [], p]);
  }
  for (const g of groups.values()) {
    for (const c of g) {
      for (const r of g) {
        const v = stat4(c.a, r.b);
        if (v === null) continue;
        const i = layers.indexOf(c.layer);
        const j = layers.indexOf(r.layer);
        sum[i][j] += v;
        cnt[i][j] += 1;
      }
    }
  }
  return { candidateLayers: layers, referenceLayers: layers, values: sum.map((row, i) => row.map((v, j) => cnt[i][j] ? v / cnt[i][j] : null)) };
}

// src/stats/independence.ts
function tensorIndependence({ a, b, rowsSampled: rows, colsSampled: cols }, units) {
  const known = units ? permutationTest({ a, b, rows, cols }, units) : null;
  const byRows = units === "rows" ? known : known ? null : permutationTest({ a, b, rows, cols }, "rows");
  const byCols = units === "cols" ? known : known ? null : permutationTest({ a, b, rows, cols }, "cols");
  const pick = pickAxis(byRows, byCols, units);
  if (!pick) return null;
  return { log10p: pick.log10p, z: pick.z, effect: pick.effect, axis: pick === byRows ? "rows" : "cols", rows: byRows, cols: byCols };
}
function pickAxis(byRows, byCols, units) {
  const known = units === "rows" ? byRows : units === "cols" ? byCols : null;
  return known ?? (!byRows ? byCols : !byCols ? byRows : byRows.log10p >= byCols.log10p ? byRows : byCols);
}

// src/stats/vector-test.ts
function midranks(x) {
  const n2 = x.length;
  const order = Array.from({ length: n2 }, (_, i) => i).sort((i, j) => x[i] - x[j]);
  const r = new Float64Array(n2);
  for (let i = 0; i < n2; ) {
    let j = i;
    while (j + 1 < n2 && x[order[j + 1]] === x[order[i]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]] = mid;
    i = j + 1;
  }
  return r;
}
function vectorPermutationTest(a, b) {
  const n2 = a.length;
  if (n2 < 3 || b.length !== n2) return null;
  for (let i = 0; i < n2; i++) if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) return null;
  const ra = midranks(a);
  const rb = midranks(b);
  const mean = (n2 + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n2; i++) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) ** 2;
    sbb += (rb[i] - mean) ** 2;
  }
  if (!(saa > 0 && sbb > 0)) return null;
  const rho = sab / Math.sqrt(saa * sbb);
  const z = rho * Math.sqrt(n2 - 1);
  return { units: n2, features: 1, z, log10p: twoSidedNormalLog10(z), effect: rho };
}

// src/stats/conjugation.ts
var PERMUTATIONS = 400;
function conjugationTest(a, b, n2) {
  if (n2 < 4) return null;
  const ca = centred(a);
  const cb = centred(b);
  const ssa = ca.reduce((s, x) => s + x * x, 0);
  const ssb = cb.reduce((s, x) => s + x * x, 0);
  if (!(ssa > 0 && ssb > 0)) return null;
  const stat4 = (p2) => {
    let t = 0;
    for (let i = 0; i < n2; i++) {
      const pi = p2 ? p2[i] : i;
      for (let j = 0; j < n2; j++) t += ca[pi * n2 + (p2 ? p2[j] : j)] * cb[i * n2 + j];
    }
    return t;
  };
  const t0 = stat4(null);
  let rng = 2654435769;
  const next = () => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return (rng >>> 0) / 4294967296;
  };
  const p = new Int32Array(n2);
  let sum = 0;
  let sum2 = 0;
  for (let k = 0; k < PERMUTATIONS; k++) {
    for (let i = 0; i < n2; i++) p[i] = i;
    for (let i = n2 - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      const x = p[i];
      p[i] = p[j];
      p[j] = x;
    }
    const t = stat4(p);
    sum += t;
    sum2 += t * t;
  }
  const mean = sum / PERMUTATIONS;
  const sd = Math.sqrt(Math.max(0, sum2 / PERMUTATIONS - mean * mean) * (PERMUTATIONS / (PERMUTATIONS - 1)));
  if (!(sd > 0)) return null;
  const z = (t0 - mean) / sd;
  return { units: n2, z, log10p: twoSidedNormalLog10(z), effect: t0 / Math.sqrt(ssa * ssb) };
}
function centred(x) {
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  return Float64Array.from(x, (v) => v - m);
}

// src/stats/constructions/recognised.ts
var THRESHOLDS = {
  /** Largest spread (max − min) relative to the largest magnitude for a constant. */
  constantSpread: 1e-6,
  /** Largest ‖A − sI‖_F / ‖sI‖_F. */
  identityRatio: 0.5,
  window: 0.999,
  rotary: 0.9999,
  mel: 0.9,
  dft: 0.9,
  sinusoid: 0.9
};
var HINTED = {
  identityRatio: 0.55,
  window: 0.995,
  rotary: 0.999,
  mel: 0.85,
  dft: 0.85,
  sinusoid: 0.85
};
var NAME_HINTS = {
  identity: /identity|(^|[._])eye([._]|$)/i,
  window: /window|hann|hamming|blackman/i,
  "rotary-frequencies": /inv_freq|rotary|rope|freq/i,
  "mel-filterbank": /mel|fbank|filterbank|filter_bank/i,
  "dft-basis": /basis|stft|dft|fft|fourier/i,
  "sinusoid-table": /pos|sinus|rotary|rope|cos_cache|sin_cache/i
};
function hinted(name2, c) {
  const re = NAME_HINTS[c];
  return !!name2 && !!re && re.test(name2);
}
var PROBE_SIGNALS = 32;
var PROBE_MIN = 0.5;
var MIN_FIT_ELEMENTS = 256;
var MAX_FIT_ELEMENTS = 1 << 23;
function fmt(x, digits = 2) {
  return Math.abs(x) >= 1e4 || x !== 0 && Math.abs(x) < 0.01 ? x.toExponential(digits - 1) : x.toFixed(digits);
}
function clamp01(x) {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

// src/stats/constructions/constant.ts
function recogniseConstant(v) {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const scale = Math.max(Math.abs(min), Math.abs(max));
  if (max - min > THRESHOLDS.constantSpread * scale) return null;
  const value = scale === 0 ? 0 : v[0];
  return {
    construction: "constant",
    explained: 1,
    detail: value === 0 ? `all zeros (${v.length} elements)` : `constant ${Number(value.toPrecision(6))} (all ${v.length} elements equal)`
  };
}

// src/stats/constructions/fit-helpers.ts
function project2(aa, ab, bb, xa, xb) {
  let best = 0;
  if (aa > 0) best = xa * xa / aa;
  if (bb > 0) best = Math.max(best, xb * xb / bb);
  const det = aa * bb - ab * ab;
  if (aa > 0 && bb > 0 && det > 1e-12 * aa * bb) best = Math.max(best, (bb * xa * xa - 2 * ab * xa * xb + aa * xb * xb) / det);
  return best;
}
function leastSquares(X, y, n2, p) {
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  let yy = 0;
  for (let i = 0; i < n2; i++) {
    const yi = y[i];
    yy += yi * yi;
    for (let j = 0; j < p; j++) {
      const xij = X[i * p + j];
      b[j] += xij * yi;
      for (let l = j; l < p; l++) A[j * p + l] += xij * X[i * p + l];
    }
  }
  for (let j = 0; j < p; j++) for (let l = 0; l < j; l++) A[j * p + l] = A[l * p + j];
  const M = Float64Array.from(A);
  const beta = Float64Array.from(b);
  const used = [];
  const scale = Math.max(...Array.from({ length: p }, (_, j) => Math.abs(A[j * p + j])), 1e-300);
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(M[r * p + col]) > Math.abs(M[piv * p + col])) piv = r;
    if (Math.abs(M[piv * p + col]) < 1e-12 * scale) {
      used[col] = false;
      continue;
    }
    used[col] = true;
    if (piv !== col) {
      for (let l = 0; l < p; l++) [M[col * p + l], M[piv * p + l]] = [M[piv * p + l], M[col * p + l]];
      [beta[col], beta[piv]] = [beta[piv], beta[col]];
    }
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = M[r * p + col] / M[col * p + col];
      if (f === 0) continue;
      for (let l = col; l < p; l++) M[r * p + l] -= f * M[col * p + l];
      beta[r] -= f * beta[col];
    }
  }
  for (let j = 0; j < p; j++) beta[j] = used[j] ? beta[j] / M[j * p + j] : 0;
  let rss = 0;
  for (let i = 0; i < n2; i++) {
    let f = 0;
    for (let j = 0; j < p; j++) f += X[i * p + j] * beta[j];
    rss += (y[i] - f) ** 2;
  }
  return { beta, rss: Math.min(rss, yy) };
}
function sumOfSquaresAboutMean(y, off, n2) {
  let s = 0;
  for (let i = 0; i < n2; i++) s += y[off + i];
  const m = s / n2;
  let ss = 0;
  for (let i = 0; i < n2; i++) ss += (y[off + i] - m) ** 2;
  return ss;
}
function signChanges(x, off, n2) {
  let prev = 0;
  let c = 0;
  for (let i = 0; i < n2; i++) {
    const v = x[off + i];
    if (v > 0) {
      if (prev < 0) c++;
      prev = 1;
    } else if (v < 0) {
      if (prev > 0) c++;
      prev = -1;
    }
  }
  return c;
}
function signalsOf({ data: v, rows, cols }, byColumns, which = null) {
  if (!byColumns) {
    if (!which) return v;
    const out2 = new Float32Array(which.length * cols);
    which.forEach((r, i) => out2.set(v.subarray(r * cols, (r + 1) * cols), i * cols));
    return out2;
  }
  const list = which ?? Array.from({ length: cols }, (_, c) => c);
  const out = new Float32Array(list.length * rows);
  if (!which) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c];
  } else {
    list.forEach((c, i) => {
      for (let r = 0; r < rows; r++) out[i * rows + r] = v[r * cols + c];
    });
  }
  return out;
}
var indices = (count2) => Array.from({ length: count2 }, (_, i) => i);
function evenlySpaced(count2, want) {
  if (count2 <= want) return Array.from({ length: count2 }, (_, i) => i);
  return Array.from({ length: want }, (_, i) => Math.floor((i + 0.5) * count2 / want));
}
function elementsOf(shape) {
  let n2 = 1;
  for (const d of shape) n2 *= d;
  return n2;
}

// src/stats/constructions/dft-basis.ts
function recogniseDft(v, rows, cols, name2) {
  const threshold = hinted(name2, "dft-basis") ? HINTED.dft : THRESHOLDS.dft;
  for (const byColumns of [false, true]) {
    const N = byColumns ? rows : cols;
    const R = byColumns ? cols : rows;
    if (N < 8 || R < 4 || R > 2 * N + 2 || N * R < MIN_FIT_ELEMENTS) continue;
    const cosT = new Float64Array(N);
    const sinT = new Float64Array(N);
    for (let n2 = 0; n2 < N; n2++) {
      cosT[n2] = Math.cos(2 * Math.PI * n2 / N);
      sinT[n2] = Math.sin(2 * Math.PI * n2 / N);
    }
    const probeIdx = evenlySpaced(R, PROBE_SIGNALS);
    const probeX = signalsOf({ data: v, rows, cols }, byColumns, probeIdx);
    const windows = dftWindows(v, rows, cols, byColumns);
    const passed = windows.filter(([, w]) => dftFit({ x: probeX, N, which: indices(probeIdx.length) }, w, { cosT, sinT }).explained >= PROBE_MIN);
    if (passed.length === 0) continue;
    const x = R <= PROBE_SIGNALS ? probeX : signalsOf({ data: v, rows, cols }, byColumns);
    let best = null;
    for (const [window2, w] of passed) {
      const fit = dftFit({ x, N, which: indices(R) }, w, { cosT, sinT });
      if (fit.distinct < 4 || fit.distinct < 0.4 * fit.active) continue;
      const margin = window2.startsWith("an estimated") ? 1e-6 : 0;
      if (!best || fit.explained > best.explained + margin) best = { explained: fit.explained, window: window2, distinct: fit.distinct };
    }
    if (best && best.explained >= threshold) {
      return {
        construction: "dft-basis",
        explained: clamp01(best.explained),
        detail: `DFT basis: ${R} ${byColumns ? "columns" : "rows"} of cos/sin(2\u03C0kn/${N}) for ${best.distinct} integer frequencies k, ${best.window} window`
      };
    }
  }
  return null;
}
function dftWindows(v, rows, cols, byColumns) {
  const N = byColumns ? rows : cols;
  const R = byColumns ? cols : rows;
  const cosine = (a0, L) => Float64Array.from({ length: N }, (_, n2) => a0 - (1 - a0) * Math.cos(2 * Math.PI * n2 / L));
  const rms = new Float64Array(N);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) rms[byColumns ? r : c] += v[r * cols + c] ** 2;
  for (let n2 = 0; n2 < N; n2++) rms[n2] = Math.sqrt(rms[n2] / R);
  return [
    ["no", new Float64Array(N).fill(1)],
    ["periodic Hann", cosine(0.5, N)],
    ["symmetric Hann", cosine(0.5, N - 1)],
    ["periodic Hamming", cosine(0.54, N)],
    ["symmetric Hamming", cosine(0.54, N - 1)],
    ["an estimated (root-mean-square)", rms]
  ];
}
function dftFit({ x, N, which }, w, { cosT, sinT }) {
  let rss = 0;
  let tss = 0;
  const ks = [];
  const energies = [];
  for (const r of which) {
    const off = r * N;
    let energy = 0;
    for (let n2 = 0; n2 < N; n2++) energy += x[off + n2] ** 2;
    const k0 = Math.round(signChanges(x, off, N) / 2);
    let best = 0;
    let bestK = -1;
    for (let k = Math.max(0, k0 - 2); k <= Math.min(N >> 1, k0 + 2); k++) {
      let aa = 0;
      let ab = 0;
      let bb = 0;
      let xa = 0;
      let xb = 0;
      let idx = 0;
      for (let n2 = 0; n2 < N; n2++) {
        const u = w[n2] * cosT[idx];
        const s = w[n2] * sinT[idx];
        const xn = x[off + n2];
        aa += u * u;
        ab += u * s;
        bb += s * s;
        xa += xn * u;
        xb += xn * s;
        idx += k;
        if (idx >= N) idx -= N;
      }
      const p = project2(aa, ab, bb, xa, xb);
      if (p > best) {
        best = p;
        bestK = k;
      }
    }
    rss += Math.max(0, energy - best);
    tss += sumOfSquaresAboutMean(x, off, N);
    ks.push(bestK);
    energies.push(energy);
  }
  const maxEnergy = Math.max(...energies);
  const activeKs = ks.filter((_, i) => energies[i] > 1e-6 * maxEnergy);
  return { explained: tss > 0 ? 1 - rss / tss : 0, distinct: new Set(activeKs).size, active: activeKs.length };
}

// src/stats/constructions/identity.ts
function diagonalMean(v, rows, cols) {
  const k = Math.min(rows, cols);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += v[i * cols + i];
  return sum / k;
}
function totalSumOfSquares(v) {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i];
  const mean = sum / v.length;
  let tss = 0;
  for (let i = 0; i < v.length; i++) tss += (v[i] - mean) ** 2;
  return tss;
}
function recogniseIdentity(v, rows, cols, name2) {
  const k = Math.min(rows, cols);
  if (k < 2) return null;
  const s = diagonalMean(v, rows, cols);
  if (s === 0) return null;
  const signal = s * s * k;
  const limit = (hinted(name2, "identity") ? HINTED.identityRatio : THRESHOLDS.identityRatio) ** 2 * signal;
  let rss = 0;
  for (let r = 0; r < rows; r++) {
    const base2 = r * cols;
    for (let c = 0; c < cols; c++) {
      const e2 = v[base2 + c] - (r === c ? s : 0);
      rss += e2 * e2;
    }
    if (rss > limit) return null;
  }
  const ratio = Math.sqrt(rss / signal);
  const tss = totalSumOfSquares(v);
  const shape = rows === cols ? `${rows}\xD7${cols}` : `rectangular ${rows}\xD7${cols}`;
  const what = Math.abs(s - 1) < 5e-3 ? `identity ${shape}` : `scaled identity ${shape} (s = ${fmt(s)})`;
  const training = ratio < 5e-4 ? "" : ` plus ${ratio < 0.01 ? "<1" : Math.round(ratio * 100)}% training (\u2016A \u2212 sI\u2016/\u2016sI\u2016)`;
  return { construction: "identity", explained: clamp01(tss > 0 ? 1 - rss / tss : 1), detail: what + training };
}
function residualAfterConstruction(values, shape, r) {
  if (r.construction !== "identity") return null;
  const dims = shape.filter((d) => d !== 1);
  if (dims.length !== 2 || elementsOf(shape) !== values.length) return null;
  const [rows, cols] = dims;
  const s = diagonalMean(values, rows, cols);
  const out = Float32Array.from(values);
  const k = Math.min(rows, cols);
  for (let i = 0; i < k; i++) out[i * cols + i] = values[i * cols + i] - s;
  return out;
}

// src/stats/constructions/mel-filterbank.ts
function recogniseMel(v, rows, cols, name2) {
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x > max) max = x;
    if (x < min) min = x;
  }
  if (!(max > 0) || min < -1e-6 * max) return null;
  const threshold = hinted(name2, "mel-filterbank") ? HINTED.mel : THRESHOLDS.mel;
  for (const byColumns of [false, true]) {
    const M = byColumns ? cols : rows;
    const F = byColumns ? rows : cols;
    if (M < 8 || F < 16) continue;
    const r = melFit(signalsOf({ data: v, rows, cols }, byColumns), M, F, max);
    if (r && r.explained >= threshold) {
      return {
        construction: "mel-filterbank",
        explained: clamp01(r.explained),
        detail: `mel filterbank: ${M} triangular filters (${byColumns ? "columns" : "rows"}) over ${F} frequency bins${r.empty ? `, ${r.empty} empty` : ""}`
      };
    }
  }
  return null;
}
function melFit(x, M, F, globalMax) {
  let empty = 0;
  let prevPeak = -1;
  let prevCentroid = -Infinity;
  let firstCentroid = NaN;
  let firstLo = 0;
  let firstHi = 0;
  let prevLo = -1;
  let prevHi = -1;
  let pairs = 0;
  let overlaps = 0;
  let widthSum = 0;
  let rss = 0;
  let tss = 0;
  for (let m = 0; m < M; m++) {
    const off = m * F;
    let mx = 0;
    let peak = 0;
    for (let i = 0; i < F; i++) {
      if (x[off + i] > mx) {
        mx = x[off + i];
        peak = i;
      }
    }
    if (mx <= 1e-6 * globalMax) {
      empty++;
      continue;
    }
    const tol = 1e-6 * mx;
    let lo = 0;
    while (x[off + lo] <= tol) lo++;
    let hi = F - 1;
    while (x[off + hi] <= tol) hi--;
    const eps = 1e-4 * mx;
    for (let i = lo; i <= hi; i++) {
      if (x[off + i] <= tol) return null;
      if (i < peak && x[off + i + 1] < x[off + i] - eps) return null;
      if (i > peak && x[off + i] > x[off + i - 1] + eps) return null;
    }
    let s = 0;
    let sw = 0;
    for (let i = lo; i <= hi; i++) {
      s += x[off + i];
      sw += i * x[off + i];
    }
    const centroid = sw / s;
    if (peak < prevPeak || centroid < prevCentroid - 1e-6 * F || lo < prevLo || hi < prevHi) return null;
    if (Number.isNaN(firstCentroid)) {
      firstCentroid = centroid;
      firstLo = lo;
      firstHi = hi;
    }
    if (prevHi >= 0) {
      pairs++;
      if (lo <= prevHi && prevLo <= hi) overlaps++;
    }
    prevPeak = peak;
    prevCentroid = centroid;
    prevLo = lo;
    prevHi = hi;
    widthSum += hi - lo + 1;
    rss += triangleRss(x, off, { lo, peak, hi });
    tss += sumOfSquaresAboutMean(x, off, F);
  }
  const filters = M - empty;
  if (empty > M / 4 || filters < 8) return null;
  if (overlaps < pairs / 2 || widthSum / filters < 2) return null;
  if (prevCentroid - firstCentroid < F / 8 || prevLo - firstLo < F / 8 || prevHi - firstHi < F / 8) return null;
  return { explained: tss > 0 ? 1 - rss / tss : 0, empty };
}
function triangleRss(x, off, { lo, peak, hi }) {
  const a = lineRss(x, off, lo, peak) + lineRss(x, off, peak + 1, hi);
  const b = lineRss(x, off, lo, peak - 1) + lineRss(x, off, peak, hi);
  return Math.min(a, b);
}
function lineRss(x, off, from, to) {
  const n2 = to - from + 1;
  if (n2 <= 2) return 0;
  let si = 0;
  let sy = 0;
  let sii = 0;
  let siy = 0;
  let syy = 0;
  for (let i = from; i <= to; i++) {
    const t = i - from;
    const y = x[off + i];
    si += t;
    sy += y;
    sii += t * t;
    siy += t * y;
    syy += y * y;
  }
  const vi = sii - si * si / n2;
  const cov = siy - si * sy / n2;
  const vy = syy - sy * sy / n2;
  return Math.max(0, vy - cov * cov / vi);
}

// src/stats/constructions/solve3.ts
function det3(m) {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}
function solve3(A, b) {
  const d = det3(A);
  if (!(Math.abs(d) > 0)) return null;
  return [0, 1, 2].map((j) => {
    const m = Array.from(A);
    for (let r = 0; r < 3; r++) m[r * 3 + j] = b[r];
    return det3(m) / d;
  });
}

// src/stats/constructions/position-grid.ts
var MAX_LEADING = 8;
var THRESHOLD = 0.9;
var ROUGH_GATE = 0.75;
var OMEGA_STEPS = 128;
var MIN_SIDE = 5;
function gridShapes(n2) {
  const out = [];
  for (let a = MIN_SIDE; a * MIN_SIDE <= n2; a++) {
    if (n2 % a) continue;
    const rest = n2 / a;
    out.push([a, rest]);
    for (let b = MIN_SIDE; b * MIN_SIDE <= rest; b++) if (rest % b === 0) out.push([a, b, rest / b]);
  }
  return out;
}
function strideOf(dims, k) {
  let s = 1;
  for (let j = k + 1; j < dims.length; j++) s *= dims[j];
  return s;
}
function sinusoidRss(f) {
  const L = f.length;
  let mean = 0;
  for (let i = 0; i < L; i++) mean += f[i];
  mean /= L;
  let tss = 0;
  for (let i = 0; i < L; i++) tss += (f[i] - mean) ** 2;
  if (tss === 0) return 0;
  const g = new Float64Array(9);
  const r = new Float64Array(3);
  const fit = (omega) => {
    g.fill(0);
    r.fill(0);
    for (let i = 0; i < L; i++) {
      const s = Math.sin(omega * i);
      const c = Math.cos(omega * i);
      const y = f[i];
      r[0] += y;
      r[1] += s * y;
      r[2] += c * y;
      g[1] += s;
      g[2] += c;
      g[4] += s * s;
      g[5] += s * c;
      g[8] += c * c;
    }
    g[0] = L;
    g[3] = g[1];
    g[6] = g[2];
    g[7] = g[5];
    if (!(Math.abs(det3(g)) > 1e-12)) return tss;
    const beta = solve3(g, r);
    if (!beta) return tss;
    let rss = 0;
    for (let i = 0; i < L; i++) rss += (f[i] - beta[0] - beta[1] * Math.sin(omega * i) - beta[2] * Math.cos(omega * i)) ** 2;
    return rss;
  };
  let best = tss;
  let bestOmega = 0;
  for (let s = 1; s <= OMEGA_STEPS; s++) {
    const omega = Math.PI * s / OMEGA_STEPS;
    const rss = fit(omega);
    if (rss < best) [best, bestOmega] = [rss, omega];
  }
  let lo = Math.max(1e-6, bestOmega - Math.PI / OMEGA_STEPS);
  let hi = Math.min(Math.PI, bestOmega + Math.PI / OMEGA_STEPS);
  for (let it = 0; it < 24; it++) {
    const m1 = lo + (hi - lo) / 3;
    const m2 = hi - (hi - lo) / 3;
    if (fit(m1) < fit(m2)) hi = m2;
    else lo = m1;
  }
  return Math.min(best, fit((lo + hi) / 2));
}
function channelRss(v, at, dims) {
  const cells = dims.reduce((x, y) => x * y, 1);
  let mean = 0;
  for (let q = 0; q < cells; q++) mean += v[at(q)];
  mean /= cells;
  let tss = 0;
  for (let q = 0; q < cells; q++) tss += (v[at(q)] - mean) ** 2;
  if (tss === 0) return { rss: 0, tss: 0 };
  let best = { within: tss, f: null, repeats: 1 };
  for (let k = 0; k < dims.length; k++) {
    const L = dims[k];
    const stride = strideOf(dims, k);
    const f = new Float64Array(L);
    for (let q = 0; q < cells; q++) f[Math.floor(q / stride) % L] += v[at(q)];
    const repeats = cells / L;
    for (let i = 0; i < L; i++) f[i] = f[i] / repeats;
    let within = 0;
    for (let q = 0; q < cells; q++) within += (v[at(q)] - f[Math.floor(q / stride) % L]) ** 2;
    if (within < best.within) best = { within, f, repeats };
  }
  if (!best.f || best.within > 0.5 * tss) return { rss: tss, tss };
  return { rss: Math.min(tss, best.within + best.repeats * sinusoidRss(best.f)), tss };
}
function recogniseSinusoidGrid(v, rows, cols) {
  let best = null;
  for (const byRows of [true, false]) {
    const P = byRows ? rows : cols;
    const C = byRows ? cols : rows;
    if (P < 5 || C < 2 || P * C < 256) continue;
    const table = { v, C, value: (p, c) => byRows ? p * cols + c : c * cols + p };
    if (medianRoughness(table, { lead: 0, dims: [P] }) > ROUGH_GATE) continue;
    for (let lead = 0; lead <= Math.min(MAX_LEADING, P - 4); lead++) {
      const G = P - lead;
      for (const dims of gridShapes(G)) {
        const fit = gridFit(table, { lead, dims });
        if (fit >= THRESHOLD && (!best || fit > best.explained)) {
          best = {
            explained: Math.min(1, fit),
            detail: `sin-cos position table on a ${dims.join(" \xD7 ")} grid${lead ? ` after ${lead} leading row${lead > 1 ? "s" : ""}` : ""} (${C} channels, each a sinusoid of one grid axis)`
          };
        }
      }
      if (best) return best;
    }
  }
  return best;
}
function gridFit({ v, C, value }, { lead, dims }) {
  let rss = 0;
  let tss = 0;
  for (let r = 0; r < lead; r++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += v[value(r, c)];
    m /= C;
    for (let c = 0; c < C; c++) rss += (v[value(r, c)] - m) ** 2;
  }
  const cells = dims.reduce((x, y) => x * y, 1);
  const spread3 = Array.from({ length: C }, (_, c) => {
    let s = 0;
    let ss = 0;
    for (let q = 0; q < cells; q++) {
      const x = v[value(lead + q, c)];
      s += x;
      ss += x * x;
    }
    return ss - s * s / cells;
  });
  const probe = Array.from({ length: C }, (_, c) => c).sort((a, b) => spread3[b] - spread3[a]).slice(0, 8);
  for (const c of probe) {
    const one = channelRss(v, (q) => value(lead + q, c), dims);
    if (one.tss > 0 && one.rss > 0.3 * one.tss) return 0;
  }
  for (let c = 0; c < C; c++) {
    const one = channelRss(v, (q) => value(lead + q, c), dims);
    rss += one.rss;
    tss += one.tss;
  }
  return tss > 0 ? 1 - rss / tss : 0;
}
function roughness(v, rows, cols) {
  let best = Infinity;
  for (const byRows of [true, false]) {
    const P = byRows ? rows : cols;
    const C = byRows ? cols : rows;
    if (P < 4 || C < 1) continue;
    const table = { v, C, value: (p, c) => byRows ? p * cols + c : c * cols + p };
    const flat = medianRoughness(table, { lead: 0, dims: [P] });
    best = Math.min(best, flat);
    if (flat > ROUGH_GATE) continue;
    for (let lead = 0; lead <= Math.min(MAX_LEADING, P - 4); lead++) {
      for (const dims of gridShapes(P - lead)) if (dims.length === 2) best = Math.min(best, medianRoughness(table, { lead, dims }));
    }
  }
  return best;
}
var ROUGH_CHANNELS = 64;
function channelRoughness({ v, C, value }, { lead, dims }) {
  const cells = dims.reduce((x, y) => x * y, 1);
  const per = [];
  let constant = 0;
  const step = Math.max(1, Math.floor(C / ROUGH_CHANNELS));
  for (let c = 0; c < C; c += step) {
    let mean = 0;
    for (let q = 0; q < cells; q++) mean += v[value(lead + q, c)];
    mean /= cells;
    let ss = 0;
    for (let q = 0; q < cells; q++) ss += (v[value(lead + q, c)] - mean) ** 2;
    if (!(ss > 0)) {
      constant++;
      continue;
    }
    let diff = 0;
    let pairs = 0;
    for (let k = 0; k < dims.length; k++) {
      const stride = strideOf(dims, k);
      const L = dims[k];
      for (let q = 0; q < cells; q++) {
        if (Math.floor(q / stride) % L === L - 1) continue;
        diff += (v[value(lead + q + stride, c)] - v[value(lead + q, c)]) ** 2;
        pairs++;
      }
    }
    per.push(diff / pairs / (2 * (ss / cells)));
  }
  per.sort((a, b) => a - b);
  return { per, constant };
}
function signalRoughness(v, { count: count2, length, start, step }) {
  const per = [];
  let constant = 0;
  const every = Math.max(1, Math.floor(count2 / ROUGH_CHANNELS));
  for (let c = 0; c < count2; c += every) {
    const o = c * start;
    const end = o + length * step;
    let mean = 0;
    for (let i = o; i < end; i += step) mean += v[i];
    mean /= length;
    let ss = 0;
    for (let i = o; i < end; i += step) ss += (v[i] - mean) ** 2;
    if (!(ss > 0)) {
      constant++;
      continue;
    }
    let diff = 0;
    for (let i = o; i + step < end; i += step) diff += (v[i + step] - v[i]) ** 2;
    per.push(diff / (length - 1) / (2 * (ss / length)));
  }
  per.sort((a, b) => a - b);
  return { per, constant };
}
function medianRoughness(table, grid) {
  const { per } = channelRoughness(table, grid);
  return per.length === 0 ? Infinity : per[Math.floor(per.length / 2)];
}
var NOISE_BAND = [0.6, 1.4];
function roughLikeNoise(v, rows, cols) {
  if (rows < 32 || cols < 32) return false;
  for (const alongCols of [true, false]) {
    const { per, constant } = alongCols ? signalRoughness(v, { count: rows, length: cols, start: cols, step: 1 }) : signalRoughness(v, { count: cols, length: rows, start: 1, step: cols });
    if (constant > 0) return false;
    const lo = per[Math.floor(0.1 * (per.length - 1))];
    const hi = per[Math.ceil(0.9 * (per.length - 1))];
    if (lo < NOISE_BAND[0] || hi > NOISE_BAND[1]) return false;
  }
  return true;
}

// src/stats/constructions/rotary-frequencies.ts
function recogniseRotary(v, name2) {
  const n2 = v.length;
  if (n2 < 4) return null;
  const y = new Float64Array(n2);
  for (let i = 0; i < n2; i++) {
    if (!(v[i] > 0)) return null;
    y[i] = Math.log(v[i]);
  }
  const increasing = y[1] > y[0];
  for (let i = 1; i < n2; i++) if (increasing ? !(y[i] > y[i - 1]) : !(y[i] < y[i - 1])) return null;
  if (Math.abs(y[n2 - 1] - y[0]) < 1) return null;
  const tss = sumOfSquaresAboutMean(y, 0, n2);
  const threshold = hinted(name2, "rotary-frequencies") ? HINTED.rotary : THRESHOLDS.rotary;
  const X = new Float64Array(n2 * 3);
  for (let i = 0; i < n2; i++) {
    X[i * 2] = 1;
    X[i * 2 + 1] = i;
  }
  let r2 = 1 - leastSquares(X.subarray(0, n2 * 2), y, n2, 2).rss / tss;
  let shifted = null;
  if (r2 < threshold && n2 >= 12 && n2 <= 1024) {
    const ramp = bestRamp(y);
    if (ramp) {
      for (let i = 0; i < n2; i++) {
        X[i * 3] = 1;
        X[i * 3 + 1] = i;
        X[i * 3 + 2] = i <= ramp.a ? 0 : i >= ramp.b ? 1 : (i - ramp.a) / (ramp.b - ramp.a);
      }
      const r = 1 - leastSquares(X, y, n2, 3).rss / tss;
      if (r > r2) {
        r2 = r;
        shifted = ramp;
      }
    }
  }
  if (r2 < threshold) return null;
  const head = shifted ? shifted.a + 1 : n2;
  const slope = (y[head - 1] - y[0]) / (head - 1);
  const base2 = Math.exp(Math.abs(slope) * n2);
  return {
    construction: "rotary-frequencies",
    explained: clamp01(r2),
    detail: `${increasing ? "increasing" : "decreasing"} geometric frequencies, ${n2} values, ratio ${fmt(Math.exp(slope), 4)} per step (1/base^(2i/d) with d = ${2 * n2}, base \u2248 ${base2 >= 100 ? Math.round(base2) : fmt(base2, 3)})` + (shifted ? `, scaled between steps ${shifted.a} and ${shifted.b}` : "")
  };
}
function bestRamp(y) {
  const n2 = y.length;
  let mean = 0;
  for (let i = 0; i < n2; i++) mean += y[i];
  mean /= n2;
  const z0 = new Float64Array(n2 + 1);
  const z1 = new Float64Array(n2 + 1);
  let zz = 0;
  for (let i = 0; i < n2; i++) {
    const z = y[i] - mean;
    z0[i + 1] = z0[i] + z;
    z1[i + 1] = z1[i] + i * z;
    zz += z * z;
  }
  const s1 = (p, q) => (q * (q - 1) - p * (p - 1)) / 2;
  const sq = (k) => (k - 1) * k * (2 * k - 1) / 6;
  const sumI = s1(0, n2);
  const sumI2 = sq(n2);
  const sumZ = z0[n2];
  const sumIZ = z1[n2];
  let best = null;
  const maxRamp = Math.floor(n2 / 3);
  for (let a = 2; a < n2 - 3; a++) {
    for (let b = a + 1; b <= Math.min(n2 - 3, a + maxRamp); b++) {
      const D = b - a;
      const st = (D - 1) * D / 2;
      const st2 = (D - 1) * D * (2 * D - 1) / 6;
      const tail = n2 - b;
      const sh = st / D + tail;
      const sh2 = st2 / (D * D) + tail;
      const sih = (st2 + a * st) / D + s1(b, n2);
      const rampZ = z0[b] - z0[a + 1];
      const rampIZ = z1[b] - z1[a + 1];
      const shz = (rampIZ - a * rampZ) / D + (z0[n2] - z0[b]);
      const beta = solve3([n2, sumI, sh, sumI, sumI2, sih, sh, sih, sh2], [sumZ, sumIZ, shz]);
      if (!beta) continue;
      const rss = zz - (beta[0] * sumZ + beta[1] * sumIZ + beta[2] * shz);
      if (!best || rss < best.rss) best = { a, b, rss };
    }
  }
  return best ? { a: best.a, b: best.b } : null;
}

// src/stats/constructions/sinusoid-grid.ts
var MAX_GRID_POSITIONS = 16384;
function recogniseGridTable(values, rows, cols) {
  if (Math.max(rows, cols) > MAX_GRID_POSITIONS) return null;
  const fit = recogniseSinusoidGrid(values, rows, cols);
  return fit ? { construction: "sinusoid-grid", ...fit } : null;
}

// src/stats/constructions/sinusoid-table.ts
function recogniseSinusoidTable(v, rows, cols, name2) {
  const threshold = hinted(name2, "sinusoid-table") ? HINTED.sinusoid : THRESHOLDS.sinusoid;
  let best = null;
  for (const byColumns of [true, false]) {
    const L = byColumns ? rows : cols;
    const C = byColumns ? cols : rows;
    if (L < 8 || C < 2 || L * C < MIN_FIT_ELEMENTS) continue;
    const probeIdx = evenlySpaced(C, PROBE_SIGNALS);
    const probe = sinusoidFit(signalsOf({ data: v, rows, cols }, byColumns, probeIdx), L, indices(probeIdx.length));
    if (probe.explained < PROBE_MIN) continue;
    const sampled = C * L > MAX_FIT_ELEMENTS ? evenlySpaced(C, Math.max(PROBE_SIGNALS, Math.floor(MAX_FIT_ELEMENTS / L))) : null;
    const fit = C <= PROBE_SIGNALS ? probe : sinusoidFit(signalsOf({ data: v, rows, cols }, byColumns, sampled), L, indices(sampled ? sampled.length : C));
    if (fit.explained < threshold || best && fit.explained <= best.score) continue;
    const omegas = fit.omegas;
    const lo = Math.min(...omegas);
    const hi = Math.max(...omegas);
    best = {
      construction: "sinusoid-table",
      explained: clamp01(fit.explained),
      score: fit.explained,
      detail: `sinusoid table: ${L} positions \xD7 ${C} channels (positions along the ${byColumns ? "rows" : "columns"}), frequencies ${fmt(lo)}..${fmt(hi)} rad/position${sampled ? ` (fitted on ${sampled.length} channels)` : arrangement(omegas, L)}`
    };
  }
  if (!best) return null;
  const { score: _score, ...recognised } = best;
  return recognised;
}
function arrangement(omegas, L) {
  const C = omegas.length;
  const same = (a, b) => Math.abs(a - b) <= 1e-3 * Math.max(a, b) + 0.5 / L;
  if (C >= 4 && C % 2 === 0) {
    if (omegas.every((w, i) => i % 2 === 1 || same(w, omegas[i + 1]))) return ", interleaved sin/cos pairs";
    if (omegas.every((w, i) => i >= C / 2 || same(w, omegas[i + C / 2]))) return ", two halves ([sin | cos] or repeated)";
  }
  return "";
}
function sinusoidProjection(x, off, L, omega) {
  const cw = Math.cos(omega);
  const sw = Math.sin(omega);
  let c = 1;
  let s = 0;
  let xs = 0;
  let xc = 0;
  if (omega * L > 0.5 && Math.abs(sw) > 1e-9) {
    const k = Math.sin(L * omega) / sw;
    const c2 = k * Math.cos((L - 1) * omega);
    const s2 = k * Math.sin((L - 1) * omega);
    for (let p = 0; p < L; p++) {
      const v = x[off + p];
      xs += v * s;
      xc += v * c;
      const t = c * cw - s * sw;
      s = s * cw + c * sw;
      c = t;
    }
    return project2((L - c2) / 2, s2 / 2, (L + c2) / 2, xs, xc);
  }
  let ss = 0;
  let sc = 0;
  let cc = 0;
  for (let p = 0; p < L; p++) {
    const v = x[off + p];
    ss += s * s;
    sc += s * c;
    cc += c * c;
    xs += v * s;
    xc += v * c;
    const t = c * cw - s * sw;
    s = s * cw + c * sw;
    c = t;
  }
  return project2(ss, sc, cc, xs, xc);
}
var GRID = 8;
var GOLDEN_STEPS = 16;
var INV_PHI = (Math.sqrt(5) - 1) / 2;
var Periodogram = class {
  M;
  re;
  im;
  rev;
  cos;
  sin;
  constructor(minSize) {
    let M = 1;
    let bits = 0;
    while (M < minSize) {
      M <<= 1;
      bits++;
    }
    this.M = M;
    this.re = new Float64Array(M);
    this.im = new Float64Array(M);
    this.rev = new Uint32Array(M);
    for (let i = 0; i < M; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= (i >> b & 1) << bits - 1 - b;
      this.rev[i] = r;
    }
    this.cos = Float64Array.from({ length: M / 2 }, (_, k) => Math.cos(2 * Math.PI * k / M));
    this.sin = Float64Array.from({ length: M / 2 }, (_, k) => -Math.sin(2 * Math.PI * k / M));
  }
  /** The frequency (rad/sample, 0..π) of the largest |X(ω)|² of x[off..off+L) zero-padded to M. */
  peak(x, off, L) {
    const { M, re, im, rev } = this;
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < L; i++) re[rev[i]] = x[off + i];
    for (let size = 2; size <= M; size <<= 1) {
      const half = size >> 1;
      const step = M / size;
      for (let start = 0; start < M; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step];
          const wi = this.sin[k * step];
          const i = start + k;
          const j = i + half;
          const tr = re[j] * wr - im[j] * wi;
          const ti = re[j] * wi + im[j] * wr;
          re[j] = re[i] - tr;
          im[j] = im[i] - ti;
          re[i] += tr;
          im[i] += ti;
        }
      }
    }
    let best = 0;
    let bestK = 0;
    for (let k = 0; k <= M / 2; k++) {
      const p = re[k] ** 2 + im[k] ** 2;
      if (p > best) {
        best = p;
        bestK = k;
      }
    }
    return 2 * Math.PI * bestK / M;
  }
};
function crossingsWithHysteresis(x, off, L) {
  let ss = 0;
  for (let i = 0; i < L; i++) ss += x[off + i] ** 2;
  const h = 0.3 * Math.sqrt(ss / L);
  let state = 0;
  let c = 0;
  for (let i = 0; i < L; i++) {
    const v = x[off + i];
    if (v > h) {
      if (state < 0) c++;
      state = 1;
    } else if (v < -h) {
      if (state > 0) c++;
      state = -1;
    }
  }
  return c;
}
function fitOneSinusoid(x, off, L, fft) {
  const bin = 2 * Math.PI / fft.M;
  const peak = fft.peak(x, off, L);
  const crossings = crossingsWithHysteresis(x, off, L);
  const brackets = [[peak - 1.5 * bin, peak + 1.5 * bin]];
  const zl = Math.PI * (crossings - 1.5) / (L - 1);
  const zh = Math.PI * (crossings + 1.5) / (L - 1);
  if (zl < peak - 1.5 * bin || zh > peak + 1.5 * bin) brackets.push([zl, zh]);
  let bestP = -1;
  let bestW = 0;
  let a = 0;
  let b = 0;
  for (const [l, h] of brackets) {
    const lo = Math.max(0, l);
    const hi = Math.min(Math.PI, h);
    const step = (hi - lo) / (GRID - 1);
    for (let i = 0; i < GRID; i++) {
      const w = lo + i * step;
      const p = sinusoidProjection(x, off, L, w);
      if (p > bestP) {
        bestP = p;
        bestW = w;
        a = Math.max(0, w - step);
        b = Math.min(Math.PI, w + step);
      }
    }
  }
  let c = b - INV_PHI * (b - a);
  let d = a + INV_PHI * (b - a);
  let pc = sinusoidProjection(x, off, L, c);
  let pd = sinusoidProjection(x, off, L, d);
  for (let it = 0; it < GOLDEN_STEPS; it++) {
    if (pc > pd) {
      b = d;
      d = c;
      pd = pc;
      c = b - INV_PHI * (b - a);
      pc = sinusoidProjection(x, off, L, c);
    } else {
      a = c;
      c = d;
      pc = pd;
      d = a + INV_PHI * (b - a);
      pd = sinusoidProjection(x, off, L, d);
    }
  }
  if (pc >= bestP && pc >= pd) return { projected: pc, omega: c };
  if (pd >= bestP) return { projected: pd, omega: d };
  return { projected: bestP, omega: bestW };
}
function sinusoidFit(x, L, which) {
  let rss = 0;
  let tss = 0;
  const omegas = [];
  const fft = new Periodogram(2 * L);
  for (const j of which) {
    const off = j * L;
    let energy = 0;
    for (let p = 0; p < L; p++) energy += x[off + p] ** 2;
    const { projected, omega } = fitOneSinusoid(x, off, L, fft);
    rss += Math.max(0, energy - projected);
    tss += sumOfSquaresAboutMean(x, off, L);
    omegas.push(omega);
  }
  return { explained: tss > 0 ? 1 - rss / tss : 0, omegas };
}

// src/stats/constructions/window.ts
function recogniseWindow(v, name2) {
  const N = v.length;
  if (N < 8) return null;
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < N; i++) {
    max = Math.max(max, v[i]);
    min = Math.min(min, v[i]);
  }
  if (max <= 0 || min < -1e-3 * max) return null;
  const tss = sumOfSquaresAboutMean(v, 0, N);
  if (!(tss > 0)) return null;
  const y = Float64Array.from(v);
  let best = null;
  for (const L of [N, N - 1]) {
    const X = new Float64Array(N * 3);
    for (let n2 = 0; n2 < N; n2++) {
      X[n2 * 3] = 1;
      X[n2 * 3 + 1] = Math.cos(2 * Math.PI * n2 / L);
      X[n2 * 3 + 2] = Math.cos(4 * Math.PI * n2 / L);
    }
    const fit = leastSquares(X, y, N, 3);
    const r2 = 1 - fit.rss / tss;
    if (!best || r2 > best.r2) best = { r2, L, a: fit.beta };
  }
  const threshold = hinted(name2, "window") ? HINTED.window : THRESHOLDS.window;
  if (!best || best.r2 < threshold || best.a[1] >= 0) return null;
  const [a0, a1, a2] = [best.a[0], best.a[1], best.a[2]];
  const total = a0 - a1 + a2;
  const [b0, b1, b2] = [a0 / total, -a1 / total, a2 / total];
  const kind = Math.abs(b0 - 0.5) < 0.01 && Math.abs(b2) < 0.01 ? "Hann" : Math.abs(b0 - 0.54) < 0.01 && Math.abs(b2) < 0.01 ? "Hamming" : Math.abs(b0 - 0.42) < 0.01 && Math.abs(b2 - 0.08) < 0.01 ? "Blackman" : "raised-cosine";
  return {
    construction: "window",
    explained: clamp01(best.r2),
    detail: `${kind} window, N = ${N} (${best.L === N ? "periodic" : "symmetric"}): ${fmt(b0)} \u2212 ${fmt(b1)}\xB7cos(2\u03C0n/${best.L})` + (Math.abs(b2) >= 0.01 ? ` + ${fmt(b2)}\xB7cos(4\u03C0n/${best.L})` : "")
  };
}

// src/stats/constructions/index.ts
var VECTOR_DETECTORS = [recogniseWindow, recogniseRotary];
var FITTING_DETECTORS = [recogniseMel, recogniseDft, recogniseSinusoidTable, recogniseGridTable];
function recognise(values, shape, name2) {
  const n2 = elementsOf(shape);
  if (n2 !== values.length) throw new RangeError(`shape [${shape.join(", ")}] holds ${n2} elements, values ${values.length}`);
  if (n2 < 2) return null;
  for (let i = 0; i < n2; i++) if (!Number.isFinite(values[i])) return null;
  const constant = recogniseConstant(values);
  if (constant) return constant;
  const dims = shape.filter((d) => d !== 1);
  if (dims.length === 1) return firstRecognised(VECTOR_DETECTORS, (detect) => detect(values, name2));
  if (dims.length !== 2) return null;
  const [rows, cols] = dims;
  const identity = recogniseIdentity(values, rows, cols, name2);
  if (identity) return identity;
  if (!hinted(name2, "sinusoid-table") && roughLikeNoise(values, rows, cols)) return null;
  return firstRecognised(FITTING_DETECTORS, (detect) => detect(values, rows, cols, name2));
}
function firstRecognised(detectors, run) {
  for (const detect of detectors) {
    const r = run(detect);
    if (r) return r;
  }
  return null;
}

// src/engine/constructions.ts
var SMOOTH_ROUGHNESS = 0.5;
var CHECK_BELOW_LOG10P = -3;
var MAX_ELEMENTS3 = 8 * 1024 * 1024;
var MAX_SAMPLED_MODE_ELEMENTS = 1024 * 1024;
var MANTEL_UNITS = 96;
async function recogniseConstructions(c, io) {
  const out = [...c.tensors];
  for (let i = 0; i < c.comp.pairs.length; i++) out[i] = await recogniseOne(c.comp.pairs[i], out[i], c.samples[i], io);
  return out;
}
async function recogniseOne(pair, t, s, io) {
  const { cand, ref, fraction } = io;
  if (!s || !t.informative || t.error || !t.permutation || t.permutation.log10p > CHECK_BELOW_LOG10P) return t;
  if (identityLike(pair, s)) {
    const test2 = conjugationTest(offIdentity(s.a, s.rowsSampled), offIdentity(s.b, s.rowsSampled), s.rowsSampled);
    const deterministic2 = { construction: "identity", explained: 0, detail: "diagonal-dominant square matrix (identity-like initialisation); the residuals A \u2212 sI are tested instead (Mantel)", residualTested: test2 !== null };
    return withResidualTest({ ...t, deterministic: deterministic2 }, test2);
  }
  const grid = [s.rowsSampled, s.colsSampled];
  const sa = recognise(s.a, grid, t.candidate);
  const sb = recognise(s.b, grid, t.reference);
  const sameOnSample = sa !== null && sb !== null && sa.construction === sb.construction;
  if (!sameOnSample && relativeSquaredDifference(s.a, s.b) > 1e-6) return t;
  const v = pair.candidate;
  const elements = Math.max(v.rows * v.cols, pair.reference.rows * pair.reference.cols);
  const whole = elements <= (sameOnSample && fraction >= 1 ? MAX_ELEMENTS3 : MAX_SAMPLED_MODE_ELEMENTS);
  if (!whole && !sameOnSample) return t;
  const a = whole ? await loadMatrix(cand, v) : { rows: s.rowsSampled, cols: s.colsSampled, data: s.a };
  const b = whole ? await loadMatrix(ref, pair.reference) : { rows: s.rowsSampled, cols: s.colsSampled, data: s.b };
  const ra = whole ? recognise(a.data, [a.rows, a.cols], t.candidate) : sa;
  const rb = whole ? recognise(b.data, [b.rows, b.cols], t.reference) : sb;
  if (!ra || !rb || ra.construction !== rb.construction) {
    return !ra && !rb && relativeSquaredDifference(a.data, b.data) <= 1e-6 ? markSmooth(t, a) : t;
  }
  if (ra.construction !== "identity") {
    return { ...t, deterministic: { construction: ra.construction, explained: Math.min(ra.explained, rb.explained), detail: ra.detail } };
  }
  const test = residualTest(a, ra, b, rb);
  const deterministic = {
    construction: "identity",
    explained: Math.min(ra.explained, rb.explained),
    detail: `${ra.detail}; the trained residuals A \u2212 sI are tested instead (Mantel)`,
    residualTested: test !== null
  };
  return withResidualTest({ ...t, deterministic }, test);
}
function withResidualTest(t, test) {
  const { permutation: _, ...rest } = t;
  return test ? { ...t, permutation: { units: test.units, features: test.units, z: test.z, log10p: test.log10p, effect: test.effect } } : rest;
}
function markSmooth(t, a) {
  if (Math.max(a.rows, a.cols) > 16384) return t;
  const r = roughness(a.data, a.rows, a.cols);
  if (!(r < SMOOTH_ROUGHNESS)) return t;
  return { ...t, structureOnly: `the same values on both sides in a table smooth along its positions (roughness ${r.toFixed(2)}; trained weight matrices ~1): a learned or shared position table no formula explains, whose likeness the permutation null cannot price` };
}
var DIAGONAL_Z = 8;
function identityLike(pair, s) {
  const v = pair.candidate;
  if (v.rows !== v.cols || pair.reference.rows !== pair.reference.cols || s.rowsSampled !== s.colsSampled || s.rowsSampled < 8) return false;
  return diagonalZ(s.a, s.rowsSampled) > DIAGONAL_Z && diagonalZ(s.b, s.rowsSampled) > DIAGONAL_Z;
}
function diagonalZ(x, n2) {
  let d = 0;
  let o = 0;
  let oo = 0;
  for (let i = 0; i < n2; i++) {
    for (let j = 0; j < n2; j++) {
      const v = x[i * n2 + j];
      if (i === j) d += v;
      else {
        o += v;
        oo += v * v;
      }
    }
  }
  const m = n2 * (n2 - 1);
  const mean = o / m;
  const sd = Math.sqrt(Math.max(0, oo / m - mean * mean));
  return sd > 0 ? Math.abs(d / n2 - mean) / (sd / Math.sqrt(n2)) : 0;
}
function offIdentity(x, n2) {
  let s = 0;
  for (let i = 0; i < n2; i++) s += x[i * n2 + i];
  s /= n2;
  const out = Float32Array.from(x);
  for (let i = 0; i < n2; i++) out[i * n2 + i] -= s;
  return out;
}
function residualTest(a, ra, b, rb) {
  const da = residualAfterConstruction(a.data, [a.rows, a.cols], ra);
  const db = residualAfterConstruction(b.data, [b.rows, b.cols], rb);
  if (!da || !db || a.cols !== b.cols || a.rows !== b.rows) return null;
  const n2 = Math.min(a.rows, a.cols);
  const k = Math.min(n2, MANTEL_UNITS);
  const idx = Array.from({ length: k }, (_, i) => Math.floor(i * n2 / k));
  const sub = (d) => {
    const out = new Float32Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out[i * k + j] = d[idx[i] * a.cols + idx[j]];
    return out;
  };
  return conjugationTest(sub(da), sub(db), k);
}

// src/align/expert-slots.ts
var SKETCH_ROWS_EXACT = 32;
var SKETCH_ROWS_SAMPLED = 16;
function sketchRows(d, fraction) {
  const k = Math.min(d, fraction >= 1 ? SKETCH_ROWS_EXACT : SKETCH_ROWS_SAMPLED);
  const start = Math.floor((d - k) / 2);
  return Int32Array.from({ length: k }, (_, i) => start + i);
}
function sketchView(part) {
  if (part.base !== "mlp.down.weight") return null;
  return part.views[0]?.view ?? null;
}
function rowReads(view, rows) {
  const bpe = bytesPerElement(view.entry.dtype);
  if (readsWhole(view)) return [{ file: view.entry.file, begin: view.entry.begin, end: view.entry.begin + view.storedRows * view.storedCols * bpe }];
  const out = [];
  let i = 0;
  while (i < rows.length) {
    let j = i + 1;
    while (j < rows.length && rows[j] === rows[j - 1] + 1) j++;
    const begin = view.entry.begin + (view.rowStart + rows[i]) * view.storedCols * bpe;
    out.push({ file: view.entry.file, begin, end: begin + (j - i) * view.storedCols * bpe });
    i = j;
  }
  return out;
}
function sketchGroups(pairs) {
  const out = /* @__PURE__ */ new Map();
  const seen = /* @__PURE__ */ new Set();
  for (const p of pairs) {
    const s = p.expertSlot;
    if (!s || s.part.base !== "mlp.down.weight" || seen.has(s.part)) continue;
    seen.add(s.part);
    const g = out.get(s.group);
    if (g) g.candidate.push(s.part);
    else out.set(s.group, { candidate: [s.part], reference: s.refs });
  }
  return out;
}
function expertSketchReads(pairs, fraction) {
  const candidate = [];
  const reference = [];
  for (const g of sketchGroups(pairs).values()) {
    const views = (parts) => parts.map(sketchView).filter((v) => v !== null);
    for (const v of views(g.candidate)) candidate.push(...rowReads(v, sketchRows(v.rows, fraction)));
    for (const v of views(g.reference)) reference.push(...rowReads(v, sketchRows(v.rows, fraction)));
  }
  return { candidate, reference };
}
function slotPair(base2, slot, r) {
  const fits = fittingViews(slot.part, r);
  if (fits.length === 0) return null;
  const transform = (f) => expertTransform(slot.relation, { fused: slot.part.fused, label: f.candidate.label }, { fused: r.fused, label: f.reference.label });
  const [first, ...rest] = fits;
  const { alternatives: _a, expertSlot: _s, ...unslotted } = base2;
  const out = { ...unslotted, role: r.role, candidate: first.candidate.view, reference: first.reference.view, transform: transform(first), informative: slot.informative };
  return rest.length ? { ...out, alternatives: rest.map((f) => ({ candidate: f.candidate.view, reference: f.reference.view, transform: transform(f) })) } : out;
}

// src/engine/expert-match.ts
var SKETCHES_IN_FLIGHT = 16;
var ROUTER_WEIGHT = 0.5;
async function matchExperts(components, ctx) {
  const reads = { candidate: [], reference: [] };
  for (const comp of components) {
    const r = expertSketchReads(comp.pairs, ctx.fraction);
    reads.candidate.push(...r.candidate);
    reads.reference.push(...r.reference);
  }
  const out = [];
  if (reads.candidate.length === 0 && !components.some((c) => c.pairs.some((p) => p.expertSlot))) return out;
  ctx.cand.expect?.(reads.candidate, ctx.readAheadSpans);
  ctx.ref.expect?.(reads.reference, ctx.readAheadSpans);
  for (const comp of components) {
    const matched = /* @__PURE__ */ new Map();
    for (const [group, parts] of sketchGroups(comp.pairs)) {
      ctx.onProgress?.(`matching ${parts.candidate.length} experts against ${parts.reference.length} in ${group.replace(/\|experts$/, "").replace("|", " layer ")} on sketches`);
      const m = await matchGroup(comp.pairs, group, parts, ctx);
      if (!m) continue;
      matched.set(group, m.partner);
      out.push(m.summary);
    }
    comp.pairs = comp.pairs.map((p) => repaired(p, matched));
  }
  return out;
}
function repaired(p, matched) {
  const slot = p.expertSlot;
  if (!slot) return p;
  const partner = matched.get(slot.group)?.get(slot.part.expert);
  const r = partner === void 0 ? void 0 : refByExpert(slot.refs).get(partner);
  const next = r ? slotPair(p, slot, r) : null;
  if (next) return { ...next, paidOptions: optionsOf2(slot) };
  const { expertSlot: _, ...kept } = p;
  return kept;
}
var byExpert = /* @__PURE__ */ new WeakMap();
function refByExpert(refs) {
  let m = byExpert.get(refs);
  if (!m) byExpert.set(refs, m = new Map(refs.map((r) => [r.expert, r])));
  return m;
}
function optionsOf2(slot) {
  return new Set(slot.refs.map((r) => r.expert)).size;
}
async function matchGroup(pairs, group, parts, ctx) {
  let cand;
  let ref;
  try {
    cand = await sketchesOf(ctx.cand, parts.candidate, ctx.fraction);
    ref = await sketchesOf(ctx.ref, parts.reference, ctx.fraction);
  } catch (e2) {
    if (e2 instanceof FromScratchError && e2.kind === "format") return null;
    throw e2;
  }
  if (cand.length === 0 || ref.length === 0 || cand[0].vector.length !== ref[0].vector.length) return null;
  standardise(cand);
  standardise(ref);
  const score = similarity(cand, ref);
  const routers = await addRouterScores(pairs, group, { cand, ref, score }, ctx);
  const chosen = assign(score, cand.length, ref.length);
  const partner = /* @__PURE__ */ new Map();
  let moved = 0;
  cand.forEach((c, i) => {
    const j = chosen[i];
    if (j < 0) return;
    partner.set(c.expert, ref[j].expert);
    if (ref[j].expert !== c.expert) moved++;
  });
  return { partner, summary: { group, candidateExperts: cand.length, referenceExperts: ref.length, moved, routers } };
}
async function sketchesOf(source, parts, fraction) {
  const usable = parts.map((p) => ({ p, v: sketchView(p) })).filter((x) => x.v !== null);
  return mapLimit(usable, SKETCHES_IN_FLIGHT, async ({ p, v }) => {
    const rows = sketchRows(v.rows, fraction);
    const s = await readRowSet(source, v, rows);
    return { expert: p.expert, vector: gramTriangle(s.data, rows.length, s.cols) };
  });
}
async function addRouterScores(pairs, group, { cand, ref, score }, ctx) {
  const layer = pairs.find((p) => p.expertSlot?.group === group)?.layer;
  const router = pairs.find((p) => p.layer === layer && !p.expertSlot && /(^|\.)mlp\.gate\.weight$/.test(p.role) && p.candidate.rows === cand.length && p.reference.rows === ref.length && cand.length > 1);
  if (!router) return false;
  let a;
  let b;
  try {
    [a, b] = [await loadMatrix(ctx.cand, router.candidate), await loadMatrix(ctx.ref, router.reference)];
  } catch (e2) {
    if (e2 instanceof FromScratchError && e2.kind === "format") return false;
    throw e2;
  }
  const rows = (m, experts) => experts.map((x) => ({ vector: Float64Array.from(m.data.subarray(x.expert * m.cols, (x.expert + 1) * m.cols)) }));
  if (cand.some((x) => x.expert >= a.rows) || ref.some((x) => x.expert >= b.rows)) return false;
  const ra = rows(a, cand);
  const rb = rows(b, ref);
  standardise(ra);
  standardise(rb);
  const s = similarity(ra, rb);
  for (let i = 0; i < score.length; i++) score[i] += ROUTER_WEIGHT * s[i];
  return true;
}
function payForExpertMatching(pairs, tensors, unitsOf) {
  return tensors.map((t, i) => {
    const p = pairs[i];
    if (!p || (p.paidOptions ?? 1) <= 1 || !t.permutation) return t;
    if (t.permutation.axis === unitsOf(p)) return t;
    return { ...t, permutation: { ...t.permutation, log10p: bonferroniLog10(t.permutation.log10p, p.paidOptions) } };
  });
}
function payForExpertMatchingInSearch(pairs, tensors) {
  return tensors.map((t, i) => {
    const p = pairs[i];
    if (!p || !t.aligned || (p.paidOptions ?? 1) <= 1 || t.aligned.transform.includes("expert-matched")) return t;
    return { ...t, aligned: { ...t.aligned, log10p: bonferroniLog10(t.aligned.log10p, p.paidOptions) } };
  });
}

// src/engine/sample-budget.ts
var EXPERT_SAMPLE_BUDGET = 16 << 20;
var MIN_VALUES = 256;
function isExpertPair(p) {
  return /(^|\.)experts\.\d+\./.test(p.candidate.entry.name) || p.transform.some((k) => k === "split-experts" || k === "expert-matched");
}
function expertSampleCap(pairs) {
  const experts = pairs.filter(isExpertPair).length;
  return experts === 0 ? Infinity : Math.max(MIN_VALUES, Math.floor(EXPERT_SAMPLE_BUDGET / (8 * experts)));
}
function evenly(n2, keep) {
  if (keep >= n2) return Array.from({ length: n2 }, (_, i) => i);
  return Array.from({ length: keep }, (_, i) => Math.floor(i * n2 / keep));
}
function shrinkSample(s, cap) {
  const n2 = s.rowsSampled * s.colsSampled;
  if (n2 <= cap || s.a.length !== n2) return s;
  const scale = Math.sqrt(cap / n2);
  const rows = evenly(s.rowsSampled, Math.max(2, Math.floor(s.rowsSampled * scale)));
  const cols = evenly(s.colsSampled, Math.max(2, Math.floor(cap / rows.length)));
  const a = new Float32Array(rows.length * cols.length);
  const b = new Float32Array(rows.length * cols.length);
  rows.forEach(
    (r, i) => cols.forEach((c, j) => {
      a[i * cols.length + j] = s.a[r * s.colsSampled + c];
      b[i * cols.length + j] = s.b[r * s.colsSampled + c];
    })
  );
  const out = { ...s, rowsSampled: rows.length, colsSampled: cols.length, a, b };
  if (s.grid) out.grid = { rows: Int32Array.from(rows, (r) => s.grid.rows[r]), cols: Int32Array.from(cols, (c) => s.grid.cols[c]) };
  return out;
}

// src/engine/probe-operator.ts
var zeros = (rows, cols) => ({ rows, cols, data: new Float64Array(rows * cols) });
function gaussianProbes(n2, k, side) {
  let s = (2654435769 ^ Math.imul(n2, 2246822507) ^ Math.imul(k, 3266489909) ^ (side === "right" ? 668265263 : 374761393)) >>> 0 || 1;
  const uniform = () => {
    s = s + 1831565813 >>> 0;
    let t = s;
    t = Math.imul(t ^ t >>> 15, t | 1);
    t ^= t + Math.imul(t ^ t >>> 7, t | 61);
    return (((t ^ t >>> 14) >>> 0) + 0.5) / 4294967296;
  };
  const m = zeros(n2, k);
  for (let i = 0; i < m.data.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const a = 2 * Math.PI * uniform();
    m.data[i] = r * Math.cos(a);
    if (i + 1 < m.data.length) m.data[i + 1] = r * Math.sin(a);
  }
  return m;
}
function transposeMat(m) {
  const out = zeros(m.cols, m.rows);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.data[j * m.rows + i] = m.data[i * m.cols + j];
  return out;
}
function addInto(into, m) {
  for (let i = 0; i < into.data.length; i++) into.data[i] += m.data[i];
  return into;
}
function rowSlice(m, r0, n2) {
  return { rows: n2, cols: m.cols, data: m.data.subarray(r0 * m.cols, (r0 + n2) * m.cols) };
}
function offsets(sizes) {
  const out = [];
  let at = 0;
  for (const s of sizes) {
    out.push(at);
    at += s;
  }
  return out;
}
var OperatorProber = class {
  constructor(source) {
    this.source = source;
  }
  memo = /* @__PURE__ */ new Map();
  /** The shared random probe matrices, by identity (only their products are remembered). */
  shared = /* @__PURE__ */ new Map();
  /** Mark `m` a shared probe matrix (its products with a tensor are worth remembering). */
  share(m, key) {
    this.shared.set(m, key);
    return m;
  }
  /** M X for X [cols, k]: [rows, k]. */
  async right(op, x) {
    switch (op.kind) {
      case "matrix":
        return this.leaf(op.view, x, "right");
      case "product":
        return this.right(op.left, await this.right(op.right, x));
      case "sum": {
        let acc = null;
        for (const t of op.terms) acc = acc ? addInto(acc, await this.right(t, x)) : copy(await this.right(t, x));
        return acc;
      }
      case "stack": {
        const parts = [];
        const sizes = op.blocks.map((b) => op.axis === "cols" ? blockCols(b) : 0);
        const at = offsets(sizes);
        for (let i = 0; i < op.blocks.length; i++) parts.push(await this.right(op.blocks[i], op.axis === "cols" ? rowSlice(x, at[i], sizes[i]) : x));
        if (op.axis === "cols") return parts.slice(1).reduce(addInto, copy(parts[0]));
        return { rows: parts.reduce((s, p) => s + p.rows, 0), cols: x.cols, data: concat(parts) };
      }
    }
  }
  /** Yᵀ M for Y [rows, k]: [k, cols]. */
  async left(op, y) {
    switch (op.kind) {
      case "matrix":
        return this.leaf(op.view, y, "left");
      case "product":
        return this.left(op.right, transposeMat(await this.left(op.left, y)));
      case "sum": {
        let acc = null;
        for (const t of op.terms) acc = acc ? addInto(acc, await this.left(t, y)) : copy(await this.left(t, y));
        return acc;
      }
      case "stack": {
        const parts = [];
        const sizes = op.blocks.map((b) => op.axis === "rows" ? blockRows(b) : 0);
        const at = offsets(sizes);
        for (let i = 0; i < op.blocks.length; i++) parts.push(await this.left(op.blocks[i], op.axis === "rows" ? rowSlice(y, at[i], sizes[i]) : y));
        if (op.axis === "rows") return parts.slice(1).reduce(addInto, copy(parts[0]));
        return transposeMat({ rows: parts.reduce((s, p) => s + p.cols, 0), cols: y.cols, data: concat(parts.map(transposeMat)) });
      }
    }
  }
  /** One stored tensor times a probe block, in one streamed pass. */
  async leaf(view, x, side) {
    const sharedKey = this.shared.get(x);
    const key = sharedKey ? `${side}|${sharedKey}|${view.entry.file}|${view.entry.name}|${view.transpose}|${view.rowStart}|${view.rows}|${view.cols}` : null;
    const known = key ? this.memo.get(key) : void 0;
    if (known) return known;
    const k = x.cols;
    const out = side === "right" ? zeros(view.rows, k) : zeros(k, view.cols);
    const reader = new ViewReader(this.source, view);
    const step = Math.max(1, Math.floor(BLOCK_ELEMENTS / Math.max(1, view.cols)));
    for (let r0 = 0; r0 < view.rows; r0 += step) {
      const r1 = Math.min(view.rows, r0 + step);
      const rows = { data: await reader.rows(r0, r1), r0, r1, cols: view.cols };
      if (side === "right") multiplyRows(rows, x, out);
      else accumulateLeft(rows, x, out);
    }
    reader.release();
    if (key) this.memo.set(key, out);
    return out;
  }
};
function copy(m) {
  return { rows: m.rows, cols: m.cols, data: new Float64Array(m.data) };
}
function concat(parts) {
  const out = new Float64Array(parts.reduce((s, p) => s + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.data.length;
  }
  return out;
}
function blockCols(op) {
  return op.kind === "matrix" ? op.view.cols : op.kind === "product" ? blockCols(op.right) : op.kind === "sum" ? blockCols(op.terms[0]) : op.axis === "cols" ? op.blocks.reduce((s, b) => s + blockCols(b), 0) : blockCols(op.blocks[0]);
}
function blockRows(op) {
  return op.kind === "matrix" ? op.view.rows : op.kind === "product" ? blockRows(op.left) : op.kind === "sum" ? blockRows(op.terms[0]) : op.axis === "rows" ? op.blocks.reduce((s, b) => s + blockRows(b), 0) : blockRows(op.blocks[0]);
}
function multiplyRows({ data: block, r0, r1, cols }, x, out) {
  const k = x.cols;
  const xd = x.data;
  for (let i = r0; i < r1; i++) {
    const o = i * k;
    const b = (i - r0) * cols;
    for (let j = 0; j < cols; j++) {
      const w = block[b + j];
      if (w === 0) continue;
      const xo = j * k;
      for (let c = 0; c < k; c++) out.data[o + c] += w * xd[xo + c];
    }
  }
}
function accumulateLeft({ data: block, r0, r1, cols }, y, out) {
  const k = y.cols;
  for (let i = r0; i < r1; i++) {
    const b = (i - r0) * cols;
    for (let c = 0; c < k; c++) {
      const yc = y.data[i * k + c];
      if (yc === 0) continue;
      const o = c * cols;
      for (let j = 0; j < cols; j++) out.data[o + j] += yc * block[b + j];
    }
  }
}

// src/engine/compare-factored.ts
var NO_LAYOUT = { residual: null, conv1d: null };
var PROBES = 32;
var MIN_INFORMATIVE_ELEMENTS2 = 64;
var MIN_INFORMATIVE_SIDE2 = 8;
async function compareFactored(pairs, cand, ref, opts = {}) {
  if (!pairs?.length) return { tensors: [], lost: [] };
  const probers = { cand: new OperatorProber(cand), ref: new OperatorProber(ref) };
  const probed = [];
  for (const pair of pairs) {
    probed.push({ pair, result: await probeOne(pair, probers, opts.layout ?? NO_LAYOUT) });
    opts.onPair?.();
  }
  const groups = /* @__PURE__ */ new Map();
  probed.forEach((p, i) => {
    const id = p.pair.ambiguity ?? `single-${i}`;
    groups.set(id, [...groups.get(id) ?? [], p]);
  });
  const out = { tensors: [], lost: [] };
  for (const group of groups.values()) resolveGroup(group, out);
  return out;
}
function resolveGroup(group, out) {
  const readable = group.filter((p) => !p.result.error);
  if (readable.length === 0) {
    out.tensors.push(group[0].result);
    return;
  }
  const score = (p) => p.result.permutation?.log10p ?? 0;
  const used = /* @__PURE__ */ new Set();
  const kept = [];
  for (const p of [...readable].sort((a, b) => score(a) - score(b) || Math.abs(b.result.pearson ?? 0) - Math.abs(a.result.pearson ?? 0))) {
    const names2 = [p.pair.reference.name, ...p.pair.tensors.map((t) => t.entry.name)];
    if (names2.some((n2) => used.has(n2))) continue;
    for (const n2 of names2) used.add(n2);
    kept.push(p);
  }
  for (const p of kept) {
    const t = p.result;
    const paid = group.length > 1 && t.permutation ? { ...t, permutation: { ...t.permutation, log10p: bonferroniLog10(t.permutation.log10p, group.length) } } : t;
    out.tensors.push(paid.factored ? { ...paid, factored: { ...paid.factored, options: group.length } } : paid);
  }
  const lost = /* @__PURE__ */ new Map();
  for (const p of group) for (const t of p.pair.tensors) if (!used.has(t.entry.name)) lost.set(t.entry.name, t);
  out.lost.push(...lost.values());
}
function resultOf(pair) {
  const [rows, cols] = operatorShape(pair.candidate);
  const entries2 = operatorTensors(pair.candidate);
  return {
    candidate: describeOperator(pair.candidate),
    reference: pair.reference.name,
    elements: entries2.reduce((s, e2) => s + numel(e2.shape), 0),
    cosine: null,
    pearson: null,
    z: null,
    identical: false,
    transform: pair.transform,
    layer: pair.layer,
    role: pair.role,
    informative: rows >= 2 && cols >= 2 && Math.max(rows, cols) >= MIN_INFORMATIVE_SIDE2 && rows * cols >= MIN_INFORMATIVE_ELEMENTS2,
    null: null,
    dtype: { candidate: [...new Set(entries2.map((e2) => e2.dtype))].join("+"), reference: pair.reference.dtype },
    factored: { tensors: entries2.map((e2) => e2.name), probes: PROBES, options: 1 }
  };
}
async function probeOne(pair, probers, layout) {
  const t = resultOf(pair);
  const [rows, cols] = operatorShape(pair.candidate);
  try {
    const r = probers.cand.share(probers.ref.share(gaussianProbes(cols, PROBES, "right"), `R${cols}`), `R${cols}`);
    const l = probers.cand.share(probers.ref.share(gaussianProbes(rows, PROBES, "left"), `L${rows}`), `L${rows}`);
    const w = { kind: "matrix", view: fullView(pair.reference) };
    const sketches = {
      candRight: await probers.cand.right(pair.candidate, r),
      refRight: await probers.ref.right(w, r),
      candLeft: await probers.cand.left(pair.candidate, l),
      refLeft: await probers.ref.left(w, l)
    };
    if (![...Object.values(sketches)].every(finite)) return { ...t, error: "non-finite values (NaN/Inf) in the probed map" };
    return testSketches(t, sketches, mlpUnitAxis(t.role, rows, cols, layout));
  } catch (e2) {
    if (!(e2 instanceof FromScratchError && e2.kind === "format")) throw e2;
    return { ...t, error: e2.message };
  }
}
var finite = (m) => m.data.every(Number.isFinite);
var f32 = (m) => Float32Array.from(m.data);
function testSketches(unread, s, units) {
  const [a, b] = [f32(s.candRight), f32(s.refRight)];
  const acc = new PairAccumulator();
  acc.add(a, b);
  const stats = acc.result();
  const t = { ...unread, cosine: stats.cosine, pearson: stats.pearson };
  if (!t.informative || stats.pearson === null) return t;
  const byRows = permutationTest({ a, b, rows: s.candRight.rows, cols: s.candRight.cols }, "rows");
  const byCols = permutationTest({ a: f32(s.candLeft), b: f32(s.refLeft), rows: s.candLeft.rows, cols: s.candLeft.cols }, "cols");
  const pick = pickAxis(byRows, byCols, units);
  if (!pick) return t;
  return floorIfResidualOnly({ ...t, permutation: { units: pick.units, features: pick.features, z: pick.z, log10p: pick.log10p, effect: pick.effect, axis: pick === byRows ? "rows" : "cols" } }, t.role);
}
function withLost(comp, lost) {
  if (lost.length === 0) return comp;
  return {
    ...comp,
    unmatched: [...comp.unmatched, ...lost.map((l) => l.entry.name)],
    unmatchedParameters: comp.unmatchedParameters + lost.reduce((s, l) => s + numel(l.entry.shape), 0),
    unmatchedEntries: [...comp.unmatchedEntries, ...lost]
  };
}
function factoredReads(pairs) {
  const out = { candidate: [], reference: [] };
  const whole = (e2) => ({ file: e2.file, begin: e2.begin, end: e2.end });
  for (const p of pairs ?? []) {
    if (![p.reference, ...operatorTensors(p.candidate)].every((e2) => DECODABLE.has(e2.dtype))) continue;
    const tensors = operatorTensors(p.candidate).map(whole);
    out.candidate.push(...tensors, ...tensors);
    out.reference.push(whole(p.reference), whole(p.reference));
  }
  return out;
}

// src/engine/read-plan.ts
function readOrder(pairs) {
  const keys = pairs.map(({ reference: v }) => ({ file: v.entry.file, at: v.entry.begin, row: v.rowStart }));
  return pairs.map((_, i) => i).sort((i, j) => {
    const a = keys[i];
    const b = keys[j];
    return a.file < b.file ? -1 : a.file > b.file ? 1 : a.at - b.at || a.row - b.row || i - j;
  });
}
function readPlan(components, fraction) {
  const candidate = [];
  const reference = [];
  for (const comp of components) {
    const sketches = expertSketchReads(comp.pairs, fraction);
    candidate.push(...sketches.candidate);
    reference.push(...sketches.reference);
  }
  for (const comp of components) {
    for (const i of readOrder(comp.pairs)) {
      const p = comp.pairs[i];
      const r = pairReads(p, p.informative ? fraction : 1);
      candidate.push(...r.candidate);
      reference.push(...r.reference);
    }
    const f = factoredReads(comp.factored);
    candidate.push(...f.candidate);
    reference.push(...f.reference);
  }
  return { candidate, reference };
}
function informativeBytes(components) {
  let bytes = 0;
  for (const c of components) {
    for (const p of c.pairs) {
      if (!p.informative) continue;
      bytes += p.candidate.entry.end - p.candidate.entry.begin + (p.reference.entry.end - p.reference.entry.begin);
    }
    for (const f of c.factored ?? []) bytes += f.reference.end - f.reference.begin + operatorTensors(f.candidate).reduce((s, e2) => s + (e2.end - e2.begin), 0);
  }
  return bytes;
}

// src/engine/resolve-ambiguity.ts
function resolveAmbiguity(pairs, tensors) {
  const keep = pairs.map((p) => p.ambiguity === void 0);
  const groups = /* @__PURE__ */ new Map();
  pairs.forEach((p, i) => {
    if (p.ambiguity !== void 0) groups.set(p.ambiguity, [...groups.get(p.ambiguity) ?? [], i]);
  });
  for (const idx of groups.values()) {
    if (pairs[idx[0]].manyToOne) {
      keepBestPerCandidate(pairs, tensors, idx, keep);
      continue;
    }
    const cands = [...new Set(idx.map((i) => partKey(pairs[i].candidate)))];
    const refs = [...new Set(idx.map((i) => partKey(pairs[i].reference)))];
    const swap = cands.length > refs.length;
    const [rows, cols] = swap ? [refs, cands] : [cands, refs];
    const score = new Float64Array(rows.length * cols.length).fill(-1);
    const at = /* @__PURE__ */ new Map();
    for (const i of idx) {
      const c = partKey(pairs[i].candidate);
      const r = partKey(pairs[i].reference);
      const [a, b] = swap ? [refs.indexOf(r), cands.indexOf(c)] : [cands.indexOf(c), refs.indexOf(r)];
      score[a * cols.length + b] = Math.abs(tensors[i].pearson ?? 0);
      at.set(`${a}|${b}`, i);
    }
    maximizeAssignment(score, rows.length, cols.length).forEach((b, a) => {
      const i = at.get(`${a}|${b}`);
      if (i !== void 0) keep[i] = true;
    });
  }
  return keep;
}
function keepBestPerCandidate(pairs, tensors, idx, keep) {
  const best = /* @__PURE__ */ new Map();
  for (const i of idx) {
    const c = partKey(pairs[i].candidate);
    const j = best.get(c);
    if (j === void 0 || Math.abs(tensors[i].pearson ?? 0) > Math.abs(tensors[j].pearson ?? 0)) best.set(c, i);
  }
  for (const i of best.values()) keep[i] = true;
}

// src/engine/gather-component.ts
function gatherComponent(comp, tensors, search, layerMatrix2) {
  const priced = Object.freeze(tensors.map((t) => Object.freeze(withTensorP(t))));
  return Object.freeze({
    name: comp.name,
    candidateParameters: comp.candidateParameters,
    unmatchedTensors: comp.unmatched.length,
    unmatchedParameters: comp.unmatchedParameters,
    tensors: priced,
    combination: combinationOf(priced),
    search,
    layerMatrix: layerMatrix2
  });
}
function layerMatrix(pairs, samples) {
  const informative = new Set(pairs.filter((p) => p.informative).map((p) => p.role));
  const isNorm = (p) => /norm/.test(p.role) && p.colsSampled === 1;
  const pearson2 = pearsonOfMany();
  const m = layerMatrixOf(samples, (p) => informative.has(p.role), pearson2);
  if (!m) return null;
  const np = layerMatrixOf(samples, isNorm, pearson2);
  const nc = layerMatrixOf(samples, isNorm, rawCosine);
  const align = (x) => x && x.candidateLayers.join() === m.candidateLayers.join() ? x.values : null;
  return { candidateLayers: m.candidateLayers, referenceLayers: m.referenceLayers, pearson: m.values, normPearson: align(np), normCosine: align(nc) };
}

// src/stats/multiset.ts
function lnFactorial(k) {
  if (k < 2) return 0;
  if (k < 256) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}
function sortedValues(values) {
  return Float32Array.from(values).sort();
}
function sameSorted(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function distinctSorted(sorted) {
  let d = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) d++;
  return d;
}
function multisetLog10p(sorted) {
  const n2 = sorted.length;
  if (n2 === 0) return 0;
  let ln = lnFactorial(n2);
  let run = 1;
  const close = (c) => {
    ln += -lnFactorial(c) + c * Math.log(c / n2);
  };
  for (let i = 1; i < n2; i++) {
    if (sorted[i] === sorted[i - 1]) run++;
    else {
      close(run);
      run = 1;
    }
  }
  close(run);
  return Math.min(0, ln / Math.LN10);
}

// src/engine/value-fingerprint.ts
var MIN_REARRANGED_ELEMENTS = 4096;
var MIN_DISTINCT = 1024;
var MAX_ELEMENTS4 = 16 * 1024 * 1024;
var EXPLAINED_LOG10P = -12;
var MOMENT_TOLERANCE = 1e-6;
var SMOOTH_ROUGHNESS2 = 0.5;
var ValueMoments = class {
  candidate = /* @__PURE__ */ new Map();
  reference = /* @__PURE__ */ new Map();
  /** Record a pair read whole and exactly (both sides' moments come free with its statistics). */
  record(pair, stats, sampled) {
    if (sampled || stats.nonFinite > 0 || stats.n === 0) return;
    if (isWhole3(pair.candidate)) this.candidate.set(pair.candidate.entry.name, { n: stats.n, mean: stats.meanA, sd: stats.sdA });
    if (isWhole3(pair.reference)) this.reference.set(pair.reference.entry.name, { n: stats.n, mean: stats.meanB, sd: stats.sdB });
  }
};
var isWhole3 = (v) => v.rowStart === 0 && viewElements(v) === numel(v.entry.shape);
function agree(a, b) {
  const scale = Math.max(a.sd, b.sd, Number.MIN_VALUE);
  return a.n === b.n && Math.abs(a.mean - b.mean) <= MOMENT_TOLERANCE * scale && Math.abs(a.sd - b.sd) <= MOMENT_TOLERANCE * scale;
}
async function momentsOf2(known, source, entry, fraction) {
  const had = known.get(entry.name);
  if (had) return had;
  if (fraction < 1 || numel(entry.shape) > MAX_ELEMENTS4 || !DECODABLE.has(entry.dtype)) return null;
  const m = await loadMatrix(source, fullView(entry));
  const acc = new PairAccumulator();
  acc.add(m.data, m.data);
  const s = acc.result();
  if (s.nonFinite > 0) return null;
  const out = { n: s.n, mean: s.meanA, sd: s.sdA };
  known.set(entry.name, out);
  return out;
}
async function confirm(cEntry, rEntry, ctx) {
  const a = await loadMatrix(ctx.cand, fullView(cEntry));
  const b = await loadMatrix(ctx.ref, fullView(rEntry));
  const sa = sortedValues(a.data);
  const sb = sortedValues(b.data);
  if (!sameSorted(sa, sb)) return null;
  const distinct = distinctSorted(sb);
  if (distinct < MIN_DISTINCT) return null;
  if (recognise(b.data, [b.rows, b.cols], rEntry.name) || recognise(a.data, [a.rows, a.cols], cEntry.name)) return null;
  const smooth = Math.max(b.rows, b.cols) <= 16384 ? roughness(b.data, b.rows, b.cols) : null;
  return { reference: rEntry, log10p: multisetLog10p(sb), distinct, smooth: smooth !== null && smooth < SMOOTH_ROUGHNESS2 ? smooth : null };
}
async function findMatchOrNone(cEntry, ctx, moments, own) {
  try {
    return await findMatch(cEntry, ctx, moments, own);
  } catch (e2) {
    if (e2 instanceof FromScratchError && e2.kind === "format") return null;
    throw e2;
  }
}
async function findMatch(cEntry, ctx, moments, own) {
  const n2 = numel(cEntry.shape);
  const options = ctx.referenceTensors.filter((r) => numel(r.entry.shape) === n2 && DECODABLE.has(r.entry.dtype));
  if (options.length === 0) return null;
  const cm = await momentsOf2(moments.candidate, ctx.cand, cEntry, ctx.fraction);
  if (!cm) return null;
  const ordered = [...options].sort((x, y) => Number(y.entry.name === own) - Number(x.entry.name === own));
  for (const r of ordered) {
    const rm2 = await momentsOf2(moments.reference, ctx.ref, r.entry, ctx.fraction);
    if (!rm2 || !agree(cm, rm2)) continue;
    const m = await confirm(cEntry, r.entry, ctx);
    if (m) return { ...m, log10p: bonferroniLog10(m.log10p, options.length) };
  }
  return null;
}
function markCopy(t, m) {
  const copy2 = { ...t, reference: m.reference.name, informative: true, promoted: "rearranged-copy", transform: [...t.transform, "rearranged"], permutation: { units: m.distinct, features: 1, z: zFromLog10P(m.log10p), log10p: m.log10p, effect: 1 } };
  if (m.smooth === null) return copy2;
  return { ...copy2, structureOnly: `the same values in another order in a table smooth along its positions (roughness ${m.smooth.toFixed(2)}; trained weight matrices ~1): a learned or shared position table no formula explains, whose likeness the multiset cannot price` };
}
async function findRearrangedCopies(c, ctx) {
  const moments = c.moments ?? new ValueMoments();
  for (let i = 0; i < c.comp.pairs.length; i++) {
    const pair = c.comp.pairs[i];
    const t = c.tensors[i];
    if (t.error || t.identical || t.deterministic || t.promoted || !isWhole3(pair.candidate) || numel(pair.candidate.entry.shape) < MIN_REARRANGED_ELEMENTS) continue;
    if (t.permutation && t.permutation.log10p <= EXPLAINED_LOG10P) continue;
    const m = await findMatchOrNone(pair.candidate.entry, ctx, moments, pair.reference.entry.name);
    if (m) c.tensors[i] = markCopy(t, m);
  }
  const still = [];
  const added = [];
  for (const u of c.comp.unmatchedEntries) {
    const m = numel(u.entry.shape) >= MIN_REARRANGED_ELEMENTS && u.entry.shape.length >= 1 ? await findMatchOrNone(u.entry, ctx, moments) : null;
    if (!m) {
      still.push(u);
      continue;
    }
    const pair = { component: c.comp.name, layer: u.layer, role: u.role, candidate: fullView(u.entry), reference: fullView(m.reference), transform: ["rearranged"], informative: true };
    const unpaired = {
      candidate: u.entry.name,
      reference: m.reference.name,
      elements: numel(u.entry.shape),
      cosine: null,
      pearson: null,
      z: null,
      identical: false,
      transform: AS_STORED,
      layer: u.layer,
      role: u.role,
      informative: true,
      null: null,
      dtype: { candidate: u.entry.dtype, reference: m.reference.dtype }
    };
    added.push({ pair, tensor: markCopy(unpaired, m) });
  }
  if (added.length === 0) return c;
  const comp = {
    ...c.comp,
    pairs: [...c.comp.pairs, ...added.map((a) => a.pair)],
    unmatched: c.comp.unmatched.filter((name2) => !added.some((a) => a.tensor.candidate === name2)),
    unmatchedParameters: still.reduce((s, u) => s + numel(u.entry.shape), 0),
    unmatchedEntries: still
  };
  return { ...c, comp, tensors: [...c.tensors, ...added.map((a) => a.tensor)], samples: [...c.samples, ...added.map(() => null)] };
}

// src/engine/compare-component.ts
async function compareComponent(comp, ctx) {
  const { thresholds } = ctx.settings;
  ctx.cand.serving = ctx.ref.serving = false;
  let c = await comparePlanned(comp, ctx);
  ctx.cand.serving = ctx.ref.serving = true;
  const rules = unitRules(c.comp.pairs);
  const factored = await compareFactored(comp.factored, ctx.cand, ctx.ref, { onPair: ctx.onPair, layout: rules.layout });
  c = { ...c, comp: withLost(c.comp, factored.lost) };
  c.tensors = c.tensors.map((t, i) => directTest(t, c.samples[i] ?? null, internalUnits(c.comp.pairs[i], rules)));
  const looks = c.comp.pairs.map(() => 1);
  c = await layoutLook(c, ctx, looks);
  c = await transposedLook(c, ctx);
  c.tensors = smallIdenticalTests(c, looks);
  c.tensors = payForExpertMatching(c.comp.pairs, c.tensors, (pair) => internalUnits(pair, rules));
  c.tensors = c.tensors.map((t, i) => floorIfResidualOnly(t, c.comp.pairs[i].role));
  c = dropAmbiguous(c);
  c = await findRearrangedCopies(c, { cand: ctx.cand, ref: ctx.ref, fraction: ctx.fraction, referenceTensors: ctx.referenceTensors });
  c.tensors = await recogniseConstructions(c, ctx);
  c.tensors = describeNulls(c);
  const direct = gatherComponent(c.comp, [...c.tensors, ...factored.tensors], null, layerMatrix(c.comp.pairs, c.samples));
  const paired = c.tensors.length;
  c.samples.fill(null);
  const evidence = await searchWhereUnexplained({ ...c, tensors: direct.tensors.slice(0, paired) }, direct, ctx, direct.tensors.slice(paired));
  return renderComponent(evidence, decideComponent(evidence, ctx.family, thresholds));
}
async function comparePlanned(comp, ctx) {
  const results = new Array(comp.pairs.length);
  const cap = expertSampleCap(comp.pairs);
  const rules = cap < Infinity ? unitRules(comp.pairs) : null;
  const moments = new ValueMoments();
  for (const index of readOrder(comp.pairs)) {
    const pair = comp.pairs[index];
    const planned = await comparePlannedPair(pair, ctx);
    const { sample, stats } = planned;
    const base2 = rules && sample && isExpertPair(pair) ? directTest(planned.base, sample, internalUnits(pair, rules)) : planned.base;
    results[index] = { base: base2, sample: rules && sample && isExpertPair(pair) ? shrinkSample(sample, cap) : sample };
    if (stats) moments.record(pair, stats, base2.sampled !== void 0);
    ctx.onPair();
  }
  return { comp, tensors: results.map((r) => r.base), samples: results.map((r) => r.sample), moments };
}
async function comparePlannedPair(pair, ctx) {
  const base2 = pairEvidence(pair);
  try {
    const { stats, sample, sampling: sampling2 } = await comparePair(pair, ctx.cand, ctx.ref, { fraction: pair.informative ? ctx.fraction : 1, depth: ctx.settings.reads.blocksInFlight });
    const measured = {
      ...base2,
      ...sampling2 ? { sampled: sampling2 } : {},
      cosine: stats.cosine,
      pearson: stats.pearson,
      identical: stats.identical,
      ...stats.nonFinite > 0 ? { error: `${stats.nonFinite} non-finite values (NaN/Inf)` } : {}
    };
    return { base: measured, sample: stats.pearson === null ? null : sample, stats };
  } catch (e2) {
    if (!(e2 instanceof FromScratchError && e2.kind === "format")) throw e2;
    return { base: { ...base2, error: e2.message }, sample: null };
  }
}
function pairEvidence(pair) {
  return {
    candidate: pair.candidate.entry.name,
    reference: pair.reference.entry.name,
    elements: viewElements(pair.candidate),
    cosine: null,
    pearson: null,
    z: null,
    identical: false,
    transform: pair.transform,
    layer: pair.layer,
    role: pair.role,
    informative: pair.informative,
    null: null,
    dtype: { candidate: pair.candidate.entry.dtype, reference: pair.reference.entry.dtype }
  };
}
var OVERWHELMING_LOG10P = -12;
var STORED_WEIGHT = 0.9;
async function transposedLook(c, ctx) {
  let comp = c.comp;
  const tensors = [...c.tensors];
  const samples = [...c.samples];
  for (let i = 0; i < comp.pairs.length; i++) {
    const pair = comp.pairs[i];
    const t = tensors[i];
    const v = pair.candidate;
    if (!pair.informative || t.error || t.pearson === null || !t.permutation) continue;
    if (v.axes || pair.alternatives || pair.transform.some(isLayout) || v.rows !== v.cols || v.rowStart !== 0 || v.storedRows !== v.storedCols) continue;
    const direct = t.permutation;
    const stored = { ...t, permutation: { ...direct, log10p: weightedLog10(direct.log10p, STORED_WEIGHT) } };
    if (direct.log10p <= OVERWHELMING_LOG10P) {
      tensors[i] = stored;
      continue;
    }
    const flipped = { ...pair, candidate: { ...v, transpose: !v.transpose }, transform: [...pair.transform, "transpose"] };
    const looked = await transposedSample(flipped.candidate, samples[i], ctx.cand);
    if (!looked) {
      tensors[i] = stored;
      continue;
    }
    const { stats, sample } = looked;
    const test = stats.pearson !== null ? tensorIndependence(sample) : null;
    if (test && weightedLog10(test.log10p, 1 - STORED_WEIGHT) < weightedLog10(direct.log10p, STORED_WEIGHT)) {
      comp = { ...comp, pairs: comp.pairs.map((p, j) => j === i ? flipped : p) };
      const permutation = { ...asReported(test), log10p: weightedLog10(test.log10p, 1 - STORED_WEIGHT) };
      tensors[i] = { ...t, cosine: stats.cosine, pearson: stats.pearson, identical: stats.identical, transform: flipped.transform, permutation };
      samples[i] = sample;
    } else {
      tensors[i] = stored;
    }
  }
  return { ...c, comp, tensors, samples };
}
async function transposedSample(view, sample, cand) {
  if (!sample?.grid) return null;
  const { rows, cols } = sample.grid;
  const stored = await readRowSet(cand, { ...view, transpose: !view.transpose, rows: view.cols, cols: view.rows }, cols, { columns: rows });
  const a = new Float32Array(rows.length * cols.length);
  for (let q = 0; q < rows.length; q++) for (let k = 0; k < cols.length; k++) a[q * cols.length + k] = stored.data[k * rows.length + q];
  const acc = new PairAccumulator();
  acc.add(a, sample.b);
  return { stats: acc.result(), sample: { ...sample, a } };
}
async function layoutLook(c, ctx, looks) {
  let comp = c.comp;
  const tensors = [...c.tensors];
  const samples = [...c.samples];
  const rules = unitRules(comp.pairs);
  for (let i = 0; i < comp.pairs.length; i++) {
    const pair = comp.pairs[i];
    const t = tensors[i];
    if (!pair.alternatives?.length || t.error) continue;
    const k = 1 + pair.alternatives.length;
    looks[i] = k;
    const score = (l) => l.test ? l.test.log10p : -Math.abs(l.stats.pearson ?? 0);
    let best = { pair, stats: { cosine: t.cosine, pearson: t.pearson, identical: t.identical }, sample: samples[i] ?? null, test: null };
    const direct = t.permutation;
    const { alternatives, ...single } = pair;
    if (!(direct && direct.log10p <= OVERWHELMING_LOG10P)) {
      for (const alt of alternatives) {
        const other = { ...single, candidate: alt.candidate, reference: alt.reference ?? pair.reference, transform: alt.transform };
        let out;
        try {
          out = await comparePair(other, ctx.cand, ctx.ref);
        } catch (e2) {
          if (!(e2 instanceof FromScratchError && e2.kind === "format")) throw e2;
          continue;
        }
        const sample = out.stats.pearson === null ? null : out.sample;
        const test = pair.informative && sample ? tensorIndependence(sample, internalUnits(other, rules)) : null;
        const look = { pair: other, stats: out.stats, sample, test };
        const bestScore = best.test ? best.test.log10p : direct ? direct.log10p : -Math.abs(best.stats.pearson ?? 0);
        if (score(look) < bestScore) best = look;
      }
    }
    const { alternatives: _tried, ...kept } = best.pair;
    comp = { ...comp, pairs: comp.pairs.map((p, j) => j === i ? kept : p) };
    let looked = t;
    if (best.pair !== pair) {
      looked = { ...t, reference: best.pair.reference.entry.name, cosine: best.stats.cosine, pearson: best.stats.pearson, identical: best.stats.identical, transform: best.pair.transform };
      samples[i] = best.sample;
      if (best.test) looked = { ...looked, permutation: asReported(best.test) };
    }
    if (looked.permutation) looked = { ...looked, permutation: { ...looked.permutation, log10p: bonferroniLog10(looked.permutation.log10p, k) } };
    tensors[i] = looked;
  }
  return { ...c, comp, tensors, samples };
}
var SMALL_COPY_ELEMENTS = 4096;
var SMALL_MIN_UNITS = 8;
var CONVERTED_COPY = 1e-4;
function smallIdenticalTests(c, looks) {
  const widths2 = hiddenWidths2(c.comp.pairs);
  return c.tensors.map((t, i) => {
    const pair = c.comp.pairs[i];
    const s = c.samples[i];
    if (t.error || t.pearson === null || !s || t.sampled) return t;
    if (t.informative && t.elements >= SMALL_COPY_ELEMENTS) return t;
    const kind = t.identical && t.dtype.candidate === t.dtype.reference ? "byte-identical" : t.dtype.candidate !== t.dtype.reference && relativeSquaredDifference(s.a, s.b) <= CONVERTED_COPY ? "converted-copy" : null;
    if (!kind) return t;
    if (t.informative) return { ...t, promoted: kind };
    const v = pair.candidate;
    let test = null;
    if (v.entry.shape.length >= 2 && v.rows >= 2 && v.cols >= 2) {
      const m = tensorIndependence(s);
      const picked = m ? m.axis === "rows" ? m.rows : m.cols : null;
      if (m && picked && picked.units >= 3 && Math.max(v.rows, v.cols) >= SMALL_MIN_UNITS) test = asReported(m);
    } else if (v.entry.shape.length === 1 && v.rows >= SMALL_MIN_UNITS && widths2.has(v.rows)) {
      const m = vectorPermutationTest(s.a, s.b);
      if (m) test = { ...m, axis: "rows" };
    }
    if (!test) return t;
    return { ...t, permutation: { ...test, log10p: bonferroniLog10(test.log10p, looks[i] ?? 1) }, informative: true, promoted: kind };
  });
}
function dropAmbiguous(c) {
  const keep = resolveAmbiguity(c.comp.pairs, c.tensors);
  if (!keep.some((k) => !k)) return c;
  const options = /* @__PURE__ */ new Map();
  const key = (p) => `${p.ambiguity}|${partKey(p.candidate)}`;
  for (const p of c.comp.pairs) if (p.ambiguity !== void 0) options.set(key(p), (options.get(key(p)) ?? 0) + 1);
  const paid = c.tensors.map((t, i) => {
    const p = c.comp.pairs[i];
    if (!keep[i] || p.ambiguity === void 0 || !t.permutation) return t;
    return { ...t, permutation: { ...t.permutation, log10p: bonferroniLog10(t.permutation.log10p, options.get(key(p)) ?? 1) } };
  });
  const kept = (xs) => xs.filter((_, i) => keep[i]);
  const pairs = kept(c.comp.pairs);
  const still = new Set(pairs.map((p) => partKey(p.candidate)));
  const lost = /* @__PURE__ */ new Map();
  c.comp.pairs.forEach((p, i) => {
    if (!keep[i] && !still.has(partKey(p.candidate))) lost.set(partKey(p.candidate), p);
  });
  const lostEntries = [...lost.values()].map((p) => ({ entry: p.candidate.entry, kind: componentKind(c.comp.name), layer: p.layer, role: parseName(p.candidate.entry.name).role }));
  const comp = {
    ...c.comp,
    pairs,
    unmatched: [...c.comp.unmatched, ...lostEntries.map((l) => l.entry.name)],
    unmatchedParameters: c.comp.unmatchedParameters + lostEntries.reduce((s, l) => s + numel(l.entry.shape), 0),
    unmatchedEntries: [...c.comp.unmatchedEntries, ...lostEntries]
  };
  return { ...c, comp, tensors: kept(paid), samples: kept(c.samples) };
}
function directTest(t, s, units) {
  if (!t.informative || t.pearson === null || !s || t.permutation) return t;
  const test = tensorIndependence(s, units);
  return test ? { ...t, permutation: asReported(test) } : t;
}
function asReported(test) {
  const picked = test.axis === "rows" ? test.rows : test.cols;
  return { units: picked.units, features: picked.features, z: test.z, log10p: test.log10p, effect: test.effect, axis: test.axis };
}
function describeNulls(c) {
  const nulls = nullsFor(c.samples);
  return c.tensors.map((t, i) => {
    const nul = nulls[i];
    if (t.pearson === null || !nul || nul.n === 0) return t;
    return { ...t, null: { mean: nul.mean, sd: nul.sd, n: nul.n } };
  });
}
var searchStopped = (note) => ({ ran: false, status: "stopped", note, residualMatchQuality: null, referenceDuplicateLayers: [] });
async function searchWhereUnexplained(c, direct, ctx, factored) {
  const { comp, tensors } = c;
  const explained = standingOut(direct.tensors, ctx.family, ctx.settings.thresholds).slice(0, tensors.length);
  const unexplained = tensors.some((t, i) => t.informative && !t.promoted && !t.error && t.pearson !== null && !explained[i] && !t.deterministic);
  const unmatchedMatrices = comp.unmatchedEntries.some((u) => u.entry.shape.length >= 2);
  if (!(unexplained || unmatchedMatrices && tensors.some((t) => t.informative && !t.error && t.pearson !== null))) return direct;
  let outcome;
  try {
    ctx.onSearch?.(`alignment search in ${comp.name}: looking for permuted, rotated or re-layered copies`);
    outcome = await searchComponent({ comp, tensors, explained, referenceTensors: ctx.referenceTensors, cand: ctx.cand, ref: ctx.ref, fraction: ctx.fraction, progress: ctx.onSearch });
  } catch (e2) {
    if (!(e2 instanceof FromScratchError && e2.kind === "format")) throw e2;
    return { ...direct, search: searchStopped(e2.message) };
  }
  const searched = payForExpertMatchingInSearch(comp.pairs, outcome.tensors);
  const addedNames = new Set(outcome.added.map((t) => t.candidate));
  const unmatched = comp.unmatchedEntries.filter((u) => !addedNames.has(u.entry.name));
  const rest = { unmatched: unmatched.map((u) => u.entry.name), unmatchedParameters: unmatched.reduce((s, u) => s + numel(u.entry.shape), 0) };
  return gatherComponent({ ...comp, ...rest }, [...searched, ...factored, ...outcome.added], outcome.summary, direct.layerMatrix);
}

// src/engine/identify-files.ts
async function identifyFiles({ source, listing, who, logger, now }) {
  const ids = (listing.fileIds ?? []).map((f) => ({ ...f }));
  const missing = ids.filter((f) => f.sha256 === null);
  if (missing.length === 0 || !source.hashFile) return ids;
  const total = missing.reduce((s, f) => s + f.size, 0);
  const t0 = now();
  let before = 0;
  for (const f of missing) {
    const { sha256: sha2562, size } = await source.hashFile(f.path, (bytes) => logger.progress?.(`${who}: sha256 of its files, ${((before + bytes) / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB`));
    if (size !== f.size) throw new FormatError(`${listing.source} (${f.path})`, `changed while it was being checked: listed with ${f.size} bytes, ${size} bytes when hashed`);
    f.sha256 = sha2562;
    f.sha256From = "computed";
    before += size;
  }
  const secs2 = (now() - t0) / 1e3;
  logger.info(`${who}: sha256 of ${missing.length} file${missing.length === 1 ? "" : "s"} (${(total / 1e6).toFixed(1)} MB) in ${secs2.toFixed(1)} s, for the report`);
  return ids;
}

// src/engine/run-check.ts
async function runCheck(settings, deps) {
  const t0 = deps.now();
  const report = emptyReport(settings);
  const cand = openCandidate(settings, deps);
  const opened = [cand];
  let candListing;
  let candFiles;
  try {
    ({ listing: candListing, files: candFiles } = await listCandidate(cand, report, deps));
  } catch (e2) {
    return await finish({ report, error: asTyped(e2) }, { opened, settings, deps, t0 });
  }
  const run = { settings, deps, report, opened, cand, candListing };
  let error = null;
  for (const refSource of settings.references) {
    const refResult = emptyReferenceResult(refSource, settings);
    report.references.push(refResult);
    try {
      await checkReference(run, refResult);
    } catch (e2) {
      const err = asTyped(e2);
      refResult.verdict = "inconclusive";
      refResult.reason = `could not complete: ${err.message}`;
      refResult.error = { kind: err.kind, code: err.code, message: err.message };
      error ??= err;
      if (err.kind === "internal") break;
    }
  }
  try {
    report.candidate.files = await candFiles;
  } catch (e2) {
    error ??= asTyped(e2);
  }
  return await finish({ report, error }, { opened, settings, deps, t0 });
}
function openCandidate(settings, deps) {
  const raw = deps.openSource(settings.candidate);
  if (settings.references.length < 2 || !isRevisioned(raw)) return raw;
  return new SpanCacheSource(raw, { scratchDir: deps.scratchDir ?? null, ...deps.spanCache });
}
var asTyped = (e2) => e2 instanceof FromScratchError ? e2 : new InternalError(e2);
function emptyReport(settings) {
  return {
    schemaVersion: 2,
    tool: { name: "fromscratch", version: VERSION },
    candidate: { source: settings.candidate, revision: null, parameters: 0, components: [] },
    verdict: "inconclusive",
    thresholds: settings.thresholds,
    failOn: settings.failOn,
    gate: { failed: false, rule: "" },
    references: [],
    bytesRead: 0,
    seconds: 0
  };
}
function emptyReferenceResult(source, settings) {
  return {
    source,
    revision: null,
    license: null,
    verdict: "inconclusive",
    reason: "",
    components: [],
    referenceUnmatchedTensors: 0,
    sampling: { fraction: 1, mode: "exact", chosen: settings.sample === null ? "auto" : "--sample" }
  };
}
async function listCandidate(cand, report, { logger, now }) {
  logger.info(`candidate ${report.candidate.source}: reading headers`);
  const listing = await cand.list();
  report.candidate.revision = listing.revision;
  const files = identifyFiles({ source: cand, listing, who: `candidate ${report.candidate.source}`, logger, now });
  files.catch(() => void 0);
  report.candidate.parameters = listing.tensors.reduce((s, t) => s + numel(t.shape), 0);
  logger.info(
    `candidate: ${listing.tensors.length} tensors, ${report.candidate.parameters.toLocaleString("en-US")} parameters${listing.revision ? ` @ ${listing.revision}` : ""}`
  );
  return { listing, files };
}
async function finish({ report, error }, { opened, settings, deps, t0 }) {
  const spans = opened[0] instanceof SpanCacheSource ? { ...opened[0].stats } : null;
  for (const src of opened) await src.close?.();
  if (spans && spans.hits > 0) {
    deps.logger.info(`candidate span cache: ${spans.hits} reads (${(spans.bytesFromCache / 1e6).toFixed(1)} MB) served from bytes fetched once (${(spans.memoryBytes / 1e6).toFixed(1)} MB in memory, ${(spans.diskBytes / 1e6).toFixed(1)} MB spilled to a scratch file, removed)`);
  }
  if (error) report.error = { kind: error.kind, code: error.code, message: error.message, exitCode: exitCodeFor(error) };
  report.verdict = runVerdict(report.references, report.error ?? null);
  report.gate = gateOf(report.verdict, settings.failOn, report.error ?? null);
  report.bytesRead = opened.reduce((s, x) => s + x.bytesRead, 0);
  report.seconds = (deps.now() - t0) / 1e3;
  return { report, error };
}
async function checkReference(run, refResult) {
  const { settings, deps, report } = run;
  const { logger } = deps;
  const refSource = refResult.source;
  const { source: ref, cache } = openReference(deps, refSource);
  run.opened.push(ref);
  logger.info(`reference ${refSource}: reading headers`);
  const refListing = await ref.list();
  refResult.revision = refListing.revision;
  refResult.license = refListing.license;
  const refFiles = identifyFiles({ source: ref, listing: refListing, who: `reference ${refSource}`, logger, now: deps.now });
  refFiles.catch(() => void 0);
  const alignment = alignModels(run.candListing.tensors, refListing.tensors, settings.components);
  refResult.referenceUnmatchedTensors = alignment.referenceUnmatched;
  if (report.candidate.components.length === 0) {
    report.candidate.components = alignment.components.map((c) => ({ name: c.name, parameters: c.candidateParameters }));
  }
  report.family ??= familyOf2(settings.references.length, report.candidate.components.length);
  const family = report.family.size;
  const fraction = samplingFraction(informativeBytes(alignment.components), settings.sample);
  refResult.sampling = { fraction, mode: fraction < 1 ? "sampled" : "exact", chosen: settings.sample === null ? "auto" : "--sample" };
  if (fraction < 1) logger.info(`reference ${refSource}: sampled mode, reading ~${(100 * fraction).toFixed(1)}% of each large matrix's rows`);
  if (cache) cache.storeRanges = fraction < 1;
  await matchExperts(alignment.components, { cand: run.cand, ref, fraction, readAheadSpans: settings.reads.readAheadSpans, onProgress: (m) => logger.progress?.(`${refSource}: ${m}`) });
  const onPair = progressCounter(run, ref, refSource, alignment.components.reduce((s, c) => s + c.pairs.length + (c.factored?.length ?? 0), 0));
  const plan = readPlan(alignment.components, fraction);
  run.cand.expect?.(plan.candidate, settings.reads.readAheadSpans);
  ref.expect?.(plan.reference, settings.reads.readAheadSpans);
  const searchRanges = fraction >= 1 && (cache !== null || isRevisioned(ref)) ? alignment.components.filter((c) => streamsSearch(c, fraction)).flatMap(streamSearchReferenceRanges) : [];
  const tapped = searchRanges.length ? new SpanCacheSource(ref, { scratchDir: deps.scratchDir ?? null, keepOnly: searchRanges, memoryBytes: 16 << 20 }) : null;
  const cand = new MemoSource(run.cand);
  const refMemo = new MemoSource(tapped ?? ref);
  const onSearch = (m) => logger.progress?.(`${refSource}: ${m}`);
  try {
    for (const comp of alignment.components) {
      refResult.components.push(await compareComponent(comp, { cand, ref: refMemo, settings, fraction, referenceTensors: alignment.referenceTensors, onPair, onSearch, family }));
    }
  } finally {
    cand.clear();
    refMemo.clear();
    await tapped?.forget();
  }
  refResult.files = await refFiles;
  refResult.components = applyComparability(refResult.components);
  const decided = referenceVerdict(refResult.components);
  refResult.verdict = decided.verdict;
  refResult.reason = decided.reason;
  if (cache) await saveCache(cache, refResult, deps);
  logger.info(`reference ${refSource}: ${refResult.verdict} (${refResult.reason})`);
}
function openReference(deps, source) {
  return deps.openReference ? deps.openReference(source) : { source: deps.openSource(source), cache: null };
}
function progressCounter(run, ref, refSource, total) {
  const { deps, cand } = run;
  let done = 0;
  const started = deps.now();
  const bytes0 = cand.bytesRead + ref.bytesRead;
  return () => {
    done++;
    const mb = (cand.bytesRead + ref.bytesRead - bytes0) / 1e6;
    const secs2 = Math.max(1e-3, (deps.now() - started) / 1e3);
    deps.logger.progress?.(`${refSource}: ${done}/${total} tensor pairs, ${mb.toFixed(1)} MB read, ${(mb / secs2).toFixed(1)} MB/s`);
  };
}
async function saveCache(cache, refResult, { logger }) {
  await cache.persist();
  refResult.cache = { ...cache.stats };
  const s = cache.stats;
  logger.info(
    `cache: ${refResult.source}: headers ${s.listing}, ${s.rangesHit} ranges (${(s.bytesFromCache / 1e6).toFixed(1)} MB) from the cache, ${s.rangesStored} stored`
  );
}

// src/engine/open-reference.ts
function referenceOpener(openSource, options) {
  return (source) => {
    const raw = openSource(source);
    if (!options.cacheDir || !isRevisioned(raw)) return { source: raw, cache: null };
    const cached2 = new CachedSource(raw, options.cacheDir, options.logger, options.cacheStore ?? null);
    return { source: cached2, cache: cached2 };
  };
}

// src/examples/generate.ts
import { mkdir as mkdir2, writeFile as writeFile2 } from "node:fs/promises";
import path3 from "node:path";

// src/safetensors/writer.ts
function serializeSafetensors(tensors, metadata) {
  const header = /* @__PURE__ */ Object.create(null);
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = JSON.stringify(header);
  const pad2 = (8 - (8 + Buffer.byteLength(json)) % 8) % 8;
  json += " ".repeat(pad2);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(t.data, p);
    p += t.data.length;
  }
  return out;
}

// src/examples/generate.ts
function gaussian(seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = s + 1831565813 >>> 0;
    let t = s;
    t = Math.imul(t ^ t >>> 15, t | 1);
    t ^= t + Math.imul(t ^ t >>> 7, t | 61);
    return ((t ^ t >>> 14) >>> 0) / 4294967296;
  };
  let spare = null;
  return () => {
    if (spare !== null) {
      const v2 = spare;
      spare = null;
      return v2;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}
var EXAMPLE_SHAPE = { hidden: 96, intermediate: 256, layers: 4, vocab: 512 };
function llamaModel(shape, seed) {
  const g = gaussian(seed);
  const out = /* @__PURE__ */ new Map();
  const mat = (rows, cols, scale = 1 / Math.sqrt(cols)) => {
    const d = new Float32Array(rows * cols);
    for (let i = 0; i < d.length; i++) d[i] = g() * scale;
    return { shape: [rows, cols], data: d };
  };
  const norm = (n2) => {
    const d = new Float32Array(n2);
    for (let i = 0; i < n2; i++) d[i] = 1 + 0.05 * g();
    return { shape: [n2], data: d };
  };
  const { hidden: h, intermediate: f, layers, vocab } = shape;
  out.set("model.embed_tokens.weight", mat(vocab, h, 1));
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}.`;
    for (const n2 of ["q", "k", "v", "o"]) out.set(`${p}self_attn.${n2}_proj.weight`, mat(h, h));
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
function drifted(model, seed, drift) {
  const g = gaussian(seed);
  const out = /* @__PURE__ */ new Map();
  for (const [name2, t] of model) {
    let m = 0;
    for (const v of t.data) m += v;
    m /= t.data.length;
    let sd = 0;
    for (const v of t.data) sd += (v - m) ** 2;
    sd = Math.sqrt(sd / t.data.length) || 1e-3;
    const d = new Float32Array(t.data.length);
    for (let i = 0; i < d.length; i++) d[i] = t.data[i] + drift * sd * g();
    out.set(name2, { shape: t.shape, data: d });
  }
  return out;
}
function toSafetensors(model, dtype = "BF16") {
  const tensors = [...model].map(([name2, t]) => ({ name: name2, dtype, shape: t.shape, data: encodeFloats(dtype, t.data) }));
  return serializeSafetensors(tensors, { format: "pt" });
}
function llamaConfig(shape) {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.hidden / 32,
    vocab_size: shape.vocab,
    torch_dtype: "bfloat16"
  };
}
async function writeModel(dir, model, config) {
  await mkdir2(dir, { recursive: true });
  await writeFile2(path3.join(dir, "model.safetensors"), toSafetensors(model));
  await writeFile2(path3.join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
}
async function writeExamples(dir) {
  const base2 = llamaModel(EXAMPLE_SHAPE, 1);
  const config = llamaConfig(EXAMPLE_SHAPE);
  await writeModel(path3.join(dir, "base"), base2, config);
  await writeModel(path3.join(dir, "finetune"), drifted(base2, 2, 0.3), config);
  await writeModel(path3.join(dir, "independent"), llamaModel(EXAMPLE_SHAPE, 3), config);
  return ["base", "finetune", "independent"].map((n2) => path3.join(dir, n2));
}

// src/fanout/merge.ts
import { readdir, readFile as readFile2, stat as stat2 } from "node:fs/promises";
import path4 from "node:path";

// src/fanout/plan.ts
import { createHash as createHash2 } from "node:crypto";

// src/sources/read-ahead.ts
var SPAN_MAX_BYTES = 4 << 20;
var SPAN_MAX_GAP_BYTES = 64 << 10;
var SPAN_MAX_WASTE = 0.01;
var ReadAhead = class {
  constructor(fetchInto, budget) {
    this.fetchInto = fetchInto;
    this.budget = budget;
  }
  spans = [];
  /** file\0begin\0end -> indices of spans holding that planned range, in plan order. */
  index = /* @__PURE__ */ new Map();
  nextStart = 0;
  heldBytes = 0;
  stats = { spans: 0, spanRequests: 0, planned: 0, served: 0, gapBytes: 0 };
  /** Replace the plan with `ranges`, in the order they will be read, and start fetching ahead. */
  plan(ranges) {
    this.reset();
    let cur = null;
    for (const r of ranges) {
      if (r.end <= r.begin) continue;
      const gap = cur ? r.begin - cur.end : -1;
      if (cur !== null && joinsSpan(cur, r)) {
        this.stats.gapBytes += gap;
        cur.end = r.end;
        cur.useful += r.end - r.begin;
        cur.unserved++;
      } else {
        cur = { file: r.file, begin: r.begin, end: r.end, useful: r.end - r.begin, unserved: 1, state: "idle", bytes: null, got: 0, error: null, waiters: [], ctl: null };
        this.spans.push(cur);
      }
      const key = keyOf3(r.file, r.begin, r.end);
      const at = this.index.get(key);
      if (at) at.push(this.spans.length - 1);
      else this.index.set(key, [this.spans.length - 1]);
    }
    this.stats.spans = this.spans.length;
    this.stats.planned = ranges.length;
    this.pump();
  }
  /** The bytes of a planned range (as they arrive), or null when the range is not (or no longer) planned. */
  take(file, begin, end) {
    const queue = this.index.get(keyOf3(file, begin, end));
    let i;
    while (queue && queue.length > 0) {
      i = queue.shift();
      if (this.spans[i].state !== "released") break;
      i = void 0;
    }
    if (i === void 0) return null;
    for (let j = 0; j < i; j++) {
      const s = this.spans[j];
      if (s.state !== "released" && s.waiters.length === 0) this.release(s);
    }
    const span = this.spans[i];
    span.unserved--;
    this.stats.served++;
    if (span.state === "idle") this.start(span);
    const offset = begin - span.begin;
    const length = end - begin;
    const p = new Promise((resolve2, reject) => {
      span.waiters.push({ need: offset + length, offset, length, resolve: resolve2, reject });
    });
    this.settle(span);
    this.pump();
    return p;
  }
  /** Drop the plan: abort spans in flight, release buffers. */
  reset() {
    for (const s of this.spans) {
      if (s.state === "active") s.ctl?.abort();
      for (const w of s.waiters) w.reject(new Error("internal: read-ahead plan replaced while a read was waiting"));
      s.waiters = [];
      s.state = "released";
      s.bytes = null;
    }
    this.spans = [];
    this.index.clear();
    this.nextStart = 0;
    this.heldBytes = 0;
  }
  /** Start spans in plan order while the budget allows (always at least one held). */
  pump() {
    while (this.nextStart < this.spans.length) {
      const s = this.spans[this.nextStart];
      if (s.state !== "idle") {
        this.nextStart++;
        continue;
      }
      const size = s.end - s.begin;
      if (this.heldBytes > 0 && this.heldBytes + size > this.budget) return;
      this.start(s);
      this.nextStart++;
    }
  }
  start(s) {
    s.state = "active";
    s.bytes = new Uint8Array(s.end - s.begin);
    s.ctl = new AbortController();
    this.heldBytes += s.end - s.begin;
    this.stats.spanRequests++;
    const ctl = s.ctl;
    const onProgress = (got) => {
      if (s.state !== "active") return;
      s.got = got;
      this.settle(s);
    };
    this.fetchInto({ file: s.file, begin: s.begin, end: s.end }, s.bytes, { onProgress, signal: ctl.signal }).then(
      () => {
        if (s.state !== "active") return;
        s.got = s.end - s.begin;
        s.state = "done";
        this.settle(s);
      },
      (e2) => {
        if (s.state !== "active") return;
        s.state = "failed";
        s.error = e2;
        this.settle(s);
      }
    );
  }
  /** Hand out what has arrived; release the span once every planned read of it is served. */
  settle(s) {
    if (s.state === "failed") {
      for (const w of s.waiters) w.reject(s.error);
      s.waiters = [];
    } else if (s.bytes) {
      const bytes = s.bytes;
      s.waiters = s.waiters.filter((w) => {
        if (w.need > s.got) return true;
        w.resolve(bytes.subarray(w.offset, w.offset + w.length));
        return false;
      });
    }
    if (s.unserved === 0 && s.waiters.length === 0 && (s.state === "done" || s.state === "failed")) this.release(s);
  }
  release(s) {
    if (s.state === "active" && s.got < s.end - s.begin) s.ctl?.abort();
    if (s.state === "active" || s.state === "done" || s.state === "failed") this.heldBytes -= s.end - s.begin;
    s.state = "released";
    s.bytes = null;
    s.waiters = [];
    this.pump();
  }
};
function joinsSpan(cur, r) {
  const gap = r.begin - cur.end;
  return cur.file === r.file && gap >= 0 && gap <= SPAN_MAX_GAP_BYTES && r.end - cur.begin <= SPAN_MAX_BYTES && cur.end - cur.begin - cur.useful + gap <= SPAN_MAX_WASTE * (r.end - cur.begin);
}
function coalesceRanges(ranges) {
  let cur = null;
  let spans = 0;
  let bytes = 0;
  for (const r of ranges) {
    if (r.end <= r.begin) continue;
    if (cur !== null && joinsSpan(cur, r)) {
      bytes += r.end - cur.end;
      cur.end = r.end;
      cur.useful += r.end - r.begin;
    } else {
      cur = { file: r.file, begin: r.begin, end: r.end, useful: r.end - r.begin };
      spans++;
      bytes += r.end - r.begin;
    }
  }
  return { spans, bytes };
}
function keyOf3(file, begin, end) {
  return `${file}\0${begin}\0${end}`;
}

// src/fanout/plan.ts
function planFingerprint(p) {
  const canonical = JSON.stringify(["fromscratch-plan/1", p.candidate, p.revision, p.references, p.count, p.version]);
  return createHash2("sha256").update(canonical).digest("hex");
}
function balance(weights, count2) {
  const order = weights.map((w, i) => [w, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const loads = new Array(count2).fill(0);
  const shards = Array.from({ length: count2 }, () => []);
  for (const [w, i] of order) {
    let best = 0;
    for (let k = 1; k < count2; k++) if (loads[k] < loads[best]) best = k;
    loads[best] += w;
    shards[best].push(i);
  }
  return shards.map((s) => s.sort((a, b) => a - b));
}
function sideCost(ranges, remote) {
  if (remote) {
    const c = coalesceRanges(ranges);
    return { bytes: c.bytes, requests: c.spans };
  }
  return { bytes: ranges.reduce((s, r) => s + r.end - r.begin, 0), requests: 0 };
}
function estimateReads(candidate, reference, settings, remote) {
  const alignment = alignModels(candidate.tensors, reference.tensors, settings.components);
  const fraction = samplingFraction(informativeBytes(alignment.components), settings.sample);
  const plan = readPlan(alignment.components, fraction);
  const c = sideCost(plan.candidate, remote.candidate);
  const r = sideCost(plan.reference, remote.reference);
  const referenceBytes = r.bytes + reference.headerBytes;
  const search = { candidateBytes: 0, referenceBytes: 0 };
  for (const comp of alignment.components) {
    if (!streamsSearch(comp, fraction)) continue;
    const b = streamSearchBytes(comp);
    search.candidateBytes += 2 * b.candidate;
    search.referenceBytes += b.reference;
  }
  return {
    search,
    candidateBytes: c.bytes,
    referenceBytes,
    requests: c.requests + r.requests,
    remoteBytes: (remote.candidate ? c.bytes : 0) + (remote.reference ? referenceBytes : 0),
    fraction,
    candidateRanges: plan.candidate
  };
}
function transferSeconds(bytes, requests, link, concurrency) {
  const meanSpan = requests > 0 ? bytes / requests : SPAN_MAX_BYTES;
  const inFlight = Math.max(1, Math.floor(Math.max(1, concurrency) * (SPAN_MAX_BYTES / 2) / Math.max(1, meanSpan)));
  return bytes / (link.mbPerSecond * 1e6) + requests * link.latencyMs / 1e3 / inFlight;
}
async function makePlan(settings, shards, deps) {
  const { logger } = deps;
  if (new Set(settings.references).size !== settings.references.length) {
    const dup = settings.references.find((r, i) => settings.references.indexOf(r) !== i);
    throw new UsageError(`reference ${JSON.stringify(dup)} is given twice; a plan needs each reference once`);
  }
  const count2 = Math.min(shards, settings.references.length);
  if (count2 < shards) logger.info(`${settings.references.length} references: planning ${count2} shards instead of ${shards}`);
  const cand = deps.openSource(settings.candidate);
  const closers = [cand];
  try {
    logger.info(`candidate ${settings.candidate}: reading headers`);
    const candListing = await cand.list();
    const candRemote = isRevisioned(cand);
    const concurrency = settings.reads.readAheadSpans;
    const estimates = [];
    const planned = await mapLimit(settings.references, settings.reads.headerListings, async (source, position) => {
      const ref = deps.openSource(source);
      closers.push(ref);
      try {
        const listing = await ref.list();
        const est = estimateReads(candListing, listing, settings, { candidate: candRemote, reference: isRevisioned(ref) });
        estimates[position] = est;
        const bytes = est.candidateBytes + est.referenceBytes;
        const parameters = listing.tensors.reduce((s, t) => s + numel(t.shape), 0);
        const seconds = transferSeconds(est.remoteBytes, est.requests, settings.link, concurrency);
        const p = { source, position, bytes, parameters, fraction: est.fraction, candidateBytes: est.candidateBytes, referenceBytes: est.referenceBytes, requests: est.requests, seconds, search: est.search };
        logger.info(`reference ${source}: ~${(bytes / 1e6).toFixed(1)} MB to read`);
        return p;
      } catch (e2) {
        if (!(e2 instanceof FromScratchError) || e2.kind === "usage") throw e2;
        logger.warn(`reference ${source}: headers not listed (${e2.message}); planned at 0 bytes, its shard will report the error`);
        estimates[position] = null;
        return { source, position, bytes: 0, parameters: 0, fraction: 1, candidateBytes: 0, referenceBytes: 0, requests: 0, seconds: 0, error: e2.message };
      }
    });
    const total = totalOf(planned, estimates, { candRemote, link: settings.link, concurrency });
    const groups = balance(
      planned.map((p) => p.bytes),
      count2
    );
    const fingerprint = planFingerprint({ candidate: settings.candidate, revision: candListing.revision, references: settings.references, count: count2, version: VERSION });
    return {
      fingerprint,
      tool: { name: "fromscratch", version: VERSION },
      candidate: { source: settings.candidate, revision: candListing.revision },
      references: [...settings.references],
      count: count2,
      shards: groups.map((g, index) => ({ index, references: g.map((i) => planned[i]), bytes: g.reduce((s, i) => s + planned[i].bytes, 0) })),
      link: settings.link,
      total
    };
  } finally {
    for (const s of closers) await s.close?.();
  }
}
function totalOf(planned, estimates, { candRemote, link, concurrency }) {
  const bytes = planned.reduce((s, p) => s + p.bytes, 0);
  let remoteBytes = 0;
  let requests = 0;
  const held = new SpanSet();
  for (const est of estimates) {
    if (!est) continue;
    remoteBytes += est.remoteBytes;
    requests += est.requests;
    if (candRemote) {
      let fresh = 0;
      for (const r of est.candidateRanges) fresh += held.add(r.file, r.begin, r.end);
      remoteBytes -= est.candidateBytes - Math.min(est.candidateBytes, fresh);
    }
  }
  return { bytes, remoteBytes, requests, seconds: transferSeconds(remoteBytes, requests, link, concurrency) };
}
var gb = (b) => b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / 1e6).toFixed(1)} MB`;
var secs = (s) => s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(s < 10 ? 1 : 0)} s`;
var sampling = (f) => f >= 1 ? "exact" : `sampled ${(100 * f).toFixed(1)}%`;
function describeReference(p, link) {
  const params = p.parameters >= 1e9 ? `${(p.parameters / 1e9).toFixed(1)} B` : `${(p.parameters / 1e6).toFixed(1)} M`;
  return `reference ${p.source}: ${params} parameters, reads ${gb(p.bytes)} (${sampling(p.fraction)}; candidate ${gb(p.candidateBytes)}, reference ${gb(p.referenceBytes)}), ~${secs(p.seconds)} at ${link.mbPerSecond} MB/s`;
}
function describeSearchReads(p) {
  if (!p.search?.referenceBytes) return null;
  return `    and when the alignment search runs (matrices left unexplained): ${gb(p.search.referenceBytes)} more from the reference, up to ${gb(p.search.candidateBytes)} from the candidate`;
}
function matrixOf(plan) {
  return {
    include: plan.shards.map((s) => ({
      shard: s.index,
      shards: plan.count,
      references: s.references.map((r) => r.source).join("\n"),
      positions: s.references.map((r) => r.position).join(","),
      fingerprint: plan.fingerprint,
      bytes: s.bytes
    }))
  };
}
function describePlan(plan) {
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  const lines = [`plan ${plan.fingerprint.slice(0, 12)}: ${plan.references.length} references in ${plan.count} shards`];
  for (const s of plan.shards) lines.push(`  shard ${s.index}: ${s.references.length} references, ~${mb(s.bytes)}`);
  for (const r of plan.references.map((_, i) => plan.shards.flatMap((s) => s.references).find((p) => p.position === i))) {
    lines.push(`  ${r.error ? `reference ${r.source}: headers not listed (${r.error})` : describeReference(r, plan.link)}`);
    const search = r.error ? null : describeSearchReads(r);
    if (search) lines.push(search);
  }
  const t = plan.total;
  lines.push(`  total: reads ${gb(t.bytes)}, fetches ${gb(t.remoteBytes)} in ${t.requests} requests, ~${secs(t.seconds)} at ${plan.link.mbPerSecond} MB/s and ${plan.link.latencyMs} ms per request`);
  return lines;
}

// src/common/fs.ts
import { stat } from "node:fs/promises";
async function statOrNull(p) {
  try {
    return await stat(p);
  } catch {
    return null;
  }
}
async function exists(p) {
  return await statOrNull(p) !== null;
}

// src/fanout/merge.ts
var isObject = (x) => typeof x === "object" && x !== null && !Array.isArray(x);
var isIntArray = (x) => Array.isArray(x) && x.every((v) => Number.isInteger(v) && v >= 0);
function parsePartial(file, text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (e2) {
    throw new UsageError(`${file}: not a JSON report (${e2.message})`);
  }
  if (!isObject(data) || data.schemaVersion !== 2 || !isObject(data.tool) || data.tool.name !== "fromscratch" || !Array.isArray(data.references) || !isObject(data.candidate)) {
    throw new UsageError(`${file}: not a fromscratch report of this version (schemaVersion 2)`);
  }
  const shard = data.shard;
  if (!isObject(shard)) {
    throw new UsageError(`${file} is not a partial report (no "shard" mark): run each shard's check with --shard K/N --plan-fingerprint F --plan-positions P from \`fromscratch plan\``);
  }
  if (!Number.isInteger(shard.index) || !Number.isInteger(shard.count) || typeof shard.fingerprint !== "string" || !isIntArray(shard.positions)) {
    throw new UsageError(`${file}: malformed "shard" mark (needs index, count, fingerprint, positions)`);
  }
  const report = data;
  const candidateFailed = report.error !== void 0 && report.references.length === 0;
  if (!candidateFailed && report.shard.positions.length !== report.references.length) {
    throw new UsageError(`${file}: its shard mark lists ${report.shard.positions.length} positions for ${report.references.length} references`);
  }
  return { file, report };
}
async function readPartials(files) {
  const out = [];
  for (const f of files) {
    let text;
    try {
      text = await readFile2(f, "utf8");
    } catch (e2) {
      throw new UsageError(`cannot read report ${f}: ${e2.message}`);
    }
    out.push(parsePartial(f, text));
  }
  return out;
}
var listed = (r) => !(r.error !== void 0 && r.references.length === 0);
function names(parts) {
  return parts.map((p) => p.file).join(", ");
}
function agree2(parts, what, key, show = (v) => v) {
  const groups = /* @__PURE__ */ new Map();
  for (const p of parts) groups.set(key(p.report), [...groups.get(key(p.report)) ?? [], p]);
  if (groups.size > 1) {
    const list = [...groups].sort((a, b) => b[1].length - a[1].length).map(([v, ps]) => `${show(v)} in ${names(ps)}`);
    throw new UsageError(`refusing to merge: the reports ${what}: ${list.join("; ")}`);
  }
  return groups.keys().next().value;
}
function mergeReports(parts, opts = {}) {
  if (parts.length === 0) throw new UsageError("no reports to merge");
  const plan = agreeOnPlan(parts);
  checkShards(parts, plan.count);
  const total = checkPositions(parts);
  const { ordered, slots, sources } = inPlanOrder(parts, total);
  if (plan.listedParts.length === parts.length) checkFingerprint(parts, plan, sources, total);
  return assemble({ parts, plan, ordered, slots }, opts.failOn ?? "reused");
}
function agreeOnPlan(parts) {
  agree2(parts, "check different candidates", (r) => r.candidate.source, (v) => `candidate ${JSON.stringify(v)}`);
  const listedParts = parts.filter((p) => listed(p.report));
  const revision = listedParts.length ? JSON.parse(agree2(listedParts, "saw different candidate revisions", (r) => JSON.stringify(r.candidate.revision), (v) => `revision ${v}`)) : null;
  const fingerprint = agree2(parts, "come from different plans", (r) => r.shard.fingerprint, (v) => `plan ${v.slice(0, 12)}`);
  const count2 = Number(agree2(parts, "disagree on the shard count", (r) => String(r.shard.count), (v) => `${v} shards`));
  const version = agree2(parts, "come from different fromscratch versions", (r) => r.tool.version, (v) => `version ${v}`);
  const thresholds = agree2(parts, "use different thresholds", (r) => JSON.stringify(r.thresholds));
  return { listedParts, revision, fingerprint, count: count2, version, thresholds };
}
function checkShards(parts, count2) {
  const byIndex = /* @__PURE__ */ new Map();
  for (const p of parts) byIndex.set(p.report.shard.index, [...byIndex.get(p.report.shard.index) ?? [], p]);
  const problems = [];
  const outOfRange = parts.filter((p) => p.report.shard.index < 0 || p.report.shard.index >= count2);
  if (outOfRange.length) problems.push(`shard index out of range 0..${count2 - 1} in ${names(outOfRange)}`);
  const missing = Array.from({ length: count2 }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) problems.push(`missing shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${count2}`);
  for (const [i, ps] of [...byIndex].sort((a, b) => a[0] - b[0])) {
    if (ps.length > 1) problems.push(`duplicated shard ${i} (${names(ps)})`);
  }
  if (problems.length) throw new UsageError(`refusing to merge: ${problems.join("; ")}`);
}
function checkPositions(parts) {
  const total = parts.reduce((s, p) => s + p.report.shard.positions.length, 0);
  const seen = new Array(total).fill(0);
  for (const p of parts) for (const pos of p.report.shard.positions) if (pos < total) seen[pos]++;
  if (seen.some((n2) => n2 !== 1)) {
    throw new UsageError(`refusing to merge: the shards' --plan-positions do not cover the plan's ${total} references exactly once (reports edited, or run with other matrix values)`);
  }
  return total;
}
function inPlanOrder(parts, total) {
  const ordered = parts.slice().sort((a, b) => a.report.shard.index - b.report.shard.index);
  const slots = [];
  for (const p of ordered) p.report.references.forEach((ref, i) => slots.push({ position: p.report.shard.positions[i], ref, part: p }));
  slots.sort((a, b) => a.position - b.position);
  const sources = new Array(total).fill("");
  for (const p of ordered) p.report.shard.positions.forEach((pos, i) => sources[pos] = p.report.references[i]?.source ?? "");
  return { ordered, slots, sources };
}
function checkFingerprint(parts, plan, sources, total) {
  const { revision, count: count2, version, fingerprint } = plan;
  const expect = planFingerprint({ candidate: parts[0].report.candidate.source, revision, references: sources, count: count2, version });
  if (expect === fingerprint) return;
  throw new UsageError(
    `refusing to merge: the reports do not match their plan ${fingerprint.slice(0, 12)} (candidate ${JSON.stringify(parts[0].report.candidate.source)}${revision ? ` @ ${revision}` : ""}, ${total} references, ${count2} shards, version ${version}): the candidate's revision changed since the plan, or a shard ran other references than its matrix entry`
  );
}
function assemble({ parts, plan, ordered, slots }, failOn) {
  const { listedParts, revision, fingerprint, count: count2, version } = plan;
  const first = listedParts.length ? listedParts.slice().sort((a, b) => Math.min(...a.report.shard.positions) - Math.min(...b.report.shard.positions))[0].report : parts[0].report;
  const withComponents = slots.find((s) => s.part.report.candidate.components.length > 0);
  const candidateError = parts.find((p) => !listed(p.report))?.report.error;
  const refError = slots.find((s) => s.ref.error && s.part.report.error)?.part.report.error;
  const error = candidateError ?? refError ?? parts.map((p) => p.report.error).find((e2) => e2 !== void 0);
  const thresholds = JSON.parse(plan.thresholds);
  const components = withComponents ? withComponents.part.report.candidate.components : first.candidate.components;
  const family = familyOf2(slots.length, components.length);
  const references = slots.map((s) => redecide(s.ref, family.size, thresholds));
  const verdict = runVerdict(references, error ?? null);
  const gate = gateOf(verdict, failOn, error ?? null);
  return {
    schemaVersion: 2,
    tool: { name: "fromscratch", version },
    candidate: {
      source: first.candidate.source,
      revision,
      parameters: first.candidate.parameters,
      components,
      // Every shard listed the same candidate revision (agreed above): its files are any listed shard's.
      ...first.candidate.files ? { files: first.candidate.files } : {}
    },
    verdict,
    thresholds,
    family,
    failOn,
    gate,
    references,
    ...error ? { error } : {},
    bytesRead: parts.reduce((s, p) => s + p.report.bytesRead, 0),
    seconds: parts.reduce((s, p) => s + p.report.seconds, 0),
    merged: {
      fingerprint,
      count: count2,
      shards: ordered.map((p) => ({ index: p.report.shard.index, references: p.report.references.length, bytesRead: p.report.bytesRead, seconds: p.report.seconds }))
    }
  };
}
var WILD = /[*?]/;
function segmentRegex(seg) {
  const body = seg.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}
async function isDir(p) {
  try {
    return (await stat2(p)).isDirectory();
  } catch {
    return false;
  }
}
async function entries(dir) {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
async function expandSegments(base2, segs) {
  if (segs.length === 0) return await exists(base2) ? [base2] : [];
  const [seg, ...rest] = segs;
  if (seg === "**") {
    const out2 = await expandSegments(base2, rest);
    for (const e2 of await entries(base2)) {
      const child = path4.join(base2, e2);
      if (await isDir(child)) out2.push(...await expandSegments(child, segs));
    }
    return out2;
  }
  if (!WILD.test(seg)) return expandSegments(path4.join(base2, seg), rest);
  const re = segmentRegex(seg);
  const out = [];
  for (const e2 of await entries(base2)) if (re.test(e2)) out.push(...await expandSegments(path4.join(base2, e2), rest));
  return out;
}
async function expandReportPaths(items, cwd = process.cwd()) {
  const out = [];
  for (const item of items.flatMap((s) => s.split("\n")).map((s) => s.trim()).filter(Boolean)) {
    const abs = path4.resolve(cwd, item);
    let found;
    if (WILD.test(item)) {
      const { root } = path4.parse(abs);
      found = await expandSegments(root, abs.slice(root.length).split(path4.sep).filter(Boolean));
      const files = [];
      for (const f of found) if (!await isDir(f)) files.push(f);
      found = files.sort();
    } else if (await isDir(abs)) {
      found = (await entries(abs)).filter((e2) => e2.endsWith(".json")).map((e2) => path4.join(abs, e2));
    } else {
      found = await exists(abs) ? [abs] : [];
    }
    if (found.length === 0) throw new UsageError(`no report matches ${JSON.stringify(item)}`);
    out.push(...found.map((f) => path4.isAbsolute(item) ? f : path4.relative(cwd, f) || f));
  }
  return out;
}
function redecide(ref, family, th) {
  if (ref.error) return ref;
  const decided = ref.components.map((c) => {
    const evidence = evidenceOfResult(c, combinationOf);
    return renderComponent(evidence, decideComponent(evidence, family, th));
  });
  const components = applyComparability(decided);
  return { ...ref, components, ...referenceVerdict(components) };
}

// src/report/strip.ts
var BLOCKS = ["\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"];
var NO_DATA = "\xB7";
var STRIP_LEGEND = "one block per candidate layer: median |Pearson| of its matched matrices, \u2581 < 0.125 \u2026 \u2588 \u2265 0.875, \xB7 nothing compared";
function compared(t) {
  return t.informative && t.pearson !== null && !t.error;
}
function layerProfile(c) {
  const byLayer = /* @__PURE__ */ new Map();
  for (const t of c.tensors) {
    if (t.layer === null || !t.informative) continue;
    let ts = byLayer.get(t.layer);
    if (!ts) byLayer.set(t.layer, ts = []);
    if (compared(t)) ts.push(t);
  }
  for (const l of c.layerMatrix?.candidateLayers ?? []) if (!byLayer.has(l)) byLayer.set(l, []);
  return [...byLayer.keys()].sort((a, b) => a - b).map((layer) => {
    const ts = byLayer.get(layer);
    const nulls = ts.flatMap((t) => t.null ? [t.null] : []);
    return {
      layer,
      pearson: median(ts.map((t) => t.pearson)),
      tensors: ts.map((t) => ({ pearson: t.pearson, standsOut: t.standsOut })),
      standsOut: ts.filter((t) => t.standsOut).length,
      null: nulls.length ? { mean: nulls.reduce((s, n2) => s + n2.mean, 0) / nulls.length, sd: Math.sqrt(nulls.reduce((s, n2) => s + n2.sd * n2.sd, 0) / nulls.length) } : null
    };
  });
}
function blockFor(r) {
  if (r === null || !Number.isFinite(r)) return NO_DATA;
  return BLOCKS[Math.max(0, Math.min(BLOCKS.length - 1, Math.floor(Math.abs(r) * BLOCKS.length)))];
}
function layerState(p) {
  if (p.pearson === null) return "none";
  if (p.standsOut * 2 >= p.tensors.length && p.standsOut > 0) return "reused";
  return p.standsOut > 0 ? "partial" : "clear";
}
var ANSI = { reused: "\x1B[31m", partial: "\x1B[33m", clear: "\x1B[32m", none: "\x1B[2m" };
var RESET = "\x1B[0m";
function strip(c, opts = {}) {
  let points = layerProfile(c);
  const max = opts.maxLayers ?? Infinity;
  const cut = points.length > max ? points.length - max : 0;
  if (cut) points = points.slice(0, max);
  if (!opts.color) return points.map((p) => blockFor(p.pearson)).join("") + (cut ? `\u2026(+${cut})` : "");
  let out = "";
  let prev = null;
  for (const p of points) {
    const s = layerState(p);
    if (s !== prev) out += (prev ? RESET : "") + ANSI[s];
    prev = s;
    out += blockFor(p.pearson);
  }
  return (prev ? out + RESET : out) + (cut ? `\u2026(+${cut})` : "");
}
function transformsSeen(c) {
  const counts = /* @__PURE__ */ new Map();
  for (const t of c.tensors) if (!t.error) counts.set(t.transform, (counts.get(t.transform) ?? 0) + 1);
  return [...counts].map(([transform, count2]) => ({ transform, count: count2 })).sort((a, b) => b.count - a.count || a.transform.localeCompare(b.transform));
}
var ORDER = { reused: 0, inconclusive: 1, independent: 2 };
function decidingComponent(r) {
  const same = r.components.filter((c) => c.verdict === r.verdict);
  const pool2 = same.length ? same : r.components;
  return [...pool2].sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict] || b.comparedParameters - a.comparedParameters)[0] ?? null;
}
var strip0 = (s) => s.replace(/[.\s]+$/, "");
function verdictSentence(report, opts = {}) {
  const why = (m) => opts.errorsOnStderr ? "the error is below" : strip0(m);
  const refs = report.references;
  const v = report.verdict;
  const head = v === "reused" ? "Reused" : v === "independent" ? "Independent" : "Inconclusive";
  const deciding = refs.filter((r2) => r2.verdict === v);
  const r = deciding[0];
  const others = deciding.length > 1 ? ` (and ${deciding.length - 1} more reference${deciding.length > 2 ? "s" : ""} ${v})` : "";
  if (!r) {
    if (report.error) return `${head}: the run stopped before any reference was compared (${why(report.error.message)}).`;
    return `${head}: no reference was compared.`;
  }
  if (r.error) return `${head}: ${r.source} could not be compared (${why(r.error.message)})${others}.`;
  if (v === "reused") {
    const comps = r.components.filter((c3) => c3.verdict === "reused");
    const c2 = comps[0];
    const names2 = comps.map((x) => x.name).join(" and ");
    const what = "copied, fine-tuned, or trained from a shared initialisation";
    if (comps.length === 1 && c2.name === "model") return `${head}: the candidate is not independent of ${r.source} (${what}): ${strip0(c2.reason).replace(/^not independent: /, "")}${others}.`;
    return `${head}: the candidate's ${names2} ${comps.length === 1 ? "is" : "are"} not independent of ${r.source} (${what}), because in ${c2.name} ${strip0(c2.reason).replace(/^not independent: /, "")}${others}.`;
  }
  const c = decidingComponent(r);
  const tail = report.error ? `; the run stopped early (${why(report.error.message)})` : "";
  if (!c) return `${head}: ${r.source} has no comparable component (${strip0(r.reason)})${others}${tail}.`;
  if (v === "independent") {
    const all2 = refs.length > 1 ? `, and every component of the candidate is independent of all ${refs.length} references` : "";
    return `${head}: against ${r.source}, ${c.name}: ${strip0(c.reason)}${all2}${tail}.`;
  }
  return `${head}: against ${r.source}, ${c.name}: ${strip0(c.reason)}${others}${tail}.`;
}

// src/report/html-base.ts
function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
var e = escapeHtml;
var wrapName = (s) => e(s).replace(/([._/:+-])(?=[^<])/g, "$1<wbr>");
var n = (x) => Number.isFinite(x) ? String(Math.round(x * 100) / 100) : "0";
function divergingColor(v) {
  const t = Math.max(-1, Math.min(1, v));
  const [r0, g0, b0] = [247, 247, 247];
  const [r1, g1, b1] = t >= 0 ? [178, 24, 43] : [33, 102, 172];
  const a = Math.abs(t);
  const mix = (x, y) => Math.round(x + (y - x) * a).toString(16).padStart(2, "0");
  return `#${mix(r0, r1)}${mix(g0, g1)}${mix(b0, b1)}`;
}

// src/report/html-charts.ts
function normNull(c) {
  const nulls = c.tensors.filter((t) => /norm/.test(t.role) && !t.informative && t.null).map((t) => t.null);
  if (!nulls.length) return null;
  return {
    mean: nulls.reduce((s, x) => s + x.mean, 0) / nulls.length,
    sd: Math.sqrt(nulls.reduce((s, x) => s + x.sd * x.sd, 0) / nulls.length),
    n: nulls.reduce((s, x) => s + x.n, 0)
  };
}
var figureId = 0;
function resetFigureIds() {
  figureId = 0;
}
function trapNumbers(cos, pear) {
  const cs = cos.flat().filter((v) => v !== null);
  const ps = pear.flat().filter((v) => v !== null);
  if (!cs.length) return "";
  const lo = Math.min(...cs).toFixed(3);
  const hi = Math.max(...cs).toFixed(3);
  const p = ps.length ? `, norm Pearson within \xB1${Math.max(...ps.map(Math.abs)).toFixed(2)}` : "";
  return ` (here raw cosine ${lo === hi ? lo : `${lo} to ${hi}`} over all ${cs.length} pairs${p})`;
}
function heatmap(h) {
  const id = `g${++figureId}`;
  const nr = h.rows.length;
  const nc = h.cols.length;
  const cs = Math.max(4, Math.min(44, Math.floor(300 / Math.max(nr, nc, 1))));
  const left = 46;
  const top = 30;
  const gw = nc * cs;
  const gh = nr * cs;
  const barX = left + gw + 18;
  const barH = Math.max(gh, 150);
  const width = barX + 16 + 84;
  const height = top + Math.max(gh, barH) + 12;
  const step = (k) => Math.max(1, Math.ceil(k / Math.max(1, Math.floor(Math.max(gw, gh) / 22))));
  const out = [];
  out.push(
    `<svg class="heatmap ${h.kind}" role="img" aria-label="${e(h.stat)} heatmap, candidate layer by reference layer" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">`
  );
  out.push(`<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">`);
  for (let i = 0; i <= 10; i++) out.push(`<stop offset="${i / 10}" stop-color="${divergingColor(-1 + i / 5)}"/>`);
  out.push(`</linearGradient></defs>`);
  out.push(`<text class="axis-title" x="${n(left + gw / 2)}" y="11" text-anchor="middle">reference layer</text>`);
  out.push(`<text class="axis-title" transform="translate(11 ${n(top + gh / 2)}) rotate(-90)" text-anchor="middle">candidate layer</text>`);
  const sc = step(nc);
  h.cols.forEach((l, j) => {
    if (j % sc === 0) out.push(`<text class="tick" x="${n(left + j * cs + cs / 2)}" y="${top - 5}" text-anchor="middle">${l}</text>`);
  });
  const sr = step(nr);
  h.rows.forEach((l, i) => {
    if (i % sr === 0) out.push(`<text class="tick" x="${left - 5}" y="${n(top + i * cs + cs / 2 + 4)}" text-anchor="end">${l}</text>`);
  });
  out.push(...heatmapCells(h, { left, top, cs }));
  out.push(...colourBar(h, { top, barX, barH, id }));
  out.push(`</svg>`);
  return out.join("");
}
function heatmapCells(h, g) {
  const { left, top, cs } = g;
  const nr = h.rows.length;
  const nc = h.cols.length;
  const out = [];
  const showText = cs >= 34;
  const detailed = nr * nc <= 576;
  const marks = [];
  const oob = [];
  const diag = [];
  const buckets = /* @__PURE__ */ new Map();
  for (let i = 0; i < nr; i++) {
    for (let j = 0; j < nc; j++) {
      const v = h.values[i]?.[j] ?? null;
      const x = left + j * cs;
      const y = top + i * cs;
      const outside = h.band !== null && v !== null && (v < h.band.lo || v > h.band.hi);
      const onDiag = h.rows[i] === h.cols[j];
      if (!detailed) {
        const fill2 = v === null ? "#dedede" : divergingColor(Math.round(v * 20) / 20);
        const list = buckets.get(fill2) ?? [];
        list.push(`M${x} ${y}h${cs}v${cs}h-${cs}z`);
        buckets.set(fill2, list);
        if (outside) oob.push(`M${x + 0.5} ${y + 0.5}h${cs - 1}v${cs - 1}h-${cs - 1}z`);
        if (onDiag) diag.push(`M${x + 0.5} ${y + 0.5}h${cs - 1}v${cs - 1}h-${cs - 1}z`);
        continue;
      }
      const label = `candidate layer ${h.rows[i]} \xD7 reference layer ${h.cols[j]}: ${h.stat} ${v === null ? "n/a" : v.toFixed(3)}`;
      const fill = v === null ? "#dedede" : divergingColor(v);
      out.push(`<rect class="cell" x="${x}" y="${y}" width="${cs}" height="${cs}" fill="${fill}" data-v="${v === null ? "" : v.toFixed(4)}"><title>${e(label)}</title></rect>`);
      if (showText) {
        const txt = v === null ? "n/a" : v.toFixed(2).replace(/^-(0\.00)$/, "$1");
        out.push(`<text class="cell-text" x="${n(x + cs / 2)}" y="${n(y + cs / 2 + 4)}" text-anchor="middle" fill="${v !== null && Math.abs(v) > 0.55 ? "#fff" : "#333"}">${txt}</text>`);
      }
      if (outside) marks.push(`<rect class="out-of-band" x="${x + 1.5}" y="${y + 1.5}" width="${cs - 3}" height="${cs - 3}"/>`);
      if (onDiag) marks.push(`<rect class="diag" x="${x + 0.5}" y="${y + 0.5}" width="${cs - 1}" height="${cs - 1}"/>`);
    }
  }
  if (!detailed) {
    out.push(`<title>${e(`${h.stat}, ${nr} candidate \xD7 ${nc} reference layers (colours rounded to 0.05; exact values in the JSON report's layerMatrix)`)}</title>`);
    for (const [fill, d] of buckets) out.push(`<path class="cells" fill="${fill}" d="${d.join("")}"/>`);
    if (oob.length) out.push(`<path class="out-of-band thin" d="${oob.join("")}"/>`);
    if (diag.length) out.push(`<path class="diag thin" d="${diag.join("")}"/>`);
  }
  out.push(...marks);
  return out;
}
function colourBar(h, g) {
  const { top, barX, barH, id } = g;
  const out = [];
  const yOf = (v) => top + (1 - v) / 2 * barH;
  out.push(`<rect x="${barX}" y="${top}" width="14" height="${barH}" fill="url(#${id})" stroke="#999" stroke-width="0.5"/>`);
  for (const t of [1, 0.5, 0, -0.5, -1]) {
    out.push(`<line x1="${barX + 14}" x2="${barX + 18}" y1="${n(yOf(t))}" y2="${n(yOf(t))}" stroke="#666"/>`);
    out.push(`<text class="tick" x="${barX + 21}" y="${n(yOf(t) + 4)}">${t === 0 ? "0" : t.toFixed(1)}</text>`);
  }
  if (h.band) {
    const lo = Math.max(-1, h.band.lo);
    const hi = Math.min(1, h.band.hi);
    out.push(`<rect class="band-mark" x="${barX - 4}" y="${n(yOf(hi))}" width="22" height="${n(Math.max(1, yOf(lo) - yOf(hi)))}"/>`);
    out.push(`<text class="tick band-label" x="${barX + 46}" y="${n((yOf(hi) + yOf(lo)) / 2 + 4)}">null</text>`);
  }
  return out;
}
function layerLine(points, th) {
  const pts = points.filter((p) => p.pearson !== null || p.null);
  if (!pts.length) return `<p class="muted">No layered matrix was compared, so there is no per-layer line.</p>`;
  const k = th.minZ;
  const W = 560;
  const H = 250;
  const L = 48;
  const R = 110;
  const T = 14;
  const B = 38;
  const vals = pts.flatMap((p) => [...p.tensors.map((t) => t.pearson), ...p.null ? [p.null.mean - k * p.null.sd] : []]);
  const lowest = Math.min(-0.25, ...vals);
  const yMin = Math.max(-1, Math.floor(lowest * 4) / 4);
  const yMax = 1;
  const l0 = pts[0].layer;
  const l1 = pts[pts.length - 1].layer;
  const x = (l) => l1 === l0 ? L + (W - L - R) / 2 : L + (l - l0) / (l1 - l0) * (W - L - R);
  const y = (v) => T + (yMax - Math.max(yMin, Math.min(yMax, v))) / (yMax - yMin) * (H - T - B);
  const out = [];
  out.push(`<svg class="layer-line" role="img" aria-label="matched Pearson per candidate layer, with the null band" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">`);
  for (let v = yMin; v <= yMax + 1e-9; v += 0.25) {
    const major = Math.abs(v * 2 - Math.round(v * 2)) < 1e-9;
    out.push(`<line class="${v === 0 ? "zero" : "grid"}" x1="${L}" x2="${W - R}" y1="${n(y(v))}" y2="${n(y(v))}"/>`);
    if (major) out.push(`<text class="tick" x="${L - 6}" y="${n(y(v) + 4)}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  const stepL = Math.max(1, Math.ceil(pts.length / 16));
  pts.forEach((p, i) => {
    if (i % stepL === 0 || i === pts.length - 1) out.push(`<text class="tick" x="${n(x(p.layer))}" y="${H - B + 16}" text-anchor="middle">${p.layer}</text>`);
  });
  out.push(`<text class="axis-title" x="${n(L + (W - L - R) / 2)}" y="${H - 4}" text-anchor="middle">candidate layer</text>`);
  out.push(`<text class="axis-title" transform="translate(12 ${n(T + (H - T - B) / 2)}) rotate(-90)" text-anchor="middle">Pearson</text>`);
  const withNull = pts.filter((p) => p.null);
  if (withNull.length) {
    const upper = withNull.map((p) => `${n(x(p.layer))},${n(y(p.null.mean + k * p.null.sd))}`);
    const lower = withNull.map((p) => `${n(x(p.layer))},${n(y(p.null.mean - k * p.null.sd))}`).reverse();
    if (withNull.length === 1) {
      const p = withNull[0];
      out.push(`<rect class="null-band" x="${n(x(p.layer) - 12)}" y="${n(y(p.null.mean + k * p.null.sd))}" width="24" height="${n(y(p.null.mean - k * p.null.sd) - y(p.null.mean + k * p.null.sd))}"/>`);
    } else out.push(`<polygon class="null-band" points="${[...upper, ...lower].join(" ")}"><title>same-kind null: mean \xB1 ${k} sd</title></polygon>`);
    const last = withNull[withNull.length - 1];
    out.push(`<text class="legend band-label" x="${W - R + 12}" y="${n(y(last.null.mean) + 4)}">null \xB1${k} sd</text>`);
  }
  out.push(`<line class="threshold" x1="${L}" x2="${W - R}" y1="${n(y(th.minPearson))}" y2="${n(y(th.minPearson))}"/>`);
  out.push(`<text class="legend" x="${W - R + 12}" y="${n(y(th.minPearson) - 3)}">min-pearson ${th.minPearson}</text>`);
  for (const p of pts) {
    p.tensors.forEach((t, i) => {
      const dx = p.tensors.length > 1 ? (i / (p.tensors.length - 1) - 0.5) * 10 : 0;
      out.push(`<circle class="dot${t.standsOut ? " hit" : ""}" cx="${n(x(p.layer) + dx)}" cy="${n(y(t.pearson))}" r="2.2"/>`);
    });
  }
  const segments = [[]];
  for (const p of pts) {
    if (p.pearson === null) segments.push([]);
    else segments[segments.length - 1].push(`${n(x(p.layer))},${n(y(p.pearson))}`);
  }
  for (const s of segments) if (s.length > 1) out.push(`<polyline class="median-line" points="${s.join(" ")}"/>`);
  for (const p of pts) {
    if (p.pearson === null) continue;
    const st = layerState(p);
    const nl = p.null ? `, null ${p.null.mean.toFixed(3)} \xB1 ${p.null.sd.toFixed(3)}` : "";
    out.push(
      `<circle class="point s-${st}" cx="${n(x(p.layer))}" cy="${n(y(p.pearson))}" r="4.5"><title>${e(`layer ${p.layer}: median Pearson ${p.pearson.toFixed(3)} over ${p.tensors.length} matrices, ${p.standsOut} stand out${nl}`)}</title></circle>`
    );
  }
  out.push(`<text class="legend" x="${W - R + 12}" y="${n(y(0.7))}">\u25CF median</text>`);
  out.push(`<text class="legend" x="${W - R + 12}" y="${n(y(0.7) + 14)}">\xB7 each matrix</text>`);
  out.push(`</svg>`);
  return out.join("");
}

// src/report/html-tables.ts
function notesOf(t) {
  const notes = [];
  if (t.error) notes.push(`unread: ${t.error}`);
  if (t.identical) notes.push(identicalTag(t));
  if (t.sampled) notes.push(`sampled ${fmtPct(t.sampled.fraction)} of rows${t.sampled.pearsonSe !== null ? ` (Pearson se ${t.sampled.pearsonSe.toFixed(4)})` : ""}`);
  if (t.deterministic) notes.push(`shared construction: ${t.deterministic.detail}${t.deterministic.residualTested ? "" : " (not counted)"}`);
  if (t.direct) notes.push(`element-wise vs ${t.direct.reference}: r ${fmtR(t.direct.pearson)}${t.direct.log10p !== void 0 ? `, log10 p ${t.direct.log10p.toFixed(1)}` : ""}`);
  if (t.aligned) notes.push(`search's held-out test vs ${t.aligned.reference} (${t.aligned.transform}): r ${fmtR(t.aligned.pearson)}, effect ${fmtR(t.aligned.effect)}, log10 p ${t.aligned.log10p.toFixed(1)}`);
  if (t.null) notes.push(`same-kind controls ${fmtNull(t.null)} (n ${t.null.n})`);
  if (t.dtype.candidate !== t.dtype.reference) notes.push(`dtypes ${t.dtype.candidate} / ${t.dtype.reference}`);
  return notes.map(wrapName).join("<br>");
}
var num = (x) => x === null || x === void 0 || !Number.isFinite(x) ? "" : String(Number(x.toPrecision(6)));
function tensorTable(c) {
  const open3 = c.verdict !== "independent" && c.tensors.length <= 80;
  const rows = c.tensors;
  if (!rows.length) return `<p class="muted">No tensor of this component was compared with the reference.</p>`;
  const head = [
    ["candidate tensor", "str", ""],
    ["reference tensor", "str", ""],
    ["layer", "num", ""],
    ["role", "str", ""],
    [alignmentWords(c).one, "str", c.verdict === "reused" ? "the layout or alignment under which the tensor was compared" : "the layout or alignment the comparison tried (the component is not judged reused)"],
    ["elements", "num", ""],
    ["log10 p", "num", "the tensor's permutation-test p-value (what decides, combined per component)"],
    ["effect", "num", "Pearson of the standardised units"],
    ["Pearson", "num", "centred"],
    ["raw cosine", "num", "not used to decide"],
    ["evidence", "str", ""],
    ["notes", "str", ""]
  ];
  const out = [];
  out.push(`<details class="tensors"${open3 ? " open" : ""}><summary>All ${rows.length} compared tensors of ${e(c.name)} (click a column to sort)</summary>`);
  out.push(`<div class="table-wrap"><table class="sortable tensors-table"><thead><tr>`);
  for (const [label, type, hint] of head) out.push(`<th data-type="${type}" tabindex="0"${hint ? ` title="${e(hint)}"` : ""}>${e(label)}</th>`);
  out.push(`</tr></thead><tbody>`);
  for (const t of rows) {
    const evidence = t.error ? "unread" : !t.informative ? "reported only" : t.deterministic && !t.deterministic.residualTested ? "shared construction" : t.standsOut ? "stands out" : t.pearson === null ? "constant" : "below";
    const cls = t.error ? "unread" : t.standsOut ? "hit" : !t.informative ? "minor" : "";
    out.push(`<tr${cls ? ` class="${cls}"` : ""}>`);
    const same = t.reference === t.candidate;
    out.push(`<td class="name">${wrapName(t.candidate)}</td>${same ? `<td class="same">= same name</td>` : `<td class="name">${wrapName(t.reference)}</td>`}`);
    out.push(`<td data-v="${num(t.layer)}">${t.layer ?? "\u2013"}</td><td>${wrapName(t.role)}</td><td class="transform">${wrapName(t.transform)}</td><td data-v="${t.elements}">${fmtInt(t.elements)}</td>`);
    out.push(`<td data-v="${num(t.log10p)}">${t.log10p === void 0 ? "n/a" : t.log10p.toFixed(1)}</td><td data-v="${num(t.effect)}">${fmtR(t.effect)}</td>`);
    out.push(`<td data-v="${num(t.pearson)}">${fmtR(t.pearson)}</td><td data-v="${num(t.cosine)}">${fmtR(t.cosine)}</td>`);
    out.push(`<td>${evidence}</td><td class="notes">${notesOf(t)}</td></tr>`);
  }
  out.push(`</tbody></table></div></details>`);
  return out.join("");
}

// src/report/html.ts
var VERDICT_LABEL = { reused: "REUSED", inconclusive: "INCONCLUSIVE", independent: "INDEPENDENT" };
var VERDICT_ORDER = { reused: 0, inconclusive: 1, independent: 2 };
function badge(v, small = false) {
  return `<span class="badge v-${v}${small ? " small" : ""}">${VERDICT_LABEL[v]}</span>`;
}
function shareBar(c, th) {
  const w = 240;
  const x = Math.max(0, Math.min(1, c.share)) * w;
  const m = th.minShare * w;
  return `<svg class="share-bar" role="img" aria-label="share of parameters matched" width="${w + 2}" height="16" viewBox="0 0 ${w + 2} 16" xmlns="http://www.w3.org/2000/svg"><rect x="1" y="3" width="${w}" height="10" fill="#eee" stroke="#bbb" stroke-width="0.5"/><rect class="v-${c.verdict}-fill" x="1" y="3" width="${n(x)}" height="10"/><line x1="${n(m + 1)}" x2="${n(m + 1)}" y1="0" y2="16" stroke="#333" stroke-dasharray="2 2"><title>min-share ${fmtPct(th.minShare)}</title></line></svg>`;
}
function componentSection(c, report, ri) {
  const th = report.thresholds;
  const k = th.minZ;
  const out = [];
  out.push(`<section class="component" id="ref-${ri}-${e(c.name)}">`);
  out.push(`<h3>${badge(c.verdict, true)} <span class="comp-name">${e(c.name)}</span></h3>`);
  out.push(`<p class="rule"><strong>${e(c.verdict)}</strong> because ${e(c.reason)}.</p>`);
  out.push(`<div class="facts">`);
  out.push(
    `<div><span class="k">parameters matched</span> ${shareBar(c, th)} <strong>${fmtPct(c.share)}</strong> (${fmtInt(c.matchedParameters)} of ${fmtInt(c.candidateParameters)}; min-share ${fmtPct(th.minShare)})</div>`
  );
  out.push(`<div><span class="k">compared</span> ${fmtInt(c.comparedParameters)} parameters in matrices; ${c.unmatchedTensors} candidate tensors (${fmtInt(c.unmatchedParameters)} parameters) without a counterpart; ${c.unreadTensors} unread</div>`);
  out.push(`<div><span class="k">combined p</span> ${fmtP(c.log10p)} \xB7 <span class="k">corrected</span> ${fmtP(c.log10pCorrected)} (${c.combination ? `truncated Cauchy over ${c.combination.tensors} tensors` : "no tensor tested"}) \xB7 <span class="k">effect</span> ${fmtR(c.effect)}</div>`);
  out.push(`<div><span class="k">median Pearson</span> ${fmtR(c.pearsonMedian)} \xB7 <span class="k">median |z|</span> ${fmtZ(c.zMedian)} \xB7 <span class="k">same-kind controls</span> ${c.null ? `${fmtNull(c.null)} (n ${c.null.n})` : "n/a"}</div>`);
  const dtypes = [...new Set(c.tensors.map((t) => t.dtype.candidate === t.dtype.reference ? t.dtype.candidate : `${t.dtype.candidate} vs ${t.dtype.reference}`))];
  if (dtypes.length) out.push(`<div><span class="k">dtypes</span> ${dtypes.map((d) => `<code>${e(d)}</code>`).join(", ")}</div>`);
  const tf = transformsSeen(c);
  out.push(`<div><span class="k">${alignmentWords(c).many}</span> ${tf.length ? tf.map((x) => `<code>${x.transform === "none" ? "as stored" : e(x.transform)}</code> \xD7${x.count}`).join(", ") : "\u2013"}</div>`);
  if (c.search) {
    const dup = c.search.referenceDuplicateLayers.length ? `; reference layers duplicating each other: ${c.search.referenceDuplicateLayers.map(([a, b]) => `${a}\u2248${b}`).join(", ")}` : "";
    out.push(
      `<div><span class="k">alignment search</span> ${c.search.ran ? "ran" : "did not run"}: ${e(searchLine(c.search))}${c.search.residualPermuted ? `; residual stream permuted (match quality ${fmtR(c.search.residualMatchQuality)})` : ""}${e(dup)}</div>`
    );
  }
  const s = strip(c);
  if (s) out.push(`<div><span class="k">per-layer strip</span> <span class="strip" title="${e(STRIP_LEGEND)}">${e(s)}</span></div>`);
  out.push(`</div>`);
  const lm = c.layerMatrix;
  const line = `<figure><figcaption><strong>Matched Pearson per layer</strong>: each dot a compared matrix (red: stands out), the line their median; the grey band is the same-kind null's mean \xB1 ${k} sd.</figcaption>${layerLine(layerProfile(c), th)}</figure>`;
  out.push(`<div class="figures">`);
  if (lm) {
    const band = c.null ? { lo: c.null.mean - k * c.null.sd, hi: c.null.mean + k * c.null.sd } : null;
    out.push(
      `<figure><figcaption><strong>Matrices: Pearson</strong>, candidate layer \xD7 reference layer (mean over roles, sampled values). A copy lights up the dashed diagonal; outlined cells lie outside the component's null band (${band ? `${band.lo.toFixed(2)} \u2026 ${band.hi.toFixed(2)}, mean \xB1 ${k} sd` : "no null"}).</figcaption>${heatmap({ kind: "pearson", values: lm.pearson, rows: lm.candidateLayers, cols: lm.referenceLayers, band, stat: "Pearson" })}</figure>`
    );
    out.push(line, `</div>`);
    if (lm.normPearson && lm.normCosine) {
      const nn = normNull(c);
      const nb = nn ? { lo: nn.mean - k * nn.sd, hi: nn.mean + k * nn.sd } : null;
      out.push(`<div class="figures trap-pair">`);
      out.push(
        `<figure><figcaption><strong>Norm vectors: Pearson</strong> (centred), the same layers. ${nb ? `Outlined cells lie outside the norms' null band (${nb.lo.toFixed(2)} \u2026 ${nb.hi.toFixed(2)}).` : ""}</figcaption>${heatmap({ kind: "norm-pearson", values: lm.normPearson, rows: lm.candidateLayers, cols: lm.referenceLayers, band: nb, stat: "norm Pearson" })}</figure>`
      );
      out.push(
        `<figure><figcaption><strong>Norm vectors: raw cosine</strong>, the trap: gains that all sit near 1 give cosine \u2248 1 for every pair of layers, related or not${trapNumbers(lm.normCosine, lm.normPearson)}. Shown, never used to decide.</figcaption>${heatmap({ kind: "norm-cosine", values: lm.normCosine, rows: lm.candidateLayers, cols: lm.referenceLayers, band: null, stat: "raw cosine" })}</figure>`
      );
      out.push(`</div>`);
    }
  } else {
    out.push(`<p class="muted">No layer \xD7 layer matrix for this component (no layered matrix pairs were compared).</p>`, line, `</div>`);
  }
  out.push(tensorTable(c));
  out.push(`</section>`);
  return out.join("");
}
function referenceSection(r, report, ri) {
  const out = [];
  out.push(`<section class="reference" id="ref-${ri}">`);
  out.push(`<h2>${badge(r.verdict)} <span class="src">${e(r.source)}</span></h2>`);
  out.push(
    `<p class="meta"><span class="k">revision</span> <code>${r.revision ? e(r.revision) : "local files (no revision)"}</code> \xB7 <span class="k">licence</span> ${r.license ? `<code>${e(r.license)}</code>` : "unknown"} \xB7 <span class="k">sampling</span> ${r.sampling.mode === "exact" ? "exact (every element)" : `${fmtPct(r.sampling.fraction)} of large matrices' rows (${e(r.sampling.chosen)})`} \xB7 <span class="k">reference tensors unmatched</span> ${r.referenceUnmatchedTensors}</p>`
  );
  out.push(`<p class="rule"><strong>${e(r.verdict)}</strong>: ${e(r.reason)}.</p>`);
  if (r.error) out.push(`<p class="error">Error (${e(r.error.code ?? r.error.kind)}): ${e(r.error.message)}</p>`);
  const order = [...r.components].sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict]);
  for (const c of order) out.push(componentSection(c, report, ri));
  out.push(`</section>`);
  return out.join("");
}
function overview(report) {
  const out = [];
  out.push(`<table class="sortable overview"><thead><tr>`);
  for (const [h, t] of [["reference", "str"], ["revision", "str"], ["licence", "str"], ["verdict", "str"], ["components: verdict, share matched, per-layer strip", "str"]]) {
    out.push(`<th data-type="${t}" tabindex="0">${e(h)}</th>`);
  }
  out.push(`</tr></thead><tbody>`);
  report.references.forEach((r, ri) => {
    const comps = r.components.map((c) => {
      const s = strip(c);
      return `<div>${badge(c.verdict, true)} <a href="#ref-${ri}-${e(c.name)}">${e(c.name)}</a> ${fmtPct(c.share)}${s ? ` <span class="strip">${e(s)}</span>` : ""}</div>`;
    }).join("");
    out.push(
      `<tr><td class="name"><a href="#ref-${ri}">${e(r.source)}</a></td><td><code>${r.revision ? e(r.revision) : "local files"}</code></td><td>${r.license ? e(r.license) : "unknown"}</td><td data-v="${r.verdict}">${badge(r.verdict, true)}</td><td>${comps || (r.error ? e(r.error.message) : "\u2013")}</td></tr>`
    );
  });
  out.push(`</tbody></table>`);
  return out.join("");
}
var CSS = `
:root{--red:#b3261e;--amber:#a15c00;--green:#1e6b2f;--ink:#1d1d1f;--muted:#666;--line:#ddd}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",Roboto,sans-serif;color:var(--ink);background:#fafafa}
main{max-width:1320px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:20px;margin:0 0 6px}h2{font-size:17px;margin:0 0 6px}h3{font-size:15px;margin:14px 0 4px}
code,.strip,.name{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
code{font-size:12.5px;background:#f0f0f0;padding:0 3px;border-radius:3px;overflow-wrap:anywhere}
.verdict{border-left:8px solid;padding:14px 18px;background:#fff;border-radius:6px;margin-bottom:16px;box-shadow:0 1px 2px #0001}
.verdict.v-reused{border-color:var(--red)}.verdict.v-inconclusive{border-color:var(--amber)}.verdict.v-independent{border-color:var(--green)}
.sentence{font-size:16px;margin:6px 0}
.badge{display:inline-block;font-weight:700;color:#fff;border-radius:4px;padding:2px 8px;font-size:13px;letter-spacing:.03em;vertical-align:1px}
.badge.small{font-size:11px;padding:1px 6px}
.badge.v-reused{background:var(--red)}.badge.v-inconclusive{background:var(--amber)}.badge.v-independent{background:var(--green)}
.v-reused-fill{fill:var(--red)}.v-inconclusive-fill{fill:var(--amber)}.v-independent-fill{fill:var(--green)}
.muted,.meta{color:var(--muted)}.k{color:var(--muted)}
.card,.reference{background:#fff;border:1px solid var(--line);border-radius:6px;padding:14px 18px;margin:14px 0}
.component{border-top:1px solid var(--line);margin-top:12px;padding-top:4px}
.rule{margin:4px 0 8px}
.error{color:var(--red);font-weight:600}
.facts>div{margin:2px 0}.share-bar{vertical-align:-3px}
.strip{font-size:16px;letter-spacing:1px;white-space:nowrap}
.figures{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start;margin:10px 0}
.trap-pair{display:inline-flex;padding:8px 12px;background:#fff8e6;border:1px dashed #e0b050;border-radius:6px}
figure{margin:0;max-width:580px}figcaption{font-size:12.5px;color:#444;max-width:440px;margin-bottom:4px}
svg text{font-family:system-ui,"DejaVu Sans",sans-serif}
svg .tick{font-size:10.5px;fill:#555}svg .axis-title{font-size:11px;fill:#333}svg .legend{font-size:11px;fill:#333}svg .cell-text{font-size:10px}
svg .diag{fill:none;stroke:#111;stroke-width:1.2;stroke-dasharray:3 2}
svg .out-of-band{fill:none;stroke:#000;stroke-width:2.2}svg .thin{stroke-width:1}svg .diag.thin{stroke-dasharray:none;stroke:#555}
svg .band-mark{fill:none;stroke:#000;stroke-width:1.5}
svg .null-band{fill:#8a8a8a;fill-opacity:.28;stroke:#8a8a8a;stroke-width:.5}
svg .grid{stroke:#eee}svg .zero{stroke:#bbb}
svg .threshold{stroke:var(--red);stroke-dasharray:5 4;stroke-width:1}
svg .median-line{fill:none;stroke:#333;stroke-width:1.6}
svg .dot{fill:#9a9a9a}svg .dot.hit{fill:var(--red);fill-opacity:.7}
svg .point{stroke:#fff;stroke-width:1.2}
svg .s-reused{fill:var(--red)}svg .s-partial{fill:var(--amber)}svg .s-clear{fill:var(--green)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:12.5px;background:#fff}
th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
th{position:sticky;top:0;background:#f3f3f3;cursor:pointer;user-select:none;white-space:nowrap}
th[data-dir=asc]::after{content:" \u25B2"}th[data-dir=desc]::after{content:" \u25BC"}
td.num,.tensors-table td:nth-child(3),.tensors-table td:nth-child(6),.tensors-table td:nth-child(7),.tensors-table td:nth-child(8),.tensors-table td:nth-child(9){text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.tensors-table td:nth-child(10){text-align:right;font-variant-numeric:tabular-nums}td.name{overflow-wrap:break-word;min-width:120px;max-width:330px}td.transform{max-width:160px}.tensors-table{width:100%}td.same{color:#999}
td.notes{color:#555;min-width:160px;max-width:300px;font-size:11.5px;overflow-wrap:break-word}
tr.hit td{background:#fdecea}tr.minor td{color:#888}tr.unread td{background:#fff4d6}
details summary{cursor:pointer;color:#333;margin:6px 0}
.overview td{vertical-align:top}.overview code{white-space:nowrap}.overview .strip{font-size:14px}
footer{color:var(--muted);font-size:12px;margin-top:20px}
`;
var SCRIPT = `
for (const th of document.querySelectorAll("table.sortable th")) {
  const sort = () => {
    const table = th.closest("table"), body = table.tBodies[0], i = th.cellIndex;
    const dir = th.dataset.dir === "desc" ? "asc" : "desc";
    for (const h of table.querySelectorAll("th")) delete h.dataset.dir;
    th.dataset.dir = dir;
    const numeric = th.dataset.type === "num", s = dir === "asc" ? 1 : -1;
    const key = (tr) => { const td = tr.cells[i]; const v = td.dataset.v ?? td.textContent; return numeric ? (v === "" ? NaN : Number(v)) : v; };
    const rows = [...body.rows].sort((a, b) => {
      const x = key(a), y = key(b);
      if (!numeric) return s * x.localeCompare(y);
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
      return Number.isNaN(y) ? -1 : s * (x - y);
    });
    body.append(...rows);
  };
  th.addEventListener("click", sort);
  th.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sort(); } });
}
`;
function renderHtml(report, opts = {}) {
  resetFigureIds();
  const c = report.candidate;
  const th = report.thresholds;
  const body = [];
  body.push(`<header class="verdict v-${report.verdict}">`);
  body.push(`<h1>${badge(report.verdict)} fromscratch: <span class="src">${e(c.source)}</span></h1>`);
  body.push(`<p class="sentence">${e(verdictSentence(report))}</p>`);
  body.push(`<p><span class="k">gate</span> ${e(report.gate.rule)}${report.gate.failed ? " <strong>(failed)</strong>" : ""}</p>`);
  if (report.error) body.push(`<p class="error">The run stopped early (${e(report.error.kind)}, exit code ${report.error.exitCode}): ${e(report.error.message)}</p>`);
  body.push(`</header>`);
  body.push(`<section class="card">`);
  body.push(
    `<p><span class="k">candidate</span> <code>${e(c.source)}</code> \xB7 <span class="k">revision</span> <code>${c.revision ? e(c.revision) : "local files (no revision)"}</code> \xB7 ${fmtInt(c.parameters)} parameters${c.components.length ? ` (${c.components.map((x) => `${e(x.name)} ${fmtInt(x.parameters)}`).join(", ")})` : ""}</p>`
  );
  body.push(
    `<p class="muted">${e(decisionRule(th, report.family))} Strips: ${e(STRIP_LEGEND)}.</p>`
  );
  body.push(overview(report));
  body.push(`</section>`);
  report.references.forEach((r, ri) => body.push(referenceSection(r, report, ri)));
  body.push(
    `<footer>fromscratch ${e(report.tool.version)} \xB7 schema ${report.schemaVersion} \xB7 ${fmtInt(report.bytesRead)} bytes read in ${report.seconds.toFixed(1)} s \xB7 fail-on ${e(report.failOn)}${opts.reportPath ? ` \xB7 JSON report <code>${e(opts.reportPath)}</code>` : ""} \xB7 this file is self-contained and loads nothing.</footer>`
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fromscratch: ${VERDICT_LABEL[report.verdict]}: ${e(c.source)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.join("\n")}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

// src/report/markdown.ts
var SUMMARY_MAX_BYTES = 1e6;
var SUMMARY_NAME_MAX = 120;
var STRIP_MAX_LAYERS = 160;
function askFor(what, entry) {
  if (entry === "action") return what === "html" ? "input `html-report`" : "input `report-path`";
  return what === "html" ? "`--html FILE`" : "`--report FILE`";
}
function escapeCell(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "&#124;").replace(/`/g, "&#96;").replace(/\*/g, "&#42;").replace(/_/g, "&#95;").replace(/\[/g, "&#91;").replace(/\]/g, "&#93;").replace(/[\r\n]+/g, " ");
}
function name(s, max = SUMMARY_NAME_MAX) {
  return escapeCell(s.length > max ? `\u2026${s.slice(-(max - 1))}` : s);
}
var ICON = { reused: "\u{1F534}", inconclusive: "\u{1F7E1}", independent: "\u{1F7E2}" };
function stripCell(c) {
  const s = strip(c, { maxLayers: STRIP_MAX_LAYERS });
  return s ? `\`${s}\`` : "\u2013";
}
function overviewRow(r) {
  const comps = r.components.map((c) => `${ICON[c.verdict]} ${escapeCell(c.name)} ${fmtPct(c.share)} ${stripCell(c)}`).join("<br>");
  const top = r.components.flatMap((c) => strongest(c, 1)).sort((a, b) => Math.abs(b.z) - Math.abs(a.z))[0];
  const topCell = top ? `${name(top.candidate, 80)} (p ${fmtP(top.log10p)}, r ${fmtR(top.pearson)})` : "\u2013";
  const notes = referenceNotes(r);
  return `| ${name(r.source, 80)} | ${r.license ? name(r.license, 40) : "unknown"} | ${r.revision ? `<code>${escapeCell(r.revision.slice(0, 12))}</code>` : "local"} | ${ICON[r.verdict]} ${r.verdict}${notes.length ? ` (${escapeCell(notes.join("; "))})` : ""} | ${comps || (r.error ? name(r.error.message, 160) : "\u2013")} | ${topCell} |`;
}
function pointer(opts) {
  const files = [];
  if (opts.htmlPath) files.push(`the HTML report <code>${escapeCell(opts.htmlPath)}</code> (layer \xD7 layer heatmaps, per-layer Pearson against the null band, every compared tensor, sortable)`);
  if (opts.reportPath) files.push(`the JSON report <code>${escapeCell(opts.reportPath)}</code>`);
  const ask = opts.htmlPath ? "" : ` For heatmaps of candidate \xD7 reference layers and every compared tensor, ask for the HTML report (${askFor("html", opts.entry)}).`;
  if (!files.length) {
    return `**Full evidence:** in the JSON report (${askFor("report", opts.entry)}) and the HTML report with heatmaps and every compared tensor (${askFor("html", opts.entry)}); an \`actions/upload-artifact\` step (as in the fromscratch README's workflow) keeps them with the run.`;
  }
  return `**Full evidence:** ${files.join(" and ")}, written to the workspace. Nothing is uploaded unless the workflow asks: an \`actions/upload-artifact\` step (as in the fromscratch README's workflow) puts ${files.length > 1 ? "them" : "it"} under this run's Artifacts.${ask}`;
}
function renderMarkdown(report, opts = {}) {
  const parts = headParts(report);
  const tail = `
${pointer(opts)}

_${fmtInt(report.bytesRead)} bytes read in ${report.seconds.toFixed(1)} s \xB7 fromscratch ${report.tool.version}._
`;
  if (report.references.length) parts.push(...overviewTable(report, Buffer.byteLength(parts.join("\n") + tail + TRUNCATED) + 2e3));
  const body = [];
  let bodyBytes = 0;
  for (const r of report.references) {
    if (bodyBytes > SUMMARY_MAX_BYTES) break;
    const section = referenceSection2(r);
    body.push(...section);
    for (const line of section) bodyBytes += Buffer.byteLength(line) + 1;
  }
  return capped(parts.join("\n"), body, tail);
}
var TRUNCATED = `
> Summary truncated to stay under GitHub's 1 MiB limit; every reference is in the HTML and JSON reports.
`;
function headParts(report) {
  const c = report.candidate;
  const parts = [
    `## fromscratch: ${ICON[report.verdict]} ${report.verdict.toUpperCase()}
`,
    `**Verdict:** ${escapeCell(verdictSentence(report))}
`,
    `**Gate:** ${escapeCell(report.gate.rule)}.
`,
    `Candidate <code>${name(c.source)}</code>${c.revision ? ` @ <code>${escapeCell(c.revision)}</code>` : ""}: ${fmtInt(c.parameters)} parameters` + (c.components.length ? ` (${c.components.map((x) => `${escapeCell(x.name)} ${fmtInt(x.parameters)}`).join(", ")})` : "") + ".\n"
  ];
  if (report.error) parts.push(`> **Error:** ${name(report.error.message, 500)}
`);
  parts.push(`${escapeCell(decisionRule(report.thresholds, report.family))}
`);
  return parts;
}
function overviewTable(report, usedBytes) {
  const rows = [];
  let used = usedBytes;
  let cut = 0;
  for (const r of report.references) {
    if (cut) {
      cut++;
      continue;
    }
    const row = overviewRow(r);
    const b = Buffer.byteLength(row) + 1;
    if (used + b > SUMMARY_MAX_BYTES / 2) {
      cut++;
      continue;
    }
    used += b;
    rows.push(row);
  }
  const out = ["| reference | licence | revision | verdict | components: share matched, per-layer strip | top tensor |", "|---|---|---|---|---|---|", ...rows];
  if (cut) out.push(`
_${cut} more references not shown here (summary size limit)._`);
  out.push(`
<sub>Strips: ${escapeCell(STRIP_LEGEND)}.</sub>
`);
  return out;
}
function referenceSection2(r) {
  const body = [];
  const notes = referenceNotes(r);
  body.push(`### ${ICON[r.verdict]} <code>${name(r.source)}</code>: ${r.verdict}${notes.length ? ` (${escapeCell(notes.join("; "))})` : ""}
`);
  body.push(`Revision: ${r.revision ? `<code>${escapeCell(r.revision)}</code>` : "local files"} \xB7 Licence: ${r.license ? name(r.license, 80) : "unknown"}
`);
  const cache = cacheLine(r);
  if (cache) body.push(`<sub>Reference ${escapeCell(cache)}.</sub>
`);
  if (r.error) body.push(`> **Error:** ${name(r.error.message, 500)}
`);
  if (!r.components.length) return body;
  body.push("| component | verdict | matched share | median Pearson | per-layer | null mean \xB1 sd | strongest tensors |");
  body.push("|---|---|---|---|---|---|---|");
  for (const comp of r.components) {
    const top = strongest(comp, 3).map((t) => `${name(t.candidate)} (p ${fmtP(t.log10p)}, r ${fmtR(t.pearson)}${t.transform !== "none" ? `, ${alignmentWords(comp).one}: ${name(t.transform, 80)}` : ""}${t.identical ? `, ${identicalTag(t)}` : ""})`).join("<br>");
    body.push(
      `| ${escapeCell(comp.name)} | ${ICON[comp.verdict]} ${escapeCell(componentVerdictLabel(comp))} | ${fmtPct(comp.share)} of ${fmtInt(comp.candidateParameters)} | ${fmtR(comp.pearsonMedian)} | ${stripCell(comp)} | ${fmtNull(comp.null)} | ${top || "\u2013"} |`
    );
  }
  body.push("");
  for (const comp of r.components) {
    const ident = identicalLine(comp);
    body.push(`- **${escapeCell(comp.name)}**: ${name(comp.reason, 600)}${ident ? ` ${escapeCell(ident)}.` : ""}`);
  }
  body.push("");
  return body;
}
function capped(head, body, tail) {
  const text = head + "\n" + body.join("\n") + tail;
  if (Buffer.byteLength(text) <= SUMMARY_MAX_BYTES) return text;
  const lines = body.join("\n").split("\n");
  let kept = "";
  let size = Buffer.byteLength(head + tail + TRUNCATED) + 200;
  for (const l of lines) {
    const b = Buffer.byteLength(l) + 1;
    if (size + b > SUMMARY_MAX_BYTES) break;
    size += b;
    kept += l + "\n";
  }
  return `${head}
${kept}${TRUNCATED}${tail}`;
}

// src/report/text.ts
function pad(s, n2) {
  return s.length >= n2 ? s : s + " ".repeat(n2 - s.length);
}
var COLOR = { reused: "\x1B[1;31m", inconclusive: "\x1B[1;33m", independent: "\x1B[1;32m" };
var RESET2 = "\x1B[0m";
function clean(s) {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}
function renderText(report, opts = {}) {
  const color = opts.color === true;
  const paint = (v, s) => color ? `${COLOR[v]}${s}${RESET2}` : s;
  const out = [];
  const c = report.candidate;
  out.push(`fromscratch ${report.tool.version}: candidate ${clean(c.source)}${c.revision ? `@${clean(c.revision)}` : ""} (${fmtInt(c.parameters)} parameters)`);
  out.push(`verdict: ${paint(report.verdict, report.verdict.toUpperCase())} (${clean(report.gate.rule)})`);
  out.push(`  ${clean(verdictSentence(report, { errorsOnStderr: true }))}`);
  const th = report.thresholds;
  if (report.references.length) out.push(`rule: ${decisionRule(th, report.family)}`);
  out.push("");
  const header = ["reference / component", "verdict", "share", "median r", "p (corrected)", "effect", "matrices"];
  const widths2 = [34, 13, 8, 9, 16, 11, 10];
  const labels = report.references.flatMap((r) => r.components.map((x) => componentVerdictLabel(x).length + 1));
  widths2[1] = Math.max(widths2[1], ...labels);
  widths2[4] = Math.max(widths2[4], ...report.references.flatMap((r) => r.components.map((x) => fmtP(x.log10pCorrected).length + 1)));
  out.push(header.map((h, i) => pad(h, widths2[i])).join(" "));
  for (const r of report.references) {
    const notes = referenceNotes(r);
    out.push(
      `${clean(r.source)}${r.revision ? `@${clean(r.revision.slice(0, 12))}` : ""}${r.license ? ` [${clean(r.license)}]` : ""}: ${paint(r.verdict, r.verdict.toUpperCase())}${notes.length ? ` (${clean(notes.join("; "))})` : ""}`
    );
    if (r.error) out.push(`  could not complete (${clean(r.error.code ?? r.error.kind)} error${r.error.message === report.error?.message ? ", printed below" : `: ${clean(r.error.message)}`})`);
    const cache = cacheLine(r);
    if (cache) out.push(`  ${clean(cache)}`);
    for (const comp of r.components) {
      const inf = comp.tensors.filter((t) => t.informative && t.pearson !== null);
      const stand = comp.tensors.filter((t) => t.standsOut).length;
      const label = componentVerdictLabel(comp);
      const cells = [
        `  ${clean(comp.name)}`,
        label,
        fmtPct(comp.share),
        fmtR(comp.pearsonMedian),
        fmtP(comp.log10pCorrected),
        fmtR(comp.effect),
        `${stand}/${inf.length}`
      ];
      const row = cells.map((h, i) => pad(h, widths2[i])).join(" ").trimEnd();
      out.push(color ? row.replace(pad(label, widths2[1]), (m) => paint(comp.verdict, label) + m.slice(label.length)) : row);
      const s = strip(comp, { color });
      if (s) out.push(`      layers ${s}`);
      out.push(`      ${clean(comp.reason)}`);
      const ident = identicalLine(comp);
      if (ident) out.push(`      ${ident}`);
      if (comp.unreadTensors && comp.verdict === "reused") out.push(`      ${comp.unreadTensors} unread: ${clean(comp.tensors.find((t) => t.error)?.error ?? "")}`);
      if (comp.search && comp.search.status !== "not-run") out.push(`      search: ${clean(searchLine(comp.search))}`);
      for (const t of strongest(comp, 3)) {
        out.push(
          `      ${clean(t.candidate)} ~ ${clean(t.reference)}: p ${fmtP(t.log10p)}, effect ${fmtR(t.effect)}, r ${fmtR(t.pearson)}, cos ${fmtR(t.cosine)}${t.transform !== "none" ? `, ${clean(transformNote(t, comp))}` : ""}${t.identical ? `, ${identicalTag(t)}` : ""}`
        );
      }
    }
  }
  out.push("");
  if (report.references.some((r) => r.components.some((x) => strip(x)))) out.push(`layers: ${STRIP_LEGEND}`);
  if (opts.htmlPath) out.push(`HTML report: ${clean(opts.htmlPath)}`);
  out.push(`${fmtInt(report.bytesRead)} bytes read in ${report.seconds.toFixed(2)} s`);
  return out.join("\n") + "\n";
}

// src/sources/endpoint.ts
var DEFAULT_ENDPOINT = "https://huggingface.co";
function isLoopbackHost(hostname) {
  const h = hostname.toLowerCase();
  if (h === "localhost" || h === "[::1]" || h === "::1") return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((p) => Number(p) <= 255);
}
function isAllowedProtocol(url) {
  return url.protocol === "https:" || url.protocol === "http:" && isLoopbackHost(url.hostname);
}
function checkEndpoint(endpoint) {
  const given2 = endpoint.trim();
  let url;
  try {
    url = new URL(given2);
  } catch {
    throw new UsageError(`Hub endpoint ${JSON.stringify(given2)} is not a valid URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`Hub endpoint ${JSON.stringify(given2)} must be an https:// URL`);
  }
  if (!isAllowedProtocol(url)) {
    throw new UsageError(
      `Hub endpoint ${url.origin} uses plain http; only https is allowed (http is accepted for loopback hosts only: localhost, 127.0.0.0/8, ::1)`
    );
  }
  if (url.username || url.password) {
    throw new UsageError("Hub endpoint must not embed credentials; pass the token with --token / HF_TOKEN instead");
  }
  if (url.search || url.hash) throw new UsageError(`Hub endpoint ${url.origin} must not have a query or fragment`);
  return url.href.replace(/\/+$/, "");
}

// src/sources/hub-timings.ts
var DEFAULT_MAX_ATTEMPTS = 4;
var DEFAULT_RETRY_BASE_MS = 500;
var DEFAULT_NETWORK_TIMEOUT_MS = 6e4;
var MAX_NETWORK_TIMEOUT_MS = 36e5;
var DEFAULT_MAX_RETRY_MS = DEFAULT_NETWORK_TIMEOUT_MS;
var DEFAULT_STALL_MS = 3e4;
var RAISE_TIMEOUT_HINT = "raise --network-timeout";
function stallForBudget(budgetMs, attempts, capMs = DEFAULT_STALL_MS) {
  return Math.max(1, Math.min(capMs, Math.floor(budgetMs / Math.max(1, attempts))));
}
function formatSeconds(ms) {
  const s = ms / 1e3;
  if (Number.isInteger(s)) return String(s);
  return s < 10 ? String(Number(s.toFixed(2))) : String(Math.round(s));
}

// src/settings/read-options.ts
import { parseArgs } from "node:util";

// src/settings/options.ts
var inMatrix = (field) => `In a matrix: matrix.${field}.`;
var OPTIONS = {
  mode: {
    type: "string",
    modes: ["check", "plan", "merge"],
    default: "check",
    help: 'check: compare the candidate with every reference and gate on the verdict; plan: list headers only, split the references into at most --shards shards of balanced bytes and give the job matrix {"include":[{shard, shards, references, positions, fingerprint, bytes}]}, with per reference and in total the parameters, the bytes a check reads and their time over a --link-mbs link; merge: combine the partial reports of one plan (every shard exactly once) into one report, one summary and one gate.',
    cli: { command: true },
    action: { input: "mode", default: "check", note: "plan sets the outputs matrix and fingerprint." }
  },
  candidate: {
    type: "string",
    modes: ["check", "plan"],
    help: "The model to check: a local directory (model.safetensors, or model.safetensors.index.json and its shards), a .safetensors file, or a Hub repo org/name[@revision] (also hf://org/name@revision). A path starting with ./, ../, / or ~ is local only.",
    required: ["check", "plan"],
    cli: { flag: "candidate", argument: "SOURCE" },
    action: { input: "candidate", note: "A path is relative to the workspace." }
  },
  references: {
    type: "list",
    modes: ["check", "plan"],
    help: "The reference open models, in the forms --candidate takes. At least one, here or in --references-file, is required for check and plan.",
    cli: { flag: "reference", argument: "SOURCE", note: "Repeat the flag for each (a comma-separated list works too)." },
    action: { input: "references", note: "Newline- or comma-separated. In a matrix: matrix.references." }
  },
  referencesFile: {
    type: "string",
    modes: ["check", "plan"],
    help: "A file of references, one per line in the forms --candidate takes; blank lines and # comments allowed. They come after the --reference ones; a reference listed twice is compared once (with a note). Not for a shard's check, which takes its matrix entry's references.",
    cli: { flag: "references-file", argument: "FILE", note: "A relative FILE is read from the working directory." },
    action: { input: "references-file", note: "A relative path is read from the workspace." }
  },
  reports: {
    type: "list",
    modes: ["merge"],
    required: ["merge"],
    help: "The partial reports of every shard of one plan: files, directories or globs (e.g. reports/*.json). Merge refuses (exit 2) other plans, candidates or revisions, and missing or duplicated shards.",
    cli: { positionals: "REPORT.json|DIR|GLOB ..." },
    action: { input: "reports", note: "Newline-separated." }
  },
  reportPath: {
    type: "string",
    modes: ["check", "merge"],
    help: "Where to write the JSON report.",
    cli: { flag: "report", argument: "FILE" },
    action: { input: "report-path", default: "fromscratch-report.json" }
  },
  htmlPath: {
    type: "string",
    modes: ["check"],
    help: "Where to write the self-contained HTML report (heatmaps, per-layer lines, every compared tensor; it loads nothing), e.g. fromscratch-report.html; none unless set.",
    cli: { flag: "html", argument: "FILE" },
    action: { input: "html-report", note: "Nothing is uploaded; add an actions/upload-artifact step to keep it." }
  },
  summaryPath: {
    type: "string",
    modes: ["merge"],
    help: "Where to write the merged report's markdown summary; none unless set.",
    cli: { flag: "summary", argument: "FILE" }
  },
  format: {
    type: "string",
    modes: ["check", "merge"],
    default: "text",
    help: "What stdout shows: the text report (per-layer strips, in colour only when stdout is a terminal and NO_COLOR is unset), the JSON report, or the markdown summary.",
    cli: { flag: "format", argument: "text|json|markdown" }
  },
  failOn: {
    type: "string",
    modes: ["check", "merge"],
    default: "reused",
    help: "When the gate fails: reused, when any reference is reused; inconclusive, also when the check cannot decide; never. Merge gates on reused unless told otherwise, whatever the shards ran with.",
    cli: { flag: "fail-on", argument: "reused|inconclusive|never" },
    action: { input: "fail-on", default: "reused" }
  },
  endpoint: {
    type: "string",
    modes: ["check", "plan"],
    default: "https://huggingface.co",
    help: "The Hub endpoint: https, or plain http on loopback hosts only (localhost, 127.0.0.0/8, ::1).",
    cli: { flag: "endpoint", argument: "URL", env: "HF_ENDPOINT" },
    action: { input: "endpoint", env: "HF_ENDPOINT" }
  },
  token: {
    type: "string",
    modes: ["check", "plan"],
    help: "Hugging Face token for gated or private repos; sent only to the endpoint's origin, never to the CDN a download redirects to.",
    cli: { flag: "token", argument: "TOKEN", env: "HF_TOKEN" },
    action: { input: "hf-token", env: "HF_TOKEN", secret: true, note: "Masked in the log." }
  },
  components: {
    type: "string",
    modes: ["check", "plan"],
    help: 'Override component detection: name=glob,glob;name=glob (e.g. "vision=model.vision_model.*;language=model.language_model.*").',
    cli: { flag: "components", argument: "SPEC" },
    action: { input: "components" }
  },
  level: {
    type: "string",
    modes: ["check"],
    default: "1e-6",
    help: "A component is reused when its combined p-value, corrected over every component x reference, is at most this; between it and 1e-3, inconclusive.",
    cli: { flag: "level", argument: "P" },
    action: { input: "level" }
  },
  minEffect: {
    type: "string",
    modes: ["check"],
    default: "0.05",
    help: "A component is reused only when its strongest tensor's effect (Pearson of standardised units) is at least this.",
    cli: { flag: "min-effect", argument: "X" },
    action: { input: "min-effect" }
  },
  minShare: {
    type: "string",
    modes: ["check"],
    default: "0",
    help: "A component is reused only when its tensors with evidence on their own cover at least this share of its parameters (0: any share; partial reuse is reuse).",
    cli: { flag: "min-share", argument: "X" },
    action: { input: "min-share" }
  },
  sample: {
    type: "string",
    modes: ["check", "plan"],
    default: "auto",
    help: "The fraction (0, 1] of each large matrix's rows to read (deterministic chunks), exact, or auto: exact up to 4 GiB compared per reference, sampled down to ~1 GiB above.",
    cli: { flag: "sample", argument: "FRACTION|exact|auto" },
    action: { input: "sample" }
  },
  concurrency: {
    type: "string",
    modes: ["check", "plan"],
    default: "4",
    help: "Read-ahead per remote model: up to N x 2 MiB of coalesced 4 MiB spans (one ranged request each) fetched ahead of the comparison, and blocks in flight per side, so transfers overlap computation (1-64).",
    cli: { flag: "concurrency", argument: "N" },
    action: { input: "concurrency" }
  },
  networkTimeout: {
    type: "string",
    modes: ["check", "plan"],
    default: "60",
    help: "Seconds one Hub request may take, all its attempts and the waits between them included, without an answer (or a download without a byte) before the run gives up with exit code 3 (could not fetch); at most 3600. Each attempt is dropped after min(30 s, timeout / 4) of silence.",
    cli: { flag: "network-timeout", argument: "SECONDS", env: "FROMSCRATCH_NETWORK_TIMEOUT" },
    action: { input: "network-timeout" }
  },
  cacheDir: {
    type: "string",
    modes: ["check"],
    help: "The reference cache: Hub references' headers and sampled rows per repo@sha, so a second sampled run fetches nothing from them.",
    cli: { flag: "cache-dir", argument: "DIR", env: "FROMSCRATCH_CACHE_DIR" },
    action: { input: "cache-dir", note: "Default: RUNNER_TOOL_CACHE/fromscratch (persists on self-hosted runners; on GitHub-hosted runners see actions-cache)." }
  },
  actionsCache: {
    type: "string",
    modes: ["check"],
    default: "auto",
    help: "Carry each Hub reference's cache entry (key fromscratch-ref-v1-<org_name>@<sha>) between jobs through GitHub's cache service (@actions/cache): restored before the reference is read, saved after it is compared when the run added to it. auto: on GitHub-hosted runners, where the tool cache starts empty; true: on any runner with the cache service; false: never. A failing cache service is a warning, never a failed step.",
    action: { input: "actions-cache", default: "auto" }
  },
  quiet: {
    type: "boolean",
    modes: ["check", "plan", "merge"],
    help: "No progress or info lines (warnings and errors still print).",
    cli: { flag: "quiet" }
  },
  shards: {
    type: "string",
    modes: ["plan", "check"],
    required: ["plan"],
    help: "plan: the most shards to make (1-256, GitHub's matrix limit; fewer when there are fewer references). check: the plan's shard count, when --shard gives only K.",
    cli: { flag: "shards", argument: "N" },
    action: { input: "shards", note: inMatrix("shards") }
  },
  shard: {
    type: "string",
    modes: ["check"],
    help: "Run one entry of a plan's job matrix: shard K of N (or K with --shards N), with --plan-fingerprint and --plan-positions; the report is a partial report for merge.",
    cli: { flag: "shard", argument: "K/N" },
    action: { input: "shard", note: inMatrix("shard") }
  },
  planFingerprint: {
    type: "string",
    modes: ["check"],
    help: "The plan's fingerprint (the 64 hex digits it printed), with --shard.",
    cli: { flag: "plan-fingerprint", argument: "F" },
    action: { input: "plan-fingerprint", note: inMatrix("fingerprint") }
  },
  planPositions: {
    type: "string",
    modes: ["check"],
    help: "The positions of this shard's references in the plan, with --shard.",
    cli: { flag: "plan-positions", argument: "I,J,..." },
    action: { input: "plan-positions", note: inMatrix("positions") }
  },
  linkMbs: {
    type: "string",
    modes: ["plan"],
    default: "100",
    help: "The link speed in MB/s (10^6 bytes per second) plan's time estimate assumes.",
    cli: { flag: "link-mbs", argument: "MBPS" },
    action: { input: "link-mbs" }
  },
  linkLatencyMs: {
    type: "string",
    modes: ["plan"],
    default: "20",
    help: "The wait in ms before the first byte of each ranged request that plan's time estimate assumes.",
    cli: { flag: "link-latency-ms", argument: "MS" },
    action: { input: "link-latency-ms" }
  },
  minPearson: {
    type: "string",
    modes: ["check"],
    help: "Schema 1's per-tensor Pearson threshold (0-1), kept in the report's thresholds.",
    cli: { flag: "min-pearson", argument: "X" },
    action: { input: "min-pearson" },
    deprecated: { reading: "read as --min-effect when --min-effect is not given", use: "minEffect" }
  },
  minZ: {
    type: "string",
    modes: ["check"],
    help: "Schema 1's per-tensor normal-score threshold, kept in the report's thresholds.",
    cli: { flag: "min-z", argument: "Z" },
    action: { input: "min-z" },
    deprecated: { reading: "read as --level 2\xB7P(N > Z), the level of a two-sided normal score Z (--min-z 6 = --level 2e-9), when --level is not given", use: "level" }
  }
};
var optionEntries = () => Object.entries(OPTIONS);
var specOf = (key) => {
  const spec = OPTIONS[key];
  if (!spec) throw new Error(`no option ${JSON.stringify(key)} in the table`);
  return spec;
};

// src/settings/read-options.ts
function flagOf(spec) {
  return spec.cli && "flag" in spec.cli ? spec.cli.flag : null;
}
function flagsOf(mode) {
  const flags = {};
  for (const [, spec] of optionEntries()) {
    const flag = flagOf(spec);
    if (flag === null || !spec.modes.includes(mode)) continue;
    flags[flag] = spec.type === "boolean" ? { type: "boolean" } : spec.type === "list" ? { type: "string", multiple: true } : { type: "string" };
  }
  return flags;
}
function set(raw, key, value) {
  if (value !== void 0) raw[key] = value;
}
function typed(spec, v) {
  if (spec.type === "boolean") return typeof v === "boolean" ? v : void 0;
  if (spec.type === "list") return Array.isArray(v) ? v.filter((x) => typeof x === "string") : void 0;
  return typeof v === "string" ? v : void 0;
}
function readArgv(mode, args, env, opts = {}) {
  const strict = opts.strict ?? true;
  const takesPositionals = optionEntries().some(([, s]) => s.modes.includes(mode) && s.cli !== void 0 && "positionals" in s.cli);
  let parsed;
  try {
    parsed = parseArgs({ args, strict, allowPositionals: takesPositionals || !strict, options: flagsOf(mode) });
  } catch (e2) {
    throw new UsageError(e2.message);
  }
  const raw = { mode };
  for (const [key, spec] of optionEntries()) {
    if (!spec.cli || !spec.modes.includes(mode)) continue;
    if ("positionals" in spec.cli) set(raw, key, parsed.positionals);
    else if ("flag" in spec.cli) set(raw, key, typed(spec, parsed.values[spec.cli.flag]) ?? (spec.cli.env ? env[spec.cli.env] : void 0));
  }
  return raw;
}
function deprecationsIn(raw) {
  const warnings = [];
  for (const [key, spec] of optionEntries()) {
    const value = raw[key];
    if (!spec.deprecated || value === void 0 || value === false || typeof value === "string" && value.trim() === "") continue;
    const use = flagOf(specOf(spec.deprecated.use));
    warnings.push(`--${flagOf(spec)} is deprecated: ${spec.deprecated.reading}; use --${use} instead`);
  }
  return warnings;
}
function splitList(s) {
  return s.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
}

// src/settings/references-file.ts
import { readFileSync } from "node:fs";
import path5 from "node:path";
function withoutComment(line) {
  const m = /(^|[ \t])#/.exec(line);
  return m ? line.slice(0, m.index) : line;
}
function parseReferencesText(text, label) {
  const out = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, i) => {
    const source = withoutComment(raw).trim();
    if (source === "") return;
    if (/[\s,]/.test(source)) {
      throw new UsageError(
        `--references-file ${label}, line ${i + 1}: one reference per line (got ${JSON.stringify(source)}); put each on its own line, and start comments with #`,
        "usage.bad-value"
      );
    }
    out.push({ source, line: i + 1 });
  });
  return out;
}
function readReferencesFile(file, opts) {
  const given2 = file.trim();
  const abs = path5.resolve(opts.baseDir, given2);
  const where = abs === given2 ? given2 : `${given2} (${abs})`;
  let text;
  try {
    text = (opts.readText ?? ((p) => readFileSync(p, "utf8")))(abs);
  } catch (e2) {
    const code = e2?.code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "permission denied" : e2?.message ?? String(e2);
    throw new UsageError(`--references-file ${where}: ${why}`, "usage.bad-value");
  }
  return parseReferencesText(text, given2);
}
function mergeReferences(listed2, fromFile, file) {
  const seen = /* @__PURE__ */ new Set();
  const references = [];
  const notes = [];
  const add = (source, where) => {
    if (seen.has(source)) {
      notes.push(`reference ${source} is listed more than once (again ${where}); it is compared once`);
      return;
    }
    seen.add(source);
    references.push(source);
  };
  for (const s of listed2) add(s, "in --reference");
  for (const r of fromFile) add(r.source, `in --references-file ${file ?? ""}, line ${r.line}`);
  return { references, notes };
}

// src/settings/settings.ts
var MAX_SHARDS = 256;
var DEFAULT_CONCURRENCY = 4;
var MAX_CONCURRENCY = 64;
var MAX_HEADER_LISTINGS = 8;
var DEFAULT_LINK_MBS = 100;
var DEFAULT_LINK_LATENCY_MS = 20;
var given = (s) => s !== void 0 && s.trim() !== "";
function oneOf(name2, value, allowed, dflt) {
  if (!given(value)) return dflt;
  const v = value.trim();
  if (!allowed.includes(v)) throw new UsageError(`${name2} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`, "usage.bad-value");
  return v;
}
function number(name2, value, dflt, { min, max }) {
  if (!given(value)) return dflt;
  const v = Number(value.trim());
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new UsageError(`${name2} must be a number between ${min} and ${max} (got ${JSON.stringify(value)})`, "usage.bad-value");
  }
  return v;
}
function parseThresholds(raw) {
  const minPearson = number("--min-pearson", raw.minPearson, DEFAULT_THRESHOLDS.minPearson, { min: 0, max: 1 });
  const minZ = number("--min-z", raw.minZ, DEFAULT_THRESHOLDS.minZ, { min: 0, max: 1e6 });
  const levelFromZ = given(raw.minZ) ? 10 ** twoSidedNormalLog10(minZ) : DEFAULT_THRESHOLDS.level;
  const level = number("--level", raw.level, levelFromZ, { min: Number.MIN_VALUE, max: 0.5 });
  return {
    minPearson,
    minZ,
    minShare: number("--min-share", raw.minShare, DEFAULT_THRESHOLDS.minShare, { min: 0, max: 1 }),
    level,
    reviewLevel: Math.max(level, DEFAULT_THRESHOLDS.reviewLevel),
    minEffect: number("--min-effect", raw.minEffect, given(raw.minPearson) ? minPearson : DEFAULT_THRESHOLDS.minEffect, { min: 0, max: 1 })
  };
}
function parseNetworkTimeout(value) {
  if (!given(value)) return DEFAULT_NETWORK_TIMEOUT_MS;
  const v = Number(value.trim());
  const max = MAX_NETWORK_TIMEOUT_MS / 1e3;
  if (!/^\s*[0-9.eE+]+\s*$/.test(value) || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new UsageError(`--network-timeout must be a number of seconds, above 0 and at most ${max} (got ${JSON.stringify(value)})`, "usage.bad-value");
  }
  return Math.round(v * 1e3);
}
function parseSample(value) {
  if (!given(value) || value.trim() === "auto") return null;
  if (value.trim() === "exact") return 1;
  const v = Number(value.trim());
  if (!Number.isFinite(v) || v <= 0 || v > 1) {
    throw new UsageError(`--sample must be a fraction in (0, 1], "exact" or "auto" (got ${JSON.stringify(value)})`, "usage.bad-value");
  }
  return v;
}
function readConcurrency(value) {
  const n2 = number("--concurrency", value, DEFAULT_CONCURRENCY, { min: 1, max: MAX_CONCURRENCY });
  return { blocksInFlight: n2, readAheadSpans: n2, headerListings: Math.max(1, Math.min(MAX_HEADER_LISTINGS, n2 * 2)) };
}
function parseComponentSpec(spec) {
  const rules = [];
  for (const part of spec.split(";").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    const name2 = eq > 0 ? part.slice(0, eq).trim() : "";
    const globs = eq > 0 ? part.slice(eq + 1).split(",").map((g) => g.trim()).filter(Boolean) : [];
    if (!/^[A-Za-z0-9_-]+$/.test(name2) || globs.length === 0) {
      throw new UsageError(
        `--components: ${JSON.stringify(part)} is not name=glob[,glob] (e.g. "vision=model.vision_model.*;language=model.language_model.*")`,
        "usage.bad-value"
      );
    }
    rules.push({ name: name2, globs });
  }
  if (rules.length === 0) throw new UsageError("--components is empty", "usage.bad-value");
  return rules;
}
function parseEndpoint(value) {
  if (!given(value)) return DEFAULT_ENDPOINT;
  try {
    return checkEndpoint(value.trim());
  } catch (e2) {
    if (e2 instanceof UsageError && e2.code === "usage") throw new UsageError(e2.message, "usage.bad-value");
    throw e2;
  }
}
function parseShardCount(value) {
  const v = value === void 0 || value.trim() === "" ? NaN : Number(value.trim());
  if (!Number.isInteger(v) || v < 1 || v > MAX_SHARDS) {
    throw new UsageError(
      `--shards must be an integer between 1 and ${MAX_SHARDS} (GitHub's matrix limit) (got ${JSON.stringify(value ?? "")})`,
      given(value) ? "usage.bad-value" : "usage.missing"
    );
  }
  return v;
}
function parseShardMark(raw, references) {
  if (!given(raw.shard) && !given(raw.fingerprint) && !given(raw.positions)) return null;
  if (!given(raw.shard) || !given(raw.fingerprint) || !given(raw.positions)) {
    throw new UsageError(
      "a shard's check needs --shard K/N, --plan-fingerprint and --plan-positions together (the values of one `fromscratch-weights plan` matrix entry)",
      "usage.missing"
    );
  }
  const m = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/.exec(raw.shard);
  const countText = m?.[2] ?? raw.shards;
  if (!m || !given(countText)) throw new UsageError(`--shard must be K/N, e.g. 0/4 (got ${JSON.stringify(raw.shard)})`, "usage.bad-value");
  const count2 = parseShardCount(countText);
  if (m[2] !== void 0 && given(raw.shards) && Number(raw.shards.trim()) !== count2) {
    throw new UsageError(`--shard ${raw.shard} disagrees with --shards ${raw.shards}`, "usage.bad-value");
  }
  const index = Number(m[1]);
  if (index >= count2) throw new UsageError(`--shard ${raw.shard}: the index must be below the shard count ${count2}`, "usage.bad-value");
  const fingerprint = raw.fingerprint.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) {
    throw new UsageError(`--plan-fingerprint must be the 64 hex digits a plan printed (got ${JSON.stringify(raw.fingerprint)})`, "usage.bad-value");
  }
  const parts = raw.positions.split(/[\s,]+/).filter(Boolean);
  const positions = parts.map(Number);
  if (positions.some((p) => !Number.isInteger(p) || p < 0) || new Set(positions).size !== positions.length) {
    throw new UsageError(`--plan-positions must be distinct non-negative integers, comma-separated (got ${JSON.stringify(raw.positions)})`, "usage.bad-value");
  }
  if (positions.length !== references.length) {
    throw new UsageError(`--plan-positions lists ${positions.length} positions for ${references.length} references`, "usage.bad-value");
  }
  return { index, count: count2, fingerprint, positions };
}
function parseFailOn(value) {
  if (!given(value)) return void 0;
  return oneOf("--fail-on", value, ["reused", "inconclusive", "never"], "reused");
}
function parseActionsCacheMode(raw) {
  const v = (raw ?? "").trim().toLowerCase() || "auto";
  if (v === "auto" || v === "true" || v === "false") return v;
  throw new UsageError(`input actions-cache must be auto, true or false (got ${JSON.stringify(raw)})`, "usage.bad-value");
}
function parseMode(value) {
  const mode = given(value) ? value.trim() : "check";
  if (mode === "check" || mode === "plan" || mode === "merge") return mode;
  throw new UsageError(`input mode must be check, plan or merge (got ${JSON.stringify(mode)})`, "usage.bad-value");
}
function parseCheck(raw, opts) {
  if (!given(raw.candidate)) throw new UsageError("a candidate is required (--candidate)", "usage.missing");
  const file = given(raw.referencesFile) ? raw.referencesFile.trim() : null;
  const fromFile = file === null ? [] : readReferencesFile(file, { baseDir: opts.referencesFile?.baseDir ?? process.cwd(), readText: opts.referencesFile?.readText });
  const { references, notes } = mergeReferences((raw.references ?? []).flatMap(splitList), fromFile, file);
  if (references.length === 0) {
    throw new UsageError(`at least one reference is required (--reference or --references-file${file === null ? "" : `; ${file} lists none`})`, "usage.missing");
  }
  const endpoint = parseEndpoint(raw.endpoint);
  const settings = {
    mode: "check",
    candidate: raw.candidate.trim(),
    references,
    reportPath: given(raw.reportPath) ? raw.reportPath.trim() : null,
    htmlPath: given(raw.htmlPath) ? raw.htmlPath.trim() : null,
    format: oneOf("--format", raw.format, ["text", "json", "markdown"], "text"),
    failOn: oneOf("--fail-on", raw.failOn, ["reused", "inconclusive", "never"], "reused"),
    endpoint,
    token: given(raw.token) ? raw.token.trim() : null,
    components: given(raw.components) ? parseComponentSpec(raw.components) : null,
    sample: parseSample(raw.sample),
    reads: readConcurrency(raw.concurrency),
    cacheDir: given(raw.cacheDir) ? raw.cacheDir.trim() : null,
    networkTimeoutMs: parseNetworkTimeout(raw.networkTimeout),
    thresholds: parseThresholds(raw),
    quiet: raw.quiet ?? false,
    notes,
    shard: null,
    actionsCache: "auto"
  };
  return settings;
}
function parseMerge(raw, opts) {
  const format = oneOf("--format", raw.format, ["text", "json", "markdown"], "text");
  const reports = opts.entry === "action" ? (raw.reports ?? []).filter(given) : raw.reports ?? [];
  if (reports.length === 0) {
    throw new UsageError(
      opts.entry === "action" ? "mode: merge needs the input `reports` (files, directories or globs of the shards' partial reports)" : `usage: ${opts.command ?? "fromscratch"} merge [--report FILE] REPORT.json ... (the partial reports of every shard)`,
      "usage.missing"
    );
  }
  return {
    mode: "merge",
    reports,
    reportPath: given(raw.reportPath) ? raw.reportPath : null,
    summaryPath: given(raw.summaryPath) ? raw.summaryPath : null,
    format,
    failOn: parseFailOn(raw.failOn),
    quiet: raw.quiet ?? false
  };
}
function parseSettings(raw, opts = {}) {
  const mode = parseMode(raw.mode);
  if (mode === "merge") return parseMerge(raw, opts);
  if (mode === "check" && given(raw.referencesFile) && given(raw.shard)) {
    throw new UsageError("--references-file is for a whole check or a plan: a shard's check takes the references of its matrix entry (--reference, in a matrix: matrix.references)", "usage.bad-value");
  }
  const check = parseCheck(raw, opts);
  if (mode === "plan") {
    const { candidate, references, endpoint, token, components, sample, reads, networkTimeoutMs, quiet, notes } = check;
    const link = { mbPerSecond: number("--link-mbs", raw.linkMbs, DEFAULT_LINK_MBS, { min: 0, max: 1e6 }), latencyMs: number("--link-latency-ms", raw.linkLatencyMs, DEFAULT_LINK_LATENCY_MS, { min: 0, max: 6e4 }) };
    if (link.mbPerSecond <= 0) throw new UsageError(`--link-mbs must be above 0 (got ${JSON.stringify(raw.linkMbs)})`, "usage.bad-value");
    return { mode: "plan", candidate, references, endpoint, token, components, sample, reads, networkTimeoutMs, quiet, notes, shards: parseShardCount(raw.shards), link };
  }
  const shard = parseShardMark({ shard: raw.shard, shards: raw.shards, fingerprint: raw.planFingerprint, positions: raw.planPositions }, check.references);
  return { ...check, shard, actionsCache: parseActionsCacheMode(raw.actionsCache) };
}

// src/settings/render-options.ts
var MODES = ["check", "plan", "merge"];
var WIDTH = 100;
function wrap(text, width, indent, first = indent) {
  const lines = [];
  let line = first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const start = line === first || line === indent;
    if (!start && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line += (start ? "" : " ") + word;
  }
  lines.push(line);
  return lines;
}
function listModes(modes) {
  return modes.length < 2 ? modes.join("") : `${modes.slice(0, -1).join(", ")} and ${modes[modes.length - 1]}`;
}
function flagUsage(spec) {
  const cli = spec.cli;
  if (!cli || "command" in cli) return "";
  if ("positionals" in cli) return cli.positionals;
  return cli.argument ? `--${cli.flag} ${cli.argument}` : `--${cli.flag}`;
}
var deprecation = (spec, use) => spec.deprecated ? `Deprecated: ${spec.deprecated.reading}; use ${use} instead.` : "";
function helpEntry(spec) {
  const cli = spec.cli;
  if (!cli || "command" in cli) return [];
  const env = "flag" in cli && cli.env ? `$${cli.env}` : "";
  const dflt = env && spec.default ? `Default: ${env}, else ${spec.default}.` : env ? `Default: ${env}.` : spec.default ? `Default: ${spec.default}.` : "";
  const use = spec.deprecated ? `--${flagOf(specOf(spec.deprecated.use))}` : "";
  const text = [
    deprecation(spec, use),
    spec.help,
    spec.required ? `Required for ${listModes(spec.required)}.` : "",
    "flag" in cli ? cli.note ?? "" : "",
    dflt
  ];
  return [`  ${flagUsage(spec)}   (${spec.modes.join(", ")})`, ...wrap(text.filter(Boolean).join(" "), WIDTH, "      ")];
}
function synopsis(mode) {
  const entries2 = optionEntries().filter(([, s]) => s.modes.includes(mode) && s.cli && !("command" in s.cli) && !s.deprecated);
  const required = entries2.filter(([, s]) => s.required?.includes(mode)).map(([, s]) => flagUsage(s));
  const optional = entries2.filter(([, s]) => !s.required?.includes(mode) && s.cli && "flag" in s.cli).map(([, s]) => `[${flagUsage(s)}]`);
  const positional = entries2.filter(([, s]) => s.cli && "positionals" in s.cli && !s.required?.includes(mode)).map(([, s]) => flagUsage(s));
  const words = [...required, ...optional, ...positional].join(" ");
  const head = `  ${COMMAND} ${mode.padEnd(5)} `;
  return wrap(words.replace(/ (?=[^[\]]*\])/g, ""), WIDTH, " ".repeat(head.length), head).map((l) => l.replace(/\u0001/g, " "));
}
function renderHelp() {
  const options = optionEntries().filter(([, s]) => !s.deprecated);
  const retired = optionEntries().filter(([, s]) => s.deprecated);
  return [
    `fromscratch ${VERSION}: were these weights trained from scratch?`,
    "",
    "Usage:",
    ...MODES.flatMap(synopsis),
    `  ${COMMAND} examples DIR   write the deterministic example models (base, finetune, independent)`,
    "",
    ...wrap(OPTIONS.mode.help, WIDTH, "  "),
    "",
    "SOURCE: a local directory (model.safetensors or model.safetensors.index.json + shards),",
    "        a .safetensors file, or a Hub repo org/name[@revision] (also hf://org/name@revision).",
    "",
    "Options (the commands that take them):",
    ...options.flatMap(([, s]) => helpEntry(s)),
    "",
    "Retired options, still accepted with a warning:",
    ...retired.flatMap(([, s]) => helpEntry(s)),
    "",
    "Exit codes: 0 gate passed, 1 gate failed, 2 bad usage or bad model files, 3 could not fetch, 4 internal error.",
    ""
  ].join("\n");
}

// src/sources/parse-source.ts
import { existsSync as existsSync2 } from "node:fs";
import { homedir } from "node:os";
import path7 from "node:path";

// node_modules/gearhash-jit/dist/esm/wasm.js
var INPUT_OFFSET = 4096;
var PAGES = 8;
var MAX_INPUT_SIZE = PAGES * 65536 - INPUT_OFFSET;

// node_modules/@huggingface/blake3-jit/dist/esm/compress.js
function compress(cv, cvOff, block, blockOff, out, outOff, full, counter, blockLen, flags) {
  let m0 = block[blockOff] | 0;
  let m1 = block[blockOff + 1] | 0;
  let m2 = block[blockOff + 2] | 0;
  let m3 = block[blockOff + 3] | 0;
  let m4 = block[blockOff + 4] | 0;
  let m5 = block[blockOff + 5] | 0;
  let m6 = block[blockOff + 6] | 0;
  let m7 = block[blockOff + 7] | 0;
  let m8 = block[blockOff + 8] | 0;
  let m9 = block[blockOff + 9] | 0;
  let m10 = block[blockOff + 10] | 0;
  let m11 = block[blockOff + 11] | 0;
  let m12 = block[blockOff + 12] | 0;
  let m13 = block[blockOff + 13] | 0;
  let m14 = block[blockOff + 14] | 0;
  let m15 = block[blockOff + 15] | 0;
  let s0 = cv[cvOff] | 0;
  let s1 = cv[cvOff + 1] | 0;
  let s2 = cv[cvOff + 2] | 0;
  let s3 = cv[cvOff + 3] | 0;
  let s4 = cv[cvOff + 4] | 0;
  let s5 = cv[cvOff + 5] | 0;
  let s6 = cv[cvOff + 6] | 0;
  let s7 = cv[cvOff + 7] | 0;
  let s8 = 1779033703;
  let s9 = 3144134277;
  let s10 = 1013904242;
  let s11 = 2773480762;
  let s12 = counter | 0;
  let s13 = counter / 4294967296 | 0;
  let s14 = blockLen | 0;
  let s15 = flags | 0;
  s0 = (s0 + s4 | 0) + m0 | 0;
  s12 ^= s0;
  s12 = s12 >>> 16 | s12 << 16;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 12 | s4 << 20;
  s0 = (s0 + s4 | 0) + m1 | 0;
  s12 ^= s0;
  s12 = s12 >>> 8 | s12 << 24;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 7 | s4 << 25;
  s1 = (s1 + s5 | 0) + m2 | 0;
  s13 ^= s1;
  s13 = s13 >>> 16 | s13 << 16;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 12 | s5 << 20;
  s1 = (s1 + s5 | 0) + m3 | 0;
  s13 ^= s1;
  s13 = s13 >>> 8 | s13 << 24;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 7 | s5 << 25;
  s2 = (s2 + s6 | 0) + m4 | 0;
  s14 ^= s2;
  s14 = s14 >>> 16 | s14 << 16;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 12 | s6 << 20;
  s2 = (s2 + s6 | 0) + m5 | 0;
  s14 ^= s2;
  s14 = s14 >>> 8 | s14 << 24;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 7 | s6 << 25;
  s3 = (s3 + s7 | 0) + m6 | 0;
  s15 ^= s3;
  s15 = s15 >>> 16 | s15 << 16;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 12 | s7 << 20;
  s3 = (s3 + s7 | 0) + m7 | 0;
  s15 ^= s3;
  s15 = s15 >>> 8 | s15 << 24;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 7 | s7 << 25;
  s0 = (s0 + s5 | 0) + m8 | 0;
  s15 ^= s0;
  s15 = s15 >>> 16 | s15 << 16;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 12 | s5 << 20;
  s0 = (s0 + s5 | 0) + m9 | 0;
  s15 ^= s0;
  s15 = s15 >>> 8 | s15 << 24;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 7 | s5 << 25;
  s1 = (s1 + s6 | 0) + m10 | 0;
  s12 ^= s1;
  s12 = s12 >>> 16 | s12 << 16;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 12 | s6 << 20;
  s1 = (s1 + s6 | 0) + m11 | 0;
  s12 ^= s1;
  s12 = s12 >>> 8 | s12 << 24;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 7 | s6 << 25;
  s2 = (s2 + s7 | 0) + m12 | 0;
  s13 ^= s2;
  s13 = s13 >>> 16 | s13 << 16;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 12 | s7 << 20;
  s2 = (s2 + s7 | 0) + m13 | 0;
  s13 ^= s2;
  s13 = s13 >>> 8 | s13 << 24;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 7 | s7 << 25;
  s3 = (s3 + s4 | 0) + m14 | 0;
  s14 ^= s3;
  s14 = s14 >>> 16 | s14 << 16;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 12 | s4 << 20;
  s3 = (s3 + s4 | 0) + m15 | 0;
  s14 ^= s3;
  s14 = s14 >>> 8 | s14 << 24;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 7 | s4 << 25;
  {
    const t0 = m0, t1 = m1;
    m0 = m2;
    m2 = m3;
    m3 = m10;
    m10 = m12;
    m12 = m9;
    m9 = m11;
    m11 = m5;
    m5 = t0;
    m1 = m6;
    m6 = m4;
    m4 = m7;
    m7 = m13;
    m13 = m14;
    m14 = m15;
    m15 = m8;
    m8 = t1;
  }
  s0 = (s0 + s4 | 0) + m0 | 0;
  s12 ^= s0;
  s12 = s12 >>> 16 | s12 << 16;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 12 | s4 << 20;
  s0 = (s0 + s4 | 0) + m1 | 0;
  s12 ^= s0;
  s12 = s12 >>> 8 | s12 << 24;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 7 | s4 << 25;
  s1 = (s1 + s5 | 0) + m2 | 0;
  s13 ^= s1;
  s13 = s13 >>> 16 | s13 << 16;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 12 | s5 << 20;
  s1 = (s1 + s5 | 0) + m3 | 0;
  s13 ^= s1;
  s13 = s13 >>> 8 | s13 << 24;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 7 | s5 << 25;
  s2 = (s2 + s6 | 0) + m4 | 0;
  s14 ^= s2;
  s14 = s14 >>> 16 | s14 << 16;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 12 | s6 << 20;
  s2 = (s2 + s6 | 0) + m5 | 0;
  s14 ^= s2;
  s14 = s14 >>> 8 | s14 << 24;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 7 | s6 << 25;
  s3 = (s3 + s7 | 0) + m6 | 0;
  s15 ^= s3;
  s15 = s15 >>> 16 | s15 << 16;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 12 | s7 << 20;
  s3 = (s3 + s7 | 0) + m7 | 0;
  s15 ^= s3;
  s15 = s15 >>> 8 | s15 << 24;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 7 | s7 << 25;
  s0 = (s0 + s5 | 0) + m8 | 0;
  s15 ^= s0;
  s15 = s15 >>> 16 | s15 << 16;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 12 | s5 << 20;
  s0 = (s0 + s5 | 0) + m9 | 0;
  s15 ^= s0;
  s15 = s15 >>> 8 | s15 << 24;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 7 | s5 << 25;
  s1 = (s1 + s6 | 0) + m10 | 0;
  s12 ^= s1;
  s12 = s12 >>> 16 | s12 << 16;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 12 | s6 << 20;
  s1 = (s1 + s6 | 0) + m11 | 0;
  s12 ^= s1;
  s12 = s12 >>> 8 | s12 << 24;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 7 | s6 << 25;
  s2 = (s2 + s7 | 0) + m12 | 0;
  s13 ^= s2;
  s13 = s13 >>> 16 | s13 << 16;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 12 | s7 << 20;
  s2 = (s2 + s7 | 0) + m13 | 0;
  s13 ^= s2;
  s13 = s13 >>> 8 | s13 << 24;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 7 | s7 << 25;
  s3 = (s3 + s4 | 0) + m14 | 0;
  s14 ^= s3;
  s14 = s14 >>> 16 | s14 << 16;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 12 | s4 << 20;
  s3 = (s3 + s4 | 0) + m15 | 0;
  s14 ^= s3;
  s14 = s14 >>> 8 | s14 << 24;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 7 | s4 << 25;
  {
    const t0 = m0, t1 = m1;
    m0 = m2;
    m2 = m3;
    m3 = m10;
    m10 = m12;
    m12 = m9;
    m9 = m11;
    m11 = m5;
    m5 = t0;
    m1 = m6;
    m6 = m4;
    m4 = m7;
    m7 = m13;
    m13 = m14;
    m14 = m15;
    m15 = m8;
    m8 = t1;
  }
  s0 = (s0 + s4 | 0) + m0 | 0;
  s12 ^= s0;
  s12 = s12 >>> 16 | s12 << 16;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 12 | s4 << 20;
  s0 = (s0 + s4 | 0) + m1 | 0;
  s12 ^= s0;
  s12 = s12 >>> 8 | s12 << 24;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 7 | s4 << 25;
  s1 = (s1 + s5 | 0) + m2 | 0;
  s13 ^= s1;
  s13 = s13 >>> 16 | s13 << 16;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 12 | s5 << 20;
  s1 = (s1 + s5 | 0) + m3 | 0;
  s13 ^= s1;
  s13 = s13 >>> 8 | s13 << 24;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 7 | s5 << 25;
  s2 = (s2 + s6 | 0) + m4 | 0;
  s14 ^= s2;
  s14 = s14 >>> 16 | s14 << 16;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 12 | s6 << 20;
  s2 = (s2 + s6 | 0) + m5 | 0;
  s14 ^= s2;
  s14 = s14 >>> 8 | s14 << 24;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 7 | s6 << 25;
  s3 = (s3 + s7 | 0) + m6 | 0;
  s15 ^= s3;
  s15 = s15 >>> 16 | s15 << 16;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 12 | s7 << 20;
  s3 = (s3 + s7 | 0) + m7 | 0;
  s15 ^= s3;
  s15 = s15 >>> 8 | s15 << 24;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 7 | s7 << 25;
  s0 = (s0 + s5 | 0) + m8 | 0;
  s15 ^= s0;
  s15 = s15 >>> 16 | s15 << 16;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 12 | s5 << 20;
  s0 = (s0 + s5 | 0) + m9 | 0;
  s15 ^= s0;
  s15 = s15 >>> 8 | s15 << 24;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 7 | s5 << 25;
  s1 = (s1 + s6 | 0) + m10 | 0;
  s12 ^= s1;
  s12 = s12 >>> 16 | s12 << 16;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 12 | s6 << 20;
  s1 = (s1 + s6 | 0) + m11 | 0;
  s12 ^= s1;
  s12 = s12 >>> 8 | s12 << 24;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 7 | s6 << 25;
  s2 = (s2 + s7 | 0) + m12 | 0;
  s13 ^= s2;
  s13 = s13 >>> 16 | s13 << 16;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 12 | s7 << 20;
  s2 = (s2 + s7 | 0) + m13 | 0;
  s13 ^= s2;
  s13 = s13 >>> 8 | s13 << 24;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 7 | s7 << 25;
  s3 = (s3 + s4 | 0) + m14 | 0;
  s14 ^= s3;
  s14 = s14 >>> 16 | s14 << 16;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 12 | s4 << 20;
  s3 = (s3 + s4 | 0) + m15 | 0;
  s14 ^= s3;
  s14 = s14 >>> 8 | s14 << 24;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 7 | s4 << 25;
  {
    const t0 = m0, t1 = m1;
    m0 = m2;
    m2 = m3;
    m3 = m10;
    m10 = m12;
    m12 = m9;
    m9 = m11;
    m11 = m5;
    m5 = t0;
    m1 = m6;
    m6 = m4;
    m4 = m7;
    m7 = m13;
    m13 = m14;
    m14 = m15;
    m15 = m8;
    m8 = t1;
  }
  s0 = (s0 + s4 | 0) + m0 | 0;
  s12 ^= s0;
  s12 = s12 >>> 16 | s12 << 16;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 12 | s4 << 20;
  s0 = (s0 + s4 | 0) + m1 | 0;
  s12 ^= s0;
  s12 = s12 >>> 8 | s12 << 24;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 7 | s4 << 25;
  s1 = (s1 + s5 | 0) + m2 | 0;
  s13 ^= s1;
  s13 = s13 >>> 16 | s13 << 16;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 12 | s5 << 20;
  s1 = (s1 + s5 | 0) + m3 | 0;
  s13 ^= s1;
  s13 = s13 >>> 8 | s13 << 24;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 7 | s5 << 25;
  s2 = (s2 + s6 | 0) + m4 | 0;
  s14 ^= s2;
  s14 = s14 >>> 16 | s14 << 16;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 12 | s6 << 20;
  s2 = (s2 + s6 | 0) + m5 | 0;
  s14 ^= s2;
  s14 = s14 >>> 8 | s14 << 24;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 7 | s6 << 25;
  s3 = (s3 + s7 | 0) + m6 | 0;
  s15 ^= s3;
  s15 = s15 >>> 16 | s15 << 16;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 12 | s7 << 20;
  s3 = (s3 + s7 | 0) + m7 | 0;
  s15 ^= s3;
  s15 = s15 >>> 8 | s15 << 24;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 7 | s7 << 25;
  s0 = (s0 + s5 | 0) + m8 | 0;
  s15 ^= s0;
  s15 = s15 >>> 16 | s15 << 16;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 12 | s5 << 20;
  s0 = (s0 + s5 | 0) + m9 | 0;
  s15 ^= s0;
  s15 = s15 >>> 8 | s15 << 24;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 7 | s5 << 25;
  s1 = (s1 + s6 | 0) + m10 | 0;
  s12 ^= s1;
  s12 = s12 >>> 16 | s12 << 16;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 12 | s6 << 20;
  s1 = (s1 + s6 | 0) + m11 | 0;
  s12 ^= s1;
  s12 = s12 >>> 8 | s12 << 24;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 7 | s6 << 25;
  s2 = (s2 + s7 | 0) + m12 | 0;
  s13 ^= s2;
  s13 = s13 >>> 16 | s13 << 16;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 12 | s7 << 20;
  s2 = (s2 + s7 | 0) + m13 | 0;
  s13 ^= s2;
  s13 = s13 >>> 8 | s13 << 24;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 7 | s7 << 25;
  s3 = (s3 + s4 | 0) + m14 | 0;
  s14 ^= s3;
  s14 = s14 >>> 16 | s14 << 16;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 12 | s4 << 20;
  s3 = (s3 + s4 | 0) + m15 | 0;
  s14 ^= s3;
  s14 = s14 >>> 8 | s14 << 24;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 7 | s4 << 25;
  {
    const t0 = m0, t1 = m1;
    m0 = m2;
    m2 = m3;
    m3 = m10;
    m10 = m12;
    m12 = m9;
    m9 = m11;
    m11 = m5;
    m5 = t0;
    m1 = m6;
    m6 = m4;
    m4 = m7;
    m7 = m13;
    m13 = m14;
    m14 = m15;
    m15 = m8;
    m8 = t1;
  }
  s0 = (s0 + s4 | 0) + m0 | 0;
  s12 ^= s0;
  s12 = s12 >>> 16 | s12 << 16;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 12 | s4 << 20;
  s0 = (s0 + s4 | 0) + m1 | 0;
  s12 ^= s0;
  s12 = s12 >>> 8 | s12 << 24;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 7 | s4 << 25;
  s1 = (s1 + s5 | 0) + m2 | 0;
  s13 ^= s1;
  s13 = s13 >>> 16 | s13 << 16;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 12 | s5 << 20;
  s1 = (s1 + s5 | 0) + m3 | 0;
  s13 ^= s1;
  s13 = s13 >>> 8 | s13 << 24;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 7 | s5 << 25;
  s2 = (s2 + s6 | 0) + m4 | 0;
  s14 ^= s2;
  s14 = s14 >>> 16 | s14 << 16;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 12 | s6 << 20;
  s2 = (s2 + s6 | 0) + m5 | 0;
  s14 ^= s2;
  s14 = s14 >>> 8 | s14 << 24;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 7 | s6 << 25;
  s3 = (s3 + s7 | 0) + m6 | 0;
  s15 ^= s3;
  s15 = s15 >>> 16 | s15 << 16;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 12 | s7 << 20;
  s3 = (s3 + s7 | 0) + m7 | 0;
  s15 ^= s3;
  s15 = s15 >>> 8 | s15 << 24;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 7 | s7 << 25;
  s0 = (s0 + s5 | 0) + m8 | 0;
  s15 ^= s0;
  s15 = s15 >>> 16 | s15 << 16;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 12 | s5 << 20;
  s0 = (s0 + s5 | 0) + m9 | 0;
  s15 ^= s0;
  s15 = s15 >>> 8 | s15 << 24;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 7 | s5 << 25;
  s1 = (s1 + s6 | 0) + m10 | 0;
  s12 ^= s1;
  s12 = s12 >>> 16 | s12 << 16;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 12 | s6 << 20;
  s1 = (s1 + s6 | 0) + m11 | 0;
  s12 ^= s1;
  s12 = s12 >>> 8 | s12 << 24;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 7 | s6 << 25;
  s2 = (s2 + s7 | 0) + m12 | 0;
  s13 ^= s2;
  s13 = s13 >>> 16 | s13 << 16;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 12 | s7 << 20;
  s2 = (s2 + s7 | 0) + m13 | 0;
  s13 ^= s2;
  s13 = s13 >>> 8 | s13 << 24;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 7 | s7 << 25;
  s3 = (s3 + s4 | 0) + m14 | 0;
  s14 ^= s3;
  s14 = s14 >>> 16 | s14 << 16;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 12 | s4 << 20;
  s3 = (s3 + s4 | 0) + m15 | 0;
  s14 ^= s3;
  s14 = s14 >>> 8 | s14 << 24;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 7 | s4 << 25;
  {
    const t0 = m0, t1 = m1;
    m0 = m2;
    m2 = m3;
    m3 = m10;
    m10 = m12;
    m12 = m9;
    m9 = m11;
    m11 = m5;
    m5 = t0;
    m1 = m6;
    m6 = m4;
    m4 = m7;
    m7 = m13;
    m13 = m14;
    m14 = m15;
    m15 = m8;
    m8 = t1;
  }
  s0 = (s0 + s4 | 0) + m0 | 0;
  s12 ^= s0;
  s12 = s12 >>> 16 | s12 << 16;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 12 | s4 << 20;
  s0 = (s0 + s4 | 0) + m1 | 0;
  s12 ^= s0;
  s12 = s12 >>> 8 | s12 << 24;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 7 | s4 << 25;
  s1 = (s1 + s5 | 0) + m2 | 0;
  s13 ^= s1;
  s13 = s13 >>> 16 | s13 << 16;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 12 | s5 << 20;
  s1 = (s1 + s5 | 0) + m3 | 0;
  s13 ^= s1;
  s13 = s13 >>> 8 | s13 << 24;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 7 | s5 << 25;
  s2 = (s2 + s6 | 0) + m4 | 0;
  s14 ^= s2;
  s14 = s14 >>> 16 | s14 << 16;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 12 | s6 << 20;
  s2 = (s2 + s6 | 0) + m5 | 0;
  s14 ^= s2;
  s14 = s14 >>> 8 | s14 << 24;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 7 | s6 << 25;
  s3 = (s3 + s7 | 0) + m6 | 0;
  s15 ^= s3;
  s15 = s15 >>> 16 | s15 << 16;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 12 | s7 << 20;
  s3 = (s3 + s7 | 0) + m7 | 0;
  s15 ^= s3;
  s15 = s15 >>> 8 | s15 << 24;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 7 | s7 << 25;
  s0 = (s0 + s5 | 0) + m8 | 0;
  s15 ^= s0;
  s15 = s15 >>> 16 | s15 << 16;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 12 | s5 << 20;
  s0 = (s0 + s5 | 0) + m9 | 0;
  s15 ^= s0;
  s15 = s15 >>> 8 | s15 << 24;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 7 | s5 << 25;
  s1 = (s1 + s6 | 0) + m10 | 0;
  s12 ^= s1;
  s12 = s12 >>> 16 | s12 << 16;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 12 | s6 << 20;
  s1 = (s1 + s6 | 0) + m11 | 0;
  s12 ^= s1;
  s12 = s12 >>> 8 | s12 << 24;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 7 | s6 << 25;
  s2 = (s2 + s7 | 0) + m12 | 0;
  s13 ^= s2;
  s13 = s13 >>> 16 | s13 << 16;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 12 | s7 << 20;
  s2 = (s2 + s7 | 0) + m13 | 0;
  s13 ^= s2;
  s13 = s13 >>> 8 | s13 << 24;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 7 | s7 << 25;
  s3 = (s3 + s4 | 0) + m14 | 0;
  s14 ^= s3;
  s14 = s14 >>> 16 | s14 << 16;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 12 | s4 << 20;
  s3 = (s3 + s4 | 0) + m15 | 0;
  s14 ^= s3;
  s14 = s14 >>> 8 | s14 << 24;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 7 | s4 << 25;
  {
    const t0 = m0, t1 = m1;
    m0 = m2;
    m2 = m3;
    m3 = m10;
    m10 = m12;
    m12 = m9;
    m9 = m11;
    m11 = m5;
    m5 = t0;
    m1 = m6;
    m6 = m4;
    m4 = m7;
    m7 = m13;
    m13 = m14;
    m14 = m15;
    m15 = m8;
    m8 = t1;
  }
  s0 = (s0 + s4 | 0) + m0 | 0;
  s12 ^= s0;
  s12 = s12 >>> 16 | s12 << 16;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 12 | s4 << 20;
  s0 = (s0 + s4 | 0) + m1 | 0;
  s12 ^= s0;
  s12 = s12 >>> 8 | s12 << 24;
  s8 = s8 + s12 | 0;
  s4 ^= s8;
  s4 = s4 >>> 7 | s4 << 25;
  s1 = (s1 + s5 | 0) + m2 | 0;
  s13 ^= s1;
  s13 = s13 >>> 16 | s13 << 16;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 12 | s5 << 20;
  s1 = (s1 + s5 | 0) + m3 | 0;
  s13 ^= s1;
  s13 = s13 >>> 8 | s13 << 24;
  s9 = s9 + s13 | 0;
  s5 ^= s9;
  s5 = s5 >>> 7 | s5 << 25;
  s2 = (s2 + s6 | 0) + m4 | 0;
  s14 ^= s2;
  s14 = s14 >>> 16 | s14 << 16;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 12 | s6 << 20;
  s2 = (s2 + s6 | 0) + m5 | 0;
  s14 ^= s2;
  s14 = s14 >>> 8 | s14 << 24;
  s10 = s10 + s14 | 0;
  s6 ^= s10;
  s6 = s6 >>> 7 | s6 << 25;
  s3 = (s3 + s7 | 0) + m6 | 0;
  s15 ^= s3;
  s15 = s15 >>> 16 | s15 << 16;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 12 | s7 << 20;
  s3 = (s3 + s7 | 0) + m7 | 0;
  s15 ^= s3;
  s15 = s15 >>> 8 | s15 << 24;
  s11 = s11 + s15 | 0;
  s7 ^= s11;
  s7 = s7 >>> 7 | s7 << 25;
  s0 = (s0 + s5 | 0) + m8 | 0;
  s15 ^= s0;
  s15 = s15 >>> 16 | s15 << 16;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 12 | s5 << 20;
  s0 = (s0 + s5 | 0) + m9 | 0;
  s15 ^= s0;
  s15 = s15 >>> 8 | s15 << 24;
  s10 = s10 + s15 | 0;
  s5 ^= s10;
  s5 = s5 >>> 7 | s5 << 25;
  s1 = (s1 + s6 | 0) + m10 | 0;
  s12 ^= s1;
  s12 = s12 >>> 16 | s12 << 16;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 12 | s6 << 20;
  s1 = (s1 + s6 | 0) + m11 | 0;
  s12 ^= s1;
  s12 = s12 >>> 8 | s12 << 24;
  s11 = s11 + s12 | 0;
  s6 ^= s11;
  s6 = s6 >>> 7 | s6 << 25;
  s2 = (s2 + s7 | 0) + m12 | 0;
  s13 ^= s2;
  s13 = s13 >>> 16 | s13 << 16;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 12 | s7 << 20;
  s2 = (s2 + s7 | 0) + m13 | 0;
  s13 ^= s2;
  s13 = s13 >>> 8 | s13 << 24;
  s8 = s8 + s13 | 0;
  s7 ^= s8;
  s7 = s7 >>> 7 | s7 << 25;
  s3 = (s3 + s4 | 0) + m14 | 0;
  s14 ^= s3;
  s14 = s14 >>> 16 | s14 << 16;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 12 | s4 << 20;
  s3 = (s3 + s4 | 0) + m15 | 0;
  s14 ^= s3;
  s14 = s14 >>> 8 | s14 << 24;
  s9 = s9 + s14 | 0;
  s4 ^= s9;
  s4 = s4 >>> 7 | s4 << 25;
  if (full) {
    out[outOff + 8] = s8 ^ cv[cvOff];
    out[outOff + 9] = s9 ^ cv[cvOff + 1];
    out[outOff + 10] = s10 ^ cv[cvOff + 2];
    out[outOff + 11] = s11 ^ cv[cvOff + 3];
    out[outOff + 12] = s12 ^ cv[cvOff + 4];
    out[outOff + 13] = s13 ^ cv[cvOff + 5];
    out[outOff + 14] = s14 ^ cv[cvOff + 6];
    out[outOff + 15] = s15 ^ cv[cvOff + 7];
  }
  out[outOff] = s0 ^ s8;
  out[outOff + 1] = s1 ^ s9;
  out[outOff + 2] = s2 ^ s10;
  out[outOff + 3] = s3 ^ s11;
  out[outOff + 4] = s4 ^ s12;
  out[outOff + 5] = s5 ^ s13;
  out[outOff + 6] = s6 ^ s14;
  out[outOff + 7] = s7 ^ s15;
}

// node_modules/@huggingface/blake3-jit/dist/esm/constants.js
var IV = new Uint32Array([
  1779033703,
  3144134277,
  1013904242,
  2773480762,
  1359893119,
  2600822924,
  528734635,
  1541459225
]);
var CHUNK_START = 1;
var CHUNK_END = 1 << 1;
var PARENT = 1 << 2;
var ROOT = 1 << 3;
var KEYED_HASH = 1 << 4;
var DERIVE_KEY_CONTEXT = 1 << 5;
var DERIVE_KEY_MATERIAL = 1 << 6;
var OUT_LEN = 32;
var KEY_LEN = 32;
var BLOCK_LEN = 64;
var CHUNK_LEN = 1024;
var MAX_DEPTH = 54;
var PERMUTATIONS2 = new Uint8Array([
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  2,
  6,
  3,
  10,
  7,
  0,
  4,
  13,
  1,
  11,
  12,
  5,
  9,
  14,
  15,
  8,
  3,
  4,
  10,
  12,
  13,
  2,
  7,
  14,
  6,
  5,
  9,
  0,
  11,
  15,
  8,
  1,
  10,
  7,
  12,
  9,
  14,
  3,
  13,
  15,
  4,
  0,
  11,
  2,
  5,
  8,
  1,
  6,
  12,
  13,
  9,
  11,
  15,
  10,
  14,
  8,
  7,
  2,
  5,
  3,
  0,
  1,
  6,
  4,
  9,
  14,
  11,
  5,
  8,
  12,
  15,
  1,
  13,
  3,
  0,
  10,
  2,
  6,
  4,
  7,
  11,
  15,
  5,
  0,
  1,
  9,
  8,
  6,
  14,
  10,
  2,
  12,
  3,
  4,
  7,
  13
]);

// node_modules/@huggingface/blake3-jit/dist/esm/utils.js
var IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([16909060]).buffer)[0] === 4;
function readLittleEndianWordsFull(input, offset, words) {
  for (let i = 0; i < 16; ++i, offset += 4) {
    words[i] = input[offset] | input[offset + 1] << 8 | input[offset + 2] << 16 | input[offset + 3] << 24;
  }
}
function writeLittleEndianBytesPartial(words, wordOffset, output, byteOffset, byteCount) {
  const fullWords = byteCount >>> 2;
  let i = 0;
  for (; i < fullWords; ++i, byteOffset += 4) {
    const w = words[wordOffset + i];
    output[byteOffset] = w & 255;
    output[byteOffset + 1] = w >>> 8 & 255;
    output[byteOffset + 2] = w >>> 16 & 255;
    output[byteOffset + 3] = w >>> 24 & 255;
  }
  const remaining = byteCount & 3;
  if (remaining > 0) {
    const w = words[wordOffset + i];
    output[byteOffset] = w & 255;
    if (remaining > 1)
      output[byteOffset + 1] = w >>> 8 & 255;
    if (remaining > 2)
      output[byteOffset + 2] = w >>> 16 & 255;
  }
}
function encodeUTF8(str) {
  if (typeof TextEncoder !== "undefined") {
    return new TextEncoder().encode(str);
  }
  const bytes = [];
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c < 128) {
      bytes.push(c);
    } else if (c < 2048) {
      bytes.push(192 | c >> 6, 128 | c & 63);
    } else if (c < 55296 || c >= 57344) {
      bytes.push(224 | c >> 12, 128 | c >> 6 & 63, 128 | c & 63);
    } else {
      i++;
      c = 65536 + ((c & 1023) << 10 | str.charCodeAt(i) & 1023);
      bytes.push(240 | c >> 18, 128 | c >> 12 & 63, 128 | c >> 6 & 63, 128 | c & 63);
    }
  }
  return new Uint8Array(bytes);
}
var CTZ32_TABLE = new Uint8Array([
  0,
  1,
  28,
  2,
  29,
  14,
  24,
  3,
  30,
  22,
  20,
  15,
  25,
  17,
  4,
  8,
  31,
  27,
  13,
  23,
  21,
  19,
  16,
  7,
  26,
  12,
  18,
  6,
  11,
  5,
  10,
  9
]);

// node_modules/@huggingface/blake3-jit/dist/esm/hasher.js
var XofReader = class {
  inputCv;
  blockWords;
  counter;
  blockLen;
  flags;
  outputBlock;
  outputBlockOffset;
  constructor(inputCv, blockWords, counter, blockLen, flags) {
    this.inputCv = inputCv;
    this.blockWords = blockWords;
    this.counter = counter;
    this.blockLen = blockLen;
    this.flags = flags | ROOT;
    this.outputBlock = new Uint32Array(16);
    this.outputBlockOffset = 64;
  }
  /**
   * Read the next `length` bytes of output.
   */
  read(length) {
    const output = new Uint8Array(length);
    let outputOffset = 0;
    while (outputOffset < length) {
      if (this.outputBlockOffset >= 64) {
        compress(
          this.inputCv,
          0,
          this.blockWords,
          0,
          this.outputBlock,
          0,
          true,
          // full 64-byte output
          this.counter++,
          this.blockLen,
          this.flags
        );
        this.outputBlockOffset = 0;
      }
      const available = 64 - this.outputBlockOffset;
      const toCopy = Math.min(available, length - outputOffset);
      const wordOffset = this.outputBlockOffset >>> 2;
      const byteWithinWord = this.outputBlockOffset & 3;
      if (byteWithinWord === 0 && toCopy >= 4) {
        const fullWords = toCopy >>> 2;
        writeLittleEndianBytesPartial(this.outputBlock, wordOffset, output, outputOffset, fullWords << 2);
        const bytesCopied = fullWords << 2;
        outputOffset += bytesCopied;
        this.outputBlockOffset += bytesCopied;
      } else {
        for (let i = 0; i < toCopy; i++) {
          const wordIdx = this.outputBlockOffset + i >>> 2;
          const byteIdx = this.outputBlockOffset + i & 3;
          output[outputOffset + i] = this.outputBlock[wordIdx] >>> (byteIdx << 3) & 255;
        }
        outputOffset += toCopy;
        this.outputBlockOffset += toCopy;
      }
    }
    return output;
  }
};
var ChunkState = class {
  chainingValue;
  chunkCounter;
  blockWords;
  blockLen;
  blocksCompressed;
  flags;
  constructor(keyWords, chunkCounter, flags) {
    this.chainingValue = new Uint32Array(keyWords);
    this.chunkCounter = chunkCounter;
    this.blockWords = new Uint32Array(16);
    this.blockLen = 0;
    this.blocksCompressed = 0;
    this.flags = flags;
  }
  resetTo(keyWords, chunkCounter, flags) {
    this.chainingValue.set(keyWords);
    this.chunkCounter = chunkCounter;
    this.blockLen = 0;
    this.blocksCompressed = 0;
    this.flags = flags;
  }
  /**
   * Get the flags for the current block.
   */
  startFlag() {
    return this.blocksCompressed === 0 ? CHUNK_START : 0;
  }
  /**
   * Update the chunk state with input data.
   * Returns the number of bytes consumed.
   */
  update(input, inputOffset, inputLen) {
    let consumed = 0;
    while (inputLen > 0) {
      if (this.blockLen === BLOCK_LEN) {
        compress(this.chainingValue, 0, this.blockWords, 0, this.chainingValue, 0, false, this.chunkCounter, BLOCK_LEN, this.flags | this.startFlag());
        this.blocksCompressed++;
        this.blockLen = 0;
      }
      const want = BLOCK_LEN - this.blockLen;
      const take = Math.min(want, inputLen);
      if (this.blockLen === 0 && take === BLOCK_LEN) {
        readLittleEndianWordsFull(input, inputOffset, this.blockWords);
      } else {
        for (let i = 0; i < take; i++) {
          const pos = this.blockLen + i;
          const wordIdx = pos >>> 2;
          const byteIdx = pos & 3;
          if (byteIdx === 0) {
            this.blockWords[wordIdx] = input[inputOffset + i];
          } else {
            this.blockWords[wordIdx] |= input[inputOffset + i] << (byteIdx << 3);
          }
        }
      }
      this.blockLen += take;
      inputOffset += take;
      inputLen -= take;
      consumed += take;
    }
    return consumed;
  }
  /**
   * Finalize this chunk and return its output.
   * Returns 8 words (chaining value) or 16 words (if root).
   */
  output() {
    const usedWords = this.blockLen + 3 >>> 2;
    for (let i = usedWords; i < 16; i++) {
      this.blockWords[i] = 0;
    }
    return {
      inputCv: this.chainingValue,
      blockWords: this.blockWords,
      blockLen: this.blockLen,
      counter: this.chunkCounter,
      flags: this.flags | this.startFlag() | CHUNK_END
    };
  }
  /**
   * Get the number of bytes in this chunk.
   */
  len() {
    return this.blocksCompressed * BLOCK_LEN + this.blockLen;
  }
};
var Hasher = class _Hasher {
  chunkState;
  keyWords;
  cvStack;
  cvStackLen;
  flags;
  parentBlock;
  parentCv;
  chunkCv;
  outWords;
  finalizeCv;
  /**
   * Create a new Hasher.
   *
   * @param keyWords - Initial key words (IV for regular hashing)
   * @param flags - Domain separation flags
   */
  constructor(keyWords, flags) {
    this.keyWords = keyWords ? new Uint32Array(keyWords) : new Uint32Array(IV);
    this.flags = flags ?? 0;
    this.chunkState = new ChunkState(this.keyWords, 0, this.flags);
    this.cvStack = new Uint32Array(MAX_DEPTH * 8);
    this.cvStackLen = 0;
    this.parentBlock = new Uint32Array(16);
    this.parentCv = new Uint32Array(8);
    this.chunkCv = new Uint32Array(8);
    this.outWords = new Uint32Array(16);
    this.finalizeCv = new Uint32Array(8);
  }
  /**
   * Reset the hasher to process a new message with the same key/flags.
   * Reuses all internal buffers — zero allocations.
   */
  reset() {
    this.chunkState.resetTo(this.keyWords, 0, this.flags);
    this.cvStackLen = 0;
    return this;
  }
  /**
   * Create a new keyed hasher (MAC).
   *
   * @param key - 32-byte key
   */
  static newKeyed(key) {
    if (key.length !== KEY_LEN) {
      throw new Error(`Key must be ${KEY_LEN} bytes, got ${key.length}`);
    }
    const keyWords = new Uint32Array(8);
    if (IS_LITTLE_ENDIAN) {
      const view = new Uint32Array(key.buffer, key.byteOffset, 8);
      keyWords.set(view);
    } else {
      for (let i = 0; i < 8; i++) {
        const off = i * 4;
        keyWords[i] = key[off] | key[off + 1] << 8 | key[off + 2] << 16 | key[off + 3] << 24;
      }
    }
    return new _Hasher(keyWords, KEYED_HASH);
  }
  /**
   * Create a new key derivation hasher.
   *
   * @param context - Context string for domain separation
   */
  static newDeriveKey(context) {
    const contextBytes = encodeUTF8(context);
    const contextHasher = new _Hasher(new Uint32Array(IV), DERIVE_KEY_CONTEXT);
    contextHasher.update(contextBytes);
    const contextKey = new Uint32Array(8);
    const output = contextHasher.finalizeOutput();
    compress(output.inputCv, 0, output.blockWords, 0, contextKey, 0, false, output.counter, output.blockLen, output.flags | ROOT);
    return new _Hasher(contextKey, DERIVE_KEY_MATERIAL);
  }
  /**
   * Push a chaining value onto the stack.
   */
  pushCv(cv, cvOffset) {
    this.cvStack.set(cv.subarray(cvOffset, cvOffset + 8), this.cvStackLen * 8);
    this.cvStackLen++;
  }
  /**
   * Pop a chaining value from the stack.
   */
  popCv(out, outOffset) {
    this.cvStackLen--;
    out.set(this.cvStack.subarray(this.cvStackLen * 8, (this.cvStackLen + 1) * 8), outOffset);
  }
  /**
   * Add a chunk's chaining value and merge completed subtrees.
   */
  addChunkCv(newCv, newCvOffset, totalChunks) {
    const parentBlock = this.parentBlock;
    const parentCv = this.parentCv;
    while ((totalChunks & 1) === 0) {
      this.popCv(parentBlock, 0);
      parentBlock.set(newCv.subarray(newCvOffset, newCvOffset + 8), 8);
      compress(this.keyWords, 0, parentBlock, 0, parentCv, 0, false, 0, BLOCK_LEN, this.flags | PARENT);
      newCv = parentCv;
      newCvOffset = 0;
      totalChunks >>>= 1;
    }
    this.pushCv(newCv, newCvOffset);
  }
  /**
   * Update the hasher with input data.
   *
   * @param input - Data to hash
   * @returns this (for chaining)
   */
  update(input) {
    let inputOffset = 0;
    let inputLen = input.length;
    while (inputLen > 0) {
      if (this.chunkState.len() === CHUNK_LEN) {
        const output = this.chunkState.output();
        const chunkCv = this.chunkCv;
        compress(output.inputCv, 0, output.blockWords, 0, chunkCv, 0, false, output.counter, output.blockLen, output.flags);
        const totalChunks = this.chunkState.chunkCounter + 1;
        this.addChunkCv(chunkCv, 0, totalChunks);
        this.chunkState.resetTo(this.keyWords, totalChunks, this.flags);
      }
      const want = CHUNK_LEN - this.chunkState.len();
      const take = Math.min(want, inputLen);
      this.chunkState.update(input, inputOffset, take);
      inputOffset += take;
      inputLen -= take;
    }
    return this;
  }
  /**
   * Get the output parameters (for XOF mode or finalization).
   */
  finalizeOutput() {
    let output = this.chunkState.output();
    let parentBlock = this.parentBlock;
    let cv = this.finalizeCv;
    if (this.cvStackLen > 0) {
      compress(output.inputCv, 0, output.blockWords, 0, cv, 0, false, output.counter, output.blockLen, output.flags);
      while (this.cvStackLen > 0) {
        this.cvStackLen--;
        parentBlock.set(this.cvStack.subarray(this.cvStackLen * 8, (this.cvStackLen + 1) * 8), 0);
        parentBlock.set(cv, 8);
        if (this.cvStackLen > 0) {
          compress(this.keyWords, 0, parentBlock, 0, cv, 0, false, 0, BLOCK_LEN, this.flags | PARENT);
        } else {
          return {
            inputCv: this.keyWords,
            blockWords: parentBlock,
            blockLen: BLOCK_LEN,
            counter: 0,
            flags: this.flags | PARENT
          };
        }
      }
    }
    return output;
  }
  /**
   * Finalize the hash and return the result.
   *
   * @param outputLength - Number of bytes to output (default: 32)
   * @returns The hash output
   */
  finalize(outputLength = OUT_LEN) {
    const output = this.finalizeOutput();
    const result = new Uint8Array(outputLength);
    if (outputLength <= 64) {
      const outWords = this.outWords;
      compress(
        output.inputCv,
        0,
        output.blockWords,
        0,
        outWords,
        0,
        outputLength > 32,
        // full output if > 32 bytes
        output.counter,
        output.blockLen,
        output.flags | ROOT
      );
      if (IS_LITTLE_ENDIAN) {
        const outBytes = new Uint8Array(outWords.buffer);
        result.set(outBytes.subarray(0, outputLength));
      } else {
        writeLittleEndianBytesPartial(outWords, 0, result, 0, outputLength);
      }
    } else {
      const xof = this.finalizeXof();
      const full = xof.read(outputLength);
      result.set(full);
    }
    return result;
  }
  /**
   * Finalize and return an XOF reader for arbitrary-length output.
   */
  finalizeXof() {
    const output = this.finalizeOutput();
    return new XofReader(new Uint32Array(output.inputCv), new Uint32Array(output.blockWords), output.counter, output.blockLen, output.flags);
  }
};

// node_modules/@huggingface/blake3-jit/dist/esm/wasm-simd.js
function toLebU32Min2(n2) {
  return [n2 & 127 | 128, n2 >>> 7 & 127];
}
function toLebU32Padded5(n2) {
  return [
    n2 & 127 | 128,
    n2 >>> 7 & 127 | 128,
    n2 >>> 14 & 127 | 128,
    n2 >>> 21 & 127 | 128,
    n2 >>> 28 & 15
    // Last byte has no continuation bit
  ];
}
function toSignedLeb128_i32(n2) {
  const bytes = [];
  let value = n2 | 0;
  let more = true;
  while (more) {
    let byte = value & 127;
    value >>= 7;
    if (value === 0 && (byte & 64) === 0 || value === -1 && (byte & 64) !== 0) {
      more = false;
    } else {
      byte |= 128;
    }
    bytes.push(byte);
  }
  return bytes;
}
var MSG_ACCESS_ORDER = [
  // Round 1: 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  12,
  13,
  14,
  15,
  // Round 2: 2,6,3,10,7,0,4,13,1,11,12,5,9,14,15,8
  2,
  6,
  3,
  10,
  7,
  0,
  4,
  13,
  1,
  11,
  12,
  5,
  9,
  14,
  15,
  8,
  // Round 3: 3,4,10,12,13,2,7,14,6,5,9,0,11,15,8,1
  3,
  4,
  10,
  12,
  13,
  2,
  7,
  14,
  6,
  5,
  9,
  0,
  11,
  15,
  8,
  1,
  // Round 4: 10,7,12,9,14,3,13,15,4,0,11,2,5,8,1,6
  10,
  7,
  12,
  9,
  14,
  3,
  13,
  15,
  4,
  0,
  11,
  2,
  5,
  8,
  1,
  6,
  // Round 5: 12,13,9,11,15,10,14,8,7,2,5,3,0,1,6,4
  12,
  13,
  9,
  11,
  15,
  10,
  14,
  8,
  7,
  2,
  5,
  3,
  0,
  1,
  6,
  4,
  // Round 6: 9,14,11,5,8,12,15,1,13,3,0,10,2,6,4,7
  9,
  14,
  11,
  5,
  8,
  12,
  15,
  1,
  13,
  3,
  0,
  10,
  2,
  6,
  4,
  7,
  // Round 7: 11,15,5,0,1,9,8,6,14,10,2,12,3,4,7,13
  11,
  15,
  5,
  0,
  1,
  9,
  8,
  6,
  14,
  10,
  2,
  12,
  3,
  4,
  7,
  13
];
function generateWasmBytes() {
  const code = [];
  function put(bytes) {
    code.push(...bytes);
  }
  put([0, 97, 115, 109]);
  put([1, 0, 0, 0]);
  put([1]);
  put([4]);
  put([1]);
  put([96, 0, 0]);
  put([2]);
  put([11]);
  put([1]);
  put([2, 106, 115]);
  put([3, 109, 101, 109]);
  put([2, 0, 1]);
  put([3]);
  put([4]);
  put([3]);
  put([0]);
  put([0]);
  put([0]);
  put([7]);
  put([50]);
  put([3]);
  put([10]);
  put([99, 111, 109, 112, 114, 101, 115, 115, 52, 120]);
  put([0, 0]);
  put([16]);
  put([
    99,
    111,
    109,
    112,
    114,
    101,
    115,
    115,
    67,
    104,
    117,
    110,
    107,
    115,
    52,
    120
  ]);
  put([0, 1]);
  put([14]);
  put([99, 111, 109, 112, 114, 101, 115, 115, 80, 97, 114, 101, 110, 116]);
  put([0, 2]);
  put([10]);
  const sectionSizeOffset = code.length;
  put([0, 0, 0, 0, 0]);
  put([3]);
  const funcSizeOffset = code.length;
  put([0, 0, 0, 0, 0]);
  const funcBodyStart = code.length;
  put([1]);
  put([32, 123]);
  for (let i = 0; i < 16; i++) {
    put([65, ...toLebU32Min2(i * 16)]);
    put([253, 0, 2, 0]);
    put([33, i]);
  }
  for (let i = 0; i < 8; i++) {
    put([65, ...toLebU32Min2(512 + i * 16)]);
    put([253, 0, 2, 0]);
    put([33, 16 + i]);
  }
  const IV2 = [1779033703, 3144134277, 1013904242, 2773480762];
  for (let i = 0; i < 4; i++) {
    const ivBytes = [];
    for (let j = 0; j < 4; j++) {
      ivBytes.push(IV2[i] & 255);
      ivBytes.push(IV2[i] >>> 8 & 255);
      ivBytes.push(IV2[i] >>> 16 & 255);
      ivBytes.push(IV2[i] >>> 24 & 255);
    }
    put([253, 12, ...ivBytes]);
    put([33, 24 + i]);
  }
  put([65, ...toLebU32Min2(768)]);
  put([253, 0, 2, 0]);
  put([33, 28]);
  put([65, ...toLebU32Min2(784)]);
  put([253, 0, 2, 0]);
  put([33, 29]);
  put([65, ...toLebU32Min2(800)]);
  put([253, 0, 2, 0]);
  put([33, 30]);
  put([65, ...toLebU32Min2(816)]);
  put([253, 0, 2, 0]);
  put([33, 31]);
  let msgIdx = 0;
  function g(a, b, c, d) {
    const mx = MSG_ACCESS_ORDER[msgIdx++];
    const my = MSG_ACCESS_ORDER[msgIdx++];
    put([32, 16 + a]);
    put([32, 16 + b]);
    put([253, 174, 1]);
    put([32, mx]);
    put([253, 174, 1]);
    put([33, 16 + a]);
    put([32, 16 + d]);
    put([32, 16 + a]);
    put([253, 81]);
    put([34, 16 + d]);
    put([32, 16 + d]);
    put([253, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13]);
    put([33, 16 + d]);
    put([32, 16 + c]);
    put([32, 16 + d]);
    put([253, 174, 1]);
    put([33, 16 + c]);
    put([32, 16 + b]);
    put([32, 16 + c]);
    put([253, 81]);
    put([34, 16 + b]);
    put([65, 12]);
    put([253, 173, 1]);
    put([32, 16 + b]);
    put([65, 20]);
    put([253, 171, 1]);
    put([253, 80]);
    put([33, 16 + b]);
    put([32, 16 + a]);
    put([32, 16 + b]);
    put([253, 174, 1]);
    put([32, my]);
    put([253, 174, 1]);
    put([33, 16 + a]);
    put([32, 16 + d]);
    put([32, 16 + a]);
    put([253, 81]);
    put([34, 16 + d]);
    put([32, 16 + d]);
    put([253, 13, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12]);
    put([33, 16 + d]);
    put([32, 16 + c]);
    put([32, 16 + d]);
    put([253, 174, 1]);
    put([33, 16 + c]);
    put([32, 16 + b]);
    put([32, 16 + c]);
    put([253, 81]);
    put([34, 16 + b]);
    put([65, 7]);
    put([253, 173, 1]);
    put([32, 16 + b]);
    put([65, 25]);
    put([253, 171, 1]);
    put([253, 80]);
    put([33, 16 + b]);
  }
  for (let round = 0; round < 7; round++) {
    g(0, 4, 8, 12);
    g(1, 5, 9, 13);
    g(2, 6, 10, 14);
    g(3, 7, 11, 15);
    g(0, 5, 10, 15);
    g(1, 6, 11, 12);
    g(2, 7, 8, 13);
    g(3, 4, 9, 14);
  }
  for (let i = 0; i < 8; i++) {
    put([65, ...toLebU32Min2(640 + i * 16)]);
    put([32, 16 + i]);
    put([32, 24 + i]);
    put([253, 81]);
    put([253, 11, 2, 0]);
  }
  put([11]);
  const funcBodySize = code.length - funcBodyStart;
  const funcSizeBytes = toLebU32Padded5(funcBodySize);
  for (let i = 0; i < 5; i++) {
    code[funcSizeOffset + i] = funcSizeBytes[i];
  }
  const func1SizeOffset = code.length;
  put([0, 0, 0, 0, 0]);
  const func1BodyStart = code.length;
  const compressChunksBody = generateCompressChunks4xBody();
  put(compressChunksBody);
  const func1BodySize = code.length - func1BodyStart;
  const func1SizeBytes = toLebU32Padded5(func1BodySize);
  for (let i = 0; i < 5; i++) {
    code[func1SizeOffset + i] = func1SizeBytes[i];
  }
  const func2SizeOffset = code.length;
  put([0, 0, 0, 0, 0]);
  const func2BodyStart = code.length;
  const compressParentBody = generateCompressParentBody();
  put(compressParentBody);
  const func2BodySize = code.length - func2BodyStart;
  const func2SizeBytes = toLebU32Padded5(func2BodySize);
  for (let i = 0; i < 5; i++) {
    code[func2SizeOffset + i] = func2SizeBytes[i];
  }
  const sectionSize = code.length - sectionSizeOffset - 5;
  const sectionSizeBytes = toLebU32Padded5(sectionSize);
  for (let i = 0; i < 5; i++) {
    code[sectionSizeOffset + i] = sectionSizeBytes[i];
  }
  return new Uint8Array(code);
}
function generateCompressChunks4xBody() {
  const code = [];
  function put(bytes) {
    code.push(...bytes);
  }
  put([2]);
  put([32, 123]);
  put([1, 127]);
  const BATCH_BLOCK_WORDS = SIMD_MEMORY.BATCH_BLOCK_WORDS;
  const BATCH_CV = SIMD_MEMORY.BATCH_CV;
  const BATCH_COUNTER_LOW = SIMD_MEMORY.BATCH_COUNTER_LOW;
  const BATCH_FLAGS_BASE = SIMD_MEMORY.BATCH_FLAGS_BASE;
  const BATCH_OUTPUT = SIMD_MEMORY.BATCH_OUTPUT;
  const IV2 = [1779033703, 3144134277, 1013904242, 2773480762];
  for (let i = 0; i < 8; i++) {
    put([65, ...toLebU32Min2(BATCH_CV + i * 16)]);
    put([253, 0, 2, 0]);
    put([33, 16 + i]);
  }
  put([65, 0]);
  put([33, 32]);
  put([2, 64]);
  put([3, 64]);
  for (let w = 0; w < 16; w++) {
    put([32, 32]);
    put([65, ...toLebU32Min2(256)]);
    put([108]);
    put([65, ...toLebU32Min2(BATCH_BLOCK_WORDS + w * 16)]);
    put([106]);
    put([253, 0, 2, 0]);
    put([33, w]);
  }
  for (let i = 0; i < 4; i++) {
    const ivBytes = [];
    for (let j = 0; j < 4; j++) {
      ivBytes.push(IV2[i] & 255);
      ivBytes.push(IV2[i] >>> 8 & 255);
      ivBytes.push(IV2[i] >>> 16 & 255);
      ivBytes.push(IV2[i] >>> 24 & 255);
    }
    put([253, 12, ...ivBytes]);
    put([33, 24 + i]);
  }
  put([65, ...toLebU32Min2(BATCH_COUNTER_LOW)]);
  put([253, 0, 2, 0]);
  put([33, 28]);
  put([253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  put([33, 29]);
  const blockLen64 = [];
  for (let j = 0; j < 4; j++) {
    blockLen64.push(64, 0, 0, 0);
  }
  put([253, 12, ...blockLen64]);
  put([33, 30]);
  put([65, ...toLebU32Min2(BATCH_FLAGS_BASE)]);
  put([253, 0, 2, 0]);
  put([32, 32]);
  put([69]);
  put([32, 32]);
  put([65, 15]);
  put([70]);
  put([65, 1]);
  put([116]);
  put([114]);
  put([253, 17]);
  put([253, 80]);
  put([33, 31]);
  let msgIdx = 0;
  function g(a, b, c, d) {
    const mx = MSG_ACCESS_ORDER[msgIdx++];
    const my = MSG_ACCESS_ORDER[msgIdx++];
    put([32, 16 + a]);
    put([32, 16 + b]);
    put([253, 174, 1]);
    put([32, mx]);
    put([253, 174, 1]);
    put([33, 16 + a]);
    put([32, 16 + d]);
    put([32, 16 + a]);
    put([253, 81]);
    put([34, 16 + d]);
    put([32, 16 + d]);
    put([253, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13]);
    put([33, 16 + d]);
    put([32, 16 + c]);
    put([32, 16 + d]);
    put([253, 174, 1]);
    put([33, 16 + c]);
    put([32, 16 + b]);
    put([32, 16 + c]);
    put([253, 81]);
    put([34, 16 + b]);
    put([65, 12]);
    put([253, 173, 1]);
    put([32, 16 + b]);
    put([65, 20]);
    put([253, 171, 1]);
    put([253, 80]);
    put([33, 16 + b]);
    put([32, 16 + a]);
    put([32, 16 + b]);
    put([253, 174, 1]);
    put([32, my]);
    put([253, 174, 1]);
    put([33, 16 + a]);
    put([32, 16 + d]);
    put([32, 16 + a]);
    put([253, 81]);
    put([34, 16 + d]);
    put([32, 16 + d]);
    put([253, 13, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12]);
    put([33, 16 + d]);
    put([32, 16 + c]);
    put([32, 16 + d]);
    put([253, 174, 1]);
    put([33, 16 + c]);
    put([32, 16 + b]);
    put([32, 16 + c]);
    put([253, 81]);
    put([34, 16 + b]);
    put([65, 7]);
    put([253, 173, 1]);
    put([32, 16 + b]);
    put([65, 25]);
    put([253, 171, 1]);
    put([253, 80]);
    put([33, 16 + b]);
  }
  for (let round = 0; round < 7; round++) {
    g(0, 4, 8, 12);
    g(1, 5, 9, 13);
    g(2, 6, 10, 14);
    g(3, 7, 11, 15);
    g(0, 5, 10, 15);
    g(1, 6, 11, 12);
    g(2, 7, 8, 13);
    g(3, 4, 9, 14);
  }
  for (let i = 0; i < 8; i++) {
    put([32, 16 + i]);
    put([32, 24 + i]);
    put([253, 81]);
    put([33, 16 + i]);
  }
  put([32, 32]);
  put([65, 1]);
  put([106]);
  put([34, 32]);
  put([65, 16]);
  put([73]);
  put([13, 0]);
  put([11]);
  put([11]);
  for (let i = 0; i < 8; i++) {
    put([65, ...toLebU32Min2(BATCH_OUTPUT + i * 16)]);
    put([32, 16 + i]);
    put([253, 11, 2, 0]);
  }
  put([11]);
  return code;
}
function generateCompressParentBody() {
  const code = [];
  function put(bytes) {
    code.push(...bytes);
  }
  put([1]);
  put([32, 127]);
  const PARENT_BLOCK_OFFSET = SIMD_MEMORY.PARENT_BLOCK;
  const CHUNK_CV_OFFSET = SIMD_MEMORY.CHUNK_CV;
  const IV2 = [
    1779033703,
    3144134277,
    1013904242,
    2773480762,
    1359893119,
    2600822924,
    528734635,
    1541459225
  ];
  for (let i = 0; i < 16; i++) {
    put([65, ...toLebU32Min2(PARENT_BLOCK_OFFSET + i * 4)]);
    put([40, 2, 0]);
    put([33, i]);
  }
  for (let i = 0; i < 8; i++) {
    put([65, ...toSignedLeb128_i32(IV2[i])]);
    put([33, 16 + i]);
  }
  for (let i = 0; i < 4; i++) {
    put([65, ...toSignedLeb128_i32(IV2[i])]);
    put([33, 24 + i]);
  }
  put([65, 0]);
  put([33, 28]);
  put([65, 0]);
  put([33, 29]);
  put([65, 192, 0]);
  put([33, 30]);
  put([65, 4]);
  put([33, 31]);
  function g(a, b, c, d, mx, my) {
    const sa = 16 + a, sb = 16 + b, sc = 16 + c, sd = 16 + d;
    put([32, sa]);
    put([32, sb]);
    put([106]);
    put([32, mx]);
    put([106]);
    put([33, sa]);
    put([32, sd]);
    put([32, sa]);
    put([115]);
    put([65, 16]);
    put([120]);
    put([33, sd]);
    put([32, sc]);
    put([32, sd]);
    put([106]);
    put([33, sc]);
    put([32, sb]);
    put([32, sc]);
    put([115]);
    put([65, 12]);
    put([120]);
    put([33, sb]);
    put([32, sa]);
    put([32, sb]);
    put([106]);
    put([32, my]);
    put([106]);
    put([33, sa]);
    put([32, sd]);
    put([32, sa]);
    put([115]);
    put([65, 8]);
    put([120]);
    put([33, sd]);
    put([32, sc]);
    put([32, sd]);
    put([106]);
    put([33, sc]);
    put([32, sb]);
    put([32, sc]);
    put([115]);
    put([65, 7]);
    put([120]);
    put([33, sb]);
  }
  let msgIdx = 0;
  for (let round = 0; round < 7; round++) {
    g(0, 4, 8, 12, MSG_ACCESS_ORDER[msgIdx], MSG_ACCESS_ORDER[msgIdx + 1]);
    msgIdx += 2;
    g(1, 5, 9, 13, MSG_ACCESS_ORDER[msgIdx], MSG_ACCESS_ORDER[msgIdx + 1]);
    msgIdx += 2;
    g(2, 6, 10, 14, MSG_ACCESS_ORDER[msgIdx], MSG_ACCESS_ORDER[msgIdx + 1]);
    msgIdx += 2;
    g(3, 7, 11, 15, MSG_ACCESS_ORDER[msgIdx], MSG_ACCESS_ORDER[msgIdx + 1]);
    msgIdx += 2;
    g(0, 5, 10, 15, MSG_ACCESS_ORDER[msgIdx], MSG_ACCESS_ORDER[msgIdx + 1]);
    msgIdx += 2;
    g(1, 6, 11, 12, MSG_ACCESS_ORDER[msgIdx], MSG_ACCESS_ORDER[msgIdx + 1]);
    msgIdx += 2;
    g(2, 7, 8, 13, MSG_ACCESS_ORDER[msgIdx], MSG_ACCESS_ORDER[msgIdx + 1]);
    msgIdx += 2;
    g(3, 4, 9, 14, MSG_ACCESS_ORDER[msgIdx], MSG_ACCESS_ORDER[msgIdx + 1]);
    msgIdx += 2;
  }
  for (let i = 0; i < 8; i++) {
    put([65, ...toLebU32Min2(CHUNK_CV_OFFSET + i * 4)]);
    put([32, 16 + i]);
    put([32, 24 + i]);
    put([115]);
    put([54, 2, 0]);
  }
  put([11]);
  return code;
}
var wasmInstance = null;
var wasmMemory = null;
var wasmCompress4x = null;
var wasmCompressChunks4x = null;
var wasmCompressParent = null;
var wasmMemoryView = null;
var wasmMemoryView32 = null;
function isSimdSupported() {
  try {
    const simdTest = new Uint8Array([
      0,
      97,
      115,
      109,
      // magic: \0asm
      1,
      0,
      0,
      0,
      // version: 1
      // Type section (id=1): () -> v128
      1,
      // section id = 1 (type)
      5,
      // section length = 5
      1,
      // 1 type
      96,
      0,
      1,
      123,
      // func () -> v128
      // Function section (id=3)
      3,
      // section id = 3 (function)
      2,
      // section length = 2
      1,
      // 1 function
      0,
      // type index 0
      // Code section (id=10) with v128.const
      10,
      // section id = 10 (code)
      22,
      // section length = 22
      1,
      // 1 function body
      20,
      // body length = 20
      0,
      // 0 locals
      253,
      12,
      // v128.const opcode
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      11
      // end
    ]);
    return WebAssembly.validate(simdTest);
  } catch {
    return false;
  }
}
function setupArenaViews() {
  if (!wasmMemory)
    return;
  const buffer = wasmMemory.buffer;
  arenaCvStack = new Uint32Array(buffer, SIMD_MEMORY.CV_STACK, 64 * 8);
  arenaParentBlock = new Uint32Array(buffer, SIMD_MEMORY.PARENT_BLOCK, 16);
  arenaChunkCv = new Uint32Array(buffer, SIMD_MEMORY.CHUNK_CV, 8);
  arenaTempCvs = new Uint32Array(buffer, SIMD_MEMORY.TEMP_CVS, 32);
  arenaBatchBlockWords = new Uint32Array(buffer, SIMD_MEMORY.BATCH_BLOCK_WORDS, 16 * 16 * 4);
  arenaBatchCv = new Uint32Array(buffer, SIMD_MEMORY.BATCH_CV, 32);
  arenaBatchCounterLow = new Uint32Array(buffer, SIMD_MEMORY.BATCH_COUNTER_LOW, 4);
  arenaBatchFlagsBase = new Uint32Array(buffer, SIMD_MEMORY.BATCH_FLAGS_BASE, 4);
  arenaBatchOutput = new Uint32Array(buffer, SIMD_MEMORY.BATCH_OUTPUT, 32);
}
var cachedWasmBytes = null;
function initSimdSync() {
  if (wasmInstance)
    return true;
  if (!isSimdSupported()) {
    return false;
  }
  try {
    const wasmBytes = cachedWasmBytes || generateWasmBytes();
    cachedWasmBytes = wasmBytes;
    wasmMemory = new WebAssembly.Memory({ initial: 1 });
    const importObject = {
      js: { mem: wasmMemory }
    };
    const module = new WebAssembly.Module(wasmBytes.buffer);
    wasmInstance = new WebAssembly.Instance(module, importObject);
    wasmCompress4x = wasmInstance.exports.compress4x;
    wasmCompressChunks4x = wasmInstance.exports.compressChunks4x;
    wasmCompressParent = wasmInstance.exports.compressParent;
    wasmMemoryView = new Uint8Array(wasmMemory.buffer);
    wasmMemoryView32 = new Uint32Array(wasmMemory.buffer);
    setupArenaViews();
    return true;
  } catch (e2) {
    console.warn("Failed to initialize WASM SIMD:", e2);
    return false;
  }
}
var SIMD_MEMORY = {
  // SIMD compress4x working area (used by WASM code) - single block
  BLOCK_WORDS: 0,
  // 4 x 16 words = 512 bytes (transposed layout)
  CHAINING_VALUES: 512,
  // 4 x 8 words = 128 bytes
  OUTPUT: 640,
  // 4 x 8 words = 128 bytes
  COUNTER_LOW: 768,
  // 4 words = 16 bytes
  COUNTER_HIGH: 784,
  // 4 words = 16 bytes
  BLOCK_LEN: 800,
  // 4 words = 16 bytes
  FLAGS: 816,
  // 4 words = 16 bytes
  // End of single-block SIMD working area: 832 bytes
  // SIMD compressChunks4x working area - 16 blocks batched
  // Each block position has 16 v128 values (one per message word) = 256 bytes
  // 16 block positions = 16 × 256 = 4096 bytes
  BATCH_BLOCK_WORDS: 832,
  // 16 positions × 256 bytes = 4096 bytes (transposed), ends at 4928
  BATCH_CV: 4928,
  // 4 × 8 words × 4 bytes = 128 bytes (working CVs), ends at 5056
  BATCH_COUNTER_LOW: 5056,
  // 4 words × 4 bytes = 16 bytes (per-chunk counters), ends at 5072
  BATCH_FLAGS_BASE: 5072,
  // 4 words × 4 bytes = 16 bytes (base flags, no START/END), ends at 5088
  BATCH_OUTPUT: 5088,
  // 4 × 8 words × 4 bytes = 128 bytes (final output), ends at 5216
  // End of batch working area: 5216 bytes
  // WASM Arena: JS working buffers (accessed via TypedArray views)
  CV_STACK: 5216,
  // 64 levels × 8 words × 4 bytes = 2048 bytes, ends at 7264
  PARENT_BLOCK: 7264,
  // 16 words × 4 bytes = 64 bytes, ends at 7328
  CHUNK_CV: 7328,
  // 8 words × 4 bytes = 32 bytes, ends at 7360
  TEMP_CVS: 7360
  // 4 × 8 words × 4 bytes = 128 bytes, ends at 7488
  // Total arena usage: ~7488 bytes (fits comfortably in 64KB page)
};
var arenaCvStack = null;
var arenaParentBlock = null;
var arenaChunkCv = null;
var arenaTempCvs = null;
var arenaBatchBlockWords = null;
var arenaBatchCv = null;
var arenaBatchCounterLow = null;
var arenaBatchFlagsBase = null;
var arenaBatchOutput = null;

// node_modules/@huggingface/blake3-jit/dist/esm/hash.js
var CV_STACK_DEPTH = 64;
var HYPER_CV_STACK = new Uint32Array(CV_STACK_DEPTH * 8);
var CV_POOL_SIZE = 64;
var CV_POOL = new Uint32Array(CV_POOL_SIZE * 8);
var CV_VIEWS = [];
for (let i = 0; i < CV_POOL_SIZE; i++) {
  CV_VIEWS.push(CV_POOL.subarray(i * 8, i * 8 + 8));
}
var simdAvailable = false;
var SIMD_THRESHOLD = 4 * CHUNK_LEN;
function ensureSimdSync() {
  if (simdAvailable)
    return true;
  simdAvailable = initSimdSync();
  return simdAvailable;
}
var simdChunkCvs = new Uint32Array(32);
var reusableTempCv = new Uint32Array(8);
var reusableChunkCv = new Uint32Array(8);
var reusablePureParentBlock = new Uint32Array(16);
var reusablePureParentCv = new Uint32Array(8);
var reusableSimdCvs = new Uint32Array(32);
var reusableSimdParentBlock = new Uint32Array(16);
var reusableSimdParentCv = new Uint32Array(8);
var reusableOffsets = new Uint32Array(4);
var reusableCounters = new Uint32Array(4);
var reusableBlockLens = new Uint32Array(4);
var reusableFlags = new Uint32Array(4);
var reusableOut8 = new Uint32Array(8);
var reusableOut8View = new Uint8Array(reusableOut8.buffer, 0, 32);
var SIMD_CV_BASE = SIMD_MEMORY.CHAINING_VALUES / 4;
var SIMD_OUT_BASE = SIMD_MEMORY.OUTPUT / 4;
var SIMD_COUNTER_LOW_BASE = SIMD_MEMORY.COUNTER_LOW / 4;
var SIMD_COUNTER_HIGH_BASE = SIMD_MEMORY.COUNTER_HIGH / 4;
var SIMD_BLOCK_LEN_BASE = SIMD_MEMORY.BLOCK_LEN / 4;
var BATCH_CV_BASE = SIMD_MEMORY.BATCH_CV / 4;
var BATCH_COUNTER_LOW_BASE = SIMD_MEMORY.BATCH_COUNTER_LOW / 4;
var BATCH_FLAGS_BASE_OFFSET = SIMD_MEMORY.BATCH_FLAGS_BASE / 4;
var BATCH_OUTPUT_BASE = SIMD_MEMORY.BATCH_OUTPUT / 4;
var batchChunkOffsets = new Uint32Array(4);
var SIMD_FLAGS_BASE = SIMD_MEMORY.FLAGS / 4;
function warmupSimd() {
  return ensureSimdSync();
}

// node_modules/@huggingface/blake3-jit/dist/esm/index.js
if (typeof globalThis !== "undefined" && typeof globalThis.document !== "undefined") {
  queueMicrotask(() => {
    warmupSimd();
  });
}

// node_modules/@huggingface/xetchunk-wasm/dist/esm/xet-chunker.js
var TARGET_CHUNK_SIZE = 64 * 1024;
var BLAKE3_DATA_KEY = new Uint8Array([
  102,
  151,
  245,
  119,
  91,
  149,
  80,
  222,
  49,
  53,
  203,
  172,
  165,
  151,
  24,
  28,
  157,
  228,
  33,
  16,
  155,
  235,
  43,
  88,
  180,
  208,
  176,
  75,
  147,
  173,
  242,
  41
]);

// node_modules/@huggingface/xetchunk-wasm/dist/esm/xorb-hash.js
var BLAKE3_NODE_KEY = new Uint8Array([
  1,
  126,
  197,
  199,
  165,
  71,
  41,
  150,
  253,
  148,
  102,
  102,
  180,
  138,
  2,
  230,
  93,
  221,
  83,
  111,
  55,
  199,
  109,
  210,
  248,
  99,
  82,
  230,
  74,
  83,
  113,
  63
]);
var INDEX_OF_LAST_BYTE_OF_LAST_U64_IN_CHUNK_HASH = 3 * 8;
var nodeHasher = Hasher.newKeyed(BLAKE3_NODE_KEY);

// node_modules/@huggingface/xetchunk-wasm/dist/esm/hash-utils.js
var ZERO_KEY = new Uint8Array(32);
var VERIFICATION_KEY = new Uint8Array([
  127,
  24,
  87,
  214,
  206,
  86,
  237,
  102,
  18,
  127,
  249,
  19,
  231,
  165,
  195,
  243,
  164,
  205,
  38,
  213,
  181,
  219,
  73,
  230,
  65,
  36,
  152,
  127,
  40,
  251,
  148,
  195
]);
var fileHasher = Hasher.newKeyed(ZERO_KEY);
var verificationHasher = Hasher.newKeyed(VERIFICATION_KEY);

// node_modules/@huggingface/hub/dist/chunk-AXSL4LYE.mjs
var HUB_URL = "https://huggingface.co";
async function createApiError(response, opts) {
  const error = new HubApiError(response.url, response.status, response.headers.get("X-Request-Id") ?? opts?.requestId);
  error.message = `Api error with status ${error.statusCode}${opts?.message ? `. ${opts.message}` : ""}`;
  const trailer = [`URL: ${error.url}`, error.requestId ? `Request ID: ${error.requestId}` : void 0].filter(Boolean).join(". ");
  if (response.headers.get("Content-Type")?.startsWith("application/json")) {
    const json = await response.json();
    error.message = json.error || json.message || error.message;
    if (json.error_description) {
      error.message = error.message ? error.message + `: ${json.error_description}` : json.error_description;
    }
    error.data = json;
  } else {
    error.data = { message: await response.text() };
  }
  error.message += `. ${trailer}`;
  throw error;
}
var HubApiError = class extends Error {
  statusCode;
  url;
  requestId;
  data;
  constructor(url, statusCode, requestId, message) {
    super(message);
    this.statusCode = statusCode;
    this.requestId = requestId;
    this.url = url;
  }
};
function checkAccessToken(accessToken) {
  if (!accessToken.startsWith("hf_")) {
    throw new TypeError("Your access token must start with 'hf_'");
  }
}
function checkCredentials(params) {
  if (params.accessToken) {
    checkAccessToken(params.accessToken);
    return params.accessToken;
  }
  if (params.credentials?.accessToken) {
    checkAccessToken(params.credentials.accessToken);
    return params.credentials.accessToken;
  }
}
function toRepoId(repo) {
  if (typeof repo !== "string") {
    return repo;
  }
  if (repo.startsWith("model/") || repo.startsWith("models/")) {
    throw new TypeError(
      "A repo designation for a model should not start with 'models/', directly specify the model namespace / name"
    );
  }
  if (repo.startsWith("space/")) {
    throw new TypeError("Spaces should start with 'spaces/', plural, not 'space/'");
  }
  if (repo.startsWith("dataset/")) {
    throw new TypeError("Datasets should start with 'datasets/', plural, not 'dataset/'");
  }
  if (repo.startsWith("bucket/")) {
    throw new TypeError("Buckets should start with 'buckets/', plural, not 'bucket/'");
  }
  if (repo.startsWith("kernel/")) {
    throw new TypeError("Kernels should start with 'kernels/', plural, not 'kernel/'");
  }
  const slashes = repo.split("/").length - 1;
  if (repo.startsWith("spaces/")) {
    if (slashes !== 2) {
      throw new TypeError("Space Id must include namespace and name of the space");
    }
    return {
      type: "space",
      name: repo.slice("spaces/".length)
    };
  }
  if (repo.startsWith("datasets/")) {
    if (slashes > 2) {
      throw new TypeError("Too many slashes in repo designation: " + repo);
    }
    return {
      type: "dataset",
      name: repo.slice("datasets/".length)
    };
  }
  if (repo.startsWith("buckets/")) {
    if (slashes !== 2) {
      throw new TypeError("Bucket Id must include namespace and name of the bucket");
    }
    return {
      type: "bucket",
      name: repo.slice("buckets/".length)
    };
  }
  if (repo.startsWith("kernels/")) {
    if (slashes !== 2) {
      throw new TypeError("Kernel Id must include namespace and name of the kernel");
    }
    return {
      type: "kernel",
      name: repo.slice("kernels/".length)
    };
  }
  if (slashes > 1) {
    throw new TypeError("Too many slashes in repo designation: " + repo);
  }
  return {
    type: "model",
    name: repo
  };
}
var isBrowser = typeof window !== "undefined" && typeof window.document !== "undefined";
var isWebWorker = typeof self === "object" && self.constructor && self.constructor.name === "DedicatedWorkerGlobalScope";
var isBackend = !isBrowser && !isWebWorker;
var isFrontend = !isBackend;
var resolve;
var waitPromise = new Promise((r) => {
  resolve = r;
});
var hashSize = 1 << 16;
var mlBits = 4;
var mlMask = (1 << mlBits) - 1;
var runBits = 4;
var runMask = (1 << runBits) - 1;
var blockBuf = makeBuffer(5 << 20);
var hashTable = makeHashTable();
function makeHashTable() {
  try {
    return new Uint32Array(hashSize);
  } catch (error) {
    const hashTable2 = new Array(hashSize);
    for (let i = 0; i < hashSize; i++) {
      hashTable2[i] = 0;
    }
    return hashTable2;
  }
}
function makeBuffer(size) {
  return new Uint8Array(size);
}
var textEncoder = new TextEncoder();
var CRLF = textEncoder.encode("\r\n");
var HEADER_SEPARATOR = textEncoder.encode("\r\n\r\n");
function hasH2Fetch(versions = typeof process !== "undefined" ? process.versions : void 0, frontend = isFrontend) {
  if (frontend || !versions?.undici || versions.bun) {
    return false;
  }
  return Number(versions.undici.split(".")[0]) >= 8;
}
var GLOBAL_DISPATCHER_KEYS = [Symbol.for("undici.globalDispatcher.2"), Symbol.for("undici.globalDispatcher.1")];
function withHttp1(base2) {
  return {
    dispatch: (options, handler) => base2.dispatch({ ...options, allowH2: false }, handler)
  };
}
var cached;
async function getHttp1Dispatcher() {
  const globals = globalThis;
  const find = () => GLOBAL_DISPATCHER_KEYS.map((key) => globals[key]).find((d) => typeof d?.dispatch === "function");
  let base2 = find();
  if (base2 === void 0) {
    await (await fetch("data:,")).arrayBuffer();
    base2 = find();
  }
  if (base2 === void 0) {
    return void 0;
  }
  if (cached?.base !== base2) {
    cached = { base: base2, http1: withHttp1(base2) };
  }
  return cached.http1;
}
var undiciHttp1Fetch = async (input, init) => {
  const dispatcher = await getHttp1Dispatcher();
  return dispatcher ? fetch(input, { ...init, dispatcher }) : fetch(input, init);
};
var http1Fetch = hasH2Fetch() ? undiciHttp1Fetch : (input, init) => fetch(input, init);
var PARALLEL_MIN_IN_FLIGHT_BYTES = 64 * 1024 * 1024;
var PARALLEL_MAX_IN_FLIGHT_BYTES = 256 * 1024 * 1024;
var HASH_LENGTH = 32;
var XORB_HASH_BOOKEND = "ff".repeat(HASH_LENGTH);
var ZERO_KEY2 = new Uint8Array(32);
var TARGET_CHUNK_SIZE2 = 64 * 1024;
var MAX_CHUNK_SIZE = 2 * TARGET_CHUNK_SIZE2;
var XORB_SIZE = 64 * 1024 * 1024;
var MAX_XORB_CHUNKS = 8 * 1024;
var PROCESSING_PROGRESS_RATIO = 0.1;
var UPLOADING_PROGRESS_RATIO = 1 - PROCESSING_PROGRESS_RATIO;
var SHARD_MAX_SIZE = 64 * 1024 * 1024;
var SHARD_MAGIC_TAG = new Uint8Array([
  "H".charCodeAt(0),
  "F".charCodeAt(0),
  "R".charCodeAt(0),
  "e".charCodeAt(0),
  "p".charCodeAt(0),
  "o".charCodeAt(0),
  "M".charCodeAt(0),
  "e".charCodeAt(0),
  "t".charCodeAt(0),
  "a".charCodeAt(0),
  "D".charCodeAt(0),
  "a".charCodeAt(0),
  "t".charCodeAt(0),
  "a".charCodeAt(0),
  0,
  85,
  105,
  103,
  69,
  106,
  123,
  129,
  87,
  131,
  165,
  189,
  217,
  92,
  205,
  209,
  74,
  169
]);
function parseLinkHeader(header) {
  const regex = /<(https?:[/][/][^>]+)>;\s+rel="([^"]+)"/g;
  return Object.fromEntries([...header.matchAll(regex)].map(([, url, rel]) => [rel, url]));
}
async function* listFiles(params) {
  const accessToken = checkCredentials(params);
  const repoId = toRepoId(params.repo);
  const revision = repoId.type === "bucket" ? void 0 : params.revision || "main";
  let url = `${params.hubUrl || HUB_URL}/api/${repoId.type}s/${repoId.name}/tree${revision ? `/${revision}` : ""}${params.path ? "/" + params.path : ""}?recursive=${!!params.recursive}&expand=${!!params.expand}`;
  while (url) {
    const res = await (params.fetch ?? fetch)(url, {
      headers: {
        accept: "application/json",
        ...accessToken ? { Authorization: `Bearer ${accessToken}` } : void 0
      }
    });
    if (!res.ok) {
      throw await createApiError(res);
    }
    const items = await res.json();
    for (const item of items) {
      yield item;
    }
    const linkHeader = res.headers.get("Link");
    url = linkHeader ? parseLinkHeader(linkHeader).next : void 0;
  }
}
var REGEX_COMMIT_HASH = new RegExp("^[0-9a-f]{40}$");
function normalizeInferenceProviderMapping(hfModelId, inferenceProviderMapping) {
  if (!inferenceProviderMapping) {
    return [];
  }
  if (Array.isArray(inferenceProviderMapping)) {
    return inferenceProviderMapping.map((entry) => ({
      ...entry,
      hfModelId
    }));
  }
  return Object.entries(inferenceProviderMapping).map(([provider, mapping]) => ({
    provider,
    hfModelId,
    providerId: mapping.providerId,
    status: mapping.status,
    task: mapping.task
  }));
}
var MODEL_EXPAND_KEYS = [
  "pipeline_tag",
  "private",
  "gated",
  "downloads",
  "likes",
  "lastModified"
];
var MODEL_DERIVED_FIELD_TO_API_KEY = {
  filePaths: "siblings"
};
async function modelInfo(params) {
  const accessToken = params && checkCredentials(params);
  const additionalExpandKeys = params?.additionalFields?.map(
    (field) => MODEL_DERIVED_FIELD_TO_API_KEY[field] ?? field
  ) ?? [];
  const search = new URLSearchParams([
    ...MODEL_EXPAND_KEYS.map((val) => ["expand", val]),
    ...additionalExpandKeys.map((val) => ["expand", val])
  ]).toString();
  const response = await (params.fetch || fetch)(
    `${params?.hubUrl || HUB_URL}/api/models/${params.name}/revision/${encodeURIComponent(
      params.revision ?? "HEAD"
    )}?${search.toString()}`,
    {
      headers: {
        ...accessToken ? { Authorization: `Bearer ${accessToken}` } : {}
      }
    }
  );
  if (!response.ok) {
    throw await createApiError(response);
  }
  const data = await response.json();
  const additional = {};
  if (params?.additionalFields) {
    for (const field of params.additionalFields) {
      if (field === "filePaths") {
        additional.filePaths = (data.siblings ?? []).map((s) => s.rfilename);
      } else if (field === "inferenceProviderMapping" && data.inferenceProviderMapping) {
        additional.inferenceProviderMapping = normalizeInferenceProviderMapping(data.id, data.inferenceProviderMapping);
      } else {
        additional[field] = data[field];
      }
    }
  }
  return {
    ...additional,
    id: data._id,
    name: data.id,
    private: data.private,
    task: data.pipeline_tag,
    downloads: data.downloads,
    gated: data.gated,
    likes: data.likes,
    updatedAt: new Date(data.lastModified)
  };
}
var DIFFUSERS_SAFETENSORS_FILE = "diffusion_pytorch_model.safetensors";
var DIFFUSERS_SAFETENSORS_INDEX_FILE = "diffusion_pytorch_model.safetensors.index.json";
var DIFFUSERS_WEIGHTS_SUBFOLDERS = ["transformer", "unet"];
var MAX_TENSOR_DIM = 2 ** 32;
var LIBRARY_WEIGHT_CANDIDATES = {
  // diffusers keeps the main module (the diffusion transformer / U-Net) under a subfolder,
  // or at the repo root for single-component repos (ControlNets, standalone VAEs). This matches
  // how a diffusion model's size is conventionally reported: the diffusion transformer / U-Net,
  // not the sum of VAE + text encoders.
  diffusers: [
    ...DIFFUSERS_WEIGHTS_SUBFOLDERS.map((folder) => ({
      single: `${folder}/${DIFFUSERS_SAFETENSORS_FILE}`,
      index: `${folder}/${DIFFUSERS_SAFETENSORS_INDEX_FILE}`
    })),
    { single: DIFFUSERS_SAFETENSORS_FILE, index: DIFFUSERS_SAFETENSORS_INDEX_FILE }
  ]
};

// node_modules/@huggingface/hub/dist/index.mjs
init_chunk_FFYIGW52();

// src/sources/http-body.ts
var StallError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "StallError";
  }
};
var BodyInterrupted = class extends Error {
  constructor(message) {
    super(message);
    this.name = "BodyInterrupted";
  }
};
function redactUrl(url) {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return "<invalid URL>";
  }
}
function originOf(url) {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
function isRetryableStatus(status) {
  return status === 429 || status >= 500 && status <= 599;
}
function parseRetryAfter(value, now = Date.now()) {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1e3;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - now);
}
var defaultSleep = (ms, signal) => new Promise((resolve2) => {
  if (signal?.aborted) return resolve2();
  const done = () => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", done);
    resolve2();
  };
  const timer = setTimeout(done, ms);
  signal?.addEventListener("abort", done, { once: true });
});
function linkAbort(signal, ctl) {
  if (!signal) return () => void 0;
  if (signal.aborted) {
    ctl.abort(signal.reason);
    return () => void 0;
  }
  const onAbort = () => ctl.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}
async function readChunk(reader, stallMs, abort) {
  let timer;
  let timedOut = false;
  const stalled = new Promise((_, reject) => {
    if (!(stallMs > 0 && Number.isFinite(stallMs))) return;
    timer = setTimeout(() => {
      timedOut = true;
      reject(new BodyInterrupted(`no data for ${formatSeconds(stallMs)} s (stalled connection)`));
      abort();
      reader.cancel().catch(() => void 0);
    }, stallMs);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } catch (e2) {
    if (timedOut) throw new BodyInterrupted(`no data for ${formatSeconds(stallMs)} s (stalled connection)`);
    if (e2 instanceof BodyInterrupted) throw e2;
    throw new BodyInterrupted(`connection broke mid-body (${describeCause(e2)})`);
  } finally {
    clearTimeout(timer);
  }
}
async function drain(res) {
  try {
    await res.body?.cancel();
  } catch {
  }
}
function describeCause(e2) {
  if (e2 instanceof Error) {
    const cause = e2.cause;
    const inner = cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "";
    return inner && inner !== e2.message ? `${e2.message}: ${inner}` : e2.message;
  }
  return String(e2);
}

// src/sources/hub-errors.ts
var MAX_REASON_BYTES = 64 * 1024;
async function errorReason(res) {
  const header = res.headers.get("x-error-message");
  if (header) return header;
  let text = "";
  try {
    const buf = await res.arrayBuffer();
    text = new TextDecoder().decode(new Uint8Array(buf, 0, Math.min(buf.byteLength, MAX_REASON_BYTES)));
  } catch {
  }
  const fromText = reasonFromBody(text);
  return fromText ?? (res.statusText || "no reason given");
}
function reasonFromBody(text) {
  const t = text.trim();
  if (!t) return null;
  if (t.startsWith("{")) {
    try {
      const j = JSON.parse(t);
      if (typeof j === "object" && j !== null) {
        const { error, message } = j;
        if (typeof error === "string" && error) return error;
        if (typeof message === "string" && message) return message;
      }
    } catch {
    }
  }
  if (t.startsWith("<")) return null;
  return t.length > 200 ? `${t.slice(0, 200)}\u2026` : t;
}
function hubHttpError(status, reason, errorCode, ctx) {
  const repo = ctx.repo;
  const code = errorCode ? ` ${errorCode}` : "";
  const tokenAdvice = `accept its licence on ${ctx.endpoint}/${repo} and pass a token (--token or HF_TOKEN).`;
  if (status === 401 && errorCode === "RepoNotFound" && !ctx.tokenSent) {
    return new FetchError(
      `${repo}: repository not found on ${ctx.endpoint} (HTTP 401${code}: ${reason}). Check the name (org/name). If the repo is private or gated, ${tokenAdvice}`,
      status
    );
  }
  if (status === 401 || status === 403) {
    const tokenNote = ctx.tokenSent ? " A token was sent but refused: check that it is valid and that its account has access (for gated repos, accept the licence with that same account)." : "";
    return new AuthError(
      `${repo}: access denied (HTTP ${status}${code}: ${reason}). The repo may be gated or private: ${tokenAdvice}${tokenNote}`,
      status
    );
  }
  if (status === 404) {
    const rev = ctx.revision ?? "main";
    if (errorCode === "RevisionNotFound") {
      return new FetchError(`${repo}: revision ${JSON.stringify(rev)} not found (HTTP 404${code}: ${reason}). Check the branch, tag or commit after '@'.`, status);
    }
    if (errorCode === "EntryNotFound" && ctx.file !== void 0) {
      return new FetchError(`${repo}@${rev}: file ${JSON.stringify(ctx.file)} not found (HTTP 404${code}: ${reason})`, status);
    }
    if (errorCode === "RepoNotFound" || ctx.file === void 0) {
      return new FetchError(
        `${repo}: repository not found on ${ctx.endpoint} (HTTP 404${code}: ${reason}). Check the name (org/name); a private repo also needs a token.`,
        status
      );
    }
    return new FetchError(`${repo}@${rev}: ${ctx.file} not found (HTTP 404${code}: ${reason})`, status);
  }
  const where = ctx.file !== void 0 ? `${repo}@${ctx.revision ?? "main"}:${ctx.file}` : repo;
  if (isRetryableStatus(status)) {
    return new FetchError(
      `${where}: the Hub answered HTTP ${status}${code} (${reason}) after ${ctx.attempts} attempt${ctx.attempts === 1 ? "" : "s"}; try again later`,
      status
    );
  }
  return new FetchError(`${where}: HTTP ${status}${code} (${reason})`, status);
}
async function hubResponseError(res, ctx) {
  const code = res.headers.get("x-error-code");
  const reason = await errorReason(res);
  return hubHttpError(res.status, reason, code, ctx);
}
function mapHubThrown(e2, ctx) {
  if (e2 instanceof FromScratchError) return e2;
  if (e2 instanceof HubApiError) {
    const data = e2.data;
    const fromData = data && typeof data.error === "string" ? data.error : data && typeof data.message === "string" ? data.message : null;
    const reason = fromData || e2.message.replace(/\.\s*URL: .*$/s, "") || "no reason given";
    return hubHttpError(e2.statusCode, reason, null, ctx);
  }
  const msg = e2 instanceof Error ? describeCause(e2) : String(e2);
  return new FetchError(`${ctx.repo}: unexpected response from the Hub at ${ctx.endpoint} (${msg})`);
}

// src/sources/hub-api.ts
var MAX_API_BYTES = 1e8;
var SHA_RE = /^[0-9a-f]{40}$/;
async function fetchModelInfo(api, revision, ctx) {
  let info;
  try {
    info = await modelInfo({
      name: api.repo,
      revision: revision ?? void 0,
      additionalFields: ["sha", "cardData"],
      hubUrl: api.endpoint,
      fetch: libFetch(api, ctx)
    });
  } catch (e2) {
    throw mapHubThrown(e2, ctx);
  }
  if (typeof info.sha !== "string" || !SHA_RE.test(info.sha)) {
    throw new FetchError(`${api.repo}: the Hub did not return a commit sha for revision ${JSON.stringify(revision ?? "main")}`);
  }
  const lic = info.cardData?.license;
  const license = typeof lic === "string" && lic ? lic : Array.isArray(lic) && lic.length > 0 && lic.every((l) => typeof l === "string") ? lic.join(", ") : null;
  return { sha: info.sha, license };
}
var SHA256_RE = /^[0-9a-f]{64}$/;
async function fetchFileList(api, sha, ctx) {
  const files = /* @__PURE__ */ new Map();
  try {
    for await (const entry of listFiles({ repo: api.repo, revision: sha, recursive: true, hubUrl: api.endpoint, fetch: libFetch(api, ctx) })) {
      if (entry.type !== "file") continue;
      if (typeof entry.path !== "string" || !Number.isSafeInteger(entry.size) || entry.size < 0) {
        throw new FetchError(`${api.repo}@${sha}: the Hub's file listing has a malformed entry`);
      }
      const lfs = typeof entry.lfs?.oid === "string" ? entry.lfs.oid.toLowerCase() : null;
      if (lfs !== null && !SHA256_RE.test(lfs)) throw new FetchError(`${api.repo}@${sha}: the Hub's file listing gives ${entry.path} an LFS oid that is not a sha256`);
      files.set(entry.path, { size: entry.size, sha256: lfs, gitOid: typeof entry.oid === "string" ? entry.oid : null });
    }
  } catch (e2) {
    throw mapHubThrown(e2, ctx);
  }
  return files;
}
function libFetch(api, ctx) {
  const f = async (input, init) => {
    const where = redactUrl(input instanceof Request ? input.url : input);
    const deadline = Date.now() + api.budgetMs;
    for (let attempt = 1; ; attempt++) {
      const ctl = new AbortController();
      const unlink = [linkAbort(init?.signal ?? null, ctl), linkAbort(api.closing, ctl)];
      try {
        const res = await answer(api, input, { ...init, signal: ctl.signal, deadline });
        if (!res.ok) throw await hubResponseError(res, ctx);
        try {
          const body = await readAll(api, res, ctl, where);
          return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
        } catch (e2) {
          if (!(e2 instanceof BodyInterrupted)) throw e2;
          giveUpOrWarn(api, e2, { where, attempt, deadline });
        }
      } finally {
        for (const u of unlink) u();
      }
    }
  };
  return f;
}
async function answer(api, input, init) {
  try {
    return await api.http(input, init);
  } catch (e2) {
    throw e2 instanceof FetchError && !e2.message.startsWith(`${api.repo}`) ? new FetchError(`${api.repo}: ${e2.message}`, e2.status, e2.code) : e2;
  }
}
function giveUpOrWarn(api, e2, { where, attempt, deadline }) {
  const tries = `${attempt} attempt${attempt === 1 ? "" : "s"}`;
  if (Date.now() >= deadline) {
    throw new FetchError(`${api.repo}: reading ${where}: ${e2.message}; gave up after ${tries}: no complete answer within ${formatSeconds(api.budgetMs)} s; ${RAISE_TIMEOUT_HINT}`, void 0, "fetch.timeout");
  }
  if (attempt >= api.maxAttempts) throw new FetchError(`${api.repo}: reading ${where}: ${e2.message}; gave up after ${tries}`, void 0, "fetch.network");
  api.logger.warn(`${api.repo}: reading ${where}: ${e2.message}; retrying (attempt ${attempt + 1}/${api.maxAttempts})`);
}
async function readAll(api, res, ctl, where) {
  if (res.body === null) return null;
  const reader = res.body.getReader();
  const parts = [];
  let total = 0;
  for (; ; ) {
    const chunk = await readChunk(reader, api.stallMs, () => ctl.abort());
    if (chunk.done) break;
    total += chunk.value.length;
    if (total > MAX_API_BYTES) {
      ctl.abort();
      await reader.cancel().catch(() => void 0);
      throw new FetchError(`${api.repo}: the Hub's answer from ${where} is larger than ${MAX_API_BYTES} bytes; refusing it`);
    }
    parts.push(chunk.value);
  }
  const out = new Uint8Array(total);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

// src/sources/hub-fetch.ts
var MAX_REDIRECTS = 5;
var hopsOf = /* @__PURE__ */ new WeakMap();
function redirectHops(res) {
  return hopsOf.get(res) ?? [];
}
var REDIRECT_STATUSES = /* @__PURE__ */ new Set([301, 302, 303, 307, 308]);
var plural = (n2) => count(n2, "attempt");
function unlinkAll(links) {
  for (const u of links.splice(0)) u();
}
async function hop(w, { signal, links }, { url, init, hopStallMs }) {
  const ctl = new AbortController();
  links.push(linkAbort(signal, ctl));
  let stalled = false;
  const timer = hopStallMs > 0 && Number.isFinite(hopStallMs) ? setTimeout(() => {
    stalled = true;
    ctl.abort();
  }, hopStallMs) : void 0;
  try {
    return await w.base(url.href, { ...init, signal: ctl.signal });
  } catch (e2) {
    if (stalled && !signal?.aborted) throw new StallError(`no response within ${formatSeconds(hopStallMs)} s (stalled connection)`);
    throw e2;
  } finally {
    clearTimeout(timer);
  }
}
async function followRedirects(w, call) {
  let current = call.url;
  const hops = [];
  for (let n2 = 0; ; n2++) {
    const h = new Headers(call.headers);
    if (w.token !== null && w.token !== "" && current.origin === w.endpointOrigin) h.set("authorization", `Bearer ${w.token}`);
    else h.delete("authorization");
    unlinkAll(call.links);
    const left = call.deadline - w.now();
    if (left <= 0) throw new StallError("the network timeout ran out before this hop");
    const res = await hop(w, call, { url: current, init: { method: call.method, headers: h, redirect: "manual" }, hopStallMs: Math.min(w.stallMs, left) });
    const location = REDIRECT_STATUSES.has(res.status) ? res.headers.get("location") : null;
    if (location === null) {
      if (hops.length > 0) hopsOf.set(res, hops);
      return res;
    }
    hops.push({ url: current.href, status: res.status, headers: res.headers });
    await drain(res);
    if (n2 >= MAX_REDIRECTS) {
      throw new FetchError(`too many redirects (more than ${MAX_REDIRECTS}) fetching ${redactUrl(call.url)}`);
    }
    let next;
    try {
      next = new URL(location, current);
    } catch {
      throw new FetchError(`${redactUrl(current)} redirected to an invalid URL`);
    }
    if (!isAllowedProtocol(next)) {
      throw new FetchError(`${redactUrl(current)} redirected to ${redactUrl(next)}; refusing a non-https redirect`);
    }
    current = next;
  }
}
function startCall(w, input, init) {
  const url = new URL(input instanceof Request ? input.url : input);
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  if (method !== "GET" && method !== "HEAD") {
    throw new FetchError(`internal: the Hub client only sends GET and HEAD, not ${method}`);
  }
  const headers = new Headers(input instanceof Request ? input.headers : void 0);
  new Headers(init?.headers).forEach((v, k) => headers.set(k, v));
  const signal = init?.signal ?? (input instanceof Request ? input.signal : void 0);
  const started = w.now();
  const callerDeadline = init?.deadline;
  const deadline = Math.min(started + w.maxRetryMs, callerDeadline !== void 0 && Number.isFinite(callerDeadline) ? callerDeadline : Infinity);
  return { url, method, headers, signal, started, deadline, links: [] };
}
function noResponse(w, call, attempts) {
  const spent = call.deadline - w.now() <= Math.max(50, 0.05 * w.maxRetryMs);
  const how = spent ? "" : `, each dropped after ${formatSeconds(w.stallMs)} s of silence, ${formatSeconds(Math.round((w.now() - call.started) / 100) * 100)} s in all`;
  return new FetchError(`no response from ${redactUrl(call.url)} within ${formatSeconds(w.maxRetryMs)} s (${plural(attempts)}${how}; stalled connection); ${RAISE_TIMEOUT_HINT}`, void 0, "fetch.timeout");
}
async function pause(w, call, ms) {
  await w.sleep(ms, call.signal ?? void 0);
  if (call.signal?.aborted) throw call.signal.reason instanceof Error ? call.signal.reason : new Error("aborted");
}
async function retryAfterError(w, call, e2, attempt) {
  if (e2 instanceof FromScratchError) throw e2;
  if (call.signal?.aborted) throw e2;
  const stalled = e2 instanceof StallError;
  const cause = describeCause(e2);
  if (attempt >= w.maxAttempts) {
    if (stalled) throw noResponse(w, call, attempt);
    throw new FetchError(`network error fetching ${redactUrl(call.url)}: ${cause} (gave up after ${plural(w.maxAttempts)})`, void 0, "fetch.network");
  }
  const wait = backoff(w, attempt);
  const elapsed = w.now() - call.started;
  if (w.now() + wait > call.deadline) {
    if (stalled) throw noResponse(w, call, attempt);
    throw new FetchError(
      `network error fetching ${redactUrl(call.url)}: ${cause} (gave up after ${plural(attempt)} in ${formatSeconds(elapsed)} s: the ${formatSeconds(w.maxRetryMs)} s retry budget is spent); ${RAISE_TIMEOUT_HINT}`,
      void 0,
      "fetch.network"
    );
  }
  w.logger?.warn(`network error fetching ${redactUrl(call.url)}: ${cause}; retrying in ${formatSeconds(wait)} s (attempt ${attempt + 1}/${w.maxAttempts})`);
  await pause(w, call, wait);
}
async function retryAfterStatus(w, call, res, attempt) {
  const url = redactUrl(call.url);
  const ra = parseRetryAfter(res.headers.get("retry-after"));
  const elapsed = w.now() - call.started;
  const left = Math.max(0, call.deadline - w.now());
  if (ra !== null && ra > left) {
    const reason = await errorReason(res);
    throw new FetchError(
      `HTTP ${res.status} from ${url} (${reason}): the Hub asked to wait ${formatSeconds(Math.ceil(ra / 1e3) * 1e3)} s (Retry-After) before retrying, more than the ${formatSeconds(Math.round(left / 1e3) * 1e3)} s left of the ${formatSeconds(w.maxRetryMs)} s retry budget; gave up after ${plural(attempt)}, try again later or ${RAISE_TIMEOUT_HINT}`,
      res.status
    );
  }
  const wait = Math.min(w.maxDelayMs, ra ?? backoff(w, attempt));
  if (wait > left) {
    const reason = await errorReason(res);
    throw new FetchError(
      `HTTP ${res.status} from ${url} (${reason}): gave up after ${plural(attempt)} in ${formatSeconds(elapsed)} s (the ${formatSeconds(w.maxRetryMs)} s retry budget is spent); try again later`,
      res.status
    );
  }
  await drain(res);
  w.logger?.warn(`HTTP ${res.status} from ${url}; retrying in ${formatSeconds(wait)} s (attempt ${attempt + 1}/${w.maxAttempts})`);
  await pause(w, call, wait);
}
function backoff(w, attempt) {
  return Math.min(w.maxDelayMs, w.retryBaseMs * 2 ** (attempt - 1));
}
function makeHubFetch(opts) {
  const w = {
    endpointOrigin: new URL(checkEndpoint(opts.endpoint)).origin,
    base: opts.fetch ?? fetch,
    token: opts.token,
    maxAttempts: Math.max(1, Math.floor(opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)),
    retryBaseMs: Math.max(0, opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS),
    maxDelayMs: Math.max(0, opts.maxDelayMs ?? 6e4),
    maxRetryMs: Math.max(0, opts.maxRetryMs ?? DEFAULT_MAX_RETRY_MS),
    stallMs: opts.stallMs ?? DEFAULT_STALL_MS,
    sleep: opts.sleep ?? defaultSleep,
    now: opts.now ?? Date.now,
    logger: opts.logger
  };
  const wrapped = async (input, init) => {
    const call = startCall(w, input, init);
    for (let attempt = 1; ; attempt++) {
      unlinkAll(call.links);
      let res;
      try {
        res = await followRedirects(w, call);
      } catch (e2) {
        unlinkAll(call.links);
        await retryAfterError(w, call, e2, attempt);
        continue;
      }
      if (isRetryableStatus(res.status) && attempt < w.maxAttempts) {
        await retryAfterStatus(w, call, res, attempt);
        continue;
      }
      return res;
    }
  };
  return wrapped;
}

// src/sources/listing.ts
import { createHash as createHash3 } from "node:crypto";

// src/safetensors/json-keys.ts
function findDuplicateKey(text) {
  const stack = [];
  let i = 0;
  const n2 = text.length;
  let expectKey = false;
  while (i < n2) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const start = i;
      i++;
      while (i < n2) {
        const d = text.charCodeAt(i);
        if (d === 92) i += 2;
        else if (d === 34) break;
        else i++;
      }
      i++;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(start, i));
        if (top.has(key)) return key;
        top.add(key);
      }
      expectKey = false;
      continue;
    }
    if (c === 123) {
      stack.push(/* @__PURE__ */ new Set());
      expectKey = true;
    } else if (c === 91) {
      stack.push(null);
      expectKey = false;
    } else if (c === 125 || c === 93) {
      stack.pop();
      expectKey = false;
    } else if (c === 44) {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
    i++;
  }
  return null;
}

// src/safetensors/header.ts
var MAX_HEADER_BYTES = 1e8;
function readHeaderLength(file, prefix, fileSize) {
  if (fileSize < 8 || prefix.length < 8) {
    throw new FormatError(file, `file is ${fileSize} bytes, too short to be safetensors (needs an 8-byte header length)`, void 0, "format.header-too-small");
  }
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const big = dv.getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(file, `header length ${big} exceeds the 100,000,000-byte limit (not a safetensors file, or corrupt)`, void 0, "format.header-too-large");
  }
  const n2 = Number(big);
  if (8 + n2 > fileSize) {
    throw new FormatError(file, `header length ${n2} runs past the end of the ${fileSize}-byte file (truncated or incomplete download, or not safetensors)`, void 0, "format.truncated");
  }
  if (n2 < 2) throw new FormatError(file, `header length ${n2} is too small for a JSON object`, void 0, "format.header-too-small");
  return n2;
}
function product(file, name2, shape) {
  let numel2 = 1;
  for (const d of shape) {
    numel2 *= d;
    if (!Number.isSafeInteger(numel2)) throw new FormatError(file, `shape [${shape.join(", ")}] has too many elements`, name2, "format.overflow");
  }
  return numel2;
}
function describedEnd(entries2) {
  let max = 0;
  for (const [name2, raw] of Object.entries(entries2)) {
    if (name2 === "__metadata__" || typeof raw !== "object" || raw === null) continue;
    const offsets2 = raw.data_offsets;
    if (Array.isArray(offsets2) && offsets2.length === 2 && Number.isSafeInteger(offsets2[1])) max = Math.max(max, offsets2[1]);
  }
  return max;
}
function parseHeader(file, json, fileSize) {
  const dataStart = 8 + json.length;
  const parsed = headerObject(file, json);
  const at = { file, dataStart, fileSize, bufferSize: fileSize - dataStart, parsed };
  let metadata = null;
  const tensors = [];
  for (const [name2, raw] of Object.entries(parsed)) {
    if (name2 === "__metadata__") metadata = metadataOf(file, raw);
    else tensors.push(entryOf2(at, name2, raw));
  }
  checkCoverage(at, tensors);
  return { tensors, metadata, dataStart };
}
function headerObject(file, json) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(json);
  } catch {
    throw new FormatError(file, "header is not valid UTF-8", void 0, "format.invalid-header");
  }
  if (!text.startsWith("{")) throw new FormatError(file, "header does not start with '{' (not a safetensors JSON header)", void 0, "format.invalid-header");
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e2) {
    throw new FormatError(file, `header is not valid JSON (${e2.message})`, void 0, "format.invalid-header");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new FormatError(file, "header is not a JSON object", void 0, "format.invalid-header");
  }
  const dup = findDuplicateKey(text);
  if (dup !== null) throw new FormatError(file, `header lists key ${JSON.stringify(dup)} twice`, void 0, "format.invalid-header");
  return parsed;
}
function metadataOf(file, raw) {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new FormatError(file, "__metadata__ must be an object of strings", void 0, "format.invalid-header");
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string") throw new FormatError(file, `__metadata__[${JSON.stringify(k)}] must be a string`, void 0, "format.invalid-header");
  }
  return raw;
}
function entryOf2(at, name2, raw) {
  const { file, dataStart, fileSize, bufferSize } = at;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new FormatError(file, "entry is not an object with dtype, shape and data_offsets", name2, "format.invalid-header");
  }
  const { dtype, shape, data_offsets: offsets2 } = raw;
  if (typeof dtype !== "string") throw new FormatError(file, "dtype missing or not a string", name2, "format.invalid-header");
  const bits = Object.hasOwn(DTYPE_BITS, dtype) ? DTYPE_BITS[dtype] : void 0;
  if (bits === void 0) throw new FormatError(file, `unknown dtype ${JSON.stringify(dtype)}`, name2, "format.unknown-dtype");
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError(file, "shape must be an array of non-negative integers", name2, "format.invalid-header");
  }
  if (!Array.isArray(offsets2) || offsets2.length !== 2 || !offsets2.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FormatError(file, "data_offsets must be [begin, end] with non-negative integers", name2, "format.invalid-offsets");
  }
  const [begin, end] = offsets2;
  if (begin > end) throw new FormatError(file, `data_offsets [${begin}, ${end}] end before they begin`, name2, "format.invalid-offsets");
  if (end > bufferSize) {
    const expected = dataStart + describedEnd(at.parsed);
    throw new FormatError(
      file,
      `data_offsets [${begin}, ${end}] run past the ${bufferSize}-byte data buffer: the file is ${fileSize} bytes, its header describes ${expected} (truncated or incomplete download)`,
      name2,
      "format.truncated"
    );
  }
  const numel2 = product(file, name2, shape);
  const totalBits = numel2 * bits;
  if (!Number.isSafeInteger(totalBits)) {
    throw new FormatError(file, `shape [${shape.join(", ")}] of ${dtype} is too large (${numel2} elements)`, name2, "format.overflow");
  }
  if (totalBits % 8 !== 0) {
    throw new FormatError(file, `shape [${shape.join(", ")}] of ${dtype} is not a whole number of bytes`, name2, "format.misaligned");
  }
  if (end - begin !== totalBits / 8) {
    throw new FormatError(file, `byte span ${end - begin} does not match shape [${shape.join(", ")}] x ${dtype} = ${totalBits / 8} bytes`, name2, "format.invalid-offsets");
  }
  return { name: name2, dtype, shape, file, begin: dataStart + begin, end: dataStart + end };
}
function checkCoverage(at, tensors) {
  const { file, dataStart, fileSize, bufferSize } = at;
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = dataStart;
  for (const t of sorted) {
    if (t.begin < cursor) {
      throw new FormatError(file, `data_offsets [${t.begin - dataStart}, ${t.end - dataStart}] overlap the previous tensor`, t.name, "format.invalid-offsets");
    }
    if (t.begin > cursor) {
      throw new FormatError(file, `gap in the data buffer before this tensor (bytes ${cursor - dataStart}..${t.begin - dataStart} belong to no tensor)`, t.name, "format.invalid-offsets");
    }
    cursor = t.end;
  }
  if (cursor !== fileSize) {
    throw new FormatError(file, `data buffer is ${bufferSize} bytes but the tensors cover ${cursor - dataStart} (trailing bytes or truncated file)`, void 0, "format.invalid-offsets");
  }
}

// src/safetensors/shard-index.ts
var INDEX_FILE = "model.safetensors.index.json";
var SINGLE_FILE = "model.safetensors";
var MAX_INDEX_BYTES = 25e7;
function checkShardName(file, shard) {
  if (shard.length === 0 || shard.startsWith("/") || shard.includes("\\") || shard.includes("\0") || shard.split("/").some((part) => part === ".." || part === "." || part === "")) {
    throw new FormatError(file, `shard name ${JSON.stringify(shard)} is not a plain relative path inside the model`, void 0, "format.invalid-index");
  }
  if (!shard.endsWith(".safetensors")) {
    throw new FormatError(file, `shard ${JSON.stringify(shard)} is not a .safetensors file`, void 0, "format.invalid-index");
  }
}
function parseShardIndex(file, text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e2) {
    throw new FormatError(file, `not valid JSON (${e2.message})`, void 0, "format.invalid-index");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new FormatError(file, "not a JSON object", void 0, "format.invalid-index");
  const dup = findDuplicateKey(text);
  if (dup !== null) throw new FormatError(file, `lists key ${JSON.stringify(dup)} twice`, void 0, "format.invalid-index");
  const wm = parsed.weight_map;
  if (typeof wm !== "object" || wm === null || Array.isArray(wm)) throw new FormatError(file, "weight_map missing or not an object", void 0, "format.invalid-index");
  const weightMap = /* @__PURE__ */ new Map();
  const shards = [];
  const seen = /* @__PURE__ */ new Set();
  for (const [tensor, shard] of Object.entries(wm)) {
    if (typeof shard !== "string") throw new FormatError(file, `weight_map value for ${JSON.stringify(tensor)} is not a string`, void 0, "format.invalid-index");
    checkShardName(file, shard);
    weightMap.set(tensor, shard);
    if (!seen.has(shard)) {
      seen.add(shard);
      shards.push(shard);
    }
  }
  if (weightMap.size === 0) throw new FormatError(file, "weight_map is empty", void 0, "format.invalid-index");
  return { weightMap, shards };
}
function reconcileShards(indexFile, index, perShard) {
  const byName = /* @__PURE__ */ new Map();
  for (const [shard, tensors] of perShard) {
    for (const t of tensors) {
      const prev = byName.get(t.name);
      if (prev) throw new FormatError(indexFile, `tensor is stored in two shards (${prev.file} and ${shard})`, t.name, "format.index-mismatch");
      byName.set(t.name, t);
    }
  }
  const out = [];
  for (const [name2, shard] of index.weightMap) {
    const t = byName.get(name2);
    if (!t) throw new FormatError(indexFile, `index lists this tensor in ${shard}, but that shard does not contain it`, name2, "format.index-mismatch");
    if (t.file !== shard) throw new FormatError(indexFile, `index says shard ${shard}, but it is stored in ${t.file}`, name2, "format.index-mismatch");
    out.push(t);
  }
  for (const [name2, t] of byName) {
    if (!index.weightMap.has(name2)) throw new FormatError(indexFile, `shard ${t.file} holds a tensor the index does not list`, name2, "format.index-mismatch");
  }
  return out;
}

// src/sources/listing.ts
var PICKLE_EXTENSIONS = [".bin", ".pt", ".pth", ".ckpt", ".pkl"];
var MAX_LISTED_NAMES = 20;
var HEADER_CONCURRENCY = 8;
function isPickle(name2) {
  return PICKLE_EXTENSIONS.some((e2) => name2.endsWith(e2));
}
function identify(folder, file, size, whole) {
  const listed2 = folder.listedIds?.(file);
  const sha2562 = whole ? createHash3("sha256").update(whole).digest("hex") : listed2?.sha256 ?? null;
  const id = { path: file, size, sha256: sha2562, sha256From: whole ? "computed" : sha2562 ? "hub" : null };
  if (listed2?.gitOid) id.gitOid = listed2.gitOid;
  return id;
}
async function listFolder(folder) {
  if (await folder.has(INDEX_FILE)) return listSharded(folder);
  if (await folder.has(SINGLE_FILE)) return listFile(folder, SINGLE_FILE);
  throw new FormatError(folder.label, missingWeightsProblem(await folder.names()), void 0, "format.no-weights");
}
async function listFile(folder, file) {
  if (isPickle(file)) {
    throw new FormatError(folder.fileLabel(file), "is a pickle checkpoint; fromscratch only reads safetensors (pickles are never unpickled)", void 0, "format.no-weights");
  }
  const size = await folder.size(file, null);
  const r = await readHeader(folder, file, size);
  return { tensors: r.tensors, files: [file], headerBytes: r.bytes, fileIds: [identify(folder, file, size, null)] };
}
async function listSharded(folder) {
  const indexLabel = folder.fileLabel(INDEX_FILE);
  const size = await folder.size(INDEX_FILE, null);
  if (size > MAX_INDEX_BYTES) throw new FormatError(indexLabel, `index is ${size} bytes, above the ${MAX_INDEX_BYTES}-byte limit`, void 0, "format.invalid-index");
  const bytes = await folder.readWhole(INDEX_FILE, size);
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(indexLabel, "is not valid UTF-8", void 0, "format.invalid-index");
  }
  const index = parseShardIndex(indexLabel, text);
  const sizes = await mapLimit(index.shards, HEADER_CONCURRENCY, (shard) => folder.size(shard, indexLabel));
  const results = await mapLimit(index.shards, HEADER_CONCURRENCY, (shard, i) => readHeader(folder, shard, sizes[i]));
  const perShard = /* @__PURE__ */ new Map();
  let headerBytes = bytes.length;
  index.shards.forEach((shard, i) => {
    perShard.set(shard, results[i].tensors);
    headerBytes += results[i].bytes;
  });
  const fileIds = [identify(folder, INDEX_FILE, size, bytes), ...index.shards.map((shard, i) => identify(folder, shard, sizes[i], null))];
  return { tensors: reconcileShards(indexLabel, index, perShard), files: index.shards, headerBytes, fileIds };
}
async function readHeader(folder, file, size) {
  const label = folder.fileLabel(file);
  const prefixLen = Math.min(8, size);
  const prefix = prefixLen > 0 ? await folder.read(file, 0, prefixLen, size) : new Uint8Array(0);
  const n2 = readHeaderLength(label, prefix, size);
  const json = await folder.read(file, 8, 8 + n2, size);
  const parsed = parseHeader(label, json, size);
  return { tensors: parsed.tensors.map((t) => ({ ...t, file })), bytes: 8 + n2 };
}
var base = (n2) => n2.slice(n2.lastIndexOf("/") + 1);
function missingWeightsProblem(names2) {
  const want = `no ${SINGLE_FILE} or ${INDEX_FILE}`;
  if (names2.length === 0) return `is empty (${want})`;
  const shown = names2.slice(0, MAX_LISTED_NAMES).join(", ") + (names2.length > MAX_LISTED_NAMES ? `, and ${names2.length - MAX_LISTED_NAMES} more` : "");
  const safetensors = names2.filter((n2) => n2.endsWith(".safetensors"));
  const adapter = safetensors.some((n2) => base(n2) === "adapter_model.safetensors");
  const shards = safetensors.filter((n2) => /^model-\d+-of-\d+\.safetensors$/.test(base(n2)));
  const pickles = names2.filter(isPickle);
  const notes = [];
  if (adapter) notes.push("a LoRA adapter: compare the merged model instead");
  if (shards.length > 0) notes.push(`${shards.length} shard${shards.length === 1 ? "" : "s"} but no ${INDEX_FILE}, which says which shard holds which tensor`);
  else if (!adapter && safetensors.length > 0) notes.push(`to compare ${safetensors.length === 1 ? "that .safetensors file" : "one of its .safetensors files"}, pass the file itself`);
  let out = `holds ${want}; it has: ${shown}${notes.length ? ` (${notes.join("; ")})` : ""}`;
  if (pickles.length > 0) out += "; fromscratch only reads safetensors (pickle checkpoints are never unpickled)";
  return out;
}

// src/sources/ranged-get.ts
var CDN_URL_TTL_MS = 5 * 6e4;
var RangedGet = class {
  constructor(o) {
    this.o = o;
    o.closing.addEventListener("abort", () => {
      for (const abort of [...this.inFlight]) abort();
    }, { once: true });
  }
  /** Every byte received, wasted ones included. */
  bytes = 0;
  /**
   * The aborts of the requests in flight. The source's `closing` signal gets one listener that
   * reaches them all, not one per request: the read-ahead may have dozens of spans in flight, and
   * a listener each on one shared signal is what Node reports as a possible leak
   * (MaxListenersExceededWarning).
   */
  inFlight = /* @__PURE__ */ new Set();
  /**
   * Bytes of `file` (whole when range is null, else [begin, end)), exactly the
   * bytes asked for. Streams each response into one buffer of the final size;
   * a body that breaks, stalls or ends short is resumed with a Range request
   * for what is still missing, at most maxAttempts requests in all.
   */
  async fetch(file, info, range, stream = null) {
    const begin = range ? range.begin : 0;
    const end = range ? range.end : info.size;
    const out = stream?.out ?? new Uint8Array(end - begin);
    if (out.length !== end - begin) throw new Error(`internal: a ${out.length}-byte buffer for ${end - begin} bytes`);
    const progress = { got: 0, at: Date.now() };
    const label = this.o.label(file);
    const live = { abort: null };
    const onAbort = () => live.abort?.();
    stream?.signal.addEventListener("abort", onAbort, { once: true });
    this.inFlight.add(onAbort);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          if (stream?.signal.aborted === true || this.o.closing.aborted) throw new Error("cancelled");
          const from = begin + progress.got;
          const want = { file, from, end, size: info.size, ranged: range !== null || from > 0 };
          await this.fetchOnce({ want, info, out, progress, onProgress: stream?.onProgress ?? null, live });
          return out;
        } catch (e2) {
          if (stream?.signal.aborted) throw new Error(`${label}: read-ahead of bytes ${begin}-${end - 1} cancelled`);
          if (this.o.closing.aborted) throw new FetchError(`${label}: read of bytes ${begin}-${end - 1} cancelled (source closed)`);
          if (!(e2 instanceof BodyInterrupted)) throw e2;
          info.cdn = void 0;
          this.giveUpOrWarn(e2, { label, attempt, progress, begin, end });
        }
      }
    } finally {
      stream?.signal.removeEventListener("abort", onAbort);
      this.inFlight.delete(onAbort);
    }
  }
  /** A body broke: throw when the network timeout passed without a byte or the attempts are spent, else warn (the caller resumes). */
  giveUpOrWarn(e2, at) {
    const { label, attempt, progress, begin, end } = at;
    const tries = `${attempt} attempt${attempt === 1 ? "" : "s"}`;
    if (Date.now() - progress.at >= this.o.budgetMs) {
      throw new FetchError(
        `${label}: ${e2.message}; no data within ${formatSeconds(this.o.budgetMs)} s (${tries}, ${progress.got} of ${end - begin} bytes of range ${begin}-${end - 1} received); ${RAISE_TIMEOUT_HINT}`,
        void 0,
        "fetch.timeout"
      );
    }
    if (attempt >= this.o.maxAttempts) {
      throw new FetchError(`${label}: ${e2.message}; gave up after ${tries} with ${progress.got} of ${end - begin} bytes of range ${begin}-${end - 1} received`, void 0, "fetch.network");
    }
    this.o.logger.warn(
      `${label}: ${e2.message}; resuming at byte ${begin + progress.got} (${progress.got} of ${end - begin} bytes received, attempt ${attempt + 1}/${this.o.maxAttempts})`
    );
  }
  resolveUrl(file) {
    const sha = this.o.sha();
    if (sha === null) throw new Error("internal: HubSource used before list() pinned a revision");
    const path9 = file.split("/").map(encodeURIComponent).join("/");
    return `${this.o.endpoint}/${this.o.repo}/resolve/${sha}/${path9}`;
  }
  /** GET through the cached signed CDN URL while fresh, else (or when the CDN refuses it) the resolve URL. */
  async get(file, info, init) {
    const label = this.o.label(file);
    const call = async (url2) => {
      try {
        return await this.o.http(url2, init);
      } catch (e2) {
        if (e2 instanceof FetchError && !e2.message.startsWith(this.o.repo)) throw new FetchError(`${label}: ${e2.message}`, e2.status, e2.code);
        throw e2;
      }
    };
    const cached2 = info.cdn && Date.now() - info.cdn.at < CDN_URL_TTL_MS ? info.cdn.url : null;
    if (cached2 !== null) {
      const res = await call(cached2);
      if (res.ok || res.status < 400 || res.status >= 500) return { res, fromCache: true, url: cached2 };
      await drain(res);
      info.cdn = void 0;
    }
    const url = this.resolveUrl(file);
    return { res: await call(url), fromCache: false, url };
  }
  /** The repo changed under us: never mix two revisions. */
  changed(file, what, a, b) {
    return new FetchError(`${this.o.repo}: the repo changed while it was being read (file ${file}: ${what} ${a} then ${b}); re-run to check one revision`);
  }
  /**
   * Check every answer on the way (redirect hops, then the final response)
   * against the pinned sha (X-Repo-Commit on the Hub's origin) and against the
   * first ETag seen for this file on the same origin.
   */
  checkRevision(file, info, res) {
    const hubOrigin = originOf(this.o.endpoint);
    const sha = this.o.sha();
    const answers = [...redirectHops(res).map((h) => ({ url: h.url, headers: h.headers })), { url: res.url, headers: res.headers }];
    for (const a of answers) {
      const origin = originOf(a.url);
      if (origin === null) continue;
      const onHub = origin === hubOrigin;
      const etag = normalizeEtag(onHub ? a.headers.get("x-linked-etag") ?? a.headers.get("etag") : a.headers.get("etag"));
      if (etag !== null) {
        const seen = info.etags.get(origin);
        if (seen === void 0) info.etags.set(origin, etag);
        else if (seen !== etag) throw this.changed(file, "etag", seen, etag);
      }
      const commit2 = onHub ? a.headers.get("x-repo-commit") : null;
      if (commit2 !== null && commit2.trim() !== "" && sha !== null && commit2.trim() !== sha) {
        throw this.changed(file, "commit", sha, commit2.trim());
      }
    }
  }
  /**
   * One request for the bytes still missing, [want.from, want.end), copied
   * into `out` as they arrive (progress.got advances with them). Resolves when
   * the range is complete; BodyInterrupted when the body breaks, stalls or
   * ends short (worth resuming); FetchError for anything else.
   */
  async fetchOnce(a) {
    const { want, info, progress, live } = a;
    const headers = { "accept-encoding": "identity" };
    if (want.ranged) headers.range = `bytes=${want.from}-${want.end - 1}`;
    const ctl = new AbortController();
    live.abort = () => ctl.abort();
    const { res, fromCache, url } = await this.get(want.file, info, { headers, signal: ctl.signal, deadline: progress.at + this.o.budgetMs });
    const answer2 = await this.checkAnswer(want, info, res, headers.range);
    await this.stream(a, { res, finalUrl: res.url || url, answer: answer2, ctl });
    if (!fromCache && res.url && originOf(res.url) !== originOf(this.o.endpoint)) {
      info.cdn = { url: res.url, at: Date.now() };
    }
  }
  /**
   * Check a response's status, revision and length headers against what was
   * asked (the body is drained when refused). `skip`: bytes before the range
   * that a server ignoring Range sends first.
   */
  async checkAnswer(want, info, res, range) {
    const refuse = async (problem, status) => {
      await drain(res);
      throw new FetchError(`${this.o.label(want.file)}: ${problem}`, status);
    };
    if (res.status === 416) {
      return refuse(`the server refused byte range ${range ?? "(whole file)"} (HTTP 416); the file may be shorter than the listing says`, 416);
    }
    if (!res.ok) throw await hubResponseError(res, this.o.errorContext(want.file));
    try {
      this.checkRevision(want.file, info, res);
    } catch (e2) {
      await drain(res);
      throw e2;
    }
    const answer2 = checkLength(want, res);
    if ("problem" in answer2) return refuse(answer2.problem, answer2.status);
    if (answer2.ignoringRange && !info.warnedIgnoredRange) {
      info.warnedIgnoredRange = true;
      this.o.logger.warn(
        `${this.o.label(want.file)}: the server ignores Range requests (HTTP 200 with the whole ${want.size}-byte file); each read streams the file from its start, discarding the bytes before the range and stopping at its end, so bytes are wasted`
      );
    }
    return answer2;
  }
  /** Copy the body into `out`, skipping what precedes the range, cutting a server that ignores Range off at the range's end. */
  async stream(a, r) {
    const { want, out, progress, onProgress, live } = a;
    const { res, finalUrl, answer: answer2, ctl } = r;
    const received0 = progress.got;
    const need = () => want.end - want.from - (progress.got - received0);
    if (res.body === null) {
      if (need() === 0) return;
      throw new BodyInterrupted(`empty response from ${redactUrl(finalUrl)}, ${need()} bytes missing`);
    }
    const reader = res.body.getReader();
    const stop = async () => {
      ctl.abort();
      await reader.cancel().catch(() => void 0);
    };
    live.abort = () => {
      ctl.abort();
      void reader.cancel().catch(() => void 0);
    };
    let skip = answer2.skip;
    for (; ; ) {
      const chunk = await readChunk(reader, this.o.stallMs, () => ctl.abort());
      if (chunk.done) break;
      let v = chunk.value;
      this.bytes += v.length;
      if (v.length > 0) progress.at = Date.now();
      if (skip > 0) {
        if (v.length <= skip) {
          skip -= v.length;
          continue;
        }
        v = v.subarray(skip);
        skip = 0;
      }
      if (v.length > need()) {
        if (!answer2.ignoringRange) {
          await stop();
          throw new FetchError(`${this.o.label(want.file)}: the server sent more than the ${want.end - want.from} bytes asked for`);
        }
        v = v.subarray(0, need());
      }
      out.set(v, progress.got);
      progress.got += v.length;
      onProgress?.(progress.got);
      if (answer2.ignoringRange && need() === 0) {
        await stop();
        break;
      }
    }
    if (need() > 0) {
      const declared = answer2.declared !== null && answer2.declared < want.end - want.from ? ` (Content-Length ${answer2.declared})` : "";
      throw new BodyInterrupted(`the body from ${redactUrl(finalUrl)} ended after ${progress.got - received0} of ${want.end - want.from} bytes${declared}`);
    }
  }
};
function checkLength(want, res) {
  const { from, end, size } = want;
  const declaredHeader = res.headers.get("content-length");
  const declared = declaredHeader !== null && /^\d+$/.test(declaredHeader.trim()) ? Number(declaredHeader) : null;
  const ok = { declared, skip: 0, ignoringRange: false };
  if (!want.ranged) {
    if (res.status !== 200) return { problem: `expected HTTP 200 for the whole file, got ${res.status}`, status: res.status };
    if (declared !== null && declared > size) return { problem: `expected ${size} bytes but the server announced Content-Length ${declared}` };
    return ok;
  }
  if (res.status === 206) {
    const cr = res.headers.get("content-range");
    const m = cr ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr.trim()) : null;
    if (!m || Number(m[1]) !== from || Number(m[2]) !== end - 1) return { problem: `asked for bytes ${from}-${end - 1} but the server answered Content-Range ${JSON.stringify(cr)}` };
    if (m[3] !== "*" && Number(m[3]) !== size) return { problem: `the server says the file is ${m[3]} bytes, the listing says ${size}` };
    if (declared !== null && declared > end - from) return { problem: `expected ${end - from} bytes but the server announced Content-Length ${declared}` };
    return ok;
  }
  if (res.status === 200) {
    if (declared !== size) {
      return {
        problem: `the server ignored the Range request (HTTP 200 instead of 206 Partial Content) and its Content-Length (${declaredHeader ?? "none"}) is not the listed file size ${size}; refusing the response`,
        status: 200
      };
    }
    return { declared, skip: from, ignoringRange: true };
  }
  return { problem: `expected HTTP 206 Partial Content for bytes ${from}-${end - 1}, got ${res.status}`, status: res.status };
}
function normalizeEtag(v) {
  if (v === null) return null;
  const t = v.trim().replace(/^W\//, "");
  return t === "" ? null : t;
}

// src/sources/repo-id.ts
var REPO_ID_RE = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/;
function isValidRepoId(repo) {
  return REPO_ID_RE.test(repo) && repo.split("/").every((p) => p !== "." && p !== ".." && !p.includes(".."));
}
function isValidRevision(rev) {
  return rev.split("/").every((p) => p !== "" && p !== "." && p !== "..");
}

// src/sources/hub.ts
var HubSource = class {
  source;
  repo;
  endpoint;
  requested;
  token;
  logger;
  maxAttempts;
  missingLocalPath;
  /** Aborted by close(): every request still in flight (header reads, resumes, waits between attempts) ends with it. */
  closing = new AbortController();
  api;
  ranged;
  sha = null;
  license = null;
  files = /* @__PURE__ */ new Map();
  /** What the Hub's tree listed for each file besides its size: the LFS sha256 and the git blob id. */
  listedIds = /* @__PURE__ */ new Map();
  readAhead = null;
  constructor(opts) {
    if (!isValidRepoId(opts.repo)) {
      throw new UsageError(`${JSON.stringify(opts.repo)} is not a Hugging Face repo id (expected org/name)`);
    }
    this.source = opts.source;
    this.repo = opts.repo;
    this.requested = opts.revision;
    this.endpoint = checkEndpoint(opts.endpoint);
    this.token = opts.token === "" ? null : opts.token;
    this.logger = opts.logger ?? silentLogger;
    this.missingLocalPath = opts.missingLocalPath ?? null;
    this.maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS));
    const budgetMs = Math.max(1, opts.maxRetryMs ?? opts.networkTimeoutMs ?? DEFAULT_NETWORK_TIMEOUT_MS);
    const stallMs = opts.stallMs ?? stallForBudget(opts.networkTimeoutMs ?? budgetMs, this.maxAttempts);
    const http = makeHubFetch({
      endpoint: this.endpoint,
      token: this.token,
      fetch: opts.fetch,
      maxAttempts: this.maxAttempts,
      retryBaseMs: opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
      maxRetryMs: budgetMs,
      stallMs,
      logger: this.logger
    });
    const common = { repo: this.repo, endpoint: this.endpoint, http, logger: this.logger, maxAttempts: this.maxAttempts, stallMs, budgetMs, closing: this.closing.signal };
    this.api = common;
    this.ranged = new RangedGet({
      ...common,
      sha: () => this.sha,
      label: (file) => this.label(file),
      errorContext: (file) => this.ctx(file)
    });
  }
  get bytesRead() {
    return this.ranged.bytes;
  }
  /** The pinned commit sha, once list() has resolved it. */
  get revision() {
    return this.sha;
  }
  ctx(file) {
    return {
      endpoint: this.endpoint,
      repo: this.repo,
      revision: this.sha ?? this.requested,
      file,
      tokenSent: this.token !== null,
      attempts: this.maxAttempts
    };
  }
  label(file) {
    return `${this.repo}@${this.sha ?? this.requested ?? "main"}:${file}`;
  }
  /** modelInfo: commit sha (pinned for every later request) and licence. */
  async pin() {
    const info = await fetchModelInfo(this.api, this.requested, this.ctx());
    this.sha = info.sha;
    this.license = info.license;
  }
  /** Resolve the revision to its commit sha (one API call) and the licence; idempotent. */
  async resolve() {
    try {
      if (this.sha === null) await this.pin();
    } catch (e2) {
      throw this.explain(e2, true);
    }
    return { sha: this.sha, license: this.license };
  }
  /**
   * A failure of a source that could also have been a local path (which does
   * not exist) says both readings: "no local path X; as a Hub repo: <error>".
   * When the Hub says the repo (or revision) is not there, the source names
   * nothing that exists anywhere: bad input, exit code 2, like a missing
   * ./path (most likely a mistyped local path). A Hub that could not be
   * reached, refused access or failed otherwise keeps its own kind (exit 3):
   * the repo may exist and a later run may read it.
   */
  explain(e2, pinning) {
    if (!(e2 instanceof FromScratchError)) return e2;
    if (pinning && e2 instanceof FetchError && (e2.code === "fetch.network" || e2.code === "fetch.timeout")) {
      e2.message = this.unreachable(e2.message);
      return e2;
    }
    if (this.missingLocalPath === null) return e2;
    const message = `no local path ${this.missingLocalPath}; as a Hub repo: ${e2.message}`;
    if (pinning && e2 instanceof FetchError && (e2.status === 404 || e2.status === 401)) return new UsageError(message);
    e2.message = message;
    return e2;
  }
  /** A Hub that could not be reached: what was tried, the cause, and the two ways round it (a mirror, a local folder). */
  unreachable(cause) {
    const local = this.missingLocalPath !== null ? ` (and no local folder ${this.missingLocalPath} exists)` : "";
    return `could not reach the Hub at ${this.endpoint} for ${this.repo}${local}. Offline or behind a firewall? Point at a Hub mirror with HF_ENDPOINT (or --endpoint), or give the path of a local folder with the model's safetensors files. Cause: ${cause}`;
  }
  /** What a cache needs to read this revision again without listing it: file sizes. */
  snapshot() {
    if (this.sha === null) return null;
    return { sha: this.sha, files: Object.fromEntries([...this.files].map(([k, v]) => [k, v.size])) };
  }
  /** Adopt a cached snapshot of the same revision (after resolve()), so read() works without list(). */
  restore(snap) {
    if (this.sha !== null && snap.sha !== this.sha) throw new Error(`internal: snapshot of ${snap.sha} restored into ${this.sha}`);
    this.sha = snap.sha;
    this.files.clear();
    for (const [k, size] of Object.entries(snap.files)) this.files.set(k, { size, etags: /* @__PURE__ */ new Map() });
  }
  async list() {
    const pinning = this.sha === null;
    try {
      if (this.sha === null) await this.pin();
      this.files.clear();
      this.listedIds.clear();
      for (const [file, entry] of await fetchFileList(this.api, this.sha, this.ctx())) {
        this.files.set(file, { size: entry.size, etags: /* @__PURE__ */ new Map() });
        this.listedIds.set(file, { ...entry.sha256 ? { sha256: entry.sha256 } : {}, ...entry.gitOid ? { gitOid: entry.gitOid } : {} });
      }
      const listed2 = await listFolder(this.folder());
      return { source: this.source, revision: this.sha, license: this.license, ...listed2 };
    } catch (e2) {
      throw this.explain(e2, pinning && this.sha === null);
    }
  }
  /** The repo at the pinned revision as the shared listing sees it. */
  folder() {
    const info = (file) => this.files.get(file);
    return {
      label: `${this.repo}@${this.sha}`,
      fileLabel: (file) => this.label(file),
      has: async (file) => this.files.has(file),
      names: async () => [...this.files.keys()].sort(),
      size: async (file, listedBy) => {
        const f = this.files.get(file);
        if (f) return f.size;
        throw new FormatError(listedBy ?? this.label(file), listedBy ? `the index lists shard ${JSON.stringify(file)}, which is not in the repo` : "not in the repo");
      },
      read: (file, begin, end) => this.ranged.fetch(file, info(file), { begin, end }),
      readWhole: (file) => this.ranged.fetch(file, info(file), null),
      listedIds: (file) => this.listedIds.get(file)
    };
  }
  /**
   * The ranges the engine will read next, in order: adjacent ones are
   * coalesced into single ranged requests and fetched ahead (read-ahead.ts).
   */
  expect(ranges, concurrency) {
    if (this.sha === null) throw new Error("internal: HubSource.expect() called before list()");
    for (const r of ranges) {
      const info = this.files.get(r.file);
      if (!info || r.begin < 0 || r.end > info.size || r.end < r.begin) throw new RangeError(`${this.label(r.file)}: bad planned byte range [${r.begin}, ${r.end})`);
    }
    this.readAhead?.reset();
    this.readAhead = new ReadAhead(
      ({ file, begin, end }, out, { onProgress, signal }) => this.ranged.fetch(file, this.files.get(file), { begin, end }, { out, onProgress, signal }).then(() => void 0),
      Math.max(1, Math.floor(concurrency)) * (SPAN_MAX_BYTES / 2)
    );
    this.readAhead.plan(ranges);
  }
  /** Spans planned and requested so far by the read-ahead (for logs and the bench). */
  get readAheadStats() {
    return this.readAhead?.stats ?? null;
  }
  /** Drop the read-ahead and abort every request still in flight (and any wait between attempts). */
  async close() {
    this.readAhead?.reset();
    this.closing.abort();
  }
  async read(file, begin, end) {
    if (this.sha === null) throw new Error("internal: HubSource.read() called before list()");
    const info = this.files.get(file);
    if (!info) throw new FetchError(`${this.label(file)}: not a file of this repo at the pinned revision`, 404);
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin || end > info.size) {
      throw new RangeError(`${this.label(file)}: bad byte range [${begin}, ${end}) for a ${info.size}-byte file`);
    }
    if (begin === end) return new Uint8Array(0);
    const planned = this.readAhead?.take(file, begin, end);
    if (planned) return planned;
    const started = Date.now();
    const out = await this.ranged.fetch(file, info, { begin, end });
    const mib = (end - begin) / 2 ** 20;
    if (mib >= 64) this.logger.progress?.(`${this.label(file)}: read ${mib.toFixed(0)} MiB in ${((Date.now() - started) / 1e3).toFixed(1)} s`);
    return out;
  }
};

// src/sources/local.ts
import { open as open2, readdir as readdir2, realpath, stat as stat3 } from "node:fs/promises";
import path6 from "node:path";

// src/sources/hash-worker.ts
import { Worker as Worker2 } from "node:worker_threads";
var WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
const fd = openSync(workerData.path, "r");
const hash = createHash("sha256");
const buf = Buffer.allocUnsafe(workerData.chunk);
let size = 0;
let told = 0;
try {
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, size);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    size += n;
    if (size - told >= workerData.every) {
      told = size;
      parentPort.postMessage({ progress: size });
    }
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage({ sha256: hash.digest("hex"), size });
`;
function hashFileInWorker(file, chunk, onProgress) {
  return new Promise((resolve2, reject) => {
    const worker = new Worker2(WORKER, { eval: true, workerData: { path: file, chunk, every: 64 * 2 ** 20 } });
    let done = false;
    worker.on("message", (m) => {
      if (m.sha256 !== void 0 && m.size !== void 0) {
        done = true;
        resolve2({ sha256: m.sha256, size: m.size });
      } else if (m.progress !== void 0) onProgress?.(m.progress);
    });
    worker.on("error", (e2) => {
      done = true;
      reject(e2);
    });
    worker.on("exit", (code) => {
      if (!done) reject(new Error(`the hashing worker stopped (exit code ${code})`));
    });
  });
}

// src/sources/local.ts
var HASH_CHUNK_BYTES = 4 * 2 ** 20;
var LocalSource = class {
  source;
  /** The model directory as given (for messages). */
  root = "";
  /** The same, absolute: files open the same way whatever the working directory later is. */
  absRoot = "";
  bytes = 0;
  constructor(source) {
    this.source = source;
  }
  get bytesRead() {
    return this.bytes;
  }
  /** Resolve a shard name to a path, refusing anything (symlinks included) that leaves the model directory. */
  async resolveFile(file) {
    const p = path6.join(this.root, file);
    let real;
    try {
      real = await realpath(path6.join(this.absRoot, file));
    } catch {
      throw new FormatError(p, "file not found");
    }
    const rootReal = await realpath(this.absRoot);
    if (real !== rootReal && !real.startsWith(rootReal + path6.sep)) {
      throw new FormatError(p, "resolves outside the model directory (symlink?); refusing to read it");
    }
    return real;
  }
  async list() {
    const given2 = this.source.startsWith("file://") ? this.source.slice(7) : this.source;
    let st;
    try {
      st = await stat3(given2);
    } catch {
      throw new UsageError(`no such file or directory: ${given2}`);
    }
    const isFile = st.isFile();
    this.root = isFile ? path6.dirname(given2) : given2;
    this.absRoot = path6.resolve(this.root);
    const listed2 = isFile ? await listFile(this.folder(), path6.basename(given2)) : await listFolder(this.folder());
    this.bytes += listed2.headerBytes;
    return { source: this.source, revision: null, license: null, ...listed2 };
  }
  /** The directory as the shared listing sees it. */
  folder() {
    const exists2 = (file) => stat3(path6.join(this.absRoot, file)).then(
      () => true,
      () => false
    );
    return {
      label: this.root,
      fileLabel: (file) => path6.join(this.root, file),
      has: exists2,
      names: async () => (await readdir2(this.absRoot).catch(() => [])).sort(),
      size: async (file) => (await stat3(await this.resolveFile(file))).size,
      read: (file, begin, end) => this.readOnce(file, begin, end),
      readWhole: (file, size) => this.readOnce(file, 0, size)
    };
  }
  /** Bytes of a file opened for this read only (headers and the index, while listing). */
  async readOnce(file, begin, end) {
    const label = path6.join(this.root, file);
    const fh = await open2(await this.resolveFile(file), "r");
    try {
      const buf = new Uint8Array(end - begin);
      await readExactly(fh, label, begin, buf);
      return buf;
    } catch (e2) {
      throw e2 instanceof FetchError ? new FormatError(label, "file shrank while it was being listed") : e2;
    } finally {
      await fh.close();
    }
  }
  /** Open handles per shard, resolved (and checked against the directory) once. */
  handles = /* @__PURE__ */ new Map();
  handle(file) {
    let h = this.handles.get(file);
    if (!h) {
      h = this.resolveFile(file).then(async (p) => ({ path: p, fh: await open2(p, "r") }));
      h.catch(() => this.handles.delete(file));
      this.handles.set(file, h);
    }
    return h;
  }
  async read(file, begin, end) {
    const buf = new Uint8Array(Buffer.allocUnsafeSlow(end - begin).buffer, 0, end - begin);
    await this.readInto(file, begin, end, buf);
    return buf;
  }
  async readInto(file, begin, end, into) {
    const { path: p, fh } = await this.handle(file);
    await readExactly(fh, p, begin, into.subarray(0, end - begin));
    this.bytes += end - begin;
  }
  /**
   * The sha256 of a whole file of the model, read once in HASH_CHUNK_BYTES pieces into one reused
   * buffer in a worker thread (memory stays at that; the comparison goes on meanwhile), and its size. A read that fails
   * is a FormatError naming the file. Not counted in bytesRead (the comparison's reads).
   */
  async hashFile(file, onProgress) {
    const label = path6.join(this.root, file);
    const resolved = await this.resolveFile(file);
    try {
      return await hashFileInWorker(resolved, HASH_CHUNK_BYTES, onProgress);
    } catch (e2) {
      throw new FormatError(label, `could not be read to compute its sha256: ${e2?.message ?? String(e2)}`);
    }
  }
  /** Close the open shard handles (the engine calls it when a source is done). */
  async close() {
    const all2 = [...this.handles.values()];
    this.handles.clear();
    for (const h of all2) await h.then((x) => x.fh.close()).catch(() => void 0);
  }
};
async function readExactly(fh, label, begin, buf) {
  const len = buf.length;
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, begin + got);
    if (bytesRead === 0) throw new FetchError(`${label}: file ended at byte ${begin + got}, expected data up to ${begin + len}`);
    got += bytesRead;
  }
}

// src/sources/parse-source.ts
var HUB_RE = /^([A-Za-z0-9._-]+\/[A-Za-z0-9._-]+)(?:@([A-Za-z0-9._/-]+))?$/;
var HINT = "expected a local path (directory or .safetensors file) or a Hugging Face repo: org/name, org/name@revision or hf://org/name[@revision]";
function parseHubId(s, given2) {
  if (s.endsWith("@")) return null;
  const m = HUB_RE.exec(s);
  if (!m) return null;
  const repo = m[1];
  const revision = m[2] ?? null;
  if (!isValidRepoId(repo)) return null;
  if (revision !== null && !isValidRevision(revision)) {
    throw new UsageError(`${JSON.stringify(given2)}: revision ${JSON.stringify(revision)} is not a valid branch, tag or commit`);
  }
  return { repo, revision };
}
function expandHome(p) {
  if (p === "~") return homedir();
  if (p.startsWith("~/")) return path7.join(homedir(), p.slice(2));
  return p;
}
function parseSource(s) {
  if (s.trim() === "") throw new UsageError(`empty model source; ${HINT}`);
  if (s.startsWith("hf://")) {
    const hub2 = parseHubId(s.slice("hf://".length), s);
    if (!hub2) throw new UsageError(`${JSON.stringify(s)} is not a valid Hub reference; expected hf://org/name or hf://org/name@revision`);
    return { kind: "hub", ...hub2, missingLocalPath: null };
  }
  if (s.startsWith("file://")) return { kind: "local", path: expandHome(s.slice("file://".length)) };
  if (existsSync2(s) || s.startsWith("/") || s.startsWith("./") || s.startsWith("../") || s.startsWith("~") || s.endsWith(".safetensors")) {
    return { kind: "local", path: expandHome(s) };
  }
  const hub = parseHubId(s, s);
  if (hub) return { kind: "hub", ...hub, missingLocalPath: s };
  throw new UsageError(`${JSON.stringify(s)} is neither an existing local path nor a Hugging Face repo id; ${HINT}`);
}
function createSource(s, opts) {
  const parsed = parseSource(s);
  if (parsed.kind === "local") return new LocalSource(parsed.path);
  return new HubSource({
    source: s,
    repo: parsed.repo,
    revision: parsed.revision,
    endpoint: opts.endpoint,
    token: opts.token,
    fetch: opts.fetch,
    logger: opts.logger,
    networkTimeoutMs: opts.networkTimeoutMs,
    ...opts.hubTimings,
    missingLocalPath: parsed.missingLocalPath
  });
}

// src/common/output-file.ts
import { constants } from "node:fs";
import { access, mkdir as mkdir3, writeFile as writeFile3 } from "node:fs/promises";
import path8 from "node:path";
async function checkOutputPath(file, what) {
  const abs = path8.resolve(file);
  const st = await statOrNull(abs);
  if (st?.isDirectory()) throw new UsageError(`${what} ${file}: is a folder; give a file name (e.g. ${path8.join(file, "report.json")})`, "usage.unwritable-output");
  let dir = path8.dirname(abs);
  for (; ; ) {
    const d = await statOrNull(dir);
    if (d) {
      if (!d.isDirectory()) throw new UsageError(`${what} ${file}: ${dir} is a file, not a folder`, "usage.unwritable-output");
      try {
        await access(dir, constants.W_OK);
      } catch {
        throw new UsageError(`${what} ${file}: the folder ${dir} is not writable`, "usage.unwritable-output");
      }
      return;
    }
    const up = path8.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}
async function writeOutput(file, content) {
  try {
    await mkdir3(path8.dirname(path8.resolve(file)), { recursive: true });
    await writeFile3(file, content);
    return null;
  } catch (e2) {
    const err = e2;
    return `${err.code ? `${err.code}: ` : ""}${err.message.replace(/^[A-Z]+: /, "")}`;
  }
}

// src/cli.ts
var USAGE = renderHelp();
var USAGE_HINT = `run \`${COMMAND} --help\` for usage`;
function cliLogger(io, quiet) {
  let last = 0;
  let pending = false;
  return {
    info: (m) => {
      if (quiet) return;
      if (pending && io.isTTY) io.stderr("\n");
      pending = false;
      io.stderr(`${m}
`);
    },
    warn: (m) => io.stderr(`warning: ${m}
`),
    progress: (m) => {
      if (quiet) return;
      const now = Date.now();
      if (now - last < (io.isTTY ? 200 : 5e3)) return;
      last = now;
      if (io.isTTY) {
        io.stderr(`\r${m}\x1B[K`);
        pending = true;
      } else io.stderr(`${m}
`);
    }
  };
}
function parseCommandArgs(mode, args, io) {
  const raw = readArgv(mode, args, io.env);
  for (const w of deprecationsIn(raw)) io.stderr(`warning: ${w}
`);
  return { ...raw, mode };
}
async function runPlanCommand(args, io) {
  const settings = parseSettings(parseCommandArgs("plan", args, io));
  const logger = cliLogger(io, settings.quiet);
  for (const n2 of settings.notes) logger.info(`note: ${n2}`);
  const plan = await makePlan(settings, settings.shards, {
    openSource: (s) => createSource(s, { endpoint: settings.endpoint, token: settings.token, fetch: io.fetch, logger, networkTimeoutMs: settings.networkTimeoutMs, hubTimings: io.hubTimings }),
    logger
  });
  for (const l of describePlan(plan)) logger.info(l);
  io.stdout(JSON.stringify(matrixOf(plan)) + "\n");
  return EXIT.pass;
}
async function runMergeCommand(args, io) {
  const settings = parseSettings(parseCommandArgs("merge", args, io), { entry: "cli", command: COMMAND });
  const logger = cliLogger(io, settings.quiet);
  const { reportPath, summaryPath } = settings;
  if (reportPath) await checkOutputPath(reportPath, "--report");
  if (summaryPath) await checkOutputPath(summaryPath, "--summary");
  const files = await expandReportPaths(settings.reports);
  const report = mergeReports(await readPartials(files), { failOn: settings.failOn });
  logger.info(`merged ${files.length} partial reports (plan ${report.merged.fingerprint.slice(0, 12)}, ${report.references.length} references)`);
  return await deliver({ report, error: null }, io, logger, {
    format: settings.format,
    reportPath,
    summaryPath,
    color: false
  });
}
async function deliver({ report, error }, io, logger, out) {
  const failures = [];
  const paths = { reportPath: out.reportPath ?? null, htmlPath: out.htmlPath ?? null };
  const files = [
    { path: out.reportPath, what: "JSON report", render: () => JSON.stringify(report, null, 2) + "\n" },
    { path: out.htmlPath, what: "HTML report", render: () => renderHtml(report, paths) },
    { path: out.summaryPath, what: "summary", render: () => renderMarkdown(report, paths) }
  ];
  let bug = null;
  for (const f of files) {
    if (!f.path) continue;
    let content;
    try {
      content = f.render();
    } catch (e2) {
      bug ??= new InternalError(e2);
      failures.push(`could not render the ${f.what} for ${f.path}: ${e2?.message ?? String(e2)}`);
      continue;
    }
    const why = await writeOutput(f.path, content);
    if (why) failures.push(`could not write the ${f.what} to ${f.path} (${why}); the verdict above stands`);
    else logger.info(`${f.what} written to ${f.path}`);
  }
  const stop = error ?? (report.error ? { kind: report.error.kind, message: report.error.message, exitCode: report.error.exitCode } : null);
  const bare = stop !== null && stop.kind !== "internal" && out.format !== "json" && report.references.every((r) => r.error);
  if (!bare) {
    let rendered;
    try {
      rendered = out.format === "json" ? JSON.stringify(report, null, 2) + "\n" : out.format === "markdown" ? renderMarkdown(report, paths) : renderText(report, { htmlPath: paths.htmlPath, color: out.color });
    } catch (e2) {
      bug ??= new InternalError(e2);
      rendered = `verdict: ${report.verdict.toUpperCase()} (${report.gate.rule})
`;
    }
    io.stdout(rendered);
  }
  for (const f of failures) io.stderr(`warning: ${f}
`);
  if (!bare) for (const r of report.references.filter(nothingComparable)) io.stderr(`warning: ${nothingComparableWarning(r, report.failOn, "cli")}
`);
  if (stop) {
    io.stderr(`error: ${stop.message}
`);
    if (stop.kind === "usage") io.stderr(`${USAGE_HINT}
`);
    if (error instanceof InternalError) io.stderr(`${error.detail}
`);
  }
  if (bug) io.stderr(`${bug.message}
${bug.detail}
`);
  if (error) return exitCodeFor(error);
  if (report.error) return report.error.exitCode;
  if (bug) return EXIT.internal;
  return report.gate.failed ? EXIT.gateFailed : EXIT.pass;
}
async function main(argv, io) {
  const [command, ...rest] = argv;
  try {
    if (command === void 0 || command === "--help" || command === "-h" || command === "help") {
      io.stdout(USAGE);
      return command === void 0 ? EXIT.badInput : EXIT.pass;
    }
    if (command === "--version" || command === "-v") {
      io.stdout(`${VERSION}
`);
      return EXIT.pass;
    }
    if (command === "examples") {
      if (rest.length !== 1) throw new UsageError(`usage: ${COMMAND} examples DIR`);
      for (const d of await writeExamples(rest[0])) io.stdout(`${d}
`);
      return EXIT.pass;
    }
    if (command === "plan" || command === "merge") {
      if (rest.includes("--help") || rest.includes("-h")) {
        io.stdout(USAGE);
        return EXIT.pass;
      }
      return command === "plan" ? await runPlanCommand(rest, io) : await runMergeCommand(rest, io);
    }
    if (command !== "check") throw new UsageError(`unknown command ${JSON.stringify(command)} (try: ${COMMAND} check --help)`);
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(USAGE);
      return EXIT.pass;
    }
    const settings = parseSettings(parseCommandArgs("check", rest, io));
    if (settings.reportPath) await checkOutputPath(settings.reportPath, "--report");
    if (settings.htmlPath) await checkOutputPath(settings.htmlPath, "--html");
    const logger = cliLogger(io, settings.quiet);
    for (const n2 of settings.notes) logger.info(`note: ${n2}`);
    const openSource = (s) => createSource(s, { endpoint: settings.endpoint, token: settings.token, fetch: io.fetch, logger, networkTimeoutMs: settings.networkTimeoutMs, hubTimings: io.hubTimings });
    const { report, error } = await runCheck(settings, {
      openSource,
      openReference: referenceOpener(openSource, { cacheDir: settings.cacheDir, logger }),
      logger,
      now: () => Date.now(),
      scratchDir: os.tmpdir()
    });
    if (settings.shard) report.shard = settings.shard;
    return await deliver({ report, error }, io, logger, {
      format: settings.format,
      reportPath: settings.reportPath,
      htmlPath: settings.htmlPath,
      color: io.stdoutTTY === true && !io.env.NO_COLOR
    });
  } catch (e2) {
    if (e2 instanceof FromScratchError) {
      io.stderr(`error: ${e2.message}
`);
      if (e2.kind === "usage") io.stderr(`${USAGE_HINT}
`);
      return exitCodeFor(e2);
    }
    io.stderr(`internal error: ${e2?.stack ?? String(e2)}
`);
    return EXIT.internal;
  }
}

// src/common/check-process.ts
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
var MMAP_THRESHOLD_LOCAL = 128 << 10;
var MMAP_THRESHOLD_REMOTE = 32 << 10;
function isEntry(moduleUrl) {
  const entry = process.argv[1];
  if (entry === void 0) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

// src/cli-check.ts
async function checkWith() {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
    stdoutTTY: Boolean(process.stdout.isTTY)
  });
}
if (isEntry(import.meta.url)) await checkWith();
export {
  checkWith
};
