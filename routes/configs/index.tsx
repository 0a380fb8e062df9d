import { Badge } from "@/components/Badge.tsx";
import { EmptyState } from "@/components/EmptyState.tsx";
import { Page } from "@/components/Page.tsx";
import { getModel } from "@/lib/config/catalog.ts";
import { TASK_LABELS } from "@/lib/config/tasks.ts";
import { configStoreFor, type ConfigSummary } from "@/lib/store/configs.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  configs: ConfigSummary[];
  query: string;
  total: number;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const store = await configStoreFor(ctx.state);
    const query = (ctx.url.searchParams.get("q") ?? "").slice(0, 200);
    const [configs, all] = await Promise.all([store.list({ search: query }), store.list()]);
    return ctx.render({ configs, query, total: all.length });
  },
};

/** Saved training configurations: search, open, or start a new one. */
export default function ConfigsPage({ data }: PageProps<Data>) {
  const actions = (
    <>
      <a
        href="/configs/import"
        class="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50"
      >
        Import YAML
      </a>
      <a
        href="/configs/templates"
        class="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50"
      >
        Templates
      </a>
      <a
        href="/configs/new"
        class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
      >
        New configuration
      </a>
    </>
  );
  return (
    <Page
      title="Configs"
      description="Training configurations. Every save is a new version; the active one is what Data EDA and Training use."
      actions={actions}
    >
      <form method="get" class="mb-4 flex gap-2" role="search">
        <label for="q" class="sr-only">Search configs</label>
        <input
          id="q"
          name="q"
          value={data.query}
          placeholder="Search by name, task, model or author"
          class="w-full max-w-md rounded-md border border-slate-300 px-2 py-1.5 text-sm"
        />
        <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
          Search
        </button>
      </form>
      {data.total === 0
        ? (
          <EmptyState
            title="No configurations yet"
            action={{ label: "New configuration", href: "/configs/new" }}
          >
            Start from a task and model, a template, or import an accelerator YAML file.
          </EmptyState>
        )
        : data.configs.length === 0
        ? <p class="text-sm text-slate-600">Nothing matches “{data.query}”.</p>
        : (
          <table
            class="w-full text-sm bg-white rounded-lg border border-slate-200"
            data-testid="configs"
          >
            <thead class="text-left text-slate-500">
              <tr>
                <th class="p-2">Name</th>
                <th class="p-2">Task</th>
                <th class="p-2">Model</th>
                <th class="p-2">Latest</th>
                <th class="p-2">Last change</th>
              </tr>
            </thead>
            <tbody>
              {data.configs.map((c) => (
                <tr key={c.name} class="border-t border-slate-100" data-config={c.name}>
                  <td class="p-2">
                    <a
                      class="font-medium text-blue-700 hover:underline"
                      href={`/configs/${encodeURIComponent(c.name)}`}
                    >
                      {c.name}
                    </a>{" "}
                    {c.activeVersion !== null && (
                      <Badge tone="green">active v{c.activeVersion}</Badge>
                    )}
                  </td>
                  <td class="p-2">{TASK_LABELS[c.task]}</td>
                  <td class="p-2">
                    {getModel(c.model)?.displayName ?? c.model}
                    <div class="font-mono text-xs text-slate-500">{c.model}</div>
                  </td>
                  <td class="p-2 tabular-nums">v{c.latestVersion}</td>
                  <td class="p-2 text-xs text-slate-600">
                    <time dateTime={new Date(c.updatedAt).toISOString()}>
                      {new Date(c.updatedAt).toISOString().slice(0, 16).replace("T", " ")} UTC
                    </time>{" "}
                    by {c.updatedBy}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Page>
  );
}
