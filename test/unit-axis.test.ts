/**
 * Which axis a pair's test permutes as the layer's own units (src/engine/unit-axis.ts): an expert's parts
 * are an MLP's (their hidden units, which expert matching cannot see, so its choice costs that test
 * nothing), except a square part cut from a fused slab, where no storage convention names the axis.
 */
import { describe, expect, it } from "vitest";
import type { AlignedPair } from "../src/align/align.js";
import type { MlpLayout } from "../src/engine/tensor-roles.js";
import { type UnitRules, internalUnits } from "../src/engine/unit-axis.js";

const pair = (role: string, rows: number, cols: number, transform: string[] = []) =>
  ({ role, transform, candidate: { entry: { shape: [rows, cols] }, rows, cols }, reference: { entry: { shape: [rows, cols] }, rows, cols } }) as unknown as AlignedPair;
const rules = (layout: MlpLayout): UnitRules => ({ widths: new Set(), layout });
const linear = rules({ residual: 256, conv1d: false });

describe("the layer's own units", () => {
  it("an expert's gate, up and down: its hidden units, by shape against the residual width", () => {
    expect(internalUnits(pair("mlp.experts.3.gate.weight", 64, 256), linear)).toBe("rows");
    expect(internalUnits(pair("mlp.experts.3.up.weight", 64, 256), linear)).toBe("rows");
    expect(internalUnits(pair("mlp.experts.3.down.weight", 256, 64), linear)).toBe("cols");
    expect(internalUnits(pair("mlp.shared_experts.down.weight", 256, 64), linear)).toBe("cols");
    // A dense MLP, as before.
    expect(internalUnits(pair("mlp.gate.weight", 64, 256), linear)).toBe("rows");
    // Attention rows are not a layer's own units (RoPE ties them inside a head).
    expect(internalUnits(pair("attn.q.weight", 64, 256), linear)).toBeNull();
  });

  it("a square expert part: the component's storage vote, unless it was cut from a fused slab", () => {
    const square = rules({ residual: 64, conv1d: false });
    expect(internalUnits(pair("mlp.experts.0.gate.weight", 64, 64), square)).toBe("rows");
    expect(internalUnits(pair("mlp.experts.0.down.weight", 64, 64), square)).toBe("cols");
    for (const cut of ["split-experts", "split-reference-experts", "experts-transposed", "reference-gate-up-interleaved"]) {
      expect(internalUnits(pair("mlp.experts.0.gate.weight", 64, 64, ["expert-matched", cut]), square), cut).toBeNull();
    }
    // No vote: neither axis named.
    expect(internalUnits(pair("mlp.experts.0.gate.weight", 64, 64), rules({ residual: 64, conv1d: null }))).toBeNull();
  });
});
