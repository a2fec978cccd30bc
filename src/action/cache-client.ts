/**
 * The Action's calls of the GitHub cache service, made by a helper process (src/action-cache-helper.ts):
 * each call changes the working directory (archive-calls.ts), which the check must not see change under
 * it, and @actions/cache costs ~40 MB of memory once loaded, which the checking process does not pay.
 * The helper is started on the first call and ends with this process (or at `close`).
 */
import { type ChildProcess, fork } from "node:child_process";
import type { ArchiveCalls } from "./archive-calls.js";

/** The service as the check sees it: whether it is there, and its calls. */
export interface CacheAccess extends ArchiveCalls {
  available(): Promise<boolean>;
}

/** A call to the helper, and its answer. */
export interface HelperCall {
  id: number;
  op: "available" | "restore" | "save";
  root: string;
  name: string;
  key: string;
}
export interface HelperAnswer {
  id: number;
  value?: boolean | string | number;
  error?: string;
}

type Waiting = { resolve: (v: HelperAnswer["value"]) => void; reject: (e: Error) => void };

/**
 * CacheAccess through the helper module at `helper` (run with this process's Node options, so a source
 * run's TypeScript loader too). A helper that cannot start or dies fails the calls waiting on it (the
 * store turns that into a warning), and the next call starts a new one.
 */
export function cacheHelper(helper: URL): CacheAccess & { close(): void } {
  let child: ChildProcess | null = null;
  const waiting = new Map<number, Waiting>();
  let next = 0;
  const failAll = (why: string) => {
    for (const w of waiting.values()) w.reject(new Error(why));
    waiting.clear();
    child = null;
  };
  const hold = (on: boolean) => {
    // The helper holds this thread open only while a call waits for it.
    const c = child as (ChildProcess & { channel?: { ref(): void; unref(): void } }) | null;
    if (!c) return;
    if (on) {
      c.ref();
      c.channel?.ref();
    } else {
      c.unref();
      c.channel?.unref();
    }
  };
  const start = (): ChildProcess => {
    const c = fork(helper, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: process.execArgv, serialization: "json" });
    c.on("message", (a: HelperAnswer) => {
      const w = waiting.get(a.id);
      if (!w) return;
      waiting.delete(a.id);
      if (waiting.size === 0) hold(false);
      if (a.error !== undefined) w.reject(new Error(a.error));
      else w.resolve(a.value);
    });
    c.on("error", (e) => failAll(`the cache helper process failed: ${e.message}`));
    c.on("exit", (code, signal) => {
      if (child === c) failAll(`the cache helper process ended (${signal ?? `exit code ${code}`})`);
    });
    return c;
  };
  const ask = (op: HelperCall["op"], root = "", name = "", key = "") =>
    new Promise<HelperAnswer["value"]>((resolve, reject) => {
      child ??= start();
      const id = next++;
      waiting.set(id, { resolve, reject });
      hold(true);
      child.send({ id, op, root, name, key } satisfies HelperCall, (e) => {
        if (e && waiting.delete(id)) reject(new Error(`could not reach the cache helper process: ${e.message}`));
      });
    });
  return {
    available: async () => Boolean(await ask("available")),
    restore: async (root, name, key) => (await ask("restore", root, name, key)) as string | undefined,
    save: async (root, name, key) => (await ask("save", root, name, key)) as number,
    close: () => {
      const c = child;
      child = null;
      if (c?.connected) c.disconnect();
    },
  };
}
