/** What a construction detector returns, its thresholds and the name hints that lower them. */

export type Construction = "constant" | "identity" | "sinusoid-table" | "sinusoid-grid" | "rotary-frequencies" | "mel-filterbank" | "dft-basis" | "window";

export interface Recognised {
  construction: Construction;
  /** Fraction of the tensor's variance (or energy) the construction explains, 0..1 (each detector's file defines it). */
  explained: number;
  /** Human-readable, e.g. "scaled identity (s = 0.50) plus 4% training". */
  detail: string;
}

/** Recognition thresholds (see each detector's file for what it measures). */
export const THRESHOLDS = {
  /** Largest spread (max − min) relative to the largest magnitude for a constant. */
  constantSpread: 1e-6,
  /** Largest ‖A − sI‖_F / ‖sI‖_F. */
  identityRatio: 0.5,
  window: 0.999,
  rotary: 0.9999,
  mel: 0.9,
  dft: 0.9,
  sinusoid: 0.9,
} as const;

/** The same, when the tensor's name suggests the construction: slightly lower, never a substitute for the values. */
export const HINTED = {
  identityRatio: 0.55,
  window: 0.995,
  rotary: 0.999,
  mel: 0.85,
  dft: 0.85,
  sinusoid: 0.85,
} as const;

const NAME_HINTS: Partial<Record<Construction, RegExp>> = {
  identity: /identity|(^|[._])eye([._]|$)/i,
  window: /window|hann|hamming|blackman/i,
  "rotary-frequencies": /inv_freq|rotary|rope|freq/i,
  "mel-filterbank": /mel|fbank|filterbank|filter_bank/i,
  "dft-basis": /basis|stft|dft|fft|fourier/i,
  "sinusoid-table": /pos|sinus|rotary|rope|cos_cache|sin_cache/i,
};

/** Whether the tensor's name suggests the construction (a hint only: it lowers a threshold slightly). */
export function hinted(name: string | undefined, c: Construction): boolean {
  const re = NAME_HINTS[c];
  return !!name && !!re && re.test(name);
}

/** Quick look at this many evenly spaced signals before fitting them all. */
export const PROBE_SIGNALS = 32;
/** The probe must explain at least this much for the full fit to run. */
export const PROBE_MIN = 0.5;
/** The fitting detectors (DFT basis, sinusoid table) need this many elements: a 3-parameter fit of a few short signals explains much of anything. */
export const MIN_FIT_ELEMENTS = 256;
/** Above this many elements the sinusoid fit uses evenly spaced channels. */
export const MAX_FIT_ELEMENTS = 1 << 23;

/** A number for a detail line: fixed, or exponential when very large or small. */
export function fmt(x: number, digits = 2): string {
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-2) ? x.toExponential(digits - 1) : x.toFixed(digits);
}

/** x clamped to [0, 1]. */
export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
