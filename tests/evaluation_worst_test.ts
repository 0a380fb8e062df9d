/**
 * A detection run's confusion close-ups and worst images against predictions made to show the
 * two ways they went wrong (tests/evaluation_dupes_testing.ts): a second, weaker box of the
 * right class on an object a wrong-class box already claimed (a duplicate, not "background"),
 * and weak boxes on every image, below the recommended threshold, that must not rank the gallery.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { setKv } from "@/lib/store/kv.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { cellImageIds, imageDetails } from "@/lib/evaluation/images.ts";
import { reportMarkdown } from "@/lib/evaluation/report.ts";
import { EVAL_VOLUME, writeDetectionDataset } from "./evaluation_testing.ts";
import { writeDuplicateRun } from "./evaluation_dupes_testing.ts";

const RUN = "20261126-090000-dupe";
const opts = { sanitizeOps: false, sanitizeResources: false };

async function setup() {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-eval-worst-" });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  const ws = createLocalWorkspace({ dataDir, volume: EVAL_VOLUME });
  const ds = await writeDetectionDataset(dataDir);
  const { first, other, cats } = await writeDuplicateRun(dataDir, ws, ds, RUN);
  return {
    ws,
    first,
    other,
    cats,
    async [Symbol.asyncDispose]() {
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test({
  name:
    "[evaluation] an extra box on an object already matched is a duplicate, and its cell's close-up carries it as one",
  ...opts,
  async fn() {
    await using s = await setup();
    const ev = await evaluateRun(s.ws, RUN);
    const c = ev.evaluation.detection!.report.confusion;
    assertEquals(c.confidence, 0.52);
    const n = c.catIds.length, col = c.catIds.indexOf(s.first.category_id);
    const dupRow = c.rowLabels.indexOf("duplicate");
    assertEquals(dupRow, n + 1);
    assertEquals(c.matrix[dupRow][col], 1);
    assertEquals(c.matrix[n].reduce((a, b) => a + b, 0), 0, "no box on nothing at 0.52");
    assertEquals(c.matrix[c.catIds.indexOf(s.first.category_id)][c.catIds.indexOf(s.other)], 1);
    const ids = cellImageIds(ev, dupRow, col);
    assertEquals(ids, [s.first.image_id]);
    const [im] = await imageDetails(s.ws, RUN, ids, { minScore: c.confidence, cached: ev });
    const inCell = im.dt.filter((d) => d.confusion?.cell === `${dupRow},${col}`);
    assertEquals(inCell.map((d) => [d.categoryId, d.score, d.confusion!.verdict]), [
      [s.first.category_id, 0.52058, "dupe"],
    ]);
    const claimed = im.dt.find((d) => d.score === 0.78)!;
    assertEquals(claimed.confusion?.verdict, "cls");
    const md = reportMarkdown([ev.evaluation]);
    assertStringIncludes(md, "| duplicate |");
  },
});

Deno.test({
  name:
    "[evaluation] worst images are counted at the recommended threshold, not over every weak box",
  ...opts,
  async fn() {
    await using s = await setup();
    const det = (await evaluateRun(s.ws, RUN)).evaluation.detection!;
    assertEquals(det.worstAt.confidence, det.report.recommendedThreshold);
    // the 0.1 boxes are below it: only the image with the wrong-class box has an error
    assertEquals(det.worst.map((w) => [w.id, w.fp, w.missed]), [[s.first.image_id, 1, 0]]);
    assert(det.worst[0].minIou !== null && det.worst[0].minIou > 0.99);
  },
});

Deno.test("[evaluation] worst images: ties go to more misses, then to the loosest match", async () => {
  const { worstImages } = await import("@/lib/evaluation/evaluate.ts");
  const names = new Map([[1, "a.jpg"], [2, "b.jpg"], [3, "c.jpg"], [4, "d.jpg"], [5, "e.jpg"]]);
  const w = worstImages({
    "1": { tp: 3, fp: 1, missed: 1, minIou: 0.9 },
    "2": { tp: 3, fp: 0, missed: 2, minIou: 0.9 },
    "3": { tp: 3, fp: 1, missed: 1, minIou: 0.55 },
    "4": { tp: 0, fp: 2, missed: 0, minIou: null },
    "5": { tp: 5, fp: 0, missed: 0, minIou: 0.51 },
  }, names);
  assertEquals(w.map((x) => x.fileName), ["b.jpg", "c.jpg", "a.jpg", "d.jpg"]);
});
