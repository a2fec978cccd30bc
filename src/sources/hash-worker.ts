/**
 * The sha256 of a whole file, computed in a worker thread: a local model's files are hashed for the report
 * (files[]) while the comparison runs on the main thread, so on a runner with two cores or more the hash
 * costs no wall time (measured on the 2 x 1 GB bench pair: ~1.5 s per GB when it ran first on the main thread).
 * The worker is plain CommonJS given as source (`eval`), so the bundled Action and CLI need no extra file.
 */
import { Worker } from "node:worker_threads";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
const fd = openSync(workerData.path, "r");
const hash = createHash("sha256");
const buf = Buffer.allocUnsafe(workerData.chunk);
let size = 0;
let told = 0;
try {
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, size);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    size += n;
    if (size - told >= workerData.every) {
      told = size;
      parentPort.postMessage({ progress: size });
    }
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage({ sha256: hash.digest("hex"), size });
`;

/** sha256 (hex) and size of the file at `file`, read in `chunk`-byte pieces off the main thread. */
export function hashFileInWorker(file: string, chunk: number, onProgress?: (bytes: number) => void): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { path: file, chunk, every: 64 * 2 ** 20 } });
    let done = false;
    worker.on("message", (m: { progress?: number; sha256?: string; size?: number }) => {
      if (m.sha256 !== undefined && m.size !== undefined) {
        done = true;
        resolve({ sha256: m.sha256, size: m.size });
      } else if (m.progress !== undefined) onProgress?.(m.progress);
    });
    worker.on("error", (e) => {
      done = true;
      reject(e);
    });
    worker.on("exit", (code) => {
      if (!done) reject(new Error(`the hashing worker stopped (exit code ${code})`));
    });
  });
}
