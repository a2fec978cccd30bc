/**
 * Process entry for the CLI bundle (dist/cli.js): a launcher. The check itself (src/cli-check.ts,
 * bundled apart as dist/cli-check.js so the launcher never loads the engine) runs in a child process
 * with the memory settings of src/common/check-process.ts, unless it is small (src/cli-weight.ts).
 */
import { MMAP_THRESHOLD_LOCAL, MMAP_THRESHOLD_REMOTE, runCheckProcess } from "./common/check-process.js";
import { FIXED_MMAP_MIN_BYTES, IN_PROCESS_MAX_BYTES, weighCommand } from "./cli-weight.js";

/** The CLI's exit code for an internal error (src/cli.ts). */
const INTERNAL_ERROR = 4;

const weight = await weighCommand(process.argv.slice(2));
// The check's module beside this one, in the same form (.js bundled, .ts from source).
await runCheckProcess(new URL(`./cli-check${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url), {
  internalErrorCode: INTERNAL_ERROR,
  // Every command but a check, and a small local check, runs in this process; a big or remote check gets a fixed mmap threshold (cli-weight.ts).
  small: !weight.check || (weight.localBytes !== null && weight.localBytes < IN_PROCESS_MAX_BYTES),
  mmapThreshold: weight.localBytes === null ? MMAP_THRESHOLD_REMOTE : weight.localBytes > FIXED_MMAP_MIN_BYTES ? MMAP_THRESHOLD_LOCAL : null,
});
