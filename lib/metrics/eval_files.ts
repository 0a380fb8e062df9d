/**
 * Reads evaluation inputs in the formats training jobs write (predictions/val.json, DESIGN.md
 * "Contracts") and in the datasets' own formats (COCO, COCO panoptic, class-index PNG folders).
 * Files come through an EvalSource (eval_source.ts): the local disk by default (the CLI, the
 * metric tests), or a workspace's volumes (lib/evaluation), whose PNGs are decoded into label
 * maps off the request thread. Images are read ahead within the source's byte budget and scored
 * in a fixed order. Every failure names the file and what is wrong with it.
 */
import { parseCocoGt, parseCocoResults } from "./coco_types.ts";
import type { CocoDetection, CocoGt } from "./coco_types.ts";
import { MetricsInputError } from "./input_error.ts";
import type { ClassMap, PanopticMap } from "../image/label_maps.ts";
import { SemsegAccumulator, type SemsegOptions, type SemsegResult } from "./semseg.ts";
import { PanopticAccumulator, type PanopticResult, type SegmentInfo } from "./panoptic.ts";
import type { ClassificationSample } from "./classification.ts";
import {
  breather,
  ByteBudget,
  decodeFiles,
  diskSource,
  type EvalSource,
  inOrder,
  mapBytes,
  READ_AHEAD_BYTES,
  readFiles,
  readJsonFile,
} from "./eval_source.ts";

export {
  ByteBudget,
  diskSource,
  type EvalSource,
  parseJsonBytes,
  READ_AHEAD_BYTES,
  readJsonFile,
} from "./eval_source.ts";

/** Loads a COCO ground truth and a results file, validated against each other. */
export async function loadCoco(
  gtPath: string,
  dtPath: string,
  src: EvalSource = diskSource,
): Promise<{ gt: CocoGt; dts: CocoDetection[] }> {
  const gt = parseCocoGt(await readJsonFile(gtPath, src), gtPath);
  const dts = parseCocoResults(await readJsonFile(dtPath, src), gt, dtPath);
  return { gt, dts };
}

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
  src: EvalSource = diskSource,
): Promise<SemsegResult & { images: number; missing: number }> {
  const { join, resolve, dirname, basename, extname } = src.path;
  const stem = (name: string) => basename(name, extname(name));
  const pairs: { pred: string; gt: string }[] = [];
  if ((await src.stat(pred)).isDirectory) {
    for (const name of await src.listPngs(pred)) {
      pairs.push({ pred: join(pred, name), gt: join(gtDir, name) });
    }
  } else {
    const rows = await readJsonFile(pred, src);
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
  const missing = (await src.listPngs(gtDir)).map((n) => join(gtDir, n))
    .filter((g) => !seen.has(g));
  const acc = new SemsegAccumulator(opts);
  const pause = breather();
  // pixel counts add up exactly, so a big image is added in slices with turns between them;
  // an image without a prediction is scored against slices of "no prediction" (-1)
  const add = async (pm: Uint16Array | null, gm: Uint16Array) => {
    for (let o = 0; o < gm.length; o += SLICE) {
      const g = gm.subarray(o, o + SLICE);
      acc.add(pm ? pm.subarray(o, o + SLICE) : noPredictionSlice(g.length), g);
      await pause();
    }
  };
  const items = [
    ...missing.map((gt) => ({ pred: null, gt })),
    ...pairs as { pred: string | null; gt: string }[],
  ];
  const files = (p: { pred: string | null; gt: string }) =>
    p.pred === null ? [p.gt] : [p.pred, p.gt];
  await inOrder(items, src.readAhead ?? 1, src.memory ?? new ByteBudget(READ_AHEAD_BYTES), {
    read: (p) => readFiles(src, files(p)),
    cost: (reads) => mapBytes(reads, 2),
    decode: (reads, p) => decodeFiles<ClassMap>(reads, files(p), (b) => src.classMap(b)),
    async score(maps, p) {
      if (p.pred === null) return await add(null, maps[0].data);
      const [pm, gm] = maps;
      if (pm.width !== gm.width || pm.height !== gm.height) {
        throw new MetricsInputError(
          p.pred,
          "",
          `is ${pm.width}x${pm.height} but its label ${p.gt} is ${gm.width}x${gm.height}`,
        );
      }
      await add(pm.data, gm.data);
    },
  });
  return { ...acc.result(), images: pairs.length + missing.length, missing: missing.length };
}

/** Pixels of a semantic image scored between two turns of the event loop. */
const SLICE = 1 << 20;
let noPrediction: Int32Array | undefined;
/** `n` pixels (at most SLICE) of the prediction of an image that has none: every pixel missed. */
const noPredictionSlice = (n: number) =>
  (noPrediction ??= new Int32Array(SLICE).fill(-1)).subarray(0, n);

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
  src: EvalSource = diskSource,
): Promise<PanopticResult & { images: number; missing: number }> {
  const { join, resolve, dirname, basename, extname } = src.path;
  const stem = (name: string) => basename(name, extname(name));
  const gtRaw = await readJsonFile(gtJson, src);
  const cats = (gtRaw as { categories?: { id: number; isthing?: number; name?: string }[] })
    ?.categories;
  if (!Array.isArray(cats)) {
    throw new MetricsInputError(gtJson, "categories", "missing or not a list");
  }
  const acc = new PanopticAccumulator(
    cats.map((c) => ({ id: c.id, isthing: c.isthing === 1, name: c.name })),
  );
  const gtByImage = new Map(panopticAnns(gtRaw, gtJson).map((a) => [String(a.image_id), a]));
  const preds = panopticAnns(await readJsonFile(predJson, src), predJson);
  const pDir = predDir ?? dirname(predJson);
  // every prediction is checked before any PNG is read
  const items: { g: PanopticAnn; gPath: string; p?: PanopticAnn; pPath?: string }[] = [];
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
    items.push({ g, gPath, p, pPath });
  }
  // panopticapi refuses a ground-truth image without a prediction; here it counts as an
  // all-void prediction (every segment missed), so the score cannot rise by leaving images out
  let missing = 0;
  for (const [id, g] of gtByImage) {
    if (predicted.has(id)) continue;
    items.push({ g, gPath: join(gtDir, g.file_name ?? `${stem(id)}.png`) });
    missing++;
  }
  // segment IoUs are summed in floating point, so images are added in this fixed order
  const pause = breather();
  const files = (it: { gPath: string; pPath?: string }) =>
    it.pPath === undefined ? [it.gPath] : [it.pPath, it.gPath];
  await inOrder(items, src.readAhead ?? 1, src.memory ?? new ByteBudget(READ_AHEAD_BYTES), {
    read: (it) => readFiles(src, files(it)),
    // an image without a prediction is scored against an all-void map of its size
    cost: (reads, it) => mapBytes(reads, 4) * (it.pPath === undefined ? 2 : 1),
    decode: (reads, it) => decodeFiles<PanopticMap>(reads, files(it), (b) => src.panopticMap(b)),
    async score(maps, { g, gPath, p, pPath }) {
      if (!p || pPath === undefined) {
        const gm = maps[0].data;
        acc.addImage(gm, g.segments_info, new Uint32Array(gm.length), [], gPath);
        await pause();
        return;
      }
      const [pm, gm] = maps;
      if (pm.width !== gm.width || pm.height !== gm.height) {
        throw new MetricsInputError(pPath, "", `size differs from its ground truth ${gPath}`);
      }
      acc.addImage(gm.data, g.segments_info, pm.data, p.segments_info, pPath);
      await pause();
    },
  });
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
  src: EvalSource = diskSource,
): Promise<{ samples: ClassificationSample[]; names: Map<number, string> }> {
  const rows = await readJsonFile(predPath, src);
  const labels = gtPath ? { json: await readJsonFile(gtPath, src), path: gtPath } : undefined;
  return parseClassification(rows, predPath, labels);
}

/** loadClassification on parsed JSON: `rows` from `predPath`, `labels` from a labels file. */
export function parseClassification(
  rows: unknown,
  predPath: string,
  labels?: { json: unknown; path: string },
): { samples: ClassificationSample[]; names: Map<number, string> } {
  const list = Array.isArray(rows) ? rows : (rows as { predictions?: unknown })?.predictions;
  if (!Array.isArray(list)) {
    throw new MetricsInputError(predPath, "", "expected a list of predictions");
  }
  let truth: Map<string, number> | undefined;
  const gtPath = labels?.path;
  if (labels && gtPath) {
    const g = labels.json;
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
