/**
 * Temporary folders for tests, in one place: every folder made here is
 * removed when its test file ends (test/setup/remove-temp-dirs.ts, a vitest
 * setup file, calls removeTempDirs in an afterAll that runs after the file's
 * own hooks). The run as a whole is checked by test/setup/private-tmpdir.ts.
 */
import { mkdtempSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Every test temp folder starts with this (the guard and humans look for it). */
export const TEMP_PREFIX = "fromscratch-";

const made = new Set<string>();

/** A new empty folder `fromscratch-LABEL-XXXXXX` in the temp dir, removed when the test file ends. */
export async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${TEMP_PREFIX}${label}-`));
  made.add(dir);
  return dir;
}

/** tempDir, for a synchronous caller. */
export function tempDirSync(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${label}-`));
  made.add(dir);
  return dir;
}

/** Remove every folder tempDir made in this test file (called by the setup file's afterAll). */
export async function removeTempDirs(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true, maxRetries: 3 })));
}

/** For a child process given its own env: its temp dir is the run's (checked by the guard), not the machine's. */
export function tempEnv(): { TMPDIR: string } {
  return { TMPDIR: os.tmpdir() };
}
