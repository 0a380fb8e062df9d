import type { Sample } from "@/lib/data/samples.ts";
import { classColor } from "@/lib/data/colors.ts";
import { placeCaptions } from "@/lib/image/label_box.ts";

interface Props {
  sample: Sample;
  /** COCO image id or file path (for test hooks). */
  image: number | string;
  /** Drawing size in image pixels. */
  width: number;
  height: number;
  /** Show class names on boxes. */
  labels: boolean;
  /** Opacity of masks (semantic overlay and RLE). */
  opacity: number;
  /** Annotation ids named by a problem: outlined in red. */
  flagged: Set<number | undefined>;
  /** Class name of an id. */
  name: (id: number) => string;
  /**
   * Colour of a class id: `datasetClassColor(format, classIds)` from lib/data/colors.ts, so a
   * COCO category is drawn in the colour the model's predictions of it get. Without it the id
   * is taken as the class index.
   */
  color?: (id: number) => string;
  /** The image's natural size, when the sample did not carry one. */
  onSize: (w: number, h: number) => void;
}

/** An RLE mask (column-major runs, 0s first) as a PNG data URL in the class colour. */
function rleImage(rle: { counts: number[]; size: [number, number] }, color: string): string | null {
  const [h, w] = rle.size;
  if (!(h > 0 && w > 0) || typeof document === "undefined") return null;
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  const ctx = c.getContext("2d")!;
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
  const img = ctx.createImageData(w, h);
  let i = 0;
  rle.counts.forEach((n, k) => {
    if (k % 2 === 1) {
      for (let j = i; j < i + n && j < w * h; j++) {
        const o = ((j % h) * w + Math.floor(j / h)) * 4;
        img.data[o] = r;
        img.data[o + 1] = g;
        img.data[o + 2] = b;
        img.data[o + 3] = 255;
      }
    }
    i += n;
  });
  ctx.putImageData(img, 0, 0);
  return c.toDataURL("image/png");
}

const fileUrl = (p: string, overlay = false) =>
  `/api/data/file?path=${encodeURIComponent(p)}${overlay ? "&overlay=mask" : ""}`;

/**
 * Where each box's class name goes: above the box (inside it at the image's top edge), never
 * past the picture's edges, and moved off the names placed before it. SVG text is not measured
 * before it is drawn: its width is estimated. Keyed by annotation index.
 */
function labelPlaces(
  sample: Sample,
  name: (id: number) => string,
  font: number,
  width: number,
  height: number,
): Map<number, { x: number; y: number }> {
  const boxed = sample.annotations.flatMap((a, i) => (a.bbox ? [{ a, i }] : []));
  const h = font * 1.25;
  const wanted = boxed.map(({ a }) => ({
    x: a.bbox![0],
    y: a.bbox![1],
    w: name(a.category_id).length * font * 0.6 + 4,
    h,
  }));
  const at = placeCaptions(wanted, width, height);
  return new Map(boxed.map(({ i }, k) => [i, at[k]]));
}

/** A box's class name at its place (`labelPlaces`). */
function BoxLabel(
  { at, font, text, c }: { at: { x: number; y: number }; font: number; text: string; c: string },
) {
  return (
    <text
      x={at.x + 2}
      y={at.y + font}
      fill="white"
      stroke={c}
      stroke-width="3"
      paint-order="stroke"
      font-size={font}
    >
      {text}
    </text>
  );
}

/** The image with its boxes, polygons, RLE and semantic masks in class colours, as SVG. */
export function SampleDrawing(
  { sample, image, width, height, labels, opacity, flagged, name, color = classColor, onSize }:
    Props,
) {
  const font = Math.max(10, width / 50);
  const places = labels ? labelPlaces(sample, name, font, width, height) : new Map();
  return (
    <svg
      viewBox={`0 0 ${width} ${height}`}
      class="w-full h-auto bg-slate-100 rounded"
      data-image={String(image)}
    >
      {sample.file && !sample.broken && (
        <image
          href={fileUrl(sample.file)}
          x="0"
          y="0"
          width={width}
          height={height}
          onLoad={(e) => {
            const el = e.target as SVGImageElement;
            if (!sample.width) onSize(el.getBBox().width, el.getBBox().height);
          }}
        />
      )}
      {sample.mask && (
        <image
          href={fileUrl(sample.mask, true)}
          x="0"
          y="0"
          width={width}
          height={height}
          opacity={opacity}
        />
      )}
      {sample.annotations.map((a, i) => {
        const c = color(a.category_id);
        return (
          <g
            key={i}
            data-annotation={a.id}
            data-category={a.category_id}
            data-problem={flagged.has(a.id) ? "" : undefined}
          >
            {a.rle && (
              <image
                href={rleImage(a.rle, c) ?? ""}
                x="0"
                y="0"
                width={width}
                height={height}
                opacity={opacity}
                preserveAspectRatio="none"
              />
            )}
            {a.polygons?.map((p, j) => (
              <polygon
                key={j}
                points={p.join(" ")}
                fill={c}
                fill-opacity={0.25}
                stroke={c}
                stroke-width={Math.max(1, width / 400)}
              />
            ))}
            {a.bbox && (
              <rect
                x={a.bbox[0]}
                y={a.bbox[1]}
                width={Math.max(0, a.bbox[2])}
                height={Math.max(0, a.bbox[3])}
                fill="none"
                stroke={flagged.has(a.id) ? "#dc2626" : c}
                stroke-width={Math.max(1.5, width / 300) * (flagged.has(a.id) ? 2 : 1)}
                stroke-dasharray={flagged.has(a.id)
                  ? "3 2"
                  : a.rle || a.iscrowd
                  ? "6 4"
                  : undefined}
              />
            )}
            {labels && places.has(i) && (
              <BoxLabel at={places.get(i)!} font={font} text={name(a.category_id)} c={c} />
            )}
          </g>
        );
      })}
    </svg>
  );
}
