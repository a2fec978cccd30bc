/**
 * A model on disk: a directory holding model.safetensors or
 * model.safetensors.index.json + shards, or one .safetensors file. Listed by
 * the shared listing (listing.ts); this file only opens, sizes and reads.
 */
import { type FileHandle, open, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { FetchError, FormatError, UsageError } from "../common/errors.js";
import { listFile, listFolder, type ModelFolder } from "./listing.js";
import type { ModelListing, WeightSource } from "./types.js";
import { hashFileInWorker } from "./hash-worker.js";

/** The piece a file's sha256 is computed over at a time (one buffer, reused). */
const HASH_CHUNK_BYTES = 4 * 2 ** 20;

export class LocalSource implements WeightSource {
  readonly source: string;
  /** The model directory as given (for messages). */
  private root = "";
  /** The same, absolute: files open the same way whatever the working directory later is. */
  private absRoot = "";
  private bytes = 0;

  constructor(source: string) {
    this.source = source;
  }

  get bytesRead(): number {
    return this.bytes;
  }

  /** Resolve a shard name to a path, refusing anything (symlinks included) that leaves the model directory. */
  private async resolveFile(file: string): Promise<string> {
    const p = path.join(this.root, file);
    let real: string;
    try {
      real = await realpath(path.join(this.absRoot, file));
    } catch {
      throw new FormatError(p, "file not found");
    }
    const rootReal = await realpath(this.absRoot);
    if (real !== rootReal && !real.startsWith(rootReal + path.sep)) {
      throw new FormatError(p, "resolves outside the model directory (symlink?); refusing to read it");
    }
    return real;
  }

  async list(): Promise<ModelListing> {
    const given = this.source.startsWith("file://") ? this.source.slice(7) : this.source;
    let st;
    try {
      st = await stat(given);
    } catch {
      throw new UsageError(`no such file or directory: ${given}`);
    }
    const isFile = st.isFile();
    this.root = isFile ? path.dirname(given) : given;
    this.absRoot = path.resolve(this.root);
    const listed = isFile ? await listFile(this.folder(), path.basename(given)) : await listFolder(this.folder());
    this.bytes += listed.headerBytes;
    return { source: this.source, revision: null, license: null, ...listed };
  }

  /** The directory as the shared listing sees it. */
  private folder(): ModelFolder {
    const exists = (file: string): Promise<boolean> =>
      stat(path.join(this.absRoot, file)).then(
        () => true,
        () => false,
      );
    return {
      label: this.root,
      fileLabel: (file) => path.join(this.root, file),
      has: exists,
      names: async () => (await readdir(this.absRoot).catch(() => [] as string[])).sort(),
      size: async (file) => (await stat(await this.resolveFile(file))).size,
      read: (file, begin, end) => this.readOnce(file, begin, end),
      readWhole: (file, size) => this.readOnce(file, 0, size),
    };
  }

  /** Bytes of a file opened for this read only (headers and the index, while listing). */
  private async readOnce(file: string, begin: number, end: number): Promise<Uint8Array> {
    const label = path.join(this.root, file);
    const fh = await open(await this.resolveFile(file), "r");
    try {
      const buf = new Uint8Array(end - begin);
      await readExactly(fh, label, begin, buf);
      return buf;
    } catch (e) {
      throw e instanceof FetchError ? new FormatError(label, "file shrank while it was being listed") : e;
    } finally {
      await fh.close();
    }
  }

  /** Open handles per shard, resolved (and checked against the directory) once. */
  private handles = new Map<string, Promise<{ path: string; fh: FileHandle }>>();

  private handle(file: string): Promise<{ path: string; fh: FileHandle }> {
    let h = this.handles.get(file);
    if (!h) {
      h = this.resolveFile(file).then(async (p) => ({ path: p, fh: await open(p, "r") }));
      h.catch(() => this.handles.delete(file));
      this.handles.set(file, h);
    }
    return h;
  }

  async read(file: string, begin: number, end: number): Promise<Uint8Array> {
    // Not zero-filled: every byte is overwritten by the read (or the read fails).
    const buf = new Uint8Array(Buffer.allocUnsafeSlow(end - begin).buffer, 0, end - begin);
    await this.readInto(file, begin, end, buf);
    return buf;
  }

  async readInto(file: string, begin: number, end: number, into: Uint8Array): Promise<void> {
    const { path: p, fh } = await this.handle(file);
    await readExactly(fh, p, begin, into.subarray(0, end - begin));
    this.bytes += end - begin;
  }

  /**
   * The sha256 of a whole file of the model, read once in HASH_CHUNK_BYTES pieces into one reused
   * buffer in a worker thread (memory stays at that; the comparison goes on meanwhile), and its size. A read that fails
   * is a FormatError naming the file. Not counted in bytesRead (the comparison's reads).
   */
  async hashFile(file: string, onProgress?: (bytes: number) => void): Promise<{ sha256: string; size: number }> {
    const label = path.join(this.root, file);
    const resolved = await this.resolveFile(file);
    try {
      return await hashFileInWorker(resolved, HASH_CHUNK_BYTES, onProgress);
    } catch (e) {
      throw new FormatError(label, `could not be read to compute its sha256: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  /** Close the open shard handles (the engine calls it when a source is done). */
  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    for (const h of all) await h.then((x) => x.fh.close()).catch(() => undefined);
  }
}

/** Exactly bytes [begin, end) of an open file; a file that ends early is an error naming `label`. */
async function readExactly(fh: FileHandle, label: string, begin: number, buf: Uint8Array): Promise<void> {
  const len = buf.length;
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, begin + got);
    if (bytesRead === 0) throw new FetchError(`${label}: file ended at byte ${begin + got}, expected data up to ${begin + len}`);
    got += bytesRead;
  }
}
