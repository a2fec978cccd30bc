/**
 * node --import tsx bench/wide-models.ts OUTDIR [--d 4096] [--ff 11008] [--heads 32] [--kv-heads 32]
 *   [--head-dim d/heads] [--layers 3] [--vocab 8000] [--dtype BF16] [--seed 1] [--only base,permuted,...]
 *
 * Llama-shaped safetensors checkpoints at real width, written tensor by tensor (memory is bounded by
 * a few copies of the largest tensor). Each output is a folder OUTDIR/NAME/ with model.safetensors and
 * transform.json (the options, seeds and, for derived models, the exact transform applied):
 * - base: matrices N(0, 1/fan_in), norm gains 1 + 0.05·N(0,1).
 * - finetune: base + N(0, (0.51·scale)²) per element (Pearson with base ≈ 1/sqrt(1 + 0.51²) ≈ 0.89).
 * - permuted: the fine-tune, function-identical: residual stream permuted (no sign flips: RMSNorm gains
 *   cannot absorb them), MLP units and attention heads (KV groups, and query heads within their group)
 *   permuted per layer, tensors renamed to Meta's original Llama names, stored F16.
 * - rotated: the fine-tune, function-identical: RMSNorm gains folded into the next matrices (gains set
 *   to 1), then the residual stream rotated by Q = H·diag(s)/sqrt(d) (Walsh–Hadamard H, random signs
 *   s; d must be a power of two): E → E·Q for embed and lm_head and the input-side matrices, W → Qᵀ·W
 *   for o_proj and down_proj.
 * - orthogonal: the same with Q = H·diag(s)/sqrt(d)·B, B block-diagonal random orthogonal (64 x 64
 *   blocks): a dense rotation that is no signed permutation of a Hadamard one (d a power of two ≥ 64).
 * - independent: the base recipe from another seed.
 * - dropped / duplicated / reordered (layers ≥ 4): the fine-tune with one layer dropped, one layer
 *   duplicated, two layers swapped (renumbered contiguously).
 * Every tensor is drawn from its own generator seeded by hash(seed, tensor index, stream), so any
 * subset (--only) gives the same bytes as a full run.
 */
import { mkdir, open, stat, writeFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gaussian } from "../src/examples/generate.js";
import { encodeFloats } from "../src/safetensors/dtypes.js";
import { xorshift } from "../test/helpers/xorshift.js";
import { randomOrthogonal } from "../test/helpers/evasions.js";
import { fwht } from "../src/search/hadamard.js";
import { type BenchDtype, type Spec, dataOffsets, drawn, headerBytes, numel } from "./checkpoint.js";

export const OUTPUTS = ["base", "finetune", "permuted", "rotated", "orthogonal", "independent", "dropped", "duplicated", "reordered"] as const;
export type OutputName = (typeof OUTPUTS)[number];

export interface WideOptions {
  d: number;
  ff: number;
  heads: number;
  /** Key/value heads (GQA when below heads). */
  kvHeads: number;
  headDim: number;
  layers: number;
  vocab: number;
  /** Stored dtype of every output but permuted (always F16). */
  dtype: BenchDtype;
  seed: number;
  /** Outputs to write (default: all that apply). */
  only: OutputName[];
  /** Progress lines (default: none). */
  log: (line: string) => void;
}

export interface WideResult {
  options: Omit<WideOptions, "log">;
  outputs: { name: OutputName; file: string; bytes: number }[];
  skipped: { name: OutputName; reason: string }[];
  seconds: number;
}

/** Fine-tune noise sd relative to the recipe's scale: Pearson with base 1/sqrt(1 + 0.51²) ≈ 0.891. */
export const FINETUNE_NOISE = 0.51;

type Kind = "embed" | "q" | "k" | "v" | "o" | "gate" | "up" | "down" | "ln1" | "ln2" | "norm" | "lm_head";
interface Source {
  name: string;
  shape: number[];
  kind: Kind;
  layer: number;
}

/** murmur3's finalizer over a few words: the per-tensor seeds. */
export function seedOf(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    h = Math.imul(h ^ (w >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The base's tensors in HF Llama names and file order. */
function sources(o: WideOptions): Source[] {
  const { d, ff, heads, kvHeads, headDim, vocab } = o;
  const list: Source[] = [{ name: "model.embed_tokens.weight", shape: [vocab, d], kind: "embed", layer: -1 }];
  for (let l = 0; l < o.layers; l++) {
    const p = `model.layers.${l}.`;
    const add = (name: string, shape: number[], kind: Kind) => list.push({ name: p + name, shape, kind, layer: l });
    add("self_attn.q_proj.weight", [heads * headDim, d], "q");
    add("self_attn.k_proj.weight", [kvHeads * headDim, d], "k");
    add("self_attn.v_proj.weight", [kvHeads * headDim, d], "v");
    add("self_attn.o_proj.weight", [d, heads * headDim], "o");
    add("mlp.gate_proj.weight", [ff, d], "gate");
    add("mlp.up_proj.weight", [ff, d], "up");
    add("mlp.down_proj.weight", [d, ff], "down");
    add("input_layernorm.weight", [d], "ln1");
    add("post_attention_layernorm.weight", [d], "ln2");
  }
  list.push({ name: "model.norm.weight", shape: [d], kind: "norm", layer: -1 });
  list.push({ name: "lm_head.weight", shape: [vocab, d], kind: "lm_head", layer: -1 });
  return list;
}

/** Base values of source tensor `i` (stream 0) for `seed`. */
function baseValues(src: Source, i: number, seed: number): { values: Float32Array; scale: number } {
  return drawn(src, gaussian(seedOf(seed, i, 0)));
}

/** Turn base values of source tensor `i` into the fine-tune's, in place (stream 1). */
function addFinetuneNoise(values: Float32Array, scale: number, i: number, seed: number): Float32Array {
  const g = gaussian(seedOf(seed, i, 1));
  const sd = FINETUNE_NOISE * scale;
  for (let j = 0; j < values.length; j++) values[j] = values[j]! + sd * g();
  return values;
}

/** A uniform random permutation of 0..n-1 (Fisher–Yates). */
function permutation(n: number, u: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Block permutation (new block b holds old block perm[b]) expanded to element indices. */
function expandBlocks(perm: readonly number[], size: number): number[] {
  return perm.flatMap((b) => Array.from({ length: size }, (_, t) => b * size + t));
}

/** out[r, c] = w[rowIdx[r], colIdx[c]] for a row-major [rows, cols] matrix (null: identity). */
function gather(w: Float32Array, rows: number, cols: number, rowIdx: readonly number[] | null, colIdx: readonly number[] | null): Float32Array {
  const out = new Float32Array(w.length);
  const cIdx = colIdx ? Int32Array.from(colIdx) : null;
  for (let r = 0; r < rows; r++) {
    const src = (rowIdx ? rowIdx[r]! : r) * cols;
    const dst = r * cols;
    if (cIdx) for (let c = 0; c < cols; c++) out[dst + c] = w[src + cIdx[c]!]!;
    else out.set(w.subarray(src, src + cols), dst);
  }
  return out;
}

/** The in-place Walsh–Hadamard transform the engine's Hadamard looks use (src/search/hadamard.ts). */
export { fwht };

/** Rows of a row-major [rows, d] matrix times Q = H·diag(s)/sqrt(d), after scaling columns by `fold`. */
function hadamardTimes(w: Float32Array, rows: number, d: number, signs: Float32Array, fold: Float32Array | null): Float32Array {
  const out = new Float32Array(w);
  const k = new Float32Array(d);
  for (let c = 0; c < d; c++) k[c] = signs[c]! / Math.sqrt(d);
  for (let r = 0; r < rows; r++) {
    const off = r * d;
    if (fold) for (let c = 0; c < d; c++) out[off + c] = out[off + c]! * fold[c]!;
    fwht(out, off, d);
    for (let c = 0; c < d; c++) out[off + c] = out[off + c]! * k[c]!;
  }
  return out;
}

/** Qᵀ·W for a row-major [d, cols] matrix: the Walsh–Hadamard butterflies run over whole rows. */
function hadamardTransposeTimes(w: Float32Array, d: number, cols: number, signs: Float32Array): Float32Array {
  const out = new Float32Array(w);
  for (let h = 1; h < d; h <<= 1) {
    for (let i = 0; i < d; i += h << 1) {
      for (let j = i; j < i + h; j++) {
        const a = j * cols;
        const b = (j + h) * cols;
        for (let c = 0; c < cols; c++) {
          const x = out[a + c]!;
          const y = out[b + c]!;
          out[a + c] = x + y;
          out[b + c] = x - y;
        }
      }
    }
  }
  for (let r = 0; r < d; r++) {
    const k = signs[r]! / Math.sqrt(d);
    for (let c = r * cols; c < (r + 1) * cols; c++) out[c] = out[c]! * k;
  }
  return out;
}

/** BLOCK x BLOCK random orthogonal blocks (Gram–Schmidt on Gaussian columns), row-major: the dense part of the `orthogonal` output's rotation. */
const BLOCK = 64;
function orthogonalBlocks(d: number, seed: number): Float64Array[] {
  return Array.from({ length: d / BLOCK }, (_, b) => randomOrthogonal(BLOCK, seedOf(seed, b, 7)));
}

/** Rows of a row-major [rows, d] matrix times B = blockdiag(blocks). */
function timesBlocks(w: Float32Array, rows: number, d: number, blocks: Float64Array[]): Float32Array {
  const out = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) {
    for (let b = 0; b < blocks.length; b++) {
      const q = blocks[b]!;
      const at = i * d + b * BLOCK;
      for (let k = 0; k < BLOCK; k++) {
        const v = w[at + k]!;
        for (let j = 0; j < BLOCK; j++) out[at + j]! += v * q[k * BLOCK + j]!;
      }
    }
  }
  return out;
}

/** Bᵀ·W for a row-major [d, cols] matrix, B = blockdiag(blocks). */
function blocksTransposeTimes(w: Float32Array, d: number, cols: number, blocks: Float64Array[]): Float32Array {
  const out = new Float32Array(d * cols);
  for (let b = 0; b < blocks.length; b++) {
    const q = blocks[b]!;
    for (let j = 0; j < BLOCK; j++) {
      const o = (b * BLOCK + j) * cols;
      for (let k = 0; k < BLOCK; k++) {
        const qkj = q[k * BLOCK + j]!;
        const src = (b * BLOCK + k) * cols;
        for (let c = 0; c < cols; c++) out[o + c]! += qkj * w[src + c]!;
      }
    }
  }
  return out;
}

/** One tensor of an output: its spec, the source tensor it comes from, and how. */
interface Planned {
  spec: Spec;
  src: number;
  op: (v: Float32Array) => Float32Array;
}

interface Plan {
  name: OutputName;
  /** Which values the tensors are made from. */
  from: "base" | "finetune" | "independent";
  tensors: Planned[];
  transform: Record<string, unknown>;
}

const same = (v: Float32Array) => v;

/** Meta's original Llama names for an HF Llama name (the permuted output's renaming). */
function metaName(name: string): string {
  const fixed: Record<string, string> = { "model.embed_tokens.weight": "tok_embeddings.weight", "model.norm.weight": "norm.weight", "lm_head.weight": "output.weight" };
  if (fixed[name]) return fixed[name]!;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  if (!m) throw new Error(`no Meta name for ${name}`);
  const parts: Record<string, string> = {
    "self_attn.q_proj.weight": "attention.wq.weight",
    "self_attn.k_proj.weight": "attention.wk.weight",
    "self_attn.v_proj.weight": "attention.wv.weight",
    "self_attn.o_proj.weight": "attention.wo.weight",
    "mlp.gate_proj.weight": "feed_forward.w1.weight",
    "mlp.down_proj.weight": "feed_forward.w2.weight",
    "mlp.up_proj.weight": "feed_forward.w3.weight",
    "input_layernorm.weight": "attention_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
  };
  return `layers.${m[1]}.${parts[m[2]!]}`;
}

function resolveOptions(options: Partial<WideOptions>): WideOptions {
  const d = options.d ?? 4096;
  const heads = options.heads ?? 32;
  const o: WideOptions = {
    d,
    ff: options.ff ?? 11008,
    heads,
    kvHeads: options.kvHeads ?? heads,
    headDim: options.headDim ?? d / heads,
    layers: options.layers ?? 3,
    vocab: options.vocab ?? 8000,
    dtype: options.dtype ?? "BF16",
    seed: options.seed ?? 1,
    only: options.only ?? [...OUTPUTS],
    log: options.log ?? (() => {}),
  };
  for (const k of ["d", "ff", "heads", "kvHeads", "headDim", "layers", "vocab"] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`${k} must be a positive integer (got ${o[k]})`);
  }
  if (o.heads % o.kvHeads !== 0) throw new Error(`heads (${o.heads}) must be a multiple of kvHeads (${o.kvHeads})`);
  if (!["F32", "F16", "BF16"].includes(o.dtype)) throw new Error(`dtype must be F32, F16 or BF16 (got ${o.dtype})`);
  for (const n of o.only) if (!OUTPUTS.includes(n)) throw new Error(`unknown output ${n} (known: ${OUTPUTS.join(", ")})`);
  return o;
}

/** The outputs' plans (what each tensor is made of), and the outputs skipped with why. */
function plans(o: WideOptions, src: Source[], ftNorm: (kind: Kind, layer: number) => Float32Array): { plans: Plan[]; skipped: WideResult["skipped"] } {
  const { d, ff, heads, kvHeads, headDim, seed, dtype } = o;
  const out: Plan[] = [];
  const skipped: WideResult["skipped"] = [];
  const plain = (s: Source, i: number): Planned => ({ spec: { name: s.name, shape: s.shape, dtype }, src: i, op: same });
  for (const name of o.only) {
    if (name === "base" || name === "finetune" || name === "independent") {
      const transform =
        name === "base"
          ? { kind: "base", recipe: "matrices N(0, 1/fan_in); norm gains 1 + 0.05·N(0,1)", tensorSeeds: "gaussian(seedOf(seed, tensorIndex, 0))" }
          : name === "finetune"
            ? { kind: "finetune", noiseSd: `${FINETUNE_NOISE}·scale`, expectedPearson: 1 / Math.sqrt(1 + FINETUNE_NOISE ** 2), tensorSeeds: "base + noise from gaussian(seedOf(seed, tensorIndex, 1))" }
            : { kind: "independent", seed: seedOf(seed, 0x1bd3), recipe: "the base recipe from this seed" };
      out.push({ name, from: name, tensors: src.map(plain), transform });
    } else if (name === "permuted") {
      const u = xorshift(seedOf(seed, 0x9e37, 1));
      const resid = permutation(d, u);
      const qpg = heads / kvHeads;
      const layers = Array.from({ length: o.layers }, () => {
        const mlp = permutation(ff, u);
        const kv = permutation(kvHeads, u);
        // New query head g'·qpg + j holds old head kv[g']·qpg + w[j]: heads stay with their KV group.
        const head = kv.flatMap((g) => permutation(qpg, u).map((j) => g * qpg + j));
        return { mlp, kv, head };
      });
      const tensors = src.map((s, i): Planned => {
        const spec: Spec = { name: metaName(s.name), shape: s.shape, dtype: "F16" };
        const L = layers[s.layer];
        const [rows, cols] = [s.shape[0]!, s.shape[1] ?? 1];
        const op = ((): ((v: Float32Array) => Float32Array) => {
          switch (s.kind) {
            case "embed":
            case "lm_head":
              return (v) => gather(v, rows, cols, null, resid);
            case "ln1":
            case "ln2":
            case "norm":
              return (v) => gather(v, 1, d, null, resid);
            case "q":
              return (v) => gather(v, rows, cols, expandBlocks(L!.head, headDim), resid);
            case "k":
            case "v":
              return (v) => gather(v, rows, cols, expandBlocks(L!.kv, headDim), resid);
            case "o":
              return (v) => gather(v, rows, cols, resid, expandBlocks(L!.head, headDim));
            case "gate":
            case "up":
              return (v) => gather(v, rows, cols, L!.mlp, resid);
            case "down":
              return (v) => gather(v, rows, cols, resid, L!.mlp);
          }
        })();
        return { spec, src: i, op };
      });
      out.push({
        name,
        from: "finetune",
        tensors,
        transform: {
          kind: "permuted",
          convention: "new index i holds the fine-tune's index perm[i]; F16; no sign flips",
          residualPerm: resid,
          layers: layers.map((L) => ({ mlpPerm: L.mlp, kvHeadPerm: L.kv, headPerm: L.head })),
          names: Object.fromEntries(src.map((s) => [metaName(s.name), s.name])),
        },
      });
    } else if (name === "rotated" || name === "orthogonal") {
      if ((d & (d - 1)) !== 0 || d < BLOCK) {
        skipped.push({ name, reason: `d = ${d} is not a power of two of at least ${BLOCK} (no Walsh–Hadamard matrix of that size)` });
        continue;
      }
      const u = xorshift(seedOf(seed, 0x9e37, 2));
      const signs = Float32Array.from({ length: d }, () => (u() < 0.5 ? -1 : 1));
      // `orthogonal`: Q = H·diag(s)/√d · B with B block-diagonal random orthogonal: dense, not a signed
      // permutation of a Hadamard rotation (a general rotation as far as the search can tell).
      const blocks = name === "orthogonal" ? orthogonalBlocks(d, seedOf(seed, 0x9e37, 6)) : null;
      const timesQ = (w: Float32Array, rows: number, dd: number, sg: Float32Array, fold: Float32Array | null) => {
        const h = hadamardTimes(w, rows, dd, sg, fold);
        return blocks ? timesBlocks(h, rows, dd, blocks) : h;
      };
      // Qᵀ·W = Bᵀ·(Hsᵀ·W).
      const qTransposeTimes = (w: Float32Array, dd: number, cols: number, sg: Float32Array) => {
        const h = hadamardTransposeTimes(w, dd, cols, sg);
        return blocks ? blocksTransposeTimes(h, dd, cols, blocks) : h;
      };
      const ones = new Float32Array(d).fill(1);
      const tensors = src.map((s, i): Planned => {
        const spec: Spec = { name: s.name, shape: s.shape, dtype };
        const [rows, cols] = [s.shape[0]!, s.shape[1] ?? 1];
        const op = ((): ((v: Float32Array) => Float32Array) => {
          switch (s.kind) {
            case "embed":
              return (v) => timesQ(v, rows, d, signs, null);
            case "lm_head":
              return (v) => timesQ(v, rows, d, signs, ftNorm("norm", -1));
            case "q":
            case "k":
            case "v":
              return (v) => timesQ(v, rows, d, signs, ftNorm("ln1", s.layer));
            case "gate":
            case "up":
              return (v) => timesQ(v, rows, d, signs, ftNorm("ln2", s.layer));
            case "o":
            case "down":
              return (v) => qTransposeTimes(v, d, cols, signs);
            case "ln1":
            case "ln2":
            case "norm":
              return () => ones;
          }
        })();
        return { spec, src: i, op };
      });
      out.push({
        name,
        from: "finetune",
        tensors,
        transform: {
          kind: name,
          Q: blocks ? "H·diag(signs)/sqrt(d)·B, H the unnormalized Sylvester Walsh–Hadamard matrix, B block-diagonal random orthogonal (64 x 64 blocks)" : "H·diag(signs)/sqrt(d), H the unnormalized Sylvester Walsh–Hadamard matrix (symmetric)",
          ...(blocks ? { blocks: blocks.map((b) => Array.from(b)) } : {}),
          signs: Array.from(signs),
          rules: "gains folded first (W·diag(g) for q/k/v by input_layernorm, gate/up by post_attention_layernorm, lm_head by model.norm; gains set to 1); embed, lm_head, q/k/v/gate/up: W·Q; o, down: Qᵀ·W",
        },
      });
    } else {
      if (o.layers < 4) {
        skipped.push({ name, reason: `needs at least 4 layers (got ${o.layers})` });
        continue;
      }
      const u = xorshift(seedOf(seed, 0x9e37, name === "dropped" ? 3 : name === "duplicated" ? 4 : 5));
      const L = o.layers;
      const ids = Array.from({ length: L }, (_, l) => l);
      let layerMap: number[];
      if (name === "dropped") {
        const k = Math.floor(u() * L);
        layerMap = ids.filter((l) => l !== k);
      } else if (name === "duplicated") {
        const k = Math.floor(u() * L);
        layerMap = ids.flatMap((l) => (l === k ? [l, l] : [l]));
      } else {
        const a = Math.floor(u() * L);
        const b = (a + 1 + Math.floor(u() * (L - 1))) % L;
        layerMap = ids.map((l) => (l === a ? b : l === b ? a : l));
      }
      const tensors: Planned[] = [];
      src.forEach((s, i) => {
        if (s.layer < 0) return void tensors.push(plain(s, i));
      });
      const [head, tail] = [tensors.slice(0, 1), tensors.slice(1)];
      const body: Planned[] = [];
      layerMap.forEach((from, to) => {
        src.forEach((s, i) => {
          if (s.layer === from) body.push({ spec: { name: s.name.replace(`model.layers.${from}.`, `model.layers.${to}.`), shape: s.shape, dtype }, src: i, op: same });
        });
      });
      out.push({ name, from: "finetune", tensors: [...head, ...body, ...tail], transform: { kind: name, layerMap, convention: "output layer j is the fine-tune's layer layerMap[j]" } });
    }
  }
  return { plans: out, skipped };
}

/** Write the outputs under `outDir` (one folder each); see the file comment. */
export async function generateWide(outDir: string, options: Partial<WideOptions> = {}): Promise<WideResult> {
  const started = Date.now();
  const o = resolveOptions(options);
  const src = sources(o);
  const normCache = new Map<string, Float32Array>();
  const ftNorm = (kind: Kind, layer: number): Float32Array => {
    const key = `${kind}:${layer}`;
    let v = normCache.get(key);
    if (!v) {
      const i = src.findIndex((s) => s.kind === kind && s.layer === layer);
      const b = baseValues(src[i]!, i, o.seed);
      v = addFinetuneNoise(b.values, b.scale, i, o.seed);
      normCache.set(key, v);
    }
    return v;
  };
  const { plans: ps, skipped } = plans(o, src, ftNorm);
  for (const s of skipped) o.log(`skip ${s.name}: ${s.reason}`);
  const { log, ...recorded } = o;
  const indepSeed = seedOf(o.seed, 0x1bd3);

  // Open every output, write its header; the tensors then go to their offsets as their sources come up.
  const open_ = await Promise.all(
    ps.map(async (p) => {
      const dir = path.join(outDir, p.name);
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, "model.safetensors");
      const specs = p.tensors.map((t) => t.spec);
      const prefix = headerBytes(specs);
      const fh = await open(file, "w");
      await fh.write(prefix, 0, prefix.length, 0);
      const offsets = dataOffsets(specs).map(([b]) => b + prefix.length);
      await writeFile(path.join(dir, "transform.json"), `${JSON.stringify({ options: recorded, ...p.transform })}\n`);
      return { p, fh, file, offsets };
    }),
  );
  const write = (fh: FileHandle, bytes: Uint8Array, at: number) => fh.write(bytes, 0, bytes.length, at);
  try {
    for (let i = 0; i < src.length; i++) {
      const s = src[i]!;
      const pending: Promise<unknown>[] = [];
      const uses = (from: Plan["from"]) => open_.filter((x) => x.p.from === from && x.p.tensors.some((t) => t.src === i));
      const emit = (from: Plan["from"], values: Float32Array) => {
        for (const x of uses(from)) {
          x.p.tensors.forEach((t, k) => {
            if (t.src !== i) return;
            pending.push(write(x.fh, encodeFloats(t.spec.dtype ?? "BF16", t.op(values)), x.offsets[k]!));
          });
        }
      };
      if (uses("base").length + uses("finetune").length > 0) {
        const b = baseValues(s, i, o.seed);
        emit("base", b.values);
        await Promise.all(pending.splice(0));
        if (uses("finetune").length > 0) emit("finetune", addFinetuneNoise(b.values, b.scale, i, o.seed));
      }
      if (uses("independent").length > 0) emit("independent", baseValues(s, i, indepSeed).values);
      await Promise.all(pending);
      log(`${i + 1}/${src.length} ${s.name} [${s.shape.join(", ")}] ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await Promise.all(open_.map((x) => x.fh.close()));
  }
  const outputs = await Promise.all(open_.map(async (x) => ({ name: x.p.name, file: x.file, bytes: (await stat(x.file)).size })));
  return { options: recorded, outputs, skipped, seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const outDir = argv[0];
  if (!outDir || outDir.startsWith("--")) throw new Error("usage: node --import tsx bench/wide-models.ts OUTDIR [--d N] [--ff N] [--heads N] [--kv-heads N] [--head-dim N] [--layers N] [--vocab N] [--dtype BF16|F16|F32] [--seed N] [--only a,b]");
  const flags = new Map<string, string>();
  for (let i = 1; i < argv.length; i += 2) {
    const k = argv[i]!;
    if (!k.startsWith("--") || argv[i + 1] === undefined) throw new Error(`bad argument ${k}`);
    flags.set(k.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase()), argv[i + 1]!);
  }
  const options: Partial<WideOptions> = { log: (line) => console.error(line) };
  for (const [k, v] of flags) {
    if (k === "dtype") options.dtype = v as BenchDtype;
    else if (k === "only") options.only = v.split(",").filter(Boolean) as OutputName[];
    else if (["d", "ff", "heads", "kvHeads", "headDim", "layers", "vocab", "seed"].includes(k)) (options as Record<string, number>)[k] = Number(v);
    else throw new Error(`unknown flag --${k}`);
  }
  const r = await generateWide(outDir, options);
  for (const x of r.outputs) console.log(`${x.name}_bytes: ${x.bytes}`);
  for (const x of r.skipped) console.log(`${x.name}_skipped: ${JSON.stringify(x.reason)}`);
  console.log(`generate_seconds: ${r.seconds.toFixed(1)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
