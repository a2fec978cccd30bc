/**
 * Linear assignment: match n rows to m >= n columns maximising the total
 * score. Exact (shortest augmenting paths, O(n^2 m)) up to EXACT_LIMIT rows;
 * above it, a greedy mutual-best matching, which recovers a permutation that
 * is really there (a copy) and is only used on sizes where exact is too slow.
 */
import { hungarianWasm, WASM_MAX_CELLS } from "../kernels/hungarian.js";

const EXACT_LIMIT = 1500;

/** score is row-major n x m. Returns, for each row, its column (or -1). */
export function maximizeAssignment(score: Float64Array | Float32Array, n: number, m: number): Int32Array {
  if (n === 0) return new Int32Array(0);
  if (n > m) throw new Error(`assignment needs rows <= columns (${n} > ${m})`);
  if (n > EXACT_LIMIT) return greedy(score, n, m);
  return n * m <= WASM_MAX_CELLS ? hungarianWasm(score, n, m) : hungarian(score, n, m);
}

/** Turn a matching of m items into n targets into its inverse (n -> m, -1 where unmatched). */
export function invertMatching(a: Int32Array, n: number): Int32Array {
  const out = new Int32Array(n).fill(-1);
  a.forEach((j, i) => {
    if (j >= 0) out[j] = i;
  });
  return out;
}

/** The exact assignment in scalar code (kernels/hungarian.ts runs the same steps in SIMD). */
export function hungarian(score: Float64Array | Float32Array, n: number, m: number): Int32Array {
  // Minimise cost = -score. 1-based potentials as in the classic formulation. Every value is computed
  // by the same operations in the same order as the textbook loops, so the matching is the same; but
  // the previous step's `minv -= delta` on the columns outside the tree is folded into the next scan,
  // and the potentials of the columns in the tree are updated from a list: one pass over m per step, not two.
  const INF = Number.POSITIVE_INFINITY;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j] = row matched to column j (1-based), 0 = free
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  const usedList = new Int32Array(m + 1); // columns in the tree, column 0 (the row being added) first
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(INF);
    used.fill(0);
    let nUsed = 0;
    let pending = 0; // the last step's delta, not yet subtracted from the free columns' minv
    do {
      used[j0] = 1;
      usedList[nUsed++] = j0;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      const rowBase = (i0 - 1) * m - 1;
      const ui0 = u[i0]!;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        let mv = minv[j]! - pending;
        const cur = -score[rowBase + j]! - ui0 - v[j]!;
        if (cur < mv) {
          mv = cur;
          way[j] = j0;
        }
        minv[j] = mv;
        if (mv < delta) {
          delta = mv;
          j1 = j;
        }
      }
      for (let k = 0; k < nUsed; k++) {
        const j = usedList[k]!;
        u[p[j]!] += delta;
        v[j] -= delta;
      }
      pending = delta;
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
