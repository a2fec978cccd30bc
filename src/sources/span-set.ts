/**
 * Disjoint byte intervals per file: which bytes of a model are already held
 * (the candidate's span cache) or already counted (plan's estimate).
 */

/** Sorted, disjoint, non-adjacent [begin, end) intervals of one file. */
class Intervals {
  begins: number[] = [];
  ends: number[] = [];

  /** Index of the first interval whose end is after `at`. */
  private firstEndingAfter(at: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  covers(begin: number, end: number): boolean {
    if (end <= begin) return true;
    const i = this.firstEndingAfter(begin);
    return i < this.begins.length && this.begins[i]! <= begin && this.ends[i]! >= end;
  }

  /** The parts of [begin, end) not held, in order. */
  gaps(begin: number, end: number): [number, number][] {
    const out: [number, number][] = [];
    let at = begin;
    for (let i = this.firstEndingAfter(begin); i < this.begins.length && at < end; i++) {
      if (this.begins[i]! >= end) break;
      if (this.begins[i]! > at) out.push([at, this.begins[i]!]);
      at = Math.max(at, this.ends[i]!);
    }
    if (at < end) out.push([at, end]);
    return out;
  }

  /** Add [begin, end), merging with what it touches; returns the bytes newly covered. */
  add(begin: number, end: number): number {
    if (end <= begin) return 0;
    const fresh = this.gaps(begin, end).reduce((s, [a, b]) => s + b - a, 0);
    // Intervals that overlap or touch [begin, end) merge into one.
    let i = this.firstEndingAfter(begin - 1);
    let j = i;
    let b = begin;
    let e = end;
    while (j < this.begins.length && this.begins[j]! <= end) {
      b = Math.min(b, this.begins[j]!);
      e = Math.max(e, this.ends[j]!);
      j++;
    }
    this.begins.splice(i, j - i, b);
    this.ends.splice(i, j - i, e);
    return fresh;
  }
}

export class SpanSet {
  private readonly files = new Map<string, Intervals>();
  /** Bytes covered in all. */
  bytes = 0;

  private of(file: string): Intervals {
    let f = this.files.get(file);
    if (!f) this.files.set(file, (f = new Intervals()));
    return f;
  }

  covers(file: string, begin: number, end: number): boolean {
    return this.files.get(file)?.covers(begin, end) ?? end <= begin;
  }

  gaps(file: string, begin: number, end: number): [number, number][] {
    const f = this.files.get(file);
    return f ? f.gaps(begin, end) : end > begin ? [[begin, end]] : [];
  }

  /** Add [begin, end) of `file`; returns the bytes it newly covers. */
  add(file: string, begin: number, end: number): number {
    const fresh = this.of(file).add(begin, end);
    this.bytes += fresh;
    return fresh;
  }
}
