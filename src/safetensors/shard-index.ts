/**
 * model.safetensors.index.json (a Hub convention, not part of the spec):
 * `{"metadata": {...}, "weight_map": {"tensor": "shard file"}}`.
 */
import { FormatError } from "../common/errors.js";
import { findDuplicateKey } from "./json-keys.js";

export const INDEX_FILE = "model.safetensors.index.json";
export const SINGLE_FILE = "model.safetensors";
/** The index is a small JSON; 250 MB is huggingface.js's own cap. */
export const MAX_INDEX_BYTES = 250_000_000;

export interface ShardIndex {
  /** tensor name -> shard file (relative, validated) */
  weightMap: Map<string, string>;
  /** distinct shards in first-seen order */
  shards: string[];
}

/** A shard name must stay inside the model directory: no absolute paths, no `..`, no backslashes. */
export function checkShardName(file: string, shard: string): void {
  if (
    shard.length === 0 ||
    shard.startsWith("/") ||
    shard.includes("\\") ||
    shard.includes("\0") ||
    shard.split("/").some((part) => part === ".." || part === "." || part === "")
  ) {
    throw new FormatError(file, `shard name ${JSON.stringify(shard)} is not a plain relative path inside the model`, undefined, "format.invalid-index");
  }
  if (!shard.endsWith(".safetensors")) {
    throw new FormatError(file, `shard ${JSON.stringify(shard)} is not a .safetensors file`, undefined, "format.invalid-index");
  }
}

export function parseShardIndex(file: string, text: string): ShardIndex {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FormatError(file, `not valid JSON (${(e as Error).message})`, undefined, "format.invalid-index");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new FormatError(file, "not a JSON object", undefined, "format.invalid-index");
  const dup = findDuplicateKey(text);
  if (dup !== null) throw new FormatError(file, `lists key ${JSON.stringify(dup)} twice`, undefined, "format.invalid-index");
  const wm = (parsed as Record<string, unknown>).weight_map;
  if (typeof wm !== "object" || wm === null || Array.isArray(wm)) throw new FormatError(file, "weight_map missing or not an object", undefined, "format.invalid-index");
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  const seen = new Set<string>();
  for (const [tensor, shard] of Object.entries(wm)) {
    if (typeof shard !== "string") throw new FormatError(file, `weight_map value for ${JSON.stringify(tensor)} is not a string`, undefined, "format.invalid-index");
    checkShardName(file, shard);
    weightMap.set(tensor, shard);
    if (!seen.has(shard)) {
      seen.add(shard);
      shards.push(shard);
    }
  }
  if (weightMap.size === 0) throw new FormatError(file, "weight_map is empty", undefined, "format.invalid-index");
  return { weightMap, shards };
}

/**
 * Check the shard headers against the index: every indexed tensor is in its
 * shard, and no tensor appears in two shards. Returns the tensors in index order.
 */
export function reconcileShards<T extends { name: string; file: string }>(
  indexFile: string,
  index: ShardIndex,
  perShard: Map<string, T[]>,
): T[] {
  const byName = new Map<string, T>();
  for (const [shard, tensors] of perShard) {
    for (const t of tensors) {
      const prev = byName.get(t.name);
      if (prev) throw new FormatError(indexFile, `tensor is stored in two shards (${prev.file} and ${shard})`, t.name, "format.index-mismatch");
      byName.set(t.name, t);
    }
  }
  const out: T[] = [];
  for (const [name, shard] of index.weightMap) {
    const t = byName.get(name);
    if (!t) throw new FormatError(indexFile, `index lists this tensor in ${shard}, but that shard does not contain it`, name, "format.index-mismatch");
    if (t.file !== shard) throw new FormatError(indexFile, `index says shard ${shard}, but it is stored in ${t.file}`, name, "format.index-mismatch");
    out.push(t);
  }
  for (const [name, t] of byName) {
    if (!index.weightMap.has(name)) throw new FormatError(indexFile, `shard ${t.file} holds a tensor the index does not list`, name, "format.index-mismatch");
  }
  return out;
}
