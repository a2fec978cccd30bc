/**
 * The alignment search's fast paths give exactly what the plain loops give:
 * the same row dot products bit for bit, the same matchings (ties included),
 * and the memo serves repeated reads only after the planned pass.
 */
import { describe, expect, it } from "vitest";
import { hungarian, hungarianWasm, maximizeAssignment } from "../src/search/assignment.js";
import { rowDots } from "../src/search/dots.js";
import { MemoSource } from "../src/sources/memo.js";
import type { ModelListing, WeightSource } from "../src/sources/types.js";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

function plainDots(a: Float32Array | Float64Array, na: number, b: Float32Array | Float64Array, nb: number, w: number): Float64Array {
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++)
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let k = 0; k < w; k++) s += a[i * w + k]! * b[j * w + k]!;
      out[i * nb + j] = s;
    }
  return out;
}

describe("rowDots", () => {
  it("equals the plain loop bit for bit, whatever the sizes (tails, several chunks)", () => {
    const rnd = lcg(1);
    for (const [na, nb, w] of [[1, 1, 1], [3, 5, 7], [128, 128, 128], [9, 1030, 6], [257, 13, 600], [2, 3, 0]] as const) {
      const a = Float32Array.from({ length: na * w }, rnd);
      const b = Float64Array.from({ length: nb * w }, rnd);
      expect(rowDots(a, na, b, nb, w)).toEqual(plainDots(a, na, b, nb, w));
    }
  });
});

describe("Hungarian", () => {
  it("the WebAssembly scan finds the matching of the scalar code, ties (zero rows and columns) included", () => {
    const rnd = lcg(2);
    for (const [n, m, levels] of [[1, 1, 0], [1, 3, 0], [7, 7, 2], [40, 41, 0], [64, 80, 3], [128, 128, 0]] as const) {
      const score = Float64Array.from({ length: n * m }, () => {
        const v = Math.abs(rnd());
        return levels ? Math.round(v * levels) / levels : v;
      });
      for (let j = 0; j < m; j += 5) for (let i = 0; i < n; i++) score[i * m + j] = 0;
      const exact = hungarian(score, n, m);
      expect(hungarianWasm(score, n, m)).toEqual(exact);
      expect(maximizeAssignment(score, n, m)).toEqual(exact);
      expect(new Set(exact).size).toBe(n);
    }
  });
});

describe("MemoSource", () => {
  function counting(): WeightSource & { reads: number } {
    const src = {
      source: "mem",
      reads: 0,
      bytesRead: 0,
      list: (): Promise<ModelListing> => Promise.reject(new Error("unused")),
      read(_file: string, begin: number, end: number): Promise<Uint8Array> {
        src.reads++;
        src.bytesRead += end - begin;
        return Promise.resolve(Uint8Array.from({ length: end - begin }, (_, i) => (begin + i) & 255));
      },
    };
    return src;
  }

  it("reads through while not serving, then serves what it remembers; bytesRead is the source's", async () => {
    const inner = counting();
    const memo = new MemoSource(inner);
    await memo.read("f", 0, 10);
    await memo.read("f", 0, 10);
    expect(inner.reads).toBe(2);
    memo.serving = true;
    const again = await memo.read("f", 0, 10);
    expect(inner.reads).toBe(2);
    expect([...again]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await memo.read("f", 2, 10);
    expect(inner.reads).toBe(3);
    expect(memo.bytesRead).toBe(28);
  });

  it("keeps at most its byte budget, dropping the least recently used", async () => {
    const inner = counting();
    const memo = new MemoSource(inner, 25, 20);
    memo.serving = true;
    await memo.read("f", 0, 10);
    await memo.read("f", 10, 20);
    await memo.read("f", 0, 10); // most recent now
    await memo.read("f", 20, 30); // over 25 bytes: drops [10, 20)
    await memo.read("f", 40, 70); // above the range limit: never kept
    expect(inner.reads).toBe(4);
    await memo.read("f", 0, 10);
    await memo.read("f", 20, 30);
    expect(inner.reads).toBe(4);
    await memo.read("f", 10, 20);
    await memo.read("f", 40, 70);
    expect(inner.reads).toBe(6);
  });
});
