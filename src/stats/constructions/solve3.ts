/** 3 × 3 linear systems (least-squares fits of three-parameter models). */

export function det3(m: ArrayLike<number>): number {
  return m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
}

/** Cramer's rule for a 3×3 system (row-major), null when singular. */
export function solve3(A: ArrayLike<number>, b: ArrayLike<number>): number[] | null {
  const d = det3(A);
  if (!(Math.abs(d) > 0)) return null;
  return [0, 1, 2].map((j) => {
    const m = Array.from(A);
    for (let r = 0; r < 3; r++) m[r * 3 + j] = b[r]!;
    return det3(m) / d;
  });
}
