/**
 * Reading a batch's results: a Parquet output is read from its append log while it runs (and
 * after, where the log was kept), and the overlay is the prediction alone, laid over the photo
 * by the page (an SVG shown as an image never loads the photo it links to).
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@/tests/assert.ts";
import { ConflictError, NotFoundError } from "@/lib/errors.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import type { ResultRow } from "./result_log.ts";
import { batchDownload, overlaySvg, parquetState, readResults, resultFile } from "./results.ts";
import type { BatchRecord } from "./types.ts";

const VOL = "/Volumes/main/cv/data";

function record(output: BatchRecord["output"], status: BatchRecord["status"]): BatchRecord {
  const now = Date.now();
  return {
    id: "b-1",
    name: "b",
    createdAt: now,
    createdBy: "tester",
    model: "main.cv.tiny",
    version: "1",
    modelDir: `${VOL}/models/main.cv.tiny/1`,
    input: { kind: "folder", path: `${VOL}/img` },
    output,
    runner: "job",
    params: {},
    runDir: `${VOL}/batch/b-1`,
    status,
    phase: status,
    command: [],
    attempt: 1,
    progress: null,
    updatedAt: now,
    idempotencyToken: "token-b-1",
  };
}

const row = (path: string, error: string | null = null): ResultRow => ({
  path,
  prediction: error ? null : { top_k: [{ label: 1, label_name: "dog", score: 0.9 }] },
  error,
});

Deno.test("[batch results] a running Parquet batch shows the rows of its append log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lakevision-results-" });
  try {
    const ws = createLocalWorkspace({ dataDir: dir, volume: VOL });
    const out = `${VOL}/batch/b-1/results.parquet`;
    const running = record({ kind: "file", path: out }, "running");
    assertEquals(resultFile(running), `${out}.log.jsonl`);

    const empty = await readResults(ws, running);
    assertEquals([empty.total, empty.note], [0, "No results written yet."]);

    const lines = [row(`${VOL}/img/a.png`), row(`${VOL}/img/b.png`, "not an image")]
      .map((r) => JSON.stringify(r) + "\n").join("");
    await ws.files.write(`${out}.log.jsonl`, lines + '{"path": "/Volu');
    const page = await readResults(ws, running);
    assertEquals(page.rows.map((r) => r.path), [`${VOL}/img/a.png`, `${VOL}/img/b.png`]);
    assertEquals([page.total, page.errors, page.note], [2, 1, undefined]);
    const one = await readResults(ws, running, { path: `${VOL}/img/b.png` });
    assertEquals(one.rows.map((r) => r.error), ["not an image"]);

    // Done, with the log gone: the Parquet file is where the rows are.
    const done = record({ kind: "file", path: `${VOL}/batch/b-2/results.parquet` }, "succeeded");
    assertStringIncludes((await readResults(ws, done)).note ?? "", "(Parquet); download it");
    // JSONL is read as it is; a Delta table is not read here.
    const jsonl = record({ kind: "file", path: `${VOL}/batch/b-1/results.jsonl` }, "running");
    assertEquals(resultFile(jsonl), `${VOL}/batch/b-1/results.jsonl`);
    const table = record({ kind: "table", table: "main.cv.out" }, "running");
    assertEquals(resultFile(table), null);
    assertStringIncludes((await readResults(ws, table)).note ?? "", "Delta table main.cv.out");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[batch results] the overlay draws the prediction alone, loading nothing from outside", () => {
  const det: ResultRow = {
    path: `${VOL}/img/a.jpg`,
    prediction: {
      boxes: [[10, 20, 50, 60]],
      labels: [2],
      label_names: ["star"],
      scores: [0.83],
    } as unknown as ResultRow["prediction"],
    error: null,
  };
  const svg = overlaySvg(det, { width: 200, height: 100 });
  assertStringIncludes(svg, 'viewBox="0 0 200 100"');
  assertStringIncludes(svg, "star 83%");
  assert(!/<image\b/.test(svg), "no image element: the photo is the page's own <img>");
  assert(!/href=/.test(svg), svg);
  assert(!/style=/.test(svg), "no inline style (the CSP refuses it)");
  // a box at the right edge keeps its caption inside the picture
  const edge = overlaySvg({
    ...det,
    prediction: { ...det.prediction, boxes: [[190, 2, 200, 30]] } as ResultRow["prediction"],
  }, { width: 200, height: 100 });
  const [, x, wide] = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*fill="rgb/.exec(edge) ??
    [];
  assert(Number(x) + Number(wide) <= 200 + 1e-9, `caption at ${x}, ${wide} wide`);

  const mask: ResultRow = {
    path: `${VOL}/img/m.png`,
    prediction: { mask_png: "iVBORw0KGgo=" } as unknown as ResultRow["prediction"],
    error: null,
  };
  const m = overlaySvg(mask, { width: 8, height: 8 });
  assertStringIncludes(m, 'href="data:image/png;base64,iVBORw0KGgo="');
  assert(!/style=/.test(m), m);
  // Anything but base64 in mask_png is not written into the SVG.
  const bad = overlaySvg({ ...mask, prediction: { mask_png: '"/><script>x</script>' } as never }, {
    width: 8,
    height: 8,
  });
  assert(!bad.includes("<script"), bad);
  const err = overlaySvg({ path: "x", prediction: null, error: "not <an> image" }, {
    width: 8,
    height: 8,
  });
  assertStringIncludes(err, "not &#60;an&#62; image");
});

Deno.test("[batch results] a download is the JSONL file at any time, a Parquet file once its batch succeeded, and the rows so far before that", async () => {
  const jsonl = record({ kind: "file", path: `${VOL}/out/r.jsonl` }, "running");
  assertEquals(batchDownload(jsonl), {
    path: `${VOL}/out/r.jsonl`,
    filename: "b-1-r.jsonl",
    contentType: "application/x-ndjson",
  });
  const out = { kind: "file" as const, path: `${VOL}/out/r.parquet` };
  const soFar = {
    path: `${VOL}/out/r.parquet.log.jsonl`,
    filename: "b-1-r-so-far.jsonl",
    contentType: "application/x-ndjson",
  };
  assertEquals(batchDownload(record(out, "succeeded")).path, `${VOL}/out/r.parquet`);
  assertEquals(batchDownload(record(out, "succeeded"), true), soFar);
  assertEquals(batchDownload(record(out, "running"), true), soFar);
  const refused = [
    ["running", "is written when the batch ends"],
    ["failed", "was not written: the batch failed"],
    ["cancelled", "was not written: the batch was cancelled"],
  ] as const;
  for (const [status, why] of refused) {
    const e = await assertRejects(async () => batchDownload(record(out, status)), ConflictError);
    assertStringIncludes(e.message, why);
    assertStringIncludes(e.message, "/api/batch/b-1/download?so_far=1");
  }
  const table = record({ kind: "table", table: "main.cv.preds" }, "succeeded");
  await assertRejects(async () => batchDownload(table), NotFoundError, "main.cv.preds");
});

Deno.test("[batch results] a Parquet output is ready once its batch succeeded, pending while it runs, missing after it stopped", () => {
  const out = { kind: "file" as const, path: `${VOL}/out/r.parquet` };
  assertEquals(
    (["succeeded", "running", "queued", "failed", "cancelled"] as const).map((s) =>
      parquetState(record(out, s))
    ),
    ["ready", "pending", "pending", "missing", "missing"],
  );
  assertEquals(parquetState(record({ kind: "file", path: `${VOL}/r.jsonl` }, "running")), null);
  assertEquals(parquetState(record({ kind: "table", table: "main.cv.p" }, "succeeded")), null);
});
