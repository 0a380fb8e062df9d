import type { ComponentChildren } from "preact";
import { Page } from "@/components/Page.tsx";
import type { CompareOption } from "@/components/training/RunCharts.tsx";
import RunLive from "@/islands/RunLive.tsx";
import RunOutputs from "@/islands/RunOutputs.tsx";
import { getRun, listRuns } from "@/lib/training/records.ts";
import { refreshRun } from "@/lib/training/refresh.ts";
import { readLogTail, readMetrics } from "@/lib/training/run_files.ts";
import { trainingContext } from "@/lib/training/service.ts";
import {
  DISTRIBUTION_LABELS,
  type MetricPointLite,
  type RunRecord,
  TERMINAL,
} from "@/lib/training/types.ts";
import { listOutputs, type RunOutput } from "@/lib/training/outputs.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  run: RunRecord;
  points: MetricPointLite[];
  log: string;
  compare: CompareOption[];
  outputs: RunOutput[];
  mlflowUrl: string | null;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const t = await trainingContext(ctx.state);
    let run = await getRun(ctx.params.runId);
    run = await refreshRun(t.workspace, run).catch(() => run);
    const [points, log, others] = await Promise.all([
      readMetrics(t.workspace, run).catch(() => []),
      readLogTail(t.workspace, run),
      listRuns({ limit: 100 }),
    ]);
    const outputs = await listOutputs(t.workspace.files, run.runDir);
    const host = (t.workspace as { host?: string }).host;
    const mlflowUrl = host && run.mlflowRunId && run.mlflowExperimentId
      ? `${host}/ml/experiments/${run.mlflowExperimentId}/runs/${run.mlflowRunId}`
      : null;
    const compare = others
      .filter((o) => o.id !== run.id && o.config.task === run.config.task)
      .sort((a, b) => Number(b.id === run.resumedFrom) - Number(a.id === run.resumedFrom))
      .slice(0, 30)
      .map((o) => ({ id: o.id, name: o.name }));
    return ctx.render({ run, points: [...points], log, compare, outputs, mlflowUrl });
  },
};

/** One run, live: state, progress, charts, log, controls, and what exactly runs where. */
export default function RunPage({ data }: PageProps<Data>) {
  const { run } = data;
  const rows: [string, ComponentChildren][] = [
    [
      "Config",
      <a
        key="r1"
        class="text-sky-700 underline"
        href={`/configs/${encodeURIComponent(run.config.name)}?v=${run.config.version}`}
      >
        {run.config.name} v{run.config.version}
      </a>,
    ],
    ["Task / model", `${run.config.task} · ${run.config.model}`],
    [
      "Compute",
      run.compute.kind === "local"
        ? "local subprocess"
        : `Databricks · ${DISTRIBUTION_LABELS[run.distribution]}`,
    ],
    ["Run folder", <code key="r2" class="break-all">{run.runDir}</code>],
    [
      "Launched",
      `${
        new Date(run.createdAt).toISOString().replace("T", " ").slice(0, 19)
      } UTC by ${run.createdBy}`,
    ],
  ];
  if (run.resumedFrom) {
    rows.push([
      "Resumed from",
      <a key="r3" class="text-sky-700 underline" href={`/training/${run.resumedFrom}`}>
        {run.resumedFrom}
      </a>,
    ]);
  }
  if (run.url) {
    rows.push([
      "Databricks run",
      <a key="r4" class="text-sky-700 underline" href={run.url} target="_blank" rel="noopener">
        open run page
      </a>,
    ]);
  }
  if (data.mlflowUrl) {
    rows.push([
      "MLflow run",
      <a
        key="r5"
        class="text-sky-700 underline"
        href={data.mlflowUrl}
        target="_blank"
        rel="noopener"
      >
        {run.mlflowRunId}
      </a>,
    ]);
  } else if (run.mlflowRunId) rows.push(["MLflow run", <code key="r6">{run.mlflowRunId}</code>]);
  if (run.mlflowError) {
    rows.push([
      "MLflow",
      <span key="r8" class="text-amber-800" data-testid="mlflow-error">
        tracking failed, training went on without it: {run.mlflowError}
      </span>,
    ]);
  }
  if (run.jobRunId) rows.push(["Job id", <code key="r7">{run.jobRunId}</code>]);
  return (
    <Page title={run.name} crumbs={[{ label: "Training", href: "/training" }]}>
      <RunLive initial={run} points={data.points} log={data.log} compareOptions={data.compare} />
      <section class="mt-6 grid gap-4 lg:grid-cols-2">
        <div class="rounded-lg border border-slate-200 bg-white p-5">
          <h2 class="font-semibold text-slate-900 mb-3">Details</h2>
          <dl class="grid grid-cols-[8rem_1fr] gap-y-1 text-sm">
            {rows.map((
              [k, v],
            ) => [<dt key={`${k}-k`} class="text-slate-500">{k}</dt>, <dd key={`${k}-v`}>{v}</dd>])}
          </dl>
          <h3 class="mt-4 mb-1 text-sm font-medium text-slate-800">Outputs</h3>
          <RunOutputs runId={run.id} initial={data.outputs} ended={TERMINAL.has(run.status)} />
        </div>
        <div class="rounded-lg border border-slate-200 bg-white p-5 text-xs">
          <h2 class="font-semibold text-slate-900 mb-3 text-base">What runs</h2>
          <pre class="whitespace-pre-wrap break-all rounded bg-slate-900 p-3 text-slate-100">{run.command.join(" ")}</pre>
          {run.clusterSpec && (
            <>
              <h3 class="mt-3 mb-1 text-sm font-medium text-slate-800">Cluster spec</h3>
              <pre class="overflow-x-auto rounded bg-slate-50 p-3 text-slate-800">{JSON.stringify(run.clusterSpec, null, 2)}</pre>
            </>
          )}
        </div>
      </section>
    </Page>
  );
}
