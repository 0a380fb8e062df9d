/**
 * Evaluation test data: a small generated detection dataset (coloured boxes on grey PNGs, COCO
 * annotations with non-contiguous category ids) in a local volume, and finished run folders
 * written exactly as jobs/train.py writes them (metrics.jsonl, status.json, model.json,
 * eval_metrics.json, config.resolved.json with the job's disk paths, predictions/val.json in
 * COCO results format). Predictions are derived from the ground truth with seeded noise, so
 * every TIDE error type and confusion cell occurs, and a "better" run really is better.
 */
import { encodePng } from "@/lib/image/png.ts";
import { evaluateCoco, parseCocoGt, parseCocoResults } from "@/lib/metrics/mod.ts";
import { createRun } from "@/lib/training/records.ts";
import type { RunRecord } from "@/lib/training/types.ts";

export const EVAL_VOLUME = "/Volumes/main/lakevision/data";
const CATS = [
  { id: 1, name: "red", rgb: [220, 40, 40] },
  { id: 2, name: "green", rgb: [40, 190, 60] },
  { id: 4, name: "blue", rgb: [50, 80, 230] },
];
const W = 96, H = 80;

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) % 1_000_000) / 1_000_000;
  };
}

const disk = (dataDir: string, vp: string) => `${dataDir}/volumes/${vp.slice("/Volumes/".length)}`;

async function write(path: string, data: string | Uint8Array) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
}

interface Ann {
  id: number;
  image_id: number;
  category_id: number;
  bbox: number[];
  area: number;
  iscrowd: number;
  segmentation: number[][];
}

/** Writes the dataset; returns its volume paths and the ground truth. */
export async function writeDetectionDataset(dataDir: string, n = 12) {
  const r = rng(7);
  const images: { id: number; file_name: string; width: number; height: number }[] = [];
  const annotations: Ann[] = [];
  const root = `${EVAL_VOLUME}/datasets/boxes`;
  for (let i = 1; i <= n; i++) {
    const px = new Uint8Array(W * H * 3).fill(110);
    const k = 1 + Math.floor(r() * 3);
    for (let j = 0; j < k; j++) {
      const c = CATS[Math.floor(r() * CATS.length)];
      const w = 16 + Math.floor(r() * 20), h = 14 + Math.floor(r() * 18);
      const x = Math.floor(r() * (W - w)), y = Math.floor(r() * (H - h));
      for (let yy = y; yy < y + h; yy++) {
        for (let xx = x; xx < x + w; xx++) px.set(c.rgb, (yy * W + xx) * 3);
      }
      annotations.push({
        id: annotations.length + 1,
        image_id: i,
        category_id: c.id,
        bbox: [x, y, w, h],
        area: w * h,
        iscrowd: 0,
        segmentation: [[x, y, x + w, y, x + w, y + h, x, y + h]],
      });
    }
    const name = `img_${String(i).padStart(3, "0")}.png`;
    await write(
      disk(dataDir, `${root}/val/${name}`),
      encodePng({ width: W, height: H, channels: 3, data: px }),
    );
    images.push({ id: i, file_name: name, width: W, height: H });
  }
  const gt = {
    images,
    annotations,
    categories: CATS.map((c) => ({ id: c.id, name: c.name })),
  };
  await write(disk(dataDir, `${root}/instances_val.json`), JSON.stringify(gt));
  return { root, gtPath: `${root}/instances_val.json`, imageDir: `${root}/val`, gt };
}

/** Predictions from the ground truth: `quality` 0..1 (higher = fewer misses and mistakes). */
export function makePredictions(
  gt: { annotations: Ann[]; images: { id: number }[] },
  quality: number,
  seed: number,
) {
  const r = rng(seed);
  const out: { image_id: number; category_id: number; bbox: number[]; score: number }[] = [];
  const round = (v: number) => Math.round(v * 100) / 100;
  for (const a of gt.annotations) {
    const u = r();
    if (u > 0.55 + 0.4 * quality) continue; // missed
    const [x, y, w, h] = a.bbox;
    const j = (1 - quality) * 0.5;
    const loc = r() < 0.15 ? 0.45 : 0; // a sloppy box now and then
    const bbox = [
      round(x + (r() - 0.5) * w * (j * 0.4 + loc)),
      round(y + (r() - 0.5) * h * (j * 0.4 + loc)),
      round(w * (1 + (r() - 0.5) * j * 0.3)),
      round(h * (1 + (r() - 0.5) * j * 0.3)),
    ];
    const swap = r() < 0.25 * (1 - quality) + 0.05;
    const cat = swap
      ? CATS[(CATS.findIndex((c) => c.id === a.category_id) + 1) % 3].id
      : a.category_id;
    out.push({
      image_id: a.image_id,
      category_id: cat,
      bbox,
      score: round(0.5 + 0.45 * r() * quality + 0.05),
    });
    if (r() < 0.12) {
      out.push({
        image_id: a.image_id,
        category_id: cat,
        bbox: bbox.map((v) => round(v + 1)),
        score: round(0.3 + 0.2 * r()),
      });
    }
  }
  for (const im of gt.images) {
    if (r() < 0.5 - 0.3 * quality) {
      out.push({
        image_id: im.id,
        category_id: CATS[Math.floor(r() * 3)].id,
        bbox: [round(r() * 60), round(r() * 50), 20, 18],
        score: round(0.2 + 0.5 * r()),
      });
    }
  }
  return out;
}

/** A finished run folder as jobs/train.py leaves it, plus the app's record of it. */
export async function writeFinishedRun(
  dataDir: string,
  ds: Awaited<ReturnType<typeof writeDetectionDataset>>,
  opts: {
    id: string;
    name: string;
    quality: number;
    seed: number;
    createdAt?: number;
    record?: boolean;
  },
): Promise<{ runDir: string; record?: RunRecord }> {
  const runDir = `${EVAL_VOLUME}/runs/${opts.id}`;
  const d = (p: string) => disk(dataDir, `${runDir}/${p}`);
  const preds = makePredictions(ds.gt, opts.quality, opts.seed);
  await write(d("predictions/val.json"), JSON.stringify(preds));
  const t0 = (opts.createdAt ?? Date.now()) - 60_000;
  const lines: string[] = [];
  // the job logs its own COCO evaluation of these predictions at the last step
  const coco = evaluateCoco(
    parseCocoGt(structuredClone(ds.gt), "gt"),
    parseCocoResults(preds, parseCocoGt(structuredClone(ds.gt), "gt"), "dt"),
    "bbox",
  ).stats;
  const final = coco[0];
  for (let step = 1; step <= 10; step++) {
    const ts = t0 + step * 1000;
    const ep = step / 5;
    lines.push(
      JSON.stringify({ step, epoch: ep, name: "loss", value: 2.2 / (1 + step * opts.quality), ts }),
    );
    lines.push(
      JSON.stringify({
        step,
        epoch: ep,
        name: "learning_rate",
        value: 0.001 * (1 - step / 11),
        ts,
      }),
    );
    if (step % 5 === 0) {
      for (
        const [name, v] of [["eval_loss", 1.9 / (1 + step * opts.quality)], [
          "eval_map",
          final * step / 10,
        ], ["eval_map_50", coco[1] * step / 10]] as const
      ) {
        lines.push(JSON.stringify({ step, epoch: ep, name, value: v, ts }));
      }
    }
  }
  await write(d("metrics.jsonl"), lines.join("\n") + "\n");
  const metrics = { eval_map: final, eval_map_50: coco[1] };
  await write(
    d("status.json"),
    JSON.stringify({
      job: "train",
      phase: "succeeded",
      epoch: 2,
      step: 10,
      total_steps: 10,
      eta_seconds: 0,
      error: null,
      message: null,
      mlflow_run_id: null,
      pid: 1,
      host: "test",
      started_at: t0,
      updated_at: t0 + 11_000,
      ended_at: t0 + 11_000,
      task: "detection",
      model_name: "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn",
      best_metric: final,
      monitor: "eval_map",
      last_eval: metrics,
      final_metrics: metrics,
    }),
  );
  await write(
    d("eval_metrics.json"),
    JSON.stringify({ split: "val", checkpoint: `${d("checkpoints/best.pt")}`, metrics }),
  );
  await write(
    d("model.json"),
    JSON.stringify({
      format: "lakevision.onnx/1",
      task: "detection",
      model_name: "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn",
      backend: "torchvision",
      labels: CATS.map((c) => c.name),
      category_ids: CATS.map((c) => c.id),
      defaults: { confidence_threshold: 0.5, max_detections: 100, top_k: 3 },
    }),
  );
  await write(
    d("config.resolved.json"),
    JSON.stringify({
      args: { config: d(".config.local.yaml"), run_dir: d(""), max_steps: 10, device: "cpu" },
      config: {
        task: "detection",
        model: { model_name: "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn", num_classes: 3 },
        data: {
          train_data_path: disk(dataDir, ds.imageDir),
          val_data_path: disk(dataDir, ds.imageDir),
          train_annotation_file: disk(dataDir, ds.gtPath),
          val_annotation_file: disk(dataDir, ds.gtPath),
          batch_size: 4,
          num_workers: 0,
        },
      },
    }),
  );
  await write(d("output.log"), "[succeeded] 10 steps\n");
  if (opts.record === false) return { runDir };
  const configPath = `${EVAL_VOLUME}/configs/boxes/v1.yaml`;
  await write(
    disk(dataDir, configPath),
    [
      "model:",
      "  model_name: torchvision/fasterrcnn_mobilenet_v3_large_320_fpn",
      "  task_type: detection",
      "  num_classes: 3",
      "data:",
      `  train_data_path: ${ds.imageDir}`,
      `  val_data_path: ${ds.imageDir}`,
      `  train_annotation_file: ${ds.gtPath}`,
      `  val_annotation_file: ${ds.gtPath}`,
      "",
    ].join("\n"),
  );
  const now = opts.createdAt ?? Date.now();
  const record: RunRecord = {
    id: opts.id,
    name: opts.name,
    createdAt: now,
    createdBy: "tester",
    config: {
      name: "boxes",
      version: 1,
      task: "detection",
      model: "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn",
    },
    compute: { kind: "local", device: "cpu" },
    distribution: "local",
    status: "succeeded",
    phase: "succeeded",
    runDir,
    configPath,
    command: ["python", "jobs/train.py"],
    idempotencyToken: `tok-${opts.id}`,
    maxSteps: 10,
    startedAt: t0,
    endedAt: t0 + 11_000,
    updatedAt: now,
    progress: { step: 10, totalSteps: 10, epoch: 2, etaSeconds: 0 },
    lastMetrics: { ...metrics, loss: 0.5 },
  };
  await createRun(record);
  return { runDir, record };
}

/** Writes a file, creating its folder. */
export async function put(path: string, data: string | Uint8Array) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
}

/** A finished run record of any task, with its launch config naming `data`. */
export async function taskRunRecord(
  id: string,
  task: string,
  data: Record<string, string>,
  dataDir: string,
) {
  const configPath = `${EVAL_VOLUME}/configs/${id}/v1.yaml`;
  await put(
    disk(dataDir, configPath),
    `model:\n  task_type: ${task}\ndata:\n${
      Object.entries(data).map(([k, v]) => `  ${k}: ${v}`).join("\n")
    }\n`,
  );
  const now = Date.now();
  const rec: RunRecord = {
    id,
    name: `${task} run`,
    createdAt: now,
    createdBy: "tester",
    config: { name: id, version: 1, task, model: "torchvision/resnet18" },
    compute: { kind: "local", device: "cpu" },
    distribution: "local",
    status: "succeeded",
    phase: "succeeded",
    runDir: `${EVAL_VOLUME}/runs/${id}`,
    configPath,
    command: ["python", "jobs/train.py"],
    idempotencyToken: `tok-${id}`,
    updatedAt: now,
    progress: null,
    lastMetrics: {},
  };
  await createRun(rec);
  return rec;
}
