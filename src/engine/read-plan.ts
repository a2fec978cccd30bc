/**
 * The order and the byte ranges of a check's reads, known before any weight is
 * read: the sources coalesce and fetch ahead from it, and the auto sampling
 * rule goes by its size.
 */
import type { AlignedPair, ComponentAlignment } from "../align/align.js";
import type { ByteRange } from "../sources/types.js";
import { operatorTensors } from "../align/operator.js";
import { expertSketchReads } from "../align/expert-slots.js";
import { pairReads } from "./stream-pair.js";
import { factoredReads } from "./compare-factored.js";

/** The order pairs are compared in: the reference's file order (stable), so adjacent tensors are read one after another. */
export function readOrder(pairs: readonly AlignedPair[]): number[] {
  // Where each reference view starts in its file; views of one fused tensor go by their first row.
  const keys = pairs.map(({ reference: v }) => ({ file: v.entry.file, at: v.entry.begin, row: v.rowStart }));
  return pairs
    .map((_, i) => i)
    .sort((i, j) => {
      const a = keys[i]!;
      const b = keys[j]!;
      return a.file < b.file ? -1 : a.file > b.file ? 1 : a.at - b.at || a.row - b.row || i - j;
    });
}

/** Every range both sides will read, component by component, pair by pair in readOrder. */
export function readPlan(components: readonly ComponentAlignment[], fraction: number): { candidate: ByteRange[]; reference: ByteRange[] } {
  const candidate: ByteRange[] = [];
  const reference: ByteRange[] = [];
  for (const comp of components) {
    // Experts still paired by index are matched on sketches first (src/engine/expert-match.ts).
    const sketches = expertSketchReads(comp.pairs, fraction);
    candidate.push(...sketches.candidate);
    reference.push(...sketches.reference);
  }
  for (const comp of components) {
    for (const i of readOrder(comp.pairs)) {
      const p = comp.pairs[i]!;
      const r = pairReads(p, p.informative ? fraction : 1);
      candidate.push(...r.candidate);
      reference.push(...r.reference);
    }
    const f = factoredReads(comp.factored);
    candidate.push(...f.candidate);
    reference.push(...f.reference);
  }
  return { candidate, reference };
}

/** Stored bytes of the informative pairs, both sides: what the auto sampling rule goes by. */
export function informativeBytes(components: readonly ComponentAlignment[]): number {
  let bytes = 0;
  for (const c of components) {
    for (const p of c.pairs) {
      if (!p.informative) continue;
      bytes += (p.candidate.entry.end - p.candidate.entry.begin) + (p.reference.entry.end - p.reference.entry.begin);
    }
    for (const f of c.factored ?? []) bytes += (f.reference.end - f.reference.begin) + operatorTensors(f.candidate).reduce((s, e) => s + (e.end - e.begin), 0);
  }
  return bytes;
}
