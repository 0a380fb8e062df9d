/**
 * One class, one colour: the same class index is drawn in the same colour by Data EDA (a COCO
 * category through its rank among the ids, as training numbers it), the Inference Playground,
 * the evaluation charts and the batch overlays.
 */
import { renderToString } from "preact-render-to-string";
import { assertEquals } from "@/tests/assert.ts";
import { classColor, classIndexOf, datasetClassColor } from "./colors.ts";
import { SampleDrawing } from "@/components/data/SampleDrawing.tsx";
import { drawPrediction } from "@/lib/inference/draw.ts";
import { detectionCharts } from "@/lib/evaluation/charts.ts";
import type { RunEvaluation } from "@/lib/evaluation/types.ts";
import { detectionReport, parseCocoGt, parseCocoResults } from "@/lib/metrics/mod.ts";
import { overlaySvg } from "@/lib/serving/batch/results.ts";

// COCO category ids with a gap, as the shapes demo's and COCO's own have: 1, 2, 4 are the
// model's classes 0, 1, 2
const CATS = [{ id: 4, name: "star" }, { id: 1, name: "circle" }, { id: 2, name: "rectangle" }];
const IDS = CATS.map((c) => c.id);
const INDEX: Record<number, number> = { 1: 0, 2: 1, 4: 2 };
const box = (i: number) => [10 + 30 * i, 10, 20, 20];

Deno.test("[colors] a COCO category's colour is its class index's; mask and folder ids are indices", () => {
  const color = datasetClassColor("coco", IDS);
  for (const id of IDS) assertEquals(color(id), classColor(INDEX[id]));
  assertEquals(classIndexOf("coco-panoptic", IDS)(4), 2);
  assertEquals(classIndexOf("masks", [0, 3, 7])(7), 7);
  assertEquals(classIndexOf("imagefolder", [0, 1])(1), 1);
});

Deno.test("[colors] Data EDA, the Playground, evaluation charts and batch overlays agree per class", () => {
  // Data EDA: a sample drawn with the dataset's colours
  const eda = renderToString(
    <SampleDrawing
      sample={{
        split: "val",
        image: 1,
        file: null,
        width: 120,
        height: 40,
        annotations: IDS.map((id, i) => ({ id: i + 1, category_id: id, bbox: box(i) })),
      }}
      image={1}
      width={120}
      height={40}
      labels={false}
      opacity={0.5}
      flagged={new Set()}
      name={(id) => String(id)}
      color={datasetClassColor("coco", IDS)}
      onSize={() => {}}
    />,
  );
  const edaColour = (id: number) =>
    new RegExp(`data-category="${id}"[^]*?stroke="([^"]+)"`).exec(eda)?.[1];

  // the Playground: boxes the model predicted, by class index, on a recording canvas
  const strokes: string[] = [];
  const ctx = {
    drawImage() {},
    strokeRect() {
      strokes.push(ctx.strokeStyle);
    },
    fillRect() {},
    fillText() {},
    measureText: () => ({ width: 10 }),
    strokeStyle: "",
    fillStyle: "",
    lineWidth: 1,
    font: "",
    textBaseline: "",
  };
  const canvas = { width: 0, height: 0, getContext: () => ctx } as unknown as HTMLCanvasElement;
  const labels = [0, 1, 2];
  drawPrediction(canvas, { width: 120, height: 40 } as unknown as HTMLImageElement, {
    boxes: labels.map((i) => [10 + 30 * i, 10, 30 + 30 * i, 30]),
    scores: [0.9, 0.8, 0.7],
    labels,
    label_names: ["circle", "rectangle", "star"],
  });

  // evaluation: the per-class PR curves of a run on that dataset
  const gt = parseCocoGt({
    images: [{ id: 1, width: 120, height: 40 }],
    categories: CATS,
    annotations: IDS.map((id, i) => ({
      id: i + 1,
      image_id: 1,
      category_id: id,
      bbox: box(i),
      area: 400,
      iscrowd: 0,
    })),
  }, "gt");
  const dts = parseCocoResults(
    IDS.map((id, i) => ({ image_id: 1, category_id: id, bbox: box(i), score: 0.9 })),
    gt,
    "dt",
  );
  const ev = { detection: { report: detectionReport(gt, dts) } } as unknown as RunEvaluation;
  const pr = detectionCharts(ev).find((c) => c.id === "pr-curves-iou50")!;
  const evalColour = (name: string) => pr.series.find((s) => s.label === name)?.color;

  // batch overlays: a detection row as the batch job writes it
  const svg = overlaySvg({
    path: "/Volumes/x/a.jpg",
    error: null,
    prediction: {
      boxes: labels.map((i) => [10 + 30 * i, 10, 30 + 30 * i, 30]),
      scores: [0.9, 0.8, 0.7],
      labels,
      label_names: ["circle", "rectangle", "star"],
    },
  }, { width: 120, height: 40 });
  const batch = [...svg.matchAll(/fill="none" stroke="([^"]+)"/g)].map((m) => m[1]);

  const names = ["circle", "rectangle", "star"];
  for (const id of IDS) {
    const i = INDEX[id], want = classColor(i);
    assertEquals(edaColour(id), want, `Data EDA, category ${id}`);
    assertEquals(strokes[i], want, `Playground, class ${i}`);
    assertEquals(evalColour(names[i]), want, `evaluation PR curve, ${names[i]}`);
    assertEquals(batch[i], want, `batch overlay, class ${i}`);
  }
});
