/**
 * Registering finished runs of a COCO-style config (annotation files + image folders): the card
 * finds the scan Data EDA made of the config's splits and links the annotation files; the
 * version compare counts launch overrides (an epoch limit) as a difference in settings; the
 * register form starts from the model name the config registers under.
 */
import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { jsonPost, type TestApp, testApp } from "@/tests/helpers.ts";
import { setPath } from "@/lib/config/templates.ts";
import { DEMO_CONFIGS, demoConfigDoc } from "@/lib/demo/configs.ts";
import { generateCoco } from "@/lib/demo/coco_gen.ts";
import { versionDetail } from "@/lib/registry/browse.ts";
import { compareVersions } from "@/lib/registry/compare.ts";
import { registerRun, type RegistryContext } from "@/lib/registry/register.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { createRun, newRunId } from "@/lib/training/records.ts";
import type { RunRecord } from "@/lib/training/types.ts";

const FIX = new URL("./fixtures/onnx/tiny_detector/", import.meta.url);
const onnx = await Deno.readFile(new URL("model.onnx", FIX));
const modelJson = await Deno.readTextFile(new URL("model.json", FIX));
const NAME = "main.cv.shapes_detector";
const opts = { sanitizeOps: false, sanitizeResources: false };

/** A small COCO dataset in the volume and a detection config version that trains on it. */
async function setup(t: TestApp) {
  const volume = t.settings.volume;
  const gen = generateCoco({
    id: "shapes-detection",
    task: "detection",
    seed: 7,
    width: 64,
    height: 48,
    train: 6,
    val: 3,
    objects: [1, 2],
    radius: [6, 12],
  });
  const root = `${volume}/datasets/shapes-detection`;
  for (const [rel, bytes] of gen.files) {
    await t.workspace.files.write(`${root}/${rel}`, bytes, { overwrite: true });
  }
  const spec = DEMO_CONFIGS.find((c) => c.task === "detection")!;
  const doc = setPath(
    demoConfigDoc(spec, gen.data, `${volume}/datasets`),
    "serving.registered_model_name",
    NAME,
  );
  const store = new ConfigStore(t.kv, { files: t.workspace.files, volume });
  const saved = await store.save("det", doc, { author: "tester" });
  return { root, store, version: saved.version };
}

/** A succeeded run of `det` v1 with its exported model, launched with `over`. */
async function finishedRun(
  t: TestApp,
  configPath: string,
  over: Partial<RunRecord> = {},
): Promise<RunRecord> {
  const id = newRunId();
  const runDir = `${t.settings.volume}/runs/${id}`;
  await t.workspace.files.write(`${runDir}/model.onnx`, onnx, { overwrite: true });
  await t.workspace.files.write(`${runDir}/model.json`, modelJson, { overwrite: true });
  await t.workspace.files.write(
    `${runDir}/config.resolved.json`,
    JSON.stringify({
      args: { max_epochs: over.maxEpochs ?? null, max_steps: null, resume: null },
      config: { task: "detection" },
    }),
    { overwrite: true },
  );
  const now = Date.now();
  const { run } = await createRun({
    id,
    name: `det run ${id}`,
    createdAt: now,
    createdBy: "tester",
    config: { name: "det", version: 1, task: "detection", model: "torchvision/fcos_tiny" },
    compute: { kind: "local", device: "cpu" },
    distribution: "local",
    status: "succeeded",
    phase: "succeeded",
    runDir,
    configPath,
    command: ["python", "jobs/train.py"],
    idempotencyToken: `tok-${id}`,
    startedAt: now,
    endedAt: now,
    updatedAt: now,
    progress: null,
    lastMetrics: { eval_map: 0.5 },
    ...over,
  });
  return run;
}

/** Scans the config's splits as the Data EDA page sends them; returns the scan's content key. */
async function scanConfigSplits(t: TestApp, root: string): Promise<string> {
  const splits = ["train", "val"].map((s) => ({
    name: s,
    path: `${root}/annotations/instances_${s}.json`,
    images: `${root}/images/${s}`,
  }));
  const res = await t.request("/api/data/scans", jsonPost({ format: "auto", splits }));
  assertEquals(res.status, 202, await res.clone().text());
  const { id } = await res.json();
  for (let i = 0; i < 400; i++) {
    const r = await (await t.request(`/api/data/scans/${id}`)).json();
    if (r.status === "done") return r.result.key;
    if (r.status === "failed") throw new Error(`scan failed: ${r.error}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error("the scan did not finish");
}

Deno.test({
  name:
    "[registry] a COCO run's card finds the config's scan and links the annotation files, not the image folders",
  ...opts,
  async fn() {
    const t = await testApp();
    try {
      const { root, store, version } = await setup(t);
      const key = await scanConfigSplits(t, root);
      const configPath = store.filePath("det", 1, version.doc)!;
      const run = await finishedRun(t, configPath);
      const ctx: RegistryContext = { ws: t.workspace, volume: t.settings.volume, user: "tester" };
      const rec = await registerRun(ctx, run.id, { name: NAME });
      assertEquals(rec.registration.state, "succeeded", rec.registration.message);
      const d = await versionDetail(ctx, NAME, "1");
      const card = d.card ?? "";
      assert(!card.includes("not scanned"), card);
      assertStringIncludes(card, "Dataset scan (coco");
      assertStringIncludes(card, "| train | 6 |");
      assertStringIncludes(card, "| val | 3 |");
      assertEquals(d.version.tags["lakevision.scan_id"], key, "the scan Data EDA made");
      assertEquals(d.lineage.dataset, `${root}/annotations/instances_train.json`);
      assertEquals(d.lineage.valDataset, `${root}/annotations/instances_val.json`);
      assertStringIncludes(
        card,
        `/data?path=${encodeURIComponent(`${root}/annotations/instances_train.json`)}`,
      );
      assertStringIncludes(card, `(images in \`${root}/images/train\`)`);
      // the version page renders the card's escapes as the characters they stand for
      const page = await (await t.request(`/models/${NAME}/1`)).text();
      const shown = page.match(/class="model-card[^>]*>([\s\S]*?)<\/div>\s*<details/)?.[1] ?? "";
      assertStringIncludes(shown, ">main.cv.shapes_detector</h2>");
      assertStringIncludes(shown, "instances_train.json</a>");
      assert(!shown.includes("\\_"), "no backslash escapes shown");
      // the versions table shows the main metric the version was registered with
      const list = await (await t.request(`/models/${NAME}`)).text();
      const cell = list.match(/<td[^>]*data-metric[^>]*>([\s\S]*?)<\/td>/)?.[1] ?? "";
      assert(/mAP<\/span> \d\.\d{3}/.test(cell), cell);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "[registry] versions from the same config but another epoch limit are not 'the same settings'",
  ...opts,
  async fn() {
    const t = await testApp();
    try {
      const { store, version } = await setup(t);
      const configPath = store.filePath("det", 1, version.doc)!;
      const first = await finishedRun(t, configPath);
      const second = await finishedRun(t, configPath, { maxEpochs: 3 });
      const ctx: RegistryContext = { ws: t.workspace, volume: t.settings.volume, user: "tester" };
      await registerRun(ctx, first.id, { name: NAME });
      await registerRun(ctx, second.id, { name: NAME });
      const v2 = await versionDetail(ctx, NAME, "2");
      assertEquals(v2.version.tags["lakevision.launch.max_epochs"], "3");
      assertStringIncludes(v2.card ?? "", "Launched with: at most 3 epochs");
      const c = await compareVersions(ctx, NAME, "1", "2", (n, v) => store.getVersion(n, v));
      assertEquals(c.config.changes, []);
      assertEquals(c.launch, [{ path: "launch.max_epochs", kind: "added", after: 3 }]);
      const html = await (await t.request(`/models/${NAME}/compare?a=1&b=2`)).text();
      assert(!html.includes("same settings"), "the epoch limit differs");
      assertStringIncludes(html, "launch.max_epochs");

      // versions registered before launch settings were tagged: read from the runs
      const old = await compareVersions(
        {
          ...ctx,
          ws: {
            ...t.workspace,
            registry: {
              ...t.workspace.registry,
              getVersion: async (n: string, v: string) => {
                const got = await t.workspace.registry.getVersion(n, v);
                const tags = Object.fromEntries(
                  Object.entries(got.tags).filter(([k]) => !k.startsWith("lakevision.launch.")),
                );
                return { ...got, tags };
              },
            },
          },
        },
        NAME,
        "1",
        "2",
        (n, v) => store.getVersion(n, v),
      );
      assertEquals(old.launch, [{ path: "launch.max_epochs", kind: "added", after: 3 }]);

      // the same launch twice reads as the same settings
      const third = await finishedRun(t, configPath);
      await registerRun(ctx, third.id, { name: NAME });
      const same = await (await t.request(`/models/${NAME}/compare?a=1&b=3`)).text();
      assertStringIncludes(same, "Both were trained with the same settings");
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "[registry routes] the register form starts from the model name the run's config names",
  ...opts,
  async fn() {
    const t = await testApp();
    try {
      const { store, version } = await setup(t);
      const run = await finishedRun(t, store.filePath("det", 1, version.doc)!);
      const html = await (await t.request(`/models?run=${run.id}`)).text();
      const input = html.match(/<input[^>]*id="reg-name"[^>]*>/)?.[0] ?? "";
      assertStringIncludes(input, `value="${NAME}"`);
      assertStringIncludes(html, "From the run's config");
    } finally {
      await t.close();
    }
  },
});
