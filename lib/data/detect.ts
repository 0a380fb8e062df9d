/**
 * Format detection: from a file or folder to a DatasetPlan (format + splits). Auto-detection looks
 * at names and a few bytes only; an explicit format skips the guessing but keeps the layout rules.
 */
import type { FilesApi } from "@/lib/workspace/types.ts";
import { isImageName } from "./image_header.ts";
import { parseClassNames } from "./masks.ts";
import { defaultPanopticDir } from "./panoptic.ts";
import type { DatasetFormat, DatasetPlan, FormatChoice, SplitPlan } from "./types.ts";
import { plural } from "@/lib/format.ts";

/** A dataset that cannot be read at all (the CLI exits non-zero with this message). */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetError";
  }
}

const SPLIT_WORDS: [RegExp, string][] = [
  [/(^|[^a-z])(train|training)/i, "train"],
  [/(^|[^a-z])(val|valid|validation)/i, "val"],
  [/(^|[^a-z])(test|testing)/i, "test"],
];

/** "instances_val2014" → "val"; otherwise the name itself. */
export function splitName(name: string): string {
  for (const [re, s] of SPLIT_WORDS) if (re.test(name)) return s;
  return name;
}

const base = (p: string) => p.slice(p.replace(/\/+$/, "").lastIndexOf("/") + 1);
const parent = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/";
const stemOf = (p: string) => base(p).replace(/\.[^.]+$/, "");

interface Entries {
  dirs: string[];
  files: string[];
}
async function entries(files: FilesApi, dir: string): Promise<Entries> {
  const out: Entries = { dirs: [], files: [] };
  for await (const e of files.list(dir)) {
    if (e.name.startsWith(".")) continue;
    (e.isDirectory ? out.dirs : out.files).push(e.name);
  }
  out.dirs.sort();
  out.files.sort();
  return out;
}

/** True when the first MiB of a JSON file mentions `segments_info` (a panoptic file). */
async function looksPanoptic(files: FilesApi, path: string): Promise<boolean> {
  const reader = (await files.read(path)).getReader();
  let text = "";
  try {
    while (text.length < 1 << 20) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      if (text.includes('"segments_info"')) return true;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return false;
}

/** Where the images of `json` probably are, best guess first (checked after parsing). */
function imageDirGuesses(json: string, ds: string): string[] {
  const dir = parent(json);
  const stem = stemOf(json).replace(/^(instances|panoptic|captions|person_keypoints)_/, "");
  const root = base(dir) === "annotations" ? parent(dir) : dir;
  const sp = splitName(stem);
  return [
    ...new Set([
      `${root}/${stem}`,
      `${root}/images/${stem}`,
      `${root}/${sp}`,
      `${root}/images/${sp}`,
      `${root}/images`,
      dir,
      ds,
    ]),
  ];
}

async function readNames(files: FilesApi, dir: string, e: Entries): Promise<string[] | undefined> {
  for (const n of ["class_names.txt", "labels.txt", "classes.txt"]) {
    if (e.files.includes(n)) return parseClassNames(await files.readText(`${dir}/${n}`));
  }
  return undefined;
}

const MASK_PAIRS: [string, string][] = [
  ["images", "masks"],
  ["images", "annotations"],
  ["JPEGImages", "SegmentationClassPNG"],
  ["JPEGImages", "SegmentationClass"],
  ["img", "mask"],
];

/** Resolves what to scan. `images` only applies to a single JSON file. */
export async function detectDataset(
  files: FilesApi,
  path: string,
  format: FormatChoice = "auto",
  images?: string,
): Promise<DatasetPlan> {
  if (format === "delta") {
    throw new DatasetError(
      "Delta tables are read through the Databricks workspace (SQL Statement Execution API); pass a table in Databricks mode",
    );
  }
  const st = await files.stat(path);
  if (!st) throw new DatasetError(`${path} does not exist`);
  if (!st.isDirectory) {
    if (!/\.json$/i.test(path)) {
      throw new DatasetError(
        `${path} is a file but not a JSON annotation file; give a COCO/panoptic .json or a dataset folder`,
      );
    }
    const f: DatasetFormat = format === "auto"
      ? (await looksPanoptic(files, path) ? "coco-panoptic" : "coco")
      : format;
    if (f !== "coco" && f !== "coco-panoptic") {
      throw new DatasetError(`${path} is a JSON file; format ${f} needs a folder`);
    }
    const split: SplitPlan = {
      name: splitName(stemOf(path)),
      annotationFile: path,
      imagesDir: images,
    };
    if (f === "coco-panoptic") split.panopticDir = defaultPanopticDir(path);
    return {
      format: f,
      splits: [split],
      reason: format === "auto"
        ? `${base(path)} is ${f === "coco" ? "a COCO instances" : "a COCO panoptic"} JSON`
        : `format ${f} given`,
    };
  }

  const dir = path.replace(/\/+$/, "");
  const e = await entries(files, dir);

  const splitDirs = e.dirs.filter((d) =>
    ["train", "training", "val", "valid", "validation", "test", "testing"].includes(d.toLowerCase())
  );

  // semantic masks: images/ + masks/ (optionally with split sub-folders)
  if (format === "auto" || format === "masks") {
    for (const [im, mk] of MASK_PAIRS) {
      if (!e.dirs.includes(im) || !e.dirs.includes(mk)) continue;
      const ie = await entries(files, `${dir}/${im}`);
      const me = await entries(files, `${dir}/${mk}`);
      const names = await readNames(files, dir, e);
      const splits: SplitPlan[] = [];
      if (ie.files.some(isImageName)) {
        splits.push({
          name: splitName(base(dir)),
          imagesDir: `${dir}/${im}`,
          masksDir: `${dir}/${mk}`,
          classNames: names,
        });
      } else {
        for (const s of ie.dirs) {
          if (me.dirs.includes(s)) {
            splits.push({
              name: splitName(s),
              imagesDir: `${dir}/${im}/${s}`,
              masksDir: `${dir}/${mk}/${s}`,
              classNames: names,
            });
          }
        }
      }
      if (splits.length) {
        return { format: "masks", splits, reason: `${im}/ and ${mk}/ folders (class-id masks)` };
      }
    }
    // split folders that each hold an images/ + masks/ pair (train/images, train/masks, ...)
    const splits: SplitPlan[] = [];
    for (const d of splitDirs) {
      const se = await entries(files, `${dir}/${d}`);
      const pair = MASK_PAIRS.find(([im, mk]) => se.dirs.includes(im) && se.dirs.includes(mk));
      if (!pair) continue;
      splits.push({
        name: splitName(d),
        imagesDir: `${dir}/${d}/${pair[0]}`,
        masksDir: `${dir}/${d}/${pair[1]}`,
        classNames: await readNames(files, `${dir}/${d}`, se) ?? await readNames(files, dir, e),
      });
    }
    if (splits.length) {
      return {
        format: "masks",
        splits,
        reason: `split folders with images/ and masks/ (class-id masks)`,
      };
    }
    if (format === "masks") throw new DatasetError(`${dir} has no images/ + masks/ folders`);
  }

  // COCO / panoptic: JSON files here or in annotations/
  if (format === "auto" || format === "coco" || format === "coco-panoptic") {
    let jsonDir = dir;
    let jsons = e.files.filter((f) => /\.json$/i.test(f));
    if (jsons.length === 0 && e.dirs.includes("annotations")) {
      jsonDir = `${dir}/annotations`;
      jsons = (await entries(files, jsonDir)).files.filter((f) => /\.json$/i.test(f));
    }
    // only dataset-level files: instances_*/panoptic_* when present, else all
    const inst = jsons.filter((f) => /^(instances|panoptic)_/i.test(f));
    if (inst.length) jsons = inst;
    jsons = jsons.filter((f) => !/^(captions|person_keypoints)_/i.test(f));
    if (jsons.length) {
      const splits: SplitPlan[] = [];
      let fmt: DatasetFormat | undefined = format === "auto" ? undefined : format;
      for (const j of jsons) {
        const p = `${jsonDir}/${j}`;
        const pan: boolean = fmt ? fmt === "coco-panoptic" : await looksPanoptic(files, p);
        fmt ??= pan ? "coco-panoptic" : "coco";
        if ((fmt === "coco-panoptic") !== pan) continue;
        const sp: SplitPlan = {
          name: splitName(stemOf(j)),
          annotationFile: p,
          imagesDirCandidates: imageDirGuesses(p, dir),
        };
        if (pan) sp.panopticDir = defaultPanopticDir(p);
        splits.push(sp);
      }
      const names = new Set<string>();
      for (const s of splits) {
        if (names.has(s.name)) s.name = stemOf(s.annotationFile!);
        names.add(s.name);
      }
      return {
        format: fmt!,
        splits,
        reason: `${plural(splits.length, "annotation file")} in ${jsonDir}`,
      };
    }
    if (format !== "auto") {
      throw new DatasetError(`${dir} has no COCO JSON (looked in ${dir} and ${dir}/annotations)`);
    }
  }

  // ImageFolder: train/ val/ test/ each with class folders, or class folders directly
  if (splitDirs.length) {
    return {
      format: "imagefolder",
      splits: splitDirs.map((d) => ({ name: splitName(d), root: `${dir}/${d}` })),
      reason: `split folders ${splitDirs.join(", ")} with class sub-folders`,
    };
  }
  if (e.dirs.length) {
    let withImages = 0;
    for (const d of e.dirs.slice(0, 20)) {
      if ((await entries(files, `${dir}/${d}`)).files.some(isImageName)) withImages++;
    }
    if (withImages > 0 || format === "imagefolder") {
      return {
        format: "imagefolder",
        splits: [{ name: splitName(base(dir)), root: dir }],
        reason: `class folders (${e.dirs.length}) with images`,
      };
    }
  }
  throw new DatasetError(
    `cannot tell the format of ${dir}: expected a COCO JSON (here or in annotations/), images/ + masks/ folders, or class folders with images`,
  );
}

/** One split named by the person (e.g. from a training config's train/val/test paths). */
export interface NamedPath {
  name: string;
  path: string;
  /** Images folder for an annotation JSON. */
  images?: string;
}

/**
 * Detects each named path on its own and joins them into one plan, so a config's train, val and
 * test paths are scanned together (which is what finds the same image in two splits).
 */
export async function planFromPaths(
  files: FilesApi,
  paths: NamedPath[],
  format: FormatChoice = "auto",
): Promise<DatasetPlan> {
  if (paths.length === 0) throw new DatasetError("no dataset paths given");
  const splits: SplitPlan[] = [];
  let fmt: DatasetFormat | undefined;
  for (const p of paths) {
    const plan = await detectDataset(files, p.path, fmt ?? format, p.images);
    if (fmt && plan.format !== fmt) {
      throw new DatasetError(
        `${p.name} (${p.path}) is ${plan.format} but the other splits are ${fmt}`,
      );
    }
    fmt = plan.format;
    for (const sp of plan.splits) {
      splits.push({ ...sp, name: plan.splits.length === 1 ? p.name : `${p.name}/${sp.name}` });
    }
  }
  return { format: fmt!, splits, reason: `${paths.map((p) => p.name).join(", ")} paths (${fmt})` };
}
