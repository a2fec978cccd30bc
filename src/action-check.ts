/**
 * The Action's step, run where src/index.ts puts it: as its own process (it runs itself when it is the
 * entry) or, in process, in the launcher (which calls checkWith). The GitHub cache service's
 * calls are made by a helper process (src/action-cache-helper.ts), started only when the step uses it.
 */
import { coreIO, run } from "./action.js";
import { cacheHelper } from "./action/cache-client.js";
import { isEntry } from "./common/check-process.js";

export async function checkWith(): Promise<void> {
  // The helper's module beside this one, in the same form (.js bundled, .ts from source).
  const cache = cacheHelper(new URL(`./action-cache-helper${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url));
  try {
    await run(coreIO(cache));
  } finally {
    cache.close();
  }
}

if (isEntry(import.meta.url)) await checkWith();
