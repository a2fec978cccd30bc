/**
 * The CLI's launcher (src/cli-main.ts) runs a small check in its own process: the memory settings of
 * the check's child process (check-process.ts) matter only when a check reads gigabytes, and a second
 * Node start-up costs ~0.1 s, a third of numpy's whole run on a 10 M-parameter pair. No engine is
 * loaded to decide: the command's flags are read as the CLI reads them (node:util parseArgs) and local
 * paths are measured on disk. A wrong guess costs memory or 0.1 s, never a different verdict.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";

/** Local weights under this (candidate and references together) are checked in process (peak ~120 MB at 10 M parameters). */
export const IN_PROCESS_MAX_BYTES = 256 * 2 ** 20;

/**
 * True for every command but `check`, and for a `check` whose sources are all local paths holding
 * under IN_PROCESS_MAX_BYTES together. A Hub source (or anything not found on disk) is not small: its
 * size is not known without the network.
 */
export async function isSmallCheck(argv: string[]): Promise<boolean> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: false, allowPositionals: true, options: { candidate: { type: "string" }, reference: { type: "string", multiple: true } } });
  } catch {
    return true;
  }
  if (parsed.positionals[0] !== "check") return true;
  const { candidate, reference } = parsed.values as { candidate?: string; reference?: string[] };
  const sources = [candidate, ...(reference ?? [])].filter((s): s is string => typeof s === "string");
  let budget = IN_PROCESS_MAX_BYTES;
  for (const s of sources) {
    const bytes = await bytesUnder(s.startsWith("~/") ? path.join(process.env.HOME ?? "~", s.slice(2)) : s, budget);
    if (bytes === null) return false;
    budget -= bytes;
    if (budget < 0) return false;
  }
  return true;
}

/** Bytes of the files at `p` (a file, or a folder and its subfolders), counted until over `limit`; null when `p` is not on disk. */
async function bytesUnder(p: string, limit: number): Promise<number | null> {
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
