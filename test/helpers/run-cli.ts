/** Drive the real CLI in-process and capture what a user would see. */
import { readFile } from "node:fs/promises";
import { type CliIO, main } from "../../src/cli.js";
import type { Report } from "../../src/report/schema.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `io`: more of the CliIO (a fetch, shorter Hub timings). */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, io: Pick<CliIO, "fetch" | "hubTimings"> = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env,
    isTTY: false,
    ...io,
  });
  return { code, stdout, stderr };
}

export async function readReport(file: string): Promise<Report> {
  return JSON.parse(await readFile(file, "utf8")) as Report;
}
