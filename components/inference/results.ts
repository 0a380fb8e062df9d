/**
 * What the Playground says about results: a one-line summary per prediction, where two models
 * disagree on the same image, and the downloads (annotated PNG, serving-contract JSON, CSV, and
 * a zip of the whole batch via fflate, imported only when asked for).
 */
import { toCsv } from "@/lib/csv.ts";
import { drawPrediction } from "@/lib/inference/draw.ts";
import type { DetectionPrediction, Prediction } from "@/lib/inference/postprocess.ts";
import { bitmapOf, contractJson } from "./runner.ts";
import { imagesSig, paramsSig, resultsSig, slotOf } from "./state.ts";

/** "dog 0.38" / "3 boxes: 2 cat, 1 dog" / "2 classes: text 12 %, background 88 %". */
export function summarize(p: Prediction | undefined, labels: readonly string[] = []): string {
  if (!p) return "—";
  if ("top_k" in p) {
    const t = p.top_k[0];
    return t ? `${t.label_name} ${t.score.toFixed(3)}` : "no classes";
  }
  if ("boxes" in p) {
    if (!p.boxes.length) return "no detections above the threshold";
    const counts = new Map<string, number>();
    for (const n of p.label_names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${c} ${n}`);
    return `${p.boxes.length} ${p.boxes.length === 1 ? "box" : "boxes"}: ${parts.join(", ")}`;
  }
  const areas = new Map<number, number>();
  for (const c of p.mask) if (c !== 255) areas.set(c, (areas.get(c) ?? 0) + 1);
  const total = p.mask.length || 1;
  const parts = [...areas].sort((a, b) => b[1] - a[1]).map(([c, n]) =>
    `${labels[c] ?? `class ${c}`} ${(100 * n / total).toFixed(1)} %`
  );
  return `${areas.size} ${areas.size === 1 ? "class" : "classes"}: ${parts.join(", ")}`;
}

/** Where two predictions for one image disagree, in a sentence; null when they agree. */
export function disagreement(a?: Prediction, b?: Prediction): string | null {
  if (!a || !b) return null;
  if ("top_k" in a && "top_k" in b) {
    const x = a.top_k[0], y = b.top_k[0];
    return x?.label === y?.label ? null : `top-1 differs: ${x?.label_name} vs ${y?.label_name}`;
  }
  if ("boxes" in a && "boxes" in b) {
    const { onlyA, onlyB } = matchBoxes(a, b);
    if (!onlyA && !onlyB) return null;
    return `${onlyA} box${
      onlyA === 1 ? "" : "es"
    } only in the first, ${onlyB} only in the second (IoU < 0.5 or another label)`;
  }
  if ("mask" in a && "mask" in b) {
    if (a.mask.length !== b.mask.length) return "masks of different sizes";
    let diff = 0;
    for (let i = 0; i < a.mask.length; i++) if (a.mask[i] !== b.mask[i]) diff++;
    return diff ? `${(100 * diff / a.mask.length).toFixed(2)} % of pixels differ` : null;
  }
  return "the two models answer different tasks";
}

function iou(p: number[], q: number[]): number {
  const w = Math.max(0, Math.min(p[2], q[2]) - Math.max(p[0], q[0]));
  const h = Math.max(0, Math.min(p[3], q[3]) - Math.max(p[1], q[1]));
  const inter = w * h;
  const area = (r: number[]) => (r[2] - r[0]) * (r[3] - r[1]);
  return inter > 0 ? inter / (area(p) + area(q) - inter) : 0;
}

/** Greedy same-label matching at IoU ≥ 0.5, best scores first. */
function matchBoxes(a: DetectionPrediction, b: DetectionPrediction) {
  const used = new Set<number>();
  let matched = 0;
  a.boxes.forEach((box, i) => {
    let best = -1, bestIou = 0.5;
    b.boxes.forEach((other, j) => {
      if (used.has(j) || b.labels[j] !== a.labels[i]) return;
      const v = iou(box, other);
      if (v >= bestIou) (best = j, bestIou = v);
    });
    if (best >= 0) (used.add(best), matched++);
  });
  return { onlyA: a.boxes.length - matched, onlyB: b.boxes.length - matched };
}

/** Saves a Blob under a file name (an object URL and a download link). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The annotated image as PNG bytes, drawn as on the page (class filter and opacity applied; a
 * small image enlarged by `drawScale`, so its labels stay legible).
 */
export async function annotatedPng(slot: "a" | "b", imageId: string): Promise<Blob> {
  const bmp = await bitmapOf(imageId)!;
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const p = paramsSig.value;
  drawPrediction(c, bmp, resultsSig.value[`${slot}:${imageId}`]?.prediction, {
    hidden: new Set(p.hidden),
    opacity: p.opacity,
  });
  return await c.convertToBlob({ type: "image/png" });
}

/** Every result as CSV rows: one per class (top-k), box, or mask class. */
export function resultsCsv(slots: ("a" | "b")[]): string {
  const rows: unknown[][] = [[
    "image",
    "model",
    "backend",
    "label",
    "label_name",
    "score",
    "x1",
    "y1",
    "x2",
    "y2",
    "pixels",
    "latency_ms",
    "error",
  ]];
  for (const img of imagesSig.value) {
    for (const s of slots) {
      const r = resultsSig.value[`${s}:${img.id}`];
      if (!r) continue;
      const info = slotOf(s).info;
      const base = [img.name, info?.choice.label ?? s, r.ran ?? ""];
      const ms = r.totalMs?.toFixed(1);
      const p = r.prediction;
      if (r.error || !p) rows.push([...base, "", "", "", "", "", "", "", "", ms, r.error ?? ""]);
      else if ("top_k" in p) {
        for (const t of p.top_k) {
          rows.push([...base, t.label, t.label_name, t.score, "", "", "", "", "", ms, ""]);
        }
      } else if ("boxes" in p) {
        p.boxes.forEach((b, i) =>
          rows.push([...base, p.labels[i], p.label_names[i], p.scores[i], ...b, "", ms, ""])
        );
      } else {
        const areas = new Map<number, number>();
        for (const c of p.mask) if (c !== 255) areas.set(c, (areas.get(c) ?? 0) + 1);
        for (const [c, n] of areas) {
          rows.push([...base, c, info?.labels?.[c] ?? "", "", "", "", "", "", n, ms, ""]);
        }
      }
    }
  }
  return toCsv(rows);
}

/** The whole batch as a zip: results JSON per model, the CSV, and every annotated image. */
export async function batchZip(slots: ("a" | "b")[]): Promise<Blob> {
  const { zipSync, strToU8 } = await import("fflate");
  const files: Record<string, Uint8Array> = { "results.csv": strToU8(resultsCsv(slots)) };
  for (const s of slots) {
    const json = await contractJson(s);
    if (json) files[`results-${s}.json`] = strToU8(JSON.stringify(json, null, 2));
    for (const [i, img] of imagesSig.value.entries()) {
      if (!resultsSig.value[`${s}:${img.id}`]?.prediction) continue;
      const png = new Uint8Array(await (await annotatedPng(s, img.id)).arrayBuffer());
      files[`annotated/${s}-${i + 1}-${img.name.replace(/[^\w.-]+/g, "_")}.png`] = png;
    }
  }
  return new Blob([zipSync(files, { level: 0 }) as Uint8Array<ArrayBuffer>], {
    type: "application/zip",
  });
}
