/**
 * The Action's remote reference cache: a CacheStore backed by GitHub's cache
 * service (@actions/cache), for hosted runners, where RUNNER_TOOL_CACHE starts
 * empty on every job. On self-hosted runners the tool cache persists and
 * nothing needs carrying. Never throws: a broken or unreachable service is a
 * miss or an unsaved entry, and the check runs on.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import * as actionsCache from "@actions/cache";
import type { CacheStore } from "../sources/cached.js";
import type { Logger } from "../sources/types.js";
import type { ActionsCacheMode } from "../settings/settings.js";

/** The two calls of @actions/cache this store makes (injectable). */
export interface CacheApi {
  restoreCache(paths: string[], primaryKey: string): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

// The input is parsed with every other input, in settings/.
export { type ActionsCacheMode, parseActionsCacheMode } from "../settings/settings.js";

/**
 * A miss or an unsaved entry that took longer than this was the library
 * retrying a failing service (5 attempts, about 25-35 s); a real miss is one
 * request. Stop asking for the rest of the run instead of paying that per reference.
 */
const SLOW_FAILURE_MS = 15_000;

export class ActionsCacheStore implements CacheStore {
  readonly name = "actions/cache";
  /** Calls run one at a time: each one briefly points GITHUB_WORKSPACE (a save, the working directory too) at the cache root (see withArchiveRoot). */
  private queue: Promise<unknown> = Promise.resolve();
  private disabled = false;

  constructor(
    private readonly logger: Logger,
    private readonly api: CacheApi = actionsCache,
    private readonly now: () => number = Date.now,
  ) {}

  restore(key: string, dir: string): Promise<boolean> {
    return this.serially(async () => {
      if (this.disabled) return false;
      const started = this.now();
      try {
        const root = path.dirname(path.resolve(dir));
        await mkdir(root, { recursive: true });
        const hit = await asLogLines(() => withArchiveRoot(root, { chdir: false }, () => this.api.restoreCache([path.basename(dir)], key)));
        if (hit === key) return true;
        // A miss is one request; @actions/cache has logged why if it was a failure.
        if (!this.gaveUp(started, "restore")) this.logger.info(`${this.name}: no entry ${key}`);
        return false;
      } catch (e) {
        this.logger.warn(`${this.name}: could not restore ${key}: ${(e as Error)?.message ?? String(e)}`);
        return false;
      }
    });
  }

  save(key: string, dir: string): Promise<boolean> {
    return this.serially(async () => {
      if (this.disabled) return false;
      const started = this.now();
      try {
        const id = await asLogLines(() => withArchiveRoot(path.dirname(path.resolve(dir)), { chdir: true }, () => this.api.saveCache([path.basename(dir)], key)));
        if (id !== -1) return true;
        // @actions/cache has logged why: an info line when the entry exists or another job is saving it, a warning otherwise.
        if (!this.gaveUp(started, "save")) this.logger.info(`${this.name}: ${key} not saved`);
        return false;
      } catch (e) {
        this.logger.warn(`${this.name}: could not save ${key}: ${(e as Error)?.message ?? String(e)}`);
        return false;
      }
    });
  }

  /** After a slow miss or a slow failed save: stop using the store for this run (true when so). */
  private gaveUp(started: number, what: string): boolean {
    const ms = this.now() - started;
    if (ms < SLOW_FAILURE_MS) return false;
    this.disabled = true;
    this.logger.warn(`${this.name}: the cache service did not answer the ${what} in ${Math.round(ms / 1000)} s; not using it for the rest of this run`);
    return true;
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
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
 * serialized (ActionsCacheStore.serially) and nothing of the check depends on
 * either meanwhile (local sources hold absolute paths; the engine reads
 * neither). Avoiding it altogether would take a child process per call.
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
 * The store for this step, or null. `auto`: on a GitHub-hosted runner when the
 * cache service is available (a self-hosted runner's tool cache persists by
 * itself). `true`: whenever the service is available. `false`: never.
 */
export function actionsCacheStoreFor(
  mode: ActionsCacheMode,
  opts: { env: NodeJS.ProcessEnv; cacheDir: string; logger: Logger; isFeatureAvailable?: () => boolean },
): CacheStore | null {
  const { env, cacheDir, logger } = opts;
  if (mode === "false") return null;
  if (!cacheDir) {
    logger.info("reference cache off (no RUNNER_TOOL_CACHE and no cache-dir): nothing to carry with actions/cache");
    return null;
  }
  const hosted = env.RUNNER_ENVIRONMENT === "github-hosted";
  if (mode === "auto" && !hosted) {
    logger.info(`reference cache: ${cacheDir} (${env.RUNNER_ENVIRONMENT ? `${env.RUNNER_ENVIRONMENT} runner` : "not a GitHub-hosted runner"}: not using actions/cache)`);
    return null;
  }
  if (!(opts.isFeatureAvailable ?? actionsCache.isFeatureAvailable)()) {
    const say = mode === "true" ? (m: string) => logger.warn(m) : (m: string) => logger.info(m);
    say(`reference cache: ${cacheDir}; the GitHub cache service is not available to this step (actions-cache: ${mode}), so nothing is restored or saved`);
    return null;
  }
  logger.info(`reference cache: ${cacheDir}, restored from and saved to actions/cache (actions-cache: ${mode}${hosted ? ", GitHub-hosted runner" : ""})`);
  return new ActionsCacheStore(logger);
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
