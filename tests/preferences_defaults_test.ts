/** A person's preferences are the defaults of the pages that start something new. */
import { assertStringIncludes } from "@/tests/assert.ts";
import { DEFAULT_PREFERENCES, savePreferences } from "@/lib/store/preferences.ts";
import { testApp } from "@/tests/helpers.ts";

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
