/**
 * The CLI launcher's choice (src/common/small-check.ts): a check of local weights under 256 MiB runs in
 * the launcher's process; a bigger one, or one with a Hub source, gets the child process with the
 * memory settings; every other command runs in process.
 */
import { mkdir, open, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { IN_PROCESS_MAX_BYTES, isSmallCheck } from "../src/common/small-check.js";
import { tempDir } from "./helpers/temp.js";

let root: string;
let small: string;
let big: string;

/** A sparse file of `bytes` (its size on disk is what stat reports; no blocks are written). */
async function sparse(file: string, bytes: number): Promise<void> {
  const f = await open(file, "w");
  await f.truncate(bytes);
  await f.close();
}

beforeAll(async () => {
  root = await tempDir("small-check");
  small = path.join(root, "small");
  big = path.join(root, "big");
  await mkdir(path.join(small, "nested"), { recursive: true });
  await writeFile(path.join(small, "config.json"), "{}");
  await sparse(path.join(small, "model.safetensors"), 40 << 20);
  await sparse(path.join(small, "nested", "extra.safetensors"), 40 << 20);
  await mkdir(big);
  await sparse(path.join(big, "model-00001-of-00002.safetensors"), IN_PROCESS_MAX_BYTES / 2);
  await sparse(path.join(big, "model-00002-of-00002.safetensors"), IN_PROCESS_MAX_BYTES / 2);
});
describe("which CLI checks run in the launcher's process", () => {
  it("a check of small local folders and files does, in either flag form", async () => {
    expect(await isSmallCheck(["check", "--candidate", small, "--reference", path.join(small, "model.safetensors"), "--quiet"])).toBe(true);
    expect(await isSmallCheck(["check", `--candidate=${small}`, `--reference=${small}`, "--format", "json"])).toBe(true);
  });

  it("local weights over 256 MiB together do not (subfolders counted), nor does any source not on disk (a Hub repo)", async () => {
    expect(await isSmallCheck(["check", "--candidate", big, "--reference", small])).toBe(false);
    // 3 x 80 MiB under small/ (its subfolder too) and a 40 MiB file: over the limit together.
    expect(await isSmallCheck(["check", "--candidate", small, "--reference", small, "--reference", small, "--reference", path.join(small, "model.safetensors")])).toBe(false);
    expect(await isSmallCheck(["check", "--candidate", small, "--reference", "Qwen/Qwen2.5-0.5B"])).toBe(false);
    expect(await isSmallCheck(["check", "--candidate", path.join(root, "missing"), "--reference", small])).toBe(false);
  });

  it("every other command does (plan reads headers only; merge reads reports)", async () => {
    expect(await isSmallCheck(["plan", "--candidate", big, "--reference", "org/name", "--shards", "2"])).toBe(true);
    expect(await isSmallCheck(["merge", "a.json"])).toBe(true);
    expect(await isSmallCheck(["--version"])).toBe(true);
    expect(await isSmallCheck([])).toBe(true);
  });
});
