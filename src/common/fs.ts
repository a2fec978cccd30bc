/** Small file-system helpers shared by the sources and the merge. */
import { stat } from "node:fs/promises";

export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
