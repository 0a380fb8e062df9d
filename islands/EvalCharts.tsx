import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { EvalChart } from "@/components/evaluation/EvalChart.tsx";
import type { ChartSpec } from "@/lib/evaluation/charts.ts";

interface Props {
  /** Charts to draw, built on the server (lib/evaluation/charts.ts). */
  specs: ChartSpec[];
}

/** A grid of evaluation charts, each downloadable as PNG. */
export default function EvalCharts({ specs }: Props) {
  const readySig = useSignal(false);
  useEffect(() => {
    readySig.value = true;
  }, []);
  if (specs.length === 0) return null;
  return (
    <div class="grid gap-4 md:grid-cols-2">
      {specs.map((s) => <EvalChart key={s.id} spec={s} ready={readySig.value} />)}
    </div>
  );
}
