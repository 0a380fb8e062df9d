import { useState } from "preact/hooks";
import type { Problem, ScanResult } from "@/lib/data/types.ts";
import { StatsView } from "./StatsView.tsx";
import { ProblemList } from "./ProblemList.tsx";
import { SampleGrid } from "./SampleGrid.tsx";
import { SampleViewer } from "./SampleViewer.tsx";

interface Props {
  /** Scan id, for sample and export URLs. */
  scanId: string;
  result: ScanResult;
}

const sec = (ms: number) => (ms < 1000 ? "<1 s" : `${Math.ceil(ms / 1000)} s`);

/** A finished scan: split tabs, class filter, charts, the problem list and the sample grid. */
export function ScanResultView({ scanId, result }: Props) {
  const [split, setSplit] = useState(0);
  const [classId, setClassId] = useState<number | null>(null);
  const [code, setCode] = useState("");
  const [view, setView] = useState<{ split: string; image: number | string } | null>(null);
  const sp = result.splits[split];
  const openProblem = (pr: Problem) =>
    setView({ split: pr.split ?? sp.name, image: pr.image_id ?? pr.file! });
  if (!sp) return <p class="text-sm text-slate-600">The scan found no split to show.</p>;
  return (
    <>
      <div class="text-sm text-slate-600" data-result>
        {result.format} — {result.reason}. Scanned in {sec(result.durationMs)}.
        {result.notes.map((n) => <div key={n} class="text-amber-800">{n}</div>)}
      </div>
      <div class="flex flex-wrap items-center gap-2">
        {result.splits.map((s, i) => (
          <button
            key={s.name}
            type="button"
            onClick={() => setSplit(i)}
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
              const v = (e.target as HTMLSelectElement).value;
              setClassId(v === "" ? null : Number(v));
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
        classId={classId}
        code={code}
        onCode={setCode}
        onOpen={openProblem}
      />
      {result.format !== "coco-panoptic" && result.format !== "delta" && (
        <SampleGrid
          scanId={scanId}
          split={sp.name}
          classId={classId}
          problem={code}
          onOpen={(image) => setView({ split: sp.name, image })}
        />
      )}
      {view && (
        <SampleViewer
          scanId={scanId}
          split={view.split}
          image={view.image}
          classes={result.splits.find((s) => s.name === view.split)?.stats.classes ?? []}
          problems={result.problems.filter((q) =>
            q.split === view.split && (q.image_id === view.image || q.file === view.image)
          )}
          onClose={() => setView(null)}
        />
      )}
    </>
  );
}
