import { imageUrl } from "@/components/evaluation/AnnotatedImage.tsx";
import { When } from "@/components/registry/parts.tsx";
import { classColor } from "@/lib/data/colors.ts";
import type { SmokeResult as Result } from "@/lib/serving/smoke.ts";

/**
 * A smoke test's answer drawn on the image it sent (server-side SVG): detection boxes with names
 * and scores, the top-k classes, or the returned class mask as a translucent overlay; beside it
 * the latency measured by the app and the raw JSON.
 */
export function SmokeResult({ r }: { r: Result }) {
  const w = r.image.width || 100, h = r.image.height || 100;
  const long = Math.max(w, h);
  const stroke = Math.max(1, Math.round(long / 200));
  const font = Math.max(3, Math.round(long / 16));
  const o = r.overlay;
  return (
    <div class="grid items-start gap-4 md:grid-cols-2" data-smoke={r.id} data-ok={String(r.ok)}>
      <figure class="rounded border border-slate-200 bg-white p-1">
        <svg
          viewBox={`0 0 ${w} ${h}`}
          class="w-full h-auto bg-slate-100"
          role="img"
          aria-label={`${r.image.fileName}: ${describe(r)}`}
          data-overlay={o?.kind ?? "none"}
        >
          <image
            href={imageUrl(r.image.path, w)}
            x="0"
            y="0"
            width={w}
            height={h}
            class={long < 256 ? "[image-rendering:pixelated]" : undefined}
          />
          {o?.maskPath && (
            <image
              href={`/api/data/file?${new URLSearchParams({ path: o.maskPath, overlay: "mask" })}`}
              x="0"
              y="0"
              width={w}
              height={h}
              opacity="0.6"
              preserveAspectRatio="none"
              data-kind="mask"
            />
          )}
          {o?.boxes.map((b, i) => (
            <g key={i} data-kind="box">
              <rect
                x={b.x}
                y={b.y}
                width={Math.max(0, b.w)}
                height={Math.max(0, b.h)}
                fill="none"
                stroke={classColor(i + 1)}
                stroke-width={stroke}
              />
              <text
                x={b.x + 1}
                y={Math.max(font, b.y - 1)}
                font-size={font}
                paint-order="stroke"
                stroke="#ffffff"
                stroke-width={font / 5}
                fill={classColor(i + 1)}
              >
                {`${b.label} ${b.score.toFixed(2)}`}
              </text>
            </g>
          ))}
          {o && o.topK.length > 0 && (
            <g data-kind="top-k">
              <rect
                x="0"
                y="0"
                width={w}
                height={font * 1.25 * Math.min(o.topK.length, 5) + font * 0.5}
                fill="#0f172a"
                opacity="0.6"
              />
              {o.topK.slice(0, 5).map((t, i) => (
                <text
                  key={i}
                  x={font * 0.4}
                  y={font * 1.25 * (i + 1)}
                  font-size={font}
                  fill={i === 0 ? "#ffffff" : "#cbd5e1"}
                  font-weight={i === 0 ? "700" : "400"}
                >
                  {`${t.label} ${(t.score * 100).toFixed(1)}%`}
                </text>
              ))}
            </g>
          )}
        </svg>
        <figcaption class="text-xs text-slate-600 mt-1 break-all">
          {r.image.source === "uploaded" ? `${r.image.fileName} (uploaded)` : r.image.source}
        </figcaption>
      </figure>
      <div class="space-y-2 text-sm">
        {r.ok
          ? (
            <p
              role="status"
              class="rounded-md border border-green-200 bg-green-50 px-3 py-2 text-green-800"
            >
              Answered in <strong data-latency>{r.latencyMs.toFixed(1)} ms</strong>{" "}
              (measured by the app around the call){r.coldStart ? ", a cold start" : ""}.
            </p>
          )
          : (
            <p
              role="alert"
              class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-red-800"
            >
              Failed after {r.latencyMs.toFixed(1)} ms: {r.error}
            </p>
          )}
        <dl class="grid grid-cols-3 gap-y-1">
          <dt class="text-slate-500">Sent to</dt>
          <dd class="col-span-2 font-mono text-xs">
            {r.target.model} v{r.target.version}
            {r.servedEntity && (
              <span class="text-slate-600">{` · answered by ${r.servedEntity}`}</span>
            )}
          </dd>
          <dt class="text-slate-500">Result</dt>
          <dd class="col-span-2">{describe(r)}</dd>
          <dt class="text-slate-500">Params</dt>
          <dd class="col-span-2 font-mono text-xs">
            {Object.keys(r.params).length ? JSON.stringify(r.params) : "none (model defaults)"}
          </dd>
          <dt class="text-slate-500">When</dt>
          <dd class="col-span-2">
            <When ms={r.at} /> by {r.who}
          </dd>
        </dl>
        {r.response !== undefined && (
          <details open>
            <summary class="cursor-pointer text-blue-700">Raw JSON answer</summary>
            <pre
              class="mt-1 max-h-72 overflow-auto rounded bg-slate-900 p-3 text-xs text-slate-100"
              data-raw
            >{JSON.stringify(r.response, null, 2)}</pre>
          </details>
        )}
      </div>
    </div>
  );
}

function describe(r: Result): string {
  const o = r.overlay;
  if (!r.ok || !o) return r.error ?? "no answer";
  if (o.kind === "detection") {
    return `${o.boxes.length} detection${o.boxes.length === 1 ? "" : "s"}` +
      (o.boxes[0] ? `, best ${o.boxes[0].label} ${o.boxes[0].score.toFixed(2)}` : "");
  }
  if (o.kind === "classification") {
    const t = o.topK[0];
    return t ? `top class ${t.label} (${(t.score * 100).toFixed(1)}%)` : "no classes";
  }
  if (o.kind === "segmentation") return `mask with classes ${o.classes?.join(", ") || "—"}`;
  return "an answer not in the serving contract's form";
}
