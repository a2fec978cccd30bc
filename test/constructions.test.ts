/**
 * The rule that tells shared constructions from copied weights, on both kinds:
 * two independently made audio towers share their sinusoidal positions and mel
 * filterbank (formula-made) and stay independent, the two tensors reported as
 * shared constructions; copy one *trained* matrix byte for byte into the
 * candidate and the same pair is reused, decided by that matrix alone.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { identityProjector, whisperAudioTower } from "./helpers/audit-cases.js";
import { saveModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

async function check(candidate: Map<string, { shape: number[]; data: Float32Array }>, reference: Map<string, { shape: number[]; data: Float32Array }>) {
  const dir = await tempDir("constructions");
  await saveModel(path.join(dir, "cand"), candidate);
  await saveModel(path.join(dir, "ref"), reference);
  const out = path.join(dir, "report.json");
  const run = await runCli(["check", "--candidate", path.join(dir, "cand"), "--reference", path.join(dir, "ref"), "--report", out, "--quiet"]);
  return { code: run.code, report: await readReport(out) };
}

describe("shared constructions carry no evidence; a byte-identical trained tensor is decisive", () => {
  const a = whisperAudioTower({ d: 64, layers: 1, seed: 11 });
  const b = whisperAudioTower({ d: 64, layers: 1, seed: 12 });

  it("independent towers with the same sinusoid table and mel filterbank: not reused, both reported as constructions", async () => {
    const { code, report } = await check(b, a);
    expect(report.verdict).not.toBe("reused");
    expect(code).toBe(0);
    const tensors = report.references[0]!.components.flatMap((c) => c.tensors);
    const construction = (name: string) => tensors.find((t) => t.candidate === name)?.deterministic?.construction;
    expect(construction("model.encoder.embed_positions.weight")).toBe("sinusoid-table");
    expect(construction("mel_filters")).toBe("mel-filterbank");
    // Byte-identical, and still no evidence: the direct test alone would have been overwhelming.
    const pos = tensors.find((t) => t.candidate === "model.encoder.embed_positions.weight")!;
    expect(pos.identical).toBe(true);
    expect(pos.permutation!.log10p).toBeLessThan(-100);
    expect(pos.standsOut).toBe(false);
    // A construction has no p-value of its own (the schema's `log10p`: absent when no test could mean anything).
    for (const name of ["model.encoder.embed_positions.weight", "mel_filters"]) expect(tensors.find((t) => t.candidate === name)!.log10p, name).toBeUndefined();
    const comp = report.references[0]!.components[0]!;
    expect(comp.deterministic!.tensors).toBeGreaterThanOrEqual(2);
  });

  it("the same pair with one trained matrix copied byte for byte: reused, by that matrix", async () => {
    const copied = new Map(b);
    copied.set("model.encoder.layers.0.fc1.weight", a.get("model.encoder.layers.0.fc1.weight")!);
    const { code, report } = await check(copied, a);
    expect(report.verdict).toBe("reused");
    expect(code).toBe(1);
    const tensors = report.references[0]!.components.flatMap((c) => c.tensors);
    const fc1 = tensors.find((t) => t.candidate === "model.encoder.layers.0.fc1.weight")!;
    expect(fc1.identical).toBe(true);
    expect(fc1.deterministic).toBeUndefined();
    expect(fc1.standsOut).toBe(true);
    const standing = tensors.filter((t) => t.standsOut).map((t) => t.candidate);
    expect(standing).toEqual(["model.encoder.layers.0.fc1.weight"]);
  });

  it("identity-initialised projectors: the trained residuals are tested (Mantel), independent ones are not evidence, a copied one is", async () => {
    const pa = identityProjector(96, 21, 0.3);
    const pb = identityProjector(96, 22, 0.3);
    const independent = await check(pb, pa);
    const lin1 = (r: typeof independent.report) => r.references[0]!.components.flatMap((c) => c.tensors).find((t) => t.candidate === "multi_modal_projector.linear_1.weight")!;
    expect(independent.report.verdict).not.toBe("reused");
    expect(lin1(independent.report).deterministic).toMatchObject({ construction: "identity", residualTested: true });
    expect(lin1(independent.report).log10p!).toBeGreaterThan(-3);
    // The same residual as the reference's (a copied projector, linear_2 independent): reused by linear_1 alone.
    const copied = new Map(pb);
    copied.set("multi_modal_projector.linear_1.weight", pa.get("multi_modal_projector.linear_1.weight")!);
    const derived = await check(copied, pa);
    expect(derived.report.verdict).toBe("reused");
    expect(lin1(derived.report).deterministic).toMatchObject({ construction: "identity", residualTested: true });
    expect(lin1(derived.report).standsOut).toBe(true);
  });

  it("identity-initialised projectors trained far from the identity (noise as large as I): still not evidence; a copy still is", async () => {
    const pa = identityProjector(96, 31, 1.0);
    const pb = identityProjector(96, 32, 1.0);
    const lin1 = (r: Awaited<ReturnType<typeof check>>["report"]) => r.references[0]!.components.flatMap((c) => c.tensors).find((t) => t.candidate === "multi_modal_projector.linear_1.weight")!;
    const independent = await check(pb, pa);
    expect(independent.report.verdict).not.toBe("reused");
    expect(lin1(independent.report).deterministic).toMatchObject({ construction: "identity", residualTested: true });
    const copied = new Map(pb);
    copied.set("multi_modal_projector.linear_1.weight", pa.get("multi_modal_projector.linear_1.weight")!);
    expect((await check(copied, pa)).report.verdict).toBe("reused");
  });
});
