/**
 * The adversarial cases of the audit, rebuilt as generated model pairs: eight
 * kinds of independent pairs made to look alike (the candidate must NOT be
 * `reused`) and seven kinds of reuse that change shapes or mix sources (the
 * candidate MUST be `reused`). Every model is built deterministically from
 * the tiny fixtures (test/helpers/fixtures.ts: llm-a, llm-a-sft, llm-b,
 * vlm-ref; trained ones when ../shared is there) with the transforms of
 * test/helpers/audit-cases.ts and evasions.ts. Where a structure is injected
 * into an independent pair, it is injected into BOTH models, each with its
 * own seed.
 *
 * Used by test/audit-cases.test.ts (asserts the verdicts) and
 * scripts/audit-table.mts (prints the table).
 */
import path from "node:path";
import type { ReferenceResult, Report } from "../../src/report/schema.js";
import {
  alignKWithQ,
  alignUpWithGate,
  cosFraction,
  cosUniform,
  gaussianLike,
  graftLayer,
  heavyEmbeddingRows,
  identityProjector,
  initBuffers,
  initLike,
  lowRankMerge,
  noiseWhere,
  pearson,
  pruneWidth,
  toGqa,
  trainFrom,
  transplantAttention,
  upcycleMoe,
  vadModel,
  whisperAudioTower,
  widenMlp,
} from "../helpers/audit-cases.js";
import { rescale } from "../helpers/evasions.js";
import { type TinyName, tiny } from "../helpers/fixtures.js";
import { type FloatTensors, loadModel, quantize, saveModel } from "../helpers/model-io.js";
import { readReport, runCli } from "../helpers/run-cli.js";
import { tempDir } from "../helpers/temp.js";

export interface Built {
  tensors: FloatTensors;
  config: Record<string, unknown> | null;
}

export interface ModelSpec {
  /** Unique per distinct model: the materialisation cache key. */
  key: string;
  /** A fixture used as it is (no rewrite). */
  fixture?: TinyName;
  build?: () => Promise<Built>;
}

export interface AuditCase {
  id: string;
  name: string;
  expect: "reused" | "not-reused";
  candidate: ModelSpec;
  references: ModelSpec[];
  /** Facts of the construction measured on the built tensors (asserted where stated). */
  measure?: () => Promise<Record<string, number>>;
}

// ---------------------------------------------------------------------------
// Sources

const loaded = new Map<TinyName, Promise<Built>>();

/** A tiny fixture as float tensors (cached; never mutate). */
export function fixture(name: TinyName): Promise<Built> {
  let p = loaded.get(name);
  if (!p) {
    p = (async () => {
      const m = await loadModel(await tiny(name));
      return { tensors: m.tensors, config: m.config };
    })();
    loaded.set(name, p);
  }
  return p;
}

const built = new Map<string, Promise<Built>>();

/** A spec's tensors (cached by key). */
export function tensorsOf(spec: ModelSpec): Promise<Built> {
  if (spec.fixture) return fixture(spec.fixture);
  let p = built.get(spec.key);
  if (!p) {
    p = spec.build!();
    built.set(spec.key, p);
  }
  return p;
}

const asIs = (name: TinyName): ModelSpec => ({ key: `fixture:${name}`, fixture: name });

/** A model made from fixture `name` by `f` (config edited by `cfg`). */
function from(key: string, name: TinyName, f: (m: FloatTensors) => FloatTensors, cfg: (c: Record<string, unknown>) => Record<string, unknown> = (c) => c): ModelSpec {
  return {
    key,
    build: async () => {
      const b = await fixture(name);
      return { tensors: f(b.tensors), config: cfg({ ...(b.config ?? {}) }) };
    },
  };
}

/** A model made from two fixtures. */
function from2(key: string, a: TinyName, b: TinyName, f: (a: FloatTensors, b: FloatTensors) => FloatTensors, cfg: (ca: Record<string, unknown>) => Record<string, unknown> = (c) => c): ModelSpec {
  return {
    key,
    build: async () => {
      const [ma, mb] = await Promise.all([fixture(a), fixture(b)]);
      return { tensors: f(ma.tensors, mb.tensors), config: cfg({ ...(ma.config ?? {}) }) };
    },
  };
}

const merge = (...ms: FloatTensors[]): FloatTensors => new Map(ms.flatMap((m) => [...m]));

// Shapes of the tiny LLMs (llm-a, llm-b): d 128, 4 layers, 4 heads of 32, SwiGLU 352, vocab 260.
const D = 128;
const F = 352;
const HEAD_DIM = 32;
const MLP_UNITS = F;

// ---------------------------------------------------------------------------
// Independent pairs (must NOT be reused)

const heavyRows = (seed: number) => (m: FloatTensors) => heavyEmbeddingRows(m, { ids: [0, 1], factor: 150, seed });

const audioConfig = (c: Record<string, unknown>) => ({ ...c, audio_config: { model_type: "whisper", d_model: 96, encoder_layers: 2, num_mel_bins: 80, max_source_positions: 1500 } });

const LOW_RANK_PEARSON = 0.08;

const lowRankCandidate = from("lowrank", "llm-a", (m) => lowRankMerge(m, { rank: 32, targetPearson: LOW_RANK_PEARSON, seed: 901 }));

/** Per-matrix Pearson between the low-rank merge (as stored: BF16) and llm-a. */
async function lowRankPearsons(): Promise<number[]> {
  const [cand, ref] = await Promise.all([tensorsOf(lowRankCandidate), fixture("llm-a")]);
  const out: number[] = [];
  for (const [n, t] of cand.tensors) if (t.shape.length === 2) out.push(pearson(quantize("BF16", t.data), ref.tensors.get(n)!.data));
  return out;
}

/**
 * References of the family-wise case: 50 in `npm run audit` (scripts/audit-table.mts sets
 * FROMSCRATCH_AUDIT_FAMILY=50), 12 in the suite, which must stay within its time budget.
 */
const FAMILY = Number(process.env.FROMSCRATCH_AUDIT_FAMILY ?? 12);

export const AUDIT_CASES: AuditCase[] = [
  {
    id: "1",
    name: "heavy special-token rows: embedding rows 0 and 1 at 150x the median row norm in both, independent directions",
    expect: "not-reused",
    candidate: from("heavy-b", "llm-b", heavyRows(101)),
    references: [from("heavy-a", "llm-a", heavyRows(102))],
  },
  {
    id: "2a",
    name: "up_proj aligned with gate_proj inside each model (cos 0.7-0.95 for every unit)",
    expect: "not-reused",
    candidate: from("gateup-all-b", "llm-b", (m) => alignUpWithGate(m, cosUniform(201, 0.7, 0.95))),
    references: [from("gateup-all-a", "llm-a", (m) => alignUpWithGate(m, cosUniform(202, 0.7, 0.95)))],
  },
  {
    id: "2b",
    name: "up_proj aligned with gate_proj inside each model (cos 0.95 for 30% of units)",
    expect: "not-reused",
    candidate: from("gateup-30-b", "llm-b", (m) => alignUpWithGate(m, cosFraction(203, MLP_UNITS, 0.3, 0.95))),
    references: [from("gateup-30-a", "llm-a", (m) => alignUpWithGate(m, cosFraction(204, MLP_UNITS, 0.3, 0.95)))],
  },
  {
    id: "2c",
    name: "k_proj rows aligned with the q_proj rows of their head inside each model (cos 0.7-0.95)",
    expect: "not-reused",
    candidate: from("qk-b", "llm-b", (m) => alignKWithQ(m, cosUniform(205, 0.7, 0.95))),
    references: [from("qk-a", "llm-a", (m) => alignKWithQ(m, cosUniform(206, 0.7, 0.95)))],
  },
  {
    id: "3",
    name: "identity-initialised projectors trained independently (I + 5% noise) on vlm-ref and on llm-b",
    expect: "not-reused",
    candidate: from("proj-b", "llm-b", (m) => merge(m, identityProjector(D, 302))),
    references: [from("proj-vlm", "vlm-ref", (m) => merge(m, identityProjector(D, 301)))],
  },
  {
    id: "4",
    name: "Whisper-like audio tower in both: same sinusoidal positions [1500, 96] and Slaney mel filters [80, 201], own convs and 2 layers",
    expect: "not-reused",
    candidate: from("audio-b", "llm-b", (m) => merge(m, whisperAudioTower({ d: 96, layers: 2, seed: 402 })), audioConfig),
    references: [from("audio-a", "llm-a", (m) => merge(m, whisperAudioTower({ d: 96, layers: 2, seed: 401 })), audioConfig)],
  },
  {
    id: "5",
    name: "two voice-activity models sharing the fixed STFT basis [258, 1, 256] (Hann-windowed DFT), own conv/LSTM weights",
    expect: "not-reused",
    candidate: { key: "vad-b", build: async () => ({ tensors: vadModel(502), config: { model_type: "silero_vad" } }) },
    references: [{ key: "vad-a", build: async () => ({ tensors: vadModel(501), config: { model_type: "silero_vad" } }) }],
  },
  {
    id: "6",
    name: "shared deterministic init buffers: all-ones norms, zero q/k/v/o biases, rotary inv_freq in both",
    expect: "not-reused",
    candidate: from("buffers-b", "llm-b", (m) => initBuffers(m, { headDim: HEAD_DIM })),
    references: [from("buffers-a", "llm-a", (m) => initBuffers(m, { headDim: HEAD_DIM }))],
  },
  {
    id: "7",
    name: `llm-b against ${FAMILY} independent Gaussian references with llm-a's shapes and per-tensor scales (family-wise)`,
    expect: "not-reused",
    candidate: asIs("llm-b"),
    references: Array.from({ length: FAMILY }, (_, k) => from(`gauss-${k}`, "llm-a", (m) => gaussianLike(m, 700 + k))),
  },
  {
    id: "8",
    name: "same initialisation W0, two independent trainings (|update| = 1.5 |W0|, updates from llm-a / llm-b)",
    expect: "reused",
    candidate: from2("sameinit-b", "llm-a", "llm-b", (a, b) => trainFrom(initLike(a, 800), b, 1.5)),
    references: [from("sameinit-a", "llm-a", (a) => trainFrom(initLike(a, 800), a, 1.5))],
  },
  // -------------------------------------------------------------------------
  // Derived pairs (must be reused)
  {
    id: "9",
    name: `low-rank merge: llm-a + a rank-32 update per matrix, per-matrix Pearson with llm-a ${LOW_RANK_PEARSON}`,
    expect: "reused",
    candidate: lowRankCandidate,
    references: [asIs("llm-a")],
    measure: async () => {
      const ps = await lowRankPearsons();
      return { "min Pearson": Math.min(...ps), "max Pearson": Math.max(...ps) };
    },
  },
  {
    id: "10",
    name: "one grafted layer of four: llm-b with layer 2 copied from llm-a (+2% noise)",
    expect: "reused",
    candidate: from2("graft", "llm-b", "llm-a", (b, a) => graftLayer(b, a, 2, { noise: 0.02, seed: 1001 })),
    references: [asIs("llm-a")],
  },
  {
    id: "11",
    name: "GQA (4 q heads, 2 kv heads): attention reused (+5% noise), MLP, norms and embeddings re-trained (llm-b's)",
    expect: "reused",
    candidate: from2(
      "gqa-cand",
      "llm-a",
      "llm-b",
      (a, b) => transplantAttention(toGqa(a, { heads: 4, kvHeads: 2, headDim: HEAD_DIM }), toGqa(b, { heads: 4, kvHeads: 2, headDim: HEAD_DIM }), { noise: 0.05, seed: 1101 }),
      (c) => ({ ...c, num_key_value_heads: 2 }),
    ),
    references: [from("gqa-ref", "llm-a", (a) => toGqa(a, { heads: 4, kvHeads: 2, headDim: HEAD_DIM }), (c) => ({ ...c, num_key_value_heads: 2 }))],
  },
  {
    id: "12",
    name: "per-unit rescaled fine-tune: llm-a-sft with every MLP unit's up row x s, down column / s, s log-normal (sigma 4)",
    expect: "reused",
    candidate: from("rescaled", "llm-a-sft", (m) => rescale(m, 1201, { perChannel: true, logSigma: 4, mlpOnly: true })),
    references: [asIs("llm-a")],
  },
  {
    id: "13",
    name: "Net2Net widening: llm-a's MLP widened 352 -> 528 by duplicating random units (down columns split) + 5% noise",
    expect: "reused",
    candidate: from("widened", "llm-a", (m) => noiseWhere(widenMlp(m, { factor: 1.5, seed: 1301 }), 1302, 0.05), (c) => ({ ...c, intermediate_size: 528 })),
    references: [asIs("llm-a")],
  },
  {
    id: "14",
    name: "width pruning: llm-a without the 25% smallest-norm MLP units and 12.5% of the residual dims (352 -> 264, 128 -> 112)",
    expect: "reused",
    candidate: from("pruned", "llm-a", (m) => pruneWidth(m, { mlp: 0.25, residual: 0.125 }), (c) => ({ ...c, hidden_size: 112, intermediate_size: 264, head_dim: HEAD_DIM })),
    references: [asIs("llm-a")],
  },
  {
    id: "15",
    name: "sparse upcycling: 8 experts per layer, each llm-a's dense MLP + 25% independent noise, router new, attention/embeddings copied",
    expect: "reused",
    candidate: from("moe", "llm-a", (m) => upcycleMoe(m, { experts: 8, noise: 0.25, seed: 1501 }), (c) => ({
      ...c,
      architectures: ["Qwen2MoeForCausalLM"],
      model_type: "qwen2_moe",
      num_experts: 8,
      num_experts_per_tok: 2,
      moe_intermediate_size: F,
      shared_expert_intermediate_size: 0,
    })),
    references: [asIs("llm-a")],
  },
];

// ---------------------------------------------------------------------------
// Materialise and run

const dirs = new Map<string, Promise<string>>();

/** Write a spec to a folder (BF16, config.json when known), once per key per process. */
export function materialise(spec: ModelSpec): Promise<string> {
  if (spec.fixture) return tiny(spec.fixture);
  let p = dirs.get(spec.key);
  if (!p) {
    p = (async () => {
      const b = await tensorsOf(spec);
      const dir = path.join(await tempDir("audit"), spec.key);
      await saveModel(dir, b.tensors, { dtype: "BF16", config: b.config });
      return dir;
    })();
    dirs.set(spec.key, p);
  }
  return p;
}

export interface AuditRun {
  code: number;
  report: Report;
  measures: Record<string, number>;
  seconds: number;
}

/** Run one case through the real CLI (`check --candidate C --reference R... --report out --quiet`). */
export async function runAuditCase(c: AuditCase): Promise<AuditRun> {
  const candidate = await materialise(c.candidate);
  const refs: string[] = [];
  for (const r of c.references) refs.push(await materialise(r));
  const out = path.join(await tempDir("audit-report"), "report.json");
  const t0 = performance.now();
  const run = await runCli(["check", "--candidate", candidate, ...refs.flatMap((r) => ["--reference", r]), "--report", out, "--quiet"]);
  const seconds = (performance.now() - t0) / 1000;
  return { code: run.code, report: await readReport(out), measures: c.measure ? await c.measure() : {}, seconds };
}

// ---------------------------------------------------------------------------
// Evidence

export interface Evidence {
  verdict: string;
  /** The largest component share, and its component. */
  share: number;
  shareComponent: string;
  /** Informative tensors standing out, over all components. */
  standingOut: number;
  /** The largest |z| of an informative compared tensor. */
  maxAbsZ: number;
  maxAbsZTensor: string;
  /** The smallest permutation-test log10 p (most significant). */
  minPermLog10p: number | null;
  minPermTensor: string;
  /** The smallest log10 p of the alignment search (tensor.log10p or tensor.aligned.log10p). */
  minSearchLog10p: number | null;
  /** Whether the search ran in any component; the best residual match quality it saw. */
  searchRan: boolean;
  residualMatchQuality: number | null;
}

const short = (n: string) => n.replace(/^model\./, "").replace(/\.weight$/, "");

export function evidenceOf(ref: ReferenceResult): Evidence {
  const e: Evidence = {
    verdict: ref.verdict,
    share: 0,
    shareComponent: "",
    standingOut: 0,
    maxAbsZ: 0,
    maxAbsZTensor: "",
    minPermLog10p: null,
    minPermTensor: "",
    minSearchLog10p: null,
    searchRan: false,
    residualMatchQuality: null,
  };
  for (const c of ref.components) {
    if (c.share > e.share || e.shareComponent === "") {
      e.share = c.share;
      e.shareComponent = c.name;
    }
    if (c.search?.ran) e.searchRan = true;
    const q = c.search?.residualMatchQuality;
    if (q !== null && q !== undefined && (e.residualMatchQuality === null || q > e.residualMatchQuality)) e.residualMatchQuality = q;
    for (const t of c.tensors) {
      if (t.standsOut) e.standingOut++;
      if (t.informative && t.z !== null && !t.error && Math.abs(t.z) > e.maxAbsZ) {
        e.maxAbsZ = Math.abs(t.z);
        e.maxAbsZTensor = short(t.candidate) + (t.transform && t.transform !== "none" ? `, ${t.transform}` : "");
      }
      const pl = t.permutation?.log10p;
      if (pl !== undefined && (e.minPermLog10p === null || pl < e.minPermLog10p)) {
        e.minPermLog10p = pl;
        e.minPermTensor = short(t.candidate);
      }
      for (const sl of [t.log10p, t.aligned?.log10p]) if (sl !== undefined && (e.minSearchLog10p === null || sl < e.minSearchLog10p)) e.minSearchLog10p = sl;
    }
  }
  return e;
}

const f1 = (x: number | null, digits = 1) => (x === null || !Number.isFinite(x) ? "–" : x.toFixed(digits));

/** One markdown row per case (`| case | expected | verdict today | share | evidence |`). */
export function tableRow(c: AuditCase, run: AuditRun): string {
  const evs = run.report.references.map(evidenceOf);
  const expected = c.expect === "reused" ? "reused" : "not reused";
  const ok = evs.every((e) => (c.expect === "reused" ? e.verdict === "reused" : e.verdict !== "reused"));
  let verdict: string;
  if (evs.length === 1) verdict = evs[0]!.verdict;
  else {
    const counts = new Map<string, number>();
    for (const e of evs) counts.set(e.verdict, (counts.get(e.verdict) ?? 0) + 1);
    verdict = [...counts].map(([v, n]) => `${v} x${n}`).join(", ");
  }
  // The strongest evidence over all references.
  const top = evs.reduce((a, b) => (b.maxAbsZ > a.maxAbsZ ? b : a));
  const share = evs.reduce((a, b) => (b.share > a.share ? b : a));
  const perm = evs.reduce((a, b) => ((b.minPermLog10p ?? 0) < (a.minPermLog10p ?? 0) ? b : a));
  const search = evs.reduce((a, b) => ((b.minSearchLog10p ?? 0) < (a.minSearchLog10p ?? 0) ? b : a));
  const rq = Math.max(...evs.map((e) => e.residualMatchQuality ?? Number.NEGATIVE_INFINITY));
  const standing = Math.max(...evs.map((e) => e.standingOut));
  const measures = Object.entries(run.measures)
    .map(([k, v]) => `${k} ${v.toFixed(3)}`)
    .join(", ");
  const evidence = [
    `max \\|z\\| ${f1(top.maxAbsZ)} (${top.maxAbsZTensor || "–"})`,
    `standing out ${standing}`,
    `perm log10 p ${f1(perm.minPermLog10p)}${perm.minPermTensor ? ` (${perm.minPermTensor})` : ""}`,
    `search log10 p ${f1(search.minSearchLog10p)}, ran ${evs.some((e) => e.searchRan) ? "yes" : "no"}, residual match ${f1(Number.isFinite(rq) ? rq : null, 2)}`,
    ...(measures ? [measures] : []),
  ].join("; ");
  return `| ${c.id}. ${c.name} | ${expected} | ${ok ? "" : "**FAIL** "}${verdict} | ${(100 * share.share).toFixed(0)}% (${share.shareComponent}) | ${evidence} |`;
}

export const TABLE_HEADER = ["| case | expected | verdict today | share | strongest evidence |", "|---|---|---|---|---|"];
