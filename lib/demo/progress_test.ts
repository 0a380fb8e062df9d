import { assert, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { KvScanCache } from "@/lib/data/cache.ts";
import { startScan } from "@/lib/data/scan.ts";
import { logActivity } from "@/lib/store/activity.ts";
import { noteInferenceSession, resetSessions } from "@/lib/history/events.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { setKv } from "@/lib/store/kv.ts";
import { RunRecordSchema } from "@/lib/training/types.ts";
import { LocalFiles } from "@/lib/workspace/local/files.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import type { Endpoint, Workspace } from "@/lib/workspace/types.ts";
import { readManifest, scanPlan } from "./manifest.ts";
import { gettingStarted } from "./progress.ts";
import { seedDemo } from "./seed.ts";
import { cachedGenerate } from "./testing.ts";

const APP_VOLUME = "/Volumes/main/lakevision/data";

function fakeWorkspace(
  dataDir: string,
  extra: { models?: string[]; endpoints?: Endpoint[]; slowRegistry?: boolean } = {},
): Workspace {
  const ws = createLocalWorkspace({ dataDir, volume: APP_VOLUME });
  return {
    ...ws,
    files: new LocalFiles(dataDir),
    compute: {
      info: () =>
        Promise.resolve({
          kind: "local",
          cpus: 2,
          python: {
            path: "/usr/bin/python3",
            version: "3.11.2",
            torch: "2.1.0",
            torchvision: "0.16.0",
          },
        }),
    },
    registry: {
      ...ws.registry,
      async *listModels() {
        if (extra.slowRegistry) await new Promise((r) => setTimeout(r, 2600));
        for (const name of extra.models ?? []) yield { name, aliases: [] };
      },
    },
    serving: { ...ws.serving, list: () => Promise.resolve(extra.endpoints ?? []) },
  };
}

const state = (ws: Workspace) => ({ workspace: ws, settings: { workspace: "local" as const } });

Deno.test("[getting started] ticks each step only when the workspace shows it done", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-progress-" });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  try {
    const ws = fakeWorkspace(dataDir);
    let gs = await gettingStarted(state(ws));
    assertEquals(gs.steps.map((s) => s.done), [false, false, false, false, false, false, false]);
    assertEquals(gs.next, 0);
    assertEquals(gs.configs.filter((c) => c.saved), []);
    assert(gs.python.torch);

    await seedDemo({
      files: ws.files,
      kv,
      appVolume: APP_VOLUME,
      target: "local",
      who: "t",
      generate: cachedGenerate,
    });
    const store = new ConfigStore(kv);
    await store.activate("demo-detection", 1, "alice");
    gs = await gettingStarted(state(ws));
    assertEquals(gs.steps[0].done, true);
    assertStringIncludes(gs.steps[0].detail, "demo-detection v1");
    assertEquals(gs.steps[0].href, "/configs/demo-detection");
    assertEquals(gs.steps[1].href, "/data");
    assertStringIncludes(gs.steps[1].detail, "the demo planted 4 annotation problems");
    assertEquals(gs.configs.filter((c) => c.saved).length, 5);
    assertEquals(gs.configs.find((c) => c.active)?.name, "demo-detection");

    // a scan the Data EDA page cached
    const m = (await readManifest(ws.files))!;
    const det = m.datasets.find((d) => d.id === "shapes-detection")!;
    await startScan({ plan: scanPlan(det) }, ws.files, { cache: new KvScanCache(kv) }).done;
    gs = await gettingStarted(state(ws));
    assertEquals(gs.steps[1].done, true);
    assertStringIncludes(gs.steps[1].detail, `${det.planted.length} problems found`);
    // a later scan of another dataset does not stand in for the active config's
    const cls = m.datasets.find((d) => d.id === "shapes-classification")!;
    await startScan({ plan: scanPlan(cls) }, ws.files, { cache: new KvScanCache(kv) }).done;
    gs = await gettingStarted(state(ws));
    assertEquals(gs.steps[1].done, true);
    assertStringIncludes(gs.steps[1].detail, `${det.planted.length} problems found`);
    assertStringIncludes(gs.steps[1].detail, "shapes-detection");
    // the classification config's own scan is the one its step shows
    await store.activate("demo-classification", 1, "alice");
    gs = await gettingStarted(state(ws));
    assertEquals(gs.steps[1].done, true);
    assertStringIncludes(gs.steps[1].detail, `${cls.planted.length} problems found`);
    assertStringIncludes(gs.steps[1].detail, "shapes-classification");
    // a config whose dataset was never scanned: not done, and the other scan is named
    await store.activate("demo-semantic-segmentation", 1, "alice");
    gs = await gettingStarted(state(ws));
    assertEquals(gs.steps[1].done, false);
    assertStringIncludes(gs.steps[1].detail, "is not of demo-semantic-segmentation's dataset");
    assertStringIncludes(gs.steps[1].detail, "shapes-classification");
    await store.activate("demo-detection", 1, "alice");

    // a running run: launched, not evaluated
    const run = RunRecordSchema.parse({
      id: "20261126-031500-ab12",
      name: "demo-detection run",
      createdAt: Date.now(),
      createdBy: "alice",
      config: {
        name: "demo-detection",
        version: 1,
        task: "detection",
        model: "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn",
      },
      compute: { kind: "local", device: "cpu" },
      distribution: "local",
      status: "running",
      phase: "training",
      runDir: "/Volumes/main/lakevision/data/runs/20261126-031500-ab12",
      configPath: "/Volumes/main/lakevision/data/configs/demo-detection/v1.yaml",
      command: ["python3", "jobs/train.py"],
      idempotencyToken: "tok-12345678",
      updatedAt: Date.now(),
    });
    await kv.set(["training", "run", run.id], run);
    gs = await gettingStarted(state(ws));
    assertEquals(gs.steps.map((s) => s.done).slice(0, 4), [true, true, true, false]);
    assertStringIncludes(gs.steps[2].detail, "running");
    await kv.set(["training", "run", run.id], {
      ...run,
      status: "succeeded",
      lastMetrics: { eval_map: 0.4123, loss: 0.2 },
    });
    gs = await gettingStarted(state(ws));
    // finished, but not yet evaluated in Lakevision
    assertEquals(gs.steps[3].done, false);
    assertStringIncludes(gs.steps[3].detail, "finished (eval_map 0.412)");
    assertEquals(gs.steps[3].href, `/evaluation?runs=${run.id}`);
    // the Evaluation page cached its evaluation of the run
    await kv.set(["evaluation", "result", run.id], {
      hash: "h",
      chunks: 1,
      bytes: 10,
      at: Date.now(),
    });
    gs = await gettingStarted(state(ws));
    assertEquals(gs.steps[3].done, true);
    assertStringIncludes(gs.steps[3].detail, "was evaluated (eval_map 0.412)");

    // the events exactly as the batch service and the Playground write them
    await logActivity({ who: "bob", what: "started batch inference", subject: "batch:b1" });
    gs = await gettingStarted(state(ws));
    assertEquals(gs.steps[6].done, false, "batch inference is not trying an image");
    resetSessions();
    assert(await noteInferenceSession("alice", "version:demo.cv.fasterrcnn_detection:1", "wasm"));
    const full = fakeWorkspace(dataDir, {
      models: ["demo.cv.fasterrcnn_detection"],
      endpoints: [{ name: "shapes", state: "READY", entities: [] }],
    });
    gs = await gettingStarted(state(full));
    assertEquals(gs.steps.map((s) => s.done), [true, true, true, true, true, true, true]);
    assertEquals(gs.next, 7);
  } finally {
    kv.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("[getting started] a slow workspace leaves its step unticked with the reason", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-progress-" });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  try {
    const gs = await gettingStarted(state(fakeWorkspace(dataDir, { slowRegistry: true })));
    const reg = gs.steps.find((s) => s.id === "register")!;
    assertEquals(reg.done, false);
    assertStringIncludes(
      reg.detail,
      "could not check: the model registry did not answer within 2 s",
    );
  } finally {
    kv.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
