import { ACTIVITY_TYPES } from "@/lib/store/activity.ts";
import type { TimelineFilter } from "@/lib/history/timeline.ts";
import { filterParams } from "@/lib/history/timeline.ts";

const INPUT = "rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm";

/** The timeline's filter form (GET, works without JavaScript) and the CSV/JSON links. */
export function TimelineFilters({ filter }: { filter: TimelineFilter }) {
  const qs = filterParams({ ...filter, cursor: undefined });
  return (
    <form method="get" action="/history" class="mb-4 flex flex-wrap items-end gap-2" role="search">
      <label class="text-xs text-slate-600">
        Type
        <select name="type" class={`${INPUT} block`} data-filter="type">
          <option value="">any</option>
          {ACTIVITY_TYPES.map((t) => (
            <option key={t} value={t} selected={filter.type === t}>{t}</option>
          ))}
        </select>
      </label>
      <label class="text-xs text-slate-600">
        Who
        <input
          name="who"
          value={filter.who ?? ""}
          class={`${INPUT} block w-36`}
          placeholder="anyone"
        />
      </label>
      <label class="text-xs text-slate-600">
        From
        <input
          type="date"
          name="since"
          value={filter.since?.slice(0, 10) ?? ""}
          class={`${INPUT} block`}
        />
      </label>
      <label class="text-xs text-slate-600">
        To
        <input
          type="date"
          name="until"
          value={filter.until?.slice(0, 10) ?? ""}
          class={`${INPUT} block`}
        />
      </label>
      <label class="text-xs text-slate-600">
        Words
        <input
          name="q"
          value={filter.q ?? ""}
          class={`${INPUT} block w-56`}
          placeholder="whole words: alice, detection, v3"
        />
      </label>
      <button
        type="submit"
        class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white"
      >
        Filter
      </button>
      <a href="/history" class="px-2 py-1.5 text-sm text-slate-600 hover:underline">Clear</a>
      <span class="ml-auto flex gap-3 text-sm">
        <a class="text-blue-700" href={`/api/history/timeline.csv${qs ? `?${qs}` : ""}`}>CSV</a>
        <a class="text-blue-700" href={`/api/history${qs ? `?${qs}` : ""}`}>JSON</a>
      </span>
    </form>
  );
}
