import { assert, assertEquals } from "../assert.ts";
import { encodePng } from "@/lib/image/png.ts";
import { rleCountsToString as rleToString } from "@/lib/image/coco_rle.ts";
import { HAVE_CHROMIUM, startSession, waitHydrated } from "./harness.ts";

function png(w: number, h: number, seed: number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  for (let i = 0; i < d.length; i++) d[i] = (i * 3 + seed * 29) & 255;
  return encodePng({ width: w, height: h, channels: 3, data: d });
}

/** 6 images, 2 classes, one missing file and one box outside its image. */
async function plant(dataDir: string): Promise<void> {
  const root = `${dataDir}/volumes/main/lakevision/data/shop`;
  await Deno.mkdir(`${root}/annotations`, { recursive: true });
  await Deno.mkdir(`${root}/train`, { recursive: true });
  const images = [1, 2, 3, 4, 5, 6].map((id) => ({
    id,
    file_name: `p${id}.png`,
    width: 80,
    height: 60,
  }));
  const annotations = images.map((im) => ({
    id: 100 + im.id,
    image_id: im.id,
    category_id: im.id % 2 ? 1 : 2,
    bbox: im.id === 4 ? [90, 10, 10, 10] : [10, 10, 30, 20],
    area: 100,
    iscrowd: 0,
    segmentation: [[10, 10, 40, 10, 40, 30, 10, 30]],
  }));
  // a crowd region as compressed RLE on image 1 (column-major runs: 400 off, 600 on, rest off)
  annotations.push({
    id: 200,
    image_id: 1,
    category_id: 1,
    bbox: [5, 0, 13, 60],
    area: 600,
    iscrowd: 1,
    segmentation: { counts: rleToString([400, 600, 80 * 60 - 1000]), size: [60, 80] } as never,
  });
  const doc = {
    images,
    annotations,
    categories: [{ id: 1, name: "bottle" }, { id: 2, name: "can" }],
  };
  await Deno.writeTextFile(`${root}/annotations/instances_train.json`, JSON.stringify(doc));
  for (const im of images) {
    if (im.id !== 6) await Deno.writeFile(`${root}/train/${im.file_name}`, png(80, 60, im.id));
  }
}

Deno.test({
  name:
    "[browser] data page: scan planted defects, see numbers and problems, open a sample, filter by class",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await startSession();
    try {
      await plant(s.dataDir);
      const page = await s.newPage();
      await page.goto(`${s.baseUrl}/data?path=/Volumes/main/lakevision/data/shop`, {
        waitUntil: "networkidle",
      });
      await waitHydrated(page);
      await page.getByRole("button", { name: "Scan" }).click();
      await page.waitForSelector("[data-result]", { timeout: 30_000 });
      assertEquals(await page.textContent('[data-stat="Images"] .text-xl'), "6");
      assertEquals(await page.textContent('[data-stat="Annotations"] .text-xl'), "7");
      assertEquals(await page.locator('[data-problems] tr[data-code="image_missing"]').count(), 1);
      assertEquals(
        await page.locator('[data-problems] tr[data-code="bbox_outside_image"]').count(),
        1,
      );
      await page.waitForSelector("[data-chart=class-distribution] canvas");
      await s.screenshot(page, "data-scanned");

      // open the sample of the box-outside problem: its box is drawn
      await page.locator(
        '[data-problems] tr[data-code="bbox_outside_image"] button:has-text("view")',
      ).click();
      await page.waitForSelector("[data-sample-viewer] svg[data-image='4'] rect");
      assertEquals(
        await page.locator("[data-sample-viewer] [data-annotation='104'] rect").count(),
        1,
      );
      await s.screenshot(page, "data-sample");
      await page.getByRole("button", { name: "Close" }).click();

      // the crowd RLE of image 1 is drawn as a mask image
      await page.locator("[data-samples] [data-thumb='1']").click();
      const rle = page.locator("[data-sample-viewer] [data-annotation='200'] image");
      await rle.waitFor();
      assertEquals((await rle.getAttribute("href"))?.startsWith("data:image/png;base64,"), true);
      await page.getByRole("button", { name: "Close" }).click();

      // filter by class: only the 3 "can" images remain in the grid
      await page.getByLabel("Filter by class").selectOption({ label: "can (3)" });
      await page.waitForFunction(() =>
        document.querySelectorAll("[data-samples] [data-thumb]").length === 3
      );
      const thumbs = await page.locator("[data-samples] [data-thumb]").evaluateAll((els) =>
        els.map((e) => e.getAttribute("data-thumb"))
      );
      assertEquals(thumbs, ["2", "4", "6"]);
      // each thumbnail is captioned with its classes
      assertEquals(
        await page.locator("[data-samples] [data-caption]").allTextContents(),
        ["can", "can", "can"],
      );
      await page.locator("[data-samples] [data-thumb='2']").click();
      await page.waitForSelector("[data-sample-viewer] [data-annotation='102'] polygon");
      await page.getByRole("button", { name: "Close" }).click();

      // the stat cards follow the class filter
      const cls = page.locator("[data-class-stats]");
      assertEquals(await cls.locator('[data-stat="Images with it"] .text-xl').textContent(), "3");
      assertEquals(await cls.locator('[data-stat="Annotations"] .text-xl').textContent(), "3");
      await s.screenshot(page, "data-class-filter");

      // the URL holds the scan: a reload (or a shared link) shows the same results
      const url = new URL(page.url());
      assert(url.searchParams.get("scan"), page.url());
      await page.reload({ waitUntil: "networkidle" });
      await waitHydrated(page);
      await page.waitForSelector("[data-result]", { timeout: 30_000 });
      assertEquals(await page.textContent('[data-stat="Images"] .text-xl'), "6");
      assertEquals(
        await page.inputValue('input[name="path"]'),
        "/Volumes/main/lakevision/data/shop",
      );
      assertEquals(page.errors, [], "no console errors (the missing image is not requested)");
    } finally {
      await s.close();
    }
  },
});
