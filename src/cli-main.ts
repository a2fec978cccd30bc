/** Process entry for the CLI bundle (dist/cli.js): the check runs in a capped worker thread (src/common/capped-worker.ts). */
import { inCappedWorker } from "./common/capped-worker.js";
import { main } from "./cli.js";

/** The CLI's exit code for an internal error (src/cli.ts). */
const INTERNAL_ERROR = 4;

// A worker's stdout and stderr are pipes to the main thread: it is told what the terminals are.
await inCappedWorker(import.meta.url, { isTTY: Boolean(process.stderr.isTTY), stdoutTTY: Boolean(process.stdout.isTTY) }, INTERNAL_ERROR, (terminals) =>
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    ...terminals,
  }),
);
