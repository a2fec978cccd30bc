/** The HTML report's SVG charts: layer x layer heatmaps and the per-layer line over the null band. */
import { divergingColor, e, n } from "./html-base.js";
import type { ComponentResult, NullSummary, Thresholds } from "./schema.js";
import { type LayerPoint, layerState } from "./strip.js";

/** Pooled null of the component's norm vectors (mean of means, root mean square of sds). */
export function normNull(c: ComponentResult): NullSummary | null {
  const nulls = c.tensors.filter((t) => /norm/.test(t.role) && !t.informative && t.null).map((t) => t.null!);
  if (!nulls.length) return null;
  return {
    mean: nulls.reduce((s, x) => s + x.mean, 0) / nulls.length,
    sd: Math.sqrt(nulls.reduce((s, x) => s + x.sd * x.sd, 0) / nulls.length),
    n: nulls.reduce((s, x) => s + x.n, 0),
  };
}

let figureId = 0;
/** Figure ids restart with every report, so the same report renders the same bytes. */
export function resetFigureIds(): void {
  figureId = 0;
}

/** "(here raw cosine 0.996 to 0.999, norm Pearson within ±0.14)" */
export function trapNumbers(cos: (number | null)[][], pear: (number | null)[][]): string {
  const cs = cos.flat().filter((v): v is number => v !== null);
  const ps = pear.flat().filter((v): v is number => v !== null);
  if (!cs.length) return "";
  const lo = Math.min(...cs).toFixed(3);
  const hi = Math.max(...cs).toFixed(3);
  const p = ps.length ? `, norm Pearson within ±${Math.max(...ps.map(Math.abs)).toFixed(2)}` : "";
  return ` (here raw cosine ${lo === hi ? lo : `${lo} to ${hi}`} over all ${cs.length} pairs${p})`;
}

export interface HeatmapSpec {
  kind: "pearson" | "norm-pearson" | "norm-cosine";
  values: (number | null)[][];
  rows: number[];
  cols: number[];
  /** Cells outside [lo, hi] are outlined; null for no band (raw cosine has none). */
  band: { lo: number; hi: number } | null;
  stat: string;
}

/** Candidate layer (rows) x reference layer (columns) heatmap, with its colour bar. */
export function heatmap(h: HeatmapSpec): string {
  const id = `g${++figureId}`;
  const nr = h.rows.length;
  const nc = h.cols.length;
  const cs = Math.max(4, Math.min(44, Math.floor(300 / Math.max(nr, nc, 1))));
  const left = 46;
  const top = 30;
  const gw = nc * cs;
  const gh = nr * cs;
  const barX = left + gw + 18;
  const barH = Math.max(gh, 150);
  const width = barX + 16 + 84;
  const height = top + Math.max(gh, barH) + 12;
  const step = (k: number) => Math.max(1, Math.ceil(k / Math.max(1, Math.floor(Math.max(gw, gh) / 22))));
  const out: string[] = [];
  out.push(
    `<svg class="heatmap ${h.kind}" role="img" aria-label="${e(h.stat)} heatmap, candidate layer by reference layer" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">`,
  );
  out.push(`<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">`);
  for (let i = 0; i <= 10; i++) out.push(`<stop offset="${i / 10}" stop-color="${divergingColor(-1 + i / 5)}"/>`);
  out.push(`</linearGradient></defs>`);
  out.push(`<text class="axis-title" x="${n(left + gw / 2)}" y="11" text-anchor="middle">reference layer</text>`);
  out.push(`<text class="axis-title" transform="translate(11 ${n(top + gh / 2)}) rotate(-90)" text-anchor="middle">candidate layer</text>`);
  const sc = step(nc);
  h.cols.forEach((l, j) => {
    if (j % sc === 0) out.push(`<text class="tick" x="${n(left + j * cs + cs / 2)}" y="${top - 5}" text-anchor="middle">${l}</text>`);
  });
  const sr = step(nr);
  h.rows.forEach((l, i) => {
    if (i % sr === 0) out.push(`<text class="tick" x="${left - 5}" y="${n(top + i * cs + cs / 2 + 4)}" text-anchor="end">${l}</text>`);
  });
  out.push(...heatmapCells(h, { left, top, cs }));
  out.push(...colourBar(h, { top, barX, barH, id }));
  out.push(`</svg>`);
  return out.join("");
}

/** The heatmap's cells: one rect per cell up to 24 x 24 layers, else one path per rounded colour. */
function heatmapCells(h: HeatmapSpec, g: { left: number; top: number; cs: number }): string[] {
  const { left, top, cs } = g;
  const nr = h.rows.length;
  const nc = h.cols.length;
  const out: string[] = [];
  const showText = cs >= 34;
  // Up to 24 x 24 layers, one rect per cell with its value on hover; above, one path per colour
  // (values rounded to 0.05) so 50 references of 80-layer models stay a file a browser opens.
  const detailed = nr * nc <= 576;
  const marks: string[] = [];
  const oob: string[] = [];
  const diag: string[] = [];
  const buckets = new Map<string, string[]>();
  for (let i = 0; i < nr; i++) {
    for (let j = 0; j < nc; j++) {
      const v = h.values[i]?.[j] ?? null;
      const x = left + j * cs;
      const y = top + i * cs;
      const outside = h.band !== null && v !== null && (v < h.band.lo || v > h.band.hi);
      const onDiag = h.rows[i] === h.cols[j];
      if (!detailed) {
        const fill = v === null ? "#dedede" : divergingColor(Math.round(v * 20) / 20);
        const list = buckets.get(fill) ?? [];
        list.push(`M${x} ${y}h${cs}v${cs}h-${cs}z`);
        buckets.set(fill, list);
        if (outside) oob.push(`M${x + 0.5} ${y + 0.5}h${cs - 1}v${cs - 1}h-${cs - 1}z`);
        if (onDiag) diag.push(`M${x + 0.5} ${y + 0.5}h${cs - 1}v${cs - 1}h-${cs - 1}z`);
        continue;
      }
      const label = `candidate layer ${h.rows[i]} × reference layer ${h.cols[j]}: ${h.stat} ${v === null ? "n/a" : v.toFixed(3)}`;
      const fill = v === null ? "#dedede" : divergingColor(v);
      out.push(`<rect class="cell" x="${x}" y="${y}" width="${cs}" height="${cs}" fill="${fill}" data-v="${v === null ? "" : v.toFixed(4)}"><title>${e(label)}</title></rect>`);
      if (showText) {
        const txt = v === null ? "n/a" : v.toFixed(2).replace(/^-(0\.00)$/, "$1");
        out.push(`<text class="cell-text" x="${n(x + cs / 2)}" y="${n(y + cs / 2 + 4)}" text-anchor="middle" fill="${v !== null && Math.abs(v) > 0.55 ? "#fff" : "#333"}">${txt}</text>`);
      }
      if (outside) marks.push(`<rect class="out-of-band" x="${x + 1.5}" y="${y + 1.5}" width="${cs - 3}" height="${cs - 3}"/>`);
      if (onDiag) marks.push(`<rect class="diag" x="${x + 0.5}" y="${y + 0.5}" width="${cs - 1}" height="${cs - 1}"/>`);
    }
  }
  if (!detailed) {
    out.push(`<title>${e(`${h.stat}, ${nr} candidate × ${nc} reference layers (colours rounded to 0.05; exact values in the JSON report's layerMatrix)`)}</title>`);
    for (const [fill, d] of buckets) out.push(`<path class="cells" fill="${fill}" d="${d.join("")}"/>`);
    if (oob.length) out.push(`<path class="out-of-band thin" d="${oob.join("")}"/>`);
    if (diag.length) out.push(`<path class="diag thin" d="${diag.join("")}"/>`);
  }
  out.push(...marks);
  return out;
}

/** The colour bar from -1 to 1, with the null band bracketed. */
function colourBar(h: HeatmapSpec, g: { top: number; barX: number; barH: number; id: string }): string[] {
  const { top, barX, barH, id } = g;
  const out: string[] = [];
  const yOf = (v: number) => top + ((1 - v) / 2) * barH;
  out.push(`<rect x="${barX}" y="${top}" width="14" height="${barH}" fill="url(#${id})" stroke="#999" stroke-width="0.5"/>`);
  for (const t of [1, 0.5, 0, -0.5, -1]) {
    out.push(`<line x1="${barX + 14}" x2="${barX + 18}" y1="${n(yOf(t))}" y2="${n(yOf(t))}" stroke="#666"/>`);
    out.push(`<text class="tick" x="${barX + 21}" y="${n(yOf(t) + 4)}">${t === 0 ? "0" : t.toFixed(1)}</text>`);
  }
  if (h.band) {
    const lo = Math.max(-1, h.band.lo);
    const hi = Math.min(1, h.band.hi);
    out.push(`<rect class="band-mark" x="${barX - 4}" y="${n(yOf(hi))}" width="22" height="${n(Math.max(1, yOf(lo) - yOf(hi)))}"/>`);
    out.push(`<text class="tick band-label" x="${barX + 46}" y="${n((yOf(hi) + yOf(lo)) / 2 + 4)}">null</text>`);
  }
  return out;
}


/** Per-layer line of matched Pearson, each matrix a dot, over the null's ±k·sd band. */
export function layerLine(points: LayerPoint[], th: Thresholds): string {
  const pts = points.filter((p) => p.pearson !== null || p.null);
  if (!pts.length) return `<p class="muted">No layered matrix was compared, so there is no per-layer line.</p>`;
  const k = th.minZ;
  const W = 560;
  const H = 250;
  const L = 48;
  const R = 110;
  const T = 14;
  const B = 38;
  const vals = pts.flatMap((p) => [...p.tensors.map((t) => t.pearson), ...(p.null ? [p.null.mean - k * p.null.sd] : [])]);
  const lowest = Math.min(-0.25, ...vals);
  const yMin = Math.max(-1, Math.floor(lowest * 4) / 4);
  const yMax = 1;
  const l0 = pts[0]!.layer;
  const l1 = pts[pts.length - 1]!.layer;
  const x = (l: number) => (l1 === l0 ? L + (W - L - R) / 2 : L + ((l - l0) / (l1 - l0)) * (W - L - R));
  const y = (v: number) => T + ((yMax - Math.max(yMin, Math.min(yMax, v))) / (yMax - yMin)) * (H - T - B);
  const out: string[] = [];
  out.push(`<svg class="layer-line" role="img" aria-label="matched Pearson per candidate layer, with the null band" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">`);
  // Grid and axes.
  for (let v = yMin; v <= yMax + 1e-9; v += 0.25) {
    const major = Math.abs(v * 2 - Math.round(v * 2)) < 1e-9;
    out.push(`<line class="${v === 0 ? "zero" : "grid"}" x1="${L}" x2="${W - R}" y1="${n(y(v))}" y2="${n(y(v))}"/>`);
    if (major) out.push(`<text class="tick" x="${L - 6}" y="${n(y(v) + 4)}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  const stepL = Math.max(1, Math.ceil(pts.length / 16));
  pts.forEach((p, i) => {
    if (i % stepL === 0 || i === pts.length - 1) out.push(`<text class="tick" x="${n(x(p.layer))}" y="${H - B + 16}" text-anchor="middle">${p.layer}</text>`);
  });
  out.push(`<text class="axis-title" x="${n(L + (W - L - R) / 2)}" y="${H - 4}" text-anchor="middle">candidate layer</text>`);
  out.push(`<text class="axis-title" transform="translate(12 ${n(T + (H - T - B) / 2)}) rotate(-90)" text-anchor="middle">Pearson</text>`);
  // The null band: mean ± k·sd, per layer.
  const withNull = pts.filter((p) => p.null);
  if (withNull.length) {
    const upper = withNull.map((p) => `${n(x(p.layer))},${n(y(p.null!.mean + k * p.null!.sd))}`);
    const lower = withNull.map((p) => `${n(x(p.layer))},${n(y(p.null!.mean - k * p.null!.sd))}`).reverse();
    if (withNull.length === 1) {
      const p = withNull[0]!;
      out.push(`<rect class="null-band" x="${n(x(p.layer) - 12)}" y="${n(y(p.null!.mean + k * p.null!.sd))}" width="24" height="${n(y(p.null!.mean - k * p.null!.sd) - y(p.null!.mean + k * p.null!.sd))}"/>`);
    } else out.push(`<polygon class="null-band" points="${[...upper, ...lower].join(" ")}"><title>same-kind null: mean ± ${k} sd</title></polygon>`);
    const last = withNull[withNull.length - 1]!;
    out.push(`<text class="legend band-label" x="${W - R + 12}" y="${n(y(last.null!.mean) + 4)}">null ±${k} sd</text>`);
  }
  // The min-pearson threshold.
  out.push(`<line class="threshold" x1="${L}" x2="${W - R}" y1="${n(y(th.minPearson))}" y2="${n(y(th.minPearson))}"/>`);
  out.push(`<text class="legend" x="${W - R + 12}" y="${n(y(th.minPearson) - 3)}">min-pearson ${th.minPearson}</text>`);
  // Every matrix, then the median line and points.
  for (const p of pts) {
    p.tensors.forEach((t, i) => {
      const dx = p.tensors.length > 1 ? (i / (p.tensors.length - 1) - 0.5) * 10 : 0;
      out.push(`<circle class="dot${t.standsOut ? " hit" : ""}" cx="${n(x(p.layer) + dx)}" cy="${n(y(t.pearson))}" r="2.2"/>`);
    });
  }
  const segments: string[][] = [[]];
  for (const p of pts) {
    if (p.pearson === null) segments.push([]);
    else segments[segments.length - 1]!.push(`${n(x(p.layer))},${n(y(p.pearson))}`);
  }
  for (const s of segments) if (s.length > 1) out.push(`<polyline class="median-line" points="${s.join(" ")}"/>`);
  for (const p of pts) {
    if (p.pearson === null) continue;
    const st = layerState(p);
    const nl = p.null ? `, null ${p.null.mean.toFixed(3)} ± ${p.null.sd.toFixed(3)}` : "";
    out.push(
      `<circle class="point s-${st}" cx="${n(x(p.layer))}" cy="${n(y(p.pearson))}" r="4.5"><title>${e(`layer ${p.layer}: median Pearson ${p.pearson.toFixed(3)} over ${p.tensors.length} matrices, ${p.standsOut} stand out${nl}`)}</title></circle>`,
    );
  }
  out.push(`<text class="legend" x="${W - R + 12}" y="${n(y(0.7))}">● median</text>`);
  out.push(`<text class="legend" x="${W - R + 12}" y="${n(y(0.7) + 14)}">· each matrix</text>`);
  out.push(`</svg>`);
  return out.join("");
}

