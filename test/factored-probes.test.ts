/**
 * The probing comparison of factored maps (src/engine/compare-factored.ts) in-process: the probes of a
 * product equal those of the multiplied-out matrix, and under H0 (independent matrices that share a fixed
 * structure along their inputs, so only the output units are exchangeable) the p-values are valid.
 */
import { describe, expect, it } from "vitest";
import type { Located } from "../src/align/align.js";
import type { FactoredPair } from "../src/align/factor-chains.js";
import type { LinearOperator } from "../src/align/operator.js";
import { fullView } from "../src/align/view.js";
import { compareFactored } from "../src/engine/compare-factored.js";
import { OperatorProber, gaussianProbes } from "../src/engine/probe-operator.js";
import type { ModelListing, TensorEntry, WeightSource } from "../src/sources/types.js";
import { xorshiftOpen } from "./helpers/xorshift.js";

/** Float32 tensors in one in-memory file. */
class MemorySource implements WeightSource {
  readonly source = "memory";
  bytesRead = 0;
  private bytes = new Uint8Array(0);
  readonly entries = new Map<string, TensorEntry>();
  add(name: string, shape: number[], data: Float32Array): TensorEntry {
    const begin = this.bytes.length;
    const next = new Uint8Array(begin + data.byteLength);
    next.set(this.bytes);
    next.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), begin);
    this.bytes = next;
    const e: TensorEntry = { name, dtype: "F32", shape, file: "m.safetensors", begin, end: begin + data.byteLength };
    this.entries.set(name, e);
    return e;
  }
  list(): Promise<ModelListing> {
    return Promise.resolve({ source: "memory", revision: null, license: null, tensors: [...this.entries.values()], files: ["m.safetensors"], headerBytes: 0 });
  }
  read(_file: string, begin: number, end: number): Promise<Uint8Array> {
    this.bytesRead += end - begin;
    return Promise.resolve(this.bytes.slice(begin, end));
  }
}

function normals(n: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

function matmul(a: Float32Array, b: Float32Array, n: number, r: number, m: number): Float32Array {
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let k = 0; k < r; k++) for (let j = 0; j < m; j++) out[i * m + j]! += a[i * r + k]! * b[k * m + j]!;
  return out;
}

const leaf = (e: TensorEntry): LinearOperator => ({ kind: "matrix", view: fullView(e) });
const located = (e: TensorEntry): Located => ({ entry: e, kind: "language", layer: 0, role: e.name });

describe("probing a factored map", () => {
  it("U (V R) and Lᵀ U V equal the probes of the product U V, and of its row and column blocks", async () => {
    const g = xorshiftOpen(5);
    const src = new MemorySource();
    const [n, r, m] = [40, 12, 30];
    const u = normals(n * r, g);
    const v = normals(r * m, g);
    const w = matmul(u, v, n, r, m);
    const ue = src.add("u", [n, r], u);
    const ve = src.add("v", [r, m], v);
    const we = src.add("w", [n, m], w);
    const top = src.add("top", [15, m], w.slice(0, 15 * m));
    const bottom = src.add("bottom", [n - 15, m], w.slice(15 * m));
    const prober = new OperatorProber(src);
    const R = gaussianProbes(m, 8, "right");
    const L = gaussianProbes(n, 8, "left");
    const close = (a: Float64Array, b: Float64Array) => a.every((x, i) => Math.abs(x - b[i]!) <= 1e-4 * (1 + Math.abs(b[i]!)));
    const product: LinearOperator = { kind: "product", left: leaf(ue), right: leaf(ve) };
    const stacked: LinearOperator = { kind: "stack", axis: "rows", blocks: [leaf(top), leaf(bottom)] };
    const whole = leaf(we);
    for (const op of [product, stacked]) {
      expect(close((await prober.right(op, R)).data, (await prober.right(whole, R)).data)).toBe(true);
      expect(close((await prober.left(op, L)).data, (await prober.left(whole, L)).data)).toBe(true);
    }
  });

  it("is valid under H0 when only the output units are exchangeable (a fixed input structure both models share)", async () => {
    const g = xorshiftOpen(9);
    const [n, r, m] = [96, 24, 48];
    // A fixed mixing of the inputs, the same in both models: their columns are alike, their rows independent.
    const mix = normals(m * m, g).map((x, i) => x + (i % (m + 1) === 0 ? 4 : 0));
    const p: number[] = [];
    for (let trial = 0; trial < 150; trial++) {
      const src = new MemorySource();
      const ref = src.add("w", [n, m], matmul(normals(n * m, g), mix, n, m, m));
      const ue = src.add("u", [n, r], normals(n * r, g));
      const ve = src.add("v", [r, m], matmul(normals(r * m, g), mix, r, m, m));
      const pair: FactoredPair = { component: "model", layer: 0, role: "attn.q.weight", candidate: { kind: "product", left: leaf(ue), right: leaf(ve) }, tensors: [located(ue), located(ve)], reference: ref, transform: ["factored"] };
      const { tensors } = await compareFactored([pair], src, src);
      p.push(10 ** tensors[0]!.permutation!.log10p);
    }
    const rate = (a: number) => p.filter((x) => x <= a).length / p.length;
    // Binomial 99.9% bounds at n = 150: 0.1 -> 0.19, 0.01 -> 0.047.
    expect(rate(0.1)).toBeLessThanOrEqual(0.19);
    expect(rate(0.01)).toBeLessThanOrEqual(0.047);
    // The copy of the same structure is found.
    const src = new MemorySource();
    const base = matmul(normals(n * m, g), mix, n, m, m);
    const refE = src.add("w", [n, m], base);
    const ue = src.add("u", [n, m], base);
    const id = new Float32Array(m * m).map((_, i) => (i % (m + 1) === 0 ? 1 : 0));
    const ve = src.add("v", [m, m], id);
    const pair: FactoredPair = { component: "model", layer: 0, role: "attn.q.weight", candidate: { kind: "product", left: leaf(ue), right: leaf(ve) }, tensors: [located(ue), located(ve)], reference: refE, transform: ["factored"] };
    const { tensors } = await compareFactored([pair], src, src);
    expect(tensors[0]!.permutation!.log10p).toBeLessThan(-20);
  });
});
