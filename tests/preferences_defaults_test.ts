/** A person's preferences are the defaults of the pages that start something new. */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@/tests/assert.ts";
import { loadSettings } from "@/fresh.config.ts";
import { setKv } from "@/lib/store/kv.ts";
import { DEFAULT_PREFERENCES, savePreferences } from "@/lib/store/preferences.ts";
import { stopMonitor } from "@/lib/training/refresh.ts";
import { createApp } from "@/lib/web/app.ts";
import { setupFake, VOLUME } from "@/tests/fake_databricks/testing.ts";
import { ROOT, testApp } from "@/tests/helpers.ts";

Deno.test("[preferences] the preferred volume is where new configs and Data EDA start", async () => {
  const t = await testApp();
  try {
    // The local user's name as the app sees it.
    const html0 = await (await t.request("/settings/preferences")).text();
    const who = html0.match(/User: ([^<]+)</)?.[1]?.trim() ?? "local user";
    await savePreferences(who, {
      ...DEFAULT_PREFERENCES,
      volume: "/Volumes/team/vision/raw",
      experimentRoot: "/Users/ana@example.com/cv",
    });
    const cfg =
      await (await t.request("/configs/new?task=classification&model=torchvision%2Fresnet18"))
        .text();
    assertStringIncludes(cfg, "/Volumes/team/vision/raw/classification/train/");
    assertStringIncludes(cfg, "/Users/ana@example.com/cv/cv_classification_");
    const data = await (await t.request("/data")).text();
    assertStringIncludes(data, "/Volumes/team/vision/raw");
  } finally {
    await t.close();
  }
});

/** The acting user's name as the app sees it (the Preferences page shows it). */
async function whoAmI(request: (path: string) => Promise<Response>): Promise<string> {
  const html = await (await request("/settings/preferences")).text();
  return html.match(/User: ([^<]+)</)?.[1]?.trim() ?? "local user";
}

Deno.test("[preferences] a Databricks compute preference on the local workspace leaves the launch form on local compute", async () => {
  const t = await testApp();
  try {
    await savePreferences(await whoAmI(t.request), {
      ...DEFAULT_PREFERENCES,
      compute: "databricks",
      nodeType: "g5.12xlarge",
    });
    const res = await t.request("/training/new");
    const html = await res.text();
    assertEquals(res.status, 200, html.slice(0, 500));
    assertStringIncludes(html, 'data-compute="local"');
    assertStringIncludes(html, '<input type="hidden" name="compute" value="local"/>');
    assert(!html.includes('data-compute="databricks"'), "no Databricks fields on local");
    assert(!html.includes("g5.12xlarge"), "the preferred node type is not offered here");
  } finally {
    await t.close();
  }
});

Deno.test({
  name: "[preferences] the preferred GPU node type is preselected on a Databricks launch form",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using h = await setupFake();
    const kv = await Deno.openKv(":memory:");
    setKv(kv);
    const settings = loadSettings({
      LAKEVISION_DATA_DIR: await Deno.makeTempDir({ prefix: "lakevision-prefs-" }),
      LAKEVISION_LOG: "silent",
      LAKEVISION_DEMO: "0",
      LAKEVISION_VOLUME: VOLUME,
    });
    try {
      const app = await createApp({ settings, workspace: h.ws, root: ROOT });
      const request = async (path: string) => await app.request(`http://localhost${path}`);
      const form = async () => {
        const res = await request("/training/new");
        const html = await res.text();
        assertEquals(res.status, 200, html.slice(0, 500));
        assertStringIncludes(html, 'data-compute="databricks"');
        return html;
      };
      const chosen = /<option selected value="g5\.12xlarge\|4">/;
      assert(!chosen.test(await form()), "no node type is chosen without a preference");
      const who = await whoAmI(request);
      await savePreferences(who, { ...DEFAULT_PREFERENCES, nodeType: "g5.12xlarge" });
      assertMatch(await form(), chosen);
      // A preferred node type this workspace does not offer leaves the choice to the person.
      await savePreferences(who, { ...DEFAULT_PREFERENCES, nodeType: "p9.huge" });
      const select = (await form()).split('id="nodeType"')[1].split("</select>")[0];
      assertStringIncludes(select, 'value="g5.12xlarge|4"');
      assert(!select.includes("<option selected"), select);
    } finally {
      stopMonitor();
      kv.close();
      await Deno.remove(settings.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
