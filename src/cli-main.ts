/** Process entry for the CLI bundle (dist/cli.js). */
import { main } from "./cli.js";

const code = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  isTTY: Boolean(process.stderr.isTTY),
  stdoutTTY: Boolean(process.stdout.isTTY),
});
process.exitCode = code;
