/**
 * The CLI's and the Action's entries (src/cli-main.ts, src/index.ts) are launchers: they run their
 * check in a child process of the same Node, started with two memory settings a running process
 * cannot change for itself.
 * - A small young generation (`--max-semi-space-size`). Node lets it grow to ~48 MiB, and the engine's
 *   many short-lived objects (promises and views around every row read) make it do so.
 * - glibc's mmap threshold fixed (`MALLOC_MMAP_THRESHOLD_`), when the launcher asks (`mmapThreshold`):
 *   at its initial 128 KiB for a large local check (MMAP_THRESHOLD_LOCAL), at 32 KiB when weights
 *   come over the network (MMAP_THRESHOLD_REMOTE). By default glibc raises it to the largest block
 *   freed (up to 32 MiB), after which the engine's churn of 128 KiB-8 MiB typed arrays is served from
 *   arenas that fragment and never shrink; fixed, every such block is a fresh mmap, paid in page faults
 *   (~10% of the time on a mid-size check), so it is for the checks where the peak would otherwise near
 *   the limit. Over the network every socket read is a fresh buffer of up to 64 KiB, dead as soon as
 *   it is copied into its span but freed only by V8's next collection: below 128 KiB they fill the
 *   main arena between the long-lived samples and stay as its high-water mark. At GLM-4.5-Air's width
 *   (bench --moe-width full, sampled through the Hub-like server) the peak was 300-304 MB at 128 KiB,
 *   279 at 64 KiB, 256-261 at 32 KiB and 240 at 16 KiB, for ~2.3 s more system time at 32 KiB (user
 *   time alike, ~18 s).
 * Other C libraries ignore the variable; a value already in the environment is kept.
 *
 * FROMSCRATCH_IN_PROCESS=1 runs the check in the launcher's process instead, as does running an entry
 * from source (the tests' TypeScript loader would start again in the child), and a launcher that says
 * its check is small (the CLI's, src/cli-weight.ts).
 */
import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The young generation's semi-spaces, MiB (Node's default grows to 16 each). */
const SEMI_SPACE_MB = 4;
/** glibc's initial mmap threshold, bytes: for a large local check. */
export const MMAP_THRESHOLD_LOCAL = 128 << 10;
/** The threshold when weights come over the network (see above). */
export const MMAP_THRESHOLD_REMOTE = 32 << 10;
/** Signals passed on to the check (Ctrl-C reaches both processes by itself; a runner's cancel may reach only the launcher). */
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** A check module: it exports `checkWith()`, and runs it by itself when it is a process's entry. */
export interface CheckModule {
  checkWith(): Promise<void>;
}

/** True when the module at `moduleUrl` is this process's entry script (the launcher started it, or a user ran it directly, through a symlink or not). */
export function isEntry(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * Run the module at `check` as a child process with this one's arguments, standard streams, Node
 * options and environment (plus the settings above); resolves when it has ended. Its exit code becomes
 * this process's; a check killed by a signal kills this process with it. A check that cannot be
 * started is reported on stderr with `internalErrorCode`. In process instead (see above; `small`: the
 * launcher's check is small), the module is imported here and its `checkWith()` awaited.
 */
export async function runCheckProcess(check: URL, opts: { internalErrorCode: number; small?: boolean; mmapThreshold: number | null }): Promise<void> {
  if (process.env.FROMSCRATCH_IN_PROCESS || check.pathname.endsWith(".ts") || opts.small) {
    const m = (await import(check.href)) as CheckModule;
    await m.checkWith();
    return;
  }
  const child = spawn(process.execPath, [...process.execArgv, `--max-semi-space-size=${SEMI_SPACE_MB}`, fileURLToPath(check), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: opts.mmapThreshold !== null ? { MALLOC_MMAP_THRESHOLD_: String(opts.mmapThreshold), ...process.env } : process.env,
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>((resolve) => {
    child.on("error", resolve);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  for (const s of FORWARDED) process.off(s, forward);
  if (ended instanceof Error) {
    process.stderr.write(`internal error: could not start the check (${process.execPath} ${fileURLToPath(check)}): ${ended.message}\n`);
    process.exitCode = opts.internalErrorCode;
  } else if (ended.signal) {
    // Killed (a cancelled job, or the kernel out of memory): said, then the same end for this process.
    process.stderr.write(`the check process (${fileURLToPath(check)}) was ended by ${ended.signal}\n`);
    process.kill(process.pid, ended.signal);
  } else {
    process.exitCode = ended.code ?? opts.internalErrorCode;
  }
}
