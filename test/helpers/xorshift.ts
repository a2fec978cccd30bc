/** Xorshift32 uniform generators for the statistics tests (tiny, seedable, the same on every machine). */
function step(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Uniform in [0, 1). */
export function xorshift(seed: number): () => number {
  const next = step(seed);
  return () => next() / 4294967296;
}

/** Uniform in (0, 1): never 0, so log(u) and p-values of u stay finite. */
export function xorshiftOpen(seed: number): () => number {
  const next = step(seed);
  return () => (next() + 0.5) / 4294967296;
}
