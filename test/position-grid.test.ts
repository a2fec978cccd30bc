/**
 * Fixed position tables on a grid (MAE's 2D sin-cos, with a class-token row; a 3D video grid) are
 * constructions two independent models share, never evidence; trained tensors are not mistaken for
 * them. Smoothness tells a table no formula explains from a trained weight matrix.
 */
import { describe, expect, it } from "vitest";
import { recognise } from "../src/stats/constructions/index.js";
import { gridShapes, roughness } from "../src/stats/constructions/position-grid.js";
import { xorshiftOpen } from "./helpers/xorshift.js";

/** MAE's get_1d_sincos_pos_embed_from_grid: [sin(pos·ω) | cos(pos·ω)], ω = 1/10000^(i/(D/2)). */
function sincos1d(dim: number, pos: number[]): number[][] {
  const half = dim / 2;
  return pos.map((p) => {
    const row: number[] = [];
    for (let i = 0; i < half; i++) row.push(Math.sin(p / 10000 ** (i / half)));
    for (let i = 0; i < half; i++) row.push(Math.cos(p / 10000 ** (i / half)));
    return row;
  });
}

/** MAE's get_2d_sincos_pos_embed(dim, grid, cls_token) flattened row-major, optionally a zero CLS row first. */
function mae2d(dim: number, gh: number, gw: number, cls: boolean): Float32Array {
  const hs: number[] = [];
  const ws: number[] = [];
  for (let h = 0; h < gh; h++) for (let w = 0; w < gw; w++) [hs.push(h), ws.push(w)];
  const eh = sincos1d(dim / 2, hs);
  const ew = sincos1d(dim / 2, ws);
  const rows = eh.map((r, i) => [...r, ...ew[i]!]);
  if (cls) rows.unshift(new Array(dim).fill(0));
  return Float32Array.from(rows.flat());
}

function gaussian(n: number, seed: number): Float32Array {
  const r = xorshiftOpen(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r()));
}

describe("sin-cos position tables on a grid", () => {
  it("recognises MAE's 2D table with a class-token row, as stored [1, 65, 192] and without the row", () => {
    const withCls = recognise(mae2d(192, 8, 8, true), [1, 65, 192], "vit.embeddings.position_embeddings");
    expect(withCls?.construction).toBe("sinusoid-grid");
    expect(withCls!.explained).toBeGreaterThan(0.99);
    expect(withCls!.detail).toMatch(/8 × 8 grid after 1 leading row/);
    expect(recognise(mae2d(256, 14, 14, false), [196, 256])?.construction).toBe("sinusoid-grid");
    // Positions along the columns (a transposed store).
    const t = mae2d(64, 6, 6, false);
    const tr = new Float32Array(t.length);
    for (let p = 0; p < 36; p++) for (let c = 0; c < 64; c++) tr[c * 36 + p] = t[p * 64 + c]!;
    expect(recognise(tr, [64, 36])?.construction).toBe("sinusoid-grid");
  });

  it("recognises a 3D (frames x rows x cols) table and one moved a little by training", () => {
    const dims = [5, 6, 6];
    const dim = 96;
    const third = dim / 3;
    const rows: number[] = [];
    for (let f = 0; f < 5; f++) for (let h = 0; h < 6; h++) for (let w = 0; w < 6; w++) rows.push(...sincos1d(third, [f])[0]!, ...sincos1d(third, [h])[0]!, ...sincos1d(third, [w])[0]!);
    expect(dims.reduce((a, b) => a * b, 1) * dim).toBe(rows.length);
    expect(recognise(Float32Array.from(rows), [180, dim])?.construction).toBe("sinusoid-grid");
    const noisy = mae2d(192, 8, 8, true);
    const noise = gaussian(noisy.length, 3);
    for (let i = 0; i < noisy.length; i++) noisy[i] = noisy[i]! + 0.05 * noise[i]!;
    expect(recognise(noisy, [65, 192])?.construction).toBe("sinusoid-grid");
  });

  it("never takes a trained-like (Gaussian) matrix of the same shapes for a grid table", () => {
    for (const [rows, cols, seed] of [[65, 192, 1], [196, 256, 2], [64, 64, 3], [24, 27, 4], [50, 40, 5]] as const) {
      const r = recognise(gaussian(rows * cols, seed), [rows, cols]);
      expect(r?.construction ?? null, `${rows}x${cols}`).not.toBe("sinusoid-grid");
    }
  });

  it("lists 2- and 3-factor grids", () => {
    expect(gridShapes(64)).toContainEqual([8, 8]);
    expect(gridShapes(150)).toContainEqual([5, 5, 6]);
    expect(gridShapes(144)).not.toContainEqual([4, 6, 6]);
    expect(gridShapes(7)).toEqual([]);
  });
});

describe("roughness along positions", () => {
  it("is about 1 for trained-like matrices and far below for smooth tables", () => {
    expect(roughness(gaussian(65 * 192, 9), 65, 192)).toBeGreaterThan(0.7);
    expect(roughness(gaussian(1000 * 64, 10), 1000, 64)).toBeGreaterThan(0.8);
    expect(roughness(mae2d(192, 8, 8, true), 65, 192)).toBeLessThan(0.2);
    // A smooth learned-like 1D table: random walks along the positions.
    const r = xorshiftOpen(4);
    const walk = new Float32Array(128 * 32);
    for (let c = 0; c < 32; c++) for (let p = 1; p < 128; p++) walk[p * 32 + c] = walk[(p - 1) * 32 + c]! + (r() - 0.5);
    expect(roughness(walk, 128, 32)).toBeLessThan(0.2);
  });
});
