import { assert, assertEquals } from "../assert.ts";
import { STAGES } from "@/lib/stages.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const PAGES = [
  { path: "/", name: "overview" },
  ...STAGES.map((s) => ({ path: s.path, name: s.id })),
  {
    path: "/settings",
    name: "settings",
  },
];

Deno.test({
  name: "[browser] every nav page loads without console errors and the settings island works",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await startSession();
    try {
      const page = await s.newPage();
      for (const p of PAGES) {
        const res = await page.goto(s.baseUrl + p.path, { waitUntil: "networkidle" });
        assertEquals(res?.status(), 200, p.path);
        await waitHydrated(page);
        await s.screenshot(page, `page-${p.name}`);
        assertEquals(page.errors, [], `console errors on ${p.path}`);
      }
      // Navigation by clicking a nav link.
      await page.goto(s.baseUrl + "/");
      await page.click('nav[aria-label="Stages"] >> text=History');
      await page.waitForURL("**/history");
      // The settings island: "Check again" fetches fresh health and updates the time.
      await page.goto(s.baseUrl + "/settings", { waitUntil: "networkidle" });
      await waitHydrated(page);
      const button = page.getByRole("button", { name: "Check again" });
      assert(await button.isEnabled(), "button enabled after hydration");
      const responded = page.waitForResponse((r) => r.url().endsWith("/api/workspace/health"));
      await button.click();
      const res = await responded;
      assertEquals(res.status(), 200);
      await page.waitForSelector('li[data-area="files"]');
      assertEquals(await page.locator('li[data-area="files"] span').first().textContent(), "OK");
      await s.screenshot(page, "settings-rechecked");
      // Narrow screen: the nav becomes a top bar and the page still renders.
      await page.setViewportSize({ width: 390, height: 800 });
      await page.goto(s.baseUrl + "/");
      await s.screenshot(page, "overview-narrow");
      assertEquals(page.errors, [], "console errors");
      // 404 page.
      const nf = await page.goto(s.baseUrl + "/does-not-exist");
      assertEquals(nf?.status(), 404);
      assert((await page.textContent("h1"))?.includes("Page not found"));
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      await s.close();
    }
  },
});
