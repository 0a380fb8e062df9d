import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { formPost, jsonPost, type TestApp, testApp } from "./helpers.ts";
import { newConfig } from "@/lib/config/templates.ts";
import { docToFormValues } from "@/lib/config/form.ts";
import { parseConfigYaml } from "@/lib/config/yaml_io.ts";

const FIXTURES = new URL("./fixtures/accelerator-configs/", import.meta.url);

async function withApp(fn: (app: TestApp) => Promise<void>, env: Record<string, string> = {}) {
  const app = await testApp(env);
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}

/** The fields a browser would post for a document shown in the editor. */
function formFor(name: string, doc: Record<string, unknown>, extra: Record<string, string> = {}) {
  const task = "detection";
  return {
    name,
    form_task: task,
    base: JSON.stringify(doc),
    base_version: "",
    message: "",
    ...docToFormValues(doc, task),
    ...extra,
  };
}

Deno.test("[configs routes] new → save → edit → save again → diff → download, without JavaScript", () =>
  withApp(async (app) => {
    const volume = app.settings.volume;
    const start = await app.request("/configs/new?task=detection&model=facebook%2Fdetr-resnet-50");
    assertEquals(start.status, 200);
    const html = await start.text();
    assertStringIncludes(html, 'name="model.image_size"');
    assertStringIncludes(html, 'data-island="ConfigEditor"');
    const doc = newConfig("detection", "facebook/detr-resnet-50", { volume });

    // A bad value: the form comes back with the error beside the field, nothing is saved.
    const bad = await app.request(
      "/configs/new?task=detection&model=facebook%2Fdetr-resnet-50",
      formPost(formFor("detr-coco", doc, { "data.batch_size": "zero" })),
    );
    assertEquals(bad.status, 422);
    const badHtml = await bad.text();
    assertStringIncludes(badHtml, 'data-errors="data.batch_size"');
    assertStringIncludes(badHtml, "must be a whole number");
    assertStringIncludes(badHtml, 'value="zero"');
    assertEquals((await (await app.request("/api/configs")).json()).configs.length, 0);

    // Fixed: saved as v1, redirected to the config page (PRG).
    const ok = await app.request(
      "/configs/new?task=detection&model=facebook%2Fdetr-resnet-50",
      formPost(formFor("detr-coco", doc, { "data.batch_size": "8" })),
    );
    assertEquals(ok.status, 303);
    assertEquals(ok.headers.get("location"), "/configs/detr-coco?saved=1");
    const page = await app.request("/configs/detr-coco?saved=1");
    assertEquals(page.status, 200);
    const pageHtml = await page.text();
    assertStringIncludes(pageHtml, "Saved as version 1");
    assertStringIncludes(pageHtml, `${volume}/configs/detr-coco/v1.yaml`);
    const file = await app.workspace.files.readText(`${volume}/configs/detr-coco/v1.yaml`);
    const fileDoc = parseConfigYaml(file);
    assert(fileDoc.ok);
    assertEquals((fileDoc.doc.data as Record<string, unknown>).batch_size, 8);

    // Edit: the editor starts from v1; saving makes v2.
    const edit = await app.request("/configs/detr-coco/edit");
    assertEquals(edit.status, 200);
    assertStringIncludes(await edit.text(), 'value="8"');
    // "Re-run with changes" carries a run's launch overrides in the address; they start the form
    const rerun = await (await app.request(
      "/configs/detr-coco/edit?from=1&data.batch_size=3&nope.field=1&training.max_epochs=",
    )).text();
    assertStringIncludes(rerun, 'name="data.batch_size"');
    assert(
      /name="data\.batch_size"[^>]*value="3"|value="3"[^>]*name="data\.batch_size"/.test(rerun),
    );
    const v1doc = fileDoc.doc;
    const saved2 = await app.request(
      "/configs/detr-coco/edit",
      formPost({
        ...formFor("detr-coco", v1doc, { "model.learning_rate": "5e-5" }),
        base_version: "1",
      }),
    );
    assertEquals(saved2.status, 303);
    assertEquals(saved2.headers.get("location"), "/configs/detr-coco?saved=2");

    // Diff v1 → v2 shows the one changed field, side by side.
    const diff = await app.request("/configs/detr-coco/diff?a=1&b=2");
    assertEquals(diff.status, 200);
    const diffHtml = await diff.text();
    assertStringIncludes(diffHtml, 'data-path="model.learning_rate"');
    assertStringIncludes(diffHtml, "1 field changed");
    assertStringIncludes(diffHtml, 'data-kind="changed"');

    // Download v2.
    const dl = await app.request("/api/configs/detr-coco/yaml?v=2");
    assertEquals(dl.status, 200);
    assertStringIncludes(dl.headers.get("content-type")!, "application/yaml");
    assertStringIncludes(dl.headers.get("content-disposition")!, 'filename="detr-coco-v2.yaml"');
    const y = parseConfigYaml(await dl.text());
    assert(y.ok);
    assertEquals((y.doc.model as Record<string, unknown>).learning_rate, 5e-5);
  }));

Deno.test("[configs routes] a taken name on New is refused beside the name field", () =>
  withApp(async (app) => {
    const doc = newConfig("detection", "facebook/detr-resnet-50", { volume: app.settings.volume });
    const url = "/configs/new?task=detection&model=facebook%2Fdetr-resnet-50";
    assertEquals((await app.request(url, formPost(formFor("c1", doc)))).status, 303);
    const again = await app.request(url, formPost(formFor("c1", doc)));
    assertEquals(again.status, 422);
    assertStringIncludes(await again.text(), "already exists");
  }));

Deno.test("[configs routes] restore, activate and save-as-template from the config page", () =>
  withApp(async (app) => {
    const doc = newConfig("detection", "facebook/detr-resnet-50", { volume: app.settings.volume });
    await app.request("/api/configs", jsonPost({ name: "c", doc }));
    await app.request(
      "/api/configs",
      jsonPost({ name: "c", doc: { ...doc, data: { ...doc.data as object, batch_size: 2 } } }),
    );
    const r = await app.request(
      "/configs/c/actions",
      formPost({ action: "restore", version: "1" }),
    );
    assertEquals(r.status, 303);
    assertEquals(r.headers.get("location"), "/configs/c?saved=3");
    const a = await app.request(
      "/configs/c/actions",
      formPost({ action: "activate", version: "2" }),
    );
    assertEquals(a.status, 303);
    const list = await (await app.request("/configs")).text();
    assertStringIncludes(list, "active v2");
    const t = await app.request(
      "/configs/c/actions",
      formPost({ action: "template", version: "3", title: "Team DETR" }),
    );
    assertEquals(t.status, 303);
    assertStringIncludes(await (await app.request("/configs/templates")).text(), "Team DETR");
    const bad = await app.request(
      "/configs/c/actions",
      formPost({ action: "explode", version: "1" }),
    );
    assertEquals(bad.status, 400);
  }));

Deno.test("[configs routes] import: every fixture imports; malformed YAML, lists and 10 MB pastes save nothing", () =>
  withApp(async (app) => {
    for (const e of Deno.readDirSync(FIXTURES)) {
      const yaml = Deno.readTextFileSync(new URL(e.name, FIXTURES));
      const name = e.name.replace(/\.yaml$/, "");
      const res = await app.request("/configs/import", formPost({ name, yaml }));
      assertEquals(res.status, 303, e.name);
      const back = await app.request(`/api/configs/${name}/yaml`);
      const parsed = parseConfigYaml(await back.text());
      const orig = parseConfigYaml(yaml);
      assert(parsed.ok && orig.ok);
      assertEquals(parsed.doc, orig.doc, e.name);
    }
    const syntax = await app.request(
      "/configs/import",
      formPost({ name: "x", yaml: "model:\n  a: [1\n" }),
    );
    assertEquals(syntax.status, 422);
    const syntaxHtml = await syntax.text();
    assertStringIncludes(syntaxHtml, "line ");
    assertStringIncludes(syntaxHtml, "Nothing was saved");
    const list = await app.request("/configs/import", formPost({ name: "x", yaml: "- a\n- b\n" }));
    assertStringIncludes(await list.text(), "top level must be a mapping");
    const big = await app.request(
      "/configs/import",
      formPost({ name: "x", yaml: "a: " + "x".repeat(10 * 1024 * 1024) }),
    );
    assertEquals(big.status, 422);
    assertStringIncludes(await big.text(), "10.0 MB");
    const configs = (await (await app.request("/api/configs")).json()).configs;
    assert(!configs.some((c: { name: string }) => c.name === "x"));
  }));

Deno.test("[configs routes] the validate API answers like the CLI's --json", () =>
  withApp(async (app) => {
    const res = await app.request(
      "/api/configs/validate",
      jsonPost({
        yaml:
          "model:\n  model_name: google/vit-base-patch16-224\n  task_type: classification\n  image_size: 640\ndata:\n  train_data_path: /Volumes/a/b/c/t\n  val_data_path: /Volumes/a/b/c/v\n",
      }),
    );
    assertEquals(res.status, 200);
    const body = await res.json();
    assertEquals(Object.keys(body), ["ok", "task", "errors", "warnings"]);
    assertEquals(body.ok, false);
    assertEquals(body.errors[0].path, "model.image_size");
  }));

Deno.test("[configs routes] list, templates and the new-config chooser render", () =>
  withApp(async (app) => {
    const empty = await app.request("/configs");
    assertEquals(empty.status, 200);
    assertStringIncludes(await empty.text(), "No configurations yet");
    const choose = await (await app.request("/configs/new?task=classification")).text();
    assertStringIncludes(choose, 'data-model="torchvision/resnet18"');
    assertStringIncludes(choose, "runs locally");
    const tpl = await (await app.request("/configs/templates")).text();
    assertStringIncludes(tpl, 'data-template="builtin-panoptic-segmentation"');
    const fromTpl = await app.request("/configs/new?template=builtin-classification");
    assertEquals(fromTpl.status, 200);
    assertStringIncludes(await fromTpl.text(), "google/vit-base-patch16-224");
    assertEquals((await app.request("/configs/nope")).status, 404);
  }));

Deno.test("[configs routes] editing an imported accelerator file keeps task_type: segmentation and its extra keys", () =>
  withApp(async (app) => {
    const yaml = Deno.readTextFileSync(
      new URL("segmentation_mask2former_coco_instances_config.yaml", FIXTURES),
    );
    assertEquals(
      (await app.request("/configs/import", formPost({ name: "m2f", yaml }))).status,
      303,
    );
    const edit = await (await app.request("/configs/m2f/edit")).text();
    assert(
      /<option(?=[^>]*\bselected\b)(?=[^>]*value="segmentation")/.test(edit),
      "segmentation stays selected",
    );
    const original = parseConfigYaml(yaml);
    assert(original.ok);
    const { docToFormValues } = await import("@/lib/config/form.ts");
    const values = docToFormValues(original.doc, "instance_segmentation");
    const res = await app.request(
      "/configs/m2f/edit",
      formPost({
        name: "m2f",
        form_task: "instance_segmentation",
        base: JSON.stringify(original.doc),
        base_version: "1",
        message: "smaller batch",
        ...values,
        "data.batch_size": "2",
      }),
    );
    assertEquals(res.status, 303);
    const v2 = parseConfigYaml(await (await app.request("/api/configs/m2f/yaml?v=2")).text());
    assert(v2.ok);
    const model = v2.doc.model as Record<string, unknown>,
      data = v2.doc.data as Record<string, unknown>;
    assertEquals(model.task_type, "segmentation");
    assertEquals(model.aux_loss_weight, 0.4);
    assertEquals(data.augmentations, {
      horizontal_flip: true,
      random_crop: true,
      color_jitter: 0.2,
    });
    assertEquals(data.batch_size, 2);
    const diff = await (await app.request("/api/configs/m2f/diff?a=1&b=2")).json();
    assertEquals(diff.fields, [{ path: "data.batch_size", kind: "changed", before: 4, after: 2 }]);
  }));

Deno.test("[configs routes] two people saving the same config at once both get their own version", () =>
  // Identity headers are trusted only behind the Databricks Apps proxy.
  withApp(async (app) => {
    const doc = newConfig("detection", "facebook/detr-resnet-50", { volume: app.settings.volume });
    const responses = await Promise.all(
      ["ana", "ben", "cho", "dee", "eve"].map((who, i) =>
        app.request("/api/configs", {
          ...jsonPost({
            name: "shared",
            doc: { ...doc, data: { ...doc.data as object, batch_size: i + 1 } },
          }),
          headers: { ...jsonPost({}).headers, "x-forwarded-email": `${who}@example.com` },
        })
      ),
    );
    const versions: number[] = [];
    for (const r of responses) {
      assertEquals(r.status, 201);
      versions.push((await r.json()).version.version);
    }
    assertEquals(versions.sort(), [1, 2, 3, 4, 5]);
    const history = (await (await app.request("/api/configs/shared")).json()).history;
    assertEquals(history.length, 5);
    assertEquals(new Set(history.map((h: { author: string }) => h.author)).size, 5);
    for (let v = 1; v <= 5; v++) {
      assert(
        await app.workspace.files.stat(`${app.settings.volume}/configs/shared/v${v}.yaml`),
        `v${v}.yaml`,
      );
    }
  }, { DATABRICKS_APP_PORT: "8000" }));

Deno.test("[configs routes] editing from an older version saves; a save after someone else's is refused with both versions named", () =>
  withApp(async (app) => {
    const doc = newConfig("detection", "facebook/detr-resnet-50", { volume: app.settings.volume });
    for (let i = 0; i < 2; i++) {
      const r = await app.request("/api/configs", jsonPost({ name: "old", doc }));
      assertEquals(r.status, 201);
    }
    // The editor opened from v1 while v2 is the latest: it says so in the form and saves v3.
    const html = await (await app.request("/configs/old/edit?from=1")).text();
    assertStringIncludes(html, 'name="expected_latest" value="2"');
    let res = await app.request(
      "/configs/old/edit?from=1",
      formPost(formFor("old", doc, { base_version: "1", expected_latest: "2" })),
    );
    assertEquals(res.status, 303);
    // Someone saved v4 meanwhile: the form from before v3 comes back with the reason, unsaved.
    await app.request("/api/configs", jsonPost({ name: "old", doc }));
    res = await app.request(
      "/configs/old/edit?from=1",
      formPost(formFor("old", doc, { base_version: "1", expected_latest: "3", message: "mine" })),
    );
    assertEquals(res.status, 409);
    const again = await res.text();
    assertStringIncludes(again, "v4 is now the latest");
    assertStringIncludes(again, 'data-errors="save"');
    assertStringIncludes(again, "mine");
  }));

Deno.test("[configs routes] import: a volume written as its folder on this machine's disk is saved as its volume path, and the page says so", () =>
  withApp(async (app) => {
    const V = "/Volumes/demo/cv/data/shapes";
    for (const split of ["train", "val"]) {
      for (const c of ["circle", "square"]) {
        await app.workspace.files.write(`${V}/${split}/${c}/a.jpg`, "x");
      }
    }
    const disk = `${app.dataDir}/volumes/demo/cv/data/shapes`;
    const yaml = `model:\n  model_name: torchvision/resnet18\n  task_type: classification\n` +
      `  num_classes: 2\n  image_size: 64\n  pretrained: false\n` +
      `data:\n  train_data_path: ${disk}/train\n  val_data_path: ${disk}/val/\n`;
    const res = await app.request("/configs/import", formPost({ name: "ondisk", yaml }));
    assertEquals(res.status, 303);
    const to = res.headers.get("location")!;
    assertStringIncludes(to, "rewrote=data.train_data_path%2Cdata.val_data_path");
    const saved = parseConfigYaml(await (await app.request("/api/configs/ondisk/yaml")).text());
    assert(saved.ok);
    assertEquals(saved.doc.data, {
      train_data_path: `${V}/train`,
      val_data_path: `${V}/val/`,
    });
    const page = await (await app.request(to)).text();
    const note = page.match(/data-rewrote[^>]*>(.*?)<\/p>/s)?.[1] ?? "";
    assertStringIncludes(note, "the import saved their volume paths instead");
    assertStringIncludes(note.replace(/<[^>]+>/g, ""), `data.train_data_path → ${V}/train`);
    assertStringIncludes(page, "ready to launch");
    assert(!page.includes("must be inside a volume"), "nothing is refused");
    // the version's note keeps what the file said, the data folder hidden
    assertStringIncludes(
      page,
      "disk paths rewritten to volume paths: data.train_data_path &lt;data folder>/volumes/demo/cv/data/shapes/train → /Volumes/demo/cv/data/shapes/train",
    );
    assert(!page.includes(app.dataDir), "the data folder stays hidden");
  }));
