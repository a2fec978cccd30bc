/**
 * Listing a model folder, local or on the Hub, by one path with one
 * strictness: model.safetensors.index.json (at most MAX_INDEX_BYTES, UTF-8,
 * strict JSON) and its shards' headers, else model.safetensors' header, else
 * a FormatError saying what the folder holds instead. Only headers are read;
 * nothing else in the folder (config.json, README, pickles) is opened.
 */
import { createHash } from "node:crypto";
import { FormatError } from "../common/errors.js";
import { mapLimit } from "../common/pool.js";
import { parseHeader, readHeaderLength } from "../safetensors/header.js";
import { INDEX_FILE, MAX_INDEX_BYTES, parseShardIndex, reconcileShards, SINGLE_FILE } from "../safetensors/shard-index.js";
import type { FileIdentity, TensorEntry } from "./types.js";

/** Pickle checkpoints: named in messages, never read. */
export const PICKLE_EXTENSIONS = [".bin", ".pt", ".pth", ".ckpt", ".pkl"];
/** Names listed before "and N more". */
export const MAX_LISTED_NAMES = 20;
/** Shard headers read in parallel while listing. */
const HEADER_CONCURRENCY = 8;

export function isPickle(name: string): boolean {
  return PICKLE_EXTENSIONS.some((e) => name.endsWith(e));
}

/** What a source offers the listing: a folder of files it can size and read. */
export interface ModelFolder {
  /** The folder in messages (a path, or repo@sha). */
  readonly label: string;
  /** A file of the folder in messages (and as a FormatError's file). */
  fileLabel(file: string): string;
  /** Whether the folder holds `file`. */
  has(file: string): Promise<boolean>;
  /** Every name the folder holds, sorted (for the "no weights" message). */
  names(): Promise<string[]>;
  /**
   * Size of `file` in bytes. A missing or unreadable file is a FormatError;
   * `listedBy` is the index's label when the index named the file.
   */
  size(file: string, listedBy: string | null): Promise<number>;
  /** Exactly bytes [begin, end) of `file`. */
  read(file: string, begin: number, end: number, size: number): Promise<Uint8Array>;
  /** The whole (small) `file`. */
  readWhole(file: string, size: number): Promise<Uint8Array>;
  /** What the folder's own listing says of `file` (the Hub: its LFS sha256 and git blob id); none for a local folder. */
  listedIds?(file: string): { sha256?: string; gitOid?: string } | undefined;
}

export interface FolderListing {
  tensors: TensorEntry[];
  /** Weight files read (safetensors shards), relative names. */
  files: string[];
  /** Bytes of headers and the index read. */
  headerBytes: number;
  /** The index (when there is one) and the weight files, identified as far as the listing knows (see FileIdentity). */
  fileIds: FileIdentity[];
}

/** A file as the listing knows it: the sha256 of its bytes when it read them whole, else the folder's listed one, if any. */
function identify(folder: ModelFolder, file: string, size: number, whole: Uint8Array | null): FileIdentity {
  const listed = folder.listedIds?.(file);
  const sha256 = whole ? createHash("sha256").update(whole).digest("hex") : (listed?.sha256 ?? null);
  const id: FileIdentity = { path: file, size, sha256, sha256From: whole ? "computed" : sha256 ? "hub" : null };
  if (listed?.gitOid) id.gitOid = listed.gitOid;
  return id;
}

/** The index and its shards' headers, or model.safetensors' header, or what the folder holds instead. */
export async function listFolder(folder: ModelFolder): Promise<FolderListing> {
  if (await folder.has(INDEX_FILE)) return listSharded(folder);
  if (await folder.has(SINGLE_FILE)) return listFile(folder, SINGLE_FILE);
  throw new FormatError(folder.label, missingWeightsProblem(await folder.names()), undefined, "format.no-weights");
}

/** One .safetensors file of the folder (given by name); a pickle is refused unread. */
export async function listFile(folder: ModelFolder, file: string): Promise<FolderListing> {
  if (isPickle(file)) {
    throw new FormatError(folder.fileLabel(file), "is a pickle checkpoint; fromscratch only reads safetensors (pickles are never unpickled)", undefined, "format.no-weights");
  }
  const size = await folder.size(file, null);
  const r = await readHeader(folder, file, size);
  return { tensors: r.tensors, files: [file], headerBytes: r.bytes, fileIds: [identify(folder, file, size, null)] };
}

async function listSharded(folder: ModelFolder): Promise<FolderListing> {
  const indexLabel = folder.fileLabel(INDEX_FILE);
  const size = await folder.size(INDEX_FILE, null);
  if (size > MAX_INDEX_BYTES) throw new FormatError(indexLabel, `index is ${size} bytes, above the ${MAX_INDEX_BYTES}-byte limit`, undefined, "format.invalid-index");
  const bytes = await folder.readWhole(INDEX_FILE, size);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(indexLabel, "is not valid UTF-8", undefined, "format.invalid-index");
  }
  const index = parseShardIndex(indexLabel, text);
  // Every shard the index names must be there before any header is read.
  const sizes = await mapLimit(index.shards, HEADER_CONCURRENCY, (shard) => folder.size(shard, indexLabel));
  const results = await mapLimit(index.shards, HEADER_CONCURRENCY, (shard, i) => readHeader(folder, shard, sizes[i]!));
  const perShard = new Map<string, TensorEntry[]>();
  let headerBytes = bytes.length;
  index.shards.forEach((shard, i) => {
    perShard.set(shard, results[i]!.tensors);
    headerBytes += results[i]!.bytes;
  });
  const fileIds = [identify(folder, INDEX_FILE, size, bytes), ...index.shards.map((shard, i) => identify(folder, shard, sizes[i]!, null))];
  return { tensors: reconcileShards(indexLabel, index, perShard), files: index.shards, headerBytes, fileIds };
}

/** Header only: bytes 0-7, then 8..8+N-1, each validated against the file's size. */
async function readHeader(folder: ModelFolder, file: string, size: number): Promise<{ tensors: TensorEntry[]; bytes: number }> {
  const label = folder.fileLabel(file);
  const prefixLen = Math.min(8, size);
  const prefix = prefixLen > 0 ? await folder.read(file, 0, prefixLen, size) : new Uint8Array(0);
  const n = readHeaderLength(label, prefix, size);
  const json = await folder.read(file, 8, 8 + n, size);
  const parsed = parseHeader(label, json, size);
  // Entries carry the relative shard name, not the label used in messages.
  return { tensors: parsed.tensors.map((t) => ({ ...t, file })), bytes: 8 + n };
}

const base = (n: string): string => n.slice(n.lastIndexOf("/") + 1);

/**
 * The problem (for a FormatError on the folder) given the names it holds,
 * e.g. "holds no model.safetensors or model.safetensors.index.json; it has:
 * adapter_model.safetensors, adapter_config.json (a LoRA adapter: compare the
 * merged model instead)".
 */
export function missingWeightsProblem(names: readonly string[]): string {
  const want = `no ${SINGLE_FILE} or ${INDEX_FILE}`;
  if (names.length === 0) return `is empty (${want})`;
  const shown = names.slice(0, MAX_LISTED_NAMES).join(", ") + (names.length > MAX_LISTED_NAMES ? `, and ${names.length - MAX_LISTED_NAMES} more` : "");
  const safetensors = names.filter((n) => n.endsWith(".safetensors"));
  const adapter = safetensors.some((n) => base(n) === "adapter_model.safetensors");
  const shards = safetensors.filter((n) => /^model-\d+-of-\d+\.safetensors$/.test(base(n)));
  const pickles = names.filter(isPickle);
  const notes: string[] = [];
  if (adapter) notes.push("a LoRA adapter: compare the merged model instead");
  if (shards.length > 0) notes.push(`${shards.length} shard${shards.length === 1 ? "" : "s"} but no ${INDEX_FILE}, which says which shard holds which tensor`);
  else if (!adapter && safetensors.length > 0) notes.push(`to compare ${safetensors.length === 1 ? "that .safetensors file" : "one of its .safetensors files"}, pass the file itself`);
  let out = `holds ${want}; it has: ${shown}${notes.length ? ` (${notes.join("; ")})` : ""}`;
  if (pickles.length > 0) out += "; fromscratch only reads safetensors (pickle checkpoints are never unpickled)";
  return out;
}
