import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import {
  checkDataPaths,
  checkDataPathsWithin,
  pathOptionsOf,
  volumePathProblem,
} from "@/lib/config/data_paths.ts";
import { WorkspaceError } from "@/lib/errors.ts";
import { currentDeadline } from "@/lib/workspace/deadline.ts";
import type { FilesApi } from "@/lib/workspace/types.ts";
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
      await files.write(`${V}/shapes/train/square/a.jpg`, "x");
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

const clsN = (n: number, train: string, val: string, extra: Record<string, unknown> = {}) => ({
  model: {
    model_name: "torchvision/resnet18",
    task_type: "classification",
    num_classes: n,
    ...extra,
  },
  data: { train_data_path: train, val_data_path: val },
});

/** An ImageFolder split with one image per class folder. */
async function classFolders(files: FilesApi, dir: string, classes: string[]) {
  for (const c of classes) await files.write(`${dir}/${c}/a.jpg`, "x");
}

const SHAPES = ["circle", "square", "star", "triangle"];

Deno.test({
  name:
    "[data paths] ImageFolder classes are counted against num_classes and val's folders against train's",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const files = app.workspace.files;
      await classFolders(files, `${V}/cls/train`, SHAPES);
      await classFolders(files, `${V}/cls/val`, SHAPES);
      await classFolders(files, `${V}/cls/val2`, ["circle", "square", "hexagon"]);
      await files.write(`${V}/cls/train/.cache/x`, "hidden folders are not classes");
      const [train, val] = [`${V}/cls/train`, `${V}/cls/val/`];
      assertEquals(await checkDataPaths(clsN(4, train, val), "classification", files), []);
      assertEquals(await checkDataPaths(clsN(7, train, val), "classification", files), [{
        path: "model.num_classes",
        message: "train has 4 class folders (circle, square, star, triangle); num_classes is 7",
      }]);
      const odd = await checkDataPaths(clsN(4, train, `${V}/cls/val2`), "classification", files);
      assertEquals(odd.map((p) => p.path), ["data.val_data_path"]);
      assertStringIncludes(odd[0].message, "val has no folder for star, triangle");
      assertStringIncludes(odd[0].message, "hexagon is not among train's classes");
      // class_names picks the classes: each needs its folder; the count is the rules' business
      const named = await checkDataPaths(
        clsN(2, train, val, { class_names: ["circle", "hexagon"] }),
        "classification",
        files,
      );
      assertEquals(named.map((p) => p.path), ["model.class_names", "data.val_data_path"]);
      assertStringIncludes(named[0].message, "train has no folder for hexagon");
      assertStringIncludes(named[1].message, "val has no folder for hexagon");
      assertEquals(
        await checkDataPaths(
          clsN(2, train, val, { class_names: ["circle", "star"] }),
          "classification",
          files,
        ),
        [],
      );
      // a val folder without class folders is said once, as a layout problem
      await files.write(`${V}/cls/flat/a.jpg`, "x");
      const flat = await checkDataPaths(clsN(4, train, `${V}/cls/flat`), "classification", files);
      assertEquals(flat.map((p) => p.path), ["data.val_data_path"]);
      assertStringIncludes(flat[0].message, "has no class folders");
    }),
});

Deno.test({
  name: "[data paths] COCO categories are counted against num_classes; mask folders say nothing",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const files = app.workspace.files;
      const cats = [{ id: 1, name: "circle" }, { id: 2, name: "square" }, { id: 3, name: "star" }];
      await files.write(`${V}/det/images/a.jpg`, "x");
      await files.write(
        `${V}/det/train.json`,
        JSON.stringify({
          images: [{ id: 1, file_name: "a.jpg" }],
          annotations: [],
          categories: cats,
        }),
      );
      await files.write(
        `${V}/det/val.json`,
        JSON.stringify({ categories: [...cats, { id: 9, name: "hexagon" }], images: [] }),
      );
      const det = (n: number, valFile = `${V}/det/val.json`) => ({
        model: {
          model_name: "torchvision/fcos_resnet50_fpn",
          task_type: "detection",
          num_classes: n,
        },
        data: {
          train_data_path: `${V}/det/images`,
          train_annotation_file: `${V}/det/train.json`,
          val_data_path: `${V}/det/images`,
          val_annotation_file: valFile,
        },
      });
      const bad = await checkDataPaths(det(7), "detection", files);
      assertEquals(bad.map((p) => [p.path, p.message]), [
        [
          "model.num_classes",
          "train_annotation_file has 3 categories (circle, square, star); num_classes is 7",
        ],
        [
          "data.val_annotation_file",
          `lists category id 9 that train_annotation_file does not: ${V}/det/val.json`,
        ],
      ]);
      assertEquals(await checkDataPaths(det(3, `${V}/det/train.json`), "detection", files), []);

      await files.write(`${V}/seg/images/a.jpg`, "x");
      await files.write(`${V}/seg/masks/a.png`, "x");
      const seg = {
        model: {
          model_name: "nvidia/segformer-b0-finetuned-ade-512-512",
          task_type: "semantic_segmentation",
          num_classes: 150,
        },
        data: { train_data_path: `${V}/seg`, val_data_path: `${V}/seg` },
      };
      assertEquals(await checkDataPaths(seg, "semantic_segmentation", files), []);
    }),
});

Deno.test({
  name:
    "[data paths] the editor's live check names a class mismatch: a warning while editing, an error to launch",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      await classFolders(app.workspace.files, `${V}/cls/train`, SHAPES);
      await classFolders(app.workspace.files, `${V}/cls/val`, SHAPES);
      const doc = clsN(7, `${V}/cls/train`, `${V}/cls/val`);
      const edit = await (await app.request(
        "/api/configs/validate",
        jsonPost({ doc, mode: "edit" }),
      )).json();
      assertEquals(edit.ok, true);
      const expected = {
        path: "model.num_classes",
        message: "train has 4 class folders (circle, square, star, triangle); num_classes is 7",
      };
      assertEquals(edit.data, [expected]);
      assert(edit.warnings.some((w: { path: string }) => w.path === "model.num_classes"));
      const launch = await (await app.request(
        "/api/configs/validate",
        jsonPost({ doc, mode: "launch" }),
      )).json();
      assertEquals(launch.ok, false);
      assert(launch.errors.some((e: { message: string }) => e.message === expected.message));
      // the config page says it is not ready to launch, and why
      const saved = await app.request("/api/configs", jsonPost({ name: "seven", doc }));
      assertEquals(saved.status, 201);
      const page = await (await app.request("/configs/seven")).text();
      assert(!page.includes("ready to launch"), "not ready to launch");
      assertStringIncludes(page, "train has 4 class folders (circle, square, star, triangle)");
    }),
});

/** Files whose calls never answer unless the page's deadline aborts them. */
function silentFiles(): FilesApi {
  const wait = <T>(): Promise<T> =>
    new Promise<T>((_, reject) => {
      const signal = currentDeadline()?.signal;
      const timeout = () => reject(new WorkspaceError("no answer", "TIMEOUT", 504));
      if (signal?.aborted) timeout();
      else signal?.addEventListener("abort", timeout);
    });
  return {
    stat: () => wait(),
    list: () => ({ [Symbol.asyncIterator]: () => ({ next: () => wait() }) }),
    read: () => wait(),
    readBytes: () => wait(),
    readText: () => wait(),
    write: () => wait(),
    mkdirs: () => wait(),
    delete: () => wait(),
  };
}

Deno.test("[data paths] a workspace that does not answer holds the check no longer than its deadline", async () => {
  const doc = clsN(7, `${V}/cls/train`, `${V}/cls/val`);
  const t0 = performance.now();
  const problems = await checkDataPathsWithin(doc, "classification", silentFiles(), { ms: 150 });
  const took = performance.now() - t0;
  assert(took < 1500, `took ${took} ms`);
  assertEquals(problems.map((p) => p.path), ["data.train_data_path", "data.val_data_path"]);
  for (const p of problems) assertStringIncludes(p.message, "was not checked");
  // a call that ignores the deadline is cut off by it all the same
  const deaf: FilesApi = { ...silentFiles(), stat: () => new Promise(() => {}) };
  const t1 = performance.now();
  const cut = await checkDataPathsWithin(doc, "classification", deaf, { ms: 150 });
  assert(performance.now() - t1 < 1500, "cut off");
  assertEquals(cut.length, 1);
  assertStringIncludes(cut[0].message, "did not answer within 0.2 s");
});

Deno.test({
  name:
    "[data paths] a disk path is refused as it was written, data folder hidden, with its volume path to use",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      const files = app.workspace.files;
      await classFolders(files, `${V}/cls/train`, ["circle", "square"]);
      const disk = `${app.dataDir}/volumes/main/lakevision/data/cls/train/`;
      const outside = `${app.dataDir}/elsewhere/val`;
      const found = await checkDataPaths(
        cls(disk, outside),
        "classification",
        files,
        pathOptionsOf(app.workspace),
      );
      assertEquals(found.map((p) => p.path), ["data.train_data_path", "data.val_data_path"]);
      assertEquals(
        found[0].message,
        'is a disk path on this machine, not a volume path: "<data folder>/volumes/main/lakevision/data/cls/train/" ' +
          "(the data folder's location on this machine is hidden); write its volume path " +
          `${V}/cls/train/`,
      );
      assertEquals(found[0].fix, `${V}/cls/train/`);
      assertEquals(
        found[1].message,
        `must be inside a volume (/Volumes/<catalog>/<schema>/<volume>/…), got "<data folder>/elsewhere/val" ` +
          "(the data folder's location on this machine is hidden)",
      );
      for (const p of found) assert(!p.message.includes(app.dataDir), p.message);

      // the config page shows the same, never a volume path that would look valid
      const saved = await app.request(
        "/api/configs",
        jsonPost({ name: "ondisk", doc: cls(disk, outside) }),
      );
      assertEquals(saved.status, 201);
      const page = await (await app.request("/configs/ondisk")).text();
      assertStringIncludes(page, "is a disk path on this machine");
      assertStringIncludes(page, "&lt;data folder>/elsewhere/val");
      assert(!/got &quot;\/Volumes\//.test(page), "no refused path is shown as a volume path");
      assert(!page.includes(app.dataDir), "the data folder stays hidden");
    }),
});
