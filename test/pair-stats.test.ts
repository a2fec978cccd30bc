/** The streaming statistics against a direct Float64 computation, and their edge cases. */
import { describe, expect, it } from "vitest";
import { PairAccumulator } from "../src/stats/pair-stats.js";
import { gaussian } from "../src/examples/generate.js";
import { nullsFor } from "../src/stats/controls.js";

function direct(a: Float32Array, b: Float32Array) {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let caa = 0, cbb = 0, cab = 0, raa = 0, rbb = 0, rab = 0;
  for (let i = 0; i < n; i++) {
    caa += (a[i]! - ma) ** 2;
    cbb += (b[i]! - mb) ** 2;
    cab += (a[i]! - ma) * (b[i]! - mb);
    raa += a[i]! ** 2;
    rbb += b[i]! ** 2;
    rab += a[i]! * b[i]!;
  }
  return { pearson: cab / Math.sqrt(caa * cbb), cosine: rab / Math.sqrt(raa * rbb) };
}

function streamed(a: Float32Array, b: Float32Array, block: number) {
  const acc = new PairAccumulator();
  for (let i = 0; i < a.length; i += block) acc.add(a.subarray(i, i + block), b.subarray(i, i + block));
  return acc.result();
}

describe("PairAccumulator", () => {
  it("matches a direct Float64 computation whatever the block size", () => {
    const g = gaussian(7);
    const n = 100_003;
    const a = new Float32Array(n);
    const b = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = g() * 0.02 + 0.001;
      b[i] = 0.6 * a[i]! + 0.02 * g();
    }
    const want = direct(a, b);
    for (const block of [1, 7, 4096, n]) {
      const got = streamed(a, b, block);
      expect(got.pearson!).toBeCloseTo(want.pearson, 10);
      expect(got.cosine!).toBeCloseTo(want.cosine, 10);
      expect(got.n).toBe(n);
    }
  });

  it("raw cosine ~1 but Pearson ~0 for independent norm-like vectors N(1, 0.1)", () => {
    const g = gaussian(11);
    const n = 4096;
    const a = new Float32Array(n).map(() => 1 + 0.1 * g());
    const b = new Float32Array(n).map(() => 1 + 0.1 * g());
    const s = streamed(a, b, 1000);
    expect(s.cosine!).toBeGreaterThan(0.98);
    expect(Math.abs(s.pearson!)).toBeLessThan(4 / Math.sqrt(n));
  });

  it("stays exact when the mean dwarfs the spread (no cancellation)", () => {
    const g = gaussian(12);
    const n = 50_000;
    const a = new Float32Array(n);
    const b = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = g();
      a[i] = 1000 + 0.01 * x;
      b[i] = -500 + 0.01 * (0.5 * x + Math.sqrt(0.75) * g());
    }
    const want = direct(a, b);
    expect(streamed(a, b, 333).pearson!).toBeCloseTo(want.pearson, 4);
    expect(want.pearson).toBeGreaterThan(0.4);
  });

  it("a constant tensor gives a null Pearson, never NaN; identity is tracked", () => {
    const ones = new Float32Array(256).fill(1);
    const s = streamed(ones, ones, 100);
    expect(s.pearson).toBeNull();
    expect(s.cosine).toBeCloseTo(1, 12);
    expect(s.identical).toBe(true);
    const zeros = new Float32Array(256);
    const z = streamed(zeros, zeros, 64);
    expect(z.pearson).toBeNull();
    expect(z.cosine).toBeNull();
    const g = gaussian(1);
    const a = new Float32Array(256).map(() => g());
    const c = a.slice();
    expect(streamed(a, c, 50)).toMatchObject({ identical: true, pearson: 1 });
    c[200] = c[200]! + 1e-3;
    expect(streamed(a, c, 50).identical).toBe(false);
  });

  it("skips and counts non-finite values", () => {
    const a = new Float32Array([1, 2, NaN, 4, 5]);
    const b = new Float32Array([1, 2, 3, Infinity, 5]);
    const s = streamed(a, b, 2);
    expect(s.nonFinite).toBe(2);
    expect(s.n).toBe(3);
    expect(s.pearson!).toBeCloseTo(1, 12);
    expect(s.identical).toBe(false);
  });
});

describe("shifted controls (the null's within-pair half)", () => {
  it("each shift's Pearson is that of the pair with b's rows or columns rotated, in the order rows then columns per shift", () => {
    const mr = 40;
    const mc = 24;
    const ga = gaussian(11);
    const gb = gaussian(12);
    const a = Float32Array.from({ length: mr * mc }, ga);
    const b = Float32Array.from({ length: mr * mc }, gb);
    // A shared column pattern (what shifts keep and a copy's element order does not).
    for (let i = 0; i < a.length; i++) {
      a[i]! += Math.sin(i % mc);
      b[i]! += Math.sin(i % mc);
    }
    const [nulls] = nullsFor([{ layer: 0, role: "w", rowsSampled: mr, colsSampled: mc, a, b }]);
    const expected: number[] = [];
    for (const s of [1, 2, 3, 5, 8, 13, 21, 34]) {
      const rows = new Float32Array(a.length);
      const cols = new Float32Array(a.length);
      for (let r = 0; r < mr; r++) for (let c = 0; c < mc; c++) rows[r * mc + c] = b[((r + s) % mr) * mc + c]!;
      for (let r = 0; r < mr; r++) for (let c = 0; c < mc; c++) cols[r * mc + c] = b[r * mc + ((c + s) % mc)]!;
      if (s < mr) expected.push(direct(a, rows).pearson);
      if (s < mc) expected.push(direct(a, cols).pearson);
    }
    expect(nulls!.values).toHaveLength(expected.length);
    nulls!.values.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
  });
});
