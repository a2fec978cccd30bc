/**
 * Tests that skip say why: the reason is printed when the file is collected
 * (a stderr line under the file's name in the test output), not only hidden
 * in a test title the default reporter does not show.
 */

/** Whether to skip `what`: true when `reason` (why it cannot run here) is given, and then printed. */
export function skipping(what: string, reason: string | null | false | undefined): boolean {
  if (!reason) return false;
  console.warn(`SKIPPED ${what}: ${reason}`);
  return true;
}
