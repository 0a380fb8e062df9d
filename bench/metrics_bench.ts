/**
 * COCO bbox evaluation speed on a generated COCO-val-sized set (5,000 images, 80 classes,
 * ~35k ground-truth boxes, ~80k detections), against the published pycocotools time for COCO
 * val2017 (22.7 s, docs/anchors.md §c) and against a line-by-line port of pycocotools' Python
 * structure (dicts of lists, per-image dicts) measured in the same run. Peak memory is the
 * process RSS sampled from the main thread while a worker evaluates.
 */
import { evaluateCoco } from "@/lib/metrics/coco_eval.ts";
import { parseCocoGt, parseCocoResults } from "@/lib/metrics/coco_types.ts";
import type { CocoDetection, CocoGt } from "@/lib/metrics/coco_types.ts";
import { defaultCocoParams } from "@/lib/metrics/coco_eval.ts";
import process from "node:process";
import { mulberry32 } from "./random.ts";

const PYCOCOTOOLS_VAL2017_S = 22.7;
const FASTER_COCO_EVAL_VAL2017_S = 5.81;
const PYCOCOTOOLS_SEGM_VAL2017_S = 24.43;

/** Generates a COCO-like set: ~7 GT boxes and ~16 detections per image, 1% crowds. */
export function syntheticCoco(nImages: number, seed = 7): { gt: object; dt: object[] } {
  const rnd = mulberry32(seed);
  const W = 640, H = 480;
  const images = [], annotations = [], dt = [];
  const categories = Array.from({ length: 80 }, (_, i) => ({ id: i + 1, name: `class_${i + 1}` }));
  let annId = 1;
  const catOf = () => 1 + Math.floor(80 * rnd() ** 2); // skewed like COCO (person-heavy)
  for (let i = 0; i < nImages; i++) {
    const id = 100000 + i * 3;
    images.push({ id, width: W, height: H, file_name: `${id}.jpg` });
    const nGt = 1 + Math.floor(rnd() * 13);
    for (let g = 0; g < nGt; g++) {
      const s = rnd();
      const w = s < 0.4 ? 4 + rnd() * 28 : s < 0.75 ? 32 + rnd() * 64 : 96 + rnd() * 300;
      const h = w * (0.5 + rnd());
      const x = rnd() * (W - w), y = rnd() * Math.max(1, H - h);
      const bbox = [round2(x), round2(y), round2(w), round2(Math.min(h, H))];
      const cat = catOf();
      const crowd = rnd() < 0.01 ? 1 : 0;
      annotations.push({
        id: annId++,
        image_id: id,
        category_id: cat,
        bbox,
        area: round2(bbox[2] * bbox[3] * (0.6 + 0.3 * rnd())),
        iscrowd: crowd,
      });
      // detections: a jittered hit (sometimes the wrong class), sometimes a duplicate
      if (rnd() < 0.85) {
        const j = 0.25 * rnd();
        dt.push({
          image_id: id,
          category_id: rnd() < 0.1 ? catOf() : cat,
          bbox: jitter(bbox, j, rnd),
          score: round3(0.3 + 0.7 * rnd() * (1 - j)),
        });
        if (rnd() < 0.2) {
          dt.push({
            image_id: id,
            category_id: cat,
            bbox: jitter(bbox, 0.3, rnd),
            score: round3(rnd() * 0.5),
          });
        }
      }
    }
    const nFp = Math.floor(rnd() * 19);
    for (let f = 0; f < nFp; f++) {
      const w = 8 + rnd() * 200, h = 8 + rnd() * 200;
      dt.push({
        image_id: id,
        category_id: catOf(),
        bbox: [round2(rnd() * (W - w)), round2(rnd() * (H - h)), round2(w), round2(h)],
        score: round3(rnd() * 0.6),
      });
    }
  }
  return { gt: { images, annotations, categories }, dt };
}

function round2(v: number) {
  return Math.round(v * 100) / 100;
}
function round3(v: number) {
  return Math.round(v * 1000) / 1000;
}
function jitter(b: number[], j: number, rnd: () => number) {
  const d = () => (rnd() * 2 - 1) * j;
  return [
    round2(b[0] + d() * b[2]),
    round2(b[1] + d() * b[3]),
    round2(b[2] * (1 + d())),
    round2(b[3] * (1 + d())),
  ];
}

/** Process CPU seconds (all threads); robust to other load on a shared machine. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Parses and evaluates from JSON text, as the CLI does; best of `reps` by CPU time. */
function timeFast(gtText: string, dtText: string, reps: number) {
  let best = { total: Infinity, cpu: Infinity, parse: 0, evalS: 0, stats: [] as number[] };
  for (let i = 0; i < reps; i++) {
    const c0 = cpuSeconds(), t0 = performance.now();
    const gt = parseCocoGt(JSON.parse(gtText), "gt.json");
    const dts = parseCocoResults(JSON.parse(dtText), gt, "dt.json");
    const t1 = performance.now();
    const r = evaluateCoco(gt, dts, "bbox");
    const t2 = performance.now(), c2 = cpuSeconds();
    if (c2 - c0 < best.cpu) {
      best = {
        total: (t2 - t0) / 1000,
        cpu: c2 - c0,
        parse: (t1 - t0) / 1000,
        evalS: (t2 - t1) / 1000,
        stats: r.stats,
      };
    }
  }
  return best;
}

// ---- a straight port of pycocotools' Python structure, for the same-run baseline ----------

interface NaiveEval {
  dtMatches: number[][];
  dtScores: number[];
  gtIgnore: number[];
  dtIgnore: boolean[][];
}

// deno-lint-ignore no-explicit-any
type PyDict = Record<string, any>;

/** pycocotools' COCOeval (bbox) with its dicts and per-image dicts; no typed arrays. */
export function naiveCocoEval(gt: CocoGt, dts: CocoDetection[]): number[] {
  const p = defaultCocoParams();
  const imgIds = [...new Set(gt.images.map((i) => i.id))].sort((a, b) => a - b);
  const catIds = [...new Set(gt.categories.map((c) => c.id))].sort((a, b) => a - b);
  const gts = new Map<string, PyDict[]>();
  const dtsM = new Map<string, PyDict[]>();
  const push = (m: typeof gts, k: string, v: PyDict) => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const a of gt.annotations) {
    push(gts, `${a.image_id},${a.category_id}`, { ...a, ignore: a.iscrowd } as never);
  }
  for (const d of dts) push(dtsM, `${d.image_id},${d.category_id}`, { ...d } as never);
  const ious = new Map<string, number[][]>();
  for (const i of imgIds) {
    for (const c of catIds) {
      const k = `${i},${c}`;
      const g = gts.get(k) ?? [], d = [...(dtsM.get(k) ?? [])];
      d.sort((a, b) => (b.score as number) - (a.score as number));
      const dd = d.slice(0, 100);
      ious.set(
        k,
        dd.map((x) =>
          g.map((y) => {
            const D = x.bbox as number[], G = y.bbox as number[];
            const w = Math.min(D[2] + D[0], G[2] + G[0]) - Math.max(D[0], G[0]);
            const h = Math.min(D[3] + D[1], G[3] + G[1]) - Math.max(D[1], G[1]);
            if (w <= 0 || h <= 0) return 0;
            const da = D[2] * D[3];
            return w * h / (y.iscrowd ? da : da + G[2] * G[3] - w * h);
          })
        ),
      );
    }
  }
  const evalImgs: (NaiveEval | null)[] = [];
  for (const c of catIds) {
    for (const aRng of p.areaRng) {
      for (const i of imgIds) {
        const k = `${i},${c}`;
        const g0 = gts.get(k) ?? [], d0 = dtsM.get(k) ?? [];
        if (g0.length === 0 && d0.length === 0) {
          evalImgs.push(null);
          continue;
        }
        const gtv: PyDict[] = g0.map((g) => ({
          ...g,
          _ignore: g.ignore || (g.area as number) < aRng[0] || (g.area as number) > aRng[1] ? 1 : 0,
        }));
        const gind = gtv.map((_, j) => j).sort((a, b) => gtv[a]._ignore - gtv[b]._ignore);
        const g = gind.map((j) => gtv[j]);
        const d = [...d0].sort((a, b) => (b.score as number) - (a.score as number)).slice(0, 100);
        const iou = (ious.get(k) ?? []).map((row) => gind.map((j) => row[j]));
        const T = p.iouThrs.length;
        const gtm = p.iouThrs.map(() => g.map(() => 0));
        const dtm = p.iouThrs.map(() => d.map(() => 0));
        const dtIg = p.iouThrs.map(() => d.map(() => false));
        const gtIg = g.map((x) => x._ignore);
        if (iou.length && g.length) {
          for (let t = 0; t < T; t++) {
            d.forEach((dd, di) => {
              let best = Math.min(p.iouThrs[t], 1 - 1e-10), m = -1;
              for (let gi = 0; gi < g.length; gi++) {
                if (gtm[t][gi] > 0 && !g[gi].iscrowd) continue;
                if (m > -1 && gtIg[m] === 0 && gtIg[gi] === 1) break;
                if (iou[di][gi] < best) continue;
                best = iou[di][gi];
                m = gi;
              }
              if (m === -1) return;
              dtIg[t][di] = gtIg[m] === 1;
              dtm[t][di] = g[m].id as number;
              gtm[t][m] = dd.id as number;
            });
          }
        }
        const outside = d.map((x) => (x.area as number) < aRng[0] || (x.area as number) > aRng[1]);
        for (let t = 0; t < T; t++) {
          d.forEach((_, di) => (dtIg[t][di] = dtIg[t][di] || (dtm[t][di] === 0 && outside[di])));
        }
        evalImgs.push({
          dtMatches: dtm,
          dtScores: d.map((x) => x.score as number),
          gtIgnore: gtIg,
          dtIgnore: dtIg,
        });
      }
    }
  }
  // accumulate + summarize (stats[0] and stats[8] are enough to cross-check)
  const I0 = imgIds.length, A0 = p.areaRng.length;
  const apVals: number[] = [], arVals: number[] = [];
  for (let k = 0; k < catIds.length; k++) {
    const E = evalImgs.slice(k * A0 * I0, k * A0 * I0 + I0).filter((e): e is NaiveEval => !!e);
    if (E.length === 0) continue;
    const sc = E.flatMap((e) => e.dtScores);
    const inds = sc.map((_, i) => i).sort((a, b) => sc[b] - sc[a] || a - b);
    const npig = E.flatMap((e) => e.gtIgnore).filter((v) => v === 0).length;
    if (npig === 0) continue;
    for (let t = 0; t < p.iouThrs.length; t++) {
      const dtm = E.flatMap((e) => e.dtMatches[t]), dtIg = E.flatMap((e) => e.dtIgnore[t]);
      let tp = 0, fp = 0;
      const rc: number[] = [], pr: number[] = [];
      for (const i of inds) {
        if (!dtIg[i]) dtm[i] ? tp++ : fp++;
        rc.push(tp / npig);
        pr.push(tp / (fp + tp + 2.220446049250313e-16));
      }
      arVals.push(rc.length ? rc[rc.length - 1] : 0);
      for (let i = pr.length - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
      for (const thr of p.recThrs) {
        const pi = rc.findIndex((r) => r >= thr);
        apVals.push(pi === -1 ? 0 : pr[pi]);
      }
    }
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return [mean(apVals), mean(arVals)];
}

// ---- worker side: evaluate and report; main side samples RSS meanwhile ---------------------

interface Job {
  nImages: number;
  naive: boolean;
  segm?: boolean;
}

/** The same set as octagon polygons (GT and detections), for the segm line. */
function octagons(gtText: string, dtText: string) {
  const oct = ([x, y, w, h]: number[]) => {
    const dx = w * 0.3, dy = h * 0.3;
    return [[
      x + dx,
      y,
      x + w - dx,
      y,
      x + w,
      y + dy,
      x + w,
      y + h - dy,
      x + w - dx,
      y + h,
      x + dx,
      y + h,
      x,
      y + h - dy,
      x,
      y + dy,
    ]];
  };
  const gt = JSON.parse(gtText);
  for (const a of gt.annotations) a.segmentation = oct(a.bbox);
  const dt = JSON.parse(dtText).map((d: { bbox: number[] }) => {
    const { bbox, ...rest } = d;
    return { ...rest, segmentation: oct(bbox) };
  });
  return { gtText: JSON.stringify(gt), dtText: JSON.stringify(dt) };
}

const IN_WORKER = (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== undefined;

if (IN_WORKER) {
  (globalThis as unknown as Worker).onmessage = (e: MessageEvent<Job>) => {
    const { gt, dt } = syntheticCoco(e.data.nImages);
    const gtText = JSON.stringify(gt), dtText = JSON.stringify(dt);
    const nGt = (gt as { annotations: unknown[] }).annotations.length;
    const rssBefore = Deno.memoryUsage().rss;
    (globalThis as unknown as Worker).postMessage({ phase: "start" });
    const fast = timeFast(gtText, dtText, 5);
    (globalThis as unknown as Worker).postMessage({ phase: "fast-done" });
    let naive: { s: number; cpu: number; ap: number; ar: number } | undefined;
    if (e.data.naive) {
      const c0 = cpuSeconds(), t0 = performance.now();
      const g = parseCocoGt(JSON.parse(gtText), "gt.json");
      const d = parseCocoResults(JSON.parse(dtText), g, "dt.json");
      const [ap, ar] = naiveCocoEval(g, d);
      naive = { s: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0, ap, ar };
    }
    let segm: { cpu: number; s: number; ap: number } | undefined;
    if (e.data.segm) {
      const o = octagons(gtText, dtText);
      const c0 = cpuSeconds(), t0 = performance.now();
      const g = parseCocoGt(JSON.parse(o.gtText), "gt.json");
      const r = evaluateCoco(g, parseCocoResults(JSON.parse(o.dtText), g, "dt.json"), "segm");
      segm = { cpu: cpuSeconds() - c0, s: (performance.now() - t0) / 1000, ap: r.stats[0] };
    }
    (globalThis as unknown as Worker).postMessage({
      phase: "done",
      segm,
      nGt,
      nDt: dt.length,
      rssBefore,
      fast,
      naive,
    });
  };
}

async function measure(job: Job) {
  const worker = new Worker(import.meta.url, { type: "module" });
  // RSS is process-wide: the main thread samples it while the worker evaluates
  let peak = 0, base = 0, sampling = false, fastPeak = 0;
  const timer = setInterval(() => {
    if (sampling) peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 5);
  // deno-lint-ignore no-explicit-any
  const result = await new Promise<any>((resolve, reject) => {
    worker.onmessage = (e) => {
      if (e.data.phase === "start") {
        base = peak = Deno.memoryUsage().rss;
        sampling = true;
      } else if (e.data.phase === "fast-done") {
        fastPeak = Math.max(peak, Deno.memoryUsage().rss);
        sampling = false;
      } else resolve(e.data);
    };
    worker.onerror = (e) => reject(e);
    worker.postMessage(job);
  });
  clearInterval(timer);
  worker.terminate();
  // let the finished worker's heap be torn down before the next timing (CPU time is process-wide)
  await new Promise((r) => setTimeout(r, 1000));
  return { ...result, peak: fastPeak, base };
}

/** Prints bench lines for COCO bbox evaluation; see the module comment. */
export async function run(): Promise<void> {
  const big = await measure({ nImages: 5000, naive: true, segm: true });
  const half = await measure({ nImages: 2500, naive: false });
  const f = big.fast;
  const gb = (b: number) => (b / 2 ** 30).toFixed(2);
  const load = Deno.loadavg()[0].toFixed(1);
  console.log(
    `metrics.coco_bbox  5000 images  ${big.nGt} gt  ${big.nDt} dets  ${f.cpu.toFixed(2)} s CPU ` +
      `(${f.total.toFixed(2)} s wall at load ${load}; parse ${f.parse.toFixed(2)} s + evaluate ` +
      `${f.evalS.toFixed(2)} s wall)  peak ${gb(big.peak)} GB RSS (+${
        gb(big.peak - big.base)
      } GB over the loaded JSON text)  ${Math.round(big.nDt / f.cpu)} dets/s`,
  );
  console.log(
    `metrics.coco_bbox  vs pycocotools val2017 ${PYCOCOTOOLS_VAL2017_S} s: ` +
      `${(f.cpu / PYCOCOTOOLS_VAL2017_S).toFixed(3)}x its time (CPU; wall ${
        (f.total / PYCOCOTOOLS_VAL2017_S).toFixed(3)
      }x; target <= 0.25x)  vs faster-coco-eval ${FASTER_COCO_EVAL_VAL2017_S} s: ${
        (FASTER_COCO_EVAL_VAL2017_S / f.cpu).toFixed(1)
      }x faster`,
  );
  if (big.naive) {
    const n = big.naive;
    const same = Math.abs(n.ap - f.stats[0]) < 1e-9 && Math.abs(n.ar - f.stats[8]) < 1e-9;
    console.log(
      `metrics.coco_bbox  naive port of pycocotools' structure (same run) ${
        n.cpu.toFixed(2)
      } s CPU ` +
        `vs ${f.cpu.toFixed(2)} s: ${(n.cpu / f.cpu).toFixed(1)}x faster; AP ${
          f.stats[0].toFixed(4)
        } ` +
        `AR@100 ${f.stats[8].toFixed(4)} ${same ? "equal" : `DIFFER (naive ${n.ap}, ${n.ar})`}`,
    );
  }
  if (big.segm) {
    const sg = big.segm;
    console.log(
      `metrics.coco_segm  5000 images, the same boxes as octagon polygons (rasterised like the ` +
        `COCO mask API)  ${sg.cpu.toFixed(2)} s CPU (${sg.s.toFixed(2)} s wall)  vs pycocotools ` +
        `segm val2017 ${PYCOCOTOOLS_SEGM_VAL2017_S} s: ${
          (sg.cpu / PYCOCOTOOLS_SEGM_VAL2017_S).toFixed(3)
        }x its time`,
    );
  }
  const ratio = f.cpu / half.fast.cpu;
  console.log(
    `metrics.coco_bbox  linearity: 2500 images ${half.fast.cpu.toFixed(2)} s CPU, 5000 images ` +
      `${f.cpu.toFixed(2)} s CPU, ratio ${ratio.toFixed(2)} (2.00 = linear)`,
  );
}

if (import.meta.main && !IN_WORKER) await run();
