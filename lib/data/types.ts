/**
 * Shared shapes of the dataset scanner: what is scanned (ScanSpec / DatasetPlan), what comes back
 * (ScanResult with per-split statistics and a located problem list) and how progress is reported.
 * Everything here is plain JSON so results can be cached, sent to islands and printed by the CLI.
 */

/** Dataset layouts the scanner reads. `delta` is served by the Databricks adapter only. */
export type DatasetFormat = "coco" | "coco-panoptic" | "imagefolder" | "masks" | "delta";

/** `auto` asks the detector to pick a format from the files. */
export type FormatChoice = DatasetFormat | "auto";

/** Values accepted by `--format` and the page's format picker. */
export const FORMAT_CHOICES: readonly FormatChoice[] = [
  "auto",
  "coco",
  "coco-panoptic",
  "imagefolder",
  "masks",
];

/** error: training will fail or silently drop data. warning: suspicious, training still runs. */
export type Severity = "error" | "warning";

/** One located problem. Field names follow the CLI's `--json` contract (snake_case ids). */
export interface Problem {
  /** Stable machine-readable rule name, e.g. `bbox_outside_image`. */
  code: string;
  severity: Severity;
  /** Human-readable reason, naming the offending values. */
  message: string;
  /** Split the problem belongs to (`train`, `val`, ...). */
  split?: string;
  /** The file concerned: an image, a mask, or the annotation file. */
  file?: string;
  image_id?: number;
  annotation_id?: number;
  category_id?: number;
  /** Where inside the file, e.g. `annotations[17].bbox` or `line 3, column 9`. */
  where?: string;
}

/** One split of a dataset, with the files that make it up. */
export interface SplitPlan {
  name: string;
  /** COCO instances / panoptic JSON. */
  annotationFile?: string;
  /** Directory the images' `file_name`s are relative to; absent = file checks skipped. */
  imagesDir?: string;
  /** Guesses for imagesDir, tried in order against the first image after parsing. */
  imagesDirCandidates?: string[];
  /** Panoptic PNG directory (default: sibling folder named after the JSON stem). */
  panopticDir?: string;
  /** ImageFolder root (`<root>/<class>/<image>`). */
  root?: string;
  /** Semantic masks directory (single-channel class ids, 255 = ignore). */
  masksDir?: string;
  /** Class names for mask ids (index = id), when known (e.g. `class_names.txt`). */
  classNames?: string[];
}

/** A fully resolved dataset: one format and its splits. */
export interface DatasetPlan {
  format: DatasetFormat;
  splits: SplitPlan[];
  /** Why the detector chose this format, shown to the person. */
  reason: string;
}

/** What to scan. Either a path to auto-detect, or an explicit plan (e.g. from a training config). */
export interface ScanSpec {
  /** A file or directory (volume path, or a local path for the CLI). */
  path?: string;
  format?: FormatChoice;
  /** Images directory for a single COCO/panoptic JSON given as `path`. */
  images?: string;
  /** Explicit splits; when given, `path` is ignored. */
  plan?: DatasetPlan;
  /** Named paths detected one by one and joined (a config's train/val/test); beats `path`. */
  splits?: { name: string; path: string; images?: string }[];
  /** Hash each image to find the same file in two splits (default true when files are checked). */
  leakage?: boolean;
  /** A Delta table with one row per image (Databricks only; needs a reader, see ScanOptions). */
  delta?: { table: string; imageColumn: string; labelColumn: string; splitColumn?: string };
}

/** A class as counted in one split. */
export interface ClassStat {
  id: number;
  name: string;
  /** Annotations (COCO, panoptic segments), images (ImageFolder) or images containing it (masks). */
  count: number;
  /** Images with at least one instance of the class. */
  images: number;
  /** Share of labelled pixels (masks and panoptic only), 0..1. */
  pixelShare?: number;
}

export interface Histogram {
  /** Bucket labels, e.g. `0`, `1`, `≥50`, `0.1–0.2`. */
  labels: string[];
  counts: number[];
}

/** Statistics of one split. Everything a chart needs, already aggregated. */
export interface SplitStats {
  images: number;
  annotations: number;
  /** `iscrowd=1` annotations (COCO); they are skipped by most trainers. */
  crowd: number;
  classes: ClassStat[];
  imbalance: {
    /** max/min count over classes that have at least one annotation; 0 when < 2 such classes. */
    ratio: number;
    level: "balanced" | "moderate" | "severe";
    mean: number;
    /** Class ids with count > 1.5 × mean. */
    over: number[];
    /** Class ids with count < 0.5 × mean. */
    under: number[];
  };
  objectsPerImage: Histogram;
  /** Distinct (width, height) pairs with how many images have them; at most 2000, largest first. */
  imageSizes: { w: number; h: number; count: number }[];
  aspectRatio: Histogram & { median: number };
  meanWidth: number;
  meanHeight: number;
  /** COCO buckets by area: small < 32², medium < 96², large ≥ 96². */
  boxSizes: { small: number; medium: number; large: number };
  /** sqrt(box area / image area), 10 buckets. */
  relativeSize: Histogram;
  /** Box centres normalised to the image, `size × size` row-major counts (row = y). */
  heatmap: { size: number; cells: number[] };
  imagesWithoutAnnotations: number;
  /** Up to 200 ids (or file names) of images without annotations. */
  imagesWithoutAnnotationsSample: (number | string)[];
}

export interface SplitReport {
  name: string;
  format: DatasetFormat;
  /** The files that were read, for the report header. */
  sources: string[];
  /** Whether image files were opened (sizes, readability, leakage). */
  fileChecks: boolean;
  stats: SplitStats;
}

/** The outcome of one scan. */
export interface ScanResult {
  version: number;
  /** Content key the result is cached under. */
  key: string;
  format: DatasetFormat;
  reason: string;
  createdAt: number;
  durationMs: number;
  /** True when every split had its image files checked. */
  fileChecks: boolean;
  /** Things the person should know about the scan itself (e.g. "file checks skipped"). */
  notes: string[];
  splits: SplitReport[];
  problems: Problem[];
  /** Count per problem code, including problems beyond the stored list. */
  problemCounts: Record<string, number>;
  /** True when more problems were found than stored (see MAX_PROBLEMS). */
  truncated: boolean;
  /** The resolved dataset (formats, folders found), so samples can be opened later. */
  plan?: DatasetPlan;
}

/** Live progress of a scan. */
export interface ScanProgress {
  phase: "listing" | "reading" | "parsing" | "checking-files" | "hashing" | "stats" | "done";
  split?: string;
  imagesRead: number;
  annotationsRead: number;
  bytesRead: number;
  bytesTotal: number;
  filesChecked: number;
  filesTotal: number;
  elapsedMs: number;
  /** Estimated time left, when it can be estimated. */
  etaMs?: number;
}

/** At most this many problems are kept in a result; counts stay exact beyond it. */
export const MAX_PROBLEMS = 200_000;
