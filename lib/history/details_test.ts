import { assertEquals } from "@/tests/assert.ts";
import { detailFacts, MAX_FACTS, MAX_VALUE } from "./details.ts";

const pairs = (d: Record<string, unknown>) => detailFacts(d).map((f) => [f.label, f.value]);

Deno.test("detail facts: scalars in order, bookkeeping hidden, alias moves as one fact", () => {
  assertEquals(pairs({ backend: "wasm" }), [["backend", "wasm"]]);
  assertEquals(
    pairs({ name: "main.cv.det", alias: "champion", from: 1, to: 2, undoes: "x" }),
    [["version", "1 → 2"], ["name", "main.cv.det"], ["alias", "champion"]],
  );
  assertEquals(pairs({ from: 3, to: null }), [["version", "3 → none"]]);
  assertEquals(pairs({ ok: true, latencyMs: 12.3456789, i: 4, jobRunId: "9" }), [
    ["ok", "yes"],
    ["latency", "12.3 ms"],
  ]);
});

Deno.test("detail facts: readable labels with units; opaque ids are not shown", () => {
  assertEquals(pairs({ ok: false, latencyMs: 2.1, image: "trunc.jpg" }), [
    ["ok", "no"],
    ["latency", "2.1 ms"],
    ["image", "trunc.jpg"],
  ]);
  assertEquals(pairs({ latencyMs: 1234.5 }), [["latency", "1,235 ms"]]);
  assertEquals(
    pairs({ format: "auto", scanId: "4ddd0ff6-c7d7-412d-862a-030522a73e9f" }),
    [["format", "auto"]],
  );
  assertEquals(
    pairs({ workloadSize: "Small", workloadType: "CPU", scaleToZero: false }),
    [["workload size", "Small"], ["workload type", "CPU"], ["scale to zero", "no"]],
  );
  assertEquals(pairs({ runId: "20261203-120512-f03a", version: "2" }), [
    ["run", "20261203-120512-f03a"],
    ["version", "2"],
  ]);
  // a key ending in Id with a hash value is an id nobody reads; a readable one stays
  assertEquals(pairs({ mlflowRunId: "x", artifactId: "a".repeat(32), modelId: "main.cv.x" }), [
    ["model id", "main.cv.x"],
  ]);
  assertEquals(pairs({ chars: 1, removedFiles: 3, sizeBytes: 44_705_992, waitSeconds: 2 }), [
    ["length", "1 character"],
    ["files removed", "3 files"],
    ["size", "44.7 MB"],
    ["wait", "2 s"],
  ]);
});

Deno.test("detail facts: objects, lists and empty text are left to the exports; long rows cut", () => {
  assertEquals(detailFacts({ a: { b: 1 }, l: [1, 2], e: "", n: NaN }), []);
  const long = detailFacts({ m: "x".repeat(200) });
  assertEquals(long[0].value.length, MAX_VALUE);
  assertEquals(long[0].value.endsWith("…"), true);
  const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
  assertEquals(detailFacts(many).length, MAX_FACTS);
});
