import { assert, assertEquals } from "../assert.ts";
import { idFloor } from "@/lib/store/activity.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1);

/** Twelve events on 1–12 June 2026, alternating run and config events. */
function historyDoc() {
  const events = Array.from({ length: 12 }, (_, i) => {
    const run = i % 2 === 0;
    return {
      id: `${idFloor(T0 + i * DAY)}-${i.toString(16).padStart(4, "0")}abcd`,
      who: run ? "ana" : "bo",
      what: run ? "launched run" : "saved config",
      when: T0 + i * DAY,
      subject: run ? `run:r${i}` : `config:c@v${i}`,
      details: {},
    };
  });
  return { format: "lakevision-history", version: 1, exportedAt: new Date().toISOString(), events };
}

Deno.test({
  name: "[browser] history: filter by type and time range shows the right events; theme switches",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await startSession();
    try {
      const page = await s.newPage();
      const imported = await page.request.post(`${s.baseUrl}/api/history/import`, {
        data: historyDoc(),
        headers: { origin: s.baseUrl },
      });
      assertEquals(imported.status(), 200);
      assertEquals((await imported.json()).added, 12);
      await page.goto(`${s.baseUrl}/history`, { waitUntil: "networkidle" });
      await waitHydrated(page);
      assertEquals(await page.locator("table[data-timeline] tbody tr").count(), 12);
      await page.selectOption('select[name="type"]', "run");
      await page.fill('input[name="since"]', "2026-06-03");
      await page.fill('input[name="until"]', "2026-06-09");
      await Promise.all([page.waitForURL("**/history?*"), page.click('button:has-text("Filter")')]);
      const rows = page.locator("table[data-timeline] tbody tr");
      // runs on 3, 5, 7 and 9 June, newest first
      assertEquals(await rows.count(), 4);
      assertEquals(await rows.locator("td:nth-child(5)").allTextContents(), [
        "run:r8",
        "run:r6",
        "run:r4",
        "run:r2",
      ]);
      assert((await page.getAttribute('a[href="/training/r8"]', "href")) !== null);
      await s.screenshot(page, "history-filtered");
      // Theme: light until the preference says dark.
      assertEquals(await page.getAttribute("[data-theme]", "data-theme"), "light");
      await page.goto(`${s.baseUrl}/settings/preferences`, { waitUntil: "networkidle" });
      await page.selectOption('select[name="theme"]', "dark");
      await Promise.all([
        page.waitForURL("**/settings/preferences?*"),
        page.click('button:has-text("Save preferences")'),
      ]);
      assertEquals(await page.getAttribute("[data-theme]", "data-theme"), "dark");
      await page.goto(`${s.baseUrl}/history`, { waitUntil: "networkidle" });
      assertEquals(await page.getAttribute("[data-theme]", "data-theme"), "dark");
      // A dark palette, not a filter: the page turns dark, the sidebar stays dark, and nothing
      // (images, prediction overlays) is colour-inverted.
      const look = await page.evaluate(() => {
        const shell = document.querySelector("div[data-theme]")!;
        const css = (sel: string) => getComputedStyle(document.querySelector(sel)!);
        return {
          page: getComputedStyle(shell).backgroundColor,
          sidebar: css("aside").backgroundColor,
          heading: css("h1").color,
          filters: [...document.querySelectorAll("*")].map((e) => getComputedStyle(e).filter)
            .filter((f) => f !== "none"),
        };
      });
      assertEquals(look, {
        page: "rgb(2, 6, 23)",
        sidebar: "rgb(15, 23, 42)",
        heading: "rgb(241, 245, 249)",
        filters: [],
      });
      await s.screenshot(page, "history-dark");
      assertEquals(page.errors, [], "console errors");
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name:
    "[browser] history: the timeline fits 1280 px with long subjects, and its facts read as words",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await startSession();
    try {
      const page = await s.newPage();
      const long = "/Volumes/demo/cv/data/shapes-detection/annotations/instances_train.json";
      const at = (i: number) => ({
        id: `${idFloor(T0 + i * 60_000)}-${i.toString(16).padStart(4, "0")}abcd`,
        when: T0 + i * 60_000,
        who: "local user",
      });
      const events = [
        {
          ...at(1),
          what: "scanned dataset",
          subject: `dataset:${long},${long.replace("train", "val")}`,
          details: { format: "auto", scanId: "4ddd0ff6-c7d7-412d-862a-030522a73e9f" },
        },
        {
          ...at(2),
          what: "ran smoke test",
          subject: "endpoint:cls-ep",
          details: { ok: false, latencyMs: 2.1, image: "trunc.jpg" },
        },
        {
          ...at(3),
          what: "moved alias",
          subject: "model:demo.cv.resnet_classification@2",
          details: {
            name: "demo.cv.resnet_classification",
            alias: "champion",
            from: 1,
            to: 2,
            undoneBy: "x",
          },
        },
        {
          ...at(4),
          what: "started inference session",
          subject: "inference:version:demo.cv.resnet_classification_with_a_long_name:12",
          details: { backend: "wasm" },
        },
      ];
      const imported = await page.request.post(`${s.baseUrl}/api/history/import`, {
        data: {
          format: "lakevision-history",
          version: 1,
          exportedAt: new Date().toISOString(),
          events,
        },
        headers: { origin: s.baseUrl },
      });
      assertEquals(imported.status(), 200);
      await page.goto(`${s.baseUrl}/history`, { waitUntil: "networkidle" });
      await waitHydrated(page);
      const fit = await page.evaluate(() => {
        const undone = [...document.querySelectorAll("table[data-timeline] span")]
          .find((e) => e.textContent === "undone")!;
        return {
          page: document.documentElement.scrollWidth,
          view: globalThis.innerWidth,
          undoneRight: undone.getBoundingClientRect().right,
          table: document.querySelector("table[data-timeline]")!.getBoundingClientRect().right,
        };
      });
      assert(fit.page <= fit.view, `page ${fit.page} px wide in a ${fit.view} px window`);
      assert(fit.undoneRight <= fit.view, `the actions column ends at ${fit.undoneRight} px`);
      const facts = await page.locator('[data-testid="facts"]').allTextContents();
      assert(facts.some((f) => f.includes("latency 2.1 ms")), facts.join(" | "));
      assert(facts.some((f) => f.includes("version 1 → 2")), facts.join(" | "));
      assert(!facts.some((f) => /scanId|latencyMs|4ddd0ff6/.test(f)), facts.join(" | "));
      await s.screenshot(page, "history-fits");
      assertEquals(page.errors, [], "console errors");
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
    }
  },
});
