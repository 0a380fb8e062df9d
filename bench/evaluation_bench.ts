/**
 * The evaluation page's server work on a 2,000-image, 20-class detection run (~7k ground truths,
 * ~10k detections): the first open (read, hash, COCO + confusion + TIDE + sweep, cache write)
 * against a reopen answered from the KV cache (read, hash, cache read), a confusion cell's
 * images, and the HTML report.
 */
import { setKv } from "@/lib/store/kv.ts";
import { createRun } from "@/lib/training/records.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { cellImageIds, imageDetails } from "@/lib/evaluation/images.ts";
import { reportHtml } from "@/lib/evaluation/report_html.ts";

const VOLUME = "/Volumes/main/lakevision/data";

function rng(seed: number) {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) % 1_000_000) / 1_000_000;
  };
}

function dataset(nImg: number, nCat: number) {
  const r = rng(11);
  const images = [], annotations = [], dets = [];
  for (let i = 1; i <= nImg; i++) {
    images.push({ id: i, file_name: `im${i}.jpg`, width: 640, height: 480 });
    const k = 1 + Math.floor(r() * 6);
    for (let j = 0; j < k; j++) {
      const w = 20 + r() * 200, h = 20 + r() * 200, x = r() * (640 - w), y = r() * (480 - h);
      const cat = 1 + Math.floor(r() * nCat);
      annotations.push({
        id: annotations.length + 1,
        image_id: i,
        category_id: cat,
        bbox: [x, y, w, h],
        area: w * h,
        iscrowd: 0,
      });
      if (r() < 0.8) {
        const c = r() < 0.1 ? 1 + Math.floor(r() * nCat) : cat;
        dets.push({
          image_id: i,
          category_id: c,
          bbox: [x + (r() - 0.5) * 10, y + (r() - 0.5) * 10, w * (0.9 + r() * 0.2), h],
          score: 0.3 + r() * 0.7,
        });
      }
    }
    for (let j = 0; j < 2; j++) {
      dets.push({
        image_id: i,
        category_id: 1 + Math.floor(r() * nCat),
        bbox: [r() * 500, r() * 380, 60, 50],
        score: r() * 0.6,
      });
    }
  }
  const categories = Array.from({ length: nCat }, (_, c) => ({ id: c + 1, name: `class${c + 1}` }));
  return { gt: { images, annotations, categories }, dets };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, (performance.now() - t0) / 1000];
}

/** Prints cold vs cached evaluation times and the drill-down/report times. */
export async function run(): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-eval-bench-" });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  try {
    const ws = createLocalWorkspace({ dataDir, volume: VOLUME });
    const { gt, dets } = dataset(2000, 20);
    const gtPath = `${VOLUME}/datasets/bench/instances_val.json`;
    const runDir = `${VOLUME}/runs/bench-run`;
    await ws.files.write(gtPath, JSON.stringify(gt));
    await ws.files.write(`${runDir}/predictions/val.json`, JSON.stringify(dets));
    await ws.files.write(
      `${VOLUME}/configs/bench/v1.yaml`,
      `data:\n  val_annotation_file: ${gtPath}\n  val_data_path: ${VOLUME}/datasets/bench/val\n`,
    );
    const now = Date.now();
    await createRun({
      id: "bench-run",
      name: "bench",
      createdAt: now,
      createdBy: "bench",
      config: { name: "bench", version: 1, task: "detection", model: "m" },
      compute: { kind: "local", device: "cpu" },
      distribution: "local",
      status: "succeeded",
      phase: "succeeded",
      runDir,
      configPath: `${VOLUME}/configs/bench/v1.yaml`,
      command: [],
      idempotencyToken: "bench-token",
      updatedAt: now,
      progress: null,
      lastMetrics: {},
    });
    const [cold, tCold] = await timed(() => evaluateRun(ws, "bench-run"));
    let tWarm = Infinity;
    for (let i = 0; i < 3; i++) {
      const [, t] = await timed(() => evaluateRun(ws, "bench-run"));
      tWarm = Math.min(tWarm, t);
    }
    const ev = cold.evaluation;
    const gtN = gt.annotations.length, dN = dets.length;
    console.log(
      `evaluation.first-open  2000 images  ${gtN} gt  ${dN} dets  ${tCold.toFixed(2)} s ` +
        `(metrics ${ev.seconds.toFixed(2)} s)`,
    );
    console.log(
      `evaluation.reopen      from KV cache  ${(tWarm * 1000).toFixed(0)} ms  ` +
        `${(tCold / tWarm).toFixed(1)}x vs first open (same run)`,
    );
    const ids = cellImageIds(cold, 0, 1).slice(0, 24);
    const [, tCell] = await timed(() => imageDetails(ws, "bench-run", ids, { cached: cold }));
    console.log(`evaluation.cell-images ${ids.length} images  ${(tCell * 1000).toFixed(0)} ms`);
    const [html, tHtml] = await timed(() => Promise.resolve(reportHtml([ev])));
    console.log(
      `evaluation.report-html ${(html.length / 1024).toFixed(0)} KiB  ${
        (tHtml * 1000).toFixed(0)
      } ms`,
    );
  } finally {
    kv.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await run();
