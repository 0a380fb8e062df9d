/**
 * Reads evaluation inputs from disk in the formats training jobs write (predictions/val.json,
 * DESIGN.md "Contracts") and in the datasets' own formats (COCO, COCO panoptic, class-index PNG
 * folders). Every failure names the file and what is wrong with it.
 */
import { basename, dirname, extname, join, resolve } from "node:path";
import { parseCocoGt, parseCocoResults } from "./coco_types.ts";
import type { CocoDetection, CocoGt } from "./coco_types.ts";
import { MetricsInputError } from "./input_error.ts";
import { decodePng } from "../image/png.ts";
import { classIndexMap, panopticIdMap } from "../image/label_maps.ts";
import { SemsegAccumulator, type SemsegOptions, type SemsegResult } from "./semseg.ts";
import { PanopticAccumulator, type PanopticResult, type SegmentInfo } from "./panoptic.ts";
import type { ClassificationSample } from "./classification.ts";

/** Reads and parses a JSON file, turning I/O and syntax errors into MetricsInputError. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new MetricsInputError(path, "", ioProblem(e));
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MetricsInputError(path, "", `invalid JSON (${(e as Error).message})`);
  }
}

function ioProblem(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "file not found";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory, expected a file";
  return (e as Error).message;
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new MetricsInputError(path, "", ioProblem(e));
  }
}

async function readPng(path: string) {
  const bytes = await readBytes(path);
  try {
    return decodePng(bytes);
  } catch (e) {
    throw new MetricsInputError(path, "", (e as Error).message);
  }
}

/** Loads a COCO ground truth and a results file, validated against each other. */
export async function loadCoco(
  gtPath: string,
  dtPath: string,
): Promise<{ gt: CocoGt; dts: CocoDetection[] }> {
  const gt = parseCocoGt(await readJsonFile(gtPath), gtPath);
  const dts = parseCocoResults(await readJsonFile(dtPath), gt, dtPath);
  return { gt, dts };
}

async function listPngs(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && extname(e.name).toLowerCase() === ".png") out.push(e.name);
    }
  } catch (e) {
    throw new MetricsInputError(dir, "", ioProblem(e));
  }
  return out.sort();
}

const stem = (name: string) => basename(name, extname(name));

/**
 * Semantic segmentation from class-index PNGs. `pred` is a predictions JSON (rows with
 * `mask_png` relative to its folder and `file_name`) or a folder of PNGs; ground truth PNGs are
 * found in `gtDir` by the image's file stem. Every ground-truth PNG counts: one without a
 * prediction scores as all pixels missed (`missing` says how many); two predictions for one
 * image are an error.
 */
export async function evaluateSemsegFiles(
  pred: string,
  gtDir: string,
  opts: SemsegOptions,
): Promise<SemsegResult & { images: number; missing: number }> {
  const pairs: { pred: string; gt: string }[] = [];
  const isDir = (await Deno.stat(pred).catch((e) => {
    throw new MetricsInputError(pred, "", ioProblem(e));
  })).isDirectory;
  if (isDir) {
    for (const name of await listPngs(pred)) {
      pairs.push({ pred: join(pred, name), gt: join(gtDir, name) });
    }
  } else {
    const rows = await readJsonFile(pred);
    if (!Array.isArray(rows)) {
      throw new MetricsInputError(pred, "", "expected a list of predictions");
    }
    rows.forEach((r, i) => {
      if (!r || typeof r.mask_png !== "string") {
        throw new MetricsInputError(pred, `[${i}].mask_png`, "missing (expected a PNG path)");
      }
      const name = typeof r.file_name === "string" ? r.file_name : r.mask_png;
      pairs.push({
        pred: resolve(dirname(pred), r.mask_png),
        gt: join(gtDir, `${stem(name)}.png`),
      });
    });
  }
  if (pairs.length === 0) throw new MetricsInputError(pred, "", "no prediction masks found");
  const seen = new Set<string>();
  for (const p of pairs) {
    if (seen.has(p.gt)) {
      throw new MetricsInputError(pred, "", `two predictions for the image of ${basename(p.gt)}`);
    }
    seen.add(p.gt);
  }
  // a labelled image without a prediction counts as every pixel missed, or skipping it
  // would raise the score
  const missing = (await listPngs(gtDir)).map((n) => join(gtDir, n)).filter((g) => !seen.has(g));
  const acc = new SemsegAccumulator(opts);
  for (const gt of missing) {
    const gp = await readPng(gt);
    let gm: Uint16Array;
    try {
      gm = classIndexMap(gp);
    } catch (e) {
      throw new MetricsInputError(gt, "", (e as Error).message);
    }
    acc.add(new Int32Array(gm.length).fill(-1), gm, gt);
  }
  for (const p of pairs) {
    const [pp, gp] = [await readPng(p.pred), await readPng(p.gt)];
    if (pp.width !== gp.width || pp.height !== gp.height) {
      throw new MetricsInputError(
        p.pred,
        "",
        `is ${pp.width}x${pp.height} but its label ${p.gt} is ${gp.width}x${gp.height}`,
      );
    }
    let pm: Uint16Array, gm: Uint16Array;
    try {
      pm = classIndexMap(pp);
    } catch (e) {
      throw new MetricsInputError(p.pred, "", (e as Error).message);
    }
    try {
      gm = classIndexMap(gp);
    } catch (e) {
      throw new MetricsInputError(p.gt, "", (e as Error).message);
    }
    acc.add(pm, gm, p.pred);
  }
  return { ...acc.result(), images: pairs.length + missing.length, missing: missing.length };
}

interface PanopticAnn {
  image_id: unknown;
  file_name?: string;
  png?: string;
  segments_info: SegmentInfo[];
}

function panopticAnns(json: unknown, source: string): PanopticAnn[] {
  const list = Array.isArray(json) ? json : (json as { annotations?: unknown })?.annotations;
  if (!Array.isArray(list)) {
    throw new MetricsInputError(
      source,
      "",
      "expected COCO panoptic annotations (or a list of them)",
    );
  }
  list.forEach((a, i) => {
    if (!a || !Array.isArray(a.segments_info)) {
      throw new MetricsInputError(source, `[${i}].segments_info`, "missing or not a list");
    }
  });
  return list as PanopticAnn[];
}

/**
 * Panoptic quality from a COCO panoptic ground truth (JSON + PNG folder) and predictions in
 * the jobs' format (rows with `png` relative to the JSON's folder) or COCO panoptic format.
 * A ground-truth image without a prediction counts as all missed (`missing` says how many);
 * an image predicted twice is an error.
 */
export async function evaluatePanopticFiles(
  gtJson: string,
  gtDir: string,
  predJson: string,
  predDir?: string,
): Promise<PanopticResult & { images: number; missing: number }> {
  const gtRaw = await readJsonFile(gtJson);
  const cats = (gtRaw as { categories?: { id: number; isthing?: number; name?: string }[] })
    ?.categories;
  if (!Array.isArray(cats)) {
    throw new MetricsInputError(gtJson, "categories", "missing or not a list");
  }
  const acc = new PanopticAccumulator(
    cats.map((c) => ({ id: c.id, isthing: c.isthing === 1, name: c.name })),
  );
  const gtByImage = new Map(panopticAnns(gtRaw, gtJson).map((a) => [String(a.image_id), a]));
  const preds = panopticAnns(await readJsonFile(predJson), predJson);
  const pDir = predDir ?? dirname(predJson);
  const predicted = new Set<string>();
  for (let i = 0; i < preds.length; i++) {
    const p = preds[i];
    const g = gtByImage.get(String(p.image_id));
    if (!g) {
      throw new MetricsInputError(
        predJson,
        `[${i}].image_id`,
        `image ${p.image_id} not in ${gtJson}`,
      );
    }
    if (predicted.has(String(p.image_id))) {
      throw new MetricsInputError(
        predJson,
        `[${i}].image_id`,
        `image ${p.image_id} has two predictions`,
      );
    }
    predicted.add(String(p.image_id));
    const pPath = resolve(pDir, p.png ?? p.file_name ?? "");
    const gPath = join(gtDir, g.file_name ?? `${stem(String(g.image_id))}.png`);
    const [pp, gp] = [await readPng(pPath), await readPng(gPath)];
    if (pp.width !== gp.width || pp.height !== gp.height) {
      throw new MetricsInputError(pPath, "", `size differs from its ground truth ${gPath}`);
    }
    let pm: Uint32Array, gm: Uint32Array;
    try {
      pm = panopticIdMap(pp);
      gm = panopticIdMap(gp);
    } catch (e) {
      throw new MetricsInputError(pPath, "", (e as Error).message);
    }
    acc.addImage(gm, g.segments_info, pm, p.segments_info, pPath);
  }
  // panopticapi refuses a ground-truth image without a prediction; here it counts as an
  // all-void prediction (every segment missed), so the score cannot rise by leaving images out
  let missing = 0;
  for (const [id, g] of gtByImage) {
    if (predicted.has(id)) continue;
    const gPath = join(gtDir, g.file_name ?? `${stem(id)}.png`);
    let gm: Uint32Array;
    try {
      gm = panopticIdMap(await readPng(gPath));
    } catch (e) {
      if (e instanceof MetricsInputError) throw e;
      throw new MetricsInputError(gPath, "", (e as Error).message);
    }
    acc.addImage(gm, g.segments_info, new Uint32Array(gm.length), [], gPath);
    missing++;
  }
  return { ...acc.result(), images: preds.length + missing, missing };
}

/**
 * Classification samples from per-image top-k predictions. Ground truth comes from each row's
 * `label` or, when given, a labels file: `{ "<file_name or image_id>": label }` or a list of
 * `{image_id | file_name, label}`.
 */
export async function loadClassification(
  predPath: string,
  gtPath?: string,
): Promise<{ samples: ClassificationSample[]; names: Map<number, string> }> {
  const rows = await readJsonFile(predPath);
  const list = Array.isArray(rows) ? rows : (rows as { predictions?: unknown })?.predictions;
  if (!Array.isArray(list)) {
    throw new MetricsInputError(predPath, "", "expected a list of predictions");
  }
  let truth: Map<string, number> | undefined;
  if (gtPath) {
    const g = await readJsonFile(gtPath);
    truth = new Map();
    if (Array.isArray(g)) {
      g.forEach((r, i) => {
        if (!Number.isInteger(r?.label)) {
          throw new MetricsInputError(gtPath, `[${i}].label`, "not an integer");
        }
        if (r.file_name !== undefined) truth!.set(String(r.file_name), r.label);
        if (r.image_id !== undefined) truth!.set(String(r.image_id), r.label);
      });
    } else if (g && typeof g === "object") {
      for (const [k, v] of Object.entries(g)) {
        if (!Number.isInteger(v)) throw new MetricsInputError(gtPath, k, "label is not an integer");
        truth.set(k, v as number);
      }
    } else throw new MetricsInputError(gtPath, "", "expected an object or a list of labels");
  }
  const names = new Map<number, string>();
  const keys = new Set<string>();
  const samples = list.map((r, i): ClassificationSample => {
    const at = `[${i}]`;
    if (!r || !Array.isArray(r.top_k) || r.top_k.length === 0) {
      throw new MetricsInputError(predPath, `${at}.top_k`, "missing or empty");
    }
    r.top_k.forEach((p: { label?: unknown; score?: unknown; label_name?: unknown }, j: number) => {
      if (!Number.isInteger(p?.label) || (p.label as number) < 0) {
        throw new MetricsInputError(predPath, `${at}.top_k[${j}].label`, "not a class index");
      }
      if (typeof p.score !== "number") {
        throw new MetricsInputError(predPath, `${at}.top_k[${j}].score`, "not a number");
      }
      if (typeof p.label_name === "string") names.set(p.label as number, p.label_name);
    });
    const key = String(r.file_name ?? r.image_id ?? i);
    if (keys.has(key)) {
      throw new MetricsInputError(predPath, `${at}`, `image ${key} has two predictions`);
    }
    keys.add(key);
    const label = truth ? truth.get(String(r.file_name)) ?? truth.get(String(r.image_id)) : r.label;
    if (!Number.isInteger(label) || label < 0) {
      throw new MetricsInputError(
        truth ? gtPath! : predPath,
        truth ? key : `${at}.label`,
        truth ? "no ground-truth label for this image" : "missing ground-truth label (pass --gt)",
      );
    }
    return { label, topK: r.top_k, key };
  });
  return { samples, names };
}
