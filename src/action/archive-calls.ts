/**
 * The two calls of @actions/cache the Action's reference cache makes, with the archive root set for
 * each. They touch process state (the working directory and GITHUB_WORKSPACE), so they run in a helper
 * process of their own (src/action-cache-helper.ts), asked by the check through cache-client.ts.
 */
import * as actionsCache from "@actions/cache";

/** The two calls of @actions/cache used (injectable). */
export interface CacheApi {
  restoreCache(paths: string[], primaryKey: string): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

/** A cache entry is directory `name` under `root`. */
export interface ArchiveCalls {
  /** The key restored (`key` on a hit), or undefined on a miss. */
  restore(root: string, name: string, key: string): Promise<string | undefined>;
  /** The entry's id, or -1 when it was not saved. */
  save(root: string, name: string, key: string): Promise<number>;
}

/** The service is there for this step (false when asking it throws). */
export function cacheServiceAvailable(): boolean {
  try {
    return actionsCache.isFeatureAvailable();
  } catch {
    return false;
  }
}

/** The calls over `api` (default @actions/cache), each with its archive root and with the library's annotations as log lines. */
export function archiveCalls(api: CacheApi = actionsCache): ArchiveCalls {
  return {
    restore: (root, name, key) => asLogLines(() => withArchiveRoot(root, { chdir: false }, () => api.restoreCache([name], key))),
    save: (root, name, key) => asLogLines(() => withArchiveRoot(root, { chdir: true }, () => api.saveCache([name], key))),
  };
}

/**
 * Run `fn` with @actions/cache's archive root at `root`, so an entry is stored
 * as its directory name relative to the cache root and does not depend on
 * where the root is (another RUNNER_TOOL_CACHE, cache-dir or workspace).
 *
 * Why this touches process state (@actions/cache 6.3.0 offers no option for
 * it: restoreCache/saveCache take only keys, paths and transfer options):
 * - the archive root is read from `process.env.GITHUB_WORKSPACE ?? process.cwd()`
 *   only: `tar -C` on save and restore (internal/tar.js getWorkingDirectory)
 *   and the names archived (internal/cacheUtils.js resolvePaths);
 * - an entry's version hashes the path strings as given (getCacheVersion), so
 *   they must be the relative name for an entry to survive a moved root; and
 *   saveCache globs that relative name from `process.cwd()` (@actions/glob).
 * So a restore needs GITHUB_WORKSPACE only; a save needs the working directory
 * too (`chdir`). Both are restored before this returns; the calls are
 * serialized (ActionsCacheStore.serially and the helper's queue), and the
 * check runs in another process.
 */
async function withArchiveRoot<T>(root: string, how: { chdir: boolean }, fn: () => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  const workspace = process.env.GITHUB_WORKSPACE;
  if (how.chdir) process.chdir(root);
  process.env.GITHUB_WORKSPACE = root;
  try {
    return await fn();
  } finally {
    if (how.chdir) process.chdir(cwd);
    if (workspace === undefined) delete process.env.GITHUB_WORKSPACE;
    else process.env.GITHUB_WORKSPACE = workspace;
  }
}

/**
 * @actions/cache reports its own failures with core.warning / core.error, i.e.
 * as annotations. A cache miss or a failing cache service is not a finding
 * about the model, and GitHub counts every annotation against the step's 10 per
 * type: while the library runs, its workflow-command annotations are written
 * as plain log lines ("warning: ...") instead.
 */
export async function asLogLines<T>(fn: () => Promise<T>): Promise<T> {
  const stdout = process.stdout;
  const write = stdout.write;
  const unescape = (s: string) => s.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
  stdout.write = function (this: typeof stdout, chunk: unknown, ...rest: unknown[]) {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    const plain = text.replace(/^::(warning|error|notice)(?: [^:\n]*)?::(.*)$/gm, (_m, _kind: string, msg: string) => `warning: ${unescape(msg)}`);
    return (write as (...a: unknown[]) => boolean).call(stdout, plain, ...rest);
  } as typeof stdout.write;
  try {
    return await fn();
  } finally {
    stdout.write = write;
  }
}
