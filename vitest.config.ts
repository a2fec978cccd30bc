import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests assert behaviour, never speed: a generous limit for the longest (real checks, spawned CLIs,
    // npm pack) on a loaded 2-core machine; timings live in the bench. Only a hang should ever reach it.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    // Both cores of a 2-core CI machine (vitest's default leaves one idle: CPUs - 1).
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // A private TMPDIR for the run, checked empty at the end (the guard)...
    globalSetup: ["test/setup/private-tmpdir.ts"],
    // ...and each test file removes the temp folders it made (test/helpers/temp.ts).
    setupFiles: ["test/setup/remove-temp-dirs.ts"],
  },
});
