import type { ImageDetail } from "@/lib/evaluation/images.ts";

const VERDICT_COLOR: Record<string, string> = {
  tp: "#0284c7",
  cls: "#dc2626",
  loc: "#ea580c",
  both: "#b91c1c",
  dupe: "#9333ea",
  bkg: "#db2777",
};

/** The image URL through the volume file route (a scaled copy for large images). */
export function imageUrl(path: string, width: number): string {
  const q = new URLSearchParams({ path });
  if (width > 640) q.set("thumb", "512");
  return `/api/data/file?${q}`;
}

/**
 * An image with its ground truth (green, solid) and predictions (dashed; blue when correct,
 * other colours by error type) drawn over it in SVG. `focus` dims boxes of other classes.
 */
export function AnnotatedImage(
  { image, focus, caption }: {
    image: ImageDetail;
    focus?: { gt?: number; dt?: number };
    caption?: string;
  },
) {
  const w = image.width || 100, h = image.height || 100;
  const stroke = Math.max(1, Math.round(Math.max(w, h) / 200));
  const font = Math.max(6, Math.round(Math.max(w, h) / 22));
  const dim = (on: boolean) => (on ? "1" : "0.35");
  return (
    <figure class="rounded border border-slate-200 bg-white p-1" data-image-id={image.id}>
      <svg
        viewBox={`0 0 ${w} ${h}`}
        class="w-full h-auto bg-slate-100"
        role="img"
        aria-label={`${image.fileName}: ${image.gt.length} ground truth, ${image.dt.length} predictions`}
      >
        {image.path && <image href={imageUrl(image.path, w)} x="0" y="0" width={w} height={h} />}
        {image.gt.map((g, i) => (
          <g key={`g${i}`} opacity={dim(focus?.gt === undefined || g.categoryId === focus.gt)}>
            <rect
              x={g.bbox[0]}
              y={g.bbox[1]}
              width={g.bbox[2]}
              height={g.bbox[3]}
              fill="none"
              stroke="#16a34a"
              stroke-width={stroke}
              data-kind="gt"
            />
            <text
              x={g.bbox[0] + 1}
              y={g.bbox[1] + g.bbox[3] - 2}
              font-size={font}
              paint-order="stroke"
              stroke="#ffffff"
              stroke-width={font / 5}
              fill="#16a34a"
            >
              {g.label}
            </text>
          </g>
        ))}
        {image.dt.map((d, i) => (
          <g key={`d${i}`} opacity={dim(focus?.dt === undefined || d.categoryId === focus.dt)}>
            <rect
              x={d.bbox[0]}
              y={d.bbox[1]}
              width={d.bbox[2]}
              height={d.bbox[3]}
              fill="none"
              stroke={VERDICT_COLOR[d.verdict ?? "tp"] ?? "#0284c7"}
              stroke-width={stroke}
              stroke-dasharray={`${stroke * 3} ${stroke * 2}`}
              data-kind="dt"
              data-verdict={d.verdict}
            />
            <text
              x={d.bbox[0] + 1}
              y={Math.max(font, d.bbox[1] - 1)}
              font-size={font}
              paint-order="stroke"
              stroke="#ffffff"
              stroke-width={font / 5}
              fill={VERDICT_COLOR[d.verdict ?? "tp"] ?? "#0284c7"}
            >
              {`${d.label} ${(d.score ?? 0).toFixed(2)}${
                d.verdict && d.verdict !== "tp" ? ` ${d.verdict}` : ""
              }`}
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
