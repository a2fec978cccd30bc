/**
 * Corrupt model files for the error-path tests: each kind starts from a valid
 * small model (serializeSafetensors + encodeFloats) and breaks exactly one
 * thing. `writeCorrupt` writes one kind under `dir` and says what to pass as a
 * SOURCE, which file (basename) the error must name, and what the problem is.
 */
import { mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { encodeFloats } from "../../src/safetensors/dtypes.js";
import { type TensorBytes, serializeSafetensors } from "../../src/safetensors/writer.js";

/** Kinds that are one broken .safetensors file (usable as a directory or as the file itself). */
export const SINGLE_FILE_KINDS = [
  "truncated",
  "header-length-too-large",
  "header-length-u64-max",
  "header-length-past-eof",
  "header-length-tiny",
  "too-short",
  "empty-file",
  "not-json",
  "not-utf8",
  "not-object",
  "duplicate-key",
  "entry-not-object",
  "dtype-missing",
  "unknown-dtype",
  "negative-offset",
  "offsets-reversed",
  "overlapping-offsets",
  "gap",
  "offsets-past-buffer",
  "span-mismatch",
  "not-whole-bytes",
  "element-overflow",
  "bad-shape",
  "metadata-wrong-type",
  "metadata-not-object",
  "trailing-bytes",
] as const;

/** Kinds that are a broken directory (index + shards, pickles). */
export const DIRECTORY_KINDS = [
  "index-shard-dotdot",
  "index-shard-absolute",
  "index-shard-not-safetensors",
  "index-missing-shard",
  "index-tensor-not-in-shard",
  "index-wrong-shard",
  "shard-tensor-not-in-index",
  "tensor-in-two-shards",
  "index-not-json",
  "index-duplicate-key",
  "index-no-weight-map",
  "index-empty-weight-map",
  "shard-corrupt",
  "shard-symlink-escape",
  "pickle-only-dir",
  "pickle-file",
  "empty-dir",
  "lora-adapter-only",
  "shards-without-index",
  "other-safetensors-name",
  "many-files",
] as const;

export const CORRUPT_KINDS = [...SINGLE_FILE_KINDS, ...DIRECTORY_KINDS] as const;

export type SingleFileKind = (typeof SINGLE_FILE_KINDS)[number];
export type CorruptKind = (typeof CORRUPT_KINDS)[number];

export interface CorruptCase {
  kind: CorruptKind;
  /** What to pass as --candidate / --reference. */
  source: string;
  /** Basename of the file the error message must name. */
  file: string;
  /** The problem the error message must state. */
  problem: RegExp;
}

export const SHARD_1 = "model-00001-of-00002.safetensors";
export const SHARD_2 = "model-00002-of-00002.safetensors";
export const INDEX = "model.safetensors.index.json";

function floats(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(seed * 7919 + i * 0.37) * 0.25;
  return a;
}

function tensor(name: string, dtype: "F32" | "F16" | "BF16", shape: number[], seed: number): TensorBytes {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, dtype, shape, data: encodeFloats(dtype, floats(n, seed)) };
}

/**
 * The valid base model: embed BF16 [16, 8] at [0, 256], q_proj F16 [8, 8] at
 * [256, 384], norm F32 [8] at [384, 416]; a 416-byte data buffer.
 */
export function baseTensors(): TensorBytes[] {
  return [
    tensor("model.embed_tokens.weight", "BF16", [16, 8], 1),
    tensor("model.layers.0.self_attn.q_proj.weight", "F16", [8, 8], 2),
    tensor("model.norm.weight", "F32", [8], 3),
  ];
}

type Entry = { dtype: unknown; shape: unknown; data_offsets: unknown };
type Header = Record<string, unknown>;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function dataOf(tensors: TensorBytes[]): Uint8Array {
  return concat(tensors.map((t) => t.data));
}

function headerOf(tensors: TensorBytes[], metadata: Record<string, unknown> | null = { format: "pt" }): Header {
  const h: Header = {};
  if (metadata) h.__metadata__ = metadata;
  let o = 0;
  for (const t of tensors) {
    h[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [o, o + t.data.length] } satisfies Entry;
    o += t.data.length;
  }
  return h;
}

/** A safetensors file from raw header bytes (padded with spaces to 8) and data; `length` overrides the 8-byte prefix. */
export function assemble(header: string | Uint8Array, data: Uint8Array, length?: bigint): Uint8Array {
  let bytes = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const pad = (8 - (bytes.length % 8)) % 8;
  if (pad) bytes = concat([bytes, new TextEncoder().encode(" ".repeat(pad))]);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, length ?? BigInt(bytes.length), true);
  return concat([prefix, bytes, data]);
}

function withEntry(h: Header, name: string, patch: Partial<Entry>): Header {
  return { ...h, [name]: { ...(h[name] as Entry), ...patch } };
}

const EMBED = "model.embed_tokens.weight";
const Q = "model.layers.0.self_attn.q_proj.weight";
const NORM = "model.norm.weight";

/** The broken bytes of one single-file kind, and the problem the parser must report. */
export function corruptBytes(kind: SingleFileKind): { bytes: Uint8Array; problem: RegExp } {
  const ts = baseTensors();
  const data = dataOf(ts);
  const h = headerOf(ts);
  const valid = serializeSafetensors(ts, { format: "pt" });
  const json = JSON.stringify(h);
  switch (kind) {
    case "truncated":
      return {
        bytes: valid.slice(0, valid.length - 100),
        problem: new RegExp(
          `data_offsets \\[256, 384\\] run past the 316-byte data buffer: the file is ${valid.length - 100} bytes, its header describes ${valid.length} \\(truncated or incomplete download\\)`,
        ),
      };
    case "header-length-too-large":
      return { bytes: assemble(json, data, 100_000_001n), problem: /header length 100000001 exceeds the 100,000,000-byte limit/ };
    case "header-length-u64-max":
      return { bytes: assemble(json, data, 2n ** 64n - 1n), problem: /header length 18446744073709551615 exceeds the 100,000,000-byte limit/ };
    case "header-length-past-eof": {
      const b = new Uint8Array(valid);
      new DataView(b.buffer).setBigUint64(0, BigInt(b.length), true);
      return { bytes: b, problem: new RegExp(`header length ${b.length} runs past the end of the ${b.length}-byte file \\(truncated or incomplete download, or not safetensors\\)`) };
    }
    case "header-length-tiny":
      return { bytes: assemble(json, data, 1n), problem: /header length 1 is too small for a JSON object/ };
    case "too-short":
      return { bytes: new Uint8Array([1, 0, 0, 0, 0]), problem: /file is 5 bytes, too short to be safetensors/ };
    case "empty-file":
      return { bytes: new Uint8Array(0), problem: /file is 0 bytes, too short to be safetensors/ };
    case "not-json":
      return { bytes: assemble(`{"${NORM}": {"dtype": F32}}`, data), problem: /header is not valid JSON/ };
    case "not-utf8": {
      const text = new TextEncoder().encode(json);
      // Put a lone continuation byte inside the first key.
      const broken = concat([text.subarray(0, 2), new Uint8Array([0xff, 0xfe]), text.subarray(2)]);
      return { bytes: assemble(broken, data), problem: /header is not valid UTF-8/ };
    }
    case "not-object":
      return { bytes: assemble("[]", data), problem: /header does not start with '\{'/ };
    case "duplicate-key": {
      const norm = JSON.stringify(h[NORM]);
      const text = json.slice(0, -1) + `,${JSON.stringify(NORM)}:${norm}}`;
      return { bytes: assemble(text, data), problem: /header lists key "model\.norm\.weight" twice/ };
    }
    case "entry-not-object":
      return { bytes: assemble(JSON.stringify({ ...h, [NORM]: "F32" }), data), problem: /tensor "model\.norm\.weight"\): entry is not an object/ };
    case "dtype-missing":
      return { bytes: assemble(JSON.stringify(withEntry(h, NORM, { dtype: undefined })), data), problem: /tensor "model\.norm\.weight"\): dtype missing or not a string/ };
    case "unknown-dtype":
      return { bytes: assemble(JSON.stringify(withEntry(h, NORM, { dtype: "F17" })), data), problem: /tensor "model\.norm\.weight"\): unknown dtype "F17"/ };
    case "negative-offset":
      return {
        bytes: assemble(JSON.stringify(withEntry(h, NORM, { data_offsets: [-32, 0] })), data),
        problem: /tensor "model\.norm\.weight"\): data_offsets must be \[begin, end\] with non-negative integers/,
      };
    case "offsets-reversed":
      return {
        bytes: assemble(JSON.stringify(withEntry(h, NORM, { data_offsets: [416, 384] })), data),
        problem: /tensor "model\.norm\.weight"\): data_offsets \[416, 384\] end before they begin/,
      };
    case "overlapping-offsets":
      // q_proj starts 8 bytes inside embed; norm follows q_proj; the buffer is 8 bytes short of the declared spans.
      return {
        bytes: assemble(JSON.stringify(withEntry(withEntry(h, Q, { data_offsets: [248, 376] }), NORM, { data_offsets: [376, 408] })), data.subarray(0, 408)),
        problem: /tensor "model\.layers\.0\.self_attn\.q_proj\.weight"\): data_offsets \[248, 376\] overlap the previous tensor/,
      };
    case "gap":
      return {
        bytes: assemble(JSON.stringify(withEntry(withEntry(h, Q, { data_offsets: [264, 392] }), NORM, { data_offsets: [392, 424] })), concat([data, new Uint8Array(8)])),
        problem: /tensor "model\.layers\.0\.self_attn\.q_proj\.weight"\): gap in the data buffer before this tensor \(bytes 256\.\.264 belong to no tensor\)/,
      };
    case "offsets-past-buffer":
      return {
        bytes: assemble(JSON.stringify(withEntry(h, NORM, { shape: [24], data_offsets: [384, 480] })), data),
        problem: /tensor "model\.norm\.weight"\): data_offsets \[384, 480\] run past the 416-byte data buffer: the file is \d+ bytes, its header describes \d+ \(truncated or incomplete download\)/,
      };
    case "span-mismatch":
      return {
        bytes: assemble(JSON.stringify(withEntry(h, NORM, { shape: [9] })), data),
        problem: /tensor "model\.norm\.weight"\): byte span 32 does not match shape \[9\] x F32 = 36 bytes/,
      };
    case "not-whole-bytes":
      return {
        bytes: assemble(JSON.stringify(withEntry(h, NORM, { dtype: "F4", shape: [3] })), data),
        problem: /tensor "model\.norm\.weight"\): shape \[3\] of F4 is not a whole number of bytes/,
      };
    case "element-overflow":
      return {
        bytes: assemble(JSON.stringify(withEntry(h, NORM, { shape: [2 ** 31, 2 ** 31, 2 ** 31] })), data),
        problem: /tensor "model\.norm\.weight"\): shape \[2147483648, 2147483648, 2147483648\] has too many elements/,
      };
    case "bad-shape":
      return {
        bytes: assemble(JSON.stringify(withEntry(h, NORM, { shape: [8.5] })), data),
        problem: /tensor "model\.norm\.weight"\): shape must be an array of non-negative integers/,
      };
    case "metadata-wrong-type":
      return { bytes: assemble(JSON.stringify({ ...h, __metadata__: { format: 1 } }), data), problem: /__metadata__\["format"\] must be a string/ };
    case "metadata-not-object":
      return { bytes: assemble(JSON.stringify({ ...h, __metadata__: ["pt"] }), data), problem: /__metadata__ must be an object of strings/ };
    case "trailing-bytes":
      return {
        bytes: concat([valid, new Uint8Array(16).fill(7)]),
        problem: /data buffer is 432 bytes but the tensors cover 416 \(trailing bytes or truncated file\)/,
      };
  }
}

function isSingle(kind: CorruptKind): kind is SingleFileKind {
  return (SINGLE_FILE_KINDS as readonly string[]).includes(kind);
}

/** A valid two-shard model: embed + q_proj in shard 1, norm in shard 2. */
function shards(): { s1: TensorBytes[]; s2: TensorBytes[]; weightMap: Record<string, string> } {
  const [embed, q, norm] = baseTensors() as [TensorBytes, TensorBytes, TensorBytes];
  return { s1: [embed, q], s2: [norm], weightMap: { [EMBED]: SHARD_1, [Q]: SHARD_1, [NORM]: SHARD_2 } };
}

async function writeSharded(
  dir: string,
  opts: { s1?: TensorBytes[]; s2?: TensorBytes[] | null; weightMap?: Record<string, string>; indexText?: string } = {},
): Promise<void> {
  const base = shards();
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, SHARD_1), serializeSafetensors(opts.s1 ?? base.s1));
  if (opts.s2 !== null) await writeFile(path.join(dir, SHARD_2), serializeSafetensors(opts.s2 ?? base.s2));
  await writeFile(
    path.join(dir, INDEX),
    opts.indexText ?? JSON.stringify({ metadata: { total_size: 416 }, weight_map: opts.weightMap ?? base.weightMap }, null, 2),
  );
}

/**
 * Write one corrupt kind into a fresh subdirectory of `dir`. Single-file kinds
 * are a directory holding a broken model.safetensors, or with `asFile` the
 * broken file itself (named `broken-<kind>.safetensors`).
 */
export async function writeCorrupt(dir: string, kind: CorruptKind, opts: { asFile?: boolean } = {}): Promise<CorruptCase> {
  if (isSingle(kind)) {
    const { bytes, problem } = corruptBytes(kind);
    const sub = path.join(dir, opts.asFile ? `${kind}-file` : kind);
    await mkdir(sub, { recursive: true });
    const name = opts.asFile ? `broken-${kind}.safetensors` : "model.safetensors";
    await writeFile(path.join(sub, name), bytes);
    return { kind, source: opts.asFile ? path.join(sub, name) : sub, file: name, problem };
  }
  const sub = path.join(dir, kind);
  const base = shards();
  const done = (file: string, problem: RegExp, source = sub): CorruptCase => ({ kind, source, file, problem });
  switch (kind) {
    case "index-shard-dotdot":
      await writeSharded(sub, { weightMap: { ...base.weightMap, [NORM]: "../x.safetensors" } });
      return done(INDEX, /shard name "\.\.\/x\.safetensors" is not a plain relative path inside the model/);
    case "index-shard-absolute":
      await writeSharded(sub, { weightMap: { ...base.weightMap, [NORM]: "/tmp/x.safetensors" } });
      return done(INDEX, /shard name "\/tmp\/x\.safetensors" is not a plain relative path inside the model/);
    case "index-shard-not-safetensors":
      await writeSharded(sub, { weightMap: { ...base.weightMap, [NORM]: "pytorch_model-00002.bin" } });
      return done(INDEX, /shard "pytorch_model-00002\.bin" is not a \.safetensors file/);
    case "index-missing-shard":
      await writeSharded(sub, { s2: null });
      return done(SHARD_2, /file not found/);
    case "index-tensor-not-in-shard":
      await writeSharded(sub, { weightMap: { ...base.weightMap, "model.layers.9.mlp.up_proj.weight": SHARD_1 } });
      return done(INDEX, /tensor "model\.layers\.9\.mlp\.up_proj\.weight"\): index lists this tensor in model-00001-of-00002\.safetensors, but that shard does not contain it/);
    case "index-wrong-shard":
      await writeSharded(sub, { weightMap: { ...base.weightMap, [Q]: SHARD_2 } });
      return done(INDEX, /tensor "model\.layers\.0\.self_attn\.q_proj\.weight"\): index says shard model-00002-of-00002\.safetensors, but it is stored in model-00001-of-00002\.safetensors/);
    case "shard-tensor-not-in-index": {
      const { [Q]: _q, ...rest } = base.weightMap;
      await writeSharded(sub, { weightMap: rest });
      return done(INDEX, /tensor "model\.layers\.0\.self_attn\.q_proj\.weight"\): shard model-00001-of-00002\.safetensors holds a tensor the index does not list/);
    }
    case "tensor-in-two-shards": {
      const norm = base.s2[0]!;
      await writeSharded(sub, { s1: [...base.s1, norm] });
      return done(INDEX, /tensor "model\.norm\.weight"\): tensor is stored in two shards \(model-00001-of-00002\.safetensors and model-00002-of-00002\.safetensors\)/);
    }
    case "index-not-json":
      await writeSharded(sub, { indexText: '{"weight_map": {"a": ' });
      return done(INDEX, /not valid JSON/);
    case "index-duplicate-key":
      await writeSharded(sub, {
        indexText: `{"weight_map": {"${EMBED}": "${SHARD_1}", "${Q}": "${SHARD_1}", "${NORM}": "${SHARD_2}", "${NORM}": "${SHARD_1}"}}`,
      });
      return done(INDEX, /lists key "model\.norm\.weight" twice/);
    case "index-no-weight-map":
      await writeSharded(sub, { indexText: JSON.stringify({ metadata: {}, weightmap: base.weightMap }) });
      return done(INDEX, /weight_map missing or not an object/);
    case "index-empty-weight-map":
      await writeSharded(sub, { weightMap: {} });
      return done(INDEX, /weight_map is empty/);
    case "shard-corrupt": {
      await writeSharded(sub);
      const { bytes, problem } = corruptBytes("header-length-past-eof");
      await writeFile(path.join(sub, SHARD_2), bytes);
      return done(SHARD_2, problem);
    }
    case "shard-symlink-escape": {
      await writeSharded(sub, { s2: null });
      const outside = path.join(dir, `${kind}-outside.safetensors`);
      await writeFile(outside, serializeSafetensors(base.s2));
      await symlink(outside, path.join(sub, SHARD_2));
      return done(SHARD_2, /resolves outside the model directory/);
    }
    case "pickle-only-dir":
      await mkdir(sub, { recursive: true });
      // The pickle protocol 2 header; never unpickled.
      await writeFile(path.join(sub, "pytorch_model.bin"), new Uint8Array([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]));
      await writeFile(path.join(sub, "config.json"), "{}\n");
      return done(
        "pytorch_model.bin",
        /holds no model\.safetensors or model\.safetensors\.index\.json; it has: config\.json, pytorch_model\.bin; fromscratch only reads safetensors \(pickle checkpoints are never unpickled\)/,
      );
    case "pickle-file": {
      await mkdir(sub, { recursive: true });
      const p = path.join(sub, "pytorch_model.bin");
      await writeFile(p, new Uint8Array([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]));
      return done("pytorch_model.bin", /is a pickle checkpoint; fromscratch only reads safetensors/, p);
    }
    case "empty-dir":
      await mkdir(sub, { recursive: true });
      return done("model.safetensors", /empty-dir: is empty \(no model\.safetensors or model\.safetensors\.index\.json\)/);
    case "lora-adapter-only":
      await mkdir(sub, { recursive: true });
      await writeFile(path.join(sub, "adapter_model.safetensors"), serializeSafetensors(baseTensors()));
      await writeFile(path.join(sub, "adapter_config.json"), '{"peft_type": "LORA"}\n');
      return done(
        "adapter_model.safetensors",
        /holds no model\.safetensors or model\.safetensors\.index\.json; it has: adapter_config\.json, adapter_model\.safetensors \(a LoRA adapter: compare the merged model instead\)/,
      );
    case "shards-without-index":
      await writeSharded(sub);
      await rm(path.join(sub, INDEX));
      return done(
        SHARD_1,
        /holds no model\.safetensors or model\.safetensors\.index\.json; it has: model-00001-of-00002\.safetensors, model-00002-of-00002\.safetensors \(2 shards but no model\.safetensors\.index\.json, which says which shard holds which tensor\)/,
      );
    case "other-safetensors-name":
      await mkdir(sub, { recursive: true });
      await writeFile(path.join(sub, "weights.safetensors"), serializeSafetensors(baseTensors()));
      return done("weights.safetensors", /it has: weights\.safetensors \(to compare that \.safetensors file, pass the file itself\)/);
    case "many-files":
      // 25 files: the first 20 (sorted) are listed, then the count of the rest.
      await mkdir(sub, { recursive: true });
      for (let i = 0; i < 25; i++) await writeFile(path.join(sub, `notes-${String(i).padStart(2, "0")}.txt`), "x");
      return done("notes-19.txt", /it has: notes-00\.txt, notes-01\.txt, .*, notes-19\.txt, and 5 more$/);
  }
}
