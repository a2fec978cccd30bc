/**
 * Global setup (vitest.config.ts globalSetup): the whole run gets a private
 * temp dir. TMPDIR points at it before the workers start, so os.tmpdir() in
 * tests, in the code they drive and in the processes they spawn (given
 * TMPDIR) lands there, and no other process on the machine writes there: at
 * teardown it must be empty but for tools' own caches. Anything else left is
 * listed, removed, and fails the run.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Caches tools keep in the temp dir on purpose: tsx's compile cache (the Action from source in plan-merge.test.ts). */
const TOOL_CACHES = [/^tsx-\d+$/];

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  // Not "fromscratch-…": the folders our tests make are counted under that prefix.
  const root = mkdtempSync(path.join(os.tmpdir(), "vitest-tmpdir-"));
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const left = readdirSync(root)
      .filter((e) => !TOOL_CACHES.some((c) => c.test(e)))
      .sort();
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    if (left.length > 0) {
      const message = `tests left ${left.length} entr${left.length === 1 ? "y" : "ies"} in their temp dir (${root}), now removed; make them with tempDir() from test/helpers/temp.ts:\n${left.map((e) => `  ${e}`).join("\n")}`;
      process.exitCode = 1;
      throw new Error(message);
    }
    console.log(`temp dir check: nothing left in ${root} (removed)`);
  };
}
