/**
 * The JSON report, schemaVersion 2. Field names are a contract other tools
 * read (documented in the README); add fields, never rename.
 *
 * Version 2 (the calibrated test): every compared tensor carries `log10p` and `effect`, every
 * component its combined `log10p`, `log10pCorrected`, `effect` and `combination`, the report the
 * `family` it corrects over; `z` is a true normal score (a permutation test's), no longer the
 * z against same-kind controls (those remain in `null`, descriptive only). Added since, without a new
 * version: `candidate.files` and `references[].files` (every compared file by path, size and sha256).
 */
export type Verdict = "reused" | "independent" | "inconclusive";

/**
 * The predicate type of a build attestation whose predicate is this report (actions/attest with
 * `predicate-path: fromscratch-report.json`; examples/attest.yml). Its version follows schemaVersion.
 */
export const REPORT_PREDICATE_TYPE = "https://fromscratch.dev/report/v2";

/**
 * One file the check compared, so a third party can tell it is looking at the same bytes: `path` in
 * the model (its folder, or the repo at `revision`), `size` in bytes, `sha256` (lowercase hex).
 * `sha256From`: "hub", the sha256 the Hub's tree lists for an LFS or Xet file (`lfs.oid`; nothing is
 * downloaded for it); "computed", hashed by fromscratch over the file's bytes (a local file, or an
 * index read whole). null when neither was possible: a Hub file kept in plain git of which only
 * byte ranges were read; `gitOid`, the Hub's git blob id, then names it.
 */
export interface ModelFile {
  path: string;
  size: number;
  sha256: string | null;
  sha256From: "hub" | "computed" | null;
  gitOid?: string;
}
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
  /** The normal score of the test that gave `log10p` (a permutation test's; null when none ran). */
  z: number | null;
  identical: boolean;
  /**
   * Transforms undone to meet the reference, joined by "+" in the order they were undone ("none": as
   * stored), e.g. "renamed+layout:tf-hwio", "transpose+split-qkv", "layer-shift+residual-permuted". The
   * engine holds them as a typed list (src/align/transform.ts) and renders them here.
   */
  transform: string;
  layer: number | null;
  role: string;
  /** A matrix large enough to count as evidence; vectors and tiny tensors are reported only. */
  informative: boolean;
  /**
   * Why a tensor below the informative size counts: "byte-identical" (a trained tensor, not a shared
   * construction, whose bytes equal the reference's gets the direct test too), or "converted-copy" (the
   * same values through a dtype conversion: relative RMS difference at most 1%), or "rearranged-copy" (a
   * tensor of at least 4,096 elements whose values are exactly the reference tensor's in another order —
   * any transpose, reshape or permutation: `permutation.log10p` is then the chance that an independent
   * draw from the reference's value distribution reproduces that multiset, src/stats/multiset.ts).
   */
  promoted?: "byte-identical" | "converted-copy" | "rearranged-copy";
  /**
   * Evidence on its own: log10p at or below the level after Bonferroni over the component's tested
   * tensors and the family, and |effect| >= min-effect (informative tensors only). The share counts these.
   */
  standsOut: boolean;
  /** Same-kind controls (other layers, shifted rows): descriptive, not part of the test. */
  null: NullSummary | null;
  dtype: { candidate: string; reference: string };
  /** Why the pair could not be compared (unsupported dtype, ...). Counts as unread. */
  error?: string;
  /** Set when only some rows were read (sampled mode): the read fraction and the Pearson's standard error. */
  sampled?: { fraction: number; elements: number; pearsonSe: number | null };
  /**
   * log10 of the tensor's p-value under H0 (two-sided): the direct test's (`permutation`), or, where the
   * alignment search also tested the tensor, min(p_direct / 0.9, p_search / 0.1) (a weighted Bonferroni: both looks paid for). Absent when
   * no test could run (unread, constant, deterministic).
   */
  log10p?: number;
  /** Effect size of the test that gave `log10p`: the Pearson of the standardised units, in [-1, 1]. */
  effect?: number;
  /**
   * The element-wise comparison as a permutation test of independence (src/stats/independence.ts): on the
   * pair's sample grid, each axis's units permuted in turn; the larger p of the two axes is kept (`axis`).
   */
  /**
   * The direct test. `floor`: for a tensor whose only exchangeable axis can be the residual stream (token
   * embeddings, LM and classifier heads, position and patch embeddings: their other axis is tokens,
   * classes, positions or pixels), the effect it needs to count; below it `log10p` is 0 (`tested` keeps
   * the test's own value), because a fixed position table ties residual dimensions across independent models.
   */
  permutation?: { units: number; features: number; z: number; log10p: number; effect?: number; axis?: "rows" | "cols"; floor?: number; tested?: number };
  /**
   * A construction both models share without copying (src/stats/constructions/, src/engine/constructions.ts):
   * reported, never counted, except an identity-initialised matrix whose trained residual was tested
   * instead (`residualTested`: then `permutation` holds that test).
   */
  deterministic?: { construction: string; explained: number; detail: string; residualTested?: boolean };
  /**
   * Set on a tensor whose likeness rests on a structure the permutation null cannot price: equal values in
   * a table that is smooth along its positions (a learned or converged position table no formula
   * explains). It keeps its test, but a component is never `reused` on such tensors alone.
   */
  structureOnly?: string;
  /** When the alignment search replaced the element-wise result: what element-wise comparison gave. */
  direct?: { reference: string; pearson: number | null; cosine: number | null; z: number | null; log10p?: number };
  /** What the alignment search found for this tensor when it did not replace the element-wise result. */
  aligned?: { reference: string; pearson: number; z: number; log10p: number; effect?: number; transform: string };
  /**
   * Set when the candidate's matrix is stored as several tensors (low-rank factors, an unmerged adapter
   * beside its base, row or column blocks) and was compared as the map they make, by probing with `probes`
   * random columns and rows (src/engine/compare-factored.ts): its tensors (their parameters are `elements`)
   * and the options its pairing was chosen among (its p-value paid for them).
   */
  factored?: { tensors: string[]; probes: number; options: number };
}

export interface SearchSummary {
  /** Whether the alignment search (permutations, layer shifts) ran for this component. */
  ran: boolean;
  /** ran; not-run (nothing left unexplained); stopped (an error stopped it: `note` says which). */
  status: "ran" | "not-run" | "stopped";
  note: string;
  /** Matrices that stand out only through the search's look (set by the policy, which alone decides). */
  matched?: number;
  /** Set by the policy: a matrix that stands out needed the residual stream permuted or rotated. */
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
  /** Tensors counted as evidence (matrices, and small byte-identical ones promoted) whose bytes equal the reference's, and their parameters. */
  identical?: { tensors: number; parameters: number };
  /** The alignment search for hidden permutations and layer shifts (runs when element-wise comparison finds no reuse). */
  search: SearchSummary | null;
  layerMatrix: LayerMatrix | null;
  /** log10 of the component's combined p-value (`combination` over its tested tensors), before the family correction. */
  log10p?: number;
  /** log10p corrected over the report's family (Bonferroni): what the level is compared with. */
  log10pCorrected?: number;
  /** Effect size of the component: |effect| of its strongest tensor (smallest p). */
  effect?: number;
  /**
   * How the tensors' p-values were combined and how many: "truncated-cauchy" is the Cauchy combination with
   * pieces held at p ≤ 0.9 and its independence shift paid (src/stats/combine.ts).
   */
  combination?: { method: "truncated-cauchy"; tensors: number };
  /** Tensors recognised as a shared construction (not evidence), and their parameters. */
  deterministic?: { tensors: number; parameters: number };
  tensors: TensorResult[];
}

export interface ReferenceResult {
  source: string;
  revision: string | null;
  license: string | null;
  /** Every file of the reference the check read (its index, then its weight files); absent when it could not be listed. */
  files?: ModelFile[];
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
  /** Schema 1's per-tensor thresholds: no longer decide (read as min-effect and level when set). */
  minPearson: number;
  minZ: number;
  /** Share of the component's parameters the standing-out tensors must cover for `reused` (default 0: any share). */
  minShare: number;
  /** `reused` needs the component's corrected combined p at or below this (default 1e-6). */
  level: number;
  /** `inconclusive` (review) when the corrected p is at or below this but above `level` (default 1e-3). */
  reviewLevel: number;
  /** `reused` also needs the component's effect size at or above this (default 0.05). */
  minEffect: number;
}

/** What the per-component p-values are corrected over: every component against every reference of the run (or plan). */
export interface Family {
  size: number;
  references: number;
  components: number;
  correction: "bonferroni";
}

export interface Report {
  schemaVersion: 2;
  tool: { name: "fromscratch"; version: string };
  candidate: {
    source: string;
    revision: string | null;
    parameters: number;
    components: { name: string; parameters: number }[];
    /** Every file of the candidate the check read (its index, then its weight files); absent when it could not be listed. */
    files?: ModelFile[];
  };
  verdict: Verdict;
  thresholds: Thresholds;
  /** The family the component p-values are corrected over. */
  family?: Family;
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
