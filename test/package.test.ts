/**
 * Installable by name: the npm package `fromscratch-weights` (`fromscratch` on
 * npm is an unrelated package) packs into a tarball that installs offline (the
 * CLI is one bundled file, no runtime dependencies) and runs from any folder.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND, VERSION } from "../src/common/version.js";
import { REPO_ROOT } from "./helpers/fixtures.js";
import { tempDir, tempEnv } from "./helpers/temp.js";

describe("the npm package", () => {
  it("is named for its command, has no runtime dependencies, and its bin is that command", async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg.name).toBe(COMMAND);
    expect(pkg.version).toBe(VERSION);
    expect(pkg.bin).toEqual({ [COMMAND]: `bin/${COMMAND}.js` });
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it("packs, installs offline from the tarball, and runs from another folder", async () => {
    const dir = await tempDir("pack");
    const env = { ...process.env, ...tempEnv(), npm_config_cache: path.join(dir, "npm-cache") };
    const pack = spawnSync("npm", ["pack", "--pack-destination", dir], { cwd: REPO_ROOT, env, encoding: "utf8" });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = path.join(dir, `${COMMAND}-${VERSION}.tgz`);
    const install = spawnSync("npm", ["install", "--prefix", path.join(dir, "prefix"), "--offline", "--no-audit", "--no-fund", tarball], { cwd: dir, env, encoding: "utf8" });
    expect(install.status, install.stderr).toBe(0);
    const bin = path.join(dir, "prefix", "node_modules", ".bin", COMMAND);
    const version = spawnSync(bin, ["--version"], { cwd: dir, env, encoding: "utf8" });
    expect(version.stdout.trim()).toBe(VERSION);
    // The real job, from a folder that is not the clone: write the examples, gate a fine-tune.
    expect(spawnSync(bin, ["examples", "models"], { cwd: dir, env, encoding: "utf8" }).status).toBe(0);
    const check = spawnSync(bin, ["check", "--candidate", "./models/finetune", "--reference", "./models/base", "--quiet"], { cwd: dir, env, encoding: "utf8" });
    expect(check.status, check.stderr).toBe(1);
    expect(check.stdout).toMatch(/^verdict: REUSED/m);
    const help = spawnSync(bin, ["--help"], { cwd: dir, env, encoding: "utf8" });
    expect(help.stdout).toContain(`${COMMAND} check --candidate SOURCE`);
  });
});
