import { createRequire as __fsCreateRequire } from 'node:module'; const require = __fsCreateRequire(import.meta.url);

// src/common/check-process.ts
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
var SEMI_SPACE_MB = 4;
var MMAP_THRESHOLD = "131072";
var FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"];
async function runCheckProcess(check, opts) {
  if (process.env.FROMSCRATCH_IN_PROCESS || check.pathname.endsWith(".ts") || await opts.small?.()) {
    const m = await import(check.href);
    await m.checkWith();
    return;
  }
  const child = spawn(process.execPath, [...process.execArgv, `--max-semi-space-size=${SEMI_SPACE_MB}`, fileURLToPath(check), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { MALLOC_MMAP_THRESHOLD_: MMAP_THRESHOLD, ...process.env }
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
    process.kill(process.pid, ended.signal);
  } else {
    process.exitCode = ended.code ?? opts.internalErrorCode;
  }
}

// src/common/small-check.ts
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
var IN_PROCESS_MAX_BYTES = 256 * 2 ** 20;
async function isSmallCheck(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: false, allowPositionals: true, options: { candidate: { type: "string" }, reference: { type: "string", multiple: true } } });
  } catch {
    return true;
  }
  if (parsed.positionals[0] !== "check") return true;
  const { candidate, reference } = parsed.values;
  const sources = [candidate, ...reference ?? []].filter((s) => typeof s === "string");
  let budget = IN_PROCESS_MAX_BYTES;
  for (const s of sources) {
    const bytes = await bytesUnder(s.startsWith("~/") ? path.join(process.env.HOME ?? "~", s.slice(2)) : s, budget);
    if (bytes === null) return false;
    budget -= bytes;
    if (budget < 0) return false;
  }
  return true;
}
async function bytesUnder(p, limit) {
  const s = await stat(p).catch(() => null);
  if (!s) return null;
  if (!s.isDirectory()) return s.size;
  let total = 0;
  const entries = await readdir(p, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (total > limit) break;
    const sub = await bytesUnder(path.join(p, e.name), limit - total);
    total += sub ?? 0;
  }
  return total;
}

// src/cli-main.ts
var INTERNAL_ERROR = 4;
await runCheckProcess(new URL(`./cli-check${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url), {
  internalErrorCode: INTERNAL_ERROR,
  // A small local check runs in this process (small-check.ts): a second start-up would cost more than it saves.
  small: () => isSmallCheck(process.argv.slice(2))
});
