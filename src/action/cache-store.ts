/**
 * The Action's remote reference cache: a CacheStore backed by GitHub's cache
 * service (@actions/cache), for hosted runners, where RUNNER_TOOL_CACHE starts
 * empty on every job. On self-hosted runners the tool cache persists and
 * nothing needs carrying. Never throws: a broken or unreachable service is a
 * miss or an unsaved entry, and the check runs on. The library's calls are
 * made by a helper process (cache-client.ts).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { CacheStore } from "../sources/cached.js";
import type { Logger } from "../sources/types.js";
import type { ActionsCacheMode } from "../settings/settings.js";
import type { ArchiveCalls } from "./archive-calls.js";
import type { CacheAccess } from "./cache-client.js";

// The input is parsed with every other input, in settings/.
export { type ActionsCacheMode, parseActionsCacheMode } from "../settings/settings.js";

/**
 * A miss or an unsaved entry that took longer than this was the library
 * retrying a failing service (5 attempts, about 25-35 s); a real miss is one
 * request. Stop asking for the rest of the run instead of paying that per reference.
 */
const SLOW_FAILURE_MS = 15_000;

const NAME = "actions/cache";

export class ActionsCacheStore implements CacheStore {
  readonly name = NAME;
  /** Calls run one at a time: each one briefly points GITHUB_WORKSPACE (a save, the working directory too) at the cache root (archive-calls.ts). */
  private queue: Promise<unknown> = Promise.resolve();
  private disabled = false;

  constructor(
    private readonly logger: Logger,
    private readonly calls: ArchiveCalls,
    private readonly now: () => number = Date.now,
  ) {}

  restore(key: string, dir: string): Promise<boolean> {
    return this.serially(async () => {
      if (this.disabled) return false;
      const started = this.now();
      try {
        const root = path.dirname(path.resolve(dir));
        await mkdir(root, { recursive: true });
        const hit = await this.calls.restore(root, path.basename(dir), key);
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
        const id = await this.calls.save(path.dirname(path.resolve(dir)), path.basename(dir), key);
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
 * The store for this step, or null. `auto`: on a GitHub-hosted runner when the
 * cache service is available (a self-hosted runner's tool cache persists by
 * itself). `true`: whenever the service is available. `false`: never.
 */
export async function actionsCacheStoreFor(
  mode: ActionsCacheMode,
  opts: { env: NodeJS.ProcessEnv; cacheDir: string; logger: Logger; access?: CacheAccess },
): Promise<CacheStore | null> {
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
  const available = opts.access ? await opts.access.available().catch((e: Error) => (logger.warn(`${NAME}: ${e.message}`), false)) : false;
  if (!available || !opts.access) {
    const say = mode === "true" ? (m: string) => logger.warn(m) : (m: string) => logger.info(m);
    say(`reference cache: ${cacheDir}; the GitHub cache service is not available to this step (actions-cache: ${mode}), so nothing is restored or saved`);
    return null;
  }
  logger.info(`reference cache: ${cacheDir}, restored from and saved to actions/cache (actions-cache: ${mode}${hosted ? ", GitHub-hosted runner" : ""})`);
  return new ActionsCacheStore(logger, opts.access);
}
