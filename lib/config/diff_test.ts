import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { diffConfigs, lineDiff } from "./diff.ts";

Deno.test("[diff] field changes list added, removed and changed leaves in section order", () => {
  const a = {
    training: { max_epochs: 10 },
    model: { model_name: "m", image_size: [800, 800], lr: 1 },
  };
  const b = {
    model: { model_name: "m", image_size: [640, 640], extra: true },
    training: { max_epochs: 10 },
  };
  assertEquals(diffConfigs(a, b), [
    { path: "model.image_size", kind: "changed", before: [800, 800], after: [640, 640] },
    { path: "model.lr", kind: "removed", before: 1 },
    { path: "model.extra", kind: "added", after: true },
  ]);
  assertEquals(diffConfigs(a, structuredClone(a)), []);
});

Deno.test("[diff] line diff pairs changed lines and keeps line numbers on both sides", () => {
  const rows = lineDiff("a: 1\nb: 2\nc: 3\n", "a: 1\nb: 5\nc: 3\nd: 4\n");
  assertEquals(rows.map((r) => r.kind), ["same", "changed", "same", "added"]);
  assertEquals(rows[1].left, { n: 2, text: "b: 2" });
  assertEquals(rows[1].right, { n: 2, text: "b: 5" });
  assertEquals(rows[3].right?.n, 4);
  assertEquals(lineDiff("x\n", "").map((r) => r.kind), ["changed"]);
});
