import { VersionSelect } from "@/components/deployments/EndpointForm.tsx";
import type { VersionChoice } from "@/lib/serving/deploy_form.ts";

/** What the batch form shows. */
export interface BatchFormProps {
  /** Registered models and versions for the version select. */
  choices: VersionChoice[];
  /** Why the registry could not be listed, when it could not. */
  choicesError?: string;
  endpoints: string[];
  volume: string;
  /** The host can run a batch in the app's process (not on Deno Deploy). */
  appRunner: boolean;
  /** Why it cannot, shown where the runner is picked. */
  appRunnerUnavailable: string;
  /** The values to show (what was sent). */
  form: Record<string, string>;
  error?: string;
  /** Problems by form field, each shown under its field. */
  fieldErrors: Record<string, string>;
}

/**
 * The "New batch" form (a plain form post): a registered version or an endpoint, a volume
 * folder or a Delta table in, a file or a table out, the runner, params and Databricks compute.
 */
export function BatchForm(data: BatchFormProps) {
  const f = data.form;
  const input =
    "w-full rounded-md border border-slate-300 px-2 py-1 text-sm aria-[invalid=true]:border-red-600";
  /** The message of field `k` (shown under it), and the attributes that tie the field to it. */
  const err = (k: string) =>
    data.fieldErrors[k] && (
      <span id={`err-${k}`} class="block text-xs text-red-700" data-field-error={k}>
        {data.fieldErrors[k]}
      </span>
    );
  const aria = (k: string) =>
    data.fieldErrors[k] ? { "aria-invalid": "true" as const, "aria-describedby": `err-${k}` } : {};
  return (
    <section class="mb-8 rounded-lg border border-slate-200 bg-white p-4">
      <h2 class="mb-3 text-sm font-semibold">New batch</h2>
      {data.error && (
        <p role="alert" class="mb-3 rounded bg-red-50 p-2 text-sm text-red-800">{data.error}</p>
      )}
      <form method="post" class="grid gap-3 md:grid-cols-3">
        <label class="text-xs text-slate-600 md:col-span-2">
          Model version
          <VersionSelect
            id="batch-ref"
            name="ref"
            choices={data.choices}
            value={f.ref ?? (f.model && f.version ? `${f.model}@${f.version}` : "")}
            none={data.choices.length ? "— none: use the endpoint —" : "— no registered versions —"}
            class={input}
            error={data.fieldErrors.ref && "err-ref"}
          />
          {err("ref")}
          {data.choicesError && (
            <span class="block text-[11px] text-slate-500">
              The registry could not be listed: {data.choicesError}
            </span>
          )}
          {!data.choicesError && !data.choices.length && (
            <span class="block text-[11px] text-slate-500">
              Register a run or import an ONNX model in the{" "}
              <a class="text-blue-700 hover:underline" href="/models">Model Registry</a> first.
            </span>
          )}
        </label>
        <label class="text-xs text-slate-600">
          …or an endpoint (its main served version, used instead)
          <select name="endpoint" class={input} {...aria("endpoint")}>
            <option value="" selected={!f.endpoint}>— none —</option>
            {data.endpoints.map((n) => (
              <option key={n} value={n} selected={f.endpoint === n}>{n}</option>
            ))}
          </select>
          {err("endpoint")}
        </label>
        <label class="text-xs text-slate-600 md:col-span-2">
          Input: a volume folder of JPEG / PNG images (searched recursively)
          <input
            name="input_path"
            value={f.input_path ?? ""}
            placeholder={`${data.volume}/images`}
            class={input}
            {...aria("input_path")}
          />
          {err("input_path")}
        </label>
        <label class="text-xs text-slate-600">
          …or a Delta table (Databricks job runner)
          <input
            name="input_table"
            value={f.input_table ?? ""}
            class={input}
            {...aria("input_table")}
          />
          {err("input_table")}
          <span class="text-[11px] text-slate-500">
            path column <input name="path_column" value={f.path_column ?? "path"} class="w-20" />
            {" "}
            bytes column <input name="content_column" value={f.content_column ?? ""} class="w-20" />
          </span>
          {err("path_column")}
          {err("content_column")}
        </label>
        <label class="text-xs text-slate-600 md:col-span-2">
          Output file (.jsonl; .parquet with the job runner where pyarrow exists). Empty: in the
          batch folder
          <input
            name="output_path"
            value={f.output_path ?? ""}
            placeholder={`${data.volume}/batch/<id>/results.jsonl`}
            class={input}
            {...aria("output_path")}
          />
          {err("output_path")}
        </label>
        <label class="text-xs text-slate-600">
          …or a Delta table (Databricks job runner)
          <input
            name="output_table"
            value={f.output_table ?? ""}
            class={input}
            {...aria("output_table")}
          />
          {err("output_table")}
        </label>
        <label class="text-xs text-slate-600">
          Runs on
          <select name="runner" class={input} {...aria("runner")}>
            {RUNNER_OPTIONS.filter(([v]) => v !== "app" || data.appRunner).map(([v, l]) => (
              <option key={v} value={v} selected={f.runner === v}>{l}</option>
            ))}
          </select>
          {!data.appRunner && (
            <span class="text-[11px] text-slate-500" data-testid="no-app-runner">
              {data.appRunnerUnavailable}
            </span>
          )}
          {err("runner")}
        </label>
        <div class="text-xs text-slate-600">
          Confidence threshold / top-k (empty: the model's defaults)
          <span class="flex gap-2">
            <input
              name="confidence_threshold"
              value={f.confidence_threshold ?? ""}
              inputMode="decimal"
              aria-label="confidence threshold (0 to 1)"
              placeholder="0 to 1"
              class={input}
              {...aria("confidence_threshold")}
            />
            <input
              name="top_k"
              value={f.top_k ?? ""}
              inputMode="numeric"
              aria-label="top-k"
              placeholder="top-k"
              class={input}
              {...aria("top_k")}
            />
          </span>
          {err("confidence_threshold")}
          {err("top_k")}
        </div>
        <div class="text-xs text-slate-600">
          Databricks job: existing cluster id, or node type + runtime
          <span class="flex gap-2">
            {DATABRICKS_FIELDS.map(([k, label]) => (
              <input
                key={k}
                name={k}
                value={f[k] ?? ""}
                placeholder={label}
                aria-label={label}
                class={input}
                {...aria(k)}
              />
            ))}
          </span>
          {err("cluster_id")}
          {err("node_type")}
          {err("runtime")}
        </div>
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
  );
}

/** The Databricks job's compute fields: an existing cluster, or a node type and runtime. */
const DATABRICKS_FIELDS = [
  ["cluster_id", "cluster id"],
  ["node_type", "node type"],
  ["runtime", "runtime"],
] as const;

const RUNNER_OPTIONS = [
  ["auto", "automatic (this app locally, a job on Databricks)"],
  ["app", "this app (onnxruntime, CPU)"],
  ["job", "a workspace job (jobs/batch_infer.py)"],
] as const;
