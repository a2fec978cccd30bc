/**
 * The CLI's check, run where src/cli-main.ts puts it: in the capped worker thread (its terminals come
 * as workerData) or, in process, on the main thread.
 */
import { isMainThread, workerData } from "node:worker_threads";
import { main } from "./cli.js";

interface Terminals {
  isTTY: boolean;
  stdoutTTY: boolean;
}

// A worker's stdout and stderr are pipes to the main thread: it was told what the terminals are.
const terminals: Terminals = isMainThread ? { isTTY: Boolean(process.stderr.isTTY), stdoutTTY: Boolean(process.stdout.isTTY) } : (workerData as Terminals);

process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  ...terminals,
});
