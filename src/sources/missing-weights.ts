/**
 * What to say when a model folder (local directory or Hub repo) holds no
 * weights fromscratch can read: what it does hold, capped, and what that
 * suggests (a LoRA adapter, shards without their index, a pickle checkpoint,
 * a lone .safetensors file under another name).
 */
import { INDEX_FILE, SINGLE_FILE } from "../safetensors/shard-index.js";

/** Names listed before "and N more". */
export const MAX_LISTED_NAMES = 20;

const PICKLE_EXTENSIONS = [".bin", ".pt", ".pth", ".ckpt", ".pkl"];
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
  const pickles = names.filter((n) => PICKLE_EXTENSIONS.some((e) => n.endsWith(e)));
  const notes: string[] = [];
  if (adapter) notes.push("a LoRA adapter: compare the merged model instead");
  if (shards.length > 0) notes.push(`${shards.length} shard${shards.length === 1 ? "" : "s"} but no ${INDEX_FILE}, which says which shard holds which tensor`);
  else if (!adapter && safetensors.length > 0) notes.push(`to compare ${safetensors.length === 1 ? "that .safetensors file" : "one of its .safetensors files"}, pass the file itself`);
  let out = `holds ${want}; it has: ${shown}${notes.length ? ` (${notes.join("; ")})` : ""}`;
  if (pickles.length > 0) out += "; fromscratch only reads safetensors (pickle checkpoints are never unpickled)";
  return out;
}
