import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  annotationLine,
  browseStart,
  type Candidate,
  classNamesOf,
  filterProblems,
  flaggedAnnotations,
  initialForm,
  parentFolder,
  problemSample,
  problemsOf,
  progressLine,
  roughSeconds,
  ruleChoices,
  sampleCaption,
  sampleClasses,
  sampleQuery,
  samplesQuery,
  scanAddress,
  scanRequest,
} from "./eda_page.ts";
import { IMAGE_EXTENSIONS } from "./image_header.ts";
import type { ScanRecord } from "./registry.ts";
import type { Problem, ScanProgress } from "./types.ts";

const candidates: Candidate[] = [
  { label: "train", path: "/Volumes/m/cv/d/ann/train.json", images: "/Volumes/m/cv/d/train" },
  { label: "val", path: "/Volumes/m/cv/d/val" },
];

Deno.test("[eda page] the form opens on ?path= (with its images folder when it is a config path), else the config's first path", () => {
  deepStrictEqual(initialForm(candidates, ""), {
    path: "/Volumes/m/cv/d/ann/train.json",
    images: "/Volumes/m/cv/d/train",
  });
  deepStrictEqual(initialForm(candidates, "/Volumes/m/cv/d/val"), {
    path: "/Volumes/m/cv/d/val",
    images: "",
  });
  // a typed path of another dataset does not borrow the first split's images folder
  deepStrictEqual(initialForm(candidates, "/Volumes/m/cv/other.json"), {
    path: "/Volumes/m/cv/other.json",
    images: "",
  });
  deepStrictEqual(initialForm([], ""), { path: "", images: "" });
});

Deno.test("[eda page] scan requests: the typed path, every config split, or a Delta table", () => {
  const form = { path: "/Volumes/m/cv/x.json", format: "coco" as const, images: "" };
  deepStrictEqual(scanRequest({ kind: "path" }, form, candidates), {
    path: "/Volumes/m/cv/x.json",
    format: "coco",
    images: undefined,
  });
  deepStrictEqual(
    scanRequest({ kind: "path" }, { ...form, images: "/Volumes/m/cv/img" }, candidates),
    { path: "/Volumes/m/cv/x.json", format: "coco", images: "/Volumes/m/cv/img" },
  );
  deepStrictEqual(scanRequest({ kind: "splits" }, form, candidates), {
    format: "coco",
    splits: [
      { name: "train", path: candidates[0].path, images: candidates[0].images },
      { name: "val", path: candidates[1].path, images: undefined },
    ],
  });
  const table = { table: "main.cv.pets", imageColumn: "path", labelColumn: "label" };
  deepStrictEqual(scanRequest({ kind: "delta", table }, form, candidates), { delta: table });
});

Deno.test("[eda page] the address holds the scan, and the path when one path was scanned", () => {
  strictEqual(scanAddress("/data", "s1"), "/data?scan=s1");
  strictEqual(
    scanAddress("/data", "a b", "/Volumes/m/cv/x y.json"),
    "/data?scan=a+b&path=%2FVolumes%2Fm%2Fcv%2Fx+y.json",
  );
  const back = new URL(scanAddress("/data", "s&2", "/Volumes/a&b"), "http://x");
  strictEqual(back.searchParams.get("scan"), "s&2");
  strictEqual(back.searchParams.get("path"), "/Volumes/a&b");
});

Deno.test("[eda page] the volume browser opens at the typed folder, or the annotation file's folder", () => {
  strictEqual(
    browseStart("/Volumes/m/cv/d/ann/train.JSON", "/Volumes/m/cv/v"),
    "/Volumes/m/cv/d/ann",
  );
  strictEqual(browseStart("/Volumes/m/cv/d", "/Volumes/m/cv/v"), "/Volumes/m/cv/d");
  strictEqual(browseStart("", "/Volumes/m/cv/v"), "/Volumes/m/cv/v");
  strictEqual(browseStart("/tmp/data", "/Volumes/m/cv/v"), "/Volumes/m/cv/v");
  strictEqual(parentFolder("/Volumes/m/cv"), "/Volumes/m");
  strictEqual(parentFolder("/Volumes/m"), "/Volumes");
  strictEqual(parentFolder("/Volumes"), "/Volumes");
});

const progress = (p: Partial<ScanProgress>): ScanProgress => ({
  phase: "reading",
  imagesRead: 0,
  annotationsRead: 0,
  bytesRead: 0,
  bytesTotal: 0,
  filesChecked: 0,
  filesTotal: 0,
  elapsedMs: 0,
  ...p,
});
const record = (status: ScanRecord["status"], p: Partial<ScanProgress>): ScanRecord => ({
  id: "s1",
  spec: { path: "/Volumes/m/cv/d" } as ScanRecord["spec"],
  status,
  progress: progress(p),
  startedAt: 0,
});

Deno.test("[eda page] the progress line says the phase, what was read, the file checks and the time left", () => {
  deepStrictEqual(
    progressLine(
      record("running", {
        phase: "checking-files",
        split: "train",
        imagesRead: 12,
        annotationsRead: 30,
        filesChecked: 5,
        filesTotal: 12,
        etaMs: 2100,
      }),
    ),
    {
      head: "checking-files",
      detail: " · train · 12 images, 30 annotations read · files 5/12 · about 3 s left",
    },
  );
  deepStrictEqual(progressLine(record("running", { imagesRead: 12345, etaMs: 300 })), {
    head: "reading",
    detail: ` · ${(12345).toLocaleString()} images, 0 annotations read · about <1 s left`,
  });
  // a scan that ended badly says how, not its last phase
  strictEqual(progressLine(record("cancelled", { phase: "parsing" }))?.head, "cancelled");
  strictEqual(progressLine(record("failed", {}))?.head, "failed");
  strictEqual(progressLine(record("done", {})), null);
});

Deno.test("[eda page] rough seconds round up", () => {
  strictEqual(roughSeconds(0), "<1 s");
  strictEqual(roughSeconds(999), "<1 s");
  strictEqual(roughSeconds(1000), "1 s");
  strictEqual(roughSeconds(1001), "2 s");
});

const problems: Problem[] = [
  {
    code: "bbox_outside_image",
    severity: "warning",
    message: "w1",
    split: "train",
    image_id: 4,
    annotation_id: 104,
    category_id: 2,
  },
  {
    code: "image_missing",
    severity: "error",
    message: "e1",
    split: "train",
    file: "/Volumes/m/cv/d/p6.PNG",
  },
  {
    code: "bbox_outside_image",
    severity: "warning",
    message: "w2",
    split: "val",
    image_id: 4,
    category_id: 1,
  },
  { code: "json_invalid", severity: "error", message: "e2", file: "/Volumes/m/cv/d/ann.json" },
];

Deno.test("[eda page] problem filters: severity, rule and class (problems without a class stay), errors first", () => {
  const all = { severity: "all" as const, code: "", classId: null };
  deepStrictEqual(filterProblems(problems, all).map((p) => p.message), ["e1", "e2", "w1", "w2"]);
  deepStrictEqual(
    filterProblems(problems, { ...all, severity: "warning" }).map((p) => p.message),
    ["w1", "w2"],
  );
  deepStrictEqual(
    filterProblems(problems, { ...all, code: "image_missing" }).map((p) => p.message),
    ["e1"],
  );
  deepStrictEqual(
    filterProblems(problems, { ...all, classId: 2 }).map((p) => p.message),
    ["e1", "e2", "w1"],
  );
  deepStrictEqual(ruleChoices({ a: 1, b: 5, c: 2 }), [["b", 5], ["c", 2], ["a", 1]]);
});

Deno.test("[eda page] a problem opens its image (by id, or an image file), in its own split", () => {
  deepStrictEqual(problemSample(problems[0], "val"), { split: "train", image: 4 });
  deepStrictEqual(problemSample(problems[1], "val"), {
    split: "train",
    image: "/Volumes/m/cv/d/p6.PNG",
  });
  strictEqual(problemSample(problems[3], "train"), null);
  deepStrictEqual(problemSample({ ...problems[0], split: undefined }, "val"), {
    split: "val",
    image: 4,
  });
  // every extension the scanner treats as an image opens, in any case; others do not
  for (const ext of IMAGE_EXTENSIONS) {
    for (const name of [`a${ext}`, `a${ext.toUpperCase()}`]) {
      deepStrictEqual(problemSample({ ...problems[3], file: name }, "t"), {
        split: "t",
        image: name,
      });
    }
  }
  for (const name of ["a.json", "a.txt", "png", "a.png.bak"]) {
    strictEqual(problemSample({ ...problems[3], file: name }, "t"), null, name);
  }
  deepStrictEqual(problemsOf(problems, { split: "train", image: 4 }).map((p) => p.message), ["w1"]);
  deepStrictEqual(
    problemsOf(problems, { split: "train", image: "/Volumes/m/cv/d/p6.PNG" }).map((p) => p.message),
    ["e1"],
  );
  deepStrictEqual([...flaggedAnnotations(problems)], [104]);
});

Deno.test("[eda page] sample queries", () => {
  strictEqual(samplesQuery("train", 0, null, ""), "split=train&offset=0&limit=24");
  strictEqual(
    samplesQuery("my split", 48, 3, "image_missing"),
    "split=my+split&offset=48&limit=24&class=3&problem=image_missing",
  );
  strictEqual(samplesQuery("train", 0, 0, ""), "split=train&offset=0&limit=24&class=0");
  const q = new URLSearchParams(sampleQuery({ split: "val", image: "/Volumes/a b/c&d.png" }));
  deepStrictEqual([q.get("split"), q.get("image")], ["val", "/Volumes/a b/c&d.png"]);
  strictEqual(sampleQuery({ split: "val", image: 7 }), "split=val&image=7");
});

Deno.test("[eda page] a sample's classes and annotation lines", () => {
  deepStrictEqual(
    sampleClasses({
      annotations: [{ category_id: 2 }, { category_id: 1 }, { category_id: 2 }],
    }),
    [2, 1],
  );
  deepStrictEqual(sampleClasses({ annotations: [], label: 3 }), [3]);
  strictEqual(
    annotationLine({ id: 7, category_id: 1, bbox: [1, 2.04, 3.55, 4] }, "cat"),
    "#7 cat [1, 2, 3.5, 4]",
  );
  strictEqual(
    annotationLine(
      { id: 8, category_id: 1, rle: { counts: [1], size: [1, 1] }, iscrowd: 1 },
      "cat",
    ),
    "#8 cat RLE mask crowd",
  );
  strictEqual(annotationLine({ category_id: 2 }, "class 2"), "class 2");
});

Deno.test("[eda page] a thumbnail's caption names its classes, the first two and how many more", () => {
  const names = new Map([[1, "person"], [2, "car"], [3, "dog"], [7, "cat"]]);
  strictEqual(sampleCaption("imagefolder", [7], names), "cat");
  strictEqual(sampleCaption("coco", [1, 2], names), "person, car");
  strictEqual(sampleCaption("coco", [1, 2, 3, 9], names), "person, car +2");
  strictEqual(sampleCaption("coco", [9], names), "class 9");
  strictEqual(sampleCaption("coco", [], names), "no annotations");
  strictEqual(sampleCaption("masks", [], names), null);
  deepStrictEqual(classNamesOf([7, 9, 1], names), ["cat", "class 9", "person"]);
});
