import { assertClose, assertEquals } from "@/tests/assert.ts";
import { classificationMetrics, prCurve, rocCurve } from "./classification.ts";

Deno.test("[classification] ROC AUC and average precision match scikit-learn's doc examples", () => {
  // sklearn roc_auc_score / average_precision_score docstrings: 0.75 and 0.8333...
  const y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8];
  assertClose(rocCurve(s, y)!.area, 0.75, 1e-12, "auc");
  assertClose(prCurve(s, y)!.area, 0.8333333333333333, 1e-12, "ap");
  assertEquals(rocCurve(s, [0, 0, 0, 0]), null);
});

// sklearn precision_recall_fscore_support doc example:
// y_true = [0, 1, 2, 0, 1, 2], y_pred = [0, 2, 1, 0, 0, 1]
// macro (0.222, 0.333, 0.267), micro (0.333, 0.333, 0.333), weighted (0.222, 0.333, 0.267)
const TRUE = [0, 1, 2, 0, 1, 2], PRED = [0, 2, 1, 0, 0, 1];
const samples = TRUE.map((label, i) => ({
  label,
  topK: [{ label: PRED[i], score: 0.9 }, { label: (PRED[i] + 1) % 3, score: 0.05 }],
}));

Deno.test("[classification] P/R/F1 averages match scikit-learn's doc example", () => {
  const r = classificationMetrics(samples, 3, [1, 2]);
  assertClose(r.macro.precision, 0.2222222222222222, 1e-12, "macro p");
  assertClose(r.macro.recall, 0.3333333333333333, 1e-12, "macro r");
  assertClose(r.macro.f1, 0.26666666666666666, 1e-12, "macro f1");
  assertClose(r.micro.precision, 1 / 3, 1e-12, "micro p");
  assertClose(r.micro.f1, 1 / 3, 1e-12, "micro f1");
  assertClose(r.weighted.f1, 0.26666666666666666, 1e-12, "weighted f1");
  assertEquals(r.perClass.map((p) => p.support), [2, 2, 2]);
  assertClose(r.perClass[0].precision, 2 / 3, 1e-12, "class 0 precision");
  assertClose(r.accuracy, 1 / 3, 1e-12, "accuracy");
});

Deno.test("[classification] top-k accuracy counts the label anywhere in the first k", () => {
  const r = classificationMetrics(samples, 3, [1, 2]);
  // second guesses are (pred + 1) % 3 = [1, 0, 2, 1, 1, 2]: samples 0, 2, 3, 4, 5 hit by k = 2
  assertClose(r.topK["2"], 5 / 6, 1e-12, "top-2");
  assertClose(r.topK["1"], 2 / 6, 1e-12, "top-1");
});

Deno.test("[classification] confusion matrix rows are true classes", () => {
  const r = classificationMetrics(samples, 3);
  assertEquals(r.confusion, [[2, 0, 0], [1, 0, 1], [0, 2, 0]]);
});

Deno.test("[classification] per-class curves from top-k rows equal sklearn's on full scores", () => {
  const s1 = [0.1, 0.4, 0.35, 0.8], y = [0, 0, 1, 1];
  const rows = s1.map((s, i) => ({
    label: y[i],
    topK: [{ label: 1, score: s }, { label: 0, score: 1 - s }].sort((a, b) => b.score - a.score),
  }));
  const r = classificationMetrics(rows, 2, [1]);
  assertClose(r.roc[1]!.area, 0.75, 1e-12, "auc class 1");
  assertClose(r.pr[1]!.area, 0.8333333333333333, 1e-12, "ap class 1");
  // only the top-1 entry kept: samples that did not rank class 1 score 0 for it
  const top1 = rows.map((row) => ({ label: row.label, topK: row.topK.slice(0, 1) }));
  const full = rows.map((row) => row.topK.slice(0, 1).find((p) => p.label === 1)?.score ?? 0);
  const r1 = classificationMetrics(top1, 2, [1]);
  assertClose(r1.roc[1]!.area, rocCurve(full, y)!.area, 1e-12, "auc with a zero group");
  assertClose(r1.pr[1]!.area, prCurve(full, y)!.area, 1e-12, "ap with a zero group");
});

Deno.test("[classification] long curves are thinned for display but keep their area", () => {
  const n = 1000;
  const rows = Array.from({ length: n }, (_, i) => ({
    label: i % 2,
    topK: [{ label: 1, score: ((i * 7919) % n) / n + (i % 2) * 0.3 }],
  }));
  const r = classificationMetrics(rows, 2, [1], 50);
  assertEquals(r.roc[1]!.x.length, 50);
  const full = rows.map((row) => row.topK[0].score);
  assertClose(r.roc[1]!.area, rocCurve(full, rows.map((x) => x.label))!.area, 1e-12, "auc");
});

Deno.test("[classification] the confidence sweep keeps top-1 answers at or above each cut", async () => {
  const { classificationSweep } = await import("./classification.ts");
  const s = classificationSweep([
    { score: 0.9, correct: true },
    { score: 0.6, correct: false },
    { score: 0.3, correct: true },
    { score: 0.3, correct: false },
  ]);
  assertEquals(s.thresholds.length, 101);
  assertEquals([s.kept[0], s.accuracy[0], s.correct[0]], [1, 0.5, 0.5]);
  assertEquals([s.kept[30], s.accuracy[30]], [1, 0.5]); // a score equal to the cut is kept
  assertEquals([s.kept[31], s.accuracy[31]], [0.5, 0.5]);
  assertEquals([s.kept[61], s.accuracy[61], s.correct[61]], [0.25, 1, 0.25]);
  assertEquals([s.kept[100], s.accuracy[100]], [0, 1]);
});

Deno.test("[classification] confusion cells remember their images, most confident first", () => {
  const r = classificationMetrics(
    [
      { label: 0, topK: [{ label: 1, score: 0.4 }], key: "a.jpg" },
      { label: 0, topK: [{ label: 1, score: 0.8 }], key: "b.jpg" },
      { label: 1, topK: [{ label: 1, score: 0.9 }], key: "c.jpg" },
    ],
    2,
    [1],
  );
  assertEquals(r.cells["0,1"].map((c) => c.key), ["b.jpg", "a.jpg"]);
  assertEquals(r.cells["1,1"].map((c) => c.key), ["c.jpg"]);
  assertEquals(r.confusion[0][1], 2);
});
