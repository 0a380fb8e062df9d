/**
 * The dataset's classes against the config, from what is cheap to know: the class folders of an
 * ImageFolder dataset (one listing of train and of val, which the data path checks make anyway)
 * and the `categories` of a COCO annotation file (that list alone, `coco_categories.ts`). Mask
 * folders say nothing: their classes are in the pixels. Each finding names what was found, at
 * the field to change (`model.num_classes`, `model.class_names`, the val path or file).
 * Server-only.
 */
import type { FileEntry, FilesApi } from "@/lib/workspace/types.ts";
import { type CategoriesAnswer, readCocoCategories } from "./coco_categories.ts";
import { isObject } from "./object.ts";
import type { Problem } from "./validate.ts";

/** A folder's entries, and whether that is all of them. */
export interface Listing {
  entries: { name: string; isDirectory: boolean }[];
  complete: boolean;
}

/** What the data path checks found, by split. */
export interface DataSeen {
  /** The train and val folders that exist, as listed. */
  folders: Partial<Record<Split, Listing>>;
  /** The train and val annotation files that exist. */
  annotations: Partial<Record<Split, FileEntry>>;
}

type Split = "train" | "val";

/** How many names a message lists before it says how many more there are. */
const NAMES_SHOWN = 8;

/** Class folders as the training job takes them: visible sub-folders, sorted. */
export function classFolders(l: Listing): string[] {
  return l.entries.filter((e) => e.isDirectory && !e.name.startsWith(".")).map((e) => e.name)
    .sort();
}

/** `a, b, c` or `a, b, … and 12 more`. */
export function nameList(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_SHOWN).join(", ");
  return names.length > NAMES_SHOWN ? `${shown} and ${names.length - NAMES_SHOWN} more` : shown;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Which layout the job will read the data as, when its classes can be known cheaply. */
function layoutOf(data: Record<string, unknown>, task: string | null): "folders" | "coco" | null {
  const format = typeof data.format === "string" ? data.format.toLowerCase() : null;
  if (format === "imagefolder") return "folders";
  if (format === "coco_instances" || format === "coco_panoptic") return "coco";
  if (format) return null;
  if (task === "classification") return "folders";
  const ann = data.train_annotation_file;
  return typeof ann === "string" && ann.trim() !== "" ? "coco" : null;
}

/** Problems between the dataset's classes and the config; none when they cannot be known. */
export async function checkClasses(
  doc: Record<string, unknown>,
  task: string | null,
  files: FilesApi,
  seen: DataSeen,
): Promise<Problem[]> {
  const model = isObject(doc.model) ? doc.model : {};
  const data = isObject(doc.data) ? doc.data : {};
  const n = typeof model.num_classes === "number" && Number.isInteger(model.num_classes)
    ? model.num_classes
    : null;
  const layout = layoutOf(data, task);
  if (layout === "folders") return folderClasses(model, n, seen.folders);
  if (layout === "coco") return await cocoClasses(data, n, files, seen.annotations);
  return [];
}

function folderClasses(
  model: Record<string, unknown>,
  n: number | null,
  folders: DataSeen["folders"],
): Problem[] {
  const out: Problem[] = [];
  const train = folders.train?.complete ? classFolders(folders.train) : null;
  if (!train || train.length === 0) return out; // an empty train folder is reported as such
  const named = Array.isArray(model.class_names) && model.class_names.length > 0 &&
      model.class_names.every((c) => typeof c === "string")
    ? model.class_names as string[]
    : null;
  if (named) {
    // The job trains the listed classes, each from its folder; other folders are left out.
    const missing = named.filter((c) => !train.includes(c));
    if (missing.length) {
      out.push({
        path: "model.class_names",
        message: `train has no folder for ${nameList(missing)} (its ${
          plural(train.length, "class folder")
        }: ${nameList(train)})`,
      });
    }
  } else if (n !== null && n !== train.length) {
    out.push({
      path: "model.num_classes",
      message: `train has ${plural(train.length, "class folder")} (${
        nameList(train)
      }); num_classes is ${n}`,
    });
  }
  const val = folders.val?.complete ? classFolders(folders.val) : null;
  if (!val || val.length === 0) return out; // no class folders at all is its own problem
  const labels = named ?? train;
  const missing = labels.filter((c) => !val.includes(c));
  const extra = named ? [] : val.filter((c) => !train.includes(c));
  const parts = [
    missing.length ? `val has no folder for ${nameList(missing)}` : "",
    extra.length
      ? `${nameList(extra)} ${extra.length === 1 ? "is" : "are"} not among train's classes`
      : "",
  ].filter(Boolean);
  if (parts.length) {
    out.push({
      path: "data.val_data_path",
      message: `val's class folders do not match ${named ? "class_names" : "train's"}: ${
        parts.join("; ")
      } (${named ? "class_names" : "train"}: ${nameList(labels)})`,
    });
  }
  return out;
}

async function cocoClasses(
  data: Record<string, unknown>,
  n: number | null,
  files: FilesApi,
  annotations: DataSeen["annotations"],
): Promise<Problem[]> {
  const out: Problem[] = [];
  const read = async (split: Split): Promise<CategoriesAnswer> => {
    const entry = annotations[split];
    const path = data[`${split}_annotation_file`];
    return entry && typeof path === "string"
      ? await readCocoCategories(files, path, entry)
      : { kind: "unknown" };
  };
  const train = await read("train");
  const trainPath = String(data.train_annotation_file);
  if (train.kind === "missing") {
    out.push({
      path: "data.train_annotation_file",
      message: `has no "categories" list: ${trainPath}`,
    });
  }
  if (train.kind !== "found") return out;
  const cats = train.categories;
  const noId = cats.findIndex((c) => c.id === null);
  if (cats.length === 0) {
    out.push({ path: "data.train_annotation_file", message: `lists no categories: ${trainPath}` });
    return out;
  }
  if (noId >= 0) {
    out.push({
      path: "data.train_annotation_file",
      message: `categories[${noId}] has no whole-number "id": ${trainPath}`,
    });
    return out;
  }
  if (n !== null && n !== cats.length) {
    out.push({
      path: "model.num_classes",
      message: `train_annotation_file has ${plural(cats.length, "category", "categories")} (${
        nameList(cats.map((c) => c.name))
      }); num_classes is ${n}`,
    });
  }
  const val = await read("val");
  if (val.kind !== "found") return out;
  const ids = new Set(cats.map((c) => c.id));
  const unknown = [...new Set(val.categories.filter((c) => !ids.has(c.id)).map((c) => c.id))];
  if (unknown.length) {
    out.push({
      path: "data.val_annotation_file",
      message: `lists category id${unknown.length === 1 ? "" : "s"} ${
        nameList(unknown.map((id) => id === null ? "(none)" : String(id)))
      } that train_annotation_file does not: ${String(data.val_annotation_file)}`,
    });
  }
  return out;
}
