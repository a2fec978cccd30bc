/**
 * GPT-2 stores its MLP matrices Conv1D [in, out]: c_fc [d, 4d], c_proj [4d, d]. The direct test of an MLP
 * matrix takes the permutation test along its hidden units alone; by role alone (Linear [out, in]) that
 * axis was the residual stream for GPT-2, whose dimensions independent models can share a structure on
 * (a fixed table added to the stream; here a fixed profile across residual dimensions, the same in two
 * independently drawn models). The hidden axis is decided by shape against the residual width now, and the
 * shared residual structure is no evidence.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type FloatTensors, writeModel } from "../src/examples/generate.js";
import { type MlpLayout, mlpUnitAxis } from "../src/engine/tensor-roles.js";
import { permutationTest } from "../src/stats/permutation.js";
import { GPT2_SHAPE, gpt2Config, gpt2Model } from "./helpers/arch2.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

const SHAPE = { ...GPT2_SHAPE, layers: 2 };

/** One fixed profile across residual dimensions (smooth, like a table's low frequencies), at half the weights' spread. */
function residualProfile(d: number, sd: number): Float32Array {
  return Float32Array.from({ length: d }, (_, r) => 0.5 * sd * Math.SQRT2 * Math.sin((6 * Math.PI * r) / d + 0.3));
}

/** Every MLP matrix of `m` with the same profile added along its residual axis (c_fc rows, c_proj columns). */
function withResidualStructure(m: FloatTensors): FloatTensors {
  const out: FloatTensors = new Map(m);
  for (const [name, t] of m) {
    const fc = /mlp\.c_fc\.weight$/.test(name);
    if (!fc && !/mlp\.c_proj\.weight$/.test(name)) continue;
    const [rows, cols] = t.shape as [number, number];
    const d = fc ? rows : cols;
    let ss = 0;
    for (const x of t.data) ss += x * x;
    const profile = residualProfile(d, Math.sqrt(ss / t.data.length));
    const data = Float32Array.from(t.data, (x, i) => x + profile[fc ? Math.floor(i / cols) : i % cols]!);
    out.set(name, { shape: t.shape, data });
  }
  return out;
}

describe("GPT-2 Conv1D MLP matrices: the hidden axis", () => {
  it("decides the MLP hidden axis by shape against the residual width, by the layout vote when square, else both axes", () => {
    const d = 96;
    const ff = 4 * d;
    const known: MlpLayout = { residual: d, conv1d: true };
    // Linear [out, in]: up [ff, d] has its units on the rows, down [d, ff] on the columns; Conv1D the other way.
    expect(mlpUnitAxis("mlp.up.weight", ff, d, known)).toBe("rows");
    expect(mlpUnitAxis("mlp.up.weight", d, ff, known)).toBe("cols");
    expect(mlpUnitAxis("mlp.down.weight", d, ff, known)).toBe("cols");
    expect(mlpUnitAxis("mlp.down.weight", ff, d, known)).toBe("rows");
    // Square (ff = d): the component's layout vote; no vote: neither axis is assumed.
    expect(mlpUnitAxis("mlp.up.weight", d, d, { residual: d, conv1d: true })).toBe("cols");
    expect(mlpUnitAxis("mlp.up.weight", d, d, { residual: d, conv1d: false })).toBe("rows");
    expect(mlpUnitAxis("mlp.down.weight", d, d, { residual: null, conv1d: null })).toBeNull();
    expect(mlpUnitAxis("attn.o.weight", ff, d, known)).toBeNull();
  });

  it("an independent GPT-2 pair sharing a residual-axis structure is not evidence in its MLP matrices", async () => {
    const dir = await tempDir("gpt2-axis");
    const [a, b] = [withResidualStructure(gpt2Model(31, SHAPE)), withResidualStructure(gpt2Model(32, SHAPE))];
    await writeModel(path.join(dir, "a"), a, gpt2Config(SHAPE));
    await writeModel(path.join(dir, "b"), b, gpt2Config(SHAPE));

    // The trap is real: along the residual axis the shared profile alone rejects independence.
    const fc = "transformer.h.0.mlp.c_fc.weight";
    const [d, ff] = a.get(fc)!.shape as [number, number];
    const residualAxis = permutationTest({ a: a.get(fc)!.data, b: b.get(fc)!.data, rows: d, cols: ff }, "rows")!;
    expect(residualAxis.log10p).toBeLessThan(-6);

    const out = path.join(dir, "report.json");
    const run = await runCli(["check", "--candidate", path.join(dir, "a"), "--reference", path.join(dir, "b"), "--report", out, "--format", "text"]);
    expect(run.code).toBe(0);
    const report = await readReport(out);
    expect(report.verdict).toBe("independent");
    const mlp = report.references[0]!.components.flatMap((c) => c.tensors).filter((t) => /mlp\.c_(fc|proj)\.weight$/.test(t.candidate));
    expect(mlp.length).toBe(2 * SHAPE.layers);
    for (const t of mlp) {
      const stored = a.get(t.candidate)!.shape as [number, number];
      // Tested along the hidden units: the stored axis that is not the residual width.
      expect(t.permutation?.axis).toBe(stored[0] === SHAPE.d ? "cols" : "rows");
      expect(t.permutation!.log10p).toBeGreaterThan(-3);
    }
  });
});
