/**
 * COCO instances JSON → a columnar index (typed arrays, one slot per image / annotation). The
 * index keeps every field the checks and statistics need plus each annotation's byte range, so a
 * sample view can re-read one annotation exactly without keeping a million objects alive.
 */
import { JsonCursor, keyTable } from "./json_bytes.ts";
import { AnnCols, ImageCols } from "./coco_columns.ts";
import { rleCountsFromString as rleFromString } from "../image/coco_rle.ts";

export { AnnCols, ImageCols, rleFromString };

/** Annotation flags: what was missing or malformed in the record itself. */
export const A_NO_ID = 1,
  A_BAD_IMAGE_ID = 2,
  A_BAD_CATEGORY_ID = 4,
  A_BAD_BBOX = 8,
  A_NO_BBOX = 16,
  A_SEG_FLAT = 32,
  A_SEG_BAD = 64,
  A_RLE_BAD = 128,
  A_NOT_OBJECT = 256,
  A_PANOPTIC = 512;
/** Image flags. */
export const I_NO_ID = 1, I_NO_FILE = 2, I_BAD_SIZE = 4, I_NOT_OBJECT = 8;

/** Segmentation kinds. */
export const SEG_NONE = 0, SEG_POLY = 1, SEG_RLE = 2, SEG_RLE_COMPRESSED = 3;

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
  /** Index of the category in the JSON array. */
  index: number;
}

/** The parsed file. */
export interface CocoIndex {
  source: string;
  images: ImageCols;
  anns: AnnCols;
  categories: CocoCategory[];
  /** Top-level keys present (a file without `annotations` is reported, not rejected). */
  keys: { images: boolean; annotations: boolean; categories: boolean };
  /** Problems in the structure found while parsing (e.g. a category without an id). */
  structural: string[];
  /** True when annotations carry `segments_info` (a panoptic file). */
  panoptic: boolean;
}

export interface ParseHooks {
  /** Called roughly every 25 ms of parsing, after yielding to the event loop. */
  onTick?: (imagesRead: number, annotationsRead: number, bytePos: number) => void;
  signal?: AbortSignal;
}

const TOP = keyTable("images", "annotations", "categories");
const IMG = keyTable("id", "file_name", "width", "height");
const ANN = keyTable(
  "id",
  "image_id",
  "category_id",
  "bbox",
  "area",
  "iscrowd",
  "segmentation",
  "segments_info",
);
const RLE = keyTable("counts", "size");

const YIELD_MS = 25;
const EXT = new Float64Array(4);

/** Parses a COCO instances file from its bytes; yields to the event loop every ~25 ms. */
export async function parseCoco(
  buf: Uint8Array,
  source: string,
  hooks: ParseHooks = {},
): Promise<CocoIndex> {
  const cur = new JsonCursor(buf, source);
  const images = new ImageCols();
  const anns = new AnnCols();
  const idx: CocoIndex = {
    source,
    images,
    anns,
    categories: [],
    keys: { images: false, annotations: false, categories: false },
    structural: [],
    panoptic: false,
  };
  let last = performance.now();
  const tick = async () => {
    const now = performance.now();
    if (now - last < YIELD_MS) return;
    await new Promise((r) => setTimeout(r, 0));
    hooks.signal?.throwIfAborted();
    hooks.onTick?.(images.n, anns.n, cur.pos);
    last = performance.now();
  };

  if (cur.peek() !== 123) cur.fail("a COCO file must be a JSON object ({...})");
  if (cur.open(123)) {
    do {
      const k = cur.key(TOP);
      if (k === 0) {
        idx.keys.images = true;
        if (cur.peek() !== 91) {
          idx.structural.push(`"images" is not an array (at ${cur.where()})`);
          cur.skip();
          continue;
        }
        if (cur.open(91)) {
          do {
            readImage(cur, images);
            if ((images.n & 1023) === 0) await tick();
          } while (cur.more(93));
        }
      } else if (k === 1) {
        idx.keys.annotations = true;
        if (cur.peek() !== 91) {
          idx.structural.push(`"annotations" is not an array (at ${cur.where()})`);
          cur.skip();
          continue;
        }
        if (cur.open(91)) {
          do {
            readAnnotation(cur, anns);
            if ((anns.n & 1023) === 0) await tick();
          } while (cur.more(93));
        }
        if (anns.n > 0 && (anns.flags[0] & A_PANOPTIC)) idx.panoptic = true;
      } else if (k === 2) {
        idx.keys.categories = true;
        readCategories(cur, idx);
      } else cur.skip();
    } while (cur.more(125));
  }
  if (cur.peek() !== -1) cur.fail("unexpected data after the end of the JSON object");
  hooks.onTick?.(images.n, anns.n, cur.pos);
  return idx;
}

function readImage(cur: JsonCursor, im: ImageCols): void {
  if (im.n === im.id.length) im.grow();
  const i = im.n++;
  im.id[i] = NaN;
  im.width[i] = NaN;
  im.height[i] = NaN;
  let file = "";
  let flags = 0;
  if (cur.peek() !== 123) {
    cur.skip();
    im.flags[i] = I_NOT_OBJECT | I_NO_ID | I_NO_FILE | I_BAD_SIZE;
    im.fileName.push("");
    return;
  }
  if (cur.open(123)) {
    do {
      const k = cur.key(IMG);
      if (k === 0) im.id[i] = cur.numberish();
      else if (k === 1) {
        if (cur.peek() === 34) file = cur.string();
        else cur.skip();
      } else if (k === 2) im.width[i] = cur.numberish();
      else if (k === 3) im.height[i] = cur.numberish();
      else cur.skip();
    } while (cur.more(125));
  }
  if (!Number.isFinite(im.id[i])) flags |= I_NO_ID;
  if (file === "") flags |= I_NO_FILE;
  if (!(im.width[i] > 0) || !(im.height[i] > 0)) flags |= I_BAD_SIZE;
  im.flags[i] = flags;
  im.fileName.push(file);
}

function readAnnotation(cur: JsonCursor, a: AnnCols): void {
  if (a.n === a.id.length) a.grow();
  const i = a.n++;
  a.id[i] = NaN;
  a.imageId[i] = NaN;
  a.categoryId[i] = NaN;
  a.bx[i] =
    a.by[i] =
    a.bw[i] =
    a.bh[i] =
      NaN;
  a.area[i] = NaN;
  a.sx0[i] =
    a.sy0[i] =
    a.sx1[i] =
    a.sy1[i] =
      NaN;
  a.rleH[i] = a.rleW[i] = NaN;
  a.iscrowd[i] = 0;
  a.segKind[i] = SEG_NONE;
  a.polyCount[i] = 0;
  a.minCoords[i] = 0;
  let flags = A_NO_BBOX;
  cur.peek();
  a.start[i] = cur.pos;
  if (cur.buf[cur.pos] !== 123) {
    cur.skip();
    a.end[i] = cur.pos;
    a.flags[i] = A_NOT_OBJECT | A_NO_ID | A_BAD_IMAGE_ID | A_BAD_CATEGORY_ID;
    return;
  }
  if (cur.open(123)) {
    do {
      const k = cur.key(ANN);
      switch (k) {
        case 0:
          a.id[i] = cur.numberish();
          break;
        case 1:
          a.imageId[i] = cur.numberish();
          break;
        case 2:
          a.categoryId[i] = cur.numberish();
          break;
        case 3:
          flags &= ~A_NO_BBOX;
          if (!readBbox(cur, a, i)) flags |= A_BAD_BBOX;
          break;
        case 4:
          a.area[i] = cur.numberish();
          break;
        case 5:
          a.iscrowd[i] = cur.numberish(true) ? 1 : 0;
          break;
        case 6:
          flags |= readSegmentation(cur, a, i);
          break;
        case 7:
          flags |= A_PANOPTIC;
          cur.skip();
          break;
        default:
          cur.skip();
      }
    } while (cur.more(125));
  }
  a.end[i] = cur.pos;
  if (!Number.isFinite(a.id[i])) flags |= A_NO_ID;
  if (!Number.isFinite(a.imageId[i])) flags |= A_BAD_IMAGE_ID;
  if (!Number.isFinite(a.categoryId[i])) flags |= A_BAD_CATEGORY_ID;
  a.flags[i] = flags;
}

function readBbox(cur: JsonCursor, a: AnnCols, i: number): boolean {
  if (cur.peek() !== 91) {
    cur.skip();
    return false;
  }
  let n = 0;
  let ok = true;
  if (cur.open(91)) {
    do {
      const v = cur.numberish();
      if (!Number.isFinite(v)) ok = false;
      if (n === 0) a.bx[i] = v;
      else if (n === 1) a.by[i] = v;
      else if (n === 2) a.bw[i] = v;
      else if (n === 3) a.bh[i] = v;
      n++;
    } while (cur.more(93));
  }
  return ok && n === 4;
}

/** Reads polygons or RLE, recording their extent; returns flags. */
function readSegmentation(cur: JsonCursor, a: AnnCols, i: number): number {
  const c = cur.peek();
  if (c === 91) {
    if (!cur.open(91)) return 0; // [] = no segmentation
    a.segKind[i] = SEG_POLY;
    let flags = 0;
    let polys = 0;
    let minCoords = 0xffffffff;
    EXT[0] = Infinity;
    EXT[1] = Infinity;
    EXT[2] = -Infinity;
    EXT[3] = -Infinity;
    do {
      const t = cur.peek();
      if (t !== 91) {
        // a flat [x, y, ...] list instead of a list of polygons
        flags |= t === 45 || (t >= 48 && t <= 57) ? A_SEG_FLAT : A_SEG_BAD;
        cur.skip();
        continue;
      }
      polys++;
      const n = cur.coords(EXT);
      if (n < 0) flags |= A_SEG_BAD;
      else {
        if (n < minCoords) minCoords = n;
        if (n & 1) flags |= A_SEG_BAD;
      }
    } while (cur.more(93));
    const x0 = EXT[0], y0 = EXT[1], x1 = EXT[2], y1 = EXT[3];
    a.polyCount[i] = polys;
    a.minCoords[i] = polys ? minCoords : 0;
    if (x1 >= x0) {
      a.sx0[i] = x0;
      a.sy0[i] = y0;
      a.sx1[i] = x1;
      a.sy1[i] = y1;
    }
    return flags;
  }
  if (c === 123) {
    let flags = 0;
    let sum = -1;
    a.segKind[i] = SEG_RLE;
    if (cur.open(123)) {
      do {
        const k = cur.key(RLE);
        if (k === 0) {
          const t = cur.peek();
          if (t === 34) {
            a.segKind[i] = SEG_RLE_COMPRESSED;
            const runs = rleFromString(cur.string());
            sum = 0;
            for (const r of runs) {
              if (!(r >= 0)) flags |= A_RLE_BAD;
              sum += r;
            }
          } else if (t === 91) {
            sum = 0;
            if (cur.open(91)) {
              do {
                const v = cur.numberish();
                if (!(v >= 0)) flags |= A_RLE_BAD;
                sum += v;
              } while (cur.more(93));
            }
          } else {
            flags |= A_RLE_BAD;
            cur.skip();
          }
        } else if (k === 1) {
          if (cur.peek() === 91 && cur.open(91)) {
            let n = 0;
            do {
              const v = cur.numberish();
              if (n === 0) a.rleH[i] = v;
              else if (n === 1) a.rleW[i] = v;
              n++;
            } while (cur.more(93));
          } else cur.skip();
        } else cur.skip();
      } while (cur.more(125));
    }
    if (!(a.rleH[i] > 0) || !(a.rleW[i] > 0)) flags |= A_RLE_BAD;
    else if (sum >= 0 && sum !== a.rleH[i] * a.rleW[i]) flags |= A_RLE_BAD;
    return flags;
  }
  if (c === 110 && cur.word("null")) return 0;
  cur.skip();
  return A_SEG_BAD;
}

function readCategories(cur: JsonCursor, idx: CocoIndex): void {
  const where = cur.where();
  const v = cur.value();
  if (!Array.isArray(v)) {
    idx.structural.push(`"categories" is not an array (at ${where})`);
    return;
  }
  v.forEach((c, index) => {
    if (!c || typeof c !== "object") {
      idx.structural.push(`categories[${index}] is not an object`);
      return;
    }
    const r = c as Record<string, unknown>;
    const id = typeof r.id === "number" ? r.id : Number(r.id);
    if (!Number.isFinite(id)) {
      idx.structural.push(`categories[${index}] has no numeric "id"`);
      return;
    }
    idx.categories.push({
      id,
      name: typeof r.name === "string" ? r.name : String(r.name ?? id),
      supercategory: typeof r.supercategory === "string" ? r.supercategory : undefined,
      index,
    });
  });
}

/** Re-reads one annotation as a plain object, from the byte range kept in the index. */
export function annotationObject(buf: Uint8Array, a: AnnCols, i: number): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(buf.subarray(a.start[i], a.end[i])));
}
