import { useComputed, useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { chooseDistribution, planJob } from "@/lib/training/compute.ts";
import {
  computeFromForm,
  type FieldProblems,
  launchConfigPath,
  type LaunchForm,
} from "@/lib/training/form.ts";
import { DISTRIBUTION_LABELS } from "@/lib/training/status.ts";
import type { ComputeInfo } from "@/lib/workspace/types.ts";
import {
  ComputeFields,
  Field,
  input,
  label,
  Problem,
} from "@/components/training/ComputeFields.tsx";

/** A config and the versions that can be launched. */
export interface ConfigOption {
  name: string;
  task: string;
  model: string;
  /** Newest first. */
  versions: number[];
  /** The active version, when this config is the active one. */
  active: number | null;
  /** Why it cannot run on this workspace's compute, when it cannot. */
  cannotRunHere?: string | null;
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

/** The launch form with a live preview of the command and cluster JSON. */
export default function TrainingLaunchForm(p: Props) {
  const valuesSig = useSignal<LaunchForm>({ ...p.values, compute: p.kind });
  const busySig = useSignal(false);
  const formRef = useRef<HTMLFormElement>(null);
  // The browser restores typed values (Back, reload) into the fields, which hydration leaves
  // alone; read them back so the state, the preview and the post are what is shown.
  useEffect(() => {
    const sync = (e?: PageTransitionEvent) => {
      const form = formRef.current;
      if (!form) return;
      valuesSig.value = { ...valuesSig.value, ...fieldsOf(form) };
      if (e?.persisted) busySig.value = false;
    };
    sync();
    addEventListener("pageshow", sync);
    return () => removeEventListener("pageshow", sync);
  }, []);
  const set = (k: string) => (e: Event) => {
    const t = e.currentTarget as HTMLInputElement;
    valuesSig.value = {
      ...valuesSig.value,
      touched: "1",
      [k]: t.type === "checkbox" ? (t.checked ? "on" : "") : t.value,
    };
  };
  const checkedSig = useComputed(() => computeFromForm(valuesSig.value));
  const previewSig = useComputed(() => {
    const { choice } = checkedSig.value;
    if (!choice) return null;
    const { maxSteps, maxEpochs } = valuesSig.value;
    try {
      return planJob({
        choice,
        configPath: launchConfigPath(valuesSig.value, p.configs, p.values.volume ?? "/Volumes/…"),
        runDir: `${p.values.volume ?? "/Volumes/…"}/runs/<run id>`,
        maxSteps: Number(maxSteps) || undefined,
        maxEpochs: Number(maxEpochs) || undefined,
        codeDir: p.kind === "databricks" ? "<jobs folder>/<code hash>" : undefined,
      });
    } catch (e) {
      return { error: (e as Error).message };
    }
  });
  const v = valuesSig.value, busy = busySig.value, preview = previewSig.value;
  const { choice, problems: live } = checkedSig.value;
  const problem = (k: string) => p.problems[k] ?? (v.touched ? live[k] : undefined);
  const autoMode = choice?.kind === "databricks"
    ? chooseDistribution({ ...choice, distribution: "auto" })
    : null;
  const py = p.compute?.python;
  // Only a known answer disables Launch: when the compute could not be read in time, the error
  // above says so and the server checks again at launch.
  const noTorch = p.kind === "local" && p.compute !== null && (!py || !py.torch);

  return (
    <form
      method="post"
      class="space-y-6"
      ref={formRef}
      onSubmit={(e) => {
        if (busySig.value) return e.preventDefault();
        // what is posted is what the fields show; the state follows them
        valuesSig.value = {
          ...valuesSig.value,
          ...fieldsOf(e.currentTarget as HTMLFormElement),
        };
        busySig.value = true;
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
                  <option
                    key={`${c.name}@${n}`}
                    value={`${c.name}@${n}`}
                    disabled={!!c.cannotRunHere}
                    title={c.cannotRunHere ?? undefined}
                  >
                    {c.name} v{n}
                    {c.active === n ? " (active)" : ""} — {c.task}, {c.model}
                    {c.cannotRunHere ? " — cannot run here (needs Databricks)" : ""}
                  </option>
                ))
              )}
            </select>
            <WillRun configs={p.configs} config={v.config} configPath={v.configPath} />
            {p.configs.length === 0 && (
              <p class="mt-1 text-xs text-slate-600">
                No configs yet: <a class="text-sky-700 underline" href="/configs/new">create one</a>
                {" "}
                or give a YAML file from a volume.
              </p>
            )}
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
          <Field
            k="name"
            title="Run name (optional)"
            v={v}
            set={set}
            type="text"
            problem={problem("name")}
          />
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
        <ComputeFields p={p} v={v} set={set} problem={problem} autoMode={autoMode} />
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

/** The visible fields' values as the browser holds them (hidden inputs come from props). */
function fieldsOf(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const el of Array.from(form.elements)) {
    const t = el as HTMLInputElement;
    if (!t.name || t.type === "hidden" || t.type === "submit") continue;
    if (t.type === "radio") {
      if (t.checked) out[t.name] = t.value;
    } else out[t.name] = t.type === "checkbox" ? (t.checked ? "on" : "") : t.value;
  }
  return out;
}

/** Says which config version the launch will run, so a default is never silent. */
function WillRun(
  { configs, config, configPath }: {
    configs: ConfigOption[];
    config?: string;
    configPath?: string;
  },
) {
  if (configPath?.trim()) {
    return (
      <p class="mt-1 text-xs text-slate-600" data-testid="will-run">
        Will run the YAML file <span class="font-mono">{configPath.trim()}</span>{" "}
        (saved as a config version at launch).
      </p>
    );
  }
  const at = config?.lastIndexOf("@") ?? -1;
  const c = at > 0 ? configs.find((o) => o.name === config!.slice(0, at)) : undefined;
  if (!c) return null;
  const n = Number(config!.slice(at + 1));
  const latest = c.versions[0];
  return (
    <p class="mt-1 text-xs text-slate-600" data-testid="will-run">
      Will run <strong>{c.name} v{n}</strong>
      {c.active === n ? " — the active version" : ""}
      {n !== latest ? ` (the newest is v${latest})` : ""}.
    </p>
  );
}
