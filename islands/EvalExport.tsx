import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

interface Props {
  /** Run ids in the report (one run, or a comparison's runs in order). */
  runIds: string[];
}

const FORMATS: [string, string, string][] = [
  ["html", "HTML report", "one self-contained file: opens without the server, charts included"],
  ["md", "Markdown", "tables for a pull request or wiki"],
  ["csv", "CSV", "every metric as one row"],
  ["json", "JSON", "everything computed"],
];

/** Report downloads (plain links) and "Print / PDF" (the page has a print stylesheet). */
export default function EvalExport({ runIds }: Props) {
  const readySig = useSignal(false);
  useEffect(() => {
    readySig.value = true;
  }, []);
  const runs = encodeURIComponent(runIds.join(","));
  return (
    <div class="flex flex-wrap gap-2 print:hidden" data-testid="exports">
      {FORMATS.map(([f, label, title]) => (
        <a
          key={f}
          href={`/api/evaluation/report?runs=${runs}&format=${f}`}
          download
          title={title}
          data-format={f}
          class="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50"
        >
          {label}
        </a>
      ))}
      <button
        type="button"
        disabled={!readySig.value}
        title="Print this page or save it as PDF"
        class="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50 disabled:opacity-50"
        onClick={() => globalThis.print()}
      >
        Print / PDF
      </button>
    </div>
  );
}
