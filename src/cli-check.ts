/**
 * The CLI's check, run where src/cli-main.ts puts it: as its own process (it runs itself when it is
 * the entry) or, in process, in the launcher (which calls checkWith).
 */
import { main } from "./cli.js";
import { isEntry } from "./common/check-process.js";

export async function checkWith(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
    stdoutTTY: Boolean(process.stdout.isTTY),
  });
}

if (isEntry(import.meta.url)) await checkWith();
