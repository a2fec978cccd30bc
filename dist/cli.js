import { createRequire as __fsCreateRequire } from 'node:module'; const require = __fsCreateRequire(import.meta.url);

// src/common/check-process.ts
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
var SEMI_SPACE_MB = 4;
var MMAP_THRESHOLD = "131072";
var FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"];
async function runCheckProcess(check, opts) {
  if (process.env.FROMSCRATCH_IN_PROCESS || check.pathname.endsWith(".ts") || opts.small) {
    const m = await import(check.href);
    await m.checkWith();
    return;
  }
  const child = spawn(process.execPath, [...process.execArgv, `--max-semi-space-size=${SEMI_SPACE_MB}`, fileURLToPath(check), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: opts.fixedMmapThreshold ? { MALLOC_MMAP_THRESHOLD_: MMAP_THRESHOLD, ...process.env } : process.env
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

// src/common/check-weight.ts
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
var IN_PROCESS_MAX_BYTES = 256 * 2 ** 20;
var FIXED_MMAP_MIN_BYTES = 4 * 2 ** 30;
async function weighCommand(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: false, allowPositionals: true, options: { candidate: { type: "string" }, reference: { type: "string", multiple: true } } });
  } catch {
    return { check: false, localBytes: 0 };
  }
  if (parsed.positionals[0] !== "check") return { check: false, localBytes: 0 };
  const { candidate, reference } = parsed.values;
  const sources = [candidate, ...reference ?? []].filter((s) => typeof s === "string");
  let total = 0;
  for (const s of sources) {
    const bytes = await bytesUnder(s.startsWith("~/") ? path.join(process.env.HOME ?? "~", s.slice(2)) : s, FIXED_MMAP_MIN_BYTES - total);
    if (bytes === null) return { check: true, localBytes: null };
    total += bytes;
    if (total > FIXED_MMAP_MIN_BYTES) break;
  }
  return { check: true, localBytes: total };
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
var weight = await weighCommand(process.argv.slice(2));
await runCheckProcess(new URL(`./cli-check${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url), {
  internalErrorCode: INTERNAL_ERROR,
  // Every command but a check, and a small local check, runs in this process; a big or remote check gets the fixed mmap threshold (check-weight.ts).
  small: !weight.check || weight.localBytes !== null && weight.localBytes < IN_PROCESS_MAX_BYTES,
  fixedMmapThreshold: weight.localBytes === null || weight.localBytes > FIXED_MMAP_MIN_BYTES
});
