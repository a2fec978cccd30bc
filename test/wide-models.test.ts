/**
 * bench/wide-models.ts at small width: the derived checkpoints are what they claim, checked on the
 * written tensors through the transform each one records (transform.json).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fwht, generateWide, type WideResult } from "../bench/wide-models.js";
import { type LoadedModel, loadModel } from "./helpers/model-io.js";
import { tempDir } from "./helpers/temp.js";

// F32 outputs (the permuted copy is F16 regardless), so the checks below are at F16 / float32 precision.
const SHAPE = { d: 256, ff: 688, heads: 4, kvHeads: 2, layers: 4, vocab: 512, seed: 7, dtype: "F32" as const };
const HD = SHAPE.d / SHAPE.heads;

let dir: string;
let result: WideResult;
const models = new Map<string, LoadedModel>();
const transforms = new Map<string, Record<string, unknown>>();

beforeAll(async () => {
  dir = await tempDir("wide-models");
  result = await generateWide(dir, SHAPE);
  for (const o of result.outputs) {
    models.set(o.name, await loadModel(path.dirname(o.file)));
    transforms.set(o.name, JSON.parse(await readFile(path.join(path.dirname(o.file), "transform.json"), "utf8")));
  }
});

const tensor = (model: string, name: string) => {
  const t = models.get(model)!.tensors.get(name);
  if (!t) throw new Error(`${model} has no ${name}`);
  return t;
};

function pearson(a: Float32Array, b: Float32Array): number {
  let [ma, mb] = [0, 0];
  for (let i = 0; i < a.length; i++) [ma, mb] = [ma + a[i]!, mb + b[i]!];
  [ma, mb] = [ma / a.length, mb / b.length];
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]! - ma, b[i]! - mb];
    [ab, aa, bb] = [ab + x * y, aa + x * x, bb + y * y];
  }
  return ab / Math.sqrt(aa * bb);
}

/** ||a − b|| / ||b||. */
function relErr(a: Float32Array, b: Float32Array): number {
  let [num, den] = [0, 0];
  for (let i = 0; i < a.length; i++) [num, den] = [num + (a[i]! - b[i]!) ** 2, den + b[i]! ** 2];
  return Math.sqrt(num / den);
}

const expand = (perm: number[], size: number) => perm.flatMap((b) => Array.from({ length: size }, (_, t) => b * size + t));

/** Undo a gather (out[r, c] = w[rows[r], cols[c]]): back[rows[r], cols[c]] = out[r, c]. */
function ungather(w: Float32Array, nRows: number, nCols: number, rows: number[] | null, cols: number[] | null): Float32Array {
  const back = new Float32Array(w.length);
  for (let r = 0; r < nRows; r++) for (let c = 0; c < nCols; c++) back[(rows ? rows[r]! : r) * nCols + (cols ? cols[c]! : c)] = w[r * nCols + c]!;
  return back;
}


/** Logits of a tiny Llama forward (causal attention with GQA, no RoPE: it acts within heads, which no transform here touches). */
function forward(get: (hfName: string) => Float32Array, tokens: number[]): Float32Array {
  const { d, ff, heads, kvHeads, layers, vocab } = SHAPE;
  const T = tokens.length;
  const qpg = heads / kvHeads;
  const matmulT = (x: Float64Array, w: Float32Array, n: number, k: number) => {
    const y = new Float64Array(T * n);
    for (let t = 0; t < T; t++) for (let o = 0; o < n; o++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += x[t * k + i]! * w[o * k + i]!;
      y[t * n + o] = s;
    }
    return y;
  };
  const rms = (x: Float64Array, g: Float32Array) => {
    const y = new Float64Array(x.length);
    for (let t = 0; t < T; t++) {
      let ss = 0;
      for (let i = 0; i < d; i++) ss += x[t * d + i]! ** 2;
      const r = 1 / Math.sqrt(ss / d + 1e-6);
      for (let i = 0; i < d; i++) y[t * d + i] = x[t * d + i]! * r * g[i]!;
    }
    return y;
  };
  const E = get("model.embed_tokens.weight");
  const x = new Float64Array(T * d);
  tokens.forEach((tok, t) => { for (let i = 0; i < d; i++) x[t * d + i] = E[tok * d + i]!; });
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    const h = rms(x, get(`${p}input_layernorm.weight`));
    const q = matmulT(h, get(`${p}self_attn.q_proj.weight`), heads * HD, d);
    const k = matmulT(h, get(`${p}self_attn.k_proj.weight`), kvHeads * HD, d);
    const v = matmulT(h, get(`${p}self_attn.v_proj.weight`), kvHeads * HD, d);
    const a = new Float64Array(T * heads * HD);
    for (let hh = 0; hh < heads; hh++) {
      const g = Math.floor(hh / qpg);
      for (let t = 0; t < T; t++) {
        const sc = Array.from({ length: t + 1 }, (_, u) => {
          let s = 0;
          for (let i = 0; i < HD; i++) s += q[t * heads * HD + hh * HD + i]! * k[u * kvHeads * HD + g * HD + i]!;
          return s / Math.sqrt(HD);
        });
        const m = Math.max(...sc);
        const e = sc.map((s) => Math.exp(s - m));
        const z = e.reduce((s, y) => s + y, 0);
        for (let u = 0; u <= t; u++) for (let i = 0; i < HD; i++) a[t * heads * HD + hh * HD + i] = a[t * heads * HD + hh * HD + i]! + (e[u]! / z) * v[u * kvHeads * HD + g * HD + i]!;
      }
    }
    const o = matmulT(a, get(`${p}self_attn.o_proj.weight`), d, heads * HD);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + o[i]!;
    const h2 = rms(x, get(`${p}post_attention_layernorm.weight`));
    const gt = matmulT(h2, get(`${p}mlp.gate_proj.weight`), ff, d);
    const up = matmulT(h2, get(`${p}mlp.up_proj.weight`), ff, d);
    for (let i = 0; i < gt.length; i++) gt[i] = (gt[i]! / (1 + Math.exp(-gt[i]!))) * up[i]!;
    const dn = matmulT(gt, get(`${p}mlp.down_proj.weight`), d, ff);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + dn[i]!;
  }
  return Float32Array.from(matmulT(rms(x, get("model.norm.weight")), get("lm_head.weight"), vocab, d));
}

describe("wide-models generator", () => {
  it("writes every output at small width with GQA", () => {
    expect(result.outputs.map((o) => o.name)).toEqual(["base", "finetune", "permuted", "rotated", "orthogonal", "independent", "dropped", "duplicated", "reordered"]);
    expect(result.skipped).toEqual([]);
    expect(tensor("base", "model.layers.0.self_attn.k_proj.weight").shape).toEqual([SHAPE.kvHeads * HD, SHAPE.d]);
    expect(models.get("permuted")!.dtypes.get("layers.0.attention.wq.weight")).toBe("F16");
    expect(models.get("rotated")!.dtypes.get("model.layers.0.self_attn.q_proj.weight")).toBe("F32");
  });

  it("fine-tune: Pearson with base ≈ 0.89 per matrix and over the norm gains; independent ≈ 0", () => {
    const norms: [number[], number[]] = [[], []];
    for (const [name, t] of models.get("base")!.tensors) {
      const ft = tensor("finetune", name).data;
      if (t.shape.length === 2) {
        expect(Math.abs(pearson(ft, t.data) - 0.89), name).toBeLessThan(0.02);
        expect(Math.abs(pearson(tensor("independent", name).data, t.data)), name).toBeLessThan(0.05);
      } else {
        norms[0].push(...ft);
        norms[1].push(...t.data);
      }
    }
    expect(Math.abs(pearson(Float32Array.from(norms[0]), Float32Array.from(norms[1])) - 0.89)).toBeLessThan(0.02);
  });

  it("permuted: undoing the recorded permutations gives back the fine-tune to F16 precision", () => {
    const tr = transforms.get("permuted") as { residualPerm: number[]; layers: { mlpPerm: number[]; kvHeadPerm: number[]; headPerm: number[] }[]; names: Record<string, string> };
    const P = tr.residualPerm;
    expect([...P].sort((a, b) => a - b)).toEqual(P.map((_, i) => i));
    expect(P.some((p, i) => p !== i)).toBe(true);
    const names = Object.entries(tr.names);
    expect(names.length).toBe(models.get("finetune")!.tensors.size);
    for (const [permName, ftName] of names) {
      const t = tensor("permuted", permName);
      const ft = tensor("finetune", ftName);
      const m = /layers\.(\d+)\./.exec(ftName);
      const L = m ? tr.layers[Number(m[1])]! : null;
      if (L) {
        // Query heads stay with their KV group (GQA): new head g'·2 + j holds an old head of group kvHeadPerm[g'].
        const qpg = SHAPE.heads / SHAPE.kvHeads;
        L.headPerm.forEach((h, i) => expect(Math.floor(h / qpg)).toBe(L.kvHeadPerm[Math.floor(i / qpg)]));
      }
      const [rows, cols] = [t.shape[0]!, t.shape[1] ?? 1];
      const kind = /(embed_tokens|lm_head|norm|q_proj|[kv]_proj|o_proj|gate_proj|up_proj|down_proj)/.exec(ftName)![1];
      const [r, c] = ((): [number[] | null, number[] | null] => {
        switch (kind) {
          case "embed_tokens":
          case "lm_head":
            return [null, P];
          case "norm":
            return [null, P];
          case "q_proj":
            return [expand(L!.headPerm, HD), P];
          case "k_proj":
          case "v_proj":
            return [expand(L!.kvHeadPerm, HD), P];
          case "o_proj":
            return [P, expand(L!.headPerm, HD)];
          case "gate_proj":
          case "up_proj":
            return [L!.mlpPerm, P];
          default:
            return [P, L!.mlpPerm];
        }
      })();
      const back = kind === "norm" ? ungather(t.data, 1, SHAPE.d, null, P) : ungather(t.data, rows, cols, r, c);
      // Within F16 rounding: half an ulp (2^-11 relative), or 2^-25 absolute among the subnormals.
      for (let i = 0; i < back.length; i++) {
        if (Math.abs(back[i]! - ft.data[i]!) > Math.abs(ft.data[i]!) * 2 ** -11 * 1.001 + 2 ** -25) throw new Error(`${permName}[${i}]: ${back[i]} vs ${ft.data[i]}`);
      }
    }
  });

  it("rotated: W_rot·Qᵀ gives back the (gain-folded) fine-tune, Q·W_rot the output-side matrices; gains are 1", () => {
    const signs = (transforms.get("rotated") as { signs: number[] }).signs;
    const d = SHAPE.d;
    /** Rows times Qᵀ = diag(s)·H/sqrt(d). */
    const timesQt = (w: Float32Array) => {
      const out = new Float32Array(w);
      for (let off = 0; off < out.length; off += d) {
        for (let c = 0; c < d; c++) out[off + c] = out[off + c]! * signs[c]!;
        fwht(out, off, d);
        for (let c = 0; c < d; c++) out[off + c] = out[off + c]! / Math.sqrt(d);
      }
      return out;
    };
    /** Q·W for a [d, cols] matrix: transpose, rows times Qᵀ, transpose back. */
    const qTimes = (w: Float32Array, cols: number) => {
      const wt = new Float32Array(w.length);
      for (let r = 0; r < d; r++) for (let c = 0; c < cols; c++) wt[c * d + r] = w[r * cols + c]!;
      const x = timesQt(wt);
      const out = new Float32Array(w.length);
      for (let r = 0; r < d; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = x[c * d + r]!;
      return out;
    };
    const folded = (w: Float32Array, g: Float32Array) => w.map((v, i) => v * g[i % d]!);
    for (const [name, t] of models.get("rotated")!.tensors) {
      const ft = tensor("finetune", name).data;
      const layer = /layers\.(\d+)\./.exec(name)?.[1];
      const gain = (n: string) => tensor("finetune", `model.layers.${layer}.${n}.weight`).data;
      let err: number;
      if (t.shape.length === 1) {
        expect(t.data.every((v) => v === 1), name).toBe(true);
        continue;
      } else if (name === "model.embed_tokens.weight") err = relErr(timesQt(t.data), ft);
      else if (name === "lm_head.weight") err = relErr(timesQt(t.data), folded(ft, tensor("finetune", "model.norm.weight").data));
      else if (/[qkv]_proj/.test(name)) err = relErr(timesQt(t.data), folded(ft, gain("input_layernorm")));
      else if (/gate_proj|up_proj/.test(name)) err = relErr(timesQt(t.data), folded(ft, gain("post_attention_layernorm")));
      else err = relErr(qTimes(t.data, t.shape[1]!), ft);
      expect(err, name).toBeLessThan(1e-5);
      // ...and the rotation really moved the weights.
      if (name === "model.embed_tokens.weight") expect(relErr(t.data, ft)).toBeGreaterThan(1);
    }
  });

  it("permuted, rotated and orthogonal compute the fine-tune's function (logits of a forward pass)", () => {
    const tokens = [3, 141, 59, 265, 35];
    const ft = forward((n) => tensor("finetune", n).data, tokens);
    const names = Object.fromEntries(Object.entries((transforms.get("permuted") as { names: Record<string, string> }).names).map(([a, b]) => [b, a]));
    const permuted = forward((n) => tensor("permuted", names[n]!).data, tokens);
    const rotated = forward((n) => tensor("rotated", n).data, tokens);
    const orthogonal = forward((n) => tensor("orthogonal", n).data, tokens);
    const base = forward((n) => tensor("base", n).data, tokens);
    expect(relErr(permuted, ft)).toBeLessThan(0.005);
    expect(relErr(rotated, ft)).toBeLessThan(1e-4);
    expect(relErr(orthogonal, ft)).toBeLessThan(1e-4);
    expect(relErr(base, ft)).toBeGreaterThan(0.2);
  });

  it("dropped, duplicated, reordered: each layer is the recorded fine-tune layer, renumbered contiguously", () => {
    const ft = models.get("finetune")!;
    for (const name of ["dropped", "duplicated", "reordered"]) {
      const { layerMap } = transforms.get(name) as { layerMap: number[] };
      const expected = { dropped: SHAPE.layers - 1, duplicated: SHAPE.layers + 1, reordered: SHAPE.layers }[name];
      expect(layerMap.length).toBe(expected);
      if (name === "reordered") expect(layerMap.filter((l, i) => l !== i).length).toBe(2);
      const m = models.get(name)!;
      expect(m.tensors.size).toBe(3 + 9 * layerMap.length);
      for (const [n, t] of m.tensors) {
        const l = /^model\.layers\.(\d+)\.(.+)$/.exec(n);
        const src = l ? `model.layers.${layerMap[Number(l[1])]}.${l[2]}` : n;
        expect(Buffer.from(t.data.buffer).equals(Buffer.from(ft.tensors.get(src)!.data.buffer)), n).toBe(true);
      }
    }
  });

  it("--only gives the same bytes as the full run (each tensor from its own seed)", async () => {
    const sub = await tempDir("wide-models-only");
    const r = await generateWide(sub, { ...SHAPE, only: ["permuted", "reordered"] });
    for (const o of r.outputs) {
      const full = await readFile(path.join(dir, o.name, "model.safetensors"));
      expect((await readFile(o.file)).equals(full), o.name).toBe(true);
    }
  });

  it("skips rotated when d is not a power of two, and layer edits below 4 layers", async () => {
    const sub = await tempDir("wide-models-skip");
    const r = await generateWide(sub, { d: 96, ff: 64, heads: 2, layers: 2, vocab: 16, only: ["rotated", "dropped", "base"] });
    expect(r.outputs.map((o) => o.name)).toEqual(["base"]);
    expect(r.skipped.map((s) => s.name)).toEqual(["rotated", "dropped"]);
  });
});
