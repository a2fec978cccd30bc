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
import { Worker } from "node:worker_threads";

/** Young generation of the checking thread's heap, MiB (8 and 16 measured: 261 and 279 MB at 7B x 32 layers). */
const YOUNG_GENERATION_MB = 8;

/**
 * Run the module at `check` (which reads its data from workerData in a worker, or works it out itself
 * in process) in a worker thread; its exit code (process.exitCode there) becomes the process's. A
 * worker that throws is reported on stderr with `internalErrorCode`. In process instead (see above),
 * the module is imported here.
 */
export async function checkInCappedWorker(check: URL, data: unknown, internalErrorCode: number): Promise<void> {
  if (process.env.FROMSCRATCH_IN_PROCESS || check.pathname.endsWith(".ts")) {
    await import(check.href);
    return;
  }
  const worker = new Worker(check, {
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
