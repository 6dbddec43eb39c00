/**
 * The live chart as a file: an SVG drawn from the chart's lines (axes, ticks, one path per
 * line, test points, a legend by run name), and a PNG rasterised from that SVG, so both
 * files show the same picture. uPlot draws on a canvas and has no vector output of its own.
 */
import type { ChartLine } from '../plots/LineChart';

export interface SvgOptions {
  xLabel: string;
  yLabel: string;
  logY: boolean;
  width?: number;
  height?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => (Math.abs(v) < 1e-3 && v !== 0) || Math.abs(v) >= 1e5 ? v.toExponential(1) : String(+v.toPrecision(4));

/** About `count` round tick values (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

/** The lines as a standalone SVG document. Non-finite points (and ≤ 0 on a log axis) break a line. */
export function chartSvg(lines: readonly ChartLine[], o: SvgOptions): string {
  const W = o.width ?? 900;
  const H = o.height ?? 450;
  const drawn = lines.filter((l) => l.x.length);
  const legend = drawn.filter((l) => l.legend !== false);
  const M = { left: 70, right: 20, top: 20 + 18 * Math.ceil(legend.length / 4), bottom: 50 };
  const ok = (y: number) => Number.isFinite(y) && (!o.logY || y > 0);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const l of drawn) {
    for (let i = 0; i < l.x.length; i++) {
      if (!Number.isFinite(l.x[i]) || !ok(l.y[i])) continue;
      const y = o.logY ? Math.log10(l.y[i]) : l.y[i];
      x0 = Math.min(x0, l.x[i]); x1 = Math.max(x1, l.x[i]);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => M.top + (1 - ((o.logY ? Math.log10(y) : y) - y0) / (y1 - y0)) * ph;
  const f = (v: number) => v.toFixed(2);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<g class="axes" stroke="#999" fill="none"><rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}"/></g>`,
  ];
  for (const t of niceTicks(x0, x1)) {
    out.push(`<line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${M.top + ph}" y2="${M.top + ph + 5}" stroke="#999"/>`,
      `<text x="${f(sx(t))}" y="${M.top + ph + 18}" text-anchor="middle">${num(t)}</text>`);
  }
  // Log axis: ticks at powers of ten (or at round exponents when the range is under a decade).
  const yTicks = o.logY ? niceTicks(y0, y1).map((e) => 10 ** e) : niceTicks(y0, y1);
  for (const t of yTicks) {
    out.push(`<line x1="${M.left - 5}" x2="${M.left + pw}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#eee"/>`,
      `<text x="${M.left - 8}" y="${f(sy(t) + 4)}" text-anchor="end">${num(t)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}${o.logY ? ' (log)' : ''}</text>`);
  out.push(`<g class="lines" fill="none" stroke-linejoin="round">`);
  for (const l of drawn) {
    if (l.points) {
      const dots = l.x.map((x, i) => (Number.isFinite(x) && ok(l.y[i]) ? `<circle cx="${f(sx(x))}" cy="${f(sy(l.y[i]))}" r="2.5"/>` : '')).join('');
      out.push(`<g class="points" data-name="${esc(l.name)}" fill="${esc(l.color)}">${dots}</g>`);
      continue;
    }
    let d = '';
    let pen = false;
    for (let i = 0; i < l.x.length; i++) {
      if (!Number.isFinite(l.x[i]) || !ok(l.y[i])) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${f(sx(l.x[i]))} ${f(sy(l.y[i]))}`;
      pen = true;
    }
    out.push(`<path class="line" data-name="${esc(l.name)}" stroke="${esc(l.color)}" stroke-width="${l.width}" d="${d}"/>`);
  }
  out.push('</g><g class="legend">');
  legend.forEach((l, i) => {
    const lx = M.left + (i % 4) * (pw / 4);
    const ly = 14 + 18 * Math.floor(i / 4);
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${esc(l.color)}" stroke-width="3"/>`,
      `<text x="${lx + 24}" y="${ly}">${esc(l.name)}</text>`);
  });
  out.push('</g></svg>');
  return out.join('\n');
}

/** Rasterises an SVG document (no external references) into a PNG at `scale` × its size. */
export async function svgToPng(svg: string, width: number, height: number, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = width * scale;
    canvas.height = height * scale;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d canvas for the PNG');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be encoded'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}
