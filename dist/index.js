import { createRequire as __fsCreateRequire } from 'node:module'; const require = __fsCreateRequire(import.meta.url);

// src/common/check-process.ts
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
var SEMI_SPACE_MB = 4;
var MMAP_THRESHOLD_LOCAL = 128 << 10;
var MMAP_THRESHOLD_REMOTE = 32 << 10;
var FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"];
async function runCheckProcess(check, opts) {
  if (process.env.FROMSCRATCH_IN_PROCESS || check.pathname.endsWith(".ts") || opts.small) {
    const m = await import(check.href);
    await m.checkWith();
    return;
  }
  const child = spawn(process.execPath, [...process.execArgv, `--max-semi-space-size=${SEMI_SPACE_MB}`, fileURLToPath(check), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: opts.mmapThreshold !== null ? { MALLOC_MMAP_THRESHOLD_: String(opts.mmapThreshold), ...process.env } : process.env
  });
  const forward = (signal) => child.kill(signal);
  for (const s of FORWARDED) process.on(s, forward);
  const ended = await new Promise((resolve) => {
    child.on("error", resolve);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
  for (const s of FORWARDED) process.off(s, forward);
  if (ended instanceof Error) {
    process.stderr.write(`internal error: could not start the check (${process.execPath} ${fileURLToPath(check)}): ${ended.message}
`);
    process.exitCode = opts.internalErrorCode;
  } else if (ended.signal) {
    process.stderr.write(`the check process (${fileURLToPath(check)}) was ended by ${ended.signal}
`);
    process.kill(process.pid, ended.signal);
  } else {
    process.exitCode = ended.code ?? opts.internalErrorCode;
  }
}

// src/index.ts
var FAILED = 1;
await runCheckProcess(new URL(`./action-check${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url), {
  internalErrorCode: FAILED,
  // A step's references are Hub repos, mostly: their size is not known here (src/cli-weight.ts).
  mmapThreshold: MMAP_THRESHOLD_REMOTE
});
