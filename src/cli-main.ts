/**
 * Process entry for the CLI bundle (dist/cli.js): a launcher. The check itself (src/cli-check.ts,
 * bundled apart as dist/cli-check.js so the launcher never loads the engine) runs in a child process
 * with the memory settings of src/common/check-process.ts, unless it is small (src/common/small-check.ts).
 */
import { runCheckProcess } from "./common/check-process.js";
import { isSmallCheck } from "./common/small-check.js";

/** The CLI's exit code for an internal error (src/cli.ts). */
const INTERNAL_ERROR = 4;

// The check's module beside this one, in the same form (.js bundled, .ts from source).
await runCheckProcess(new URL(`./cli-check${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url), {
  internalErrorCode: INTERNAL_ERROR,
  // A small local check runs in this process (small-check.ts): a second start-up would cost more than it saves.
  small: () => isSmallCheck(process.argv.slice(2)),
});
