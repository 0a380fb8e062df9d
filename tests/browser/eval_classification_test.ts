/**
 * A classification run in the browser: the confusion matrix opens the images behind a cell and
 * the confidence sweep is drawn; a two-class run shows no top-5 number.
 */
import { assert, assertEquals } from "../assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { setKv } from "@/lib/store/kv.ts";
import { EVAL_VOLUME, put, taskRunRecord } from "../evaluation_testing.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

const ID = "20261203-100000-clsx";

function png(seed: number): Uint8Array {
  const d = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < d.length; i++) d[i] = (i * 7 + seed * 41) & 255;
  return encodePng({ width: 32, height: 32, channels: 3, data: d });
}

Deno.test({
  name:
    "[browser] classification evaluation: click a confusion cell to see its images; the confidence sweep is drawn",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await startSession();
    const kv = await Deno.openKv(`${s.dataDir}/kv.sqlite3`);
    setKv(kv);
    try {
      const val = `${EVAL_VOLUME}/pets/val`;
      const disk = (vp: string) => `${s.dataDir}/volumes/${vp.slice("/Volumes/".length)}`;
      const truth = [0, 0, 0, 1, 1, 1];
      const pred = [0, 1, 1, 1, 1, 0];
      const names = ["cat", "dog"];
      for (const [i, t] of truth.entries()) await put(disk(`${val}/${names[t]}/${i}.png`), png(i));
      const rec = await taskRunRecord(ID, "classification", { val_data_path: val }, s.dataDir);
      const rows = truth.map((label, i) => ({
        image_id: i,
        file_name: `${names[label]}/${i}.png`,
        label,
        top_k: [
          { label: pred[i], label_name: names[pred[i]], score: 0.5 + i / 20 },
          { label: 1 - pred[i], label_name: names[1 - pred[i]], score: 0.45 - i / 20 },
        ],
      }));
      await put(disk(`${rec.runDir}/predictions/val.json`), JSON.stringify(rows));
      await put(
        disk(`${rec.runDir}/model.json`),
        JSON.stringify({ task: "classification", labels: names }),
      );
      const page = await s.newPage();
      await page.goto(`${s.baseUrl}/evaluation?runs=${ID}`, { waitUntil: "networkidle" });
      await waitHydrated(page);
      assertEquals(await page.locator('[data-metric="top5"]').count(), 0);
      assertEquals(await page.locator('[data-testid="trust"]').count(), 0);
      assert(await page.locator('[data-chart="classification-sweep"] canvas').count() === 1);
      await page.click('[data-cell="0,1"]');
      const box = page.locator('[data-testid="cell-images"]');
      await box.waitFor();
      assertEquals(await box.locator("li").count(), 2);
      // most confident first: image 2 (score 0.60) before image 1 (0.55)
      assertEquals(await box.locator("li .font-mono").allTextContents(), [
        "cat/2.png",
        "cat/1.png",
      ]);
      await page.waitForFunction(() =>
        [...document.querySelectorAll('[data-testid="cell-images"] img')].every((i) =>
          (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0
        )
      );
      await s.screenshot(page, "evaluation-classification");
      assertEquals(await page.getAttribute('[data-cell="0,1"]', "aria-pressed"), "true");
      await page.click('[data-testid="cell-images"] button:has-text("close")');
      await box.waitFor({ state: "detached" });
      assertEquals(await page.getAttribute('[data-cell="0,1"]', "aria-pressed"), "false");
      assertEquals(page.errors, [], "console errors");
    } catch (e) {
      console.error(s.serverLog());
      throw e;
    } finally {
      kv.close();
      await s.close();
    }
  },
});
