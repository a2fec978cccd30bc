/** Write a ModelSpec to a directory (cached per spec object within a process). */
import { tiny } from "../helpers/fixtures.js";
import { loadModel, saveModel } from "../helpers/model-io.js";
import { type ModelSpec, gpt2 } from "./cases.js";
import { tempDir } from "../helpers/temp.js";

const cache = new Map<ModelSpec, Promise<string>>();

export function materialise(spec: ModelSpec): Promise<string> {
  let p = cache.get(spec);
  if (!p) {
    p = (async () => {
      if (!spec.transform && !spec.dtype && !spec.shards && !spec.from.startsWith("gpt2")) return tiny(spec.from as Parameters<typeof tiny>[0]);
      const base = spec.from.startsWith("gpt2") ? { tensors: gpt2(spec.from), config: null } : await loadModel(await tiny(spec.from as Parameters<typeof tiny>[0]));
      const tensors = spec.transform ? spec.transform(base.tensors) : base.tensors;
      const dir = await tempDir("evasion");
      await saveModel(dir, tensors, { dtype: spec.dtype ?? "BF16", shards: spec.shards, config: base.config ?? undefined });
      return dir;
    })();
    cache.set(spec, p);
  }
  return p;
}
