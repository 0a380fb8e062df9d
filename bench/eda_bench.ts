/**
 * EDA scan speed on a COCO-train-sized instances file (118,287 images, 860,001 annotations,
 * polygons and crowd RLEs), synthesised in memory. Ours = the full scan job (read with progress,
 * content hash for the cache key, byte-level parse, index, every validation rule, statistics).
 * Baseline = JSON.parse of the same bytes plus a plain array scan doing the core checks.
 * Peak memory is the process high-water mark (VmHWM), reset between the two runs.
 */
import { synthCoco } from "@/lib/data/testing.ts";
import { MemoryFiles } from "@/lib/data/testing.ts";
import { startScan } from "@/lib/data/scan.ts";
import process from "node:process";

const IMAGES = 118_287;
const ANNOTATIONS = 860_001;

/** user + system CPU seconds (includes GC threads): steadier than wall time on a busy machine. */
function cpuSeconds(u: { user: number; system: number }): number {
  return (u.user + u.system) / 1e6;
}

function resetPeak(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

function peakBytes(): number {
  try {
    const m = Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/);
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss;
}

function naive(buf: Uint8Array): { problems: number } {
  const doc = JSON.parse(new TextDecoder().decode(buf));
  const images = new Map<number, { width: number; height: number }>();
  let problems = 0;
  for (const im of doc.images) {
    if (images.has(im.id)) problems++;
    images.set(im.id, im);
  }
  const cats = new Set<number>(doc.categories.map((c: { id: number }) => c.id));
  const annIds = new Set<number>();
  const perCat = new Map<number, number>();
  for (const a of doc.annotations) {
    if (annIds.has(a.id)) problems++;
    annIds.add(a.id);
    const im = images.get(a.image_id);
    if (!im) problems++;
    if (!cats.has(a.category_id)) problems++;
    perCat.set(a.category_id, (perCat.get(a.category_id) ?? 0) + 1);
    const [x, y, w, h] = a.bbox;
    if (!(w > 0 && h > 0)) problems++;
    if (im && (x < -1 || y < -1 || x + w > im.width + 1 || y + h > im.height + 1)) problems++;
    if (Array.isArray(a.segmentation)) {
      for (const p of a.segmentation) if (p.length < 6) problems++;
    }
  }
  return { problems };
}

/** Prints scan time, peak memory and the ratio against the naive baseline. */
export async function run(): Promise<void> {
  const g0 = performance.now();
  const buf = synthCoco({ images: IMAGES, annotations: ANNOTATIONS, crowdEvery: 100 });
  const mb = buf.length / 1e6;
  console.log(
    `eda.synth  ${mb.toFixed(0)} MB instances JSON generated in ${
      ((performance.now() - g0) / 1000).toFixed(1)
    } s`,
  );
  const files = new MemoryFiles();
  files.put("/Volumes/bench/cv/data/annotations/instances_train2017.json", buf);

  const canReset = resetPeak();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let ticks = 0;
  const result = await startScan(
    { path: "/Volumes/bench/cv/data/annotations/instances_train2017.json" },
    files,
    {
      onProgress: () => ticks++,
    },
  ).done;
  const ours = (performance.now() - t0) / 1000;
  const oursCpu = cpuSeconds(process.cpuUsage(c0));
  const oursPeak = peakBytes();
  const problems = Object.values(result.problemCounts).reduce((a, b) => a + b, 0);
  const st = result.splits[0].stats;
  if (st.images !== IMAGES || st.annotations !== ANNOTATIONS || problems !== 0) {
    throw new Error(
      `scan result wrong: ${st.images} images, ${st.annotations} annotations, ${problems} problems`,
    );
  }

  resetPeak();
  const bc0 = process.cpuUsage();
  const b0 = performance.now();
  const base = naive(buf);
  const baseline = (performance.now() - b0) / 1000;
  const baseCpu = cpuSeconds(process.cpuUsage(bc0));
  const basePeak = peakBytes();
  if (base.problems !== 0) {
    throw new Error(`baseline found ${base.problems} problems in a clean file`);
  }

  const gb = (b: number) => `${(b / 2 ** 30).toFixed(2)} GB`;
  console.log(
    `eda.parse  118k images 860k annotations (${mb.toFixed(0)} MB)  ${ours.toFixed(1)} s  peak ${
      gb(oursPeak)
    }  ` +
      `${(baseline / ours).toFixed(1)}x vs naive baseline (same run)  [cpu ${
        oursCpu.toFixed(1)
      } s, ` +
      `${(baseCpu / oursCpu).toFixed(1)}x by cpu; ${ticks} progress events]`,
  );
  console.log(
    `eda.naive  JSON.parse + array scan (fewer checks, no stats)  ${baseline.toFixed(1)} s  ` +
      `cpu ${baseCpu.toFixed(1)} s  peak ${gb(basePeak)}` +
      (canReset ? "" : "  (peak not resettable here: both figures are process-wide)"),
  );
  const pass = ours < 15 && oursPeak < 3 * 2 ** 30;
  console.log(`eda.target  < 15 s and < 3 GB peak: ${pass ? "met" : "NOT met"}`);
}

if (import.meta.main) await run();
