/**
 * Files the user asked for (JSON report, HTML report, job summary). A path that
 * can never be written is refused before any work (exit 2); missing parent
 * folders are created; a write that still fails after the comparison never
 * loses the verdict: the caller prints the verdict, then the warning.
 */
import { constants } from "node:fs";
import { access, mkdir, writeFile } from "node:fs/promises";
import { statOrNull } from "./fs.js";
import path from "node:path";
import { UsageError } from "./errors.js";

/**
 * Refuse, before any work, an output path that cannot be written: an existing
 * folder, or a parent that is a file or not writable. `what` names the setting
 * (e.g. "--report"), so the message says which one.
 */
export async function checkOutputPath(file: string, what: string): Promise<void> {
  const abs = path.resolve(file);
  const st = await statOrNull(abs);
  if (st?.isDirectory()) throw new UsageError(`${what} ${file}: is a folder; give a file name (e.g. ${path.join(file, "report.json")})`, "usage.unwritable-output");
  // The nearest existing ancestor must be a writable folder: missing folders below it are created.
  let dir = path.dirname(abs);
  for (;;) {
    const d = await statOrNull(dir);
    if (d) {
      if (!d.isDirectory()) throw new UsageError(`${what} ${file}: ${dir} is a file, not a folder`, "usage.unwritable-output");
      try {
        await access(dir, constants.W_OK);
      } catch {
        throw new UsageError(`${what} ${file}: the folder ${dir} is not writable`, "usage.unwritable-output");
      }
      return;
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/** Write `content`, creating missing parent folders. Returns null, or why it could not be written. */
export async function writeOutput(file: string, content: string): Promise<string | null> {
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await writeFile(file, content);
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return `${err.code ? `${err.code}: ` : ""}${err.message.replace(/^[A-Z]+: /, "")}`;
  }
}
