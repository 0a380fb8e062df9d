/**
 * A detection run whose predictions go wrong in the two ways the evaluation page once misread:
 * a wrong-class box and, weaker, a right-class box on the same spot over the dataset's first
 * object (the second is a duplicate, not "background"), and a weak box in a corner of every
 * image, below the recommended threshold, that must not rank the worst images.
 */
import type { Workspace } from "@/lib/workspace/types.ts";
import { writeDetectionDataset, writeFinishedRun } from "./evaluation_testing.ts";

/** Writes the run (over the generated dataset `ds`) and returns what the tests look for. */
export async function writeDuplicateRun(
  dataDir: string,
  ws: Workspace,
  ds: Awaited<ReturnType<typeof writeDetectionDataset>>,
  id: string,
) {
  const { runDir } = await writeFinishedRun(dataDir, ds, {
    id,
    name: "dupes",
    quality: 0.9,
    seed: 4,
  });
  const cats = ds.gt.categories.map((c) => c.id);
  const [first, ...rest] = ds.gt.annotations;
  const other = cats[(cats.indexOf(first.category_id) + 1) % cats.length];
  const preds = [
    // the wrong class first in the file, as the shapes demo's 000197.jpg had it
    { image_id: first.image_id, category_id: other, bbox: first.bbox, score: 0.78 },
    { image_id: first.image_id, category_id: first.category_id, bbox: first.bbox, score: 0.52058 },
    ...rest.map((a) => ({
      image_id: a.image_id,
      category_id: a.category_id,
      bbox: a.bbox,
      score: 0.9,
    })),
    // torchvision detectors keep boxes down to 0.05: a weak one on every image
    ...ds.gt.images.map((im) => ({
      image_id: im.id,
      category_id: cats[im.id % cats.length],
      bbox: [0, 0, 3, 3],
      score: 0.1,
    })),
  ];
  await ws.files.write(`${runDir}/predictions/val.json`, JSON.stringify(preds), {
    overwrite: true,
  });
  return { runDir, first, other, cats };
}
