import { assert, assertEquals, assertRejects, assertStringIncludes } from "@/tests/assert.ts";
import { listActivity } from "@/lib/store/activity.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { setKv } from "@/lib/store/kv.ts";
import { LocalFiles } from "@/lib/workspace/local/files.ts";
import { createLocalWorkspace } from "@/lib/workspace/local/workspace.ts";
import type { FilesApi, Workspace } from "@/lib/workspace/types.ts";
import { DEMO_CONFIGS, demoConfigDoc } from "./configs.ts";
import { DEMO_DATASETS, DEMO_VOLUME } from "./datasets.ts";
import { MANIFEST_PATH, readManifest } from "./manifest.ts";
import { resetDemo } from "./reset.ts";
import { DEMO_AUTHOR, INCOMPLETE_MARKER, seedDemo, seedState } from "./seed.ts";
import { demoStatus, setDemoStatus, startDemoSeeding } from "./startup.ts";
import { cachedGenerate } from "./testing.ts";

const APP_VOLUME = "/Volumes/main/lakevision/data";

async function env() {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-demo-" });
  const kv = await Deno.openKv(":memory:");
  setKv(kv);
  const files = new LocalFiles(dataDir);
  return {
    dataDir,
    kv,
    files,
    deps: {
      files,
      kv,
      appVolume: APP_VOLUME,
      target: "local" as const,
      who: "tester",
      generate: cachedGenerate,
    },
    async [Symbol.asyncDispose]() {
      kv.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test("[demo seed] writes every dataset, the manifest and one valid config per task", async () => {
  await using e = await env();
  const report = await seedDemo(e.deps);
  assertEquals(report.datasets.map((d) => d.status), DEMO_DATASETS.map(() => "created"));
  assertEquals(
    report.configs.map((c) => [c.name, c.status]),
    DEMO_CONFIGS.map((c) => [c.name, "created"]),
  );
  const manifest = (await readManifest(e.files))!;
  assertEquals(manifest.datasets.length, DEMO_DATASETS.length);
  for (const ds of manifest.datasets) {
    for (const rel of Object.keys(ds.files)) {
      assert(await e.files.stat(`${ds.path}/${rel}`), `${ds.path}/${rel} was not written`);
    }
  }
  const store = new ConfigStore(e.kv);
  for (const spec of DEMO_CONFIGS) {
    const v = await store.latest(spec.name);
    assertEquals([v.version, v.author, v.task, v.model], [1, DEMO_AUTHOR, spec.task, spec.model]);
    const data = v.doc.data as Record<string, string>;
    assert(
      await e.files.stat(data.train_data_path),
      `${spec.name}: ${data.train_data_path} missing`,
    );
    // the store also wrote the YAML the training job reads
    assert(await e.files.stat(`${APP_VOLUME}/configs/${spec.name}/v1.yaml`));
  }
  assertEquals(await store.getActive(), null, "seeding must not choose a config for the person");
  assert(await seedState(e.kv));
  const log = await listActivity({ subjectPrefix: "demo:" });
  assertEquals(log[0].what, "seeded the demo workspace");
});

Deno.test("[demo seed] never overwrites a user's files or configurations", async () => {
  await using e = await env();
  // The person already has a folder with a demo name, and a config with a demo name.
  const mine = `${DEMO_VOLUME}/shapes-detection/annotations/instances_train.json`;
  await e.files.write(mine, '{"mine": true}');
  const store = new ConfigStore(e.kv);
  const ds = (await cachedGenerate(0, ["shapes-classification"]))[0];
  const doc = demoConfigDoc(DEMO_CONFIGS[1], ds.data);
  (doc.training as Record<string, unknown>).max_epochs = 42;
  await store.save("demo-classification", doc, { author: "alice", source: "form" });

  const report = await seedDemo(e.deps);
  assertEquals(await e.files.readText(mine), '{"mine": true}');
  assertEquals(
    report.datasets.find((d) => d.id === "shapes-detection")?.status,
    "kept",
  );
  assert(!(await e.files.stat(`${DEMO_VOLUME}/shapes-detection/images`)), "nothing added to it");
  const cls = await store.latest("demo-classification");
  assertEquals(
    [cls.version, cls.author, (cls.doc.training as Record<string, unknown>).max_epochs],
    [1, "alice", 42],
  );
  const byName = Object.fromEntries(report.configs.map((c) => [c.name, c.status]));
  assertEquals(byName["demo-classification"], "kept");
  // the folder was not demo data, so no config points at it
  assertEquals(byName["demo-detection"], "skipped");
  await assertRejects(() => store.get("demo-detection"));
  // a second seed changes nothing
  const again = await seedDemo(e.deps);
  assert(again.datasets.every((d) => d.status === "kept"));
  assert(again.configs.every((c) => c.status !== "created"));
});

/** A FilesApi that fails on the n-th write. */
function failingFiles(inner: FilesApi, n: number): FilesApi {
  let writes = 0;
  return {
    ...inner,
    list: (p) => inner.list(p),
    stat: (p) => inner.stat(p),
    readText: (p) => inner.readText(p),
    readBytes: (p) => inner.readBytes(p),
    delete: (p, o) => inner.delete(p, o),
    write: (p, d, o) => {
      if (++writes === n) return Promise.reject(new Error("disk full"));
      return inner.write(p, d, o);
    },
  };
}

Deno.test("[demo seed] a write failure names the folder and leaves no half-written dataset", async () => {
  await using e = await env();
  const files = failingFiles(e.files, 20);
  const err = await assertRejects(() => seedDemo({ ...e.deps, files }));
  assertStringIncludes((err as Error).message, `${DEMO_VOLUME}/${DEMO_DATASETS[0].id}`);
  assertStringIncludes((err as Error).message, "disk full");
  assertEquals(await e.files.stat(`${DEMO_VOLUME}/${DEMO_DATASETS[0].id}`), null);
  assertEquals(await e.files.stat(MANIFEST_PATH), null);
  // after the cause is fixed, seeding completes
  const report = await seedDemo(e.deps);
  assert(report.datasets.every((d) => d.status === "created"));
});

Deno.test("[demo seed] completes a dataset an interrupted seed left half-written", async () => {
  await using e = await env();
  const root = `${DEMO_VOLUME}/shapes-detection`;
  await e.files.write(`${root}/${INCOMPLETE_MARKER}`, "the demo is writing this dataset\n");
  await e.files.write(`${root}/images/train/000001.jpg`, new Uint8Array([0xff, 0xd8]));
  const report = await seedDemo(e.deps);
  assertEquals(report.datasets.find((d) => d.id === "shapes-detection")?.status, "created");
  assertEquals(await e.files.stat(`${root}/${INCOMPLETE_MARKER}`), null);
  const ds = (await cachedGenerate(0, ["shapes-detection"]))[0];
  assertEquals(
    await e.files.readBytes(`${root}/images/train/000001.jpg`),
    ds.files.get("images/train/000001.jpg")!,
  );
});

Deno.test("[demo reset] removes demo files and configs only; changed and added things stay", async () => {
  await using e = await env();
  await seedDemo(e.deps);
  const store = new ConfigStore(e.kv, { files: e.files, volume: APP_VOLUME });
  // the person adds a file, edits a demo file, edits a demo config, activates another
  const added = `${DEMO_VOLUME}/shapes-detection/images/train/my_photo.jpg`;
  await e.files.write(added, new Uint8Array([1, 2, 3]));
  const edited = `${DEMO_VOLUME}/shapes-semantic/train/classes.txt`;
  await e.files.write(edited, "bg\nround\n");
  const det = await store.latest("demo-detection");
  await store.save("demo-detection", det.doc, { author: "alice", message: "mine now" });
  await store.activate("demo-classification", 1, "alice");

  const report = await resetDemo({ files: e.files, kv: e.kv, who: "tester" });
  assert(report.foundManifest);
  assertEquals(await e.files.readBytes(added), new Uint8Array([1, 2, 3]));
  assertEquals(await e.files.readText(edited), "bg\nround\n");
  assertEquals(report.keptFiles.map((k) => k.path), [edited]);
  assertEquals(report.keptConfigs.map((k) => k.name), ["demo-detection"]);
  assertEquals(
    report.removedConfigs.sort(),
    DEMO_CONFIGS.map((c) => c.name).filter((n) => n !== "demo-detection").sort(),
  );
  assertEquals((await store.latest("demo-detection")).version, 2);
  await assertRejects(() => store.get("demo-classification"));
  assertEquals(await store.getActive(), null, "the active pointer to a removed config is cleared");
  assertEquals(await e.files.stat(`${APP_VOLUME}/configs/demo-classification/v1.yaml`), null);
  assertEquals(await e.files.stat(`${DEMO_VOLUME}/shapes-classification`), null);
  assertEquals(await e.files.stat(MANIFEST_PATH), null);
  // only the added file's folders remain of the detection set
  const left: string[] = [];
  for await (const f of e.files.list(`${DEMO_VOLUME}/shapes-detection/images/train`)) {
    left.push(f.name);
  }
  assertEquals(left, ["my_photo.jpg"]);
});

function workspaceWith(files: FilesApi, dataDir: string): Workspace {
  return { ...createLocalWorkspace({ dataDir, volume: APP_VOLUME }), files };
}

const settingsFor = (dataDir: string, demo = true) => ({
  demo,
  dataDir,
  volume: APP_VOLUME,
  workspace: "local" as const,
});

Deno.test("[demo start-up] seeds a fresh data dir in the background and reports ready", async () => {
  await using e = await env();
  const ws = workspaceWith(e.files, e.dataDir);
  const done = startDemoSeeding(settingsFor(e.dataDir), ws, { generate: cachedGenerate, kv: e.kv });
  assertEquals((await demoStatus(e.kv)).state, "seeding");
  await done;
  const st = await demoStatus(e.kv);
  assertEquals(st.state, "ready");
  assertStringIncludes(st.message, DEMO_VOLUME);
  // A restart does not seed again, even after the demo folder was deleted by hand.
  await e.files.delete(`${DEMO_VOLUME}/shapes-panoptic`, { recursive: true });
  await startDemoSeeding(settingsFor(e.dataDir), ws, { generate: cachedGenerate, kv: e.kv });
  assertEquals(await e.files.stat(`${DEMO_VOLUME}/shapes-panoptic`), null);
});

Deno.test("[demo start-up] a restart during seeding resumes it", async () => {
  await using e = await env();
  await e.files.write(`${DEMO_VOLUME}/shapes-panoptic/${INCOMPLETE_MARKER}`, "x");
  await startDemoSeeding(settingsFor(e.dataDir), workspaceWith(e.files, e.dataDir), {
    generate: cachedGenerate,
    kv: e.kv,
  });
  assertEquals((await demoStatus(e.kv)).state, "ready");
  assertEquals(await e.files.stat(`${DEMO_VOLUME}/shapes-panoptic/${INCOMPLETE_MARKER}`), null);
  assert(await e.files.stat(`${DEMO_VOLUME}/shapes-panoptic/annotations/panoptic_val.json`));
});

Deno.test("[demo start-up] leaves a workspace that already has data alone", async () => {
  await using e = await env();
  await e.files.write("/Volumes/main/cv/data/mine.txt", "hello");
  await startDemoSeeding(settingsFor(e.dataDir), workspaceWith(e.files, e.dataDir), {
    generate: cachedGenerate,
    kv: e.kv,
  });
  const st = await demoStatus(e.kv);
  assertEquals(st.state, "skipped");
  assertStringIncludes(st.message, "deno task cli demo seed");
  assertEquals(await e.files.stat(DEMO_VOLUME), null);
});

Deno.test("[demo start-up] LAKEVISION_DEMO=0 seeds nothing", async () => {
  await using e = await env();
  await startDemoSeeding(settingsFor(e.dataDir, false), workspaceWith(e.files, e.dataDir), {
    generate: cachedGenerate,
    kv: e.kv,
  });
  assertEquals((await demoStatus(e.kv)).state, "off");
  assertEquals(await e.files.stat(DEMO_VOLUME), null);
});

Deno.test("[demo start-up] a failure becomes a plain message and the next start can retry", async () => {
  await using e = await env();
  await startDemoSeeding(
    settingsFor(e.dataDir),
    workspaceWith(failingFiles(e.files, 3), e.dataDir),
    { generate: cachedGenerate, kv: e.kv },
  );
  const st = await demoStatus(e.kv);
  assertEquals(st.state, "failed");
  assertStringIncludes(st.message, "disk full");
  assertStringIncludes(st.message, "Lakevision works without it");
  assertStringIncludes(st.message, "deno task cli demo seed");
  setDemoStatus({ state: "off", message: "", at: 0 });
  // a new process reads the failure from KV
  assertEquals((await demoStatus(e.kv)).state, "failed");
  await startDemoSeeding(settingsFor(e.dataDir), workspaceWith(e.files, e.dataDir), {
    generate: cachedGenerate,
    kv: e.kv,
  });
  assertEquals((await demoStatus(e.kv)).state, "ready");
});
