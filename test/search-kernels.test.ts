/**
 * The alignment search's fast paths give exactly what the plain loops give:
 * the same row dot products bit for bit, the same matchings (ties included),
 * and the memo serves repeated reads only after the planned pass.
 */
import { describe, expect, it } from "vitest";
import { hungarian, maximizeAssignment } from "../src/search/assignment.js";
import { rowDots } from "../src/kernels/dots.js";
import { hungarianWasm } from "../src/kernels/hungarian.js";
import { hadamardRows } from "../src/search/hadamard.js";
import { transposed } from "../src/search/matrix.js";
import { residualMap } from "../src/search/residual.js";
import { readRowSet } from "../src/search/sketch-read.js";
import { fullView } from "../src/align/view.js";
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

  it("writes into a caller's block when given one (its leading na x nb cells), the same numbers", () => {
    const rnd = lcg(3);
    const a = Float32Array.from({ length: 5 * 9 }, rnd);
    const b = Float32Array.from({ length: 7 * 9 }, rnd);
    const block = new Float64Array(64).fill(Number.NaN);
    const out = rowDots(a, 5, b, 7, 9, block);
    expect(out.buffer).toBe(block.buffer);
    expect(out.length).toBe(35);
    expect(Array.from(out)).toEqual(Array.from(plainDots(a, 5, b, 7, 9)));
    expect(Number.isNaN(block[35]!)).toBe(true);
  });
});

describe("residualMap", () => {
  it("recovers a signed permutation of the residual axis from token rows, at every width the sparse path also covers", () => {
    for (const [tokens, d] of [[64, 48], [96, 2100]] as const) {
      const rnd = lcg(d);
      const ref = Float32Array.from({ length: tokens * d }, rnd);
      const perm = Int32Array.from({ length: d }, (_, i) => (i * 11 + 3) % d);
      const sign = Float32Array.from({ length: d }, (_, i) => (i % 3 === 0 ? -1 : 1));
      // Candidate dimension i is reference dimension perm[i], times sign[i], plus a little noise.
      const cand = new Float32Array(tokens * d);
      for (let t = 0; t < tokens; t++) for (let i = 0; i < d; i++) cand[t * d + i] = sign[i]! * ref[t * d + perm[i]!]! + 0.1 * rnd();
      const map = residualMap({ blocks: [{ candidate: { rows: tokens, cols: d, data: cand }, reference: { rows: tokens, cols: d, data: ref }, residual: "cols", signed: false, center: false }] })!;
      expect(Array.from(map.perm)).toEqual(Array.from(perm));
      expect(Array.from(map.sign)).toEqual(Array.from(sign));
      expect(map.identity).toBe(false);
      expect(map.quality).toBeGreaterThan(0.9);
      expect(map.identityQuality).toBeLessThan(0.3);
    }
  });
});

describe("readRowSet", () => {
  it("reads the asked rows (repeats, -1 as zeros, columns and signs) and their transpose in one copy", async () => {
    const rows = 6;
    const cols = 5;
    const values = Float32Array.from({ length: rows * cols }, (_, i) => i + 1);
    const bytes = new Uint8Array(values.buffer);
    const source: WeightSource = {
      source: "mem",
      bytesRead: 0,
      list: (): Promise<ModelListing> => Promise.reject(new Error("unused")),
      read: (_file: string, begin: number, end: number) => Promise.resolve(bytes.slice(begin, end)),
    };
    const view = fullView({ name: "w", dtype: "F32", shape: [rows, cols], file: "model.safetensors", begin: 0, end: bytes.length });
    const want = Int32Array.from([4, -1, 1, 4]);
    const options = { columns: Int32Array.from([3, -1, 0]), rowSign: Float32Array.from([1, 1, -1, 1]), columnSign: Float32Array.from([1, 1, -1]) };
    const m = await readRowSet(source, view, want, options);
    expect(m).toMatchObject({ rows: 4, cols: 3 });
    expect(Array.from(m.data)).toEqual([24, 0, -21, 0, 0, 0, -9, 0, 6, 24, 0, -21]);
    const t = await readRowSet(source, view, want, { ...options, transpose: true });
    expect(t).toMatchObject({ rows: 3, cols: 4 });
    expect(Array.from(t.data)).toEqual(Array.from(transposed(m).data));
  });
});

describe("hadamardRows", () => {
  it("in place gives the copy's numbers, and applied twice gives the rows back (H/√d is its own inverse)", () => {
    const rnd = lcg(4);
    const m = { rows: 3, cols: 16, data: Float32Array.from({ length: 48 }, rnd) };
    const copy = hadamardRows(m);
    expect(copy.data).not.toBe(m.data);
    const again = hadamardRows(copy);
    for (let k = 0; k < 48; k++) expect(again.data[k]!).toBeCloseTo(m.data[k]!, 6);
    const owned = { ...m, data: new Float32Array(m.data) };
    const inPlace = hadamardRows(owned, true);
    expect(inPlace.data).toBe(owned.data);
    expect(Array.from(inPlace.data)).toEqual(Array.from(copy.data));
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
