/**
 * What the Data EDA page works out in the browser, apart from drawing it: the form's starting
 * values, the scan request, the scan's place in the address bar, the progress line, the problem
 * filters and the sample queries. Imports here are type-only or tiny helpers, so nothing of the
 * scanner reaches the page's bundle.
 */
import type { DeltaSpec } from "./delta.ts";
import { sortProblems } from "./problems.ts";
import type { ScanRecord } from "./registry.ts";
import type { SampleAnnotation } from "./samples.ts";
import type { FormatChoice, Problem, Severity } from "./types.ts";

/** A dataset path of the active config, offered as a one-click choice. */
export interface Candidate {
  /** The split it is for (`train`, `val`, `test`). */
  label: string;
  /** Folder or annotation JSON under /Volumes/. */
  path: string;
  /** Images folder of an annotation JSON. */
  images?: string;
}

/** The files form's fields. */
export interface ScanForm {
  path: string;
  format: FormatChoice;
  /** Images folder for a single annotation JSON ("" = guess or skip file checks). */
  images: string;
}

/** What a scan is started on: the typed path, every split of the active config, or a table. */
export type ScanTarget =
  | { kind: "path" }
  | { kind: "splits" }
  | { kind: "delta"; table: DeltaSpec };

/** The body of `POST /api/data/scans`. */
export type ScanRequest =
  | { path: string; format: FormatChoice; images?: string }
  | { format: FormatChoice; splits: { name: string; path: string; images?: string }[] }
  | { delta: DeltaSpec };

/** Whole seconds, rounded up; "<1 s" under a second. */
export function roughSeconds(ms: number): string {
  return ms < 1000 ? "<1 s" : `${Math.ceil(ms / 1000)} s`;
}

/** A thrown value as text for a message. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The path and images folder the form opens with: `?path=` when given (with its images folder
 * when it is one of the config's paths), else the config's first path.
 */
export function initialForm(
  candidates: Candidate[],
  initialPath: string,
): Pick<ScanForm, "path" | "images"> {
  const picked = initialPath ? candidates.find((c) => c.path === initialPath) : candidates[0];
  return { path: initialPath || picked?.path || "", images: picked?.images ?? "" };
}

/** The request that scans `target` with the form's values. */
export function scanRequest(
  target: ScanTarget,
  form: ScanForm,
  candidates: Candidate[],
): ScanRequest {
  if (target.kind === "delta") return { delta: target.table };
  if (target.kind === "splits") {
    return {
      format: form.format,
      splits: candidates.map((c) => ({ name: c.label, path: c.path, images: c.images })),
    };
  }
  return { path: form.path, format: form.format, images: form.images || undefined };
}

/**
 * The page's address with a scan in it (`?scan=`), and the scanned path (`?path=`) when one
 * typed path was scanned, so a reload or a shared link shows the same results and form.
 */
export function scanAddress(pathname: string, scanId: string, path?: string): string {
  const q = new URLSearchParams({ scan: scanId });
  if (path) q.set("path", path);
  return `${pathname}?${q}`;
}

/** The folder the volume browser opens in: the typed path's folder under /Volumes/, else `volume`. */
export function browseStart(path: string, volume: string): string {
  return path.startsWith("/Volumes/") ? path.replace(/\/[^/]*\.json$/i, "") : volume;
}

/** The folder above `path`; /Volumes at the top. */
export function parentFolder(path: string): string {
  return path.replace(/\/[^/]+$/, "") || "/Volumes";
}

/** The progress line of a scan that has not finished well: what it does, then what it read. */
export function progressLine(rec: ScanRecord): { head: string; detail: string } | null {
  const p = rec.progress;
  if (rec.status === "done" || !p) return null;
  let detail = p.split ? ` · ${p.split}` : "";
  detail += ` · ${p.imagesRead.toLocaleString()} images, ${p.annotationsRead.toLocaleString()}` +
    " annotations read";
  if (p.filesTotal > 0) detail += ` · files ${p.filesChecked}/${p.filesTotal}`;
  if (p.etaMs !== undefined) detail += ` · about ${roughSeconds(p.etaMs)} left`;
  return { head: rec.status === "running" ? p.phase : rec.status, detail };
}

/** The problem list's filters. */
export interface ProblemFilter {
  severity: "all" | Severity;
  /** Rule ("" = all). */
  code: string;
  /** Class (null = all); problems without a class stay listed. */
  classId: number | null;
}

/** The problems to list, most severe first. */
export function filterProblems(problems: Problem[], f: ProblemFilter): Problem[] {
  return sortProblems(problems).filter((p) =>
    (f.severity === "all" || p.severity === f.severity) && (!f.code || p.code === f.code) &&
    (f.classId === null || p.category_id === f.classId || p.category_id === undefined)
  );
}

/** Rules with their counts, most frequent first, for the rule picker. */
export function ruleChoices(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1]);
}

/** One image the sample viewer shows. */
export interface SampleView {
  split: string;
  /** COCO image id or file path. */
  image: number | string;
}

/**
 * Image file names, by extension: those of lib/data/image_header.ts's IMAGE_EXTENSIONS (a test
 * holds them equal; importing that module would bring its header readers into the page).
 */
const IMAGE_FILE = /\.(jpe?g|png|bmp|tiff?|webp|gif)$/i;

/** The image a problem is about, when it can be opened (an image id or an image file). */
export function problemSample(p: Problem, split: string): SampleView | null {
  if (p.image_id !== undefined) return { split: p.split ?? split, image: p.image_id };
  if (p.file && IMAGE_FILE.test(p.file)) return { split: p.split ?? split, image: p.file };
  return null;
}

/** The problems of one image. */
export function problemsOf(problems: Problem[], view: SampleView): Problem[] {
  return problems.filter((q) =>
    q.split === view.split && (q.image_id === view.image || q.file === view.image)
  );
}

/** Thumbnails per page of the sample grid. */
export const SAMPLES_PAGE = 24;

/** The query of one page of the sample grid. */
export function samplesQuery(
  split: string,
  offset: number,
  classId: number | null,
  problem: string,
): string {
  const q = new URLSearchParams({ split, offset: String(offset), limit: String(SAMPLES_PAGE) });
  if (classId !== null) q.set("class", String(classId));
  if (problem) q.set("problem", problem);
  return q.toString();
}

/** The query of one sample. */
export function sampleQuery(view: SampleView): string {
  return new URLSearchParams({ split: view.split, image: String(view.image) }).toString();
}

/** Classes drawn in a sample (its annotations' classes, then an ImageFolder label), each once. */
export function sampleClasses(
  sample: { annotations: SampleAnnotation[]; label?: number },
): number[] {
  const used = [...new Set(sample.annotations.map((a) => a.category_id))];
  if (sample.label !== undefined) used.push(sample.label);
  return used;
}

/** The names of a sample's classes, in order; "class 7" for an id the scan has no name for. */
export function classNamesOf(
  classes: readonly number[],
  names: ReadonlyMap<number, string>,
): string[] {
  return classes.map((id) => names.get(id) ?? `class ${id}`);
}

/**
 * A thumbnail's caption: the names of the classes in the image, the first `max` of them and how
 * many more ("person, car +2"); "no annotations" for a COCO image without any. Null for class-id
 * masks, whose classes are known only once a mask is decoded.
 */
export function sampleCaption(
  format: string,
  classes: readonly number[],
  names: ReadonlyMap<number, string>,
  max = 2,
): string | null {
  if (format === "masks") return null;
  if (!classes.length) return "no annotations";
  const shown = classNamesOf(classes.slice(0, max), names).join(", ");
  return classes.length > max ? `${shown} +${classes.length - max}` : shown;
}

/** Annotation ids a problem names, outlined in the sample view. */
export function flaggedAnnotations(problems: Problem[]): Set<number | undefined> {
  return new Set(problems.map((p) => p.annotation_id).filter((id) => id !== undefined));
}

/** One annotation as a line of the sample view's list, e.g. `#7 cat [1, 2, 3.5, 4] crowd`. */
export function annotationLine(a: SampleAnnotation, className: string): string {
  const box = a.bbox ? ` [${a.bbox.map((v) => +v.toFixed(1)).join(", ")}]` : "";
  const id = a.id !== undefined ? `#${a.id} ` : "";
  return `${id}${className}${box}${a.rle ? " RLE mask" : ""}${a.iscrowd ? " crowd" : ""}`;
}
