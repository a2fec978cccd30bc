/**
 * Junk tensors never buy an evasion: a permuted copy that also carries tensors
 * the tool cannot decode (an unsupported dtype, same role and shape as real
 * ones) stays `reused`. The undecodable tensors are reported unread and left
 * out of the alignment search; every other tensor is still searched.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/temp.js";
import type { Report } from "../src/report/schema.js";
import { type TensorBytes, serializeSafetensors } from "../src/safetensors/writer.js";
import { addNoise, compose, permuteMlp, permuteResidual } from "./helpers/evasions.js";
import { tiny } from "./helpers/fixtures.js";
import { type FloatTensors, encodeAs, loadModel } from "./helpers/model-io.js";
import { readReport, runCli } from "./helpers/run-cli.js";

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("junk");
});
/** Bytes that no decoder accepts as floats: dtype I8, one byte per element. */
function junk(name: string, shape: number[]): TensorBytes {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, dtype: "I8", shape, data: Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff) };
}

async function write(name: string, tensors: FloatTensors, edit: (all: TensorBytes[]) => void = () => {}): Promise<string> {
  const all: TensorBytes[] = [...tensors].map(([n, t]) => ({ name: n, dtype: "BF16", shape: [...t.shape], data: encodeAs("BF16", t.data) }));
  edit(all);
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "model.safetensors"), serializeSafetensors(all, { format: "pt" }));
  return dir;
}

async function check(candidate: string, reference: string): Promise<{ code: number; report: Report }> {
  const out = path.join(tmp, `${path.basename(candidate)}-vs-${path.basename(reference)}.json`);
  const run = await runCli(["check", "--candidate", candidate, "--reference", reference, "--quiet", "--report", out]);
  return { code: run.code, report: await readReport(out) };
}

const permuted = compose((m) => permuteMlp(m, 7), (m) => permuteResidual(m, 8));
const EXTRA = ["model.layers.4.mlp.gate_proj.weight", "model.layers.4.mlp.up_proj.weight"];

describe("junk tensors in a permuted copy", () => {
  let reference: string;
  let base: FloatTensors;
  beforeAll(async () => {
    reference = await tiny("llm-a");
    base = (await loadModel(reference)).tensors;
  });

  it("two undecodable extra matrices (same role and shape as real ones): still reused, both reported unread", async () => {
    const shape = [...base.get("model.layers.0.mlp.up_proj.weight")!.shape];
    const candidate = await write("extra", permuted(base), (all) => all.push(...EXTRA.map((n) => junk(n, shape))));
    const { code, report } = await check(candidate, reference);
    expect(code).toBe(1);
    expect(report.verdict).toBe("reused");
    const comp = report.references[0]!.components[0]!;
    expect(comp.verdict).toBe("reused");
    expect(comp.unreadTensors).toBe(2);
    const unread = comp.tensors.filter((t) => t.error);
    expect(unread.map((t) => t.candidate).sort()).toEqual(EXTRA);
    for (const t of unread) expect(t.error).toMatch(/unsupported dtype I8/);
    expect(comp.search?.ran).toBe(true);
    expect(comp.search?.note).toMatch(/2 candidate matrices unread, left out of the search/);
  });

  it("two real matrices replaced by undecodable bytes: still reused, both unread", async () => {
    const replaced = ["model.layers.1.mlp.up_proj.weight", "model.layers.2.self_attn.q_proj.weight"];
    const candidate = await write("replaced", permuted(base), (all) => {
      for (const n of replaced) {
        const i = all.findIndex((t) => t.name === n);
        all[i] = junk(n, all[i]!.shape);
      }
    });
    const { code, report } = await check(candidate, reference);
    expect(code).toBe(1);
    const comp = report.references[0]!.components[0]!;
    expect(comp.verdict).toBe("reused");
    expect(comp.tensors.filter((t) => t.error).map((t) => t.candidate).sort()).toEqual(replaced);
  });

  it("undecodable extra matrices in the reference: the permuted copy is still reused, the search says what it left out", async () => {
    const shape = [...base.get("model.layers.0.mlp.up_proj.weight")!.shape];
    const junkRef = await write("junk-reference", base, (all) => all.push(...EXTRA.map((n) => junk(n, shape))));
    // A little noise: an exact copy in another order is decided by its values alone (src/engine/value-fingerprint.ts)
    // before any search; this one needs the search.
    const candidate = await write("permuted", addNoise(permuted(base), 9, 0.05));
    const { code, report } = await check(candidate, junkRef);
    expect(code).toBe(1);
    const comp = report.references[0]!.components[0]!;
    expect(comp.verdict).toBe("reused");
    expect(comp.search?.note).toMatch(/2 reference matrices unread, left out of the search \(.*unsupported dtype I8/);
  });
});
