import { assertEquals } from "@/tests/assert.ts";
import { rowMetric } from "./browse.ts";

Deno.test("[registry/browse] a version's row shows its task's main metric from its tags", () => {
  const m = (t: Record<string, string>) => rowMetric(t);
  assertEquals(m({ "lakevision.metric.map": "0.3480", "lakevision.metric.map_50": "0.4790" }), {
    label: "mAP",
    value: 0.348,
  });
  assertEquals(m({ "lakevision.metric.map": "0.41", "lakevision.metric.segm_map": "0.37" }), {
    label: "Mask mAP",
    value: 0.37,
  });
  assertEquals(m({ "lakevision.metric.accuracy": "0.5000", "lakevision.metric.macro_f1": "0.3" }), {
    label: "Accuracy",
    value: 0.5,
  });
  assertEquals(m({ "lakevision.metric.eval_miou": "0.8900" }), { label: "mIoU", value: 0.89 });
  assertEquals(m({ "lakevision.metric.pq": "x" }), null);
  assertEquals(m({ "lakevision.source": "import" }), null);
});
