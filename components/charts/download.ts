/** Browser-side downloads of charts and their data (no server round trip). */
import { toCsv } from "@/lib/csv.ts";

/** Triggers a browser download of `href` as `name`. */
export function downloadHref(name: string, href: string): void {
  const a = document.createElement("a");
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Downloads what a canvas shows as `name` (a .png). */
export function downloadCanvasPng(name: string, canvas: HTMLCanvasElement | null): void {
  if (canvas) downloadHref(name, canvas.toDataURL("image/png"));
}

/** Downloads rows (header first) as a CSV file `name`. */
export function downloadCsv(name: string, rows: (string | number)[][]): void {
  downloadHref(name, `data:text/csv;charset=utf-8,${encodeURIComponent(toCsv(rows))}`);
}

/** A file-name-safe form of a chart title. */
export const slug = (s: string): string =>
  s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
