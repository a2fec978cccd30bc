/**
 * `--references-file FILE` (input `references-file`): the references one per line, `#` comments and
 * blank lines allowed, merged after the `--reference` ones with duplicates removed (each removal a
 * note). Light on purpose (node:fs, node:path, the errors): the CLI's launcher reads the file too, to
 * size the check before it loads anything else.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../common/errors.js";

/** One reference of the file and the line it is on (1-based). */
export interface ListedReference {
  source: string;
  line: number;
}

/** Where a relative FILE is, and how to read it (tests inject a reader; the default reads the disk). */
export interface ReferencesFileOptions {
  /** Relative paths resolve against this: the workspace for the Action, the working directory for the CLI. */
  baseDir: string;
  readText?: (absolutePath: string) => string;
}

/** A `#` at the start of a line or after a space or tab starts a comment (a path may hold a `#` elsewhere). */
function withoutComment(line: string): string {
  const m = /(^|[ \t])#/.exec(line);
  return m ? line.slice(0, m.index) : line;
}

/**
 * The references a file's text lists, in order. A line holding more than one word, or a comma, is
 * a usage error naming the file and the line: one reference per line, so that a typo cannot turn one
 * line into two references or one into none.
 */
export function parseReferencesText(text: string, label: string): ListedReference[] {
  const out: ListedReference[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, i) => {
    const source = withoutComment(raw).trim();
    if (source === "") return;
    if (/[\s,]/.test(source)) {
      throw new UsageError(
        `--references-file ${label}, line ${i + 1}: one reference per line (got ${JSON.stringify(source)}); put each on its own line, and start comments with #`,
        "usage.bad-value",
      );
    }
    out.push({ source, line: i + 1 });
  });
  return out;
}

/** Read FILE (relative to `baseDir`) and list its references; an unreadable file is a usage error naming it. */
export function readReferencesFile(file: string, opts: ReferencesFileOptions): ListedReference[] {
  const given = file.trim();
  const abs = path.resolve(opts.baseDir, given);
  const where = abs === given ? given : `${given} (${abs})`;
  let text: string;
  try {
    text = (opts.readText ?? ((p) => readFileSync(p, "utf8")))(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a file" : code === "EACCES" ? "permission denied" : ((e as Error)?.message ?? String(e));
    throw new UsageError(`--references-file ${where}: ${why}`, "usage.bad-value");
  }
  return parseReferencesText(text, given);
}

/**
 * The `--reference` ones first, then the file's; a reference given again (the same text) is kept once,
 * where it first appeared, and each removal is a note saying where the copy was.
 */
export function mergeReferences(listed: readonly string[], fromFile: readonly ListedReference[], file: string | null): { references: string[]; notes: string[] } {
  const seen = new Set<string>();
  const references: string[] = [];
  const notes: string[] = [];
  const add = (source: string, where: string): void => {
    if (seen.has(source)) {
      notes.push(`reference ${source} is listed more than once (again ${where}); it is compared once`);
      return;
    }
    seen.add(source);
    references.push(source);
  };
  for (const s of listed) add(s, "in --reference");
  for (const r of fromFile) add(r.source, `in --references-file ${file ?? ""}, line ${r.line}`);
  return { references, notes };
}
