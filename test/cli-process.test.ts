/**
 * The bundled CLI (dist/cli.js, what `fromscratch-weights` runs) is a launcher that checks in a child
 * process with its memory settings (src/common/check-process.ts): the exit codes, the report on stdout
 * and the errors on stderr are the check's, FROMSCRATCH_IN_PROCESS=1 gives the same report, and a
 * cancelled launcher takes its check with it.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { symlink } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir, tempEnv } from "./helpers/temp.js";
import { tiny } from "./helpers/fixtures.js";
import { MMAP_THRESHOLD_REMOTE } from "../src/common/check-process.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUNDLE = path.join(REPO_ROOT, "dist/cli.js");

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { env: { PATH: process.env.PATH ?? "", ...tempEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let llmA: string;
let llmASft: string;
let llmB: string;
beforeAll(async () => {
  [llmA, llmASft, llmB] = await Promise.all([tiny("llm-a"), tiny("llm-a-sft"), tiny("llm-b")]);
});

describe("the bundled CLI checks in a child process", () => {
  it("a fine-tune: exit 1 and the whole JSON report on stdout, the same as in process", async () => {
    const args = ["check", "--candidate", llmASft, "--reference", llmA, "--quiet", "--format", "json"];
    const child = await run(args);
    const inProcess = await run(args, { FROMSCRATCH_IN_PROCESS: "1" });
    expect(child.code).toBe(1);
    expect(inProcess.code).toBe(1);
    const a = JSON.parse(child.stdout) as { verdict: string; tool: { name: string }; references: { verdict: string }[] };
    const b = JSON.parse(inProcess.stdout) as typeof a;
    expect(a.tool.name).toBe("fromscratch");
    expect(a.verdict).toBe("reused");
    expect(a.references.map((r) => r.verdict)).toEqual(b.references.map((r) => r.verdict));
  });

  it("an independent model: exit 0", async () => {
    const r = await run(["check", "--candidate", llmB, "--reference", llmA, "--quiet", "--format", "json"]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { verdict: string }).verdict).toBe("independent");
  });

  it("a missing candidate: exit 2 with the path named on stderr", async () => {
    const missing = path.join(REPO_ROOT, "no-such-model-dir");
    const r = await run(["check", "--candidate", missing, "--reference", llmA, "--quiet"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(missing);
  });

  it("the check's bundle run directly, through a symlink too, is the CLI (it knows it is the entry)", async () => {
    const dir = await tempDir("check-link");
    const link = path.join(dir, "check.js");
    await symlink(path.join(REPO_ROOT, "dist/cli-check.js"), link);
    const direct = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [link, "check", "--candidate", llmB, "--reference", llmA, "--quiet", "--format", "json"], { env: { PATH: process.env.PATH ?? "", ...tempEnv() } });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.on("close", (code) => resolve({ code, stdout }));
    });
    expect(direct.code).toBe(0);
    expect((JSON.parse(direct.stdout) as { verdict: string }).verdict).toBe("independent");
  });

  it.runIf(existsSync("/proc/self/environ"))("runs the check with its memory settings, and a SIGTERM to the launcher (a cancelled job) ends the check too", async () => {
    // A Hub that accepts connections and never answers: the check waits on it.
    const sockets = new Set<import("node:net").Socket>();
    const hub = http.createServer(() => undefined);
    hub.on("connection", (s) => sockets.add(s));
    await new Promise<void>((r) => hub.listen(0, "127.0.0.1", r));
    const endpoint = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
    try {
      const launcher = spawn(process.execPath, [BUNDLE, "check", "--candidate", llmA, "--reference", "org/stalled", "--endpoint", endpoint, "--network-timeout", "120", "--quiet"], {
        env: { PATH: process.env.PATH ?? "", ...tempEnv() },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      launcher.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => launcher.on("close", (code, signal) => r({ code, signal })));
      // The check process: the launcher's child, once it is waiting on the Hub.
      let check = 0;
      for (let i = 0; i < 200 && (!check || sockets.size === 0); i++) {
        await new Promise((r) => setTimeout(r, 50));
        check = Number(execFileSync("sh", ["-c", `pgrep -P ${launcher.pid} || true`], { encoding: "utf8" }).trim().split("\n")[0] || 0);
      }
      expect(check).toBeGreaterThan(0);
      expect(sockets.size).toBeGreaterThan(0);
      const cmdline = readFileSync(`/proc/${check}/cmdline`, "utf8").split("\0");
      const environ = readFileSync(`/proc/${check}/environ`, "utf8").split("\0");
      expect(cmdline).toContain("--max-semi-space-size=4");
      expect(cmdline.some((a) => a.endsWith("cli-check.js"))).toBe(true);
      expect(environ).toContain(`MALLOC_MMAP_THRESHOLD_=${MMAP_THRESHOLD_REMOTE}`);
      launcher.kill("SIGTERM");
      expect(await closed).toEqual({ code: null, signal: "SIGTERM" });
      expect(stderr).toMatch(/the check process \(.*cli-check\.js\) was ended by SIGTERM/);
      expect(existsSync(`/proc/${check}`)).toBe(false);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hub.close(r));
    }
  });
});
