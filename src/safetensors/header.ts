/**
 * Strict safetensors header validation, after huggingface/safetensors'
 * tensor.rs: one precise error per failure, and no allocation sized by an
 * untrusted number before it has been checked against the file size.
 */
import { FormatError } from "../common/errors.js";
import type { TensorEntry } from "./entry.js";
import { DTYPE_BITS } from "./dtypes.js";
import { findDuplicateKey } from "./json-keys.js";

export const MAX_HEADER_BYTES = 100_000_000;

export interface ParsedHeader {
  tensors: TensorEntry[];
  metadata: Record<string, string> | null;
  /** Byte offset where the data buffer starts (8 + header length). */
  dataStart: number;
}

/** Validate the 8-byte little-endian header length against the file size; returns it. */
export function readHeaderLength(file: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8 || prefix.length < 8) {
    throw new FormatError(file, `file is ${fileSize} bytes, too short to be safetensors (needs an 8-byte header length)`, undefined, "format.header-too-small");
  }
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const big = dv.getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(file, `header length ${big} exceeds the 100,000,000-byte limit (not a safetensors file, or corrupt)`, undefined, "format.header-too-large");
  }
  const n = Number(big);
  if (8 + n > fileSize) {
    throw new FormatError(file, `header length ${n} runs past the end of the ${fileSize}-byte file (truncated or incomplete download, or not safetensors)`, undefined, "format.truncated");
  }
  if (n < 2) throw new FormatError(file, `header length ${n} is too small for a JSON object`, undefined, "format.header-too-small");
  return n;
}

function product(file: string, name: string, shape: number[]): number {
  let numel = 1;
  for (const d of shape) {
    numel *= d;
    if (!Number.isSafeInteger(numel)) throw new FormatError(file, `shape [${shape.join(", ")}] has too many elements`, name, "format.overflow");
  }
  return numel;
}

/** The largest data_offsets end among the header's well-formed entries: where the data buffer should end. */
function describedEnd(entries: Record<string, unknown>): number {
  let max = 0;
  for (const [name, raw] of Object.entries(entries)) {
    if (name === "__metadata__" || typeof raw !== "object" || raw === null) continue;
    const offsets = (raw as Record<string, unknown>).data_offsets;
    if (Array.isArray(offsets) && offsets.length === 2 && Number.isSafeInteger(offsets[1])) max = Math.max(max, offsets[1] as number);
  }
  return max;
}

/**
 * Parse and validate the JSON header. `json` holds exactly the header bytes;
 * `fileSize` is the whole file's size. Offsets in the result are absolute.
 */
export function parseHeader(file: string, json: Uint8Array, fileSize: number): ParsedHeader {
  const dataStart = 8 + json.length;
  const parsed = headerObject(file, json);
  const at = { file, dataStart, fileSize, bufferSize: fileSize - dataStart, parsed };
  let metadata: Record<string, string> | null = null;
  const tensors: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(parsed)) {
    if (name === "__metadata__") metadata = metadataOf(file, raw);
    else tensors.push(entryOf(at, name, raw));
  }
  checkCoverage(at, tensors);
  return { tensors, metadata, dataStart };
}

/** The header's bytes as a JSON object: UTF-8, starting with '{', no key twice. */
function headerObject(file: string, json: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    // ignoreBOM: keep a byte-order mark, so the '{' check below rejects it as the reference reader does.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(json);
  } catch {
    throw new FormatError(file, "header is not valid UTF-8", undefined, "format.invalid-header");
  }
  if (!text.startsWith("{")) throw new FormatError(file, "header does not start with '{' (not a safetensors JSON header)", undefined, "format.invalid-header");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FormatError(file, `header is not valid JSON (${(e as Error).message})`, undefined, "format.invalid-header");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new FormatError(file, "header is not a JSON object", undefined, "format.invalid-header");
  }
  const dup = findDuplicateKey(text);
  if (dup !== null) throw new FormatError(file, `header lists key ${JSON.stringify(dup)} twice`, undefined, "format.invalid-header");
  return parsed as Record<string, unknown>;
}

function metadataOf(file: string, raw: unknown): Record<string, string> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new FormatError(file, "__metadata__ must be an object of strings", undefined, "format.invalid-header");
  }
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== "string") throw new FormatError(file, `__metadata__[${JSON.stringify(k)}] must be a string`, undefined, "format.invalid-header");
  }
  return raw as Record<string, string>;
}

/** Where the header sits in its file, for the checks of each entry. */
interface HeaderAt {
  file: string;
  dataStart: number;
  fileSize: number;
  bufferSize: number;
  parsed: Record<string, unknown>;
}

/** One tensor entry, validated: dtype, shape, offsets inside the buffer and matching the shape. */
function entryOf(at: HeaderAt, name: string, raw: unknown): TensorEntry {
  const { file, dataStart, fileSize, bufferSize } = at;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new FormatError(file, "entry is not an object with dtype, shape and data_offsets", name, "format.invalid-header");
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== "string") throw new FormatError(file, "dtype missing or not a string", name, "format.invalid-header");
  const bits = Object.hasOwn(DTYPE_BITS, dtype) ? DTYPE_BITS[dtype] : undefined;
  if (bits === undefined) throw new FormatError(file, `unknown dtype ${JSON.stringify(dtype)}`, name, "format.unknown-dtype");
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new FormatError(file, "shape must be an array of non-negative integers", name, "format.invalid-header");
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new FormatError(file, "data_offsets must be [begin, end] with non-negative integers", name, "format.invalid-offsets");
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw new FormatError(file, `data_offsets [${begin}, ${end}] end before they begin`, name, "format.invalid-offsets");
  if (end > bufferSize) {
    const expected = dataStart + describedEnd(at.parsed);
    throw new FormatError(
      file,
      `data_offsets [${begin}, ${end}] run past the ${bufferSize}-byte data buffer: the file is ${fileSize} bytes, its header describes ${expected} (truncated or incomplete download)`,
      name,
      "format.truncated",
    );
  }
  const numel = product(file, name, shape as number[]);
  const totalBits = numel * bits;
  if (!Number.isSafeInteger(totalBits)) {
    throw new FormatError(file, `shape [${shape.join(", ")}] of ${dtype} is too large (${numel} elements)`, name, "format.overflow");
  }
  if (totalBits % 8 !== 0) {
    throw new FormatError(file, `shape [${shape.join(", ")}] of ${dtype} is not a whole number of bytes`, name, "format.misaligned");
  }
  if (end - begin !== totalBits / 8) {
    throw new FormatError(file, `byte span ${end - begin} does not match shape [${shape.join(", ")}] x ${dtype} = ${totalBits / 8} bytes`, name, "format.invalid-offsets");
  }
  return { name, dtype, shape: shape as number[], file, begin: dataStart + begin, end: dataStart + end };
}

/** The data buffer must be covered exactly: sorted spans contiguous from 0 to the end of file. */
function checkCoverage(at: HeaderAt, tensors: TensorEntry[]): void {
  const { file, dataStart, fileSize, bufferSize } = at;
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = dataStart;
  for (const t of sorted) {
    if (t.begin < cursor) {
      throw new FormatError(file, `data_offsets [${t.begin - dataStart}, ${t.end - dataStart}] overlap the previous tensor`, t.name, "format.invalid-offsets");
    }
    if (t.begin > cursor) {
      throw new FormatError(file, `gap in the data buffer before this tensor (bytes ${cursor - dataStart}..${t.begin - dataStart} belong to no tensor)`, t.name, "format.invalid-offsets");
    }
    cursor = t.end;
  }
  if (cursor !== fileSize) {
    throw new FormatError(file, `data buffer is ${bufferSize} bytes but the tensors cover ${cursor - dataStart} (trailing bytes or truncated file)`, undefined, "format.invalid-offsets");
  }
}
