import { type LaunchForm, nodeTypeValue } from "@/lib/training/form.ts";
import { type Distribution, DISTRIBUTION_LABELS } from "@/lib/training/status.ts";
import type { ComputeInfo } from "@/lib/workspace/types.ts";

/** Shared input styles of the launch form. */
export const input = "rounded-md border border-slate-300 px-2 py-1 text-sm bg-white";
export const label = "block text-xs font-medium text-slate-600 mb-1";

/** A form value setter: `set("nodes")` is an input handler for the field `nodes`. */
export type Setter = (k: string) => (e: Event) => void;

/**
 * The compute part of the launch form: what the local machine has (Python, PyTorch, CPUs) and
 * the device, or the Databricks node type, runtime, nodes, cluster, spot, timeout and emails.
 */
export function ComputeFields(
  { p, v, set, problem, autoMode }: {
    p: { kind: "local" | "databricks"; compute: ComputeInfo | null };
    v: LaunchForm;
    set: Setter;
    problem: (k: string) => string | undefined;
    autoMode: Distribution | null;
  },
) {
  const gpuNodes = (p.compute?.nodeTypes ?? []).filter((n) => n.gpus > 0);
  const runtimes = (p.compute?.runtimes ?? []).filter((r) => r.gpu && r.ml);
  const py = p.compute?.python;
  return (
    <>
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
                  <option key={n.id} value={nodeTypeValue(n)}>
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
              problem={problem("existingClusterId")}
            />
            <Field
              k="gpusPerNode"
              title="GPUs per node (existing cluster)"
              v={v}
              set={set}
              problem={problem("gpusPerNode")}
            />
            <Field
              k="timeoutMinutes"
              title="Stop after (minutes, 0 = never)"
              v={v}
              set={set}
              problem={problem("timeoutMinutes")}
            />
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
                problem={problem("emails")}
              />
            </div>
          </div>
        )}
    </>
  );
}

/** A labelled input with its problem underneath. */
export function Field(
  { k, title, v, set, problem, type = "number" }: {
    k: string;
    title: string;
    v: LaunchForm;
    set: Setter;
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

/** A field's problem, in red, or nothing. */
export function Problem({ text }: { text?: string }) {
  return text ? <p class="mt-1 text-xs text-red-700">{text}</p> : null;
}
