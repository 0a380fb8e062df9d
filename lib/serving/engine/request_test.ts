import { assert, assertEquals, assertStringIncludes, assertThrows } from "@/tests/assert.ts";
import { BadRequestError, ServiceUnavailableError } from "@/lib/errors.ts";
import { EndpointMeter, metricsFromStored } from "./metrics.ts";
import { BoundedQueue } from "./queue.ts";
import { imageBytes, parseInvocation } from "./request.ts";
import { loadSettings } from "@/fresh.config.ts";

Deno.test("[serving request] every Model Serving input format yields the same images and params", () => {
  const want = { images: ["QUJD", "REVG"], params: { top_k: 2 } };
  const bodies = [
    { dataframe_split: { columns: ["image"], data: [["QUJD"], ["REVG"]] }, params: { top_k: 2 } },
    { dataframe_records: [{ image: "QUJD" }, { b64: "REVG" }], params: { top_k: "2" } },
    { instances: ["QUJD", "REVG"], params: { top_k: 2 } },
    { inputs: { image: ["QUJD", "REVG"] }, params: { top_k: 2 } },
  ];
  for (const b of bodies) assertEquals(parseInvocation(b), want);
});

Deno.test("[serving request] malformed shapes, params and base64 are 400s naming the problem", () => {
  const cases: [unknown, string][] = [
    [[1, 2], "must be a JSON object"],
    [{ instances: [], inputs: [] }, "send exactly one input format"],
    [{ instances: [] }, "holds no rows"],
    [{ instances: "x" }, "must be an array of rows"],
    [{ dataframe_split: { columns: ["image"], data: [1] } }, "dataframe_split.data[0]"],
    [
      { instances: ["a"], params: { confidence_threshold: 2 } },
      "param confidence_threshold must be between 0 and 1, got 2.",
    ],
    [{ instances: ["a"], params: { max_detections: 1.5 } }, "whole number"],
    [{ instances: Array(65).fill("a") }, "at most 64"],
  ];
  for (const [b, msg] of cases) {
    const e = assertThrows(() => parseInvocation(b), BadRequestError);
    assertStringIncludes(e.message, msg);
  }
  assertEquals(imageBytes("QUJD", "x"), new TextEncoder().encode("ABC"));
  assertEquals(imageBytes("data:image/png;base64,QUJD\n", "x"), new TextEncoder().encode("ABC"));
  assertStringIncludes(
    assertThrows(() => imageBytes("QU*D", "image 2"), BadRequestError).message,
    'image 2 is not valid base64 (character "*"',
  );
  assertStringIncludes(
    assertThrows(() => imageBytes(12, "the image"), BadRequestError).message,
    "must be base64 text",
  );
});

Deno.test("[serving queue] runs at most `concurrency`, queues `maxQueued`, refuses the next with Retry-After", async () => {
  const q = new BoundedQueue({ concurrency: 2, maxQueued: 1, retryAfterSeconds: 3 }, "Endpoint e");
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let peak = 0, now = 0;
  const task = () =>
    q.run(async () => {
      peak = Math.max(peak, ++now);
      await gate;
      now--;
      return 1;
    });
  const running = [task(), task(), task()];
  const e = await task().catch((e) => e);
  assert(e instanceof ServiceUnavailableError);
  assertEquals(e.retryAfterSeconds, 3);
  release();
  assertEquals(await Promise.all(running), [1, 1, 1]);
  assertEquals(peak, 2);
  assertEquals(q.stats, { running: 0, queued: 0 });
});

Deno.test("[serving metrics] per-minute counts and nearest-rank p50/p95 survive the compact snapshot", () => {
  const m = new EndpointMeter();
  const t = 1_700_000_040_000;
  for (let i = 1; i <= 100; i++) m.record(i, i % 10 !== 0, t);
  m.record(7, true, t + 60_000);
  const v = m.view();
  assertEquals(v.points.map((p) => [p.requests, p.errors, p.p50Ms, p.p95Ms]), [[100, 10, 50, 95], [
    1,
    0,
    7,
    7,
  ]]);
  assertEquals(metricsFromStored(JSON.parse(JSON.stringify(m.toStored()))).points, v.points);
  assertEquals(metricsFromStored({ nonsense: true }).points, []);
});

Deno.test("[serving settings] LAKEVISION_ENDPOINT_IDLE_MINUTES defaults to 15 and refuses nonsense", () => {
  assertEquals(loadSettings({}).endpointIdleMinutes, 15);
  assertEquals(loadSettings({ LAKEVISION_ENDPOINT_IDLE_MINUTES: "0" }).endpointIdleMinutes, 0);
  assertStringIncludes(
    assertThrows(() => loadSettings({ LAKEVISION_ENDPOINT_IDLE_MINUTES: "soon" })).message,
    "LAKEVISION_ENDPOINT_IDLE_MINUTES",
  );
});
