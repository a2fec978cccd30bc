/** Small helpers the HTML report's parts share: escaping, wrapping names, SVG numbers, colours. */

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
export const e = escapeHtml;
/** A tensor name that may wrap at its separators (. _ / : + -), never mid-token. */
export const wrapName = (s: string): string => e(s).replace(/([._/:+-])(?=[^<])/g, "$1<wbr>");

/** A number for an SVG attribute: finite, short. */
export const n = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : "0");

/** Diverging colour for a value in [-1, 1]: blue (negative), near-white (0), red (positive). */
export function divergingColor(v: number): string {
  const t = Math.max(-1, Math.min(1, v));
  const [r0, g0, b0] = [247, 247, 247];
  const [r1, g1, b1] = t >= 0 ? [178, 24, 43] : [33, 102, 172];
  const a = Math.abs(t);
  const mix = (x: number, y: number) => Math.round(x + (y - x) * a).toString(16).padStart(2, "0");
  return `#${mix(r0, r1)}${mix(g0, g1)}${mix(b0, b1)}`;
}

