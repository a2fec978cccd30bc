// Per-tensor p-values of a zoo's independent pairs as JSON lines (one line per tensor), for looking at
// where small p come from: role, layout transform, the direct test's axis, units, effect, both looks.
//   node --import tsx scripts/dump-tensor-p.mts ZOO_DIR [--arch gpt2] [--disjoint] [--limit N] > tensors.jsonl
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runCheck } from "../src/engine/engine.js";
import { parseSettings } from "../src/settings/settings.js";
import { createSource } from "../src/sources/parse-source.js";
import type { Report } from "../src/report/schema.js";

interface Pair { candidate: string; reference: string; ground_truth: string; arch?: string; family?: string }
const args = process.argv.slice(2);
const zoo = args.find((a, i) => !a.startsWith("--") && !["--arch", "--limit"].includes(args[i - 1] ?? ""));
if (!zoo) throw new Error("usage: dump-tensor-p.mts ZOO_DIR [--arch NAME] [--disjoint]");
const arch = args.includes("--arch") ? args[args.indexOf("--arch") + 1] : null;
const manifest = JSON.parse(await readFile(path.join(zoo, "manifest.json"), "utf8")) as { pairs: Pair[] };
let pairs = manifest.pairs.filter((p) => p.ground_truth.startsWith("independent") && (!arch || (p.arch ?? p.family) === arch));
if (args.includes("--disjoint")) {
  const used = new Set<string>();
  pairs = pairs.filter((p) => {
    if (used.has(p.candidate) || used.has(p.reference)) return false;
    used.add(p.candidate).add(p.reference);
    return true;
  });
}
if (args.includes("--limit")) pairs = pairs.slice(0, Number(args[args.indexOf("--limit") + 1]));
const silent = { info: () => {}, warn: () => {} };
for (const p of pairs) {
  const settings = parseSettings({ candidate: path.join(zoo, p.candidate), references: [path.join(zoo, p.reference)] });
  const { report } = (await runCheck(settings, {
    openSource: (s) => createSource(s, { endpoint: settings.endpoint, token: null }),
    logger: silent,
    now: () => Date.now(),
  })) as { report: Report };
  for (const c of report.references[0]!.components) {
    const comp = { pair: `${p.candidate}|${p.reference}`, component: c.name, componentLog10p: c.log10p ?? null, verdict: report.verdict };
    for (const t of c.tensors) {
      if (!t.informative || t.error || t.deterministic) continue;
      process.stdout.write(JSON.stringify({ ...comp, candidate: t.candidate, reference: t.reference, role: t.role, transform: t.transform, pearson: t.pearson, log10p: t.log10p ?? null, permutation: t.permutation ?? null, aligned: t.aligned ?? null, structureOnly: !!t.structureOnly }) + "\n");
    }
  }
}
