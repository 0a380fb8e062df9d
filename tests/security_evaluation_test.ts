/**
 * Issue 17 item 4: a GET never changes which ground truth a run is judged by. Choosing it is a
 * same-origin POST (the page's form, or the API), checked before it is remembered.
 */
import { assertEquals, assertStringIncludes } from "./assert.ts";
import { formPost, jsonPost, testApp } from "./helpers.ts";
import { writeDetectionDataset, writeFinishedRun } from "./evaluation_testing.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const A = "20261126-010000-aaaa";
const MOVED = "/Volumes/main/lakevision/data/datasets/boxes/moved/instances_val.json";

/** An app with one finished detection run whose ground-truth file was moved to MOVED. */
async function appWithMovedGt() {
  const app = await testApp();
  const ds = await writeDetectionDataset(app.dataDir);
  await writeFinishedRun(app.dataDir, ds, { id: A, name: "boxes", quality: 0.6, seed: 3 });
  await app.workspace.files.write(MOVED, await app.workspace.files.readBytes(ds.gtPath));
  await app.workspace.files.delete(ds.gtPath);
  return {
    app,
    ds,
    async [Symbol.asyncDispose]() {
      await app.close();
    },
  };
}

async function cellStatus(app: Awaited<ReturnType<typeof testApp>>): Promise<number> {
  const res = await app.request(`/api/evaluation/${A}/cell?row=0&col=0`);
  await res.body?.cancel();
  return res.status;
}

Deno.test({
  name: "[security/evaluation] GET ?gt= (page or API, e.g. a cross-site <img>) stores nothing",
  ...opts,
  async fn() {
    await using s = await appWithMovedGt();
    const page = await s.app.request(`/evaluation?runs=${A}&gt=${encodeURIComponent(MOVED)}`);
    assertEquals(page.status, 200);
    assertStringIncludes(await page.text(), "does not exist");
    const api = await s.app.request(`/api/evaluation/${A}?gt=${encodeURIComponent(MOVED)}`);
    assertEquals(api.status, 400);
    assertStringIncludes((await api.json()).error.message, "POST");
    assertEquals(await cellStatus(s.app), 404, "the run still uses its own (missing) file");
  },
});

Deno.test({
  name: "[security/evaluation] the page's POST form is checked first, then remembered (PRG)",
  ...opts,
  async fn() {
    await using s = await appWithMovedGt();
    const html = await (await s.app.request(`/evaluation?runs=${A}`)).text();
    assertStringIncludes(html, '<form method="post" action="/evaluation"');

    // From another site: refused before anything runs.
    const cross = await s.app.request("/evaluation", {
      ...formPost({ runs: A, gt: MOVED }),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://evil.example",
      },
    });
    assertEquals(cross.status, 403);
    await cross.body?.cancel();

    for (
      const [gt, says] of [
        ["relative.json", "must be a /Volumes/ path"],
        ["/Volumes/main/lakevision/data/../../etc/passwd", "must not contain"],
        ["/Volumes/main/lakevision/data/nope.json", "does not exist"],
        [`/Volumes/main/lakevision/data/${"x".repeat(3000)}.json`, "at most"],
        ["/Volumes/main/lakevision/data/datasets/boxes", "folder"],
      ]
    ) {
      const bad = await s.app.request("/evaluation", formPost({ runs: A, gt }));
      assertEquals(bad.status, 422, gt.slice(0, 60));
      const body = await bad.text();
      assertStringIncludes(body, 'data-errors="gt"');
      assertStringIncludes(body, says);
      assertEquals(await cellStatus(s.app), 404, `nothing stored for ${gt.slice(0, 60)}`);
    }
    // A file that exists but is not COCO ground truth.
    const junk = "/Volumes/main/lakevision/data/datasets/boxes/junk.json";
    await s.app.workspace.files.write(junk, '{"hello": 1}');
    const notCoco = await s.app.request("/evaluation", formPost({ runs: A, gt: junk }));
    assertEquals(notCoco.status, 422);
    await notCoco.body?.cancel();
    assertEquals(await cellStatus(s.app), 404);

    const ok = await s.app.request("/evaluation", formPost({ runs: A, gt: MOVED }));
    assertEquals(ok.status, 303);
    assertEquals(ok.headers.get("location"), `/evaluation?runs=${A}`);
    const after = await s.app.request(`/evaluation?runs=${A}`);
    assertStringIncludes(await after.text(), 'data-testid="run-view"');
    assertEquals(await cellStatus(s.app), 200, "later requests use the chosen file");
  },
});

Deno.test({
  name: "[security/evaluation] API: POST {gt} chooses the file; a bad one is refused and not kept",
  ...opts,
  async fn() {
    await using s = await appWithMovedGt();
    const bad = await s.app.request(`/api/evaluation/${A}`, jsonPost({ gt: "/etc/passwd" }));
    assertEquals(bad.status, 400);
    await bad.body?.cancel();
    const wrongType = await s.app.request(`/api/evaluation/${A}`, jsonPost({ gt: 5 }));
    assertEquals(wrongType.status, 422);
    await wrongType.body?.cancel();
    assertEquals(await cellStatus(s.app), 404);
    const ok = await s.app.request(`/api/evaluation/${A}`, jsonPost({ gt: MOVED }));
    assertEquals(ok.status, 200);
    assertEquals((await ok.json()).kind, "detection");
    assertEquals(await cellStatus(s.app), 200);
  },
});
