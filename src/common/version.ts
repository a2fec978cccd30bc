/** Kept in step with package.json by a test. */
export const VERSION = "0.1.0";
/** The command and npm package name ("fromscratch" on npm is an unrelated package). */
export const COMMAND = "fromscratch-weights";
