/**
 * Entry of the bundled action (dist/index.js): a launcher. The step (src/action-check.ts, bundled apart
 * as dist/action-check.js so the launcher never loads the engine) runs in a child process with the
 * memory settings of src/common/check-process.ts.
 */
import { MMAP_THRESHOLD_REMOTE, runCheckProcess } from "./common/check-process.js";

/** A step that failed: core.setFailed's exit code. */
const FAILED = 1;

// The step's module beside this one, in the same form (.js bundled, .ts from source).
await runCheckProcess(new URL(`./action-check${import.meta.url.slice(import.meta.url.lastIndexOf("."))}`, import.meta.url), {
  internalErrorCode: FAILED,
  // A step's references are Hub repos, mostly: their size is not known here (src/cli-weight.ts).
  mmapThreshold: MMAP_THRESHOLD_REMOTE,
});
