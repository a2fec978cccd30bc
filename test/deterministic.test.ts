/**
 * Constructions two models can share without copying (src/stats/constructions/):
 * each is built here the way the libraries build it and must be recognised as
 * itself; trained-looking tensors of the same shapes must not be recognised,
 * whatever their names.
 */
import { describe, expect, it } from "vitest";
import { type Construction, recognise, residualAfterConstruction } from "../src/stats/constructions/index.js";
import { xorshift } from "./helpers/xorshift.js";

const rng = xorshift;
function gaussian(n: number, seed: number, sd = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}
/** Round to bf16 (8 significant bits), as a checkpoint stored in bf16 holds it. */
function bf16(x: Float32Array): Float32Array {
  const out = Float32Array.from(x);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) bits[i] = (bits[i]! + 0x8000) & 0xffff0000;
  return out;
}
function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  return out;
}

/** "Attention is all you need": pe[p, 2i] = sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(...). */
function interleavedTable(P: number, d: number): Float32Array {
  const x = new Float32Array(P * d);
  for (let p = 0; p < P; p++) {
    for (let i = 0; i < d / 2; i++) {
      const w = 1 / 10000 ** ((2 * i) / d);
      x[p * d + 2 * i] = Math.sin(p * w);
      x[p * d + 2 * i + 1] = Math.cos(p * w);
    }
  }
  return x;
}
/** Whisper's `sinusoids(length, channels)`: [sin | cos] with a log-spaced timescale. */
function whisperSinusoids(length: number, channels: number, maxTimescale = 10000): Float32Array {
  const half = channels / 2;
  const inc = Math.log(maxTimescale) / (half - 1);
  const x = new Float32Array(length * channels);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < half; i++) {
      const t = p * Math.exp(-inc * i);
      x[p * channels + i] = Math.sin(t);
      x[p * channels + half + i] = Math.cos(t);
    }
  }
  return x;
}
/** A rotary cos cache [P, dim]: cos(p·θ_j), the half repeated (as Llama's `cos_cached`). */
function rotaryCosCache(P: number, dim: number, base = 10000): Float32Array {
  const x = new Float32Array(P * dim);
  for (let p = 0; p < P; p++) {
    for (let j = 0; j < dim / 2; j++) {
      const c = Math.cos(p / base ** ((2 * j) / dim));
      x[p * dim + j] = c;
      x[p * dim + dim / 2 + j] = c;
    }
  }
  return x;
}
function invFreq(dim: number, base = 10000): Float32Array {
  return Float32Array.from({ length: dim / 2 }, (_, i) => 1 / base ** ((2 * i) / dim));
}
/** transformers' Llama-3 rope scaling of inv_freq (factor 8, low 1, high 4, 8192 original positions). */
function llama3InvFreq(dim: number, base = 500000): Float32Array {
  const [factor, low, high, original] = [8, 1, 4, 8192];
  const lowWave = original / low;
  const highWave = original / high;
  return invFreq(dim, base).map((f) => {
    const wave = (2 * Math.PI) / f;
    if (wave < highWave) return f;
    if (wave > lowWave) return f / factor;
    const smooth = (original / wave - low) / (high - low);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** librosa's hz_to_mel / mel_to_hz (Slaney by default, HTK on request). */
function hzToMel(f: number, htk: boolean): number {
  if (htk) return 2595 * Math.log10(1 + f / 700);
  const fsp = 200 / 3;
  const logstep = Math.log(6.4) / 27;
  return f >= 1000 ? 1000 / fsp + Math.log(f / 1000) / logstep : f / fsp;
}
function melToHz(m: number, htk: boolean): number {
  if (htk) return 700 * (10 ** (m / 2595) - 1);
  const fsp = 200 / 3;
  const logstep = Math.log(6.4) / 27;
  return m >= 1000 / fsp ? 1000 * Math.exp(logstep * (m - 1000 / fsp)) : fsp * m;
}
/** librosa.filters.mel(sr, n_fft, n_mels) [n_mels, 1 + n_fft/2], as Whisper's `mel_filters`. */
function melFilterbank(sr: number, nFft: number, nMels: number, opts: { htk?: boolean; slaneyNorm?: boolean } = {}): Float32Array {
  const htk = opts.htk ?? false;
  const norm = opts.slaneyNorm ?? true;
  const bins = 1 + nFft / 2;
  const fft = Array.from({ length: bins }, (_, i) => (i * sr) / 2 / (bins - 1));
  const [mMin, mMax] = [hzToMel(0, htk), hzToMel(sr / 2, htk)];
  const mel = Array.from({ length: nMels + 2 }, (_, i) => melToHz(mMin + ((mMax - mMin) * i) / (nMels + 1), htk));
  const w = new Float32Array(nMels * bins);
  for (let m = 0; m < nMels; m++) {
    const enorm = norm ? 2 / (mel[m + 2]! - mel[m]!) : 1;
    for (let k = 0; k < bins; k++) {
      const lower = (fft[k]! - mel[m]!) / (mel[m + 1]! - mel[m]!);
      const upper = (mel[m + 2]! - fft[k]!) / (mel[m + 2]! - mel[m + 1]!);
      w[m * bins + k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
  }
  return w;
}

function hann(N: number, periodic = true): Float64Array {
  const L = periodic ? N : N - 1;
  return Float64Array.from({ length: N }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / L));
}
/** The STFT basis of Silero-like VADs: rows real and imaginary parts of the first N/2+1 DFT rows, times a window: [2(N/2+1), N]. */
function dftBasis(N: number, window: Float64Array | null): Float32Array {
  const F = N / 2 + 1;
  const x = new Float32Array(2 * F * N);
  for (let k = 0; k < F; k++) {
    for (let n = 0; n < N; n++) {
      const w = window ? window[n]! : 1;
      x[k * N + n] = Math.cos((2 * Math.PI * k * n) / N) * w;
      x[(F + k) * N + n] = -Math.sin((2 * Math.PI * k * n) / N) * w;
    }
  }
  return x;
}

function eye(m: number, n: number, s = 1): Float32Array {
  const x = new Float32Array(m * n);
  for (let i = 0; i < Math.min(m, n); i++) x[i * n + i] = s;
  return x;
}

function expectRecognised(values: Float32Array, shape: number[], construction: Construction, name?: string, minExplained = 0.9) {
  const r = recognise(values, shape, name);
  expect(r, `${construction} ${JSON.stringify(shape)}`).not.toBeNull();
  expect(r!.construction).toBe(construction);
  expect(r!.explained).toBeGreaterThanOrEqual(minExplained);
  expect(r!.explained).toBeLessThanOrEqual(1);
  expect(r!.detail.length).toBeGreaterThan(0);
  return r!;
}

describe("sinusoid tables", () => {
  it("recognises the interleaved table, its transpose, and a [1, P, d] layout", () => {
    const x = interleavedTable(512, 128);
    const r = expectRecognised(x, [512, 128], "sinusoid-table", undefined, 0.999);
    expect(r.detail).toContain("interleaved");
    expectRecognised(transpose(x, 512, 128), [128, 512], "sinusoid-table", undefined, 0.999);
    expectRecognised(x, [1, 512, 128], "sinusoid-table", undefined, 0.999);
  });
  it("recognises Whisper's [sin | cos] encoder table [1500, 384] and its transpose", () => {
    const x = whisperSinusoids(1500, 384);
    const r = expectRecognised(x, [1500, 384], "sinusoid-table", "encoder.positional_embedding", 0.999);
    expect(r.detail).toContain("two halves");
    expectRecognised(transpose(x, 1500, 384), [384, 1500], "sinusoid-table", undefined, 0.999);
  });
  it("recognises a rotary cos cache and a short table (16 positions)", () => {
    expectRecognised(rotaryCosCache(256, 64), [256, 64], "sinusoid-table", undefined, 0.999);
    expectRecognised(interleavedTable(16, 32), [16, 32], "sinusoid-table", undefined, 0.99);
  });
  it("still recognises a table stored in bf16 (rounded to 8 significant bits)", () => {
    expectRecognised(bf16(interleavedTable(256, 64)), [256, 64], "sinusoid-table", undefined, 0.99);
  });
  it("recognises a sinusoid-initialised table after a little training; a name lowers the bar only slightly", () => {
    const x = interleavedTable(512, 64);
    const light = gaussian(x.length, 3, 0.1);
    const r = expectRecognised(x.map((v, i) => v + light[i]!), [512, 64], "sinusoid-table");
    expect(r.explained).toBeLessThan(0.99);
    // Explains ~0.88: under the 0.9 bar, over the 0.85 a positional name allows.
    const more = gaussian(x.length, 3, 0.2);
    const y = x.map((v, i) => v + more[i]!);
    expect(recognise(y, [512, 64])).toBeNull();
    const hinted = expectRecognised(y, [512, 64], "sinusoid-table", "model.embed_positions.weight", 0.85);
    expect(hinted.explained).toBeLessThan(0.9);
    // Heavier training: not recognised whatever the name.
    const heavy = gaussian(x.length, 3, 0.4);
    expect(recognise(x.map((v, i) => v + heavy[i]!), [512, 64], "model.embed_positions.weight")).toBeNull();
  });
});

describe("rotary frequencies and windows", () => {
  it("recognises inv_freq = 1/base^(2i/d) for several bases and head sizes", () => {
    const r = expectRecognised(invFreq(128), [64], "rotary-frequencies", undefined, 0.9999);
    expect(r.detail).toContain("base ≈ 10000");
    expectRecognised(invFreq(64, 1e6), [32], "rotary-frequencies", "rotary_emb.inv_freq", 0.9999);
    expectRecognised(invFreq(16), [8], "rotary-frequencies", undefined, 0.9999);
  });
  it("recognises Llama-3 scaled inv_freq (one ramp between two geometric segments), also in bf16", () => {
    const r = expectRecognised(llama3InvFreq(128), [64], "rotary-frequencies", undefined, 0.9999);
    expect(r.detail).toContain("scaled");
    expectRecognised(bf16(llama3InvFreq(128)), [64], "rotary-frequencies", undefined, 0.9999);
    expectRecognised(bf16(invFreq(128)), [64], "rotary-frequencies", undefined, 0.9999);
  });
  it("recognises Hann and Hamming windows, periodic and symmetric", () => {
    expect(expectRecognised(Float32Array.from(hann(400)), [400], "window", undefined, 0.999).detail).toContain("Hann");
    expect(expectRecognised(Float32Array.from(hann(256, false)), [256], "window", undefined, 0.999).detail).toContain("symmetric");
    const hamming = Float32Array.from({ length: 512 }, (_, n) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / 511));
    expect(expectRecognised(hamming, [512], "window", undefined, 0.999).detail).toContain("Hamming");
  });
});

describe("mel filterbanks", () => {
  it("recognises Whisper's [80, 201] (sr 16000, n_fft 400, Slaney) and its [201, 80] transpose", () => {
    const m = melFilterbank(16000, 400, 80);
    expectRecognised(m, [80, 201], "mel-filterbank", undefined, 0.99);
    expectRecognised(transpose(m, 80, 201), [201, 80], "mel-filterbank", undefined, 0.99);
  });
  it("recognises a bf16 copy, and does not call a causal mask (either way round) a filterbank", () => {
    expectRecognised(bf16(melFilterbank(16000, 400, 80)), [80, 201], "mel-filterbank", undefined, 0.99);
    const n = 128;
    const tril = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) tril[i * n + j] = 1;
    expect(recognise(tril, [n, n])?.construction).not.toBe("mel-filterbank");
    expect(recognise(transpose(tril, n, n), [n, n])?.construction).not.toBe("mel-filterbank");
  });
  it("needs triangles, not only ordered unimodal filters: sharply convex flanks (triangle^8) are not recognised", () => {
    const [M, F] = [80, 201];
    const x = new Float32Array(M * F);
    for (let m = 0; m < M; m++) {
      const [centre, width] = [4 + (m * (F - 8)) / (M - 1), 6 + 0.2 * m];
      for (let k = 0; k < F; k++) x[m * F + k] = Math.max(0, 1 - Math.abs(k - centre) / width) ** 8;
    }
    expect(recognise(x, [M, F], "mel_filters")).toBeNull();
  });
  it("recognises the 128-mel bank and an HTK bank without normalisation", () => {
    expectRecognised(melFilterbank(16000, 400, 128), [128, 201], "mel-filterbank", "mel_filters", 0.99);
    expectRecognised(melFilterbank(22050, 1024, 64, { htk: true, slaneyNorm: false }), [64, 513], "mel-filterbank", undefined, 0.99);
  });
});

describe("DFT bases", () => {
  it("recognises the plain basis [2(N/2+1), N]", () => {
    const r = expectRecognised(dftBasis(256, null), [258, 256], "dft-basis", undefined, 0.999);
    expect(r.detail).toContain("no window");
  });
  it("recognises the Hann-windowed basis, also in the conv layout [2F, 1, N] and transposed", () => {
    const x = dftBasis(256, hann(256));
    expect(expectRecognised(x, [258, 1, 256], "dft-basis", "stft.forward_basis_buffer", 0.999).detail).toContain("periodic Hann");
    expectRecognised(x, [258, 256], "dft-basis", undefined, 0.999);
    expectRecognised(transpose(x, 258, 256), [256, 258], "dft-basis", undefined, 0.999);
  });
  it("needs many integer frequencies: one sinusoid stacked with random phases and amplitudes is no DFT basis", () => {
    const [R, N] = [258, 256];
    const r = rng(51);
    const x = new Float32Array(R * N);
    for (let i = 0; i < R; i++) {
      const [amp, phase] = [0.5 + r(), 2 * Math.PI * r()];
      for (let n = 0; n < N; n++) x[i * N + n] = amp * Math.cos((2 * Math.PI * 5 * n) / N + phase);
    }
    expect(recognise(x, [R, N], "stft.forward_basis")?.construction).not.toBe("dft-basis");
  });
  it("recognises a basis under an unlisted window (estimated from the rows) and N = 400", () => {
    const sqrtHann = hann(400).map(Math.sqrt);
    expect(expectRecognised(dftBasis(400, sqrtHann), [402, 400], "dft-basis", undefined, 0.99).detail).toContain("estimated");
  });
});

describe("identity and constants", () => {
  it("recognises an exact identity and a rectangular eye", () => {
    expect(expectRecognised(eye(64, 64), [64, 64], "identity", undefined, 0.99).detail).toMatch(/^identity 64×64$/);
    expectRecognised(eye(32, 96), [32, 96], "identity", undefined, 0.99);
    expectRecognised(eye(96, 32), [96, 32], "identity", undefined, 0.99);
  });
  it("recognises identity plus 5% training and 0.5·I plus 5% training", () => {
    const noise = gaussian(64 * 64, 7, 0.05);
    const a = eye(64, 64).map((v, i) => v + noise[i]!);
    expect(expectRecognised(a, [64, 64], "identity", undefined, 0.8).detail).toMatch(/plus \d+% training/);
    const b = eye(64, 64, 0.5).map((v, i) => v + 0.5 * noise[i]!);
    expect(expectRecognised(b, [64, 64], "identity", undefined, 0.8).detail).toContain("s = 0.50");
  });
  it("gives the residual A − s·I for identity (s the diagonal mean) and null otherwise", () => {
    const noise = gaussian(48 * 48, 8, 0.025);
    const a = eye(48, 48, 0.5).map((v, i) => v + noise[i]!);
    const r = recognise(a, [48, 48])!;
    expect(r.construction).toBe("identity");
    let s = 0;
    for (let i = 0; i < 48; i++) s += a[i * 48 + i]!;
    s /= 48;
    expect(s).toBeCloseTo(0.5, 2);
    const res = residualAfterConstruction(a, [48, 48], r)!;
    expect(res).toHaveLength(a.length);
    for (let i = 0; i < 48; i++) {
      for (let j = 0; j < 48; j++) expect(res[i * 48 + j]!).toBeCloseTo(a[i * 48 + j]! - (i === j ? s : 0), 6);
    }
    // The residual is the training: it matches the noise up to its own diagonal mean.
    expect(res[5]).toBe(a[5]);
    const mel = melFilterbank(16000, 400, 80);
    expect(residualAfterConstruction(mel, [80, 201], recognise(mel, [80, 201])!)).toBeNull();
  });
  it("does not call identity what training has moved too far from it (‖E‖ > 0.5‖sI‖)", () => {
    const noise = gaussian(64 * 64, 9, 0.1); // ‖E‖/‖I‖ ≈ 0.8
    expect(recognise(eye(64, 64).map((v, i) => v + noise[i]!), [64, 64])).toBeNull();
  });
  it("recognises constants (ones, zeros, any value) in any shape", () => {
    expect(expectRecognised(new Float32Array(768).fill(1), [768], "constant").detail).toContain("constant 1");
    expect(expectRecognised(new Float32Array(768), [768], "constant").detail).toContain("zeros");
    expectRecognised(new Float32Array(12 * 64).fill(-0.125), [12, 64], "constant");
    expectRecognised(new Float32Array(2 * 3 * 4).fill(3), [2, 3, 4], "constant");
  });
});

describe("trained tensors are not recognised", () => {
  it("Gaussian matrices of several shapes, even under suggestive names", () => {
    const cases: [number[], string | undefined][] = [
      [[201, 80], "mel_filters"],
      [[80, 201], undefined],
      [[64, 64], "proj.identity"],
      [[512, 16], "embed_positions.weight"],
      [[16, 512], undefined],
      [[258, 1, 256], "stft.forward_basis"],
      [[1500, 64], "positional_embedding"],
      [[8, 32], undefined],
    ];
    for (const [shape, name] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      for (const seed of [1, 2, 3]) expect(recognise(gaussian(n, seed * 101 + n, 0.02), shape, name), `${shape} ${name}`).toBeNull();
    }
  });
  it("Gaussian vectors, a trained norm gain (1 + training) and a trained bias", () => {
    expect(recognise(gaussian(1024, 4), [1024], "rotary_emb.inv_freq")).toBeNull();
    expect(recognise(gaussian(16, 5), [16], "window")).toBeNull();
    // Non-negative vectors: |Gaussian|, and a Hann window moved 5% by training (a window is exact or not a window).
    expect(recognise(gaussian(400, 5).map(Math.abs), [400], "window")).toBeNull();
    const trainedHann = gaussian(400, 6, 0.05).map((v, n) => Math.abs(hann(400)[n]! + v));
    expect(recognise(trainedHann, [400])).toBeNull();
    const gain = gaussian(768, 6, 0.02).map((v) => 1 + v);
    expect(recognise(gain, [768], "ln.weight")).toBeNull();
    // Even a short fine-tune's 0.2% leaves a gain that is no longer a constant.
    const barely = gaussian(768, 6, 0.002).map((v) => 1 + v);
    expect(recognise(barely, [768], "ln.weight")).toBeNull();
    expect(recognise(gaussian(768, 7, 1e-3), [768], "ln.bias")).toBeNull();
  });
  it("a trained-looking low-rank plus noise matrix", () => {
    const [m, n, k] = [256, 128, 8];
    const u = gaussian(m * k, 11);
    const v = gaussian(k * n, 12);
    const e = gaussian(m * n, 13, 0.3);
    const a = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = e[i * n + j]!;
      for (let l = 0; l < k; l++) s += u[i * k + l]! * v[l * n + j]!;
      a[i * n + j] = s;
    }
    expect(recognise(a, [m, n])).toBeNull();
    expect(recognise(transpose(a, m, n), [n, m])).toBeNull();
  });
  it("random non-negative matrices, with and without a large offset", () => {
    const r = rng(21);
    expect(recognise(Float32Array.from({ length: 80 * 201 }, () => r()), [80, 201], "mel_filters")).toBeNull();
    expect(recognise(Float32Array.from({ length: 201 * 80 }, () => r()), [201, 80])).toBeNull();
    // > 0.9 of the energy is the offset: a fit without offset term would "explain" it at ω = 0.
    expect(recognise(Float32Array.from({ length: 128 * 64 }, () => 1 + r()), [128, 64], "pos_embed")).toBeNull();
    // ReLU of a Gaussian: non-negative with scattered zeros.
    expect(recognise(gaussian(80 * 201, 22).map((v) => Math.max(0, v)), [80, 201])).toBeNull();
  });
  it("sorted vectors (monotone, positive, even log-uniform)", () => {
    const r = rng(31);
    const desc = (x: Float32Array) => x.sort().reverse();
    expect(recognise(desc(gaussian(64, 32)), [64])).toBeNull();
    expect(recognise(desc(gaussian(64, 33).map(Math.abs)), [64], "inv_freq")).toBeNull();
    expect(recognise(desc(Float32Array.from({ length: 64 }, () => r())), [64], "inv_freq")).toBeNull();
    expect(recognise(desc(Float32Array.from({ length: 64 }, () => Math.exp(-9 * r()))), [64], "inv_freq")).toBeNull();
    expect(recognise(desc(Float32Array.from({ length: 400 }, () => r())), [400], "window")).toBeNull();
  });
  it("a permutation matrix scaled by random per-row factors (not identity)", () => {
    const n = 64;
    const r = rng(41);
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const a = new Float32Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + perm[i]!] = 0.5 + r();
    expect(recognise(a, [n, n], "identity")).toBeNull();
    // A diagonal of widely spread positive factors is not identity either, nor a (one-bin) filterbank.
    const d = new Float32Array(n * n);
    for (let i = 0; i < n; i++) d[i * n + i] = 10 * r();
    expect(recognise(d, [n, n])).toBeNull();
  });
  it("rejects a mismatched shape", () => {
    expect(() => recognise(new Float32Array(10), [3, 3])).toThrow(RangeError);
    expect(recognise(new Float32Array([1]), [1])).toBeNull();
    expect(recognise(Float32Array.from([1, Number.NaN, 1]), [3])).toBeNull();
  });
});
