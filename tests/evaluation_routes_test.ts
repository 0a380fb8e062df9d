import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { formPost, testApp } from "./helpers.ts";
import { taskRunRecord, writeDetectionDataset, writeFinishedRun } from "./evaluation_testing.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const A = "20261126-010000-aaaa", B = "20261126-020000-bbbb";

async function appWithRuns() {
  const app = await testApp();
  const ds = await writeDetectionDataset(app.dataDir);
  await writeFinishedRun(app.dataDir, ds, {
    id: A,
    name: "boxes baseline",
    quality: 0.45,
    seed: 3,
    createdAt: Date.now() - 5000,
  });
  await writeFinishedRun(app.dataDir, ds, { id: B, name: "boxes longer", quality: 0.85, seed: 5 });
  return {
    app,
    ds,
    async [Symbol.asyncDispose]() {
      await app.close();
    },
  };
}

Deno.test({
  name: "[evaluation routes] the page lists runs, evaluates one, and compares two",
  ...opts,
  async fn() {
    await using s = await appWithRuns();
    let res = await s.app.request("/evaluation");
    assertEquals(res.status, 200);
    assertStringIncludes(res.headers.get("content-type") ?? "", "text/html");
    let html = await res.text();
    assertStringIncludes(html, "boxes baseline");
    assertStringIncludes(html, `value="${B}"`);

    res = await s.app.request(`/evaluation?run=${A}&run=${B}`);
    assertEquals(res.status, 303);
    assertEquals(res.headers.get("location"), `/evaluation?runs=${A},${B}`);

    res = await s.app.request(`/evaluation?runs=${A}`);
    assertEquals(res.status, 200);
    html = await res.text();
    assertStringIncludes(html, 'data-testid="run-view"');
    assertStringIncludes(html, "match pycocotools exactly");
    assertStringIncludes(html, 'data-metric="map"');
    assertStringIncludes(html, 'data-testid="worst"');
    assertStringIncludes(
      html,
      "/api/data/file?path=%2FVolumes%2Fmain%2Flakevision%2Fdata%2Fdatasets%2Fboxes%2Fval%2F",
    );

    res = await s.app.request(`/evaluation?runs=${A},${B}`);
    assertEquals(res.status, 200);
    html = await res.text();
    assertStringIncludes(html, 'data-testid="compare-view"');
    assertStringIncludes(html, 'data-testid="side-by-side"');
  },
});

Deno.test({
  name: "[evaluation routes] API: evaluation JSON, a cell's images, the stored threshold, reports",
  ...opts,
  async fn() {
    await using s = await appWithRuns();
    let res = await s.app.request(`/api/evaluation/${A}/threshold`);
    assertEquals(res.status, 404);
    await res.body?.cancel();
    res = await s.app.request(`/api/evaluation/${A}`);
    assertEquals(res.status, 200);
    assertStringIncludes(res.headers.get("content-type") ?? "", "application/json");
    const ev = await res.json();
    assertEquals(ev.kind, "detection");
    const m = ev.detection.report.confusion.matrix as number[][];
    let cell: [number, number] = [-1, -1];
    m.forEach((r, i) => r.forEach((v, j) => v > 0 && i !== j && cell[0] < 0 && (cell = [i, j])));
    res = await s.app.request(`/api/evaluation/${A}/cell?row=${cell[0]}&col=${cell[1]}`);
    assertEquals(res.status, 200);
    const body = await res.json();
    assertEquals(body.count, m[cell[0]][cell[1]]);
    assert(body.images.length > 0 && body.images[0].gt.length > 0);
    // every row is named, the background and duplicate rows below the classes too
    const rows = ev.detection.report.confusion.rowLabels as string[];
    assertEquals(body.row, rows[cell[0]]);
    for (let r = 0; r < m.length; r++) {
      const one = await s.app.request(`/api/evaluation/${A}/cell?row=${r}&col=0`);
      assertEquals((await one.json()).row, rows[r], `row ${r}`);
    }

    res = await s.app.request(`/api/evaluation/${A}/images?ids=2,1&minScore=0.5`);
    assertEquals(res.status, 200);
    const imgs = (await res.json()).images;
    assertEquals(imgs.map((i: { id: number }) => i.id), [2, 1]);
    assert(imgs.every((i: { dt: { score: number }[] }) => i.dt.every((d) => d.score >= 0.5)));
    res = await s.app.request(`/api/evaluation/${A}/images?ids=1;2`);
    assertEquals(res.status, 400);
    await res.body?.cancel();

    res = await s.app.request(`/api/evaluation/${A}/cell?row=99&col=0`);
    assertEquals(res.status, 400);
    await res.body?.cancel();

    res = await s.app.request(`/api/evaluation/${A}/threshold`);
    assertEquals(res.status, 200);
    assertEquals((await res.json()).threshold, ev.detection.report.recommendedThreshold);

    res = await s.app.request(`/api/evaluation/report?runs=${A},${B}&format=html`);
    assertEquals(res.status, 200);
    assertStringIncludes(res.headers.get("content-disposition") ?? "", "attachment");
    const html = await res.text();
    assert(!html.includes('src="/') && !html.includes('href="/'), "self-contained");
    for (const f of ["csv", "md", "json"]) {
      res = await s.app.request(`/api/evaluation/report?runs=${A}&format=${f}`);
      assertEquals(res.status, 200, f);
      assert((await res.text()).length > 100, f);
    }
    res = await s.app.request(`/api/evaluation/report?runs=${A}&format=pdf`);
    assertEquals(res.status, 400);
    await res.body?.cancel();

    res = await s.app.request(`/api/evaluation/nope-run`);
    assertEquals(res.status, 404);
    await res.body?.cancel();
  },
});

Deno.test({
  name:
    "[evaluation routes] a run whose ground truth moved shows the problem and evaluates with a chosen file (remembered)",
  ...opts,
  async fn() {
    await using s = await appWithRuns();
    const moved = "/Volumes/main/lakevision/data/datasets/boxes/moved/instances_val.json";
    await s.app.workspace.files.write(moved, await s.app.workspace.files.readBytes(s.ds.gtPath));
    await s.app.workspace.files.delete(s.ds.gtPath);
    let res = await s.app.request(`/evaluation?runs=${A}`);
    assertEquals(res.status, 200);
    let html = await res.text();
    assertStringIncludes(html, `The ground-truth file ${s.ds.gtPath} does not exist.`);
    assertStringIncludes(html, 'name="gt"');
    // Choosing the file is a same-origin POST (a GET never stores anything).
    res = await s.app.request("/evaluation", formPost({ runs: A, gt: moved }));
    assertEquals(res.status, 303);
    res = await s.app.request(`/evaluation?runs=${A}`);
    assertEquals(res.status, 200);
    html = await res.text();
    assertStringIncludes(html, 'data-testid="run-view"');
    // the cell API (no gt parameter) uses the remembered file
    res = await s.app.request(`/api/evaluation/${A}/cell?row=0&col=0`);
    assertEquals(res.status, 200);
    assertEquals((await res.json()).row, "red");
    res = await s.app.request("/evaluation", formPost({ runs: A, gt: "relative.json" }));
    assertEquals(res.status, 422);
    html = await res.text();
    assertStringIncludes(html, "must be a /Volumes/ path");
  },
});

Deno.test({
  name:
    "[evaluation routes] a classification run's page shows its headline, class table and confusion matrix",
  ...opts,
  async fn() {
    const app = await testApp();
    try {
      const rec = await taskRunRecord("20261126-070000-clsb", "classification", {}, app.dataDir);
      const rows = [0, 1, 1, 0].map((label, i) => ({
        image_id: i,
        file_name: `${i}.png`,
        label,
        top_k: [{ label: i === 3 ? 1 : label, label_name: "x", score: 0.9 }],
      }));
      await app.workspace.files.write(`${rec.runDir}/predictions/val.json`, JSON.stringify(rows));
      await app.workspace.files.write(
        `${rec.runDir}/model.json`,
        JSON.stringify({ task: "classification", labels: ["cat", "dog"] }),
      );
      const res = await app.request(`/evaluation?runs=${rec.id}`);
      assertEquals(res.status, 200);
      const html = await res.text();
      assertStringIncludes(html, 'data-metric="accuracy"');
      assertStringIncludes(html, ">0.750<");
      assertStringIncludes(html, 'data-testid="class-confusion"');
      assert(!html.includes("match pycocotools exactly"), "the COCO note is for COCO numbers");
      // cells open their images; the confidence sweep is drawn; no top-5 with two classes
      assertStringIncludes(html, 'data-island="ClassConfusion"');
      assertStringIncludes(html, 'data-cell="0,1"');
      assertStringIncludes(html, "Confidence sweep");
      assert(!html.includes('data-metric="top5"'), "top-5 of 2 classes means nothing");
    } finally {
      await app.close();
    }
  },
});
