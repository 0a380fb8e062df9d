import { Page } from "@/components/Page.tsx";
import { EmptyState } from "@/components/EmptyState.tsx";
import { HistoryNav } from "@/components/history/HistoryNav.tsx";
import { TimelineFilters } from "@/components/history/TimelineFilters.tsx";
import { BadRequestError } from "@/lib/errors.ts";
import {
  filterFromParams,
  filterParams,
  subjectHref,
  type TimelineFilter,
  toQuery,
} from "@/lib/history/timeline.ts";
import { type Activity, queryActivity, typeOf } from "@/lib/store/activity.ts";
import { preferencesFor } from "@/lib/store/preferences.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";
import { detailFacts } from "@/lib/history/details.ts";

interface Data {
  items: Activity[];
  filter: TimelineFilter;
  next: string | null;
  error?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    let filter: TimelineFilter;
    try {
      filter = filterFromParams(ctx.url.searchParams);
    } catch (e) {
      const issue = (e as { issues?: { path: unknown[]; message: string }[] }).issues?.[0];
      if (!issue) throw e;
      const msg = `${issue.path.join(".")}: ${issue.message}`;
      return ctx.render({ items: [], filter: {}, next: null, error: msg }, { status: 400 });
    }
    const prefs = await preferencesFor(ctx.state);
    const q = toQuery(filter, prefs.pageSize);
    if (Number.isNaN(q.since) || Number.isNaN(q.until)) throw new BadRequestError("Bad date.");
    const page = await queryActivity(q);
    return ctx.render({ items: page.items, filter, next: page.next });
  },
};

/** Everything that happened in this workspace, newest first, filtered on the server. */
export default function HistoryPage({ data }: PageProps<Data>) {
  const filtered = Object.keys(filterParams({ ...data.filter, limit: undefined })).length > 0;
  return (
    <Page
      title="History"
      description="Who did what, when, and to which configuration, run, model or endpoint."
    >
      <HistoryNav active="timeline" />
      <TimelineFilters filter={data.filter} />
      {data.error && (
        <p role="alert" class="mb-3 rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {data.error}
        </p>
      )}
      {data.items.length === 0
        ? (
          <EmptyState
            title={filtered ? "Nothing matches this filter" : "Nothing has happened yet"}
            action={{ label: "Create a configuration", href: "/configs" }}
          >
            Saving a configuration, scanning a dataset or launching a run will show up here.
          </EmptyState>
        )
        : (
          <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table class="w-full text-sm" data-timeline>
              <thead class="bg-slate-50 text-left text-slate-600">
                <tr>
                  <th class={`${TH} w-28`}>When (UTC)</th>
                  <th class={TH}>Who</th>
                  <th class={TH}>Type</th>
                  <th class={TH}>What</th>
                  <th class={TH}>Subject</th>
                  <th class={TH}>
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((a) => <Row key={a.id} a={a} />)}
              </tbody>
            </table>
          </div>
        )}
      <nav class="mt-3 flex justify-between text-sm" aria-label="Pages">
        {data.filter.cursor
          ? (
            <a
              class="text-blue-700"
              href={`/history?${filterParams({ ...data.filter, cursor: undefined })}`}
            >
              ← Newest
            </a>
          )
          : <span />}
        {data.next && (
          <a
            class="text-blue-700"
            rel="next"
            href={`/history?${filterParams(data.filter, data.next)}`}
          >
            Older →
          </a>
        )}
      </nav>
    </Page>
  );
}

const TH = "px-2 py-2 font-medium";
const TD = "px-2 py-2 align-top";

function Row({ a }: { a: Activity }) {
  const href = subjectHref(a.subject);
  const when = new Date(a.when).toISOString();
  return (
    <tr class="border-t border-slate-100" data-type={typeOf(a)}>
      <td class={`${TD} text-xs text-slate-500 tabular-nums`}>
        <time dateTime={when}>
          <span class="block whitespace-nowrap">{when.slice(0, 10)}</span>
          <span class="block whitespace-nowrap">{when.slice(11, 19)}</span>
        </time>
      </td>
      <td class={`${TD} max-w-[8rem] [overflow-wrap:anywhere]`}>{a.who}</td>
      <td class={`${TD} text-xs text-slate-600`}>{typeOf(a)}</td>
      <td class={`${TD} min-w-[12rem] [overflow-wrap:anywhere]`}>
        {a.what}
        <Facts details={a.details} />
      </td>
      <td class={`${TD} max-w-[16rem] font-mono text-xs break-all`} data-testid="subject">
        {href ? <a class="text-blue-700 hover:underline" href={href}>{a.subject}</a> : a.subject}
      </td>
      <td class={`${TD} whitespace-nowrap`}>
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
        {a.details.undoneBy ? <span class="text-xs text-slate-500">undone</span> : null}
      </td>
    </tr>
  );
}

/** The event's scalar details under its verb (the exports have all of them). */
function Facts({ details }: { details: Record<string, unknown> }) {
  const facts = detailFacts(details);
  if (!facts.length) return null;
  return (
    <div class="text-xs text-slate-500" data-testid="facts">
      {facts.map((f, i) => (
        <span key={f.key}>
          {i > 0 && " · "}
          {f.label} <span class="text-slate-700">{f.value}</span>
        </span>
      ))}
    </div>
  );
}

/** Alias moves can be undone from here (once; the undo itself is an ordinary move). */
function undoable(a: Activity): boolean {
  return (a.what === "moved alias" || a.what === "removed alias") && !a.details.undoneBy &&
    !a.details.undoes;
}
