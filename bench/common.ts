/**
 * What the bench's parts share: the repository root, `--name value` arguments, the `name: value`
 * output lines, the numpy script's environment, a whole-file read (page cache warm) and one CLI check
 * as a child process.
 */
import { spawn } from "node:child_process";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** `--name N` from the command line, else `dflt`. */
export const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

/** One `name: value` output line (keep the format stable so runs can be compared). */
export const out = (name: string, value: string | number) => console.log(`${name}: ${value}`);

/** Unset the OpenBLAS overrides some machines carry: they slow a current numpy (see the env notes). */
export const pyEnv = { ...process.env };
delete pyEnv.OPENBLAS_CORETYPE;
delete pyEnv.OPENBLAS_L2_SIZE;

/** A whole file, in chunks (readFile stops at 2 GiB). */
export async function readWhole(file: string): Promise<Uint8Array> {
  const size = (await stat(file)).size;
  const buf = Buffer.allocUnsafe(size);
  const fh = await open(file, "r");
  try {
    for (let off = 0; off < size; ) {
      const { bytesRead } = await fh.read(buf, off, Math.min(1 << 28, size - off), off);
      if (bytesRead === 0) throw new Error(`${file}: short read`);
      off += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, size);
}

/** Peak RSS in MB from /usr/bin/time's `maxrss_kb=` line. */
export const rssMb = (stderr: string) => (Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? Number.NaN) / 1024).toFixed(0);

export type CheckJson = { verdict?: string; bytesRead?: number; candidate?: { parameters?: number }; references?: { components?: { share?: number; search?: { ran?: boolean; note?: string } | null; tensors?: { aligned?: { log10p: number } }[] }[] }[] };

/** One CLI check as a child process (whole process: wall time, RSS), its JSON report. Asynchronous: a Hub-like server in this process must keep answering. */
export async function cliCheck(args: string[]): Promise<{ code: number; wall: number; rss: string; report: CheckJson }> {
  const started = Date.now();
  const child = spawn("/usr/bin/time", ["-f", "maxrss_kb=%M", process.execPath, path.join(ROOT, "dist/cli.js"), "check", ...args, "--quiet", "--format", "json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? -1)));
  let report: CheckJson = {};
  try {
    report = JSON.parse(stdout || "{}") as CheckJson;
  } catch {
    // A run that printed no report: its verdict reads "none", its log says why.
    process.stderr.write(stderr.slice(-2000));
  }
  return { code, wall: (Date.now() - started) / 1000, rss: rssMb(stderr), report };
}
