import { useEffect, useRef, useState } from "preact/hooks";
import type { Sample } from "@/lib/data/samples.ts";
import type { ClassStat, Problem } from "@/lib/data/types.ts";
import { classColor } from "@/lib/data/colors.ts";

interface Props {
  /** Scan the sample belongs to. */
  scanId: string;
  split: string;
  /** COCO image id or file path. */
  image: number | string;
  classes: ClassStat[];
  /** Problems of this image, listed under it. */
  problems: Problem[];
  onClose: () => void;
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
  let i = 0;
  rle.counts.forEach((n, k) => {
    if (k % 2 === 1) {
      for (let j = i; j < i + n; j++) ctx.fillRect(Math.floor(j / h), j % h, 1, 1);
    }
    i += n;
  });
  return c.toDataURL("image/png");
}

const fileUrl = (p: string, overlay = false) =>
  `/api/data/file?path=${encodeURIComponent(p)}${overlay ? "&overlay=mask" : ""}`;

/** A large view of one image with boxes, polygons and masks drawn in class colours. */
export function SampleViewer({ scanId, split, image, classes, problems, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    // a modal <dialog> sits in the top layer: no positioning CSS, Escape closes it
    if (dialog.current && !dialog.current.open) dialog.current.showModal();
  }, []);
  const [sample, setSample] = useState<Sample | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [labels, setLabels] = useState(true);
  const [opacity, setOpacity] = useState(0.6);
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const load = async () => {
    setError(null);
    try {
      const res = await fetch(
        `/api/data/scans/${scanId}/samples?split=${encodeURIComponent(split)}&image=${
          encodeURIComponent(String(image))
        }`,
      );
      const body = await res.json();
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
      setSample(body);
    } catch (e) {
      setError(`Could not load the sample: ${e instanceof Error ? e.message : e}`);
    }
  };
  useEffect(() => void load(), [scanId, split, String(image)]);
  const name = (id: number) => classes.find((c) => c.id === id)?.name ?? `class ${id}`;
  const W = sample?.width || size?.w || 100, H = sample?.height || size?.h || 100;
  // annotations named by a problem are outlined in red
  const bad = new Set<number | undefined>(
    problems.map((p) => p.annotation_id).filter((id) => id !== undefined),
  );
  const used = [...new Set(sample?.annotations.map((a) => a.category_id) ?? [])];
  if (sample?.label !== undefined) used.push(sample.label);
  return (
    <dialog
      ref={dialog}
      aria-label="Sample"
      class="rounded-lg shadow-xl w-full max-w-5xl p-0 backdrop:bg-slate-900/60"
      data-sample-viewer
      onClose={onClose}
    >
      <div class="bg-white rounded-lg p-4">
        <div class="flex items-center justify-between mb-3 gap-3">
          <h2 class="font-semibold text-slate-900 truncate">{sample?.file ?? String(image)}</h2>
          <div class="flex items-center gap-3 text-sm">
            <label class="flex items-center gap-1">
              <input
                type="checkbox"
                checked={labels}
                onChange={(e) => setLabels((e.target as HTMLInputElement).checked)}
              />{" "}
              labels
            </label>
            {(sample?.mask || sample?.annotations.some((a) => a.rle)) && (
              <label class="flex items-center gap-1">
                mask opacity{" "}
                <input
                  type="range"
                  min="0"
                  max="1"
                  step="0.05"
                  value={opacity}
                  onInput={(e) => setOpacity(Number((e.target as HTMLInputElement).value))}
                />
              </label>
            )}
            <button
              type="button"
              class="rounded border border-slate-300 px-3 py-1 hover:bg-slate-50"
              onClick={onClose}
            >
              Close
            </button>
          </div>
        </div>
        {error && (
          <p role="alert" class="mb-3 rounded bg-red-50 px-3 py-2 text-sm text-red-800">
            {error} <button type="button" class="underline" onClick={load}>Retry</button>
          </p>
        )}
        {sample && !sample.file && (
          <p class="text-sm text-amber-800 bg-amber-50 rounded px-3 py-2 mb-2">
            The images folder was not found, so only the annotations are drawn.
          </p>
        )}
        {sample && (
          <div class="grid grid-cols-1 md:grid-cols-[1fr_16rem] gap-4">
            <svg
              viewBox={`0 0 ${W} ${H}`}
              class="w-full h-auto bg-slate-100 rounded"
              data-image={String(image)}
            >
              {sample.file && !sample.broken && (
                <image
                  href={fileUrl(sample.file)}
                  x="0"
                  y="0"
                  width={W}
                  height={H}
                  onLoad={(e) => {
                    const el = e.target as SVGImageElement;
                    if (!sample.width) setSize({ w: el.getBBox().width, h: el.getBBox().height });
                  }}
                />
              )}
              {sample.mask && (
                <image
                  href={fileUrl(sample.mask, true)}
                  x="0"
                  y="0"
                  width={W}
                  height={H}
                  opacity={opacity}
                />
              )}
              {sample.annotations.map((a, i) => {
                const c = classColor(a.category_id);
                return (
                  <g
                    key={i}
                    data-annotation={a.id}
                    data-category={a.category_id}
                    data-problem={bad.has(a.id) ? "" : undefined}
                  >
                    {a.rle && (
                      <image
                        href={rleImage(a.rle, c) ?? ""}
                        x="0"
                        y="0"
                        width={W}
                        height={H}
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
                        stroke-width={Math.max(1, W / 400)}
                      />
                    ))}
                    {a.bbox && (
                      <rect
                        x={a.bbox[0]}
                        y={a.bbox[1]}
                        width={Math.max(0, a.bbox[2])}
                        height={Math.max(0, a.bbox[3])}
                        fill="none"
                        stroke={bad.has(a.id) ? "#dc2626" : c}
                        stroke-width={Math.max(1.5, W / 300) * (bad.has(a.id) ? 2 : 1)}
                        stroke-dasharray={bad.has(a.id)
                          ? "3 2"
                          : a.rle || a.iscrowd
                          ? "6 4"
                          : undefined}
                      />
                    )}
                    {labels && a.bbox && (
                      <text
                        x={a.bbox[0] + 2}
                        y={a.bbox[1] + Math.max(10, W / 50)}
                        fill="white"
                        stroke={c}
                        stroke-width="3"
                        paint-order="stroke"
                        font-size={Math.max(10, W / 50)}
                      >
                        {name(a.category_id)}
                      </text>
                    )}
                  </g>
                );
              })}
            </svg>
            <aside class="text-sm space-y-3">
              <div>
                <h3 class="font-semibold text-slate-800 mb-1">Legend</h3>
                <ul class="space-y-1">
                  {used.map((id) => (
                    <li key={id} class="flex items-center gap-2">
                      <svg width="12" height="12" aria-hidden="true">
                        <rect width="12" height="12" fill={classColor(id)} />
                      </svg>
                      {name(id)}
                    </li>
                  ))}
                </ul>
              </div>
              {sample.annotations.length > 0 && (
                <div>
                  <h3 class="font-semibold text-slate-800 mb-1">
                    Annotations ({sample.annotations.length})
                  </h3>
                  <ul class="space-y-1 max-h-64 overflow-auto text-xs">
                    {sample.annotations.map((a, i) => (
                      <li key={i}>
                        #{a.id} {name(a.category_id)}{" "}
                        {a.bbox ? `[${a.bbox.map((v) => +v.toFixed(1)).join(", ")}]` : ""}
                        {a.rle ? " RLE mask" : ""}
                        {a.iscrowd ? " crowd" : ""}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
              {problems.length > 0 && (
                <div>
                  <h3 class="font-semibold text-red-800 mb-1">Problems ({problems.length})</h3>
                  <ul class="space-y-1 text-xs">
                    {problems.map((p, i) => (
                      <li key={i}>
                        <b>{p.code}</b>: {p.message}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </aside>
          </div>
        )}
      </div>
    </dialog>
  );
}
