import { Badge } from "@/components/Badge.tsx";
import type { GettingStarted as Data } from "@/lib/demo/progress.ts";
import type { DemoStatus } from "@/lib/demo/startup.ts";

interface Props {
  /** The path, computed from the workspace. */
  data: Data;
  /** Where the demo seeding stands. */
  demo: DemoStatus;
}

const TASK_LABEL: Record<string, string> = {
  detection: "detection",
  classification: "classification",
  semantic_segmentation: "semantic segmentation",
  instance_segmentation: "instance segmentation",
  panoptic_segmentation: "panoptic segmentation",
};

/** The guided path: seeding status, the steps ticked from real state, and what each needs. */
export function GettingStarted({ data, demo }: Props) {
  const done = data.steps.filter((s) => s.done).length;
  return (
    <section
      id="getting-started"
      aria-labelledby="getting-started-title"
      class="rounded-lg border border-sky-200 bg-white p-5 mb-6"
    >
      <div class="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="getting-started-title" class="font-semibold text-slate-900">Getting started</h2>
        <span class="text-xs text-slate-500" data-testid="gs-count">
          {done} of {data.steps.length} steps done
        </span>
      </div>
      <DemoBanner demo={demo} />
      <ol class="mt-4 space-y-2">
        {data.steps.map((s, i) => (
          <li
            key={s.id}
            data-step={s.id}
            data-done={s.done ? "true" : "false"}
            class={`flex gap-3 rounded-md border p-3 ${
              i === data.next ? "border-sky-300 bg-sky-50" : "border-slate-200"
            }`}
          >
            <span
              aria-hidden="true"
              class={`mt-0.5 flex h-6 w-6 flex-none items-center justify-center rounded-full text-xs font-semibold ${
                s.done ? "bg-green-600 text-white" : "bg-slate-200 text-slate-700"
              }`}
            >
              {s.done ? "✓" : i + 1}
            </span>
            <div class="min-w-0 flex-1">
              <div class="flex flex-wrap items-center gap-2">
                <h3 class="text-sm font-semibold text-slate-900">
                  <span class="sr-only">{s.done ? "Done: " : "To do: "}</span>
                  {s.title}
                </h3>
                {s.done && <Badge tone="green">done</Badge>}
                {!s.done && i === data.next && <Badge tone="blue">next</Badge>}
                {!s.available && <Badge tone="amber">page coming</Badge>}
                {s.need === "python" && !s.done && (
                  <Badge tone={data.python.torch ? "slate" : "amber"}>
                    {data.workspaceKind === "local"
                      ? "needs Python + PyTorch"
                      : "Databricks cluster"}
                  </Badge>
                )}
              </div>
              <p class="text-sm text-slate-600 mt-0.5">{s.detail}</p>
            </div>
            <a
              href={s.href}
              class="self-center flex-none text-sm text-sky-700 underline hover:text-sky-900"
            >
              {s.action}
            </a>
          </li>
        ))}
      </ol>
      {data.configs.some((c) => c.saved) && (
        <div class="mt-5">
          <h3 class="text-sm font-semibold text-slate-900">Demo configurations</h3>
          <p class="text-xs text-slate-500 mt-0.5">
            Small generated datasets with a few planted annotation problems, and a model sized for a
            laptop CPU.
          </p>
          <ul class="mt-2 grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
            {data.configs.filter((c) => c.saved).map((c) => (
              <li key={c.name} class="rounded-md border border-slate-200 p-3">
                <a
                  href={`/configs/${encodeURIComponent(c.name)}`}
                  class="text-sm font-medium text-sky-700 underline hover:text-sky-900"
                >
                  {c.name}
                </a>
                {c.active && (
                  <span class="ml-2">
                    <Badge tone="green">active</Badge>
                  </span>
                )}
                <p class="text-xs text-slate-600 mt-1 break-all">
                  {TASK_LABEL[c.task] ?? c.task} · {c.model}
                </p>
                <p class="text-xs mt-1">
                  {c.local
                    ? <span class="text-slate-600">Trains locally in a few minutes.</span>
                    : <span class="text-amber-700">Needs a Databricks GPU cluster.</span>}
                </p>
                <p class="text-xs text-slate-500 mt-1 font-mono break-all">{c.dataset}</p>
              </li>
            ))}
          </ul>
        </div>
      )}
      <Needs data={data} />
    </section>
  );
}

function DemoBanner({ demo }: { demo: DemoStatus }) {
  if (demo.state === "seeding") {
    return (
      <p
        role="status"
        data-demo="seeding"
        class="mt-3 rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900"
      >
        Seeding the demo workspace… {demo.message} Reload in a few seconds.
      </p>
    );
  }
  if (demo.state === "failed") {
    return (
      <p
        role="alert"
        data-demo="failed"
        class="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900"
      >
        {demo.message}
      </p>
    );
  }
  if (demo.state === "ready") {
    return (
      <p data-demo="ready" class="mt-3 text-sm text-slate-600">
        {demo.message} Remove them with <code>deno task cli demo reset</code>.
      </p>
    );
  }
  if (demo.state === "skipped" && demo.message) {
    return <p data-demo="skipped" class="mt-3 text-sm text-slate-600">{demo.message}</p>;
  }
  return (
    <p data-demo="off" class="mt-3 text-sm text-slate-600">
      Want sample data? <code>deno task cli demo seed</code>{" "}
      writes small datasets for every task and one configuration each (nothing of yours is
      overwritten).
    </p>
  );
}

function Needs({ data }: { data: Data }) {
  return (
    <div class="mt-5 rounded-md bg-slate-50 p-3 text-sm text-slate-700" data-testid="gs-needs">
      <h3 class="font-semibold text-slate-900">What each step needs</h3>
      <ul class="mt-1 list-disc pl-5 space-y-1">
        <li>Configurations and dataset scans run in Lakevision itself: nothing to install.</li>
        {data.workspaceKind === "local"
          ? (
            <li>
              Training runs here need Python 3 with PyTorch and torchvision:{" "}
              <code>apt-get install python3-torch python3-torchvision libopenblas0</code>{" "}
              (Debian/Ubuntu; without OpenBLAS, PyTorch falls back to the reference BLAS and
              detection models train several times slower) or{" "}
              <code>pip install torch torchvision</code>.{" "}
              <span data-python={data.python.torch ? "ok" : "missing"}>
                {data.python.detail}
              </span>
            </li>
          )
          : <li>Training runs on your Databricks workspace's GPU clusters.</li>}
        <li>
          Hugging Face models (DETR, Mask2Former, …) and multi-GPU training need a Databricks
          workspace: set <code>DATABRICKS_HOST</code> and <code>DATABRICKS_TOKEN</code>{" "}
          (or a profile) and see <a class="text-sky-700 underline" href="/settings">Settings</a>.
        </li>
      </ul>
    </div>
  );
}
