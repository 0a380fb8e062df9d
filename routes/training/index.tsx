import { preferencesFor } from "@/lib/store/preferences.ts";
import { EmptyState } from "@/components/EmptyState.tsx";
import { Page } from "@/components/Page.tsx";
import TrainingRuns from "@/islands/TrainingRuns.tsx";
import { listRuns, type RunFilter } from "@/lib/training/records.ts";
import { trainingContext } from "@/lib/training/service.ts";
import { RUN_STATUSES, type RunRecord } from "@/lib/training/types.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  runs: RunRecord[];
  filter: RunFilter;
  configs: string[];
  query: string;
  total: number;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    await trainingContext(ctx.state);
    const q = ctx.url.searchParams;
    const status = q.get("status") ?? "";
    const compute = q.get("compute") ?? "";
    const filter: RunFilter = {
      status: status === "active" || (RUN_STATUSES as readonly string[]).includes(status)
        ? status as RunFilter["status"]
        : undefined,
      compute: compute === "local" || compute === "databricks" ? compute : undefined,
      config: q.get("config") || undefined,
      q: q.get("q")?.slice(0, 100) || undefined,
    };
    const all = await listRuns({ limit: 500 });
    const runs = await listRuns({ ...filter, limit: (await preferencesFor(ctx.state)).pageSize });
    const query = new URLSearchParams(
      Object.entries(filter).filter(([, v]) => v).map(([k, v]) => [k, String(v)]),
    ).toString();
    const configs = [...new Set(all.map((r) => r.config.name))].sort();
    return ctx.render({ runs, filter, configs, query, total: all.length });
  },
};

/** Every training run, local and Databricks, with filters; active runs refresh themselves. */
export default function TrainingPage({ data }: PageProps<Data>) {
  const f = data.filter;
  const sel = "rounded-md border border-slate-300 px-2 py-1 text-sm bg-white";
  return (
    <Page
      title="Training"
      description="Runs on Databricks GPU clusters or this machine, with their live state."
      actions={
        <a
          href="/training/new"
          class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
        >
          New run
        </a>
      }
    >
      {data.total === 0
        ? (
          <EmptyState
            title="No training runs yet"
            action={{ label: "Launch a run", href: "/training/new" }}
          >
            Launch the active config (or any saved version) locally or on a Databricks GPU cluster.
          </EmptyState>
        )
        : (
          <>
            <form method="get" class="mb-4 flex flex-wrap items-end gap-3" aria-label="Filters">
              <label class="text-xs text-slate-600">
                Status<br />
                <select name="status" class={sel}>
                  <option value="">any</option>
                  <option value="active" selected={f.status === "active"}>active</option>
                  {RUN_STATUSES.map((s) => <option key={s} selected={f.status === s}>{s}</option>)}
                </select>
              </label>
              <label class="text-xs text-slate-600">
                Compute<br />
                <select name="compute" class={sel}>
                  <option value="">any</option>
                  <option selected={f.compute === "local"}>local</option>
                  <option selected={f.compute === "databricks"}>databricks</option>
                </select>
              </label>
              <label class="text-xs text-slate-600">
                Config<br />
                <select name="config" class={sel}>
                  <option value="">any</option>
                  {data.configs.map((c) => <option key={c} selected={f.config === c}>{c}</option>)}
                </select>
              </label>
              <label class="text-xs text-slate-600">
                Search<br />
                <input
                  name="q"
                  value={f.q ?? ""}
                  placeholder="name, model, id"
                  class="rounded-md border border-slate-300 px-2 py-1 text-sm"
                />
              </label>
              <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-sm">
                Filter
              </button>
              {data.query && <a href="/training" class="text-sm text-sky-700 underline">Clear</a>}
            </form>
            {data.runs.length
              ? <TrainingRuns initial={data.runs} query={data.query} now={Date.now()} />
              : <p class="text-sm text-slate-600">No run matches these filters.</p>}
          </>
        )}
    </Page>
  );
}
