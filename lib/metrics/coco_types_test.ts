import { assertEquals, assertThrows } from "@/tests/assert.ts";
import { parseCocoGt, parseCocoResults } from "./coco_types.ts";

const GT = () => ({
  images: [{ id: 1, width: 10, height: 10 }],
  categories: [{ id: 3, name: "c" }],
  annotations: [{ id: 5, image_id: 1, category_id: 3, bbox: [0, 0, 2, 2] }],
});

Deno.test("[coco_types] ground-truth problems name the JSON path", () => {
  assertThrows(() => parseCocoGt([], "gt.json"), Error, /gt\.json: expected a COCO object/);
  assertThrows(
    () => parseCocoGt({ images: [] }, "gt.json"),
    Error,
    /gt\.json: annotations: missing or not a list/,
  );
  const dup = GT();
  dup.images.push({ id: 1, width: 1, height: 1 });
  assertThrows(() => parseCocoGt(dup, "gt.json"), Error, /images\[1\]\.id: duplicate image id 1/);
  const crowd = GT() as ReturnType<typeof GT> & { annotations: Record<string, unknown>[] };
  crowd.annotations[0].iscrowd = 2;
  assertThrows(
    () => parseCocoGt(crowd, "gt.json"),
    Error,
    /annotations\[0\]\.iscrowd: expected 0 or 1/,
  );
});

Deno.test("[coco_types] a missing area falls back to the box area", () => {
  const gt = parseCocoGt(GT(), "gt.json");
  assertEquals(gt.annotations[0].area, 4);
  assertEquals(gt.annotations[0].iscrowd, 0);
});

Deno.test("[coco_types] results get loadRes' ids and areas; wrapped lists are accepted", () => {
  const gt = parseCocoGt(GT(), "gt.json");
  const dts = parseCocoResults(
    {
      annotations: [{ image_id: 1, category_id: 3, bbox: [1, 1, 3, 2], score: 0.5 }],
    },
    gt,
    "dt.json",
  );
  assertEquals(dts[0].id, 1);
  assertEquals(dts[0].area, 6);
  assertEquals(dts[0].segmentation, [[1, 1, 1, 3, 4, 3, 4, 1]]);
  assertThrows(
    () => parseCocoResults({ foo: 1 }, gt, "dt.json"),
    Error,
    /dt\.json: expected a list of detections/,
  );
  assertThrows(
    () => parseCocoResults([{ image_id: 1, category_id: 3, score: 1 }], gt, "dt.json"),
    Error,
    /dt\.json: \[0\]: needs a bbox or a segmentation/,
  );
});

Deno.test("[coco_types] mask-only results get the mask's area and tight box, like loadRes", () => {
  const gt = parseCocoGt(GT(), "gt.json");
  const [d] = parseCocoResults(
    [
      {
        image_id: 1,
        category_id: 3,
        score: 1,
        segmentation: { size: [10, 10], counts: [22, 3, 7, 3, 65] },
      },
    ],
    gt,
    "dt.json",
  );
  assertEquals(d.area, 6);
  assertEquals(d.bbox, [2, 2, 2, 3]);
  assertEquals(d.hasMask, true);
  assertThrows(
    () =>
      parseCocoResults(
        [
          {
            image_id: 1,
            category_id: 3,
            score: 1,
            segmentation: { size: [10, 10], counts: [1, 2] },
          },
        ],
        gt,
        "dt.json",
      ),
    Error,
    /dt\.json: \[0\]\.segmentation: RLE counts sum to 3/,
  );
});
