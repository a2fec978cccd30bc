import { createRequire as __fsCreateRequire } from 'node:module'; const require = __fsCreateRequire(import.meta.url);

// src/common/capped-worker.ts
import { Worker } from "node:worker_threads";
var YOUNG_GENERATION_MB = 8;
async function checkInCappedWorker(check2, data, internalErrorCode) {
  if (process.env.FROMSCRATCH_IN_PROCESS || check2.pathname.endsWith(".ts")) {
    await import(check2.href);
    return;
  }
  const worker = new Worker(check2, {
    argv: process.argv.slice(2),
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB }
  });
  worker.on("error", (e) => {
    process.stderr.write(`internal error: ${e?.stack ?? String(e)}
`);
    process.exitCode = internalErrorCode;
  });
  worker.on("exit", (code) => {
    process.exitCode ??= code;
  });
}

// src/cli-main.ts
var INTERNAL_ERROR = 4;
var check = new URL(`./cli-check${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url);
await checkInCappedWorker(check, { isTTY: Boolean(process.stderr.isTTY), stdoutTTY: Boolean(process.stdout.isTTY) }, INTERNAL_ERROR);
