import { assertClose, assertEquals, assertThrows } from "@/tests/assert.ts";
import {
  pairCounts,
  PanopticAccumulator,
  type PanopticCategory,
  type PanopticRules,
  segmentsFromCategoryInstance,
} from "./panoptic.ts";

type Px = [number, number];

function cats(things: number[], stuffs: number[]): PanopticCategory[] {
  return [
    ...things.map((id) => ({ id, isthing: true })),
    ...stuffs.map((id) => ({ id, isthing: false })),
  ];
}

/** Evaluates images given as (category, instance) pixel lists, torchmetrics-style. */
function pq(
  images: { pred: Px[]; target: Px[] }[],
  things: number[],
  stuffs: number[],
  rules: PanopticRules = "torchmetrics",
) {
  const c = cats(things, stuffs);
  const acc = new PanopticAccumulator(c, rules);
  for (const im of images) {
    const p = segmentsFromCategoryInstance(im.pred.map((x) => x[0]), im.pred.map((x) => x[1]), c);
    const t = segmentsFromCategoryInstance(
      im.target.map((x) => x[0]),
      im.target.map((x) => x[1]),
      c,
    );
    acc.addImage(t.ids, t.segments, p.ids, p.segments);
  }
  return acc.result();
}

const DOC_PRED: Px[] = [
  [6, 0],
  [0, 0],
  [6, 0],
  [6, 0],
  [0, 0],
  [0, 0],
  [6, 0],
  [0, 1],
  [0, 0],
  [0, 0],
  [6, 0],
  [0, 1],
  [0, 0],
  [7, 0],
  [6, 0],
  [1, 0],
  [0, 0],
  [7, 0],
  [7, 0],
  [7, 0],
];
const DOC_TARGET: Px[] = [
  [6, 0],
  [0, 1],
  [6, 0],
  [0, 1],
  [0, 1],
  [0, 1],
  [6, 0],
  [0, 1],
  [0, 1],
  [0, 1],
  [6, 0],
  [1, 0],
  [0, 1],
  [7, 0],
  [1, 0],
  [1, 0],
  [0, 1],
  [7, 0],
  [7, 0],
  [7, 0],
];
const IN0_PRED: Px[] = [
  [6, 0],
  [0, 0],
  [6, 0],
  [6, 0],
  [0, 1],
  [0, 0],
  [0, 0],
  [6, 0],
  [0, 1],
  [0, 1],
  [0, 0],
  [0, 0],
  [6, 0],
  [0, 1],
  [1, 0],
  [0, 0],
  [7, 0],
  [6, 0],
  [1, 0],
  [1, 0],
  [0, 0],
  [7, 0],
  [7, 0],
  [7, 0],
  [7, 0],
];
const IN0_TARGET: Px[] = [
  [6, 0],
  [6, 0],
  [6, 0],
  [6, 0],
  [0, 0],
  [0, 1],
  [0, 1],
  [6, 0],
  [0, 0],
  [0, 0],
  [0, 1],
  [0, 1],
  [6, 0],
  [1, 0],
  [1, 0],
  [0, 1],
  [7, 0],
  [7, 0],
  [1, 0],
  [1, 0],
  [0, 1],
  [7, 0],
  [7, 0],
  [7, 0],
  [7, 0],
];

Deno.test("[panoptic] torchmetrics docstring: PQ 0.5463, SQ 0.6111, RQ 0.6667, per class", () => {
  const r = pq([{ pred: DOC_PRED, target: DOC_TARGET }], [0, 1], [6, 7]);
  assertClose(r.all.pq, 0.5462963, 1e-7, "pq");
  assertClose(r.all.sq, 0.6111, 1e-4, "sq");
  assertClose(r.all.rq, 0.6667, 1e-4, "rq");
  const per = [0, 1, 6, 7].map((id) => r.perClass[String(id)].pq);
  [0.5185, 0, 0.6667, 1].forEach((v, i) => assertClose(per[i], v, 1e-4, `class ${i}`));
});

Deno.test("[panoptic] torchmetrics _INPUTS_0 (two batches): PQ 0.77529762 and per class", () => {
  const im = { pred: IN0_PRED, target: IN0_TARGET };
  const r = pq([im, im], [0, 1], [6, 7]);
  assertClose(r.all.pq, 0.77529762, 1e-8, "pq");
  assertClose(r.all.sq, 0.7753, 1e-4, "sq");
  assertClose(r.all.rq, 1, 1e-12, "rq");
  const want: Record<string, number> = { 0: 0.8036, 1: 0.75, 6: 0.7143, 7: 0.8333 };
  for (const [id, v] of Object.entries(want)) assertClose(r.perClass[id].pq, v, 1e-4, id);
  // panopticapi rules agree here: nothing is void
  assertClose(pq([im], [0, 1], [6, 7], "panopticapi").all.pq, 0.77529762, 1e-8, "panopticapi");
});

Deno.test("[panoptic] torchmetrics: only unknown categories gives NaN", () => {
  const r = pq([{ pred: IN0_PRED, target: IN0_TARGET }], [2], [3]);
  assertEquals(Number.isNaN(r.all.pq), true);
});

Deno.test("[panoptic] torchmetrics _INPUTS_1: PQ (2/3 + 1 + 2/3) / 3", () => {
  const pred: Px[] = [[10, 0], [10, 123], [0, 1], [10, 0], [1, 2]];
  const target: Px[] = [[10, 0], [10, 0], [0, 0], [0, 1], [1, 0]];
  const r = pq([{ pred, target }, { pred, target }], [0, 1], [10, 11]);
  assertClose(r.all.pq, (2 / 3 + 1 + 2 / 3) / 3, 1e-12, "pq");
});

Deno.test("[panoptic] torchmetrics class-order cases give per class [1, 0, 2/3]", () => {
  for (
    const [type, c1, c2, c3] of [
      ["stuffs", 0, 2, 1],
      ["stuffs", 0, 3, 2],
      ["stuffs", 0, 10, 2],
      ["things", 0, 2, 1],
      ["things", 0, 3, 2],
      ["things", 0, 10, 2],
    ] as const
  ) {
    const a: Px = [c1, 0], b: Px = [c2, 0], c: Px = [c3, 0];
    const ids = [c1, c2, c3];
    const r = pq(
      [{ pred: [a, a, b, b, b, c], target: [a, a, b, b, c, c] }],
      type === "things" ? ids : [],
      type === "stuffs" ? ids : [],
    );
    const sorted = [...ids].sort((x, y) => x - y).map((id) => r.perClass[String(id)].pq);
    [1, 0, 2 / 3].forEach((v, i) => assertClose(sorted[i], v, 1e-12, `${type} ${ids} [${i}]`));
  }
});

Deno.test("[panoptic] unknown target categories are void and change nothing", () => {
  const base = pq([{ pred: IN0_PRED, target: IN0_TARGET }], [0, 1], [6, 7]).all.pq;
  const voidTarget: Px[] = IN0_TARGET.map(() => [255, 0]);
  const r = pq(
    [{ pred: [...IN0_PRED, ...IN0_PRED], target: [...IN0_TARGET, ...voidTarget] }],
    [0, 1],
    [6, 7],
  );
  assertClose(r.all.pq, base, 1e-12, "pq with void half");
});

Deno.test("[panoptic] a prediction on a crowd region is not a false positive (panopticapi)", () => {
  const c = cats([1], []);
  const acc = new PanopticAccumulator(c);
  // gt: segment 1 (crowd, cat 1) on pixels 0-3; pred: segment 5 (cat 1) on pixels 0-2
  acc.addImage([1, 1, 1, 1], [{ id: 1, category_id: 1, iscrowd: 1 }], [5, 5, 5, 0], [
    { id: 5, category_id: 1 },
  ]);
  const r = acc.result();
  assertEquals([r.perClass["1"].tp, r.perClass["1"].fp, r.perClass["1"].fn], [0, 0, 0]);
  assertEquals(r.all.n, 0);
});

Deno.test("[panoptic] things and stuff are averaged separately", () => {
  const r = pq([{ pred: IN0_PRED, target: IN0_TARGET }], [0, 1], [6, 7]);
  assertClose(r.things.pq, (r.perClass["0"].pq + r.perClass["1"].pq) / 2, 1e-12, "things");
  assertClose(r.stuff.pq, (r.perClass["6"].pq + r.perClass["7"].pq) / 2, 1e-12, "stuff");
});

Deno.test("[panoptic] mask/segments_info disagreements name the image and segment", () => {
  const acc = new PanopticAccumulator(cats([1], []));
  assertThrows(
    () => acc.addImage([1], [{ id: 1, category_id: 1 }], [7], [], "000123.png"),
    Error,
    /000123\.png: prediction: segment 7 is in the mask but not in segments_info/,
  );
  assertThrows(
    () => acc.addImage([1], [{ id: 1, category_id: 9 }], [0], [], "000124.png"),
    Error,
    /unknown category 9/,
  );
});

Deno.test("[panoptic] pixel counts by runs equal a count pixel by pixel, at run ends and on a one-pixel image", () => {
  const gt = [1, 1, 1, 2, 2, 0, 0, 1, 1, 3];
  const pr = [5, 5, 6, 6, 6, 6, 0, 5, 5, 5];
  const c = pairCounts(gt, pr);
  const byPixel = new Map<number, number>();
  gt.forEach((g, i) => {
    const k = g * 2 ** 26 + pr[i];
    byPixel.set(k, (byPixel.get(k) ?? 0) + 1);
  });
  assertEquals([...c.inter].sort(), [...byPixel].sort());
  assertEquals(Object.fromEntries(c.gtArea), { 0: 2, 1: 5, 2: 2, 3: 1 });
  assertEquals(Object.fromEntries(c.prArea), { 0: 1, 5: 5, 6: 4 });
  const one = pairCounts([4], [9]);
  assertEquals([...one.inter], [[4 * 2 ** 26 + 9, 1]]);
  assertEquals(pairCounts([], []).inter.size, 0);
});
