/** Monitoring charts and totals from an endpoint's metric buckets. */
import { assertEquals } from "@/tests/assert.ts";
import type { EndpointMetrics } from "@/lib/workspace/types.ts";
import { metricsCharts, metricsCsv, requestsLabel, summarize, windowText } from "./monitoring.ts";

const T = Date.UTC(2026, 0, 1, 12, 0);
const M: EndpointMetrics = {
  bucketMs: 60_000,
  source: "measured by the app",
  points: [
    { t: T + 120_000, requests: 0, errors: 0, p50Ms: null, p95Ms: null },
    { t: T, requests: 10, errors: 1, p50Ms: 4, p95Ms: 9 },
    { t: T + 60_000, requests: 30, errors: 0, p50Ms: 5, p95Ms: 12.5 },
  ],
};

Deno.test("[serving monitoring] totals: 40 requests, 1 error = 2.5%, latest p95 from a bucket with traffic", () => {
  assertEquals(summarize(M), {
    requests: 40,
    errors: 1,
    errorRate: 0.025,
    lastP95Ms: 12.5,
    minutes: 3,
  });
  assertEquals(summarize({ ...M, points: [] }).errorRate, null);
  assertEquals(requestsLabel(summarize(M)), "Requests (3 min)");
  assertEquals(requestsLabel(summarize({ ...M, points: [] })), "Requests");
  assertEquals([windowText(summarize(M)), windowText(summarize({ ...M, points: [] }))], [
    "3 min",
    null,
  ]);
});

Deno.test("[serving monitoring] charts put x in minutes before the newest bucket; error rate skips empty buckets", () => {
  const [req, err, lat] = metricsCharts(M);
  assertEquals(req.series[0].points, [{ x: -2, y: 10 }, { x: -1, y: 30 }, { x: 0, y: 0 }]);
  assertEquals(err.series[0].points, [{ x: -2, y: 10 }, { x: -1, y: 0 }]);
  assertEquals(lat.series.map((s) => s.points), [
    [{ x: -2, y: 4 }, { x: -1, y: 5 }],
    [{ x: -2, y: 9 }, { x: -1, y: 12.5 }],
  ]);
  assertEquals(req.caption, "measured by the app; one point per 1 min.");
  assertEquals(metricsCsv(M)[1], ["2026-01-01T12:00:00.000Z", 10, 1, 4, 9]);
});
