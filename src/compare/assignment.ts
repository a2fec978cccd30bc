/**
 * Linear assignment: match n rows to m >= n columns maximising the total
 * score. Exact (shortest augmenting paths, O(n^2 m)) up to EXACT_LIMIT rows;
 * above it, a greedy mutual-best matching, which recovers a permutation that
 * is really there (a copy) and is only used on sizes where exact is too slow.
 */
export const EXACT_LIMIT = 1500;

/** score is row-major n x m. Returns, for each row, its column (or -1). */
export function maximizeAssignment(score: Float64Array | Float32Array, n: number, m: number): Int32Array {
  if (n === 0) return new Int32Array(0);
  if (n > m) throw new Error(`assignment needs rows <= columns (${n} > ${m})`);
  return n <= EXACT_LIMIT ? hungarian(score, n, m) : greedy(score, n, m);
}

function hungarian(score: Float64Array | Float32Array, n: number, m: number): Int32Array {
  // Minimise cost = -score. 1-based potentials as in the classic formulation.
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j] = row matched to column j (1-based), 0 = free
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(INF);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      const rowBase = (i0 - 1) * m;
      const ui0 = u[i0]!;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = -score[rowBase + j - 1]! - ui0 - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0);
  }
  const out = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) out[p[j]! - 1] = j - 1;
  return out;
}

function greedy(score: Float64Array | Float32Array, n: number, m: number): Int32Array {
  // Take pairs in decreasing score, each row and column once.
  const order = new Int32Array(n);
  const best = new Float64Array(n);
  const out = new Int32Array(n).fill(-1);
  const takenCol = new Uint8Array(m);
  let remaining = n;
  for (let round = 0; round < 4 && remaining > 0; round++) {
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (out[i] !== -1) continue;
      let b = -Infinity;
      for (let j = 0; j < m; j++) if (!takenCol[j] && score[i * m + j]! > b) b = score[i * m + j]!;
      best[i] = b;
      order[k++] = i;
    }
    const rows = Array.from(order.subarray(0, k)).sort((a, b) => best[b]! - best[a]!);
    for (const i of rows) {
      let bj = -1;
      let b = -Infinity;
      for (let j = 0; j < m; j++) if (!takenCol[j] && score[i * m + j]! > b) {
        b = score[i * m + j]!;
        bj = j;
      }
      if (bj >= 0) {
        out[i] = bj;
        takenCol[bj] = 1;
        remaining--;
      }
    }
  }
  return out;
}
