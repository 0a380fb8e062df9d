/**
 * Reading a batch's results for pages and downloads: rows page by page with counts, one image of
 * the batch (only paths its results name, inside its input folder), and the server-drawn SVG
 * overlay of a row's prediction (boxes and labels, top classes, or the class mask as an image).
 */
import { ConflictError, HttpError, NotFoundError } from "@/lib/errors.ts";
import { classColor } from "@/lib/data/colors.ts";
import { displaySize, parseImageHeader } from "@/lib/data/image_header.ts";
import { placeCaptions } from "@/lib/image/label_box.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { parseResultLines, type ResultRow } from "./result_log.ts";
import { BATCH_TERMINAL, type BatchRecord } from "./types.ts";

/** One page of rows and the totals of the file. */
export interface ResultsPage {
  rows: ResultRow[];
  total: number;
  errors: number;
  offset: number;
  /** Why there are no rows to show (Delta output, a Parquet file without its log, nothing yet). */
  note?: string;
}

/**
 * Rows `offset .. offset+limit` of a batch's JSONL output (`errorsOnly` keeps error rows, `path`
 * the row of one image).
 */
export async function readResults(
  ws: Workspace,
  rec: BatchRecord,
  opts: { offset?: number; limit?: number; errorsOnly?: boolean; path?: string } = {},
): Promise<ResultsPage> {
  const offset = Math.max(0, opts.offset ?? 0), limit = Math.min(opts.limit ?? 50, 500);
  const path = resultFile(rec);
  if (!path) {
    return {
      rows: [],
      total: 0,
      errors: 0,
      offset,
      note: `Results are in the Delta table ${describe(rec)}; query it in Databricks SQL.`,
    };
  }
  let text: string;
  try {
    text = await ws.files.readText(path);
  } catch (e) {
    if (e instanceof NotFoundError || (e as { status?: number }).status === 404) {
      const note = path === describe(rec) || !BATCH_TERMINAL.has(rec.status)
        ? "No results written yet."
        : `Results are in ${describe(rec)} (Parquet); download it to read them.`;
      return { rows: [], total: 0, errors: 0, offset, note };
    }
    throw e;
  }
  const all = parseResultLines(text).rows;
  const errors = all.filter((r) => r.error).length;
  const pick = all.filter((r) =>
    (!opts.errorsOnly || r.error) && (opts.path === undefined || r.path === opts.path)
  );
  return { rows: pick.slice(offset, offset + limit), total: pick.length, errors, offset };
}

function describe(rec: BatchRecord): string {
  return rec.output.kind === "file" ? rec.output.path : rec.output.table;
}

/**
 * The JSONL file the pages read: the output itself, or a Parquet output's append log
 * (`<output>.log.jsonl`, which jobs/lakevision_jobs/batch.py appends to while the batch runs
 * and keeps beside the Parquet file it converts it to at the end). Null for a Delta table.
 */
export function resultFile(rec: BatchRecord): string | null {
  if (rec.output.kind !== "file") return null;
  return rec.output.path.endsWith(".parquet") ? `${rec.output.path}.log.jsonl` : rec.output.path;
}

/**
 * Where a batch's Parquet output stands: `ready` once its batch succeeded (the job converts its
 * append log at the end), `pending` while it runs, `missing` after a failure or a cancel; null
 * for any other output (JSONL, which is itself at every moment, or a Delta table).
 */
export function parquetState(rec: BatchRecord): "ready" | "pending" | "missing" | null {
  if (rec.output.kind !== "file" || !rec.output.path.endsWith(".parquet")) return null;
  if (rec.status === "succeeded") return "ready";
  return BATCH_TERMINAL.has(rec.status) ? "missing" : "pending";
}

/** What a download serves: the file, the name it is saved as, its content type. */
export interface BatchDownload {
  path: string;
  filename: string;
  contentType: string;
}

/**
 * The file `/api/batch/<id>/download` serves. A JSONL output is itself at every moment. A
 * Parquet output exists only once its batch succeeded (the job converts its append log at the
 * end); before that, or after a failure or a cancel, `soFar` serves the rows written so far (the
 * append log, as JSONL), and a download without it is refused saying so and where they are.
 */
export function batchDownload(rec: BatchRecord, soFar = false): BatchDownload {
  if (rec.output.kind !== "file") {
    throw new NotFoundError(`The results are in the Delta table ${rec.output.table}.`);
  }
  const path = rec.output.path;
  const base = `${rec.id}-${path.split("/").pop()}`.replace(/[^\w.-]/g, "_");
  const jsonl = (file: string, filename: string): BatchDownload => ({
    path: file,
    filename,
    contentType: "application/x-ndjson",
  });
  const parquet = parquetState(rec);
  if (!parquet) return jsonl(path, base);
  const log = jsonl(resultFile(rec)!, base.replace(/\.parquet$/, "-so-far.jsonl"));
  if (soFar) return log;
  if (parquet === "ready") {
    return { path, filename: base, contentType: "application/vnd.apache.parquet" };
  }
  const why = parquet === "missing"
    ? `was not written: the batch ${rec.status === "failed" ? "failed" : "was cancelled"}`
    : "is written when the batch ends";
  throw new ConflictError(
    `The Parquet file ${why}. The rows so far are at /api/batch/${
      encodeURIComponent(rec.id)
    }/download?so_far=1 (JSONL).`,
  );
}

/** The bytes of one of the batch's images, refused unless it lies in the batch's input folder. */
export async function batchImage(
  ws: Workspace,
  rec: BatchRecord,
  path: string,
): Promise<{ bytes: Uint8Array; type: string }> {
  if (rec.input.kind !== "folder") {
    throw new HttpError(404, "This batch read a Delta table; its images are not served here.");
  }
  const root = rec.input.path.replace(/\/+$/, "") + "/";
  if (!path.startsWith(root) || path.split("/").includes("..")) {
    throw new HttpError(404, `${path} is not an image of this batch.`);
  }
  const bytes = await ws.files.readBytes(path);
  const h = parseImageHeader(bytes.subarray(0, 4096));
  const kind = h && typeof h === "object" ? h.kind : null;
  if (kind !== "jpeg" && kind !== "png") {
    throw new HttpError(415, `${path} is not a JPEG or PNG image.`);
  }
  return { bytes, type: kind === "png" ? "image/png" : "image/jpeg" };
}

/** Width and height of an image from its header, when readable. */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | null {
  const h = parseImageHeader(bytes.subarray(0, 65536));
  return h && typeof h === "object" ? displaySize(h) : null;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The prediction of one row as a transparent SVG layer of the image's size (boxes are in its
 * pixels): boxes with label and score (detection), the top classes (classification), or the
 * class mask (segmentation, embedded as a data URI). The page lays it over the photo, which it
 * loads as its own `<img>`: an SVG shown as an image never loads anything outside itself, so a
 * photo linked from inside the SVG would stay blank.
 */
export function overlaySvg(row: ResultRow, size: { width: number; height: number }): string {
  const { width: w, height: h } = size;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">`,
  ];
  const font = Math.max(9, Math.round(Math.min(w, h) / 18));
  const p = row.prediction as Record<string, unknown> | null;
  if (row.error || !p) {
    parts.push(
      `<rect x="0" y="0" width="${w}" height="${font * 1.6}" fill="#b91c1c" opacity="0.85"/>`,
      `<text x="4" y="${font * 1.2}" font-size="${font}" fill="#fff">${
        esc(row.error ?? "no prediction")
      }</text>`,
    );
  } else if (Array.isArray(p.boxes)) {
    const boxes = p.boxes as number[][];
    const names = (p.label_names as string[]) ?? [];
    const labels = (p.labels as number[]) ?? [];
    const scores = (p.scores as number[]) ?? [];
    const stroke = Math.max(1, Math.round(Math.min(w, h) / 200));
    const r1 = (v: number) => Math.round(v * 10) / 10;
    // boxes first, then captions over them, moved off each other (placeCaptions) in box order
    const captions = boxes.map((b, i) => {
      const [x1, y1, x2, y2] = b;
      const c = classColor(labels[i] ?? i);
      parts.push(
        `<rect x="${x1}" y="${y1}" width="${Math.max(0, x2 - x1)}" height="${
          Math.max(0, y2 - y1)
        }" fill="none" stroke="${c}" stroke-width="${stroke}"/>`,
      );
      const text = `${names[i] ?? labels[i]} ${Math.round((scores[i] ?? 0) * 100)}%`;
      const tw = r1(text.length * font * 0.6 + 6), th = r1(font * 1.3);
      return { c, text, x: x1, y: y1, w: tw, h: th };
    });
    placeCaptions(captions, w, h).forEach((at, k) => {
      const { c, text, w: tw, h: th } = captions[k];
      parts.push(
        `<rect x="${r1(at.x)}" y="${r1(at.y)}" width="${tw}" height="${th}" fill="${c}"/>`,
        `<text x="${r1(at.x + 3)}" y="${r1(at.y + font)}" font-size="${font}" ` +
          `fill="#fff">${esc(text)}</text>`,
      );
    });
  } else if (Array.isArray(p.top_k)) {
    const top = (p.top_k as { label: number; label_name: string; score: number }[]).slice(0, 3);
    parts.push(
      `<rect x="0" y="0" width="${w}" height="${font * 1.5 * top.length + 4}" fill="#0f172a" ` +
        `opacity="0.7"/>`,
    );
    top.forEach((t, i) =>
      parts.push(
        `<text x="4" y="${font * 1.3 * (i + 1)}" font-size="${font}" fill="${
          i ? "#e2e8f0" : "#fff"
        }" font-weight="${i ? 400 : 700}">${esc(t.label_name)} ${
          (t.score * 100).toFixed(1)
        }%</text>`,
      )
    );
  } else if (typeof p.mask_png === "string" && /^[A-Za-z0-9+/]+={0,2}$/.test(p.mask_png)) {
    parts.push(
      `<image href="data:image/png;base64,${p.mask_png}" x="0" y="0" width="${w}" height="${h}" ` +
        `opacity="0.45" preserveAspectRatio="none" image-rendering="pixelated"/>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}
