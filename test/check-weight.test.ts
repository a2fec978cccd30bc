/**
 * What the CLI launcher knows of a command before loading anything (src/cli-weight.ts):
 * whether it is a check, and the bytes its sources hold on disk (null for a Hub repo). The launcher
 * runs a check under 3 GiB in its own process, and gives a check over 4 GiB (or a remote one) the
 * fixed mmap threshold.
 */
import { mkdir, open, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FIXED_MMAP_MIN_BYTES, IN_PROCESS_MAX_BYTES, weighCommand } from "../src/cli-weight.js";
import { tempDir } from "./helpers/temp.js";

let root: string;
let small: string;
let big: string;

/** A sparse file of `bytes` (its size is what stat reports; no blocks are written). */
async function sparse(file: string, bytes: number): Promise<void> {
  const f = await open(file, "w");
  await f.truncate(bytes);
  await f.close();
}

beforeAll(async () => {
  root = await tempDir("check-weight");
  small = path.join(root, "small");
  big = path.join(root, "big");
  await mkdir(path.join(small, "nested"), { recursive: true });
  await writeFile(path.join(small, "config.json"), "{}");
  await sparse(path.join(small, "model.safetensors"), 40 << 20);
  await sparse(path.join(small, "nested", "extra.safetensors"), 40 << 20);
  await mkdir(big);
  await sparse(path.join(big, "model-00001-of-00002.safetensors"), FIXED_MMAP_MIN_BYTES / 2);
  await sparse(path.join(big, "model-00002-of-00002.safetensors"), FIXED_MMAP_MIN_BYTES / 2);
});

describe("the weight of a CLI command, before anything is loaded", () => {
  it("a check of local folders and files: the bytes under them (subfolders too), in either flag form", async () => {
    const file = path.join(small, "model.safetensors");
    expect(await weighCommand(["check", "--candidate", small, "--reference", file, "--quiet"])).toEqual({ check: true, localBytes: 2 + (120 << 20) });
    expect(await weighCommand(["check", `--candidate=${small}`, `--reference=${small}`, "--format", "json"])).toEqual({ check: true, localBytes: 2 * (2 + (80 << 20)) });
    // Under 3 GiB: in process. Over 4 GiB: the fixed mmap threshold.
    expect(2 + (120 << 20)).toBeLessThan(IN_PROCESS_MAX_BYTES);
    expect((await weighCommand(["check", "--candidate", big, "--reference", small])).localBytes).toBeGreaterThan(FIXED_MMAP_MIN_BYTES);
  });

  it("a source not on disk (a Hub repo, or a missing path) makes the size unknown", async () => {
    expect(await weighCommand(["check", "--candidate", small, "--reference", "Qwen/Qwen2.5-0.5B"])).toEqual({ check: true, localBytes: null });
    expect(await weighCommand(["check", "--candidate", path.join(root, "missing"), "--reference", small])).toEqual({ check: true, localBytes: null });
  });

  it("every other command is not a check (plan reads headers only; merge reads reports)", async () => {
    for (const argv of [["plan", "--candidate", big, "--reference", "org/name", "--shards", "2"], ["merge", "a.json"], ["--version"], []]) {
      expect((await weighCommand(argv)).check).toBe(false);
    }
  });
});
