/**
 * The JSON report, schemaVersion 1. Field names are a contract other tools
 * read (documented in the README); add fields, never rename.
 */
export type Verdict = "reused" | "independent" | "inconclusive";
export type FailOn = "reused" | "inconclusive" | "never";

export interface NullSummary {
  mean: number;
  sd: number;
  /** Control values the null was measured on. */
  n: number;
}

export interface TensorResult {
  candidate: string;
  reference: string;
  /** Elements compared (the aligned view). */
  elements: number;
  cosine: number | null;
  pearson: number | null;
  z: number | null;
  identical: boolean;
  transform: string;
  layer: number | null;
  role: string;
  /** A matrix large enough to count as evidence; vectors and tiny tensors are reported only. */
  informative: boolean;
  /** Pearson and z both past the thresholds (informative tensors only). */
  standsOut: boolean;
  null: NullSummary | null;
  dtype: { candidate: string; reference: string };
  /** Why the pair could not be compared (unsupported dtype, ...). Counts as unread. */
  error?: string;
  /** Set when only some rows were read (sampled mode): the read fraction and the Pearson's standard error. */
  sampled?: { fraction: number; elements: number; pearsonSe: number | null };
  /** log10 p of the agreement test of the alignment search (hidden-unit matchings that agree). */
  log10p?: number;
  /**
   * The element-wise comparison as a permutation test of independence (src/stats/permutation.ts): the
   * pair's sample grid, the units of its exchangeable axis permuted; z and the two-sided log10 p. Reported
   * beside z while it is calibrated; it does not decide yet.
   */
  permutation?: { units: number; features: number; z: number; log10p: number };
  /** When the alignment search replaced the element-wise result: what element-wise comparison gave. */
  direct?: { reference: string; pearson: number | null; cosine: number | null; z: number | null };
  /** What the alignment search found for this tensor when it did not stand out. */
  aligned?: { reference: string; pearson: number; z: number; log10p: number; transform: string };
}

export interface SearchSummary {
  /** Whether the alignment search (permutations, layer shifts) ran for this component. */
  ran: boolean;
  note: string;
  residualPermuted: boolean;
  residualMatchQuality: number | null;
  /** Reference layers that are near-copies of each other (excluded from each other's null). */
  referenceDuplicateLayers: [number, number][];
}

/**
 * Candidate layer x reference layer similarity, from the sampled values of
 * every layer (the picture a derivative shows as a bright diagonal): mean
 * Pearson over the informative roles, and for norm vectors both Pearson and
 * the raw cosine that misleads.
 */
export interface LayerMatrix {
  candidateLayers: number[];
  referenceLayers: number[];
  /** [candidate layer][reference layer], null where no role is comparable. */
  pearson: (number | null)[][];
  normPearson: (number | null)[][] | null;
  normCosine: (number | null)[][] | null;
}

export interface ComponentResult {
  name: string;
  verdict: Verdict;
  /** One sentence: the rule that produced the verdict. */
  reason: string;
  /** matchedParameters / candidateParameters. */
  share: number;
  candidateParameters: number;
  matchedParameters: number;
  /** Candidate parameters in informative pairs that were compared. */
  comparedParameters: number;
  null: NullSummary | null;
  pearsonMedian: number | null;
  /** Median |z| of informative compared tensors. */
  zMedian: number | null;
  unmatchedTensors: number;
  unmatchedParameters: number;
  unreadTensors: number;
  /**
   * Whether any tensor of this component could be compared with the reference. A component with
   * nothing comparable is `independent (nothing comparable)` only when another component of the same
   * reference was compared (its matrices); else it is `inconclusive`.
   */
  comparable?: boolean;
  /** Matrices whose bytes equal the reference's, and their parameters (a byte-identical copy). */
  identical?: { tensors: number; parameters: number };
  /** The alignment search for hidden permutations and layer shifts (runs when element-wise comparison finds no reuse). */
  search: SearchSummary | null;
  layerMatrix: LayerMatrix | null;
  tensors: TensorResult[];
}

export interface ReferenceResult {
  source: string;
  revision: string | null;
  license: string | null;
  verdict: Verdict;
  reason: string;
  components: ComponentResult[];
  /** Reference tensors no candidate tensor met. */
  referenceUnmatchedTensors: number;
  /** Exact (fraction 1) or sampled: the fraction of large matrices' rows read, and how it was chosen. */
  sampling: { fraction: number; mode: "exact" | "sampled"; chosen: "auto" | "--sample" };
  /** The reference cache (--cache-dir): headers hit or miss, ranges served from disk and stored. */
  cache?: {
    listing: "hit" | "miss" | "off";
    rangesHit: number;
    rangesStored: number;
    bytesFromCache: number;
    /** A remote store (the Action's @actions/cache): its key, whether the entry was restored before the run and saved after it. */
    store?: { name: string; key: string; restored: boolean; saved: boolean };
  };
  /** `code`: a stable ErrorCode (kind or kind.detail); absent in reports of earlier versions. */
  error?: { kind: string; code?: string; message: string };
}

export interface Thresholds {
  minPearson: number;
  minZ: number;
  minShare: number;
}

export interface Report {
  schemaVersion: 1;
  tool: { name: "fromscratch"; version: string };
  candidate: {
    source: string;
    revision: string | null;
    parameters: number;
    components: { name: string; parameters: number }[];
  };
  verdict: Verdict;
  thresholds: Thresholds;
  failOn: FailOn;
  gate: { failed: boolean; rule: string };
  references: ReferenceResult[];
  /** Fatal error that stopped the run (the report is partial). */
  error?: { kind: string; code?: string; message: string; exitCode: number };
  bytesRead: number;
  seconds: number;
  /** Set on a shard's partial report (`check --shard K/N --plan-fingerprint F --plan-positions ...`). */
  shard?: ShardMark;
  /** Set on a report `merge` combined from partial reports: the plan and what each shard spent. */
  merged?: MergeInfo;
}

/** Which part of which plan a partial report covers. */
export interface ShardMark {
  /** 0-based shard index, below count. */
  index: number;
  count: number;
  /** The plan's fingerprint (sha256 hex). */
  fingerprint: string;
  /** Positions of this report's references in the plan's reference list, in report order. */
  positions: number[];
}

export interface MergeInfo {
  fingerprint: string;
  count: number;
  /** Per shard, by index: references compared, bytes read, seconds (the merged `seconds` is their sum; wall time is the largest). */
  shards: { index: number; references: number; bytesRead: number; seconds: number }[];
}
