/**
 * Charts as standalone SVG text, for reports that must open without the server (the HTML
 * report embeds them as data URIs; the Markdown report can link them). Deliberately small:
 * lines, horizontal bars and a heatmap, with axes, ticks and a legend.
 */

import { PALETTE as CHART_PALETTE } from "@/lib/charts/palette.ts";

/** A line of a line chart. */
export interface SvgSeries {
  label: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
  /** A class's own colour; else the palette by position. */
  color?: string;
}

/** The first eight of the page charts' colours (more series cycle). */
export const PALETTE: readonly string[] = CHART_PALETTE.slice(0, 8);

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const num = (
  v: number,
) => (Math.abs(v) >= 1000 || Number.isInteger(v)
  ? String(Math.round(v))
  : v.toPrecision(3).replace(/\.?0+$/, ""));

function ticks(min: number, max: number, n = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
    out.push(Math.round(v / step) * step);
  }
  return out;
}

/** A line chart. Domains default to the data's extent (0–1 suits PR curves). */
export function lineChartSvg(opts: {
  title: string;
  series: SvgSeries[];
  xLabel?: string;
  yLabel?: string;
  xDomain?: [number, number];
  yDomain?: [number, number];
  width?: number;
  height?: number;
}): string {
  const W = opts.width ?? 560, H = opts.height ?? 320;
  const m = { l: 52, r: 12, t: 28, b: 44 + 16 * Math.ceil(opts.series.length / 3) };
  const pts = opts.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x + p.y));
  const [x0, x1] = opts.xDomain ??
    [Math.min(...pts.map((p) => p.x), 0), Math.max(...pts.map((p) => p.x), 1)];
  const [y0, y1] = opts.yDomain ??
    [Math.min(...pts.map((p) => p.y), 0), Math.max(...pts.map((p) => p.y), 1)];
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const sx = (x: number) => m.l + (x1 === x0 ? 0 : ((x - x0) / (x1 - x0)) * pw);
  const sy = (y: number) => m.t + ph - (y1 === y0 ? 0 : ((y - y0) / (y1 - y0)) * ph);
  const parts: string[] = [];
  for (const t of ticks(x0, x1)) {
    parts.push(
      `<line x1="${sx(t)}" x2="${sx(t)}" y1="${m.t}" y2="${m.t + ph}" stroke="#e2e8f0"/>`,
      `<text x="${sx(t)}" y="${m.t + ph + 14}" text-anchor="middle">${num(t)}</text>`,
    );
  }
  for (const t of ticks(y0, y1)) {
    parts.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e2e8f0"/>`,
      `<text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${num(t)}</text>`,
    );
  }
  opts.series.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length];
    const d = s.points.filter((p) => Number.isFinite(p.x + p.y))
      .map((p, j) => `${j ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join("");
    if (d) {
      parts.push(
        `<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${
          s.dashed ? ' stroke-dasharray="6 4"' : ""
        }/>`,
      );
    }
    const lx = m.l + (i % 3) * (pw / 3),
      ly = H - 10 - 16 * (Math.ceil(opts.series.length / 3) - 1 - Math.floor(i / 3));
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="12" height="10" fill="${c}"/>`,
      `<text x="${lx + 16}" y="${ly}">${esc(s.label.slice(0, 40))}</text>`,
    );
  });
  if (opts.xLabel) {
    parts.push(
      `<text x="${m.l + pw / 2}" y="${m.t + ph + 30}" text-anchor="middle">${
        esc(opts.xLabel)
      }</text>`,
    );
  }
  if (opts.yLabel) {
    parts.push(
      `<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${
        esc(opts.yLabel)
      }</text>`,
    );
  }
  return frame(
    W,
    H,
    opts.title,
    parts,
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#94a3b8"/>`,
  );
}

/** Horizontal bars (one per label). */
export function barChartSvg(opts: {
  title: string;
  labels: string[];
  values: number[];
  width?: number;
  format?: (v: number) => string;
}): string {
  const W = opts.width ?? 560, row = 22;
  const H = 40 + row * opts.labels.length;
  const max = Math.max(...opts.values, 1e-9);
  const lw = 130, pw = W - lw - 70;
  const fmt = opts.format ?? num;
  const parts = opts.labels.map((l, i) => {
    const y = 32 + i * row, w = Math.max(0, (opts.values[i] / max) * pw);
    return `<text x="${lw - 6}" y="${y + 14}" text-anchor="end">${esc(l.slice(0, 22))}</text>` +
      `<rect x="${lw}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 6}" fill="${
        PALETTE[i % PALETTE.length]
      }"/>` +
      `<text x="${lw + w + 4}" y="${y + 14}">${esc(fmt(opts.values[i]))}</text>`;
  });
  return frame(W, H, opts.title, parts);
}

/**
 * A matrix as coloured cells with counts (rows: truth, columns: prediction). `rowLabels`, when
 * the rows are not the columns' classes (a detection matrix's extra duplicate row).
 */
export function heatmapSvg(
  opts: { title: string; labels: string[]; rowLabels?: string[]; matrix: number[][] },
): string {
  const n = opts.labels.length, rows = opts.rowLabels ?? opts.labels;
  const cell = Math.max(22, Math.min(48, Math.floor(420 / Math.max(n, 1))));
  const lw = 110, top = 40 + 90;
  const W = lw + cell * n + 20, H = top + cell * opts.matrix.length + 30;
  const max = Math.max(1, ...opts.matrix.flat());
  const parts: string[] = [];
  opts.labels.forEach((l, j) => {
    const x = lw + j * cell + cell / 2;
    parts.push(
      `<text transform="translate(${x + 4} ${top - 6}) rotate(-60)">${esc(l.slice(0, 16))}</text>`,
    );
  });
  opts.matrix.forEach((r, i) => {
    parts.push(
      `<text x="${lw - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${
        esc((rows[i] ?? "").slice(0, 16))
      }</text>`,
    );
    r.forEach((v, j) => {
      const a = v / max;
      const fill = v === 0
        ? "#f8fafc"
        : i === j
        ? `rgba(22,163,74,${0.15 + 0.85 * a})`
        : `rgba(220,38,38,${0.15 + 0.85 * a})`;
      parts.push(
        `<rect x="${lw + j * cell}" y="${
          top + i * cell
        }" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff"/>`,
        `<text x="${lw + j * cell + cell / 2}" y="${
          top + i * cell + cell / 2 + 4
        }" text-anchor="middle" fill="${a > 0.6 ? "#fff" : "#0f172a"}">${v}</text>`,
      );
    });
  });
  parts.push(
    `<text x="${lw + (cell * n) / 2}" y="${
      H - 8
    }" text-anchor="middle">predicted →   (rows: ground truth)</text>`,
  );
  return frame(W, H, opts.title, parts);
}

function frame(W: number, H: number, title: string, parts: string[], extra = ""): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="11" fill="#334155">` +
    `<rect width="${W}" height="${H}" fill="#fff"/>` +
    `<text x="8" y="18" font-size="13" font-weight="600" fill="#0f172a">${esc(title)}</text>` +
    parts.join("") + extra + `</svg>`;
}

/** An SVG as a data URI (base64), for `<img src>` in a standalone file. */
export function svgDataUri(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:image/svg+xml;base64,${btoa(bin)}`;
}
