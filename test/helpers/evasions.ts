/**
 * Evasions: transformations of a model's weights that keep the function the
 * network computes (or, for `continueTraining`/`addNoise`, move it in a
 * controlled way), used to check that a reuse detector still finds reuse.
 *
 * Every function is pure (never mutates its input; unchanged tensors may be
 * shared with the input) and deterministic given its seed. Functions that do
 * math on a Llama-style model infer the layout from names (see `llamaLayout`):
 * `{base}layers.{i}.self_attn.{q,k,v,o}_proj.{weight,bias?}`,
 * `{base}layers.{i}.mlp.{gate,up,down}_proj.{weight,bias?}`,
 * `{base}layers.{i}.{input,post_attention}_layernorm.weight`,
 * `{base}embed_tokens.weight`, `{base}norm.weight`, `lm_head.weight`
 * (`base` is usually "model."). Tensors they do not recognise pass through.
 * Apply math evasions BEFORE storage ones (renames, fusions, transposes):
 * after `renameGpt2`/`fuseQkv`/`transposeAll` the Llama layout is gone.
 *
 * Conventions: Linear weights are [out, in] (PyTorch); "permute rows by p"
 * means new row j = old row p[j].
 */
import { type FloatTensors, gaussian } from "../../src/examples/generate.js";

export type { FloatTensors };
export type Tensor = { shape: number[]; data: Float32Array };
export type Evasion = (m: FloatTensors) => FloatTensors;

// ---------------------------------------------------------------------------
// Randomness

/** mulberry32: uniform in [0, 1). */
export function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, rand: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** A seed for one tensor: independent of map order (FNV-1a of the name, mixed with `seed`). */
export function tensorSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
}

/** Log-uniform in [lo, hi]. */
function logUniform(rand: () => number, lo: number, hi: number): number {
  return Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));
}

// ---------------------------------------------------------------------------
// Tensor helpers (all return new tensors)

function get(m: FloatTensors, name: string): Tensor {
  const t = m.get(name);
  if (!t) throw new Error(`tensor ${name} not found`);
  return t;
}

/** [rows, cols] of a tensor viewed as a matrix (dim 0 x the rest; 1-D = n x 1). */
export function dims(t: Tensor): [number, number] {
  const r = t.shape.length === 0 ? 1 : t.shape[0]!;
  return [r, r === 0 ? 0 : t.data.length / r];
}

export function permuteRows(t: Tensor, perm: ArrayLike<number>): Tensor {
  const [r, c] = dims(t);
  if (perm.length !== r) throw new Error(`row permutation of length ${perm.length} for ${r} rows`);
  const out = new Float32Array(t.data.length);
  for (let j = 0; j < r; j++) out.set(t.data.subarray(perm[j]! * c, perm[j]! * c + c), j * c);
  return { shape: [...t.shape], data: out };
}

export function permuteCols(t: Tensor, perm: ArrayLike<number>): Tensor {
  const [r, c] = dims(t);
  if (perm.length !== c) throw new Error(`column permutation of length ${perm.length} for ${c} columns`);
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = t.data[i * c + perm[j]!]!;
  return { shape: [...t.shape], data: out };
}

export function scaleRows(t: Tensor, s: ArrayLike<number> | number): Tensor {
  const [r, c] = dims(t);
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < r; i++) {
    const f = typeof s === "number" ? s : s[i]!;
    for (let j = 0; j < c; j++) out[i * c + j] = t.data[i * c + j]! * f;
  }
  return { shape: [...t.shape], data: out };
}

export function scaleCols(t: Tensor, s: ArrayLike<number> | number): Tensor {
  const [r, c] = dims(t);
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = t.data[i * c + j]! * (typeof s === "number" ? s : s[j]!);
  return { shape: [...t.shape], data: out };
}

export function transpose2d(t: Tensor): Tensor {
  if (t.shape.length !== 2) throw new Error(`transpose2d needs a 2-D tensor, got [${t.shape.join(", ")}]`);
  const [r, c] = [t.shape[0]!, t.shape[1]!];
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!;
  return { shape: [c, r], data: out };
}

/** Stack along dim 0 (1-D vectors concatenate). */
export function concatRows(ts: Tensor[]): Tensor {
  const rest = ts[0]!.shape.slice(1);
  for (const t of ts) {
    if (t.shape.slice(1).join(",") !== rest.join(",")) throw new Error("concatRows: trailing shapes differ");
  }
  const rows = ts.reduce((s, t) => s + (t.shape[0] ?? 1), 0);
  const out = new Float32Array(ts.reduce((s, t) => s + t.data.length, 0));
  let p = 0;
  for (const t of ts) {
    out.set(t.data, p);
    p += t.data.length;
  }
  return { shape: [rows, ...rest], data: out };
}

export function sliceRows(t: Tensor, start: number, count: number): Tensor {
  const [, c] = dims(t);
  return { shape: [count, ...t.shape.slice(1)], data: t.data.slice(start * c, (start + count) * c) };
}

function clone(t: Tensor): Tensor {
  return { shape: [...t.shape], data: t.data.slice() };
}

/** Block permutation of whole blocks of `block` rows: new block j = old block perm[j]. */
function expandBlocks(perm: readonly number[], block: number): number[] {
  const out: number[] = [];
  for (const p of perm) for (let r = 0; r < block; r++) out.push(p * block + r);
  return out;
}

/** t [r, d] x Q [d, d] (Q float64, row-major). */
function mulRight(t: Tensor, q: Float64Array, d: number): Tensor {
  const [r, c] = dims(t);
  if (c !== d) throw new Error(`mulRight: ${c} columns, rotation of size ${d}`);
  const out = new Float32Array(t.data.length);
  const row = new Float64Array(d);
  for (let i = 0; i < r; i++) {
    row.fill(0);
    for (let k = 0; k < d; k++) {
      const a = t.data[i * d + k]!;
      if (a === 0) continue;
      for (let j = 0; j < d; j++) row[j]! += a * q[k * d + j]!;
    }
    for (let j = 0; j < d; j++) out[i * d + j] = row[j]!;
  }
  return { shape: [...t.shape], data: out };
}

/** Q^T [d, d] x t [d, c] (works on 1-D [d] too). */
function mulLeftT(q: Float64Array, t: Tensor, d: number): Tensor {
  const [r, c] = dims(t);
  if (r !== d) throw new Error(`mulLeftT: ${r} rows, rotation of size ${d}`);
  const out = new Float32Array(t.data.length);
  const acc = new Float64Array(c);
  for (let i = 0; i < d; i++) {
    acc.fill(0);
    for (let k = 0; k < d; k++) {
      const a = q[k * d + i]!; // (Q^T)[i, k]
      for (let j = 0; j < c; j++) acc[j]! += a * t.data[k * c + j]!;
    }
    for (let j = 0; j < c; j++) out[i * c + j] = acc[j]!;
  }
  return { shape: [...t.shape], data: out };
}

/** A random n x n orthogonal matrix (Gram-Schmidt on Gaussian rows), float64 row-major. */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const g = gaussian(seed);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (;;) {
      for (let j = 0; j < n; j++) q[i * n + j] = g();
      // Two passes of modified Gram-Schmidt for accuracy.
      for (let pass = 0; pass < 2; pass++) {
        for (let k = 0; k < i; k++) {
          let dot = 0;
          for (let j = 0; j < n; j++) dot += q[i * n + j]! * q[k * n + j]!;
          for (let j = 0; j < n; j++) q[i * n + j]! -= dot * q[k * n + j]!;
        }
      }
      let norm = 0;
      for (let j = 0; j < n; j++) norm += q[i * n + j]! ** 2;
      norm = Math.sqrt(norm);
      if (norm < 1e-6) continue;
      for (let j = 0; j < n; j++) q[i * n + j]! /= norm;
      break;
    }
  }
  return q;
}

// ---------------------------------------------------------------------------
// Layout

export interface LlamaLayout {
  /** Prefix before `layers.{i}.`, e.g. "model." or "model.language_model.model.". */
  base: string;
  layers: number;
  embed: string | null;
  norm: string | null;
  lmHead: string | null;
}

/** Infer the Llama layout from names (the stack with the most matching tensors wins). */
export function llamaLayout(m: FloatTensors): LlamaLayout {
  const re = /^(.*?)layers\.(\d+)\.(?:self_attn\.|mlp\.|input_layernorm|post_attention_layernorm)/;
  const count = new Map<string, number>();
  const maxLayer = new Map<string, number>();
  for (const name of m.keys()) {
    const mt = re.exec(name);
    if (!mt) continue;
    const base = mt[1]!;
    count.set(base, (count.get(base) ?? 0) + 1);
    maxLayer.set(base, Math.max(maxLayer.get(base) ?? -1, Number(mt[2])));
  }
  let base: string | null = null;
  for (const [b, c] of count) if (base === null || c > count.get(base)!) base = b;
  if (base === null) throw new Error("no Llama-style `layers.{i}.self_attn/mlp` tensors found");
  const has = (n: string) => (m.has(n) ? n : null);
  const headCandidates = [base.endsWith("model.") ? `${base.slice(0, -"model.".length)}lm_head.weight` : `${base}lm_head.weight`, "lm_head.weight"];
  return {
    base,
    layers: maxLayer.get(base)! + 1,
    embed: has(`${base}embed_tokens.weight`),
    norm: has(`${base}norm.weight`),
    lmHead: headCandidates.map(has).find((x) => x !== null) ?? null,
  };
}

function layerName(lay: LlamaLayout, i: number, suffix: string): string {
  return `${lay.base}layers.${i}.${suffix}`;
}

/** Apply `f` to a tensor if present (writes into `out`). */
function update(out: FloatTensors, name: string, f: (t: Tensor) => Tensor): void {
  const t = out.get(name);
  if (t) out.set(name, f(t));
}

/**
 * For attention output (o_proj) column c, the v_proj row feeding it. Equal
 * sizes (MHA): identity. GQA needs headDim (o columns of q head h come from kv
 * head floor(h / group)).
 */
function vRowOfOCol(vRows: number, oCols: number, headDim?: number): Int32Array {
  const map = new Int32Array(oCols);
  if (vRows === oCols) {
    for (let c = 0; c < oCols; c++) map[c] = c;
    return map;
  }
  if (!headDim) throw new Error(`v_proj has ${vRows} rows but o_proj ${oCols} columns (GQA): pass headDim`);
  const group = oCols / vRows;
  for (let c = 0; c < oCols; c++) {
    const h = Math.floor(c / headDim);
    map[c] = Math.floor(h / group) * headDim + (c % headDim);
  }
  return map;
}

// ---------------------------------------------------------------------------
// Composition, prefixes

/** compose(f, g, h)(m) = h(g(f(m))): applied left to right. */
export function compose(...fns: Evasion[]): Evasion {
  return (m) => fns.reduce((acc, f) => f(acc), m);
}

/** Prefix every name. Preserves: everything (rename only). */
export function addPrefix(m: FloatTensors, p: string): FloatTensors {
  return new Map([...m].map(([k, v]) => [p + k, v] as const));
}

/** Remove `p` from names that start with it (others unchanged). Preserves: everything. */
export function stripPrefix(m: FloatTensors, p: string): FloatTensors {
  return new Map([...m].map(([k, v]) => [k.startsWith(p) ? k.slice(p.length) : k, v] as const));
}

// ---------------------------------------------------------------------------
// Renames and storage layouts (function preserved; only names/storage change)

/**
 * Llama names -> a GPT-2-like scheme. q,k,v are fused and stored Conv1D-style
 * ([d, q+k+v]); every Linear is stored transposed [in, out]. Biases (if any)
 * follow (missing q/k/v biases are zero-filled when another one exists).
 * Also accepts the output of `fuseQkv` / `fuseGateUp`.
 * Preserves: the function (it is a relabelling + transposes). Inverse: `gpt2ToLlama`.
 */
export function renameGpt2(m: FloatTensors): FloatTensors {
  const lay = llamaLayout(m);
  const out: FloatTensors = new Map();
  const used = new Set<string>();
  const take = (n: string) => {
    used.add(n);
    return get(m, n);
  };
  const opt = (n: string) => {
    if (!m.has(n)) return undefined;
    used.add(n);
    return m.get(n);
  };
  if (lay.embed) out.set("transformer.wte.weight", take(lay.embed));
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerName(lay, i, s);
    const h = `transformer.h.${i}.`;
    const ln1 = opt(L("input_layernorm.weight"));
    if (ln1) out.set(`${h}ln_1.weight`, ln1);
    const fusedQkv = opt(L("self_attn.qkv_proj.weight"));
    if (fusedQkv) {
      // Already fused (fuseQkv): same row order q, k, v.
      out.set(`${h}attn.c_attn.weight`, transpose2d(fusedQkv));
      const b = opt(L("self_attn.qkv_proj.bias"));
      if (b) out.set(`${h}attn.c_attn.bias`, b);
    }
    const q = fusedQkv ? undefined : take(L("self_attn.q_proj.weight"));
    const k = fusedQkv ? undefined : take(L("self_attn.k_proj.weight"));
    const v = fusedQkv ? undefined : take(L("self_attn.v_proj.weight"));
    if (q && k && v) out.set(`${h}attn.c_attn.weight`, transpose2d(concatRows([q, k, v])));
    const qb = opt(L("self_attn.q_proj.bias"));
    const kb = opt(L("self_attn.k_proj.bias"));
    const vb = opt(L("self_attn.v_proj.bias"));
    if (q && k && v && (qb || kb || vb)) {
      const z = (w: Tensor, b: Tensor | undefined) => b ?? { shape: [w.shape[0]!], data: new Float32Array(w.shape[0]!) };
      out.set(`${h}attn.c_attn.bias`, concatRows([z(q, qb), z(k, kb), z(v, vb)]));
    }
    out.set(`${h}attn.c_proj.weight`, transpose2d(take(L("self_attn.o_proj.weight"))));
    const ob = opt(L("self_attn.o_proj.bias"));
    if (ob) out.set(`${h}attn.c_proj.bias`, ob);
    const ln2 = opt(L("post_attention_layernorm.weight"));
    if (ln2) out.set(`${h}ln_2.weight`, ln2);
    // Fused gate_up (fuseGateUp) is split back: GPT-2 has separate c_fc / c_fc2.
    const gu = opt(L("mlp.gate_up_proj.weight"));
    const gub = opt(L("mlp.gate_up_proj.bias"));
    const half = (t: Tensor, second: boolean) => sliceRows(t, second ? t.shape[0]! / 2 : 0, t.shape[0]! / 2);
    out.set(`${h}mlp.c_fc.weight`, transpose2d(gu ? half(gu, true) : take(L("mlp.up_proj.weight"))));
    const ub = gub ? half(gub, true) : opt(L("mlp.up_proj.bias"));
    if (ub) out.set(`${h}mlp.c_fc.bias`, ub);
    const gate = gu ? half(gu, false) : opt(L("mlp.gate_proj.weight"));
    if (gate) out.set(`${h}mlp.c_fc2.weight`, transpose2d(gate));
    const gb = gub ? half(gub, false) : opt(L("mlp.gate_proj.bias"));
    if (gb) out.set(`${h}mlp.c_fc2.bias`, gb);
    out.set(`${h}mlp.c_proj.weight`, transpose2d(take(L("mlp.down_proj.weight"))));
    const db = opt(L("mlp.down_proj.bias"));
    if (db) out.set(`${h}mlp.c_proj.bias`, db);
  }
  if (lay.norm) out.set("transformer.ln_f.weight", take(lay.norm));
  if (lay.lmHead) out.set("lm_head.weight", take(lay.lmHead));
  for (const [n, t] of m) if (!used.has(n)) out.set(n, t);
  return out;
}

/**
 * Inverse of `renameGpt2` (to `model.*` Llama names). The q size is read from
 * `attn.c_proj.weight` ([q, d]); k and v split the rest equally.
 */
export function gpt2ToLlama(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  const used = new Set<string>();
  const take = (n: string) => {
    used.add(n);
    return get(m, n);
  };
  const opt = (n: string) => {
    if (!m.has(n)) return undefined;
    used.add(n);
    return m.get(n);
  };
  let layers = 0;
  for (const n of m.keys()) {
    const mt = /^transformer\.h\.(\d+)\./.exec(n);
    if (mt) layers = Math.max(layers, Number(mt[1]) + 1);
  }
  const wte = opt("transformer.wte.weight");
  if (wte) out.set("model.embed_tokens.weight", wte);
  for (let i = 0; i < layers; i++) {
    const h = `transformer.h.${i}.`;
    const L = `model.layers.${i}.`;
    const o = transpose2d(take(`${h}attn.c_proj.weight`));
    const qkv = transpose2d(take(`${h}attn.c_attn.weight`));
    const qDim = o.shape[1]!;
    const kv = (qkv.shape[0]! - qDim) / 2;
    out.set(`${L}self_attn.q_proj.weight`, sliceRows(qkv, 0, qDim));
    out.set(`${L}self_attn.k_proj.weight`, sliceRows(qkv, qDim, kv));
    out.set(`${L}self_attn.v_proj.weight`, sliceRows(qkv, qDim + kv, kv));
    const qkvb = opt(`${h}attn.c_attn.bias`);
    if (qkvb) {
      out.set(`${L}self_attn.q_proj.bias`, sliceRows(qkvb, 0, qDim));
      out.set(`${L}self_attn.k_proj.bias`, sliceRows(qkvb, qDim, kv));
      out.set(`${L}self_attn.v_proj.bias`, sliceRows(qkvb, qDim + kv, kv));
    }
    out.set(`${L}self_attn.o_proj.weight`, o);
    const ob = opt(`${h}attn.c_proj.bias`);
    if (ob) out.set(`${L}self_attn.o_proj.bias`, ob);
    const gate = opt(`${h}mlp.c_fc2.weight`);
    if (gate) out.set(`${L}mlp.gate_proj.weight`, transpose2d(gate));
    const gb = opt(`${h}mlp.c_fc2.bias`);
    if (gb) out.set(`${L}mlp.gate_proj.bias`, gb);
    out.set(`${L}mlp.up_proj.weight`, transpose2d(take(`${h}mlp.c_fc.weight`)));
    const ub = opt(`${h}mlp.c_fc.bias`);
    if (ub) out.set(`${L}mlp.up_proj.bias`, ub);
    out.set(`${L}mlp.down_proj.weight`, transpose2d(take(`${h}mlp.c_proj.weight`)));
    const db = opt(`${h}mlp.c_proj.bias`);
    if (db) out.set(`${L}mlp.down_proj.bias`, db);
    const ln1 = opt(`${h}ln_1.weight`);
    if (ln1) out.set(`${L}input_layernorm.weight`, ln1);
    const ln2 = opt(`${h}ln_2.weight`);
    if (ln2) out.set(`${L}post_attention_layernorm.weight`, ln2);
  }
  const lnf = opt("transformer.ln_f.weight");
  if (lnf) out.set("model.norm.weight", lnf);
  const head = opt("lm_head.weight");
  if (head) out.set("lm_head.weight", head);
  for (const [n, t] of m) if (!used.has(n)) out.set(n, t);
  return out;
}

const GGUF_LAYER: Record<string, string> = {
  "self_attn.q_proj": "attn_q",
  "self_attn.k_proj": "attn_k",
  "self_attn.v_proj": "attn_v",
  "self_attn.o_proj": "attn_output",
  "mlp.gate_proj": "ffn_gate",
  "mlp.up_proj": "ffn_up",
  "mlp.down_proj": "ffn_down",
  input_layernorm: "attn_norm",
  post_attention_layernorm: "ffn_norm",
};

/**
 * llama.cpp's q/k row permutation for RoPE: within each head, row `a*half + i`
 * moves to `2*i + a` (rotate-half pairs become adjacent).
 */
export function ropeInterleaveRows(t: Tensor, heads: number): Tensor {
  const [r] = dims(t);
  const hd = r / heads;
  const half = hd / 2;
  const perm: number[] = new Array<number>(r);
  for (let h = 0; h < heads; h++) for (let i = 0; i < half; i++) for (let a = 0; a < 2; a++) perm[h * hd + 2 * i + a] = h * hd + a * half + i;
  return permuteRows(t, perm);
}

/**
 * Llama names -> GGUF (llama.cpp) names: `token_embd`, `blk.{i}.attn_q` ...
 * `output_norm`, `output`. Preserves: everything (rename only). With
 * `ropeInterleave`, q/k rows (and biases) are also permuted the way
 * convert_hf_to_gguf.py does; the function is then preserved under llama.cpp's
 * interleaved RoPE (pairs 2i, 2i+1) instead of HF's rotate-half.
 */
export function renameGguf(m: FloatTensors, opts: { ropeInterleave?: { heads: number; kvHeads?: number } } = {}): FloatTensors {
  const lay = llamaLayout(m);
  const out: FloatTensors = new Map();
  const prefix = `${lay.base}layers.`;
  for (const [n, t] of m) {
    if (n === lay.embed) out.set("token_embd.weight", t);
    else if (n === lay.norm) out.set("output_norm.weight", t);
    else if (n === lay.lmHead) out.set("output.weight", t);
    else if (n.startsWith(prefix)) {
      const mt = /^(\d+)\.(.+)\.(weight|bias)$/.exec(n.slice(prefix.length));
      const role = mt ? GGUF_LAYER[mt[2]!] : undefined;
      if (!mt || !role) {
        out.set(n, t);
        continue;
      }
      let v = t;
      const ri = opts.ropeInterleave;
      if (ri && role === "attn_q") v = ropeInterleaveRows(t, ri.heads);
      if (ri && role === "attn_k") v = ropeInterleaveRows(t, ri.kvHeads ?? ri.heads);
      out.set(`blk.${mt[1]}.${role}.${mt[3]}`, v);
    } else out.set(n, t);
  }
  return out;
}

const STACK_RE = /^(.*?(?:^|\.)(?:layers|h|blk|blocks|layer|block|resblocks))\.(\d+)\.(.+)$/;

/**
 * The opaque renaming `renameOpaque` applies: layer tensors of stack s become
 * `net.stack{s>0 ? s+1 : ""}.{i}.p{k}`, other tensors `net.p{k}`, with k a
 * shuffled index per tensor kind (same kind in every layer = same k).
 */
export function opaqueNames(names: Iterable<string>, seed: number): Map<string, string> {
  const list = [...names];
  const stacks: string[] = [];
  const kinds: string[] = [];
  const kindSet = new Set<string>();
  const parsed = list.map((n) => {
    const mt = STACK_RE.exec(n);
    let kind: string;
    let stack = -1;
    let layer = -1;
    if (mt) {
      if (!stacks.includes(mt[1]!)) stacks.push(mt[1]!);
      stack = stacks.indexOf(mt[1]!);
      layer = Number(mt[2]);
      kind = `${stack}:${mt[3]}`;
    } else kind = `top:${n}`;
    if (!kindSet.has(kind)) {
      kindSet.add(kind);
      kinds.push(kind);
    }
    return { n, kind, stack, layer };
  });
  const perm = permutation(kinds.length, uniform(seed));
  const k = new Map(kinds.map((kind, i) => [kind, perm[i]!] as const));
  const out = new Map<string, string>();
  for (const p of parsed) {
    const idx = k.get(p.kind)!;
    out.set(p.n, p.stack < 0 ? `net.p${idx}` : `net.stack${p.stack > 0 ? p.stack + 1 : ""}.${p.layer}.p${idx}`);
  }
  return out;
}

/**
 * Rename every tensor to an opaque scheme keeping only layer numbers (see
 * `opaqueNames`); output ordered by new name (stack, layer, k), so file order
 * reveals no roles either. Preserves: everything (rename only).
 */
export function renameOpaque(m: FloatTensors, seed: number): FloatTensors {
  const names = opaqueNames(m.keys(), seed);
  const key = (s: string) => s.split(".").map((p) => (/^p?\d+$/.test(p) ? p.replace("p", "").padStart(8, "0") : p)).join(".");
  const entries = [...m].map(([n, t]) => [names.get(n)!, t] as const);
  entries.sort((a, b) => (key(a[0]) < key(b[0]) ? -1 : key(a[0]) > key(b[0]) ? 1 : 0));
  return new Map(entries);
}

/**
 * Store 2-D matrices transposed (Conv1D-style [in, out]). Default: every 2-D
 * tensor. Preserves: the function (storage only). An involution.
 */
export function transposeAll(m: FloatTensors, predicate: (name: string, t: Tensor) => boolean = (_n, t) => t.shape.length === 2): FloatTensors {
  return new Map([...m].map(([n, t]) => [n, t.shape.length === 2 && predicate(n, t) ? transpose2d(t) : t] as const));
}

/** q,k,v -> `self_attn.qkv_proj.weight` [q+k+v, d] (+ `qkv_proj.bias`), at q's position. Preserves: the function. */
export function fuseQkv(m: FloatTensors): FloatTensors {
  const lay = llamaLayout(m);
  const out: FloatTensors = new Map();
  const drop = new Set<string>();
  const fused = new Map<string, [string, Tensor]>();
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerName(lay, i, s);
    for (const kind of ["weight", "bias"]) {
      const names = ["q", "k", "v"].map((x) => L(`self_attn.${x}_proj.${kind}`));
      const ts = names.map((n) => m.get(n));
      if (ts.every((t) => !t)) continue;
      if (ts.some((t) => !t)) throw new Error(`layer ${i}: only some of q/k/v ${kind} exist`);
      fused.set(names[0]!, [L(`self_attn.qkv_proj.${kind}`), concatRows(ts as Tensor[])]);
      names.forEach((n) => drop.add(n));
    }
  }
  for (const [n, t] of m) {
    const f = fused.get(n);
    if (f) out.set(f[0], f[1]);
    else if (!drop.has(n)) out.set(n, t);
  }
  return out;
}

/** Inverse of `fuseQkv`: q size from o_proj's columns, k and v split the rest equally. */
export function splitQkv(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [n, t] of m) {
    const mt = /^(.*)self_attn\.qkv_proj\.(weight|bias)$/.exec(n);
    if (!mt) {
      out.set(n, t);
      continue;
    }
    const o = get(m, `${mt[1]}self_attn.o_proj.weight`);
    const q = o.shape[1]!;
    const kv = (t.shape[0]! - q) / 2;
    out.set(`${mt[1]}self_attn.q_proj.${mt[2]}`, sliceRows(t, 0, q));
    out.set(`${mt[1]}self_attn.k_proj.${mt[2]}`, sliceRows(t, q, kv));
    out.set(`${mt[1]}self_attn.v_proj.${mt[2]}`, sliceRows(t, q + kv, kv));
  }
  return out;
}

/** gate, up -> `mlp.gate_up_proj.weight` [2f, d] (gate rows first, as in Phi-3/vLLM). Preserves: the function. */
export function fuseGateUp(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [n, t] of m) {
    const mt = /^(.*)mlp\.(gate|up)_proj\.(weight|bias)$/.exec(n);
    if (!mt) {
      out.set(n, t);
      continue;
    }
    if (mt[2] === "up") continue;
    const up = get(m, `${mt[1]}mlp.up_proj.${mt[3]}`);
    out.set(`${mt[1]}mlp.gate_up_proj.${mt[3]}`, concatRows([t, up]));
  }
  return out;
}

/** Inverse of `fuseGateUp`. */
export function splitGateUp(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [n, t] of m) {
    const mt = /^(.*)mlp\.gate_up_proj\.(weight|bias)$/.exec(n);
    if (!mt) {
      out.set(n, t);
      continue;
    }
    const f = t.shape[0]! / 2;
    out.set(`${mt[1]}mlp.gate_proj.${mt[2]}`, sliceRows(t, 0, f));
    out.set(`${mt[1]}mlp.up_proj.${mt[2]}`, sliceRows(t, f, f));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Function-preserving reparametrisations (Llama layout)

export interface RescaleOptions {
  /** Scale each v row / MLP unit by its own factor instead of one per layer (default false). */
  perChannel?: boolean;
  /** Also scale q by c and k by 1/c per layer (scores q.k unchanged; commutes with RoPE). Default false. */
  qk?: boolean;
  /** Needed with perChannel under GQA (v rows != o columns). */
  headDim?: number;
  /**
   * Draw every factor as exp(logSigma * N(0, 1)) (log-normal) instead of
   * log-uniform in [0.25, 4]; e.g. 4 spreads per-unit factors over many
   * orders of magnitude. BF16 keeps relative precision, so storage survives it.
   */
  logSigma?: number;
  /** Scale only the MLP (up rows x b, down columns / b); attention untouched. Default false. */
  mlpOnly?: boolean;
}

/**
 * Per layer: v_proj (and its bias) x a, o_proj / a; up_proj (and bias) x b,
 * down_proj / b; a, b log-uniform in [0.25, 4] (or log-normal with
 * `logSigma`). Preserves: the function (attention output is linear in v;
 * SwiGLU silu(gate)*up is linear in up).
 */
export function rescale(m: FloatTensors, seed: number, opts: RescaleOptions = {}): FloatTensors {
  const lay = llamaLayout(m);
  const rand = uniform(seed);
  const g = opts.logSigma === undefined ? null : gaussian(tensorSeed(seed, "rescale.logSigma"));
  const factor = () => (g ? Math.exp(opts.logSigma! * g()) : logUniform(rand, 0.25, 4));
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerName(lay, i, s);
    if (!opts.mlpOnly) {
      const v = get(m, L("self_attn.v_proj.weight"));
      const o = get(m, L("self_attn.o_proj.weight"));
      const vRows = v.shape[0]!;
      const a = new Float64Array(vRows);
      if (opts.perChannel) for (let r = 0; r < vRows; r++) a[r] = factor();
      else a.fill(factor());
      const inv = opts.perChannel
        ? Float64Array.from(vRowOfOCol(vRows, o.shape[1]!, opts.headDim), (r) => 1 / a[r]!)
        : new Float64Array(o.shape[1]!).fill(1 / a[0]!);
      update(out, L("self_attn.v_proj.weight"), (t) => scaleRows(t, a));
      update(out, L("self_attn.v_proj.bias"), (t) => scaleRows(t, a));
      update(out, L("self_attn.o_proj.weight"), (t) => scaleCols(t, inv));
    }

    const up = get(m, L("mlp.up_proj.weight"));
    const f = up.shape[0]!;
    const b = new Float64Array(f);
    if (opts.perChannel) for (let r = 0; r < f; r++) b[r] = factor();
    else b.fill(factor());
    update(out, L("mlp.up_proj.weight"), (t) => scaleRows(t, b));
    update(out, L("mlp.up_proj.bias"), (t) => scaleRows(t, b));
    update(out, L("mlp.down_proj.weight"), (t) => scaleCols(t, Float64Array.from(b, (x) => 1 / x)));

    if (opts.qk && !opts.mlpOnly) {
      const c = factor();
      update(out, L("self_attn.q_proj.weight"), (t) => scaleRows(t, c));
      update(out, L("self_attn.q_proj.bias"), (t) => scaleRows(t, c));
      update(out, L("self_attn.k_proj.weight"), (t) => scaleRows(t, 1 / c));
      update(out, L("self_attn.k_proj.bias"), (t) => scaleRows(t, 1 / c));
    }
  }
  return out;
}

/**
 * One random permutation of the MLP hidden units per layer: rows of gate/up
 * (and their biases), columns of down. Preserves: the function (units are
 * independent and summed).
 */
export function permuteMlp(m: FloatTensors, seed: number): FloatTensors {
  const lay = llamaLayout(m);
  const rand = uniform(seed);
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerName(lay, i, s);
    const f = get(m, L("mlp.up_proj.weight")).shape[0]!;
    const perm = permutation(f, rand);
    for (const s of ["mlp.gate_proj.weight", "mlp.gate_proj.bias", "mlp.up_proj.weight", "mlp.up_proj.bias"]) update(out, L(s), (t) => permuteRows(t, perm));
    update(out, L("mlp.down_proj.weight"), (t) => permuteCols(t, perm));
  }
  return out;
}

export interface HeadOptions {
  heads: number;
  headDim: number;
  /** Key/value heads (GQA); default = heads. */
  kvHeads?: number;
}

/**
 * Permute whole attention heads per layer: kv heads by one permutation (k, v
 * rows in head blocks, biases too), q heads so each stays in its (moved) kv
 * group (random order within the group), o columns like q. For MHA q, k, v
 * and o share one permutation. Preserves: the function, RoPE included (RoPE
 * acts within a head).
 */
export function permuteHeads(m: FloatTensors, seed: number, opts: HeadOptions): FloatTensors {
  const lay = llamaLayout(m);
  const rand = uniform(seed);
  const { heads, headDim } = opts;
  const kvHeads = opts.kvHeads ?? heads;
  const group = heads / kvHeads;
  if (!Number.isInteger(group)) throw new Error(`heads ${heads} not a multiple of kvHeads ${kvHeads}`);
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerName(lay, i, s);
    const pk = permutation(kvHeads, rand);
    const pq: number[] = [];
    for (let j = 0; j < kvHeads; j++) {
      const within = group === 1 ? [0] : permutation(group, rand);
      for (const t of within) pq.push(pk[j]! * group + t);
    }
    const qRows = expandBlocks(pq, headDim);
    const kvRows = expandBlocks(pk, headDim);
    update(out, L("self_attn.q_proj.weight"), (t) => permuteRows(t, qRows));
    update(out, L("self_attn.q_proj.bias"), (t) => permuteRows(t, qRows));
    for (const x of ["k", "v"]) {
      update(out, L(`self_attn.${x}_proj.weight`), (t) => permuteRows(t, kvRows));
      update(out, L(`self_attn.${x}_proj.bias`), (t) => permuteRows(t, kvRows));
    }
    update(out, L("self_attn.o_proj.weight"), (t) => permuteCols(t, qRows));
  }
  return out;
}

/** Names of the residual-stream readers/writers of a Llama layout. */
function residualRoles(lay: LlamaLayout): { readers: string[]; writers: string[]; writerBiases: string[]; norms: string[] } {
  const readers: string[] = [];
  const writers: string[] = [];
  const writerBiases: string[] = [];
  const norms: string[] = [];
  if (lay.embed) readers.push(lay.embed);
  if (lay.lmHead) readers.push(lay.lmHead);
  if (lay.norm) norms.push(lay.norm);
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerName(lay, i, s);
    for (const x of ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"]) readers.push(L(`${x}.weight`));
    writers.push(L("self_attn.o_proj.weight"), L("mlp.down_proj.weight"));
    writerBiases.push(L("self_attn.o_proj.bias"), L("mlp.down_proj.bias"));
    norms.push(L("input_layernorm.weight"), L("post_attention_layernorm.weight"));
  }
  return { readers, writers, writerBiases, norms };
}

/**
 * One permutation of the hidden (residual) dimension d, applied consistently:
 * columns of embed, lm_head, q/k/v/gate/up; rows of o/down (and their
 * biases); every RMSNorm gain. Preserves: the function (RMSNorm's rms is
 * permutation-invariant and its gains are per-dimension).
 */
export function permuteResidual(m: FloatTensors, seed: number): FloatTensors {
  const lay = llamaLayout(m);
  const roles = residualRoles(lay);
  const d = get(m, layerName(lay, 0, "self_attn.q_proj.weight")).shape[1]!;
  const perm = permutation(d, uniform(seed));
  const out: FloatTensors = new Map(m);
  for (const n of roles.readers) update(out, n, (t) => permuteCols(t, perm));
  for (const n of [...roles.writers, ...roles.writerBiases, ...roles.norms]) update(out, n, (t) => permuteRows(t, perm));
  return out;
}

/**
 * Negate a random half of the MLP hidden units (up rows + up bias, down
 * columns) and a random half of the v rows (+ v bias) with the matching o
 * columns. Preserves: the function (silu(gate)*up is odd in up; attention
 * output is linear in v). GQA needs `headDim`.
 */
export function flipSigns(m: FloatTensors, seed: number, opts: { headDim?: number } = {}): FloatTensors {
  const lay = llamaLayout(m);
  const rand = uniform(seed);
  const half = (n: number) => {
    const s = new Float64Array(n).fill(1);
    for (const idx of permutation(n, rand).slice(0, Math.floor(n / 2))) s[idx] = -1;
    return s;
  };
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerName(lay, i, s);
    const sm = half(get(m, L("mlp.up_proj.weight")).shape[0]!);
    update(out, L("mlp.up_proj.weight"), (t) => scaleRows(t, sm));
    update(out, L("mlp.up_proj.bias"), (t) => scaleRows(t, sm));
    update(out, L("mlp.down_proj.weight"), (t) => scaleCols(t, sm));
    const v = get(m, L("self_attn.v_proj.weight"));
    const o = get(m, L("self_attn.o_proj.weight"));
    const sv = half(v.shape[0]!);
    const map = vRowOfOCol(v.shape[0]!, o.shape[1]!, opts.headDim);
    update(out, L("self_attn.v_proj.weight"), (t) => scaleRows(t, sv));
    update(out, L("self_attn.v_proj.bias"), (t) => scaleRows(t, sv));
    update(out, L("self_attn.o_proj.weight"), (t) => scaleCols(t, Float64Array.from(map, (r) => sv[r]!)));
  }
  return out;
}

/**
 * Fold every RMSNorm gain into the matrices that read it (q/k/v columns x
 * input_layernorm, gate/up columns x post_attention_layernorm, lm_head columns
 * x final norm) and set the gains to exactly 1. A tied model gets an explicit
 * lm_head (= embed x norm). Preserves: the function. Erases the norm-vector
 * signal and column-scales the readers.
 */
export function foldNorms(m: FloatTensors): FloatTensors {
  const lay = llamaLayout(m);
  const out: FloatTensors = new Map(m);
  const ones = (t: Tensor): Tensor => ({ shape: [...t.shape], data: new Float32Array(t.data.length).fill(1) });
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerName(lay, i, s);
    const ln1 = m.get(L("input_layernorm.weight"));
    if (ln1) {
      for (const x of ["q", "k", "v"]) update(out, L(`self_attn.${x}_proj.weight`), (t) => scaleCols(t, ln1.data));
      out.set(L("input_layernorm.weight"), ones(ln1));
    }
    const ln2 = m.get(L("post_attention_layernorm.weight"));
    if (ln2) {
      for (const x of ["gate", "up"]) update(out, L(`mlp.${x}_proj.weight`), (t) => scaleCols(t, ln2.data));
      out.set(L("post_attention_layernorm.weight"), ones(ln2));
    }
  }
  if (lay.norm) {
    const g = get(m, lay.norm);
    if (lay.lmHead) update(out, lay.lmHead, (t) => scaleCols(t, g.data));
    else if (lay.embed) out.set(lay.base.endsWith("model.") ? `${lay.base.slice(0, -6)}lm_head.weight` : `${lay.base}lm_head.weight`, scaleCols(get(m, lay.embed), g.data));
    out.set(lay.norm, ones(g));
  }
  return out;
}

/**
 * Rotate the residual stream by a random orthogonal Q (SliceGPT-style): norms
 * folded first (`foldNorms`), then embed, lm_head and q/k/v/gate/up are
 * right-multiplied by Q and o/down (and their biases) left-multiplied by Q^T.
 * Preserves: the function (RMSNorm with unit gains commutes with rotations).
 * The hardest evasion here: no row or column of any matrix survives as such.
 */
export function rotateResidual(m: FloatTensors, seed: number): FloatTensors {
  const folded = foldNorms(m);
  const lay = llamaLayout(folded);
  const roles = residualRoles(lay);
  const d = get(folded, layerName(lay, 0, "self_attn.q_proj.weight")).shape[1]!;
  const q = randomOrthogonal(d, seed);
  const out: FloatTensors = new Map(folded);
  for (const n of roles.readers) update(out, n, (t) => mulRight(t, q, d));
  for (const n of [...roles.writers, ...roles.writerBiases]) update(out, n, (t) => mulLeftT(q, t, d));
  return out;
}

export interface RotateHeadOptions extends HeadOptions {
  /** RoPE pairing: "half" (HF rotate_half: i, i+hd/2), "interleaved" (2i, 2i+1), "none" (no RoPE). Default "half". */
  rope?: "half" | "interleaved" | "none";
}

/**
 * Mix dimensions inside each head: v rows of each kv head x a random
 * orthogonal R (o columns of the q heads reading it x R^T); q and k rows of a
 * kv group rotated by the same random angle and scaled by c and 1/c in each
 * RoPE plane (a full orthogonal matrix when rope = "none"). Preserves: the
 * function (2-D rotations commute with RoPE; q.k and o.v are unchanged).
 */
export function rotateHeads(m: FloatTensors, seed: number, opts: RotateHeadOptions): FloatTensors {
  const lay = llamaLayout(m);
  const rand = uniform(seed);
  const { heads, headDim: hd } = opts;
  const kvHeads = opts.kvHeads ?? heads;
  const group = heads / kvHeads;
  const rope = opts.rope ?? "half";
  const out: FloatTensors = new Map(m);
  // Apply a [hd, hd] matrix to the rows of head `h` (rows h*hd..): rows' = A rows.
  const mixRows = (t: Tensor, h: number, a: Float64Array): void => {
    const [, c] = dims(t);
    const block = t.data.slice(h * hd * c, (h + 1) * hd * c);
    for (let r = 0; r < hd; r++) {
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let k = 0; k < hd; k++) s += a[r * hd + k]! * block[k * c + j]!;
        t.data[(h * hd + r) * c + j] = s;
      }
    }
  };
  // o columns of head h: cols' = cols A^T  (o[:, h] <- o[:, h] R^T).
  const mixCols = (t: Tensor, h: number, a: Float64Array): void => {
    const [r, c] = dims(t);
    const tmp = new Float64Array(hd);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < hd; j++) {
        let s = 0;
        for (let k = 0; k < hd; k++) s += t.data[i * c + h * hd + k]! * a[j * hd + k]!;
        tmp[j] = s;
      }
      for (let j = 0; j < hd; j++) t.data[i * c + h * hd + j] = tmp[j]!;
    }
  };
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerName(lay, i, s);
    const copy = (n: string) => {
      const t = out.get(n);
      if (!t) return undefined;
      const c = clone(t);
      out.set(n, c);
      return c;
    };
    const [q, qb, k, kb, v, vb, o] = ["q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias", "v_proj.weight", "v_proj.bias", "o_proj.weight"].map((s) => copy(L(`self_attn.${s}`)));
    for (let j = 0; j < kvHeads; j++) {
      const r = randomOrthogonal(hd, Math.floor(rand() * 2 ** 32));
      if (v) mixRows(v, j, r);
      if (vb) mixRows(vb, j, r);
      for (let t = 0; t < group; t++) if (o) mixCols(o, j * group + t, r);
      // q/k: S for q, S^-T for k so that (S q).(S^-T k) = q.k; S commutes with RoPE.
      let sq: Float64Array;
      let sk: Float64Array;
      if (rope === "none") {
        sq = randomOrthogonal(hd, Math.floor(rand() * 2 ** 32));
        sk = sq;
      } else {
        sq = new Float64Array(hd * hd);
        sk = new Float64Array(hd * hd);
        for (let p = 0; p < hd / 2; p++) {
          const [x, y] = rope === "half" ? [p, p + hd / 2] : [2 * p, 2 * p + 1];
          const phi = rand() * 2 * Math.PI;
          const c = logUniform(rand, 0.5, 2);
          const [cs, sn] = [Math.cos(phi), Math.sin(phi)];
          sq[x * hd + x] = c * cs;
          sq[x * hd + y] = -c * sn;
          sq[y * hd + x] = c * sn;
          sq[y * hd + y] = c * cs;
          sk[x * hd + x] = cs / c;
          sk[x * hd + y] = -sn / c;
          sk[y * hd + x] = sn / c;
          sk[y * hd + y] = cs / c;
        }
      }
      if (k) mixRows(k, j, sk);
      if (kb) mixRows(kb, j, sk);
      for (let t = 0; t < group; t++) {
        if (q) mixRows(q, j * group + t, sq);
        if (qb) mixRows(qb, j * group + t, sq);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Depth and vocabulary surgery (function changes, by design)

/** The layer stack to operate on: `stack` if given, else layers > h > blk > blocks (most tensors wins). */
export function findStack(m: FloatTensors, stack?: string): { prefix: string; layers: number } {
  const counts = new Map<string, { n: number; layers: number; kw: string }>();
  for (const name of m.keys()) {
    const mt = STACK_RE.exec(name);
    if (!mt) continue;
    const prefix = `${mt[1]}.`;
    const kw = mt[1]!.split(".").pop()!;
    const c = counts.get(prefix) ?? { n: 0, layers: 0, kw };
    c.n++;
    c.layers = Math.max(c.layers, Number(mt[2]) + 1);
    counts.set(prefix, c);
  }
  if (stack !== undefined) {
    const c = counts.get(stack);
    if (!c) throw new Error(`no layer stack ${stack}`);
    return { prefix: stack, layers: c.layers };
  }
  const rank = ["layers", "h", "blk", "layer", "blocks", "block", "resblocks"];
  let best: [string, { n: number; layers: number; kw: string }] | null = null;
  for (const e of counts) {
    if (!best) best = e;
    else {
      const ra = rank.indexOf(e[1].kw);
      const rb = rank.indexOf(best[1].kw);
      if (ra < rb || (ra === rb && e[1].n > best[1].n)) best = e;
    }
  }
  if (!best) throw new Error("no layer stack found");
  return { prefix: best[0], layers: best[1].layers };
}

/**
 * New layer k = old layer order[k] (copies; layers not listed are dropped).
 * Works on any naming with a `layers|h|blk|blocks.{i}.` stack (`stack` picks one).
 */
export function remapLayers(m: FloatTensors, order: readonly number[], stack?: string): FloatTensors {
  const { prefix, layers } = findStack(m, stack);
  for (const o of order) if (!Number.isInteger(o) || o < 0 || o >= layers) throw new Error(`layer ${o} out of range 0..${layers - 1}`);
  const byLayer = new Map<number, [string, Tensor][]>();
  for (const [n, t] of m) {
    if (!n.startsWith(prefix)) continue;
    const mt = /^(\d+)\.(.+)$/.exec(n.slice(prefix.length));
    if (!mt) continue;
    const l = Number(mt[1]);
    if (!byLayer.has(l)) byLayer.set(l, []);
    byLayer.get(l)!.push([mt[2]!, t]);
  }
  const out: FloatTensors = new Map();
  let emitted = false;
  for (const [n, t] of m) {
    if (n.startsWith(prefix) && /^\d+\./.test(n.slice(prefix.length))) {
      if (emitted) continue;
      emitted = true;
      order.forEach((old, k) => {
        for (const [rest, tt] of byLayer.get(old) ?? []) out.set(`${prefix}${k}.${rest}`, clone(tt));
      });
    } else out.set(n, t);
  }
  return out;
}

/** Drop the listed layers and renumber the rest contiguously. Function: changes (pruning). */
export function dropLayers(m: FloatTensors, drop: readonly number[], stack?: string): FloatTensors {
  const { layers } = findStack(m, stack);
  const keep = Array.from({ length: layers }, (_, i) => i).filter((i) => !drop.includes(i));
  return remapLayers(m, keep, stack);
}

/** New layer k = old layer order[k], repeats allowed (e.g. [0,1,2,3,2,3]: depth up-scaling). Function: changes. */
export function duplicateLayers(m: FloatTensors, order: readonly number[], stack?: string): FloatTensors {
  return remapLayers(m, order, stack);
}

/** Reorder layers by a permutation of 0..L-1. Function: changes (layers do not commute). */
export function reorderLayers(m: FloatTensors, order: readonly number[], stack?: string): FloatTensors {
  const { layers } = findStack(m, stack);
  const sorted = [...order].sort((a, b) => a - b);
  if (sorted.length !== layers || sorted.some((v, i) => v !== i)) throw new Error(`order must be a permutation of 0..${layers - 1}`);
  return remapLayers(m, order, stack);
}

/** Embedding / unembedding tables, across the naming schemes used here. */
export function vocabTensors(m: FloatTensors): string[] {
  return [...m.keys()].filter((n) => /(^|\.)(embed_tokens|wte|word_embeddings)\.weight$|^token_embd\.weight$|(^|\.)lm_head\.weight$|^output\.weight$/.test(n));
}

/**
 * Append `extra` rows to every embedding / unembedding table: the mean row plus
 * Gaussian noise of half the table's per-element spread. Preserves: logits and
 * hidden states of old tokens (old rows untouched; the new logits are extra
 * columns of the output).
 */
export function extendVocab(m: FloatTensors, extra: number, seed: number): FloatTensors {
  const out: FloatTensors = new Map(m);
  for (const n of vocabTensors(m)) {
    const t = get(m, n);
    const [r, c] = dims(t);
    const g = gaussian(tensorSeed(seed, n));
    const mean = new Float64Array(c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) mean[j]! += t.data[i * c + j]! / r;
    let sd = 0;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) sd += (t.data[i * c + j]! - mean[j]!) ** 2;
    sd = Math.sqrt(sd / t.data.length);
    const data = new Float32Array((r + extra) * c);
    data.set(t.data);
    for (let i = r; i < r + extra; i++) for (let j = 0; j < c; j++) data[i * c + j] = mean[j]! + 0.5 * sd * g();
    out.set(n, { shape: [r + extra, ...t.shape.slice(1)], data });
  }
  return out;
}

/** Keep the first `keep` rows of every embedding / unembedding table. Preserves: logits of kept tokens among themselves. */
export function truncateVocab(m: FloatTensors, keep: number): FloatTensors {
  const out: FloatTensors = new Map(m);
  for (const n of vocabTensors(m)) update(out, n, (t) => sliceRows(t, 0, Math.min(keep, t.shape[0]!)));
  return out;
}

// ---------------------------------------------------------------------------
// Drift

/**
 * Simulated long continued training. For every tensor W (viewed as rows x
 * cols; vectors as one row), with w = W - mean(W):
 *   W' = mean(W) + p * w + n
 * where n starts as Gaussian noise with each row's own spread, is centred and
 * made exactly orthogonal to w, then scaled so |n|^2 = (1 - p^2)|w|^2. Hence
 * Pearson(W, W') = p exactly (before storage rounding) and W' has W's overall
 * spread and per-row scale. Tensors that are all positive (norm gains) stay
 * positive (clamped at half their old minimum). Constant tensors are unchanged.
 */
export function continueTraining(m: FloatTensors, seed: number, targetPearson: number): FloatTensors {
  const p = targetPearson;
  if (!(p >= -1 && p <= 1)) throw new Error(`targetPearson must be in [-1, 1], got ${p}`);
  const out: FloatTensors = new Map();
  for (const [name, t] of m) {
    const nEl = t.data.length;
    const [r, c] = t.shape.length >= 2 ? dims(t) : [1, nEl];
    let mean = 0;
    for (const v of t.data) mean += v;
    mean /= nEl;
    const w = new Float64Array(nEl);
    let ww = 0;
    for (let i = 0; i < nEl; i++) {
      w[i] = t.data[i]! - mean;
      ww += w[i]! ** 2;
    }
    if (ww === 0 || nEl < 2) {
      out.set(name, t);
      continue;
    }
    const g = gaussian(tensorSeed(seed, name));
    const n = new Float64Array(nEl);
    for (let i = 0; i < r; i++) {
      let rm = 0;
      for (let j = 0; j < c; j++) rm += t.data[i * c + j]!;
      rm /= c;
      let rs = 0;
      for (let j = 0; j < c; j++) rs += (t.data[i * c + j]! - rm) ** 2;
      rs = Math.sqrt(rs / c) || Math.sqrt(ww / nEl);
      for (let j = 0; j < c; j++) n[i * c + j] = rs * g();
    }
    let nm = 0;
    for (const v of n) nm += v;
    nm /= nEl;
    let nw = 0;
    for (let i = 0; i < nEl; i++) {
      n[i]! -= nm;
      nw += n[i]! * w[i]!;
    }
    let nn = 0;
    for (let i = 0; i < nEl; i++) {
      n[i]! -= (nw / ww) * w[i]!;
      nn += n[i]! ** 2;
    }
    const scale = nn > 0 ? Math.sqrt(((1 - p * p) * ww) / nn) : 0;
    const data = new Float32Array(nEl);
    let minPos = Infinity;
    let allPos = true;
    for (const v of t.data) {
      if (v <= 0) allPos = false;
      else minPos = Math.min(minPos, v);
    }
    for (let i = 0; i < nEl; i++) {
      let v = mean + p * w[i]! + scale * n[i]!;
      if (allPos && v < minPos / 2) v = minPos / 2;
      data[i] = v;
    }
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}

/** W + relative * sd(W) * N(0, 1) for every tensor (noise seeded per name). */
export function addNoise(m: FloatTensors, seed: number, relative: number): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [name, t] of m) {
    let mean = 0;
    for (const v of t.data) mean += v;
    mean /= t.data.length;
    let sd = 0;
    for (const v of t.data) sd += (v - mean) ** 2;
    sd = Math.sqrt(sd / t.data.length);
    const g = gaussian(tensorSeed(seed, name));
    const data = new Float32Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = t.data[i]! + relative * sd * g();
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Traps: make INDEPENDENT models look alike without any reuse. A detector must
// not call these derived.

/**
 * Set every norm gain to exactly 1.0 (as at initialisation) and add
 * `{stack}{i}.self_attn.rotary_emb.inv_freq` buffers (1 / theta^(2k/headDim),
 * identical in every model with that head size). Changes the function (norm
 * gains) — it is a trap generator, not an evasion: two independent models
 * passed through it share these tensors exactly.
 */
export function constantsLikeInit(m: FloatTensors, opts: { headDim: number; theta?: number }): FloatTensors {
  const theta = opts.theta ?? 10000;
  const out: FloatTensors = new Map();
  const isNorm = (n: string, t: Tensor) => t.shape.length === 1 && /(norm|(^|\.)ln_[a-z0-9]+)[^.]*\.weight$/.test(n);
  for (const [n, t] of m) out.set(n, isNorm(n, t) ? { shape: [...t.shape], data: new Float32Array(t.data.length).fill(1) } : t);
  const { prefix, layers } = findStack(m);
  const half = opts.headDim / 2;
  for (let i = 0; i < layers; i++) {
    const inv = new Float32Array(half);
    for (let k = 0; k < half; k++) inv[k] = 1 / theta ** ((2 * k) / opts.headDim);
    out.set(`${prefix}${i}.self_attn.rotary_emb.inv_freq`, { shape: [half], data: inv });
  }
  return out;
}

/**
 * `duplicateLayers` applied to an INDEPENDENT model (e.g. [0,1,2,3,2,3]): its
 * own layers repeated. Layers within it match each other, but nothing matches
 * another lineage; a detector comparing it with a reference must say independent.
 */
export function selfDuplicate(m: FloatTensors, order: readonly number[], stack?: string): FloatTensors {
  return duplicateLayers(m, order, stack);
}
