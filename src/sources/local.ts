/**
 * A model on disk: a directory holding model.safetensors or
 * model.safetensors.index.json + shards, or one .safetensors file.
 */
import { type FileHandle, open, readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { FetchError, FormatError, UsageError } from "../common/errors.js";
import { parseHeader, readHeaderLength } from "../safetensors/header.js";
import { INDEX_FILE, MAX_INDEX_BYTES, parseShardIndex, reconcileShards, SINGLE_FILE } from "../safetensors/shard-index.js";
import { missingWeightsProblem } from "./missing-weights.js";
import type { ModelListing, TensorEntry, WeightSource } from "./types.js";
import { exists } from "../common/fs.js";

const PICKLE_EXTENSIONS = [".bin", ".pt", ".pth", ".ckpt", ".pkl"];

export class LocalSource implements WeightSource {
  readonly source: string;
  private root = "";
  private bytes = 0;
  private sizes = new Map<string, number>();

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
      real = await realpath(p);
    } catch {
      throw new FormatError(p, "file not found");
    }
    const rootReal = await realpath(this.root);
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
    let files: string[];
    let tensors: TensorEntry[];
    let annotationFile: string | null = null;
    let headerBytes = 0;
    if (st.isFile()) {
      if (PICKLE_EXTENSIONS.some((e) => given.endsWith(e))) {
        throw new FormatError(given, "is a pickle checkpoint; fromscratch only reads safetensors (pickles are never unpickled)");
      }
      this.root = path.dirname(given);
      const file = path.basename(given);
      const r = await this.readHeader(file);
      tensors = r.tensors;
      headerBytes = r.bytes;
      files = [file];
    } else {
      this.root = given;
      const indexPath = path.join(given, INDEX_FILE);
      const single = path.join(given, SINGLE_FILE);
      if (await exists(indexPath)) {
        const size = (await stat(indexPath)).size;
        if (size > MAX_INDEX_BYTES) throw new FormatError(indexPath, `index is ${size} bytes, above the ${MAX_INDEX_BYTES}-byte limit`);
        const text = await readFile(indexPath, "utf8");
        headerBytes += size;
        const index = parseShardIndex(indexPath, text);
        const perShard = new Map<string, TensorEntry[]>();
        for (const shard of index.shards) {
          const r = await this.readHeader(shard);
          perShard.set(shard, r.tensors);
          headerBytes += r.bytes;
        }
        tensors = reconcileShards(indexPath, index, perShard);
        files = index.shards;
        annotationFile = indexPath;
      } else if (await exists(single)) {
        const r = await this.readHeader(SINGLE_FILE);
        tensors = r.tensors;
        headerBytes = r.bytes;
        files = [SINGLE_FILE];
      } else {
        const names = (await readdir(given).catch(() => [] as string[])).sort();
        throw new FormatError(given, missingWeightsProblem(names));
      }
    }
    let config: unknown = null;
    const configPath = path.join(this.root, "config.json");
    if (await exists(configPath)) {
      try {
        config = JSON.parse(await readFile(configPath, "utf8"));
      } catch (e) {
        throw new FormatError(configPath, `not valid JSON (${(e as Error).message})`);
      }
      annotationFile ??= configPath;
    }
    annotationFile ??= path.join(this.root, files[0]!);
    this.bytes += headerBytes;
    return { source: this.source, revision: null, license: null, tensors, files, config, annotationFile, headerBytes };
  }

  private async readHeader(file: string): Promise<{ tensors: TensorEntry[]; bytes: number }> {
    const p = await this.resolveFile(file);
    const fh = await open(p, "r");
    try {
      const size = (await fh.stat()).size;
      this.sizes.set(file, size);
      const prefix = new Uint8Array(8);
      await fh.read(prefix, 0, Math.min(8, size), 0);
      const label = path.join(this.root, file);
      const n = readHeaderLength(label, prefix, size);
      const json = new Uint8Array(n);
      const { bytesRead } = await fh.read(json, 0, n, 8);
      if (bytesRead !== n) throw new FormatError(label, "file shrank while reading its header");
      const parsed = parseHeader(label, json, size);
      // Entries carry the relative shard name, not the label used in messages.
      return { tensors: parsed.tensors.map((t) => ({ ...t, file })), bytes: 8 + n };
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
    const { path: p, fh } = await this.handle(file);
    const len = end - begin;
    const buf = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await fh.read(buf, got, len - got, begin + got);
      if (bytesRead === 0) throw new FetchError(`${p}: file ended at byte ${begin + got}, expected data up to ${end}`);
      got += bytesRead;
    }
    this.bytes += len;
    return buf;
  }

  /** Close the open shard handles (the engine calls it when a source is done). */
  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    for (const h of all) await h.then((x) => x.fh.close()).catch(() => undefined);
  }
}

