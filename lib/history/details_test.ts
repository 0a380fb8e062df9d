import { assertEquals } from "@/tests/assert.ts";
import { detailFacts, MAX_FACTS, MAX_VALUE } from "./details.ts";

Deno.test("detail facts: scalars in order, bookkeeping hidden, alias moves as one fact", () => {
  assertEquals(detailFacts({ backend: "wasm" }), [{ key: "backend", value: "wasm" }]);
  assertEquals(
    detailFacts({ name: "main.cv.det", alias: "champion", from: 1, to: 2, undoes: "x" }),
    [
      { key: "version", value: "1 → 2" },
      { key: "name", value: "main.cv.det" },
      { key: "alias", value: "champion" },
    ],
  );
  assertEquals(detailFacts({ from: 3, to: null }), [{ key: "version", value: "3 → none" }]);
  assertEquals(detailFacts({ ok: true, latencyMs: 12.3456789, i: 4, jobRunId: "9" }), [
    { key: "ok", value: "yes" },
    { key: "latencyMs", value: "12.3457" },
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
