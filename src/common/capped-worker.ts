/**
 * The CLI's entry (src/cli-main.ts) runs the check in a worker thread whose young
 * generation is capped at YOUNG_GENERATION_MB. Node lets a main thread's young generation grow to
 * ~48 MiB, and the engine's many short-lived objects (promises and views around every row read) make
 * it do so: at 7B width and 32 layers that was ~40 MB of the process's peak (an independent pair,
 * sampled: 298 -> 268 MB locally, 317 -> 291 MB through the Hub-like server, same wall time). The cap
 * can only be set when a heap is created, hence the worker.
 *
 * FROMSCRATCH_IN_PROCESS=1 runs the work on the main thread instead, as does running an entry from
 * source (a worker does not inherit the TypeScript loader's hooks on Node 20). The Action (src/index.ts)
 * runs in process: its cache save archives with process.chdir, which workers do not have.
 */
import { Worker, isMainThread, workerData } from "node:worker_threads";

/** Young generation of the checking thread's heap, MiB (8 and 16 measured: 261 and 279 MB at 7B x 32 layers). */
const YOUNG_GENERATION_MB = 8;

/**
 * Run `work(data)` in a worker started on `entry` (the calling module's import.meta.url), which calls
 * this again and runs it there; its exit code (a number returned, or process.exitCode) becomes the
 * process's. A worker that throws is reported on stderr with `internalErrorCode`.
 */
export async function inCappedWorker<T>(entry: string, data: T, internalErrorCode: number, work: (data: T) => Promise<number | void>): Promise<void> {
  if (!isMainThread || process.env.FROMSCRATCH_IN_PROCESS || entry.endsWith(".ts")) {
    const code = await work(isMainThread ? data : (workerData as T));
    if (typeof code === "number") process.exitCode = code;
    return;
  }
  const worker = new Worker(new URL(entry), {
    argv: process.argv.slice(2),
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  worker.on("error", (e) => {
    process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = internalErrorCode;
  });
  worker.on("exit", (code) => {
    process.exitCode ??= code;
  });
}
