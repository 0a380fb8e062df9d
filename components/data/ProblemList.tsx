import { type ReadonlySignal, type Signal, useSignal } from "@preact/signals";
import type { Problem } from "@/lib/data/types.ts";
import {
  filterProblems,
  type ProblemFilter,
  problemSample,
  ruleChoices,
  type SampleView,
} from "@/lib/data/eda_page.ts";

interface Props {
  /** Scan id, for the export links. */
  scanId: string;
  problems: Problem[];
  counts: Record<string, number>;
  truncated: boolean;
  /** Class to filter by (null = all), picked above the charts. */
  classId: ReadonlySignal<number | null>;
  /** Rule to show ("" = all), shared with the sample grid. */
  code: Signal<string>;
  /** The split shown, for problems that name none. */
  split: string;
  /** Opens the sample view of a problem's image. */
  onOpen: (view: SampleView) => void;
}

const PAGE = 100;

/** The located problem list: filters, export links, and a "view" link per image. */
export function ProblemList(
  { scanId, problems, counts, truncated, classId, code, split, onOpen }: Props,
) {
  const severitySig = useSignal<ProblemFilter["severity"]>("all");
  const shownSig = useSignal(PAGE);
  const severity = severitySig.value, shown = shownSig.value;
  const rows = filterProblems(problems, { severity, code: code.value, classId: classId.value });
  const errors = problems.filter((p) => p.severity === "error").length;
  return (
    <section class="rounded-lg border border-slate-200 bg-white p-4" data-problems>
      <div class="flex flex-wrap items-center justify-between gap-2 mb-3">
        <h2 class="font-semibold text-slate-900">
          Problems{" "}
          <span class="text-sm font-normal text-slate-500">
            ({errors} errors, {problems.length - errors}{" "}
            warnings{truncated ? "; list truncated, counts exact" : ""})
          </span>
        </h2>
        <div class="flex flex-wrap gap-2 text-sm">
          <select
            aria-label="Severity"
            class="rounded border border-slate-300 px-2 py-1"
            value={severity}
            onChange={(e) => severitySig.value = e.currentTarget.value as ProblemFilter["severity"]}
          >
            <option value="all">all severities</option>
            <option value="error">errors</option>
            <option value="warning">warnings</option>
          </select>
          <select
            aria-label="Rule"
            class="rounded border border-slate-300 px-2 py-1"
            value={code.value}
            onChange={(e) => code.value = e.currentTarget.value}
          >
            <option value="">all rules</option>
            {ruleChoices(counts).map(([c, n]) => <option key={c} value={c}>{c} ({n})</option>)}
          </select>
          <a
            class="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50"
            href={`/api/data/scans/${scanId}/problems?format=csv`}
            download
          >
            CSV
          </a>
          <a
            class="rounded border border-slate-300 px-2 py-1 hover:bg-slate-50"
            href={`/api/data/scans/${scanId}/problems?format=json`}
            download
          >
            JSON
          </a>
        </div>
      </div>
      {rows.length === 0
        ? (
          <p class="text-sm text-green-800 bg-green-50 rounded px-3 py-2">
            No problems{problems.length ? " match these filters" : " found"}.
          </p>
        )
        : (
          <table class="w-full text-sm">
            <thead class="text-left text-xs text-slate-500">
              <tr>
                <th class="py-1 pr-2">severity</th>
                <th class="pr-2">rule</th>
                <th class="pr-2">split</th>
                <th class="pr-2">where</th>
                <th>reason</th>
                <th />
              </tr>
            </thead>
            <tbody class="divide-y divide-slate-100">
              {rows.slice(0, shown).map((p, i) => {
                const view = problemSample(p, split);
                return (
                  <tr key={i} data-code={p.code} class="align-top">
                    <td class="py-1 pr-2">
                      <span
                        class={`rounded-full px-2 py-0.5 text-xs font-medium ${
                          p.severity === "error"
                            ? "bg-red-100 text-red-800"
                            : "bg-amber-100 text-amber-800"
                        }`}
                      >
                        {p.severity}
                      </span>
                    </td>
                    <td class="pr-2 font-mono text-xs">{p.code}</td>
                    <td class="pr-2">{p.split}</td>
                    <td class="pr-2 text-xs text-slate-600 break-all">
                      {p.image_id !== undefined && <div>image {p.image_id}</div>}
                      {p.annotation_id !== undefined && <div>annotation {p.annotation_id}</div>}
                      {p.where && <div>{p.where}</div>}
                    </td>
                    <td class="text-slate-800">{p.message}</td>
                    <td class="pl-2">
                      {view && (
                        <button
                          type="button"
                          class="text-blue-700 underline text-xs"
                          onClick={() => onOpen(view)}
                        >
                          view
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      {rows.length > shown && (
        <button
          type="button"
          class="mt-2 text-sm text-blue-700 underline"
          onClick={() => shownSig.value = shown + PAGE * 5}
        >
          Show more ({rows.length - shown} left)
        </button>
      )}
    </section>
  );
}
