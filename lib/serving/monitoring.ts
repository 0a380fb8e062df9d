/**
 * An endpoint's traffic as the page's charts and summary show it: requests, error rate and
 * latency per time bucket from `ServingApi.metrics`, with x in minutes before the newest bucket.
 * Browser-safe: the metrics island rebuilds these after each refresh.
 */
import type { ChartSpec } from "@/lib/evaluation/charts.ts";
import type { EndpointMetrics } from "@/lib/workspace/types.ts";

/** Totals over the window. */
export interface MetricsSummary {
  requests: number;
  errors: number;
  /** Errors ÷ requests, 0–1; null without requests. */
  errorRate: number | null;
  /** p95 of the newest bucket that had requests. */
  lastP95Ms: number | null;
  /** Window covered, in minutes. */
  minutes: number;
}

/** Totals of a metrics window. */
export function summarize(m: EndpointMetrics): MetricsSummary {
  const requests = m.points.reduce((a, p) => a + p.requests, 0);
  const errors = m.points.reduce((a, p) => a + p.errors, 0);
  const last = [...m.points].reverse().find((p) => p.requests > 0 && p.p95Ms !== null);
  return {
    requests,
    errors,
    errorRate: requests ? errors / requests : null,
    lastP95Ms: last?.p95Ms ?? null,
    minutes: (m.points.length * m.bucketMs) / 60_000,
  };
}

/** The window the totals cover, as "3 min"; null until there is a minute of buckets. */
export function windowText(s: MetricsSummary): string | null {
  return s.minutes >= 1 ? `${Math.round(s.minutes)} min` : null;
}

/** The requests tile's label: the window it counts, once there is one. */
export function requestsLabel(s: MetricsSummary): string {
  const win = windowText(s);
  return win ? `Requests (${win})` : "Requests";
}

/** The three charts: requests per bucket, error rate (%), p50 and p95 latency (ms). */
export function metricsCharts(m: EndpointMetrics): ChartSpec[] {
  const pts = [...m.points].sort((a, b) => a.t - b.t);
  const end = pts.at(-1)?.t ?? 0;
  const x = (t: number) => Math.round(((t - end) / 60_000) * 100) / 100;
  const per = m.bucketMs >= 60_000
    ? `${Math.round(m.bucketMs / 60_000)} min`
    : `${m.bucketMs / 1000} s`;
  const caption = `${m.source}; one point per ${per}.`;
  const lat = (k: "p50Ms" | "p95Ms") =>
    pts.filter((p) => p[k] !== null).map((p) => ({ x: x(p.t), y: p[k] as number }));
  // At least ten minutes wide and from zero up, so one busy minute does not fill the chart.
  const xDomain: [number, number] = [Math.min(-10, pts.length ? x(pts[0].t) : 0), 0];
  const top = (v: number) => Math.max(1, Math.ceil(v * 1.2));
  const maxReq = Math.max(0, ...pts.map((p) => p.requests));
  const maxLat = Math.max(0, ...pts.map((p) => p.p95Ms ?? p.p50Ms ?? 0));
  return [
    {
      id: "endpoint-requests",
      title: "Requests",
      kind: "line",
      caption,
      xLabel: "minutes before the latest point",
      yLabel: `requests per ${per}`,
      xDomain,
      yDomain: [0, top(maxReq)],
      series: [{ label: "requests", points: pts.map((p) => ({ x: x(p.t), y: p.requests })) }],
    },
    {
      id: "endpoint-errors",
      title: "Error rate",
      kind: "line",
      caption,
      xLabel: "minutes before the latest point",
      yLabel: "% of requests",
      xDomain,
      yDomain: [0, 100],
      series: [{
        label: "errors %",
        points: pts.filter((p) => p.requests > 0).map((p) => ({
          x: x(p.t),
          y: Math.round((p.errors / p.requests) * 1000) / 10,
        })),
      }],
    },
    {
      id: "endpoint-latency",
      title: "Latency",
      kind: "line",
      caption,
      xLabel: "minutes before the latest point",
      yLabel: "ms",
      xDomain,
      yDomain: [0, top(maxLat)],
      series: [
        { label: "p50", points: lat("p50Ms") },
        { label: "p95", points: lat("p95Ms") },
      ],
    },
  ];
}

/** CSV rows (header first) of the window, for the download button. */
export function metricsCsv(m: EndpointMetrics): (string | number)[][] {
  return [
    ["time_utc", "requests", "errors", "p50_ms", "p95_ms"],
    ...[...m.points].sort((a, b) => a.t - b.t).map((p) => [
      new Date(p.t).toISOString(),
      p.requests,
      p.errors,
      p.p50Ms ?? "",
      p.p95Ms ?? "",
    ]),
  ];
}
