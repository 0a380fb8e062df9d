/**
 * The demo as a person meets it: the home page's "Getting started" section (in memory) and the
 * `demo` command line (as a subprocess, like `deno task cli demo ...`).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { ConfigStore } from "@/lib/store/configs.ts";
import { DEMO_CONFIGS } from "@/lib/demo/configs.ts";
import { readManifest } from "@/lib/demo/manifest.ts";
import { seedDemo } from "@/lib/demo/seed.ts";
import { setDemoStatus } from "@/lib/demo/startup.ts";
import { cachedGenerate } from "@/lib/demo/testing.ts";
import { formPost, jsonPost, ROOT, testApp } from "./helpers.ts";

Deno.test("[demo] the home page shows the path, what needs PyTorch or Databricks, and no ticks on a new workspace", async () => {
  const app = await testApp();
  try {
    const res = await app.request("/");
    assertEquals(res.status, 200);
    const html = await res.text();
    assertStringIncludes(html, "Getting started");
    assertEquals(html.match(/data-step="/g)?.length, 7);
    assertEquals(html.match(/data-done="true"/g), null);
    for (
      const href of [
        "/configs",
        "/data",
        "/training/new",
        "/evaluation",
        "/models",
        "/deployments",
        "/inference",
      ]
    ) {
      assertStringIncludes(html, `href="${href}"`);
    }
    assertStringIncludes(html, "apt-get install python3-torch python3-torchvision");
    assertStringIncludes(html, "pip install torch torchvision");
    assertStringIncludes(html, "DATABRICKS_HOST");
    assertStringIncludes(html, "deno task cli demo seed");
  } finally {
    await app.close();
  }
});

Deno.test("[demo] after seeding, the home page lists the demo configs and ticks the config once one is activated", async () => {
  const app = await testApp();
  try {
    await seedDemo({
      files: app.workspace.files,
      kv: app.kv,
      appVolume: app.settings.volume,
      target: "local",
      who: "tester",
      generate: cachedGenerate,
    });
    let html = await (await app.request("/")).text();
    for (
      const n of [
        "demo-detection",
        "demo-classification",
        "demo-semantic-segmentation",
        "demo-instance-segmentation",
        "demo-panoptic-segmentation",
      ]
    ) {
      assertStringIncludes(html, `href="/configs/${n}"`);
    }
    assertStringIncludes(html, "Needs a Databricks GPU cluster.");
    // activate through the config page's own form, as a person would
    const res = await app.request(
      "/configs/demo-detection/actions",
      formPost({ action: "activate", version: "1" }),
    );
    assert(res.status === 303 || res.status === 302, `activate answered ${res.status}`);
    assertEquals((await new ConfigStore(app.kv).getActive())?.name, "demo-detection");
    html = await (await app.request("/")).text();
    assertStringIncludes(html, 'data-step="config" data-done="true"');
    assertStringIncludes(html, 'data-step="scan" data-done="false"');
    assertStringIncludes(html, "the demo planted 4 annotation problems");
  } finally {
    await app.close();
  }
});

Deno.test("[demo] Data EDA's scan of each demo config's splits reports exactly the planted problems", async () => {
  const app = await testApp();
  try {
    await seedDemo({
      files: app.workspace.files,
      kv: app.kv,
      appVolume: app.settings.volume,
      target: "local",
      who: "tester",
      generate: cachedGenerate,
    });
    const manifest = (await readManifest(app.workspace.files))!;
    const store = new ConfigStore(app.kv);
    for (const spec of DEMO_CONFIGS) {
      // the splits exactly as the config names them, as the Data EDA page sends them
      const data = (await store.latest(spec.name)).doc.data as Record<string, string>;
      const splits = ["train", "val"].map((name) => {
        const ann = data[`${name}_annotation_file`];
        const dir = data[`${name}_data_path`];
        return ann ? { name, path: ann, images: dir } : { name, path: dir };
      });
      const res = await app.request("/api/data/scans", jsonPost({ splits }));
      assertEquals(res.status, 202, spec.name);
      const { id } = await res.json();
      let rec: { status: string; result?: { problemCounts: Record<string, number> } } = {
        status: "running",
      };
      for (let i = 0; i < 600 && rec.status === "running"; i++) {
        await new Promise((r) => setTimeout(r, 50));
        rec = await (await app.request(`/api/data/scans/${id}`)).json();
      }
      assertEquals(rec.status, "done", spec.name);
      const planted: Record<string, number> = {};
      for (const p of manifest.datasets.find((d) => d.id === spec.dataset)!.planted) {
        planted[p.code] = (planted[p.code] ?? 0) + 1;
      }
      assertEquals(rec.result!.problemCounts, planted, spec.name);
    }
  } finally {
    await app.close();
  }
});

Deno.test("[demo] while seeding the home page says so; a failed seed shows a clear message and the app still works", async () => {
  const app = await testApp();
  try {
    setDemoStatus({ state: "seeding", message: "Creating the demo datasets…", at: Date.now() });
    let html = await (await app.request("/")).text();
    assertStringIncludes(html, 'data-demo="seeding"');
    assertStringIncludes(html, "Seeding the demo workspace…");
    setDemoStatus({
      state: "failed",
      message: "The demo data could not be created: disk full. Lakevision works without it.",
      at: Date.now(),
    });
    const res = await app.request("/");
    assertEquals(res.status, 200);
    html = await res.text();
    assertStringIncludes(html, 'role="alert"');
    assertStringIncludes(html, "could not be created: disk full");
    assertEquals((await app.request("/configs")).status, 200);
  } finally {
    setDemoStatus({ state: "off", message: "", at: 0 });
    await app.close();
  }
});

async function cli(args: string[], dataDir: string): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "lib/cli.ts", ...args],
    cwd: ROOT,
    env: { LAKEVISION_DATA_DIR: dataDir, LAKEVISION_LOG: "silent", NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("[demo cli] seed, then reset asks first and removes only after --yes", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lakevision-demo-cli-" });
  try {
    const help = await cli(["demo", "--help"], dataDir);
    assertEquals(help.code, 0);
    assertStringIncludes(help.out, "demo reset [--yes]");
    assertEquals((await cli(["demo", "bogus"], dataDir)).code, 2);

    const seed = await cli(["demo", "seed"], dataDir);
    assertEquals(seed.code, 0, seed.out);
    assertStringIncludes(seed.out, "5 dataset(s) created, 5 config(s) saved");
    const disk = `${dataDir}/volumes/demo/cv/data`;
    assert((await Deno.stat(`${disk}/shapes-detection/annotations/instances_train.json`)).isFile);

    const status = await cli(["demo", "status"], dataDir);
    assertStringIncludes(status.out, "planted error   split_leakage");

    const refused = await cli(["demo", "reset"], dataDir);
    assertEquals(refused.code, 1);
    assertStringIncludes(refused.out, "Nothing was removed");
    assert((await Deno.stat(`${disk}/shapes-detection`)).isDirectory);

    const reset = await cli(["demo", "reset", "--yes"], dataDir);
    assertEquals(reset.code, 0, reset.out);
    assertStringIncludes(reset.out, "and 5 config(s)");
    assertEquals(await Deno.stat(`${disk}/shapes-detection`).catch(() => null), null);
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
