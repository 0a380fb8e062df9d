/**
 * Issue 17 item 9: pages, errors and the health API show volume paths, never the server's data
 * folder, and health does not tell any caller which interpreter and library versions it runs.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { jsonPost, testApp } from "./helpers.ts";
import { newConfig } from "@/lib/config/templates.ts";
import { hostPathHider } from "@/lib/errors.ts";

/** Fails when `text` holds the data folder (as given or resolved). */
function assertNoHostPath(text: string, dataDir: string, what: string) {
  for (const p of new Set([dataDir, Deno.realPathSync(dataDir)])) {
    assert(!text.includes(p), `${what} shows the host path ${p}: ${text.slice(0, 400)}`);
  }
}

Deno.test("[security/paths] the health API shows volume paths and no interpreter versions", async () => {
  const app = await testApp();
  try {
    const res = await app.request("/api/workspace/health");
    assertEquals(res.status, 200);
    const text = await res.text();
    assertNoHostPath(text, app.dataDir, "/api/workspace/health");
    assert(
      !/Python \d|torch \d|python3?\b[^ ]*\/|\/usr\//i.test(text),
      `versions or paths: ${text}`,
    );
    const files = JSON.parse(text).areas.find((a: { area: string }) => a.area === "files");
    assertStringIncludes(files.detail, app.settings.volume);
    const settings = await (await app.request("/settings")).text();
    assertNoHostPath(settings, app.dataDir, "/settings");
  } finally {
    await app.close();
  }
});

Deno.test("[security/paths] a failed config file write shows the volume path on /configs/<name>", async () => {
  const app = await testApp();
  try {
    // An OS error the files adapter passes through unmapped (a full disk) names the host path.
    const disk = `${Deno.realPathSync(app.dataDir)}/volumes/main/lakevision/data/configs/full`;
    const files = app.workspace.files;
    const write = files.write.bind(files);
    files.write = (path, data, opts) =>
      path.includes("/configs/full/")
        ? Promise.reject(
          new Error(`No space left on device (os error 28): write '${disk}/v1.yaml'`),
        )
        : write(path, data, opts);
    const doc = newConfig("detection", "facebook/detr-resnet-50", { volume: app.settings.volume });
    const saved = await app.request("/api/configs", jsonPost({ name: "full", doc }));
    assertEquals(saved.status, 201);
    await saved.body?.cancel();
    const page = await app.request("/configs/full");
    assertEquals(page.status, 200);
    const html = await page.text();
    assertNoHostPath(html, app.dataDir, "/configs/full");
    assertStringIncludes(html, "/Volumes/main/lakevision/data/configs/full/v1.yaml");
  } finally {
    await app.close();
  }
});

Deno.test("[security/paths] hostPathHider maps the data folder to volume paths", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const hide = hostPathHider(dir);
    assertEquals(
      hide(`Not a directory (os error 20): open '${dir}/volumes/main/lv/data/configs/x/v1.yaml'`),
      "Not a directory (os error 20): open '/Volumes/main/lv/data/configs/x/v1.yaml'",
    );
    assertEquals(hide(`kv at ${dir}/kv.sqlite3`), "kv at <data folder>/kv.sqlite3");
    assertEquals(hide("nothing here"), "nothing here");
    // in a rendered page the placeholder is escaped: a raw "<data folder>" is a <data> tag
    assertEquals(
      hostPathHider(dir, { html: true })(`<code>${dir}/elsewhere/val</code>`),
      "<code>&lt;data folder&gt;/elsewhere/val</code>",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
