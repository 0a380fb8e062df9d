import { useMemo, useState } from "preact/hooks";
import { chooseDistribution, planJob } from "@/lib/training/compute.ts";
import { computeFromForm, type FieldProblems, type LaunchForm } from "@/lib/training/form.ts";
import { DISTRIBUTION_LABELS } from "@/lib/training/types.ts";
import type { ComputeInfo } from "@/lib/workspace/types.ts";

/** A config and the versions that can be launched. */
export interface ConfigOption {
  name: string;
  task: string;
  model: string;
  /** Newest first. */
  versions: number[];
  /** The active version, when this config is the active one. */
  active: number | null;
}

interface Props {
  /** Which workspace the app is connected to (the only compute it can launch on). */
  kind: "local" | "databricks";
  /** Stored configs and their versions. */
  configs: ConfigOption[];
  /** What the workspace offers (local: Python/torch/CPUs; Databricks: node types, runtimes). */
  compute: ComputeInfo | null;
  /** Why `compute` could not be read, if it could not. */
  computeError: string | null;
  /** The form's values (defaults, or what was posted back with problems). */
  values: LaunchForm;
  /** Problems per field from the last submit. */
  problems: FieldProblems;
  /** A launch-level error from the last submit. */
  error: string | null;
}

const input = "rounded-md border border-slate-300 px-2 py-1 text-sm bg-white";
const label = "block text-xs font-medium text-slate-600 mb-1";

/** The launch form with a live preview of the command and cluster JSON. */
export default function TrainingLaunchForm(p: Props) {
  const [v, setV] = useState<LaunchForm>({ ...p.values, compute: p.kind });
  const [busy, setBusy] = useState(false);
  const set = (k: string) => (e: Event) => {
    const t = e.currentTarget as HTMLInputElement;
    setV({ ...v, touched: "1", [k]: t.type === "checkbox" ? (t.checked ? "on" : "") : t.value });
  };
  const { choice, problems: live } = useMemo(() => computeFromForm(v), [v]);
  const preview = useMemo(() => {
    if (!choice) return null;
    try {
      return planJob({
        choice,
        configPath: `${p.values.volume ?? "/Volumes/…"}/configs/<name>/v<N>.yaml`,
        runDir: `${p.values.volume ?? "/Volumes/…"}/runs/<run id>`,
        maxSteps: Number(v.maxSteps) || undefined,
        maxEpochs: Number(v.maxEpochs) || undefined,
        codeDir: p.kind === "databricks" ? "<jobs folder>/<code hash>" : undefined,
      });
    } catch (e) {
      return { error: (e as Error).message };
    }
  }, [choice, v.maxSteps, v.maxEpochs]);
  const problem = (k: string) => p.problems[k] ?? (v.touched ? live[k] : undefined);
  const autoMode = choice?.kind === "databricks"
    ? chooseDistribution({ ...choice, distribution: "auto" })
    : null;
  const gpuNodes = (p.compute?.nodeTypes ?? []).filter((n) => n.gpus > 0);
  const runtimes = (p.compute?.runtimes ?? []).filter((r) => r.gpu && r.ml);
  const py = p.compute?.python;
  const noTorch = p.kind === "local" && (!py || !py.torch);

  return (
    <form
      method="post"
      class="space-y-6"
      onSubmit={(e) => {
        if (busy) e.preventDefault();
        setBusy(true);
      }}
    >
      <input type="hidden" name="token" value={p.values.token} />
      <input type="hidden" name="compute" value={p.kind} />
      {p.error && (
        <p role="alert" class="rounded bg-red-50 px-3 py-2 text-sm text-red-800">{p.error}</p>
      )}
      <section class="rounded-lg border border-slate-200 bg-white p-5">
        <h2 class="font-semibold text-slate-900 mb-3">What to train</h2>
        <div class="grid gap-4 sm:grid-cols-2">
          <div>
            <label class={label} for="config">Config version</label>
            <select
              id="config"
              name="config"
              class={`${input} w-full`}
              value={v.config}
              onChange={set("config")}
            >
              {p.configs.length === 0 && <option value="">no saved configs</option>}
              {p.configs.flatMap((c) =>
                c.versions.map((n) => (
                  <option key={`${c.name}@${n}`} value={`${c.name}@${n}`}>
                    {c.name} v{n}
                    {c.active === n ? " (active)" : ""} — {c.task}, {c.model}
                  </option>
                ))
              )}
            </select>
          </div>
          <div>
            <label class={label} for="configPath">or a config YAML in a volume</label>
            <input
              id="configPath"
              name="configPath"
              class={`${input} w-full font-mono`}
              placeholder={`${p.values.volume ?? "/Volumes/main/cv/data"}/configs/my-config.yaml`}
              value={v.configPath ?? ""}
              onInput={set("configPath")}
            />
            <Problem text={problem("configPath")} />
          </div>
        </div>
        <div class="grid gap-4 sm:grid-cols-3 mt-4">
          <Field
            k="maxSteps"
            title="Max steps (optional)"
            v={v}
            set={set}
            problem={problem("maxSteps")}
          />
          <Field
            k="maxEpochs"
            title="Max epochs (optional)"
            v={v}
            set={set}
            problem={problem("maxEpochs")}
          />
          <Field k="name" title="Run name (optional)" v={v} set={set} type="text" />
        </div>
      </section>

      <section class="rounded-lg border border-slate-200 bg-white p-5">
        <h2 class="font-semibold text-slate-900 mb-1">Compute</h2>
        <p class="text-xs text-slate-500 mb-3">
          {p.kind === "local"
            ? "This app is connected to the embedded local workspace: runs start here as subprocesses. (Set LAKEVISION_WORKSPACE=databricks for GPU clusters.)"
            : "Runs start on a new job cluster (or an existing cluster) in your Databricks workspace."}
        </p>
        {p.computeError && (
          <p role="alert" class="mb-3 rounded bg-amber-50 px-3 py-2 text-sm text-amber-800">
            Could not read the workspace's compute options: {p.computeError}
          </p>
        )}
        {p.kind === "local"
          ? (
            <div class="grid gap-4 sm:grid-cols-2" data-compute="local">
              <dl class="text-sm grid grid-cols-[7rem_1fr] gap-y-1">
                <dt class="text-slate-500">Python</dt>
                <dd>{py ? `${py.path} (${py.version})` : "not found"}</dd>
                <dt class="text-slate-500">PyTorch</dt>
                <dd class={py?.torch ? "" : "text-red-700"}>
                  {py?.torch
                    ? `${py.torch}${py.cuda ? " with CUDA" : " (CPU)"}`
                    : "missing — install python3-torch python3-torchvision"}
                </dd>
                <dt class="text-slate-500">CPUs</dt>
                <dd>{p.compute?.cpus ?? "?"}</dd>
              </dl>
              <div>
                <label class={label} for="device">Device</label>
                <select
                  id="device"
                  name="device"
                  class={input}
                  value={v.device}
                  onChange={set("device")}
                >
                  <option value="auto">auto (CUDA when available)</option>
                  <option value="cpu">CPU</option>
                  <option value="cuda">CUDA</option>
                </select>
              </div>
            </div>
          )
          : (
            <div class="grid gap-4 sm:grid-cols-3" data-compute="databricks">
              <div class="sm:col-span-2">
                <label class={label} for="nodeType">GPU node type</label>
                <select
                  id="nodeType"
                  name="nodeType"
                  class={`${input} w-full`}
                  value={v.nodeType}
                  onChange={set("nodeType")}
                >
                  <option value="">choose…</option>
                  {gpuNodes.map((n) => (
                    <option key={n.id} value={`${n.id}|${n.gpus}`}>
                      {n.id} — {n.gpus} GPU, {Math.round(n.memoryMb / 1024)}{" "}
                      GB{n.cores ? `, ${n.cores} cores` : ""}
                    </option>
                  ))}
                </select>
                <Problem text={problem("nodeType")} />
                <p class="text-xs text-slate-500 mt-1">
                  DBU rates are not published by the API; see your cloud's Databricks pricing page.
                </p>
              </div>
              <Field k="nodes" title="GPU nodes" v={v} set={set} problem={problem("nodes")} />
              <div class="sm:col-span-2">
                <label class={label} for="runtime">ML GPU runtime</label>
                <select
                  id="runtime"
                  name="runtime"
                  class={`${input} w-full`}
                  value={v.runtime}
                  onChange={set("runtime")}
                >
                  <option value="">choose…</option>
                  {runtimes.map((r) => <option key={r.key} value={r.key}>{r.name}</option>)}
                </select>
                <Problem text={problem("runtime")} />
              </div>
              <div>
                <label class={label} for="distribution">Distribution</label>
                <select
                  id="distribution"
                  name="distribution"
                  class={`${input} w-full`}
                  value={v.distribution}
                  onChange={set("distribution")}
                >
                  <option value="auto">
                    auto{autoMode ? ` (${DISTRIBUTION_LABELS[autoMode]})` : ""}
                  </option>
                  <option value="single">{DISTRIBUTION_LABELS.single}</option>
                  <option value="torchrun">{DISTRIBUTION_LABELS.torchrun}</option>
                  <option value="distributor">{DISTRIBUTION_LABELS.distributor}</option>
                </select>
              </div>
              <Field
                k="existingClusterId"
                title="or an existing cluster id"
                v={v}
                set={set}
                type="text"
              />
              <Field k="gpusPerNode" title="GPUs per node (existing cluster)" v={v} set={set} />
              <Field k="timeoutMinutes" title="Stop after (minutes, 0 = never)" v={v} set={set} />
              <label class="flex items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  name="spot"
                  checked={v.spot === "on"}
                  onChange={set("spot")}
                />
                Spot instances (with on-demand fallback)
              </label>
              <div class="sm:col-span-2">
                <Field
                  k="emails"
                  title="Email on success / failure (comma-separated)"
                  v={v}
                  set={set}
                  type="text"
                />
              </div>
            </div>
          )}
      </section>

      <details class="rounded-lg border border-slate-200 bg-white p-5" data-testid="summary">
        <summary class="cursor-pointer font-semibold text-slate-900">What will run</summary>
        {preview && "error" in preview
          ? <p class="mt-3 text-sm text-amber-800">{preview.error}</p>
          : preview && (
            <div class="mt-3 space-y-3 text-xs">
              <p class="text-sm">
                Mode: <strong>{DISTRIBUTION_LABELS[preview.distribution]}</strong>
              </p>
              <pre
                class="whitespace-pre-wrap break-all rounded bg-slate-900 p-3 text-slate-100"
                data-testid="command"
              >{preview.command.join(" ")}</pre>
              {preview.compute && (
                <pre
                  class="overflow-x-auto rounded bg-slate-50 p-3 text-slate-800"
                  data-testid="cluster-json"
                >{JSON.stringify(preview.compute, null, 2)}</pre>
              )}
            </div>
          )}
      </details>

      <div class="flex items-center gap-3">
        <button
          type="submit"
          disabled={busy || noTorch}
          class="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-50"
        >
          {busy ? "Launching…" : "Launch"}
        </button>
        {noTorch && (
          <span class="text-sm text-red-700">Local training needs PyTorch (see above).</span>
        )}
      </div>
    </form>
  );
}

function Field(
  { k, title, v, set, problem, type = "number" }: {
    k: string;
    title: string;
    v: LaunchForm;
    set: (k: string) => (e: Event) => void;
    problem?: string;
    type?: string;
  },
) {
  return (
    <div>
      <label class={label} for={k}>{title}</label>
      <input
        id={k}
        name={k}
        type={type}
        min={type === "number" ? 0 : undefined}
        class={`${input} w-full`}
        value={v[k] ?? ""}
        onInput={set(k)}
      />
      <Problem text={problem} />
    </div>
  );
}

function Problem({ text }: { text?: string }) {
  return text ? <p class="mt-1 text-xs text-red-700">{text}</p> : null;
}
