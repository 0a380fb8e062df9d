/**
 * Collecting and exporting problems. A scan of a broken export can find a million problems, so the
 * collector keeps exact counts per rule but stores at most MAX_PROBLEMS entries.
 */
import { toCsv } from "@/lib/csv.ts";
import { MAX_PROBLEMS, type Problem, type Severity } from "./types.ts";

/** Accumulates problems for one scan. */
export class ProblemSink {
  readonly list: Problem[] = [];
  readonly counts: Record<string, number> = {};
  truncated = false;

  constructor(readonly split?: string, private readonly limit = MAX_PROBLEMS) {}

  /** Records a problem (split filled in from the sink). */
  add(
    code: string,
    severity: Severity,
    message: string,
    loc: Omit<Problem, "code" | "severity" | "message"> = {},
  ): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    if (this.list.length >= this.limit) {
      this.truncated = true;
      return;
    }
    const p: Problem = { code, severity, message };
    if (this.split !== undefined) p.split = this.split;
    for (const [k, v] of Object.entries(loc)) {
      if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
    }
    this.list.push(p);
  }

  /** Moves another sink's problems into this one. */
  merge(other: ProblemSink): void {
    for (const [k, v] of Object.entries(other.counts)) this.counts[k] = (this.counts[k] ?? 0) + v;
    for (const p of other.list) {
      if (this.list.length >= this.limit) {
        this.truncated = true;
        break;
      }
      this.list.push(p);
    }
    this.truncated ||= other.truncated;
  }
}

const COLUMNS = [
  "severity",
  "code",
  "split",
  "file",
  "image_id",
  "annotation_id",
  "category_id",
  "where",
  "message",
] as const;

/** The problem list as CSV (RFC 4180 quoting, header row, errors first). */
export function problemsToCsv(problems: Problem[]): string {
  const rows = sortProblems(problems).map((p) =>
    COLUMNS.map((c) => (p as unknown as Record<string, unknown>)[c])
  );
  return toCsv([COLUMNS, ...rows], "\r\n");
}

/** The problem list as pretty JSON (errors first). */
export function problemsToJson(problems: Problem[]): string {
  return JSON.stringify(sortProblems(problems), null, 2) + "\n";
}

/** Errors before warnings; otherwise the order they were found in. */
export function sortProblems(problems: Problem[]): Problem[] {
  return problems.map((p, i) => [p, i] as const)
    .sort((
      a,
      b,
    ) => (a[0].severity === b[0].severity ? a[1] - b[1] : a[0].severity === "error" ? -1 : 1))
    .map(([p]) => p);
}

/** Key that groups file names a person would consider "the same file". */
export function nameKey(fileName: string): string {
  let base = fileName.slice(fileName.lastIndexOf("/") + 1).toLowerCase();
  const dot = base.lastIndexOf(".");
  if (dot > 0) base = base.slice(0, dot);
  return base
    .replace(/\s*\(\d+\)$/, "") // "img (1)"
    .replace(/[\s_-]*copy(?:[\s_-]*(?:of)?[\s_-]*\d+)?$/, "") // "img - copy", "img_copy2"
    .replace(/^copy[\s_-]*of[\s_-]*/, "") // "copy of img"
    .trim();
}

/**
 * Groups of distinct file names that differ only by case, extension, or a copy marker
 * (`a.jpg` / `A.JPG` / `a.jpeg` / `a (1).jpg` / `a - Copy.jpg`).
 */
export function nearDuplicateNames(names: string[]): string[][] {
  const groups = new Map<string, Set<string>>();
  for (const n of names) {
    if (!n) continue;
    const dir = n.slice(0, n.lastIndexOf("/") + 1).toLowerCase();
    const k = dir + nameKey(n);
    let g = groups.get(k);
    if (!g) groups.set(k, g = new Set());
    g.add(n);
  }
  const out: string[][] = [];
  for (const g of groups.values()) if (g.size > 1) out.push([...g].sort());
  return out;
}
