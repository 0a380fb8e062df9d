/**
 * Column stores for a parsed COCO file: one typed-array slot per image / annotation instead of a
 * JS object each, so a million annotations cost ~100 MB and no garbage-collector churn.
 */

/** Column store of images. */
export class ImageCols {
  n = 0;
  id = new Float64Array(0);
  width = new Float64Array(0);
  height = new Float64Array(0);
  flags = new Uint8Array(0);
  fileName: string[] = [];

  grow(): void {
    const cap = Math.max(1024, this.id.length * 2);
    this.id = growF(this.id, cap);
    this.width = growF(this.width, cap);
    this.height = growF(this.height, cap);
    this.flags = growU8(this.flags, cap);
  }
}

/** Column store of annotations (polygon extents, RLE sizes, byte ranges included). */
export class AnnCols {
  n = 0;
  id = new Float64Array(0);
  imageId = new Float64Array(0);
  categoryId = new Float64Array(0);
  bx = new Float64Array(0);
  by = new Float64Array(0);
  bw = new Float64Array(0);
  bh = new Float64Array(0);
  area = new Float64Array(0);
  iscrowd = new Uint8Array(0);
  segKind = new Uint8Array(0);
  /** Polygons in the segmentation, and the fewest coordinates any of them has. */
  polyCount = new Uint32Array(0);
  minCoords = new Uint32Array(0);
  /** Extent of all polygon points (NaN when there are none). */
  sx0 = new Float64Array(0);
  sy0 = new Float64Array(0);
  sx1 = new Float64Array(0);
  sy1 = new Float64Array(0);
  /** RLE `size` = [h, w]. */
  rleH = new Float64Array(0);
  rleW = new Float64Array(0);
  flags = new Uint16Array(0);
  start = new Float64Array(0);
  end = new Float64Array(0);

  grow(): void {
    const cap = Math.max(4096, this.id.length * 2);
    for (
      const k of [
        "id",
        "imageId",
        "categoryId",
        "bx",
        "by",
        "bw",
        "bh",
        "area",
        "sx0",
        "sy0",
        "sx1",
        "sy1",
        "rleH",
        "rleW",
        "start",
        "end",
      ] as const
    ) this[k] = growF(this[k], cap);
    this.iscrowd = growU8(this.iscrowd, cap);
    this.segKind = growU8(this.segKind, cap);
    const pc = new Uint32Array(cap);
    pc.set(this.polyCount);
    this.polyCount = pc;
    const mc = new Uint32Array(cap);
    mc.set(this.minCoords);
    this.minCoords = mc;
    const fl = new Uint16Array(cap);
    fl.set(this.flags);
    this.flags = fl;
  }
}

function growF(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}
function growU8(a: Uint8Array, cap: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(cap);
  b.set(a);
  return b;
}
