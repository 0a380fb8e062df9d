import { assertAllClose, assertClose, assertEquals, assertThrows } from "@/tests/assert.ts";
import { meanIou, SemsegAccumulator } from "./semseg.ts";

Deno.test("[semseg] reproduces the Hugging Face evaluate mean_iou doctest", () => {
  const preds = [
    [1, 2, 3, 4, 5, 255],
    [2, 7, 9, 2, 3, 6],
    [2, 2, 3, 8, 2, 4, 3, 255, 2],
  ];
  const labels = [
    [0, 3, 5, 4, 6, 255],
    [1, 7, 9, 2, 3, 6],
    [1, 2, 2, 8, 2, 1, 3, 255, 1],
  ];
  const r = meanIou(preds, labels, { numClasses: 10, ignoreIndex: 255 });
  assertEquals(r.meanIou, 0.47750000000000004);
  assertEquals(r.meanAccuracy, 0.5916666666666666);
  assertEquals(r.pixelAccuracy, 0.5263157894736842);
  assertAllClose(r.perClassIou, [0, 0, 0.375, 0.4, 0.5, 0, 0.5, 1, 1, 1], 1e-12, "iou");
  assertAllClose(
    r.perClassAccuracy,
    [0, 0, 0.75, 2 / 3, 1, 0, 0.5, 1, 1, 1],
    1e-12,
    "accuracy",
  );
});

Deno.test("[semseg] reproduces chainercv's confusion matrix case with ignore -1", () => {
  const pred = [1, 1, 0, 0, 0, 1];
  const gt = [1, 0, 0, 0, -1, 1];
  const r = meanIou([pred, pred], [gt, gt], { numClasses: 2, ignoreIndex: -1 });
  assertEquals(r.confusion, [[4, 2], [0, 4]]);
  assertAllClose(r.perClassIou, [2 / 3, 2 / 3], 1e-12, "iou");
  assertClose(r.pixelAccuracy, 0.8, 1e-12);
  assertAllClose(r.perClassAccuracy, [2 / 3, 1], 1e-12, "class accuracy");
});

Deno.test("[semseg] classes absent from prediction and label are NaN and skipped in the mean", () => {
  const r = meanIou([[0, 0, 1]], [[0, 0, 1]], { numClasses: 4 });
  assertEquals(r.perClassIou.slice(2).every(Number.isNaN), true);
  assertEquals(r.meanIou, 1);
});

Deno.test("[semseg] reduce_labels turns 0 into ignore and shifts the rest", () => {
  const acc = new SemsegAccumulator({ numClasses: 2, reduceLabels: true });
  acc.add([0, 1, 1], [0, 1, 2]); // first pixel ignored; labels become 0, 1
  const r = acc.result();
  assertEquals(r.pixels, 2);
  assertEquals(r.confusion, [[0, 1], [0, 1]]);
});

Deno.test("[semseg] mismatched sizes are rejected naming the image", () => {
  const acc = new SemsegAccumulator({ numClasses: 2 });
  assertThrows(() => acc.add([0, 1], [0], "val/0001.png"), Error, /val\/0001\.png.*2 pixels.*1/);
});
