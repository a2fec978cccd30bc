/** The fast Walsh–Hadamard transform (the Hadamard looks of the streamed search; the bench's rotated models). */
import type { Matrix } from "./matrix.js";

/** x[off .. off + n) ← H·x in place (unnormalised Sylvester H; n a power of two). */
export function fwht(x: Float32Array, off: number, n: number): void {
  for (let h = 1; h < n; h <<= 1) {
    for (let i = off; i < off + n; i += h << 1) {
      for (let j = i; j < i + h; j++) {
        const a = x[j]!;
        const b = x[j + h]!;
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}

/**
 * Every row of a row-major [rows, d] matrix times H/√d (d a power of two); H/√d is orthogonal and its own
 * inverse. A copy, unless `inPlace` (for a matrix the caller owns and no longer needs as it was).
 */
export function hadamardRows(m: Matrix, inPlace = false): Matrix {
  const d = m.cols;
  const out = inPlace ? m.data : new Float32Array(m.data);
  const scale = 1 / Math.sqrt(d);
  for (let r = 0; r < m.rows; r++) {
    fwht(out, r * d, d);
    for (let k = r * d; k < (r + 1) * d; k++) out[k]! *= scale;
  }
  return { rows: m.rows, cols: d, data: out };
}
