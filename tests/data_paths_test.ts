import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { checkDataPaths, volumePathProblem } from "@/lib/config/data_paths.ts";
import { newConfig } from "@/lib/config/templates.ts";
import { stopMonitor } from "@/lib/training/refresh.ts";
import { formPost, jsonPost, testApp } from "./helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const V = "/Volumes/main/lakevision/data";

async function withApp(fn: (app: Awaited<ReturnType<typeof testApp>>) => Promise<void>) {
  const app = await testApp();
  try {
    await fn(app);
  } finally {
    stopMonitor();
    await app.close();
  }
}

const cls = (train: string, val: string) => ({
  model: { model_name: "torchvision/resnet18", task_type: "classification", num_classes: 2 },
  data: { train_data_path: train, val_data_path: val },
});

Deno.test("[data paths] host and relative paths are refused as they are typed", () => {
  assertStringIncludes(volumePathProblem("/etc")!, "inside a volume");
  assertStringIncludes(volumePathProblem("data/train")!, "absolute /Volumes/");
  assertStringIncludes(volumePathProblem(`${V}/../x/y`)!, '".."');
  assertEquals(volumePathProblem(`${V}/shapes/train/`), null);
  assertEquals(volumePathProblem("/Volumes/<catalog>/<schema>/<volume>/train/"), null);
});

Deno.test({
  name: "[data paths] missing folders and wrong layouts are named by volume path, never host path",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const files = app.workspace.files;
      await files.write(`${V}/shapes/train/circle/a.jpg`, "x");
      await files.write(`${V}/flat/a.jpg`, "x");
      await files.write(`${V}/seg/images/a.jpg`, "x");
      assertEquals(
        await checkDataPaths(
          cls(`${V}/shapes/train/`, `${V}/shapes/train`),
          "classification",
          files,
        ),
        [],
      );
      const bad = await checkDataPaths(cls(`${V}/nope/`, `${V}/flat`), "classification", files);
      assertEquals(bad.map((p) => p.path), ["data.train_data_path", "data.val_data_path"]);
      assertStringIncludes(bad[0].message, `folder not found: ${V}/nope/`);
      assertStringIncludes(bad[1].message, "has no class folders");
      const seg = await checkDataPaths(
        { data: { train_data_path: `${V}/seg`, val_data_path: "/etc" } },
        "semantic_segmentation",
        files,
      );
      assertStringIncludes(seg[0].message, "expected images/ and masks/");
      assertStringIncludes(seg[1].message, "inside a volume");
      const ann = await checkDataPaths(
        {
          data: {
            train_data_path: `${V}/flat`,
            train_annotation_file: `${V}/flat`,
            val_data_path: `${V}/flat`,
            val_annotation_file: `${V}/missing.json`,
          },
        },
        "detection",
        files,
      );
      assertEquals(ann.map((p) => p.message), [
        `is a folder, expected a COCO JSON file: ${V}/flat`,
        `file not found: ${V}/missing.json`,
      ]);
      for (const p of [...bad, ...seg, ...ann]) assert(!p.message.includes(app.dataDir), p.message);
    }),
});

Deno.test({
  name: "[data paths] a config whose data is missing is not 'ready to launch' and does not launch",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const yaml =
        `model:\n  model_name: torchvision/resnet18\n  task_type: classification\n  num_classes: 2\n` +
        `data:\n  train_data_path: ${V}/data/classification/train/\n` +
        `  val_data_path: ${V}/data/classification/val/\n`;
      const imp = await app.request("/configs/import", formPost({ name: "nodata", yaml }));
      assertEquals(imp.status, 303);
      const page = await (await app.request("/configs/nodata")).text();
      assert(!page.includes("ready to launch"), "not ready to launch");
      assertStringIncludes(page, `folder not found: ${V}/data/classification/train/`);

      const api = await app.request(
        "/api/runs",
        jsonPost({ config: { name: "nodata" }, compute: { kind: "local" } }),
      );
      assertEquals(api.status, 400);
      const msg = (await api.json()).error.message as string;
      assertStringIncludes(msg, `data.train_data_path folder not found: ${V}/data/classification`);
      assert(!msg.includes(app.dataDir), msg);

      const form = await app.request(
        "/training/new",
        formPost({ compute: "local", config: "nodata@1", token: "abcdefgh1234", device: "cpu" }),
      );
      assertEquals(form.status, 400);
      assertStringIncludes(await form.text(), "cannot launch");
      const runs = await (await app.request("/api/runs")).json();
      assertEquals(runs.runs.length, 0, "nothing was launched");
    }),
});

Deno.test({
  name: "[data paths] /api/configs/validate refuses /etc and reports a missing folder",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const res = await app.request(
        "/api/configs/validate",
        jsonPost({ doc: cls("/etc", `${V}/nope/`), mode: "edit" }),
      );
      assertEquals(res.status, 200);
      assertEquals(res.headers.get("content-type")?.split(";")[0], "application/json");
      const body = await res.json();
      assertEquals(body.ok, false);
      assertEquals(body.errors.map((e: { path: string }) => e.path), ["data.train_data_path"]);
      assert(
        body.warnings.some((w: { message: string }) => w.message.includes("folder not found")),
        JSON.stringify(body.warnings),
      );
      const launch = await (await app.request(
        "/api/configs/validate",
        jsonPost({ doc: cls(`${V}/nope/`, `${V}/nope/`), mode: "launch" }),
      )).json();
      assertEquals(launch.ok, false);
    }),
});

Deno.test({
  name: "[configs] 'Save and activate' saves the version and makes it the one Training launches",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const { docToFormValues } = await import("@/lib/config/form.ts");
      const { newConfig } = await import("@/lib/config/templates.ts");
      const doc = newConfig("classification", "torchvision/resnet18", { volume: V });
      const post = (extra: Record<string, string>) =>
        app.request(
          "/configs/new?task=classification&model=torchvision/resnet18",
          formPost({
            name: "act",
            form_task: "classification",
            base: JSON.stringify(doc),
            ...docToFormValues(doc, "classification"),
            ...extra,
          }),
        );
      const res = await post({ activate: "1" });
      assertEquals(res.status, 303);
      assertStringIncludes(res.headers.get("location")!, "/configs/act?saved=1&activated=1");
      const page = await (await app.request(res.headers.get("location")!)).text();
      assertStringIncludes(page, "Version 1 is now the active version");
      const form = await (await app.request("/training/new")).text();
      // the launch form defaults to it and says so
      assertStringIncludes(form, "<strong>act v1</strong> — the active version");
    }),
});

Deno.test({
  name: "[launch] a config whose model cannot train on this workspace is labelled and refused",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const doc = newConfig("detection", "facebook/detr-resnet-50", {
        volume: app.settings.volume,
      });
      const saved = await app.request("/api/configs", jsonPost({ name: "detr", doc }));
      assertEquals(saved.status, 201);
      const form = await (await app.request("/training/new")).text();
      assertStringIncludes(form, "cannot run here (needs Databricks)");
      const api = await app.request(
        "/api/runs",
        jsonPost({ config: { name: "detr" }, compute: { kind: "local" } }),
      );
      assertEquals(api.status, 400);
      assertStringIncludes((await api.json()).error.message, "needs Hugging Face transformers");
    }),
});
