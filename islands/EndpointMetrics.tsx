import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { downloadCsv } from "@/components/charts/download.ts";
import { EvalChart } from "@/components/evaluation/EvalChart.tsx";
import {
  metricsCharts,
  metricsCsv,
  requestsLabel,
  summarize,
  windowText,
} from "@/lib/serving/monitoring.ts";
import type { EndpointMetrics as Metrics } from "@/lib/workspace/types.ts";
import { callJson, retryable } from "@/lib/web/call_json.ts";

interface Props {
  /** The endpoint's name (the island refreshes from /api/endpoints/<name>/metrics). */
  name: string;
  /** Metrics as the server read them, or why the workspace has none. */
  initial: Metrics | { unavailable: string };
  /** Seconds between refreshes; 0 = never. */
  refreshSeconds: number;
}

/** Requests, error rate and latency over time, refreshed every few seconds, with PNG/CSV. */
export default function EndpointMetrics({ name, initial, refreshSeconds }: Props) {
  const metricsSig = useSignal(initial);
  const errorSig = useSignal<string | null>(null);
  const canRetrySig = useSignal(false);
  const readySig = useSignal(false);

  async function refresh() {
    try {
      const body = await callJson<{ metrics: Metrics }>(
        `/api/endpoints/${encodeURIComponent(name)}/metrics`,
      );
      metricsSig.value = body.metrics;
      errorSig.value = null;
    } catch (e) {
      errorSig.value = `Could not refresh the metrics: ${e instanceof Error ? e.message : e}`;
      // A refusal (4xx) says what is wrong; trying again helps only after a network or server error.
      canRetrySig.value = retryable(e);
    }
  }

  useEffect(() => {
    readySig.value = true;
    if (!refreshSeconds) return;
    const t = setInterval(refresh, refreshSeconds * 1000);
    return () => clearInterval(t);
  }, []);

  const m = metricsSig.value;
  if ("unavailable" in m) {
    return <p class="text-sm text-slate-600" data-metrics="unavailable">{m.unavailable}</p>;
  }
  const s = summarize(m);
  return (
    <div class="space-y-3" aria-live="polite">
      {errorSig.value && (
        <p role="alert" class="rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorSig.value}{" "}
          {canRetrySig.value && (
            <button type="button" class="underline" onClick={refresh}>Retry</button>
          )}
        </p>
      )}
      <dl class="grid grid-cols-2 sm:grid-cols-4 gap-2 text-sm" data-metrics="summary">
        <Stat label={requestsLabel(s)} value={String(s.requests)} />
        <Stat label="Errors" value={String(s.errors)} />
        <Stat
          label="Error rate"
          value={s.errorRate === null ? "—" : `${(s.errorRate * 100).toFixed(1)}%`}
        />
        <Stat
          label="Latest p95"
          value={s.lastP95Ms === null ? "—" : `${s.lastP95Ms.toFixed(1)} ms`}
        />
      </dl>
      <div class="flex justify-end">
        <button
          type="button"
          disabled={!readySig.value}
          class="rounded border border-slate-300 px-2 py-0.5 text-xs hover:bg-slate-50 disabled:opacity-50"
          onClick={() => downloadCsv(`${name}-metrics.csv`, metricsCsv(m))}
        >
          Metrics CSV
        </button>
      </div>
      {s.requests === 0
        ? (
          <p class="text-sm text-slate-600" data-metrics="no-traffic">
            No requests yet{windowText(s) ? ` in the last ${windowText(s)}` : ""}. The charts fill
            in as requests come: run the smoke test, or call the URL. Source: {m.source}.
          </p>
        )
        : (
          <div class="grid gap-4 lg:grid-cols-3">
            {metricsCharts(m).map((c) => <EvalChart key={c.id} spec={c} ready={readySig.value} />)}
          </div>
        )}
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div class="rounded border border-slate-200 bg-slate-50 px-2 py-1">
      <dt class="text-xs text-slate-500">{label}</dt>
      <dd class="font-semibold tabular-nums text-slate-900">{value}</dd>
    </div>
  );
}
