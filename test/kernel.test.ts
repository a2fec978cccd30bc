/** The SIMD kernel against the Float32 path on the same bytes: same statistics, identity and non-finite flags. */
import { describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PairKernel, acquireSlots } from "../src/kernels/kernel.js";
import { LocalSource } from "../src/sources/local.js";
import { MemoSource } from "../src/sources/memo.js";
import { readInto } from "../src/sources/types.js";
import { saveModel } from "./helpers/model-io.js";
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

  it("finds a BF16 Inf or NaN anywhere in a long run, on either side, and no false one in huge finite values", () => {
    const k = new PairKernel();
    const g = gaussian(6);
    const n = 3000;
    const base = new Float32Array(n).map(() => g());
    const clean = encodeFloats("BF16", base);
    for (const [at, value, side] of [[700, Number.POSITIVE_INFINITY, "a"], [1537, Number.NaN, "b"], [2047, Number.NEGATIVE_INFINITY, "b"], [2999, Number.NaN, "a"]] as const) {
      const bad = base.slice();
      bad[at] = value;
      const enc = encodeFloats("BF16", bad);
      const s = side === "a" ? k.run("BF16", enc, clean, n, 0, 0) : k.run("BF16", clean, enc, n, 0, 0);
      expect(s.nonFinite, `${value} at ${at} on side ${side}`).toBe(true);
    }
    // Squares past f32's range make the sums non-finite, but no value is: not flagged.
    const huge = encodeFloats("BF16", base.map((x) => x * 3e37));
    expect(k.run("BF16", huge, huge, n, 0, 0).nonFinite).toBe(false);
  });

  it("slot kernels sum bytes read straight into their memory, like run() on copies", async () => {
    const g = gaussian(5);
    const n = 4099;
    const fa = new Float32Array(n).map(() => g());
    const fb = new Float32Array(n).map(() => g());
    const dir = await mkdtemp(path.join(os.tmpdir(), "fromscratch-slots-"));
    try {
      await saveModel(dir, new Map([["a", { shape: [n], data: fa }], ["b", { shape: [n], data: fb }]]), { dtype: "BF16" });
      const local = new LocalSource(dir);
      const listing = await local.list();
      const [ea, eb] = ["a", "b"].map((name) => listing.tensors.find((t) => t.name === name)!);
      const k = acquireSlots(2 * n, 2);
      // Straight into the slots (local file), and through a memo (ranges above its keep size go straight in).
      const before = local.bytesRead;
      await readInto(local, ea!, k.slot(0));
      await readInto(new MemoSource(local, 1 << 20, 64), eb!, k.slot(1));
      expect(local.bytesRead - before).toBe(4 * n);
      const want = new PairKernel().run("BF16", encodeFloats("BF16", fa), encodeFloats("BF16", fb), n, 0.1, -0.1);
      expect(k.runSlots("BF16", 0, 1, n, 0.1, -0.1)).toEqual(want);
      k.release();
      // A released kernel is reused for a request it fits; its slots keep their size.
      const again = acquireSlots(2 * n - 10, 2);
      expect(again).toBe(k);
      expect(again.slot(1).length).toBe(2 * n);
      again.release();
      await expect(readInto(local, { file: ea!.file, begin: 0, end: 10 }, new Uint8Array(9))).rejects.toThrow(/internal/);
      await expect(readInto(local, { file: eb!.file, begin: eb!.end - 4, end: eb!.end + 4 }, new Uint8Array(8))).rejects.toThrow(/file ended/);
      await local.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
