/** One tensor as stored: `begin`/`end` are absolute byte offsets in `file` (header included). */
export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** File name relative to the model root, e.g. "model.safetensors" or "model-00001-of-00002.safetensors". */
  file: string;
  begin: number;
  end: number;
}
