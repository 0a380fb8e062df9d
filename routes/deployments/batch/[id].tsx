import { Badge } from "@/components/Badge.tsx";
import { Page } from "@/components/Page.tsx";
import { getBatch } from "@/lib/serving/batch/records.ts";
import { parquetState, readResults, type ResultsPage } from "@/lib/serving/batch/results.ts";
import {
  batchContext,
  cancelBatch,
  describeInput,
  describeOutput,
  refreshBatch,
  resumeBatch,
} from "@/lib/serving/batch/service.ts";
import {
  BATCH_PHASE_LABELS,
  BATCH_TERMINAL,
  type BatchRecord,
  formatEta,
} from "@/lib/serving/batch/types.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";
import { BatchActions } from "./index.tsx";

interface Data {
  batch: BatchRecord;
  results: ResultsPage;
  errorsOnly: boolean;
}

const PAGE = 24;

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const { ws } = batchContext(ctx.state);
    const batch = await refreshBatch(ws, await getBatch(ctx.params.id));
    const q = ctx.url.searchParams;
    const errorsOnly = q.get("errors") === "1";
    const results = await readResults(ws, batch, {
      offset: Math.max(0, Number(q.get("offset")) || 0),
      limit: PAGE,
      errorsOnly,
    });
    return ctx.render({ batch, results, errorsOnly });
  },
  async POST(req, ctx) {
    const action = (await readForm(req)).get("action");
    const bctx = batchContext(ctx.state);
    if (action === "cancel") await cancelBatch(bctx, ctx.params.id);
    else if (action === "resume") await resumeBatch(bctx, ctx.params.id);
    else throw new BadRequestError("action must be cancel or resume.");
    return ctx.redirect(`/deployments/batch/${encodeURIComponent(ctx.params.id)}`);
  },
};

/**
 * The result file's download: a JSONL file at any time; a Parquet file once the batch succeeded
 * (the job writes it at the end), and before that, or after a failure, the rows so far as JSONL.
 */
function DownloadLinks({ batch: b }: { batch: BatchRecord }) {
  const href = `/api/batch/${encodeURIComponent(b.id)}/download`;
  const a = "text-blue-700 hover:underline";
  const parquet = parquetState(b);
  if (!parquet) {
    return (
      <>
        {" "}
        <a class={a} href={href}>download</a>
      </>
    );
  }
  return (
    <>
      {" "}
      {parquet === "ready" && <a class={a} href={href}>download</a>}
      {parquet === "ready" ? " · " : ""}
      <a class={a} href={`${href}?so_far=1`} data-download="so-far">
        {parquet === "ready" ? "as JSONL" : "rows so far (JSONL)"}
      </a>
      {parquet !== "ready" && (
        <span class="text-slate-500">
          {parquet === "missing"
            ? ` · no Parquet file: the batch ${b.status}`
            : " · the Parquet file is written when the batch ends"}
        </span>
      )}
    </>
  );
}

/** One batch: live progress, results as a gallery with overlays and as a table, download. */
export default function BatchDetail({ data }: PageProps<Data>) {
  const { batch: b, results: r } = data;
  const p = b.progress;
  const active = !BATCH_TERMINAL.has(b.status);
  const id = encodeURIComponent(b.id);
  // Images are served from the batch's input folder; a Delta table's are not.
  const photos = b.input.kind === "folder";
  const link = (offset: number) =>
    `/deployments/batch/${id}?offset=${offset}${data.errorsOnly ? "&errors=1" : ""}`;
  return (
    <Page
      title={b.name}
      crumbs={[
        { label: "Deployment", href: "/deployments" },
        { label: "Batch inference", href: "/deployments/batch" },
      ]}
      description={`${b.model} v${b.version}${b.endpoint ? ` (endpoint ${b.endpoint})` : ""} · ${
        b.runner === "app" ? "run by this app (onnxruntime, CPU)" : "jobs/batch_infer.py as a job"
      }`}
      actions={<BatchActions batch={b} />}
    >
      {/* Refreshes itself while it runs, with or without JavaScript. */}
      {active && <meta http-equiv="refresh" content="3" />}
      <dl class="mb-6 grid grid-cols-2 gap-x-6 gap-y-1 text-sm md:grid-cols-4">
        <dt class="text-slate-500">State</dt>
        <dd>
          <Badge tone={b.status === "succeeded" ? "green" : b.status === "failed" ? "red" : "blue"}>
            {BATCH_PHASE_LABELS[b.phase] ?? b.phase}
          </Badge>
        </dd>
        <dt class="text-slate-500">Images</dt>
        <dd>
          {p ? `${p.done} of ${p.total ?? "?"}` : "—"}
          {p?.skipped ? ` (${p.skipped} from before the resume)` : ""}
        </dd>
        <dt class="text-slate-500">Errors</dt>
        <dd>{p?.errors ?? 0}</dd>
        <dt class="text-slate-500">ETA</dt>
        <dd>
          {active ? formatEta(p?.etaSeconds) : "—"}
          {p?.imagesPerSecond ? ` · ${p.imagesPerSecond} img/s` : ""}
        </dd>
        <dt class="text-slate-500">Input</dt>
        <dd class="col-span-3 break-all">{describeInput(b)}</dd>
        <dt class="text-slate-500">Output</dt>
        <dd class="col-span-3 break-all">
          {describeOutput(b)}
          {b.output.kind === "file" && <DownloadLinks batch={b} />}
        </dd>
        {b.message && (
          <>
            <dt class="text-slate-500">Note</dt>
            <dd class="col-span-3">{b.message}</dd>
          </>
        )}
        <dt class="text-slate-500">Command</dt>
        <dd class="col-span-3 break-all font-mono text-xs">{b.command.join(" ")}</dd>
      </dl>
      {p?.total ? <progress class="mb-6 w-full" max={p.total} value={p.done} /> : null}
      <h2 class="mb-2 text-sm font-semibold">
        Results ({r.total}
        {data.errorsOnly ? " with errors" : ""}, {r.errors} errors){" "}
        <a
          class="text-xs font-normal text-blue-700"
          href={data.errorsOnly ? `/deployments/batch/${id}` : `/deployments/batch/${id}?errors=1`}
        >
          {data.errorsOnly ? "show all" : "errors only"}
        </a>
      </h2>
      {r.note && <p class="text-sm text-slate-500">{r.note}</p>}
      <div class="mb-6 grid grid-cols-2 gap-3 md:grid-cols-4">
        {r.rows.map((row) => (
          <figure key={row.path} class="rounded border border-slate-200 bg-white p-1">
            {/* The photo, and the prediction over it; the overlay sizes the box to the image. */}
            <div class="relative" data-result-image>
              {photos && (
                <img
                  src={`/api/batch/${id}/image?path=${encodeURIComponent(row.path)}`}
                  alt=""
                  loading="lazy"
                  class="absolute inset-0 h-full w-full"
                  data-photo
                />
              )}
              <img
                src={`/api/batch/${id}/overlay?path=${encodeURIComponent(row.path)}`}
                alt={`${row.path.split("/").pop()} with its prediction`}
                loading="lazy"
                class="relative block w-full"
                data-overlay
              />
            </div>
            <figcaption class="truncate text-[11px] text-slate-600" title={row.path}>
              {row.path.split("/").pop()}
            </figcaption>
          </figure>
        ))}
      </div>
      {r.rows.length > 0 && (
        <table class="w-full text-left text-xs">
          <thead class="text-slate-500">
            <tr>
              <th>Image</th>
              <th>Prediction</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {r.rows.map((row) => (
              <tr key={row.path} class="border-t border-slate-100 align-top">
                <td class="break-all py-1">{row.path}</td>
                <td>{summary(row.prediction)}</td>
                <td class="text-red-700">{row.error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="mt-3 flex gap-3 text-sm">
        {r.offset > 0 && <a href={link(Math.max(0, r.offset - PAGE))}>← previous</a>}
        {r.offset + PAGE < r.total && <a href={link(r.offset + PAGE)}>next →</a>}
      </nav>
    </Page>
  );
}

function summary(p: unknown): string {
  if (!p || typeof p !== "object") return "";
  const o = p as Record<string, unknown>;
  if (Array.isArray(o.top_k)) {
    return (o.top_k as { label_name: string; score: number }[]).slice(0, 3)
      .map((t) => `${t.label_name} ${(t.score * 100).toFixed(1)}%`).join(", ");
  }
  if (Array.isArray(o.boxes)) {
    const names = (o.label_names as string[]) ?? [];
    return `${o.boxes.length} boxes${names.length ? `: ${[...new Set(names)].join(", ")}` : ""}`;
  }
  if (Array.isArray(o.classes)) {
    return `mask ${o.width}×${o.height}, classes ${o.classes.join(", ")}`;
  }
  return "";
}
