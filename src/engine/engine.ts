/**
 * The engine's entry: `runCheck` (run-check.ts) and what it is given
 * (deps.ts); `referenceOpener` builds the cached reference opener the entry
 * points pass in.
 */
export { type CheckOutcome, runCheck } from "./run-check.js";
export type { EngineDeps, OpenedReference, ReferenceCache } from "./deps.js";
export { referenceOpener } from "./open-reference.js";
