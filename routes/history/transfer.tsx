import { plural } from "@/lib/format.ts";
import { Page } from "@/components/Page.tsx";
import { HistoryNav } from "@/components/history/HistoryNav.tsx";
import {
  getRetention,
  type Retention,
  RetentionSchema,
  saveRetention,
} from "@/lib/history/retention.ts";
import { importHistory, type ImportSummary, parseExport } from "@/lib/history/transfer.ts";
import { HttpError } from "@/lib/errors.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  retention: Retention;
  summary?: ImportSummary;
  importError?: string;
  retentionError?: string;
  notice?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const notice = ctx.url.searchParams.get("notice")?.slice(0, 300);
    return ctx.render({ retention: await getRetention(), notice });
  },
  /** `action=import` (a file from the export) or `action=retention` (days); PRG on success. */
  async POST(req, ctx) {
    const form = await readForm(req);
    const retention = await getRetention();
    if (form.get("action") === "retention") {
      const r = RetentionSchema.safeParse({ days: form.get("days") });
      if (!r.success) {
        return ctx.render({ retention, retentionError: r.error.issues[0].message }, {
          status: 400,
        });
      }
      await saveRetention(r.data.days, ctx.state.user.name);
      return ctx.redirect(
        `/history/transfer?notice=${encodeURIComponent(`Retention set to ${r.data.days} days.`)}`,
      );
    }
    const file = form.get("file");
    try {
      if (!(file instanceof File) || file.size === 0) {
        throw new InputError("Choose an export file.");
      }
      let doc: unknown;
      try {
        doc = JSON.parse(await file.text());
      } catch {
        throw new InputError("The file is not JSON.");
      }
      const summary = await importHistory(parseExport(doc));
      return ctx.render({ retention, summary });
    } catch (e) {
      if (!(e instanceof HttpError) && !(e instanceof InputError)) throw e;
      return ctx.render({ retention, importError: e.message }, { status: 400 });
    }
  },
};

/** Export and import of the history, and how long events are kept. */
export default function TransferPage({ data }: PageProps<Data>) {
  const s = data.summary;
  return (
    <Page title="History" description="Export, import and retention of the activity history.">
      <HistoryNav active="transfer" />
      {data.notice && (
        <p role="status" class="mb-3 rounded bg-green-50 px-3 py-2 text-sm text-green-800">
          {data.notice}
        </p>
      )}
      <section class="mb-6 rounded-lg border border-slate-200 bg-white p-4">
        <h2 class="font-semibold mb-2">Export</h2>
        <p class="text-sm text-slate-600 mb-2">
          Events, per-user preferences and the run records the analytics come from, as JSON; the
          timeline alone as CSV.
        </p>
        <div class="flex gap-3 text-sm">
          <a
            class="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white"
            href="/api/history/export"
          >
            Download JSON
          </a>
          <a
            class="rounded-md border border-slate-300 px-3 py-1.5"
            href="/api/history/timeline.csv"
          >
            Timeline CSV
          </a>
        </div>
      </section>
      <section class="mb-6 rounded-lg border border-slate-200 bg-white p-4">
        <h2 class="font-semibold mb-2">Import</h2>
        <form method="post" encType="multipart/form-data" class="flex flex-wrap items-center gap-2">
          <input type="hidden" name="action" value="import" />
          <label class="text-sm">
            Export file{" "}
            <input
              type="file"
              name="file"
              accept="application/json,.json"
              class="text-sm"
              aria-describedby="import-help"
            />
          </label>
          <button
            type="submit"
            class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white"
          >
            Import
          </button>
        </form>
        <p id="import-help" class="mt-1 text-xs text-slate-500">
          Validated first. Events and runs already here (same id) are skipped; existing preferences
          are never overwritten.
        </p>
        {data.importError && (
          <p role="alert" class="mt-2 text-sm text-red-700">{data.importError}</p>
        )}
        {s && (
          <p
            role="status"
            class="mt-2 rounded bg-green-50 px-3 py-2 text-sm text-green-800"
            data-import-summary
          >
            Added {plural(s.added, "event")} (skipped {s.skipped} already present),{" "}
            {plural(s.runs.added, "run")} (skipped {s.runs.skipped}),{" "}
            {plural(s.preferences.added, "user's preferences", "users' preferences")}
            {s.preferences.conflicts.length > 0 && (
              <>; kept the existing preferences of {s.preferences.conflicts.join(", ")}</>
            )}.
          </p>
        )}
      </section>
      <section class="rounded-lg border border-slate-200 bg-white p-4">
        <h2 class="font-semibold mb-2">Retention</h2>
        <form method="post" class="flex flex-wrap items-end gap-2">
          <input type="hidden" name="action" value="retention" />
          <label class="text-sm">
            Keep events for (days, 0 = forever)
            <input
              name="days"
              type="number"
              min="0"
              max="36500"
              value={data.retention.days}
              class="ml-2 w-28 rounded-md border border-slate-300 px-2 py-1 text-sm"
              aria-invalid={data.retentionError ? "true" : undefined}
            />
          </label>
          <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm">
            Save
          </button>
          {data.retentionError && (
            <span role="alert" class="text-sm text-red-700">{data.retentionError}</span>
          )}
        </form>
        <p class="mt-1 text-xs text-slate-500">
          Older events are removed by a background task every hour, never while a page loads.
        </p>
      </section>
    </Page>
  );
}

/** A problem with the uploaded file, shown next to the form. */
class InputError extends Error {}
