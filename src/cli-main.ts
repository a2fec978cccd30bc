/**
 * Process entry for the CLI bundle (dist/cli.js): a launcher. The check itself (src/cli-check.ts,
 * bundled apart as dist/cli-check.js so this thread never loads the engine) runs in a worker thread
 * with a capped young generation (src/common/capped-worker.ts).
 */
import { checkInCappedWorker } from "./common/capped-worker.js";

/** The CLI's exit code for an internal error (src/cli.ts). */
const INTERNAL_ERROR = 4;

// The check's module beside this one, in the same form (.js bundled, .ts from source).
const check = new URL(`./cli-check${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url);
await checkInCappedWorker(check, { isTTY: Boolean(process.stderr.isTTY), stdoutTTY: Boolean(process.stdout.isTTY) }, INTERNAL_ERROR);
