/**
 * Geometry rules of one COCO annotation: box size and bounds, polygon points and extent, RLE size,
 * and area against the box. Called once per annotation from checkCoco.
 */
import { type CocoIndex, SEG_POLY, SEG_RLE } from "./coco_parse.ts";
import type { FileInfo } from "./files_check.ts";
import type { ProblemSink } from "./problems.ts";

/** Pixels of slack for "outside the image" (the accelerator's notebook uses W+1 / H+1). */
const TOL = 1;

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

/** Box, polygon, RLE-size and area rules for annotation `i` on image `ii`. */
export function checkGeometry(
  idx: CocoIndex,
  i: number,
  ii: number,
  sink: ProblemSink,
  files?: FileInfo[],
): void {
  const { images: im, anns: a } = idx;
  const W = im.width[ii], H = im.height[ii];
  const x = a.bx[i], y = a.by[i], w = a.bw[i], h = a.bh[i];
  const where = `annotations[${i}]`;
  const loc = () => ({
    annotation_id: a.id[i],
    image_id: im.id[ii],
    category_id: a.categoryId[i],
    file: files?.[ii]?.path ?? im.fileName[ii],
    where,
  });
  const boxOk = Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(w) &&
    Number.isFinite(h);
  if (boxOk) {
    if (!(w > 0 && h > 0)) {
      sink.add(
        "bbox_nonpositive",
        "error",
        `box [${fmt(x)}, ${fmt(y)}, ${fmt(w)}, ${fmt(h)}] has ${
          w <= 0 ? "width" : "height"
        } ≤ 0; it is dropped or breaks the loss`,
        {
          ...loc(),
          where: `${where}.bbox`,
        },
      );
    } else if (W > 0 && H > 0) {
      if (x >= W || y >= H || x + w <= 0 || y + h <= 0) {
        sink.add(
          "bbox_outside_image",
          "error",
          `box [${fmt(x)}, ${fmt(y)}, ${fmt(w)}, ${
            fmt(h)
          }] lies entirely outside the ${W}×${H} image; it is dropped`,
          {
            ...loc(),
            where: `${where}.bbox`,
          },
        );
      } else if (x < -TOL || y < -TOL || x + w > W + TOL || y + h > H + TOL) {
        sink.add(
          "bbox_outside_image",
          "warning",
          `box [${fmt(x)}, ${fmt(y)}, ${fmt(w)}, ${
            fmt(h)
          }] extends beyond the ${W}×${H} image (to ${fmt(x + w)}, ${
            fmt(y + h)
          }); it will be clipped`,
          {
            ...loc(),
            where: `${where}.bbox`,
          },
        );
      }
    }
    const ar = a.area[i];
    if (w > 0 && h > 0 && Number.isFinite(ar)) {
      if (ar <= 0 || ar > w * h * 1.05 + 1) {
        sink.add(
          "area_inconsistent",
          "warning",
          `area ${fmt(ar)} is ${
            ar <= 0 ? "not positive" : `larger than the box (${fmt(w)}×${fmt(h)} = ${fmt(w * h)})`
          }; COCO size buckets and some losses use it`,
          {
            ...loc(),
            where: `${where}.area`,
          },
        );
      }
    }
  }
  const kind = a.segKind[i];
  if (kind === SEG_POLY && a.polyCount[i] > 0) {
    if (a.minCoords[i] < 6) {
      sink.add(
        "polygon_too_few_points",
        "error",
        `a polygon has ${a.minCoords[i] / 2} point(s); at least 3 are needed to make a mask`,
        {
          ...loc(),
          where: `${where}.segmentation`,
        },
      );
    }
    if (W > 0 && H > 0 && Number.isFinite(a.sx0[i])) {
      const x0 = a.sx0[i], y0 = a.sy0[i], x1 = a.sx1[i], y1 = a.sy1[i];
      if (x0 >= W || y0 >= H || x1 <= 0 || y1 <= 0) {
        sink.add(
          "polygon_outside_image",
          "error",
          `the polygon (x ${fmt(x0)}–${fmt(x1)}, y ${fmt(y0)}–${
            fmt(y1)
          }) lies entirely outside the ${W}×${H} image; the mask is empty`,
          {
            ...loc(),
            where: `${where}.segmentation`,
          },
        );
      } else if (x0 < -TOL || y0 < -TOL || x1 > W + TOL || y1 > H + TOL) {
        sink.add(
          "polygon_outside_image",
          "warning",
          `polygon points reach (x ${fmt(x0)}–${fmt(x1)}, y ${fmt(y0)}–${
            fmt(y1)
          }), beyond the ${W}×${H} image; they will be clipped`,
          {
            ...loc(),
            where: `${where}.segmentation`,
          },
        );
      }
    }
  } else if (kind >= SEG_RLE && a.rleH[i] > 0 && W > 0 && (a.rleH[i] !== H || a.rleW[i] !== W)) {
    sink.add(
      "rle_size_mismatch",
      "error",
      `RLE size ${a.rleW[i]}×${
        a.rleH[i]
      } (w×h) differs from the image's ${W}×${H}; the mask cannot be decoded onto it`,
      {
        ...loc(),
        where: `${where}.segmentation.size`,
      },
    );
  }
}
