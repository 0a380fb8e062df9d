import { renderToString } from "preact-render-to-string";
import { assert } from "@/tests/assert.ts";
import { computeStats } from "@/lib/data/stats.ts";
import type { SplitReport } from "@/lib/data/types.ts";
import { StatsView } from "./StatsView.tsx";

function report(format: SplitReport["format"]): SplitReport {
  const stats = computeStats({
    imgW: [32, 32, 32],
    imgH: [32, 32, 32],
    imgLabel: (i) => i,
    categories: [{ id: 0, name: "cat" }, { id: 1, name: "dog" }],
    classCounts: [2, 1],
    classImages: [2, 1],
    objectsPerImage: new Uint32Array([1, 1, 1]),
  });
  return { name: "train", format, sources: [], fileChecks: true, stats };
}

Deno.test("[data] a classification folder gets no objects-per-image chart (one label per image)", () => {
  assert(
    !renderToString(<StatsView split={report("imagefolder")} />).includes("Objects per image"),
  );
  assert(renderToString(<StatsView split={report("coco")} />).includes("Objects per image"));
});
