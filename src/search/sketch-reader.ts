/**
 * The streamed search's reads, in [units, features] form: reference sketches
 * cached within a byte budget (the layer choice's pinned), candidate sketches
 * read per look, and every tensor that cannot be decoded recorded unread.
 */
import { viewKey } from "../align/view.js";
import { FromScratchError } from "../common/errors.js";
import type { WeightSource } from "../sources/types.js";
import { hadamardRows } from "./hadamard.js";
import { type Matrix, pickColumns } from "./matrix.js";
import type { Look } from "./residual-looks.js";
import type { CandidateView, ReferenceView, Unread } from "./search-groups.js";
import { readRowSet } from "./sketch-read.js";
import { type Kind, classRows } from "./stream-groups.js";

/** Bytes of reference sketches kept at most (they are dropped anyway when the search moves to the next reference layer). */
const REFERENCE_SKETCH_BYTES = 48 << 20;

/** How a reference sketch is read: a group's kind, or rows taken through H/√d (the Hadamard look). */
export type ReadKind = Kind | "rows-hadamard";

/**
 * Sketches in [units, features] form. Reference sketches are cached (a few); candidate sketches
 * depend on the look and are read when needed. A tensor that cannot be decoded is reported unread.
 */
export class SketchReader {
  readonly unreadCandidate = new Map<string, Unread>();
  readonly unreadReference = new Map<string, string>();
  private readonly refCache = new Map<string, { bytes: number; matrix: Promise<Matrix | null> }>();
  private refBytes = 0;
  private readonly pinned = new Map<string, Promise<Matrix | null>>();

  constructor(
    readonly cand: WeightSource,
    readonly ref: WeightSource,
    readonly features: Int32Array,
  ) {}

  /** The reference's units of `v` (all, or the given rows) on the features. */
  reference(v: ReferenceView, kind: ReadKind, rows?: Int32Array, pin = false): Promise<Matrix | null> {
    const key = `${viewKey(v)}|${kind}|${rows ? rows.join(",") : ""}`;
    const pinned = this.pinned.get(key);
    if (pinned) return pinned;
    let hit = this.refCache.get(key);
    if (hit) {
      this.refCache.delete(key);
      this.refCache.set(key, hit);
      return hit.matrix;
    }
    const units = kind === "cols" ? v.cols : (rows ?? classRows(v.rows)).length;
    hit = {
      bytes: units * this.features.length * 4,
      matrix: this.guard(
        () =>
          kind === "cols"
            ? readRowSet(this.ref, v, this.features, { transpose: true })
            : kind === "rows-hadamard"
              ? readRowSet(this.ref, v, rows ?? classRows(v.rows)).then((m) => pickColumns(hadamardRows(m, true), this.features))
              : readRowSet(this.ref, v, rows ?? classRows(v.rows), { columns: this.features }),
        this.referenceUnread(v),
      ),
    };
    if (pin) {
      // The layer choice's sketches of every layer: small, kept for the whole search.
      this.pinned.set(key, hit.matrix);
      return hit.matrix;
    }
    this.refCache.set(key, hit);
    this.refBytes += hit.bytes;
    for (const [k, old] of this.refCache) {
      if (this.refBytes <= REFERENCE_SKETCH_BYTES || k === key) break;
      this.refCache.delete(k);
      this.refBytes -= old.bytes;
    }
    return hit.matrix;
  }

  /** Forget the reference sketches read so far (the next reference layer's are read afresh). */
  dropReferenceSketches(): void {
    this.refCache.clear();
    this.refBytes = 0;
  }

  /** Whole rows of the candidate (the Gram look). */
  candidateRows(v: CandidateView, rows: Int32Array): Promise<Matrix | null> {
    return this.guard(
      () => readRowSet(this.cand, v, rows),
      this.candidateUnread(v),
    );
  }

  /** Whole rows of the reference (the Gram look). */
  referenceRows(v: ReferenceView, rows: Int32Array): Promise<Matrix | null> {
    return this.guard(
      () => readRowSet(this.ref, v, rows),
      this.referenceUnread(v),
    );
  }

  /** The candidate's rows `units` of `v` on a Hadamard look's features (through H/√d first when the look says so). */
  candidateHadamard(v: CandidateView, look: Look, units: Int32Array): Promise<Matrix | null> {
    return this.guard(
      () =>
        look.hadamard === "candidate"
          ? readRowSet(this.cand, v, units).then((m) => pickColumns(hadamardRows(m, true), look.dims, look.sign))
          : readRowSet(this.cand, v, units, { columns: look.dims, columnSign: look.sign }),
      this.candidateUnread(v),
    );
  }

  /** The candidate's `units` of `v` on the look's features. */
  candidate(v: CandidateView, kind: Kind, look: Look, units: Int32Array): Promise<Matrix | null> {
    return this.guard(
      () =>
        kind === "cols"
          ? readRowSet(this.cand, v, look.dims, { columns: units, rowSign: look.sign, transpose: true })
          : readRowSet(this.cand, v, units, { columns: look.dims, columnSign: look.sign }),
      this.candidateUnread(v),
    );
  }

  private candidateUnread(v: CandidateView): (message: string) => void {
    return (message) => this.unreadCandidate.set(v.entry.name, { view: v, layer: v.layer, pairIndex: v.pairIndex, message });
  }

  private referenceUnread(v: ReferenceView): (message: string) => void {
    return (message) => this.unreadReference.set(v.entry.name, message);
  }

  private async guard(read: () => Promise<Matrix>, unread: (message: string) => void): Promise<Matrix | null> {
    try {
      return await read();
    } catch (e) {
      if (!(e instanceof FromScratchError && e.kind === "format")) throw e;
      unread(e.message);
      return null;
    }
  }
}
