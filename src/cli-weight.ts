/**
 * What the CLI's launcher (src/cli-main.ts) needs to know about a command before it loads anything:
 * whether it is a `check`, and how many bytes its sources hold on disk (null when one is not on disk,
 * i.e. a Hub repo, whose size is not known without the network). The flags are read through the CLI's
 * own option table and reader (settings/read-options.ts), the references a --references-file lists
 * included, leniently: a wrong guess costs memory or time,
 * never a different verdict, and the check's own parse reports any bad usage.
 * - Under IN_PROCESS_MAX_BYTES (3 GiB) the check runs in the launcher's process: a second Node start-up
 *   costs ~0.1 s, a third of numpy's whole run on a 10 M-parameter pair, and the peak is Node's own.
 * - Above FIXED_MMAP_MIN_BYTES (or remote: a lower one) its child process also gets glibc's fixed mmap threshold
 *   (common/check-process.ts): needed at 7B width and 32 layers (11.5 GB a side), it costs ~10% of the time
 *   on a 32-layer width-1024 pair (0.75 GB a side: 9.2 -> 10.2 s), whose peak is ~200 MB without it.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { readArgv, splitList } from "./settings/read-options.js";
import { readReferencesFile } from "./settings/references-file.js";

/**
 * Local weights under this (candidate and references together) are checked in process: peak ~110 MB at 10 M
 * parameters; on the bench's 2 x 1 GB BF16 pair 127 MB for the derived check (as in a child) and 226-231 MB
 * for the independent one (201-204 MB in a child, whose young generation is smaller), while the child's
 * start-up cost 0.13 s of the derived check's 1.7 s. Reads land in the kernel's memory (kernels/kernel.ts
 * SlotKernel), so a local check's churn no longer grows with its size.
 */
export const IN_PROCESS_MAX_BYTES = 3 * 2 ** 30;
/** Local weights above this get the fixed mmap threshold. */
export const FIXED_MMAP_MIN_BYTES = 4 * 2 ** 30;

export interface CommandWeight {
  /** The command is `check`. */
  check: boolean;
  /** Bytes under its sources on disk (counted up to just over FIXED_MMAP_MIN_BYTES); null when a source is not on disk. */
  localBytes: number | null;
}

export async function weighCommand(argv: string[]): Promise<CommandWeight> {
  if (argv[0] !== "check") return { check: false, localBytes: 0 };
  let raw;
  try {
    raw = readArgv("check", argv.slice(1), {}, { strict: false });
  } catch {
    // Not even a lenient parse: the check's own parse stops it with a usage error, in this process.
    return { check: true, localBytes: 0 };
  }
  const sources = [raw.candidate, ...(raw.references ?? []).flatMap(splitList), ...listedIn(raw.referencesFile)].filter((s): s is string => typeof s === "string" && s !== "");
  let total = 0;
  for (const s of sources) {
    const bytes = await bytesUnder(s.startsWith("~/") ? path.join(process.env.HOME ?? "~", s.slice(2)) : s, FIXED_MMAP_MIN_BYTES - total);
    if (bytes === null) return { check: true, localBytes: null };
    total += bytes;
    if (total > FIXED_MMAP_MIN_BYTES) break;
  }
  return { check: true, localBytes: total };
}

/** The references a --references-file lists, or none when it cannot be read (the check's own parse says why). */
function listedIn(file: string | undefined): string[] {
  if (!file) return [];
  try {
    return readReferencesFile(file, { baseDir: process.cwd() }).map((r) => r.source);
  } catch {
    return [];
  }
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
