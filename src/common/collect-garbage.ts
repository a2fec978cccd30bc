/**
 * A full garbage collection, asked for between the stages of a search that drop tens of MiB of typed
 * arrays at once. V8 frees an ArrayBuffer's memory only when a collection finds it dead, and it starts
 * one for external memory only after some 64 MiB more of it: without a nudge the dead sketches of one
 * stage sit beside the live ones of the next, and the process's peak memory is the sum. Measured on a
 * 7B-width pair (bench --wide-only): about 25 MB off the peak; 4-6 calls there, 29 calls and ~0.2 s
 * of 10 s on a 32-layer width-1024 pair.
 *
 * Node exposes `gc` only under --expose-gc; the flag is set at run time and the function taken from a
 * fresh context. Nothing is done while typed arrays hold under WORTH_BYTES. Where that fails (another
 * runtime), this does nothing and memory is just less tight.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { releaseScratch } from "./scratch.js";

let gc: (() => void) | null | undefined;

/** Below this many bytes of typed arrays a collection is not worth its milliseconds (small models; 16 and 48 MiB measured alike at 7B width). */
const WORTH_BYTES = 32 << 20;

export function collectGarbage(): void {
  if (process.memoryUsage().arrayBuffers < WORTH_BYTES) return;
  // The hot loops' reusable blocks are dropped too: the next stage takes what it needs.
  releaseScratch();
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const f: unknown = runInNewContext("gc");
      gc = typeof f === "function" ? (f as () => void) : null;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
