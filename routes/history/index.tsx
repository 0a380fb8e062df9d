import { Page } from "@/components/Page.tsx";
import { EmptyState } from "@/components/EmptyState.tsx";
import { type Activity, listActivity } from "@/lib/store/activity.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  items: Activity[];
  q: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const q = (ctx.url.searchParams.get("q") ?? "").trim().slice(0, 200);
    const all = await listActivity({ limit: 500 });
    const needle = q.toLowerCase();
    const items = needle
      ? all.filter((a) => `${a.who} ${a.what} ${a.subject}`.toLowerCase().includes(needle))
      : all;
    return ctx.render({ items: items.slice(0, 200), q });
  },
};

/** Everything that happened in this workspace, newest first. */
export default function HistoryPage({ data }: PageProps<Data>) {
  return (
    <Page
      title="History"
      description="Who did what, when, and to which configuration, run, model or endpoint."
    >
      <form method="get" class="mb-4 flex gap-2" role="search">
        <label class="sr-only" for="q">Filter</label>
        <input
          id="q"
          name="q"
          value={data.q}
          placeholder="Filter by person, action or subject"
          class="w-full max-w-md rounded-md border border-slate-300 px-3 py-1.5 text-sm"
        />
        <button
          type="submit"
          class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white"
        >
          Filter
        </button>
      </form>
      {data.items.length === 0
        ? (
          <EmptyState
            title={data.q ? "Nothing matches this filter" : "Nothing has happened yet"}
            action={{ label: "Create a configuration", href: "/configs" }}
          >
            Saving a configuration, scanning a dataset or launching a run will show up here.
          </EmptyState>
        )
        : (
          <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="w-full text-sm">
              <thead class="bg-slate-50 text-left text-slate-600">
                <tr>
                  <th class="px-3 py-2 font-medium">When</th>
                  <th class="px-3 py-2 font-medium">Who</th>
                  <th class="px-3 py-2 font-medium">What</th>
                  <th class="px-3 py-2 font-medium">Subject</th>
                  <th class="px-3 py-2 font-medium">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((a) => (
                  <tr key={a.id} class="border-t border-slate-100">
                    <td class="px-3 py-2 whitespace-nowrap text-slate-500">
                      <time dateTime={new Date(a.when).toISOString()}>
                        {new Date(a.when).toISOString().replace("T", " ").slice(0, 19)} UTC
                      </time>
                    </td>
                    <td class="px-3 py-2">{a.who}</td>
                    <td class="px-3 py-2">{a.what}</td>
                    <td class="px-3 py-2 font-mono text-xs">{a.subject}</td>
                    <td class="px-3 py-2">
                      {undoable(a) && (
                        <form method="post" action="/models/undo">
                          <input type="hidden" name="activity" value={a.id} />
                          <button
                            type="submit"
                            class="rounded-md border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50"
                          >
                            Undo
                          </button>
                        </form>
                      )}
                      {a.details.undoneBy
                        ? <span class="text-xs text-slate-500">undone</span>
                        : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </Page>
  );
}

/** Alias moves can be undone from here (once; the undo itself is an ordinary move). */
function undoable(a: Activity): boolean {
  return (a.what === "moved alias" || a.what === "removed alias") && !a.details.undoneBy &&
    !a.details.undoes;
}
