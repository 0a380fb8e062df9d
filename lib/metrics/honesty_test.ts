/**
 * Inputs that would silently inflate a score are refused or counted honestly: images without a
 * prediction count as missed, an image predicted twice is an error, labels outside the classes
 * are named, and top-k lists are ranked by score with argmax's tie rule.
 */
import { assert, assertClose, assertEquals, assertRejects, assertThrows } from "@/tests/assert.ts";
import { encodePng } from "../image/png.ts";
import { classificationMetrics, rankTopK } from "./classification.ts";
import { evaluatePanopticFiles, evaluateSemsegFiles, loadClassification } from "./eval_files.ts";
import { MetricsInputError } from "./input_error.ts";

async function tmp(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "lv_honesty_" });
  for (const [name, body] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (typeof body === "string") await Deno.writeTextFile(path, body);
    else await Deno.writeFile(path, body);
  }
  return dir;
}

const gray = (data: number[]) => encodePng({ width: 2, height: 2, channels: 1, data });
const rgb = (ids: number[]) =>
  encodePng({
    width: 2,
    height: 2,
    channels: 3,
    data: ids.flatMap((id) => [id & 255, (id >> 8) & 255, id >> 16]),
  });

Deno.test("[semseg files] a labelled image without a prediction counts as all pixels missed", async () => {
  const dir = await tmp({
    "gt/a.png": gray([0, 0, 1, 1]),
    "gt/b.png": gray([1, 1, 1, 1]),
    "pred/val/a.png": gray([0, 0, 1, 1]),
    "pred/val.json": JSON.stringify([{ file_name: "a.jpg", mask_png: "val/a.png" }]),
  });
  const r = await evaluateSemsegFiles(`${dir}/pred/val.json`, `${dir}/gt`, { numClasses: 2 });
  assertEquals([r.images, r.missing], [2, 1]);
  // class 1: 2 of 6 labelled pixels found; skipping b would have said IoU 1
  assertClose(r.perClassIou[1], 2 / 6, 1e-12, "class 1 IoU");
  assertClose(r.pixelAccuracy, 4 / 8, 1e-12, "pixel accuracy");
});

Deno.test("[semseg files] two predictions for one image are an error", async () => {
  const dir = await tmp({
    "gt/a.png": gray([0, 0, 1, 1]),
    "pred/val/a.png": gray([0, 0, 1, 1]),
    "pred/val.json": JSON.stringify([
      { file_name: "a.jpg", mask_png: "val/a.png" },
      { file_name: "a.jpg", mask_png: "val/a.png" },
    ]),
  });
  await assertRejects(
    () => evaluateSemsegFiles(`${dir}/pred/val.json`, `${dir}/gt`, { numClasses: 2 }),
    MetricsInputError,
    "two predictions for the image of a.png",
  );
});

function panopticFixture(preds: unknown[]) {
  const segs = [{ id: 1, category_id: 1, iscrowd: 0 }, { id: 2, category_id: 2, iscrowd: 0 }];
  return tmp({
    "gt/p.png": rgb([1, 2, 1, 2]),
    "gt/q.png": rgb([1, 2, 1, 2]),
    "gt.json": JSON.stringify({
      categories: [{ id: 1, name: "person", isthing: 1 }, { id: 2, name: "sky", isthing: 0 }],
      annotations: [
        { image_id: 7, file_name: "p.png", segments_info: segs },
        { image_id: 8, file_name: "q.png", segments_info: segs },
      ],
    }),
    "pred/val/p.png": rgb([5, 9, 5, 9]),
    "pred/val.json": JSON.stringify(preds),
  });
}
const PERFECT = {
  image_id: 7,
  png: "val/p.png",
  segments_info: [{ id: 5, category_id: 1 }, { id: 9, category_id: 2 }],
};

Deno.test("[panoptic files] a ground-truth image without a prediction counts as all missed", async () => {
  const dir = await panopticFixture([PERFECT]);
  const r = await evaluatePanopticFiles(`${dir}/gt.json`, `${dir}/gt`, `${dir}/pred/val.json`);
  assertEquals([r.images, r.missing], [2, 1]);
  // image 7 perfect, image 8 missed: per class TP 1, FN 1 -> PQ = 1 / 1.5, not 1
  assertEquals([r.perClass["1"].tp, r.perClass["1"].fn], [1, 1]);
  assertClose(r.all.pq, 2 / 3, 1e-12, "PQ");
});

Deno.test("[panoptic files] an image_id predicted twice is an error", async () => {
  const dir = await panopticFixture([PERFECT, PERFECT]);
  const err = await assertRejects(
    () => evaluatePanopticFiles(`${dir}/gt.json`, `${dir}/gt`, `${dir}/pred/val.json`),
    MetricsInputError,
  );
  assert(/\[1\]\.image_id: image 7 has two predictions/.test(err.message), err.message);
});

Deno.test("[classification] a label at or above the class count is a clear error", () => {
  const bad = [{ label: 3, topK: [{ label: 0, score: 0.9 }], key: "cat.jpg" }];
  assertThrows(
    () => classificationMetrics(bad, 3),
    MetricsInputError,
    "cat.jpg: label: true label 3 is not a class index below the 3 classes",
  );
  const badPred = [{ label: 0, topK: [{ label: 7, score: 0.9 }], key: "dog.jpg" }];
  assertThrows(() => classificationMetrics(badPred, 3), MetricsInputError, "predicted label 7");
});

Deno.test("[classification] top_k is ranked by score and ties go to the lowest label (argmax)", () => {
  assertEquals(
    rankTopK([{ label: 2, score: 0.1 }, { label: 1, score: 0.5 }, { label: 0, score: 0.5 }])
      .map((p) => p.label),
    [0, 1, 2],
  );
  // unsorted file: the best score is last; np.argmax([0.2, 0.7, 0.1]) = 1
  const r = classificationMetrics(
    [{
      label: 1,
      topK: [{ label: 0, score: 0.2 }, { label: 2, score: 0.1 }, { label: 1, score: 0.7 }],
    }],
    3,
    [1],
  );
  assertEquals(r.accuracy, 1);
  // a tie between labels 2 and 0: argmax picks 0
  const tie = classificationMetrics(
    [{ label: 0, topK: [{ label: 2, score: 0.5 }, { label: 0, score: 0.5 }] }],
    3,
    [1],
  );
  assertEquals(tie.confusion[0][0], 1);
});

Deno.test("[classification] top-k is reported only for k below the class count", () => {
  const s = [{ label: 0, topK: [{ label: 1, score: 0.6 }, { label: 0, score: 0.4 }] }];
  assertEquals(Object.keys(classificationMetrics(s, 3, [1, 2, 5]).topK), ["1", "2"]);
});

Deno.test("[classification files] a duplicated image is an error", async () => {
  const dir = await tmp({
    "val.json": JSON.stringify([
      { image_id: 4, label: 0, top_k: [{ label: 0, score: 1 }] },
      { image_id: 4, label: 0, top_k: [{ label: 0, score: 1 }] },
    ]),
  });
  await assertRejects(
    () => loadClassification(`${dir}/val.json`),
    MetricsInputError,
    "[1]: image 4 has two predictions",
  );
});
