/**
 * The Action's cache helper process (dist/action-cache-helper.js): it makes the GitHub cache service's
 * calls that the step asks for over its IPC channel (src/action/cache-client.ts), one at a time, and
 * ends when the step lets go of it.
 */
import { archiveCalls, cacheServiceAvailable } from "./action/archive-calls.js";
import type { HelperAnswer, HelperCall } from "./action/cache-client.js";

const calls = archiveCalls();
let queue: Promise<unknown> = Promise.resolve();

async function answer(m: HelperCall): Promise<HelperAnswer> {
  try {
    if (m.op === "available") return { id: m.id, value: cacheServiceAvailable() };
    const value = m.op === "save" ? await calls.save(m.root, m.name, m.key) : await calls.restore(m.root, m.name, m.key);
    return { id: m.id, value };
  } catch (e) {
    return { id: m.id, error: (e as Error)?.message ?? String(e) };
  }
}

process.on("message", (m: HelperCall) => {
  // One at a time: each call points the working directory and GITHUB_WORKSPACE at its cache root.
  queue = queue.then(async () => process.send?.(await answer(m)));
});
process.on("disconnect", () => {
  void queue.then(() => process.exit(0));
});
