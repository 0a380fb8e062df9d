import type { DrawnBox, ImageDetail } from "@/lib/evaluation/images.ts";
import { placeLabels } from "@/lib/image/label_box.ts";

const VERDICT_COLOR: Record<string, string> = {
  tp: "#0284c7",
  cls: "#dc2626",
  loc: "#ea580c",
  both: "#b91c1c",
  dupe: "#9333ea",
  bkg: "#db2777",
};
const GT_COLOR = "#16a34a";

/** The image URL through the volume file route (a scaled copy for large images). */
export function imageUrl(path: string, width: number): string {
  const q = new URLSearchParams({ path });
  if (width > 640) q.set("thumb", "512");
  return `/api/data/file?${q}`;
}

interface Placed {
  box: DrawnBox;
  gt: boolean;
  /** In the confusion cell being shown. */
  inCell: boolean;
  text: string;
  color: string;
  x: number;
  /** Text baseline. */
  y: number;
}

/**
 * Label positions that do not cover each other (lib/image/label_box.ts `placeLabels`): a
 * prediction's label sits above its box, a ground truth's inside its bottom edge, each kept
 * inside the picture; `items` come by priority, the first keep their natural place. `y` is the
 * text's baseline.
 */
function placeItems(items: Omit<Placed, "x" | "y">[], font: number, w: number, h: number) {
  const wanted = items.map((it) => {
    const [bx, by, , bh] = it.box.bbox;
    const tw = it.text.length * font * 0.58;
    const baseline = it.gt ? Math.min(h - 1, by + bh - 2) : Math.max(font, by - 1);
    return { x: Math.max(0, Math.min(bx + 1, w - tw)), y: baseline - font, w: tw, h: font };
  });
  return placeLabels(wanted, h).map((p, i) => ({ ...items[i], x: p.x, y: p.y + font }));
}

/**
 * An image with its ground truth (green, solid) and predictions (dashed; blue when correct,
 * other colours by error type) drawn over it in SVG. With `cell` ("row,col" of the confusion
 * matrix), the boxes that cell counts are drawn in front, thicker, labelled with the matrix's
 * verdict; the others are dimmed behind them. Without it, predictions carry TIDE's verdict.
 */
export function AnnotatedImage(
  { image, cell, caption }: { image: ImageDetail; cell?: string; caption?: string },
) {
  const w = image.width || 100, h = image.height || 100;
  const stroke = Math.max(1, Math.round(Math.max(w, h) / 200));
  const font = Math.max(6, Math.round(Math.max(w, h) / 22));
  const inCell = (b: DrawnBox) => cell !== undefined && b.confusion?.cell === cell;
  const verdictOf = (b: DrawnBox) =>
    (cell !== undefined ? b.confusion?.verdict : undefined) ?? b.verdict ?? "tp";
  const items = [
    ...image.gt.map((g) => ({
      box: g,
      gt: true,
      inCell: inCell(g),
      text: g.label + (inCell(g) && g.confusion?.verdict === "missed" ? " missed" : ""),
      color: GT_COLOR,
    })),
    ...image.dt.map((d) => {
      const v = verdictOf(d);
      return {
        box: d,
        gt: false,
        inCell: inCell(d),
        text: `${d.label} ${(d.score ?? 0).toFixed(2)}${v !== "tp" ? ` ${v}` : ""}`,
        color: VERDICT_COLOR[v] ?? VERDICT_COLOR.tp,
      };
    }),
  ];
  // priority for label space: the cell's predictions, its ground truth, then the rest
  const rank = (it: { gt: boolean; inCell: boolean }) => (it.inCell ? 0 : 2) + (it.gt ? 1 : 0);
  const placed = placeItems(
    items.map((it, i) => ({ it, i })).sort((a, b) => rank(a.it) - rank(b.it) || a.i - b.i)
      .map((x) => x.it),
    font,
    w,
    h,
  );
  const dim = cell !== undefined;
  return (
    <figure class="rounded border border-slate-200 bg-white p-1" data-image-id={image.id}>
      <svg
        viewBox={`0 0 ${w} ${h}`}
        class="w-full h-auto bg-slate-100"
        role="img"
        aria-label={`${image.fileName}: ${image.gt.length} ground truth, ${image.dt.length} predictions`}
      >
        {image.path && <image href={imageUrl(image.path, w)} x="0" y="0" width={w} height={h} />}
        {/* drawn back to front: the highest priority last, on top */}
        {[...placed].reverse().map((p, i) => (
          <g
            key={i}
            opacity={dim && !p.inCell ? "0.35" : "1"}
            data-in-cell={p.inCell ? "" : undefined}
          >
            <rect
              x={p.box.bbox[0]}
              y={p.box.bbox[1]}
              width={p.box.bbox[2]}
              height={p.box.bbox[3]}
              fill="none"
              stroke={p.color}
              stroke-width={p.inCell ? stroke * 2 : stroke}
              stroke-dasharray={p.gt ? undefined : `${stroke * 3} ${stroke * 2}`}
              data-kind={p.gt ? "gt" : "dt"}
              data-verdict={p.gt ? p.box.confusion?.verdict : verdictOf(p.box)}
            />
            <text
              x={p.x}
              y={p.y}
              font-size={font}
              paint-order="stroke"
              stroke="#ffffff"
              stroke-width={font / 5}
              fill={p.color}
            >
              {p.text}
            </text>
          </g>
        ))}
      </svg>
      <figcaption class="text-xs text-slate-600 mt-1 truncate" title={image.fileName}>
        {caption ?? image.fileName}
      </figcaption>
    </figure>
  );
}

/** The legend of the drawing colours. */
export function BoxLegend() {
  const items: [string, string][] = [
    ["ground truth", "bg-green-600"],
    ["correct prediction", "bg-sky-600"],
    ["wrong class", "bg-red-600"],
    ["poor box", "bg-orange-600"],
    ["duplicate", "bg-purple-600"],
    ["background", "bg-pink-600"],
  ];
  return (
    <ul class="flex flex-wrap gap-3 text-xs text-slate-600">
      {items.map(([label, c]) => (
        <li key={label} class="flex items-center gap-1">
          <span class={`inline-block w-3 h-3 rounded-sm ${c}`} />
          {label}
        </li>
      ))}
    </ul>
  );
}
