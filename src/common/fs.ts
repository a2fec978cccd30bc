/** Small file-system helpers shared by the sources and the merge. */
import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";

/** The file's stats, or null when it cannot be stat'ed (missing, no access). */
export async function statOrNull(p: string): Promise<Stats | null> {
  try {
    return await stat(p);
  } catch {
    return null;
  }
}

export async function exists(p: string): Promise<boolean> {
  return (await statOrNull(p)) !== null;
}
