/**
 * Model transforms and generators for the audit cases (test/audit/cases.ts):
 * structure that makes INDEPENDENT models look alike (heavy special-token
 * rows, gate/up or q/k aligned inside each model, identity-initialised
 * projectors, deterministic tables such as sinusoidal positions, mel filters
 * and STFT bases, init buffers, a shared initialisation) and reuse that
 * changes shapes or mixes sources (low-rank merges, grafted layers, GQA
 * attention transplants, Net2Net widening, width pruning, sparse upcycling).
 *
 * Same conventions as evasions.ts: pure (inputs never mutated; unchanged
 * tensors may be shared), deterministic given the seed, Linear weights
 * [out, in], Llama layout inferred by `llamaLayout`.
 */
import { type FloatTensors, gaussian } from "../../src/examples/generate.js";
import { type Tensor, constantsLikeInit, dims, findStack, llamaLayout, permutation, tensorSeed, uniform } from "./evasions.js";

// ---------------------------------------------------------------------------
// Small numeric helpers

function get(m: FloatTensors, name: string): Tensor {
  const t = m.get(name);
  if (!t) throw new Error(`tensor ${name} not found`);
  return t;
}

function layerTensor(m: FloatTensors, base: string, i: number, suffix: string): string {
  return `${base}layers.${i}.${suffix}`;
}

function meanSd(x: Float32Array): { mean: number; sd: number } {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length || 1;
  let ss = 0;
  for (const v of x) ss += (v - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / (x.length || 1)) };
}

/** Pearson correlation of two equally long arrays (0 when either is constant). */
export function pearson(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`pearson: ${a.length} vs ${b.length} values`);
  const ma = meanSd(a).mean;
  const mb = meanSd(b).mean;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

function rowNorm(t: Tensor, i: number): number {
  const [, c] = dims(t);
  let s = 0;
  for (let j = 0; j < c; j++) s += t.data[i * c + j]! ** 2;
  return Math.sqrt(s);
}

function colNorm(t: Tensor, j: number): number {
  const [r, c] = dims(t);
  let s = 0;
  for (let i = 0; i < r; i++) s += t.data[i * c + j]! ** 2;
  return Math.sqrt(s);
}

function gaussianTensor(shape: number[], sd: number, g: () => number, mean = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = mean + sd * g();
  return { shape, data };
}

/**
 * A matrix that looks trained rather than freshly drawn: N(0, 1/fan_in) times
 * a log-normal scale per row (sd 0.3) and per input column (sd 0.2), so rows
 * and columns have uneven norms. `shape[0]` rows, the rest is fan-in.
 */
export function trainedLooking(shape: number[], g: () => number, gain = 1): Tensor {
  const rows = shape[0]!;
  const cols = shape.slice(1).reduce((a, b) => a * b, 1);
  const rs = Float64Array.from({ length: rows }, () => Math.exp(0.3 * g()));
  const cs = Float64Array.from({ length: cols }, () => Math.exp(0.2 * g()));
  const data = new Float32Array(rows * cols);
  const base = gain / Math.sqrt(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = base * rs[i]! * cs[j]! * g();
  return { shape: [...shape], data };
}

/** W + relative * sd(W) * N(0, 1) for the tensors `pick` selects (noise seeded per name); others pass through. */
export function noiseWhere(m: FloatTensors, seed: number, relative: number, pick: (name: string, t: Tensor) => boolean = () => true): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [name, t] of m) {
    if (!pick(name, t) || relative === 0) {
      out.set(name, t);
      continue;
    }
    const { sd } = meanSd(t.data);
    const g = gaussian(tensorSeed(seed, name));
    const data = new Float32Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = t.data[i]! + relative * sd * g();
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}

// ---------------------------------------------------------------------------
// 1. Heavy special-token rows

/**
 * Set embedding rows `ids` to `factor` x the table's median row norm, each in a
 * random direction (seeded: two models given different seeds get independent
 * directions). Models with huge BOS/PAD rows look like this.
 */
export function heavyEmbeddingRows(m: FloatTensors, opts: { ids: number[]; factor: number; seed: number }): FloatTensors {
  const lay = llamaLayout(m);
  if (!lay.embed) throw new Error("no embedding table");
  const t = get(m, lay.embed);
  const [r, c] = dims(t);
  const norms = Array.from({ length: r }, (_, i) => rowNorm(t, i)).sort((a, b) => a - b);
  const typical = norms[r >> 1]!;
  const g = gaussian(opts.seed);
  const data = t.data.slice();
  for (const id of opts.ids) {
    const dir = Float64Array.from({ length: c }, () => g());
    const n = Math.hypot(...dir);
    for (let j = 0; j < c; j++) data[id * c + j] = (opts.factor * typical * dir[j]!) / n;
  }
  const out: FloatTensors = new Map(m);
  out.set(lay.embed, { shape: [...t.shape], data });
  return out;
}

// ---------------------------------------------------------------------------
// 2. Rows aligned inside one model

/**
 * Row i of `target` rotated towards row i of `source`: its norm is kept, its
 * direction becomes c * source_i/|source_i| + sqrt(1 - c^2) * (the part of
 * target_i orthogonal to source_i, normalised), so cos(target_i', source_i) = c
 * exactly. `cosOf(i)` gives c, or null to leave the row as it is.
 */
export function alignRows(target: Tensor, source: Tensor, cosOf: (row: number) => number | null): Tensor {
  const [r, c] = dims(target);
  const [rs, cs] = dims(source);
  if (r !== rs || c !== cs) throw new Error(`alignRows: [${r}, ${c}] vs [${rs}, ${cs}]`);
  const data = target.data.slice();
  const s = new Float64Array(c);
  const e = new Float64Array(c);
  for (let i = 0; i < r; i++) {
    const k = cosOf(i);
    if (k === null) continue;
    const tn = rowNorm(target, i);
    const sn = rowNorm(source, i);
    if (tn === 0 || sn === 0) continue;
    let dot = 0;
    for (let j = 0; j < c; j++) {
      s[j] = source.data[i * c + j]! / sn;
      dot += s[j]! * target.data[i * c + j]!;
    }
    let en = 0;
    for (let j = 0; j < c; j++) {
      e[j] = target.data[i * c + j]! - dot * s[j]!;
      en += e[j]! ** 2;
    }
    en = Math.sqrt(en);
    const o = Math.sqrt(Math.max(0, 1 - k * k));
    for (let j = 0; j < c; j++) data[i * c + j] = tn * (k * s[j]! + (en > 0 ? (o * e[j]!) / en : 0));
  }
  return { shape: [...target.shape], data };
}

/** Every layer's up_proj rows aligned with the same layer's gate_proj rows (`cosOf(layer, unit)`). */
export function alignUpWithGate(m: FloatTensors, cosOf: (layer: number, unit: number) => number | null): FloatTensors {
  const lay = llamaLayout(m);
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < lay.layers; i++) {
    const up = layerTensor(m, lay.base, i, "mlp.up_proj.weight");
    out.set(up, alignRows(get(m, up), get(m, layerTensor(m, lay.base, i, "mlp.gate_proj.weight")), (u) => cosOf(i, u)));
  }
  return out;
}

/** Every layer's k_proj rows aligned with the q_proj rows of the same head (MHA: row for row). */
export function alignKWithQ(m: FloatTensors, cosOf: (layer: number, row: number) => number | null): FloatTensors {
  const lay = llamaLayout(m);
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < lay.layers; i++) {
    const k = layerTensor(m, lay.base, i, "self_attn.k_proj.weight");
    out.set(k, alignRows(get(m, k), get(m, layerTensor(m, lay.base, i, "self_attn.q_proj.weight")), (r) => cosOf(i, r)));
  }
  return out;
}

/** cos in [lo, hi] for every unit (uniform, seeded). */
export function cosUniform(seed: number, lo: number, hi: number): (layer: number, unit: number) => number {
  const cache = new Map<string, number>();
  return (layer, unit) => {
    const key = `${layer}:${unit}`;
    let v = cache.get(key);
    if (v === undefined) {
      v = lo + (hi - lo) * uniform(tensorSeed(seed, key))();
      cache.set(key, v);
    }
    return v;
  };
}

/** cos = `c` for a random `fraction` of the units of every layer (seeded), others untouched. */
export function cosFraction(seed: number, units: number, fraction: number, c: number): (layer: number, unit: number) => number | null {
  const chosen = new Map<number, Set<number>>();
  return (layer, unit) => {
    let s = chosen.get(layer);
    if (!s) {
      s = new Set(permutation(units, uniform(tensorSeed(seed, `layer${layer}`))).slice(0, Math.round(fraction * units)));
      chosen.set(layer, s);
    }
    return s.has(unit) ? c : null;
  };
}

// ---------------------------------------------------------------------------
// 3. Identity-initialised projector

/**
 * A LLaVA-like projector initialised at the identity and trained a little:
 * `multi_modal_projector.linear_1.weight` [d, d] = I + noise with |noise|_F =
 * `relative` * |I|_F, and `linear_2.weight` [d, d] an ordinary trained-looking
 * matrix. Two seeds: two independently trained projectors.
 */
export function identityProjector(d: number, seed: number, relative = 0.05): FloatTensors {
  const g = gaussian(seed);
  const sd = (relative * Math.sqrt(d)) / Math.sqrt(d * d);
  const w = gaussianTensor([d, d], sd, g);
  for (let i = 0; i < d; i++) w.data[i * d + i]! += 1;
  return new Map([
    ["multi_modal_projector.linear_1.weight", w],
    ["multi_modal_projector.linear_2.weight", trainedLooking([d, d], g)],
  ]);
}

// ---------------------------------------------------------------------------
// 4. Whisper-like audio tower

/**
 * Whisper's positional table (openai/whisper `sinusoids`): [length, channels]
 * = [sin(t * inv) | cos(t * inv)], inv_k = exp(-k * ln(maxTimescale) / (channels/2 - 1)).
 * Same formula, same bytes in every model.
 */
export function sinusoids(length: number, channels: number, maxTimescale = 10000): Tensor {
  const half = channels / 2;
  const inc = Math.log(maxTimescale) / (half - 1);
  const data = new Float32Array(length * channels);
  for (let t = 0; t < length; t++) {
    for (let k = 0; k < half; k++) {
      const x = t * Math.exp(-inc * k);
      data[t * channels + k] = Math.sin(x);
      data[t * channels + half + k] = Math.cos(x);
    }
  }
  return { shape: [length, channels], data };
}

/** Slaney's mel scale (librosa htk=False): linear below 1 kHz, logarithmic above. */
function hzToMel(f: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return f >= minLogHz ? minLogMel + Math.log(f / minLogHz) / logStep : f / fSp;
}

function melToHz(m: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return m >= minLogMel ? minLogHz * Math.exp(logStep * (m - minLogMel)) : fSp * m;
}

/**
 * The Slaney mel filterbank (librosa.filters.mel(sr, n_fft, n_mels), htk=False,
 * norm="slaney"), as Whisper stores it: [nMels, nFft/2 + 1]. Triangles between
 * nMels + 2 points evenly spaced in mel from 0 to sr/2, each scaled by
 * 2 / (upper edge - lower edge) in Hz (equal area).
 */
export function slaneyMelFilters(opts: { sr?: number; nFft?: number; nMels?: number } = {}): Tensor {
  const sr = opts.sr ?? 16000;
  const nFft = opts.nFft ?? 400;
  const nMels = opts.nMels ?? 80;
  const bins = nFft / 2 + 1;
  const fftFreqs = Float64Array.from({ length: bins }, (_, k) => (k * sr) / nFft);
  const lo = hzToMel(0);
  const hi = hzToMel(sr / 2);
  const melF = Float64Array.from({ length: nMels + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (nMels + 1)));
  const data = new Float32Array(nMels * bins);
  for (let i = 0; i < nMels; i++) {
    const dLo = melF[i + 1]! - melF[i]!;
    const dHi = melF[i + 2]! - melF[i + 1]!;
    const enorm = 2 / (melF[i + 2]! - melF[i]!);
    for (let k = 0; k < bins; k++) {
      const lower = (fftFreqs[k]! - melF[i]!) / dLo;
      const upper = (melF[i + 2]! - fftFreqs[k]!) / dHi;
      data[i * bins + k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
  }
  return { shape: [nMels, bins], data };
}

/**
 * A Whisper-like audio encoder (HF names under `model.encoder.`): the fixed
 * sinusoidal `embed_positions` [positions, d] and `mel_filters` [80, 201] (both
 * formula-made: identical in every model), plus conv1 [d, 80, 3], conv2
 * [d, d, 3] and `layers` encoder layers with seeded trained-looking weights.
 */
export function whisperAudioTower(opts: { d: number; layers: number; seed: number; positions?: number }): FloatTensors {
  const { d, layers } = opts;
  const g = gaussian(opts.seed);
  const vec = (n: number, mean: number, sd: number) => gaussianTensor([n], sd, g, mean);
  const out: FloatTensors = new Map();
  out.set("mel_filters", slaneyMelFilters());
  out.set("model.encoder.conv1.weight", trainedLooking([d, 80, 3], g));
  out.set("model.encoder.conv1.bias", vec(d, 0, 0.02));
  out.set("model.encoder.conv2.weight", trainedLooking([d, d, 3], g));
  out.set("model.encoder.conv2.bias", vec(d, 0, 0.02));
  out.set("model.encoder.embed_positions.weight", sinusoids(opts.positions ?? 1500, d));
  for (let i = 0; i < layers; i++) {
    const p = `model.encoder.layers.${i}.`;
    for (const x of ["q", "k", "v", "out"]) {
      out.set(`${p}self_attn.${x}_proj.weight`, trainedLooking([d, d], g));
      if (x !== "k") out.set(`${p}self_attn.${x}_proj.bias`, vec(d, 0, 0.02));
    }
    out.set(`${p}self_attn_layer_norm.weight`, vec(d, 1, 0.1));
    out.set(`${p}self_attn_layer_norm.bias`, vec(d, 0, 0.02));
    out.set(`${p}fc1.weight`, trainedLooking([4 * d, d], g));
    out.set(`${p}fc1.bias`, vec(4 * d, 0, 0.02));
    out.set(`${p}fc2.weight`, trainedLooking([d, 4 * d], g));
    out.set(`${p}fc2.bias`, vec(d, 0, 0.02));
    out.set(`${p}final_layer_norm.weight`, vec(d, 1, 0.1));
    out.set(`${p}final_layer_norm.bias`, vec(d, 0, 0.02));
  }
  out.set("model.encoder.layer_norm.weight", vec(d, 1, 0.1));
  out.set("model.encoder.layer_norm.bias", vec(d, 0, 0.02));
  return out;
}

// ---------------------------------------------------------------------------
// 5. Voice-activity model with a fixed STFT basis

/**
 * The STFT as a conv kernel (Silero-VAD-like `forward_basis_buffer`):
 * [2 (N/2 + 1), 1, N], rows k = 0..N/2 are cos(2 pi k n / N) * w(n), rows
 * N/2+1+k are -sin(2 pi k n / N) * w(n) (real and imaginary parts of the DFT
 * of the identity), w the periodic Hann window 0.5 - 0.5 cos(2 pi n / N).
 */
export function stftForwardBasis(n: number): Tensor {
  const cutoff = n / 2 + 1;
  const data = new Float32Array(2 * cutoff * n);
  for (let k = 0; k < cutoff; k++) {
    for (let t = 0; t < n; t++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / n);
      const a = (2 * Math.PI * k * t) / n;
      data[k * n + t] = Math.cos(a) * w;
      data[(cutoff + k) * n + t] = -Math.sin(a) * w;
    }
  }
  return { shape: [2 * cutoff, 1, n], data };
}

/**
 * A small voice-activity model (Silero-VAD-like): `stft.forward_basis_buffer`
 * (fixed, N = 256), four conv blocks on the 129 magnitude bins, an LSTM-like
 * cell of 128 and a 1x1 conv head; all but the STFT basis seeded.
 */
export function vadModel(seed: number, n = 256): FloatTensors {
  const g = gaussian(seed);
  const bins = n / 2 + 1;
  const vec = (k: number, sd: number) => gaussianTensor([k], sd, g);
  const out: FloatTensors = new Map();
  out.set("stft.forward_basis_buffer", stftForwardBasis(n));
  const convs: [number, number][] = [
    [128, bins],
    [64, 128],
    [64, 64],
    [128, 64],
  ];
  convs.forEach(([o, i], k) => {
    out.set(`encoder.${k}.reparam_conv.weight`, trainedLooking([o, i, 3], g));
    out.set(`encoder.${k}.reparam_conv.bias`, vec(o, 0.02));
  });
  out.set("decoder.rnn.weight_ih", trainedLooking([512, 128], g));
  out.set("decoder.rnn.weight_hh", trainedLooking([512, 128], g));
  out.set("decoder.rnn.bias_ih", vec(512, 0.05));
  out.set("decoder.rnn.bias_hh", vec(512, 0.05));
  out.set("decoder.decoder.2.weight", trainedLooking([1, 128, 1], g));
  out.set("decoder.decoder.2.bias", vec(1, 0.05));
  return out;
}

// ---------------------------------------------------------------------------
// 6. Deterministic init buffers

/**
 * `constantsLikeInit` (all-ones norm gains, rotary `inv_freq` per layer) plus
 * zero q/k/v/o biases in every layer (a bias initialised at zero and stored as
 * such). Identical in any two models of one shape.
 */
export function initBuffers(m: FloatTensors, opts: { headDim: number }): FloatTensors {
  const out = constantsLikeInit(m, opts);
  const lay = llamaLayout(m);
  for (let i = 0; i < lay.layers; i++) {
    for (const x of ["q", "k", "v", "o"]) {
      const w = get(m, layerTensor(m, lay.base, i, `self_attn.${x}_proj.weight`));
      out.set(layerTensor(m, lay.base, i, `self_attn.${x}_proj.bias`), { shape: [w.shape[0]!], data: new Float32Array(w.shape[0]!) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// 7. Gaussian stand-ins with a model's scales

/**
 * Every tensor replaced by Gaussian values with the tensor's own mean and
 * spread (norm gains stay near their mean): an untrained model at the same
 * scales, one per seed. Fast enough to make dozens.
 */
export function gaussianLike(m: FloatTensors, seed: number): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [name, t] of m) {
    const { mean, sd } = meanSd(t.data);
    out.set(name, gaussianTensor([...t.shape], sd, gaussian(tensorSeed(seed, name)), mean));
  }
  return out;
}

// ---------------------------------------------------------------------------
// 8. One initialisation, two trainings

/**
 * A fresh initialisation with the shapes of `m`: matrices N(0, 1/fan_in)
 * (embedding tables N(0, 1)), vectors all ones (norm gains).
 */
export function initLike(m: FloatTensors, seed: number): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [name, t] of m) {
    if (t.shape.length < 2) {
      out.set(name, { shape: [...t.shape], data: new Float32Array(t.data.length).fill(1) });
      continue;
    }
    const fanIn = t.data.length / t.shape[0]!;
    const sd = /embed_tokens\.weight$/.test(name) ? 1 : 1 / Math.sqrt(fanIn);
    out.set(name, gaussianTensor([...t.shape], sd, gaussian(tensorSeed(seed, name))));
  }
  return out;
}

/**
 * W0 + update: every matrix W0 + s (U - mean U), with s such that |s (U - mean U)|
 * = `ratio` |W0|, the update U taken from the same-named tensor of `updates`
 * (a trained model: a trained-looking, independent update). Vectors take the
 * update's values (norm gains trained from ones).
 */
export function trainFrom(w0: FloatTensors, updates: FloatTensors, ratio: number): FloatTensors {
  const out: FloatTensors = new Map();
  for (const [name, t] of w0) {
    const u = get(updates, name);
    if (u.data.length !== t.data.length) throw new Error(`${name}: update of ${u.data.length} values for ${t.data.length}`);
    if (t.shape.length < 2) {
      out.set(name, { shape: [...t.shape], data: u.data.slice() });
      continue;
    }
    const { mean } = meanSd(u.data);
    let uu = 0;
    let ww = 0;
    for (let i = 0; i < t.data.length; i++) {
      uu += (u.data[i]! - mean) ** 2;
      ww += t.data[i]! ** 2;
    }
    const s = (ratio * Math.sqrt(ww)) / Math.sqrt(uu);
    const data = new Float32Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = t.data[i]! + s * (u.data[i]! - mean);
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}

// ---------------------------------------------------------------------------
// 9. Low-rank merge

/**
 * Every matrix W + s A B^T with A [rows, rank], B [cols, rank] Gaussian (seeded
 * per name) and s chosen so Pearson(W + s A B^T, W) = `targetPearson` (exactly,
 * before storage rounding). Vectors unchanged.
 */
export function lowRankMerge(m: FloatTensors, opts: { rank: number; targetPearson: number; seed: number }): FloatTensors {
  const p = opts.targetPearson;
  const out: FloatTensors = new Map();
  for (const [name, t] of m) {
    if (t.shape.length !== 2) {
      out.set(name, t);
      continue;
    }
    const [r, c] = dims(t);
    const g = gaussian(tensorSeed(opts.seed, name));
    const a = Float64Array.from({ length: r * opts.rank }, () => g());
    const b = Float64Array.from({ length: c * opts.rank }, () => g());
    const delta = new Float64Array(r * c);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let k = 0; k < opts.rank; k++) s += a[i * opts.rank + k]! * b[j * opts.rank + k]!;
        delta[i * c + j] = s;
      }
    }
    // Centred w, d: Pearson(w + s d, w) = (ww + s wd) / (|w| sqrt(ww + 2 s wd + s^2 dd)) = p.
    const wm = meanSd(t.data).mean;
    let dm = 0;
    for (const v of delta) dm += v;
    dm /= delta.length;
    let ww = 0;
    let wd = 0;
    let dd = 0;
    for (let i = 0; i < delta.length; i++) {
      const w = t.data[i]! - wm;
      const d = delta[i]! - dm;
      ww += w * w;
      wd += w * d;
      dd += d * d;
    }
    // (ww + s wd)^2 = p^2 ww (ww + 2 s wd + s^2 dd): A s^2 + B s + C = 0.
    const A = wd * wd - p * p * ww * dd;
    const B = 2 * ww * wd - 2 * p * p * ww * wd;
    const C = ww * ww - p * p * ww * ww;
    const disc = Math.sqrt(B * B - 4 * A * C);
    const roots = [(-B + disc) / (2 * A), (-B - disc) / (2 * A)].filter((s) => s > 0 && ww + s * wd > 0);
    const s = Math.min(...roots);
    const data = new Float32Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = t.data[i]! + s * delta[i]!;
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}

// ---------------------------------------------------------------------------
// 10. A grafted layer

/** `host` with every tensor of layer `layer` replaced by `donor`'s (same names), plus relative noise. */
export function graftLayer(host: FloatTensors, donor: FloatTensors, layer: number, opts: { noise: number; seed: number }): FloatTensors {
  const { prefix } = findStack(donor);
  const start = `${prefix}${layer}.`;
  const graft = noiseWhere(new Map([...donor].filter(([n]) => n.startsWith(start))), opts.seed, opts.noise);
  if (graft.size === 0) throw new Error(`no tensors under ${start}`);
  const out: FloatTensors = new Map(host);
  for (const [n, t] of graft) {
    const h = get(host, n);
    if (h.shape.join(",") !== t.shape.join(",")) throw new Error(`${n}: shapes differ`);
    out.set(n, t);
  }
  return out;
}

// ---------------------------------------------------------------------------
// 11. GQA conversion and attention transplant

/**
 * MHA -> GQA by mean-pooling the k and v heads of each group (Ainslie et al.
 * 2023): k/v become [kvHeads * headDim, d]; q and o unchanged.
 */
export function toGqa(m: FloatTensors, opts: { heads: number; kvHeads: number; headDim: number }): FloatTensors {
  const lay = llamaLayout(m);
  const group = opts.heads / opts.kvHeads;
  const hd = opts.headDim;
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < lay.layers; i++) {
    for (const x of ["k", "v"]) {
      const name = layerTensor(m, lay.base, i, `self_attn.${x}_proj.weight`);
      const t = get(m, name);
      const [, c] = dims(t);
      const data = new Float32Array(opts.kvHeads * hd * c);
      for (let j = 0; j < opts.kvHeads; j++) {
        for (let r = 0; r < hd; r++) {
          for (let col = 0; col < c; col++) {
            let s = 0;
            for (let q = 0; q < group; q++) s += t.data[((j * group + q) * hd + r) * c + col]!;
            data[(j * hd + r) * c + col] = s / group;
          }
        }
      }
      out.set(name, { shape: [opts.kvHeads * hd, c], data });
    }
  }
  return out;
}

/**
 * `rest` with every attention projection (q/k/v/o weights and biases) taken
 * from `attention` (+ relative noise): attention reused, everything else
 * (MLP, embeddings, norms) from another model.
 */
export function transplantAttention(attention: FloatTensors, rest: FloatTensors, opts: { noise: number; seed: number }): FloatTensors {
  const isAttn = (n: string) => /\.self_attn\.[qkvo]_proj\.(weight|bias)$/.test(n);
  const attn = noiseWhere(new Map([...attention].filter(([n]) => isAttn(n))), opts.seed, opts.noise);
  const out: FloatTensors = new Map();
  for (const [n, t] of rest) if (!isAttn(n)) out.set(n, t);
  for (const [n, t] of attn) out.set(n, t);
  // Keep a Llama-like order: by layer, attention first.
  const key = (n: string) => {
    const mt = /layers\.(\d+)\./.exec(n);
    return [mt ? Number(mt[1]) : n.includes("embed") ? -1 : 1e9, isAttn(n) ? 0 : 1] as const;
  };
  return new Map([...out].sort((a, b) => {
    const [la, ra] = key(a[0]);
    const [lb, rb] = key(b[0]);
    return la - lb || ra - rb || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  }));
}

// ---------------------------------------------------------------------------
// 13. Net2Net widening

/**
 * Net2WiderNet on every MLP: F -> round(factor * F) units; each new unit
 * copies a random existing unit's gate/up rows, and the copied unit's down
 * column is split in half between the two. Preserves: the function (before
 * any noise is added).
 */
export function widenMlp(m: FloatTensors, opts: { factor: number; seed: number }): FloatTensors {
  const lay = llamaLayout(m);
  const rand = uniform(opts.seed);
  const out: FloatTensors = new Map(m);
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerTensor(m, lay.base, i, s);
    const up = get(m, L("mlp.up_proj.weight"));
    const f = up.shape[0]!;
    const extra = Math.round((opts.factor - 1) * f);
    if (extra > f) throw new Error("widenMlp: factor above 2 needs repeated copies");
    const src = permutation(f, rand).slice(0, extra);
    for (const x of ["gate", "up"]) {
      const t = get(m, L(`mlp.${x}_proj.weight`));
      const [, c] = dims(t);
      const data = new Float32Array((f + extra) * c);
      data.set(t.data);
      src.forEach((s, k) => data.set(t.data.subarray(s * c, s * c + c), (f + k) * c));
      out.set(L(`mlp.${x}_proj.weight`), { shape: [f + extra, c], data });
    }
    const down = get(m, L("mlp.down_proj.weight"));
    const [d] = dims(down);
    const w = f + extra;
    const data = new Float32Array(d * w);
    const halve = new Set(src);
    for (let r = 0; r < d; r++) {
      for (let j = 0; j < f; j++) data[r * w + j] = down.data[r * f + j]! * (halve.has(j) ? 0.5 : 1);
      src.forEach((s, k) => (data[r * w + f + k] = down.data[r * f + s]! * 0.5));
    }
    out.set(L("mlp.down_proj.weight"), { shape: [d, w], data });
  }
  return out;
}

// ---------------------------------------------------------------------------
// 14. Width pruning

function keepRows(t: Tensor, keep: readonly number[]): Tensor {
  const [, c] = dims(t);
  const data = new Float32Array(keep.length * c);
  keep.forEach((k, i) => data.set(t.data.subarray(k * c, k * c + c), i * c));
  return { shape: [keep.length, ...t.shape.slice(1)], data };
}

function keepCols(t: Tensor, keep: readonly number[]): Tensor {
  const [r, c] = dims(t);
  const data = new Float32Array(r * keep.length);
  for (let i = 0; i < r; i++) keep.forEach((k, j) => (data[i * keep.length + j] = t.data[i * c + k]!));
  return { shape: [r, keep.length], data };
}

function smallestRemoved(scores: ArrayLike<number>, remove: number): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]! || a - b);
  const drop = new Set(order.slice(0, remove));
  return Array.from({ length: scores.length }, (_, i) => i).filter((i) => !drop.has(i));
}

/**
 * Minitron-like width pruning by weight norms: per layer, drop the `mlp`
 * fraction of MLP units with the smallest |gate_i| |up_i| |down_:,i|; then drop
 * the `residual` fraction of residual dimensions with the smallest summed
 * relative energy (column j of every reader and row j of every writer, each
 * divided by its tensor's mean per-dimension energy): embedding / lm_head /
 * q,k,v,gate,up columns, o/down rows and norm gains. Function: changes.
 */
export function pruneWidth(m: FloatTensors, opts: { mlp: number; residual: number }): FloatTensors {
  const lay = llamaLayout(m);
  let out: FloatTensors = new Map(m);
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerTensor(m, lay.base, i, s);
    const gate = get(m, L("mlp.gate_proj.weight"));
    const up = get(m, L("mlp.up_proj.weight"));
    const down = get(m, L("mlp.down_proj.weight"));
    const f = up.shape[0]!;
    const score = Float64Array.from({ length: f }, (_, u) => rowNorm(gate, u) * rowNorm(up, u) * colNorm(down, u));
    const keep = smallestRemoved(score, Math.round(opts.mlp * f));
    out.set(L("mlp.gate_proj.weight"), keepRows(gate, keep));
    out.set(L("mlp.up_proj.weight"), keepRows(up, keep));
    out.set(L("mlp.down_proj.weight"), keepCols(down, keep));
  }
  const readers: string[] = [];
  const writers: string[] = [];
  if (lay.embed) readers.push(lay.embed);
  if (lay.lmHead) readers.push(lay.lmHead);
  if (lay.norm) writers.push(lay.norm);
  for (let i = 0; i < lay.layers; i++) {
    const L = (s: string) => layerTensor(m, lay.base, i, s);
    for (const x of ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "mlp.gate_proj", "mlp.up_proj"]) readers.push(L(`${x}.weight`));
    writers.push(L("self_attn.o_proj.weight"), L("mlp.down_proj.weight"), L("input_layernorm.weight"), L("post_attention_layernorm.weight"));
  }
  const d = get(out, readers[0]!).shape[1]!;
  const energy = new Float64Array(d);
  for (const n of readers) {
    const t = get(out, n);
    const e = Float64Array.from({ length: d }, (_, j) => colNorm(t, j) ** 2);
    const mean = e.reduce((a, b) => a + b, 0) / d;
    for (let j = 0; j < d; j++) energy[j]! += e[j]! / mean;
  }
  for (const n of writers) {
    const t = get(out, n);
    const e = Float64Array.from({ length: d }, (_, j) => rowNorm(t, j) ** 2);
    const mean = e.reduce((a, b) => a + b, 0) / d;
    for (let j = 0; j < d; j++) energy[j]! += e[j]! / mean;
  }
  const keep = smallestRemoved(energy, Math.round(opts.residual * d));
  const next: FloatTensors = new Map(out);
  for (const n of readers) next.set(n, keepCols(get(out, n), keep));
  for (const n of writers) next.set(n, keepRows(get(out, n), keep));
  out = next;
  return out;
}

// ---------------------------------------------------------------------------
// 15. Sparse upcycling

/**
 * Dense MLP -> MoE of `experts` experts per layer (Komatsuzaki et al. 2022):
 * `mlp.experts.{e}.{gate,up,down}_proj.weight` = the dense tensor + `noise` x
 * its sd x N(0, 1) (independent per expert), and a router `mlp.gate.weight`
 * [experts, d] ~ N(0, 1/d). Everything else copied.
 */
export function upcycleMoe(m: FloatTensors, opts: { experts: number; noise: number; seed: number }): FloatTensors {
  const lay = llamaLayout(m);
  const out: FloatTensors = new Map();
  const mlpRe = /^(.*layers\.(\d+)\.mlp\.)(gate|up|down)_proj\.weight$/;
  const routed = new Set<number>();
  for (const [n, t] of m) {
    const mt = mlpRe.exec(n);
    if (!mt || !n.startsWith(lay.base)) {
      out.set(n, t);
      continue;
    }
    const layer = Number(mt[2]);
    if (!routed.has(layer)) {
      routed.add(layer);
      const d = get(m, `${mt[1]}up_proj.weight`).shape[1]!;
      out.set(`${mt[1]}gate.weight`, gaussianTensor([opts.experts, d], 1 / Math.sqrt(d), gaussian(tensorSeed(opts.seed, `${mt[1]}gate`))));
    }
    // Experts of one projection kept together: gate, up, down of expert e in file order below.
    for (let e = 0; e < opts.experts; e++) {
      const name = `${mt[1]}experts.${e}.${mt[3]}_proj.weight`;
      out.set(name, noiseWhere(new Map([[name, t]]), opts.seed, opts.noise).get(name)!);
    }
  }
  return out;
}
