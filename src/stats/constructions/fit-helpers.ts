/** Small linear algebra and signal helpers the fitting detectors share. */

/** Projected energy of x onto span{a, b} from the Gram entries: the 2-regressor least squares. */
export function project2(aa: number, ab: number, bb: number, xa: number, xb: number): number {
  let best = 0;
  if (aa > 0) best = (xa * xa) / aa;
  if (bb > 0) best = Math.max(best, (xb * xb) / bb);
  const det = aa * bb - ab * ab;
  if (aa > 0 && bb > 0 && det > 1e-12 * aa * bb) best = Math.max(best, (bb * xa * xa - 2 * ab * xa * xb + aa * xb * xb) / det);
  return best;
}

/** Least squares of y on the columns of X (n × p, row-major): coefficients and residual sum of squares (normal equations, Gaussian elimination). */
export function leastSquares(X: Float64Array, y: Float64Array, n: number, p: number): { beta: Float64Array; rss: number } {
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  let yy = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    yy += yi * yi;
    for (let j = 0; j < p; j++) {
      const xij = X[i * p + j]!;
      b[j] += xij * yi;
      for (let l = j; l < p; l++) A[j * p + l] += xij * X[i * p + l]!;
    }
  }
  for (let j = 0; j < p; j++) for (let l = 0; l < j; l++) A[j * p + l] = A[l * p + j]!;
  // Solve A β = b with partial pivoting, dropping near-singular directions.
  const M = Float64Array.from(A);
  const beta = Float64Array.from(b);
  const used: boolean[] = [];
  const scale = Math.max(...Array.from({ length: p }, (_, j) => Math.abs(A[j * p + j]!)), 1e-300);
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(M[r * p + col]!) > Math.abs(M[piv * p + col]!)) piv = r;
    if (Math.abs(M[piv * p + col]!) < 1e-12 * scale) {
      used[col] = false;
      continue;
    }
    used[col] = true;
    if (piv !== col) {
      for (let l = 0; l < p; l++) [M[col * p + l], M[piv * p + l]] = [M[piv * p + l]!, M[col * p + l]!];
      [beta[col], beta[piv]] = [beta[piv]!, beta[col]!];
    }
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = M[r * p + col]! / M[col * p + col]!;
      if (f === 0) continue;
      for (let l = col; l < p; l++) M[r * p + l] -= f * M[col * p + l]!;
      beta[r] -= f * beta[col]!;
    }
  }
  for (let j = 0; j < p; j++) beta[j] = used[j] ? beta[j]! / M[j * p + j]! : 0;
  // RSS computed directly (no cancellation against yy).
  let rss = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let j = 0; j < p; j++) f += X[i * p + j]! * beta[j]!;
    rss += (y[i]! - f) ** 2;
  }
  return { beta, rss: Math.min(rss, yy) };
}

export function sumOfSquaresAboutMean(y: ArrayLike<number>, off: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += y[off + i]!;
  const m = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[off + i]! - m) ** 2;
  return ss;
}

export function signChanges(x: ArrayLike<number>, off: number, n: number): number {
  let prev = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = x[off + i]!;
    if (v > 0) {
      if (prev < 0) c++;
      prev = 1;
    } else if (v < 0) {
      if (prev > 0) c++;
      prev = -1;
    }
  }
  return c;
}

/** A row-major [rows, cols] tensor. */
export interface MatrixF32 {
  data: Float32Array;
  rows: number;
  cols: number;
}

/**
 * Signals of the tensor (its rows, or its columns when byColumns), all or the
 * listed ones, as one contiguous row-major array: the values themselves for
 * all rows, otherwise a copy.
 */
export function signalsOf({ data: v, rows, cols }: MatrixF32, byColumns: boolean, which: number[] | null = null): Float32Array {
  if (!byColumns) {
    if (!which) return v;
    const out = new Float32Array(which.length * cols);
    which.forEach((r, i) => out.set(v.subarray(r * cols, (r + 1) * cols), i * cols));
    return out;
  }
  const list = which ?? Array.from({ length: cols }, (_, c) => c);
  const out = new Float32Array(list.length * rows);
  if (!which) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c]!;
  } else {
    list.forEach((c, i) => {
      for (let r = 0; r < rows; r++) out[i * rows + r] = v[r * cols + c]!;
    });
  }
  return out;
}

export const indices = (count: number) => Array.from({ length: count }, (_, i) => i);

export function evenlySpaced(count: number, want: number): number[] {
  if (count <= want) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: want }, (_, i) => Math.floor(((i + 0.5) * count) / want));
}

/** Elements of a tensor of this shape. */
export function elementsOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
