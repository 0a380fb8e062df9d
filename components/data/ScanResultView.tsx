import { useSignal } from "@preact/signals";
import type { ScanResult } from "@/lib/data/types.ts";
import { problemsOf, roughSeconds, type SampleView } from "@/lib/data/eda_page.ts";
import { StatsView } from "./StatsView.tsx";
import { ProblemList } from "./ProblemList.tsx";
import { SampleGrid } from "./SampleGrid.tsx";
import { SampleViewer } from "./SampleViewer.tsx";

interface Props {
  /** Scan id, for sample and export URLs. */
  scanId: string;
  result: ScanResult;
}

/** A finished scan: split tabs, class filter, charts, the problem list and the sample grid. */
export function ScanResultView({ scanId, result }: Props) {
  const splitSig = useSignal(0);
  const classIdSig = useSignal<number | null>(null);
  /** The rule picked in the problem list; the sample grid shows its images. */
  const codeSig = useSignal("");
  /** The image open in the sample viewer. */
  const viewSig = useSignal<SampleView | null>(null);
  const split = splitSig.value, classId = classIdSig.value, view = viewSig.value;
  const sp = result.splits[split];
  if (!sp) return <p class="text-sm text-slate-600">The scan found no split to show.</p>;
  const open = (v: SampleView) => viewSig.value = v;
  return (
    <>
      <div class="text-sm text-slate-600" data-result>
        {result.format} — {result.reason}. Scanned in {roughSeconds(result.durationMs)}.
        {result.notes.map((n) => <div key={n} class="text-amber-800">{n}</div>)}
      </div>
      <div class="flex flex-wrap items-center gap-2">
        {result.splits.map((s, i) => (
          <button
            key={s.name}
            type="button"
            onClick={() => splitSig.value = i}
            class={`rounded-md px-3 py-1 text-sm border ${
              i === split
                ? "bg-slate-900 text-white border-slate-900"
                : "border-slate-300 hover:bg-slate-50"
            }`}
          >
            {s.name}
          </button>
        ))}
        <label class="ml-auto text-sm">
          Class{" "}
          <select
            aria-label="Filter by class"
            class="rounded border border-slate-300 px-2 py-1"
            value={classId ?? ""}
            onChange={(e) => {
              const v = e.currentTarget.value;
              classIdSig.value = v === "" ? null : Number(v);
            }}
          >
            <option value="">all classes</option>
            {sp.stats.classes.map((c) => (
              <option key={c.id} value={c.id}>{c.name} ({c.count})</option>
            ))}
          </select>
        </label>
      </div>
      <StatsView split={sp} classId={classId} />
      <ProblemList
        scanId={scanId}
        problems={result.problems}
        counts={result.problemCounts}
        truncated={result.truncated}
        classId={classIdSig}
        code={codeSig}
        split={sp.name}
        onOpen={open}
      />
      {result.format !== "coco-panoptic" && result.format !== "delta" && (
        <SampleGrid
          scanId={scanId}
          split={sp.name}
          format={sp.format}
          classes={sp.stats.classes}
          classId={classIdSig}
          problem={codeSig}
          onOpen={(image) => open({ split: sp.name, image })}
        />
      )}
      {view && (
        <SampleViewer
          scanId={scanId}
          view={view}
          classes={result.splits.find((s) => s.name === view.split)?.stats.classes ?? []}
          format={result.splits.find((s) => s.name === view.split)?.format ?? result.format}
          problems={problemsOf(result.problems, view)}
          onClose={() => viewSig.value = null}
        />
      )}
    </>
  );
}
