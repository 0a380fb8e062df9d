/**
 * Every action type writes an event of its type with a subject link that resolves to a page,
 * the old log is indexed by the migration, pruning removes expired events with their indexes,
 * and the History pages answer.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { formPost, testApp } from "@/tests/helpers.ts";
import {
  noteEvaluation,
  noteInferenceSession,
  noteReport,
  resetSessions,
} from "@/lib/history/events.ts";
import { pruneOnce, saveRetention } from "@/lib/history/retention.ts";
import { subjectHref } from "@/lib/history/timeline.ts";
import {
  activityStats,
  type ActivityType,
  logActivity,
  queryActivity,
  resetActivityIndexState,
} from "@/lib/store/activity.ts";
import { buildRouteTable, walkFiles } from "@/lib/web/routes.ts";
import { ROOT } from "@/tests/helpers.ts";

/** What each stage writes (verb and subject exactly as its code does). */
const WRITTEN: [ActivityType, string, string][] = [
  ["config", "saved config", "config:detection-demo@v3"],
  ["config", "activated config", "config:detection-demo@v3"],
  ["config", "restored config", "config:detection-demo@v2"],
  ["scan", "scanned dataset", "dataset:/Volumes/main/cv/coco"],
  ["run", "launched run", "run:20261126-031500-ab12"],
  ["run", "cancelled run", "run:20261126-031500-ab12"],
  ["run", "resumed run", "run:20261126-031500-ab12"],
  ["run", "run succeeded", "run:20261126-031500-ab12"],
  ["run", "run failed", "run:20261126-031500-ab12"],
  ["evaluation", "ran evaluation", "evaluation:20261126-031500-ab12"],
  ["report", "exported report", "report:20261126-031500-ab12"],
  ["model", "registered model", "model:main.cv.detector@3"],
  ["model", "imported model", "model:main.cv.detector@4"],
  ["alias", "moved alias", "model:main.cv.detector@3"],
  ["endpoint", "created endpoint", "endpoint:tiny-ep"],
  ["endpoint", "updated endpoint", "endpoint:tiny-ep"],
  ["endpoint", "deleted endpoint", "endpoint:tiny-ep"],
  ["batch", "started batch inference", "batch:b123"],
  ["inference", "started inference session", "inference:main.cv.detector/3"],
  ["inference", "started inference session", "inference:version:main.cv.detector:3"],
  ["inference", "started inference session", "inference:run:20261126-031500-ab12"],
  ["inference", "started inference session", "inference:endpoint:tiny-ep"],
];

async function routePatterns(): Promise<RegExp[]> {
  const table = buildRouteTable(await walkFiles(`${ROOT}/routes`));
  return table.routes.map((r) =>
    new RegExp(
      "^" + r.pattern.replace(/:\w+\{\.\+\}/g, ".+").replace(/:\w+/g, "[^/]+") + "/?$",
    )
  );
}

Deno.test({
  name: "[history] every action type writes an event of its type whose subject link resolves",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const app = await testApp();
    const patterns = await routePatterns();
    for (const [type, what, subject] of WRITTEN) {
      await t.step(`${type}: ${what} (${subject})`, async () => {
        const a = await logActivity({ who: "ana", what, subject });
        assertEquals(a.type, type);
        const page = await queryActivity({ type, text: what });
        assert(page.items.some((x) => x.id === a.id), "found through its type index");
        const href = subjectHref(subject);
        assert(href, `a link for ${subject}`);
        const path = href!.split("?")[0];
        assert(patterns.some((p) => p.test(path)), `${path} is a route`);
      });
    }
    await t.step("evaluations, reports and inference sessions log once per half hour", async () => {
      resetSessions();
      assert(await noteEvaluation("bo", "r1"));
      assert(!(await noteEvaluation("bo", "r1")));
      assert(await noteReport("bo", ["r1", "r2"], "html"));
      assert(await noteInferenceSession("bo", "version:main.cv.detector:3", "wasm"));
      const mine = await queryActivity({ who: "bo" });
      assertEquals(mine.items.map((a) => a.type), ["inference", "report", "evaluation"]);
    });
    await t.step(
      "an inference session keeps where it ran; another backend is the same session",
      async () => {
        resetSessions();
        assert(await noteInferenceSession("cy", "version:main.cv.detector:3", "webgpu"));
        assert(!(await noteInferenceSession("cy", "version:main.cv.detector:3", "wasm")));
        assert(await noteInferenceSession("cy", "endpoint:tiny-ep", "endpoint"));
        assert(await noteInferenceSession("dee", "version:main.cv.detector:3", "wasm"));
        const cy = await queryActivity({ who: "cy", type: "inference" });
        assertEquals(
          cy.items.map((a) => [a.subject, a.details.backend]),
          [["inference:endpoint:tiny-ep", "endpoint"], [
            "inference:version:main.cv.detector:3",
            "webgpu",
          ]],
        );
        assertEquals(
          subjectHref(cy.items[1].subject),
          `/inference?model=${encodeURIComponent("version:main.cv.detector:3")}`,
        );
      },
    );
    await app.close();
  },
});

Deno.test({
  name: "[history] entries written before the indexes are indexed once; pruning removes them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const app = await testApp();
    const old = Date.UTC(2020, 0, 1);
    // Two entries as the previous version wrote them: no type, no index keys.
    await app.kv.set(["activity", "00k4u7y00-00001234"], {
      id: "00k4u7y00-00001234",
      who: "ana",
      what: "saved config",
      when: old,
      subject: "config:a@v1",
      details: {},
    });
    await app.kv.set(["activity", "00k4u7y00-00011234"], {
      id: "00k4u7y00-00011234",
      who: "bo",
      what: "launched run",
      when: old,
      subject: "run:x",
      details: {},
    });
    resetActivityIndexState();
    assertEquals((await queryActivity({ type: "config" })).items.length, 1);
    assertEquals((await queryActivity({ who: "bo" })).items.length, 1);
    resetActivityIndexState(); // a second pass counts nothing twice
    assertEquals((await activityStats()).reduce((s, x) => s + (x.dim === "t" ? x.count : 0), 0), 2);
    await logActivity({ who: "ana", what: "saved config", subject: "config:a@v2" });
    await saveRetention(365, "ana");
    assertEquals(await pruneOnce(), 2);
    assertEquals((await queryActivity({ type: "config" })).items.length, 1);
    assertEquals((await queryActivity({ text: "run" })).items.length, 0);
    const t = (await activityStats()).filter((x) => x.dim === "t").reduce((s, x) => s + x.count, 0);
    assertEquals(t, 2); // the new config event and the retention change
    await app.close();
  },
});

Deno.test({
  name:
    "[history] pages answer: timeline filters, analytics, usage, transfer, preferences and theme",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const app = await testApp();
    await logActivity({ who: "ana", what: "saved config", subject: "config:det@v1" });
    await logActivity({
      who: "bo",
      what: "launched run",
      subject: "run:42",
      details: { config: "det@v1", i: 7 },
    });
    let res = await app.request("/history?type=run");
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type")?.split(";")[0], "text/html");
    let html = await res.text();
    assertStringIncludes(html, 'href="/training/42"');
    // the row's facts: recorded details, bookkeeping left out
    assertStringIncludes(html, 'config <span class="text-slate-700">det@v1</span>');
    assert(!/\bi <span/.test(html), "bookkeeping keys stay out of the row");
    assert(!html.includes("config:det@v1"), "filtered on the server");
    res = await app.request("/history?type=nope");
    assertEquals(res.status, 400);
    await res.body?.cancel();
    res = await app.request("/api/history?who=ana");
    assertEquals(res.status, 200);
    const body = await res.json();
    assertEquals(body.items.map((a: { subject: string }) => a.subject), ["config:det@v1"]);
    res = await app.request("/api/history/timeline.csv");
    assertEquals(res.headers.get("content-type"), "text/csv; charset=utf-8");
    assertStringIncludes(await res.text(), "launched run");
    for (
      const p of [
        "/history/analytics",
        "/history/usage",
        "/history/transfer",
        "/settings/run-rates",
      ]
    ) {
      res = await app.request(p);
      assertEquals(res.status, 200, p);
      await res.body?.cancel();
    }
    res = await app.request(
      "/settings/preferences",
      formPost({ theme: "dark", pageSize: "25", compute: "local" }),
    );
    assertEquals(res.status, 303);
    html = await (await app.request("/history")).text();
    assertStringIncludes(html, 'data-theme="dark"');
    res = await app.request(
      "/settings/preferences",
      formPost({ theme: "dark", pageSize: "7", compute: "local" }),
    );
    assertEquals(res.status, 400);
    assertStringIncludes(await res.text(), "one of 25, 50, 100, 200");
    await app.close();
  },
});
