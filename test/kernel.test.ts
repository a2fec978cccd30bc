/** The SIMD kernel against the Float32 path on the same bytes: same statistics, identity and non-finite flags. */
import { describe, expect, it } from "vitest";
import { PairKernel } from "../src/kernels/kernel.js";
import { PairAccumulator } from "../src/stats/pair-stats.js";
import { decodeInto, encodeFloats } from "../src/safetensors/dtypes.js";
import { gaussian } from "../src/examples/generate.js";

function both(dtype: "BF16" | "F32", a: Float32Array, b: Float32Array, blocks = 1) {
  const ba = encodeFloats(dtype, a);
  const bb = encodeFloats(dtype, b);
  const n = a.length;
  const fa = new Float32Array(n);
  const fb = new Float32Array(n);
  decodeInto(dtype, ba, 0, n, fa);
  decodeInto(dtype, bb, 0, n, fb);
  const js = new PairAccumulator();
  js.add(fa, fb);
  const simd = new PairAccumulator();
  const k = new PairKernel();
  const bpe = dtype === "BF16" ? 2 : 4;
  const per = Math.ceil(n / blocks);
  for (let i = 0; i < n; i += per) {
    const m = Math.min(per, n - i);
    const s = k.run(dtype, ba.subarray(i * bpe, (i + m) * bpe), bb.subarray(i * bpe, (i + m) * bpe), m, 0.5, -0.25);
    expect(s.nonFinite).toBe(false);
    simd.addShifted(s);
  }
  return { js: js.result(), simd: simd.result() };
}

describe("SIMD kernel", () => {
  for (const dtype of ["BF16", "F32"] as const) {
    it(`${dtype}: matches the Float32 path, tails and several blocks included`, () => {
      const g = gaussian(3);
      for (const n of [1, 7, 8, 9, 127, 128, 129, 1000, 65_537]) {
        const a = new Float32Array(n).map(() => 0.5 + 0.02 * g());
        const b = new Float32Array(n).map((_, i) => 0.7 * (a[i]! - 0.5) + 0.01 * g() - 0.25);
        for (const blocks of [1, 3]) {
          const { js, simd } = both(dtype, a, b, blocks);
          if (js.pearson === null) expect(simd.pearson).toBeNull();
          else expect(simd.pearson!).toBeCloseTo(js.pearson, 6);
          expect(simd.cosine!).toBeCloseTo(js.cosine!, 6);
          expect(simd.n).toBe(n);
          expect(simd.identical).toBe(false);
        }
      }
    });
  }

  it("flags identical tensors and non-finite values", () => {
    const k = new PairKernel();
    const g = gaussian(4);
    const a = encodeFloats("BF16", new Float32Array(1001).map(() => g()));
    expect(k.run("BF16", a, a, 1001, 0, 0)).toMatchObject({ differs: false, nonFinite: false });
    const b = a.slice();
    b[2 * 999] ^= 1;
    expect(k.run("BF16", a, b, 1001, 0, 0).differs).toBe(true);
    const c = encodeFloats("BF16", new Float32Array([1, 2, Number.NaN, 4, 5, 6, 7, 8, 9]));
    expect(k.run("BF16", c, c, 9, 0, 0).nonFinite).toBe(true);
    const d = encodeFloats("F32", new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, Number.POSITIVE_INFINITY]));
    expect(k.run("F32", d, d, 9, 0, 0).nonFinite).toBe(true);
    expect(k.run("F32", d, d, 8, 0, 0).nonFinite).toBe(false);
  });
});
