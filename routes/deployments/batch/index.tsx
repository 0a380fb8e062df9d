import { Badge, type Tone } from "@/components/Badge.tsx";
import { Page } from "@/components/Page.tsx";
import { errorMessage, HttpError } from "@/lib/errors.ts";
import {
  APP_RUNNER_UNAVAILABLE,
  batchContext,
  describeInput,
  describeOutput,
  listFresh,
  startBatch,
} from "@/lib/serving/batch/service.ts";
import {
  BATCH_PHASE_LABELS,
  BATCH_TERMINAL,
  type BatchRecord,
  type BatchRequest,
  formatEta,
} from "@/lib/serving/batch/types.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  batches: BatchRecord[];
  models: string[];
  volume: string;
  /** The host can run a batch in the app's process (not on Deno Deploy). */
  appRunner: boolean;
  form: Record<string, string>;
  error?: string;
  fieldErrors: Record<string, string>;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    return ctx.render(await load(ctx.state, {}));
  },
  async POST(req, ctx) {
    const form = Object.fromEntries(
      [...(await readForm(req)).entries()].map(([k, v]) => [k, String(v)]),
    );
    try {
      const { batch } = await startBatch(batchContext(ctx.state), requestFrom(form));
      return ctx.redirect(`/deployments/batch/${encodeURIComponent(batch.id)}`);
    } catch (e) {
      if (!(e instanceof HttpError) || e.status >= 500) throw e;
      const fieldErrors: Record<string, string> = {};
      for (const d of (e as { details?: { path: string; message: string }[] }).details ?? []) {
        fieldErrors[d.path] = d.message;
      }
      return ctx.render(
        { ...(await load(ctx.state, form)), error: errorMessage(e), fieldErrors },
        { status: e.status },
      );
    }
  },
};

/** Start a batch job and follow every batch job with its progress. */
export default function BatchPage({ data }: PageProps<Data>) {
  const f = data.form;
  const input = "w-full rounded-md border border-slate-300 px-2 py-1 text-sm";
  const err = (k: string) =>
    data.fieldErrors[k] && <span class="text-xs text-red-700">{data.fieldErrors[k]}</span>;
  return (
    <Page
      title="Batch inference"
      crumbs={[{ label: "Deployment", href: "/deployments" }]}
      description="Run a registered version over a folder of images; results are appended per image, so a cancelled batch resumes where it stopped."
    >
      <section class="mb-8 rounded-lg border border-slate-200 bg-white p-4">
        <h2 class="mb-3 text-sm font-semibold">New batch</h2>
        {data.error && (
          <p role="alert" class="mb-3 rounded bg-red-50 p-2 text-sm text-red-800">{data.error}</p>
        )}
        <form method="post" class="grid gap-3 md:grid-cols-3">
          <label class="text-xs text-slate-600">
            Model (catalog.schema.model)
            <input name="model" list="lv-models" value={f.model ?? ""} class={input} />
            <datalist id="lv-models">
              {data.models.map((m) => <option key={m} value={m} />)}
            </datalist>
            {err("model")}
          </label>
          <label class="text-xs text-slate-600">
            Version
            <input name="version" value={f.version ?? ""} inputMode="numeric" class={input} />
            {err("version")}
          </label>
          <label class="text-xs text-slate-600">
            …or an endpoint (uses its main served version)
            <input name="endpoint" value={f.endpoint ?? ""} class={input} />
          </label>
          <label class="text-xs text-slate-600 md:col-span-2">
            Input: a volume folder of JPEG / PNG images (searched recursively)
            <input
              name="input_path"
              value={f.input_path ?? ""}
              placeholder={`${data.volume}/images`}
              class={input}
            />
            {err("input.path")}
          </label>
          <label class="text-xs text-slate-600">
            …or a Delta table (Databricks job runner)
            <input name="input_table" value={f.input_table ?? ""} class={input} />
            <span class="text-[11px] text-slate-500">
              path column <input name="path_column" value={f.path_column ?? "path"} class="w-20" />
              {" "}
              bytes column{" "}
              <input name="content_column" value={f.content_column ?? ""} class="w-20" />
            </span>
          </label>
          <label class="text-xs text-slate-600 md:col-span-2">
            Output file (.jsonl; .parquet with the job runner where pyarrow exists). Empty: in the
            batch folder
            <input
              name="output_path"
              value={f.output_path ?? ""}
              placeholder={`${data.volume}/batch/<id>/results.jsonl`}
              class={input}
            />
            {err("output.path")}
          </label>
          <label class="text-xs text-slate-600">
            …or a Delta table (Databricks job runner)
            <input name="output_table" value={f.output_table ?? ""} class={input} />
          </label>
          <label class="text-xs text-slate-600">
            Runs on
            <select name="runner" class={input}>
              {RUNNER_OPTIONS.filter(([v]) => v !== "app" || data.appRunner).map(([v, l]) => (
                <option key={v} value={v} selected={f.runner === v}>{l}</option>
              ))}
            </select>
            {!data.appRunner && (
              <span class="text-[11px] text-slate-500" data-testid="no-app-runner">
                {APP_RUNNER_UNAVAILABLE}
              </span>
            )}
            {err("runner")}
          </label>
          <label class="text-xs text-slate-600">
            Confidence threshold / top-k (empty: the model's defaults)
            <span class="flex gap-2">
              <input
                name="confidence_threshold"
                value={f.confidence_threshold ?? ""}
                class={input}
              />
              <input name="top_k" value={f.top_k ?? ""} class={input} />
            </span>
          </label>
          <label class="text-xs text-slate-600">
            Databricks job: existing cluster id, or node type + runtime
            <span class="flex gap-2">
              <input
                name="cluster_id"
                value={f.cluster_id ?? ""}
                placeholder="cluster id"
                class={input}
              />
              <input
                name="node_type"
                value={f.node_type ?? ""}
                placeholder="node type"
                class={input}
              />
              <input name="runtime" value={f.runtime ?? ""} placeholder="runtime" class={input} />
            </span>
          </label>
          <div class="md:col-span-3">
            <button
              type="submit"
              class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
            >
              Start batch
            </button>
          </div>
        </form>
      </section>
      <BatchTable batches={data.batches} />
    </Page>
  );
}

const RUNNER_OPTIONS = [
  ["auto", "automatic (this app locally, a job on Databricks)"],
  ["app", "this app (onnxruntime, CPU)"],
  ["job", "a workspace job (jobs/batch_infer.py)"],
] as const;

const TONES: Record<string, Tone> = {
  succeeded: "green",
  failed: "red",
  cancelled: "amber",
  running: "blue",
  queued: "slate",
  launching: "slate",
};

function BatchTable({ batches }: { batches: BatchRecord[] }) {
  if (!batches.length) {
    return <p class="text-sm text-slate-500">No batch inference jobs yet.</p>;
  }
  return (
    <table class="w-full text-left text-sm">
      <thead class="text-xs text-slate-500">
        <tr>
          <th>Batch</th>
          <th>Model</th>
          <th>Input → output</th>
          <th>State</th>
          <th>Progress</th>
          <th>ETA</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {batches.map((b) => {
          const p = b.progress;
          const pct = p?.total ? Math.round((p.done / p.total) * 100) : 0;
          return (
            <tr key={b.id} class="border-t border-slate-100 align-top">
              <td class="py-2">
                <a class="text-blue-700 hover:underline" href={`/deployments/batch/${b.id}`}>
                  {b.name}
                </a>
                <div class="text-xs text-slate-500">{b.id} · {b.runner}</div>
              </td>
              <td>{b.model} v{b.version}</td>
              <td class="text-xs">
                {describeInput(b)}
                <br />→ {describeOutput(b)}
              </td>
              <td>
                <Badge tone={TONES[b.status] ?? "slate"}>
                  {BATCH_PHASE_LABELS[b.phase] ?? b.phase}
                </Badge>
                {b.message && <div class="text-xs text-slate-500">{b.message}</div>}
              </td>
              <td>
                {p
                  ? (
                    <>
                      <progress max={100} value={pct} aria-label={`${pct}%`} />{" "}
                      <span class="text-xs">{p.done}/{p.total ?? "?"} · {p.errors} errors</span>
                    </>
                  )
                  : "—"}
              </td>
              <td class="text-xs">
                {BATCH_TERMINAL.has(b.status) ? "—" : formatEta(p?.etaSeconds)}
              </td>
              <td>
                <BatchActions batch={b} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Cancel (while it runs) or resume (once cancelled or failed), as plain form posts. */
export function BatchActions({ batch }: { batch: BatchRecord }) {
  const btn = "rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50";
  const action = `/deployments/batch/${encodeURIComponent(batch.id)}`;
  if (!BATCH_TERMINAL.has(batch.status)) {
    return (
      <form method="post" action={action}>
        <button type="submit" name="action" value="cancel" class={btn}>Cancel</button>
      </form>
    );
  }
  if (batch.status === "cancelled" || batch.status === "failed") {
    return (
      <form method="post" action={action}>
        <button type="submit" name="action" value="resume" class={btn}>Resume</button>
      </form>
    );
  }
  return null;
}

async function load(state: PageProps["state"], form: Record<string, string>): Promise<Data> {
  const ctx = batchContext(state);
  const models: string[] = [];
  try {
    for await (const m of ctx.ws.registry.listModels()) models.push(m.name);
  } catch { /* the form still works with a typed name */ }
  return {
    batches: await listFresh(ctx),
    models,
    volume: ctx.volume,
    appRunner: ctx.appRunner !== false,
    form,
    fieldErrors: {},
  };
}

function requestFrom(f: Record<string, string>): BatchRequest {
  const opt = (k: string) => f[k]?.trim() || undefined;
  const num = (k: string) => opt(k) === undefined ? undefined : Number(opt(k));
  return {
    model: opt("model"),
    version: opt("version"),
    endpoint: opt("endpoint"),
    input: opt("input_table")
      ? {
        kind: "table",
        table: opt("input_table")!,
        pathColumn: opt("path_column") ?? "path",
        contentColumn: opt("content_column"),
      }
      : { kind: "folder", path: f.input_path ?? "" },
    output: opt("output_table")
      ? { kind: "table", table: opt("output_table")! }
      : opt("output_path")
      ? { kind: "file", path: opt("output_path")! }
      : undefined,
    runner: (opt("runner") ?? "auto") as "auto",
    params: { confidence_threshold: num("confidence_threshold"), top_k: num("top_k") },
    cluster: {
      existingClusterId: opt("cluster_id"),
      nodeType: opt("node_type"),
      runtime: opt("runtime"),
    },
  };
}
