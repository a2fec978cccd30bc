/**
 * A dtype the spec defines but we cannot decode (I32, I8, F8_E8M0, F4) makes its
 * tensor unread: reported with an error, never counted as independent. A model
 * that is otherwise independent but has an unread matrix is inconclusive.
 */
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Report, TensorResult } from "../src/report/schema.js";
import { DTYPE_BITS } from "../src/safetensors/dtypes.js";
import { type TensorBytes, serializeSafetensors } from "../src/safetensors/writer.js";
import { LocalSource } from "../src/sources/local.js";
import { tiny } from "./helpers/fixtures.js";
import { readReport, runCli } from "./helpers/run-cli.js";
import { tempDir } from "./helpers/temp.js";

const MATRIX = "model.layers.1.mlp.gate_proj.weight";
const UNDECODABLE = ["I32", "I8", "F8_E8M0", "F4"] as const;

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir("dtype");
});
/** Copy the model at `src` to `dest`, storing `name` as `dtype` (bytes derived from the original, not decodable). */
async function withUndecodable(src: string, dest: string, name: string, dtype: string): Promise<void> {
  const source = new LocalSource(src);
  const listing = await source.list();
  const tensors: TensorBytes[] = [];
  let changed = false;
  for (const t of listing.tensors) {
    const data = await source.read(t.file, t.begin, t.end);
    if (t.name !== name) {
      tensors.push({ name: t.name, dtype: t.dtype, shape: t.shape, data });
      continue;
    }
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const bytes = new Uint8Array((numel * DTYPE_BITS[dtype]!) / 8);
    for (let i = 0; i < bytes.length; i++) bytes[i] = data[i % data.length]! ^ (i & 0xff);
    tensors.push({ name: t.name, dtype, shape: t.shape, data: bytes });
    changed = true;
  }
  await source.close();
  expect(changed, `${name} not in ${src}`).toBe(true);
  await mkdir(dest, { recursive: true });
  await writeFile(path.join(dest, "model.safetensors"), serializeSafetensors(tensors, { format: "pt" }));
  await copyFile(path.join(src, "config.json"), path.join(dest, "config.json"));
}

async function check(candidate: string, reference: string, extra: string[] = []): Promise<{ code: number; report: Report; stderr: string }> {
  const out = path.join(tmp, `report-${Math.random().toString(36).slice(2)}.json`);
  const run = await runCli(["check", "--candidate", candidate, "--reference", reference, "--quiet", "--report", out, ...extra]);
  return { code: run.code, report: await readReport(out), stderr: run.stderr };
}

function tensorOf(report: Report, name: string): TensorResult {
  const all = report.references[0]!.components.flatMap((c) => c.tensors);
  const t = all.find((x) => x.candidate === name || x.reference === name);
  expect(t, `${name} in the report`).toBeDefined();
  return t!;
}

describe.each(UNDECODABLE.map((d) => [d]))("one matrix stored as %s", (dtype) => {
  it("a copy of the reference (other tensors identical): not exit 2, the tensor is unread, the verdict is not independent", async () => {
    const cand = path.join(tmp, `copy-${dtype}`);
    await withUndecodable(await tiny("llm-a"), cand, MATRIX, dtype);
    const { code, report, stderr } = await check(cand, await tiny("llm-a"));
    expect(code, stderr).not.toBe(2);
    expect(report.error).toBeUndefined();
    const t = tensorOf(report, MATRIX);
    expect(t.error).toMatch(new RegExp(`unsupported dtype ${dtype}\\b`));
    expect(t.error).toContain(MATRIX);
    expect(t.pearson).toBeNull();
    expect(t.standsOut).toBe(false);
    expect(t.dtype).toEqual({ candidate: dtype, reference: "BF16" });
    const comp = report.references[0]!.components.find((c) => c.tensors.includes(t))!;
    expect(comp.unreadTensors).toBe(1);
    expect(comp.verdict).not.toBe("independent");
    // The rest was copied, so reuse is still found.
    expect(comp.verdict).toBe("reused");
    expect(report.verdict).toBe("reused");
    expect(code).toBe(1);
  });

  it("an independent model (other seed) with the unread matrix: inconclusive, never independent", async () => {
    const cand = path.join(tmp, `indep-${dtype}`);
    await withUndecodable(await tiny("llm-b"), cand, MATRIX, dtype);
    const { code, report } = await check(cand, await tiny("llm-a"));
    const t = tensorOf(report, MATRIX);
    expect(t.error).toMatch(new RegExp(`unsupported dtype ${dtype}\\b`));
    const comp = report.references[0]!.components.find((c) => c.tensors.includes(t))!;
    expect(comp.verdict).toBe("inconclusive");
    expect(comp.reason).toMatch(/could not be read .*unsupported dtype/);
    expect(comp.reason).toMatch(/never counts as independent/);
    expect(report.references[0]!.verdict).toBe("inconclusive");
    expect(report.verdict).toBe("inconclusive");
    expect(report.error).toBeUndefined();
    // Default gate (--fail-on reused) passes an inconclusive verdict...
    expect(code).toBe(0);
    // ...and --fail-on inconclusive fails it.
    const strict = await check(cand, await tiny("llm-a"), ["--fail-on", "inconclusive"]);
    expect(strict.report.verdict).toBe("inconclusive");
    expect(strict.report.gate.failed).toBe(true);
    expect(strict.code).toBe(1);
  });
});

describe("the undecodable matrix on the reference side", () => {
  it("an independent candidate against a reference with an I32 matrix is inconclusive", async () => {
    const ref = path.join(tmp, "ref-I32");
    await withUndecodable(await tiny("llm-a"), ref, MATRIX, "I32");
    const { code, report } = await check(await tiny("llm-b"), ref, ["--fail-on", "inconclusive"]);
    const t = tensorOf(report, MATRIX);
    expect(t.error).toMatch(/unsupported dtype I32/);
    expect(t.dtype).toEqual({ candidate: "BF16", reference: "I32" });
    expect(report.verdict).toBe("inconclusive");
    expect(code).toBe(1);
  });

  it("sanity: the unmodified independent pair is independent (so the inconclusive above comes from the unread matrix)", async () => {
    const { code, report } = await check(await tiny("llm-b"), await tiny("llm-a"), ["--fail-on", "inconclusive"]);
    expect(report.verdict).toBe("independent");
    expect(code).toBe(0);
  });
});
