import { assertEquals } from "@/tests/assert.ts";
import { markCoincident } from "./coincident.ts";

Deno.test("[charts/coincident] a line equal to an earlier one is dashed and named after it", () => {
  const pts = (...ys: number[]) => ys.map((y, i) => ({ x: i + 1, y }));
  const out = markCoincident([
    { label: "eval_accuracy", points: pts(0.5, 0.5) },
    { label: "eval_f1", points: pts(0.33, 0.33) },
    { label: "eval_recall", points: pts(0.5, 0.5) },
    { label: "eval_precision", points: pts(0.5, 0.25) },
    { label: "empty", points: [] },
    { label: "also empty", points: [] },
  ]);
  assertEquals(out.map((s) => [s.label, !!s.dashed]), [
    ["eval_accuracy", false],
    ["eval_f1", false],
    ["eval_recall (= eval_accuracy)", true],
    ["eval_precision", false],
    ["empty", false],
    ["also empty", false],
  ]);
});
