import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { main } from "./cli.ts";
import { parseConfigYaml } from "./yaml_io.ts";
import { validateConfig } from "./validate.ts";

const FIXTURES = new URL("../../tests/fixtures/accelerator-configs/", import.meta.url);

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await main(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

async function tempYaml(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("[config cli] validate --json on a fixture prints exactly ok/task/errors/warnings and exits 0", async () => {
  const file = new URL("classification_vit_config.yaml", FIXTURES).pathname;
  const r = await run(["validate", file, "--json"]);
  assertEquals(r.code, 0);
  const json = JSON.parse(r.out);
  assertEquals(Object.keys(json), ["ok", "task", "errors", "warnings"]);
  assertEquals(json.ok, true);
  assertEquals(json.task, "classification");
  assert(json.warnings.length > 0);
  assertEquals(Object.keys(json.warnings[0]), ["path", "message"]);
});

Deno.test("[config cli] validate exits non-zero with the field path when the config has errors", async () => {
  const file = await tempYaml(
    "model:\n  model_name: google/vit-base-patch16-224\n  task_type: classification\n  image_size: 640\n" +
      "data:\n  train_data_path: /Volumes/a/b/c/train\n  val_data_path: /Volumes/a/b/c/val\n",
  );
  const r = await run(["validate", file, "--json"]);
  assertEquals(r.code, 1);
  const json = JSON.parse(r.out);
  assertEquals(json.ok, false);
  assert(json.errors.some((e: { path: string }) => e.path === "model.image_size"));
  const text = await run(["validate", file]);
  assertEquals(text.code, 1);
  assert(text.out.includes("model.image_size"));
});

Deno.test("[config cli] validate --launch turns placeholders into errors", async () => {
  const file = new URL("detection_detr_config.yaml", FIXTURES).pathname;
  assertEquals((await run(["validate", file])).code, 0);
  assertEquals((await run(["validate", file, "--launch"])).code, 1);
});

Deno.test("[config cli] malformed YAML gives line and column; a missing file exits 2", async () => {
  const file = await tempYaml("model:\n  model_name: [x\n");
  const r = await run(["validate", file, "--json"]);
  assertEquals(r.code, 1);
  assert(/line \d+, column \d+/.test(JSON.parse(r.out).errors[0].message));
  assertEquals((await run(["validate", "/nonexistent/x.yaml"])).code, 2);
  assertEquals((await run(["validate"])).code, 2);
});

Deno.test("[config cli] new prints a valid YAML with the model's defaults and --set overrides", async () => {
  const r = await run([
    "new",
    "--task",
    "detection",
    "--model",
    "PekingU/rtdetr_r50vd",
    "--set",
    "data.batch_size=4",
    "--set",
    "mlflow.tags.team=vision",
  ]);
  assertEquals(r.code, 0);
  const p = parseConfigYaml(r.out);
  assert(p.ok);
  const doc = p.doc as Record<string, Record<string, unknown>>;
  assertEquals(doc.model.image_size, 640);
  assertEquals(doc.data.batch_size, 4);
  assertEquals((doc.mlflow.tags as Record<string, string>).team, "vision");
  assertEquals(doc.training.monitor_metric, "val_map");
  assert(validateConfig(p.doc).ok);
});

Deno.test("[config cli] new refuses an unknown task or a model that cannot train it", async () => {
  assertEquals((await run(["new", "--task", "tracking"])).code, 2);
  const r = await run(["new", "--task", "detection", "--model", "google/vit-base-patch16-224"]);
  assertEquals(r.code, 2);
  assert(r.err.includes("cannot train detection"));
  assertEquals((await run(["new", "--task", "detection", "--set", "novalue"])).code, 2);
});

Deno.test("[config cli] new with a --set the model cannot take prints the error and exits 1", async () => {
  const r = await run([
    "new",
    "--task",
    "classification",
    "--model",
    "google/vit-base-patch16-224",
    "--set",
    "model.image_size=640",
  ]);
  assertEquals(r.code, 1);
  assert(r.err.includes("model.image_size"));
});

Deno.test("[config cli] new fills this workspace's volume and experiment, placeholders on request", async () => {
  const before = Deno.env.get("LAKEVISION_VOLUME");
  Deno.env.set("LAKEVISION_VOLUME", "/Volumes/prod/vision/assets");
  Deno.env.set("LAKEVISION_USER_EMAIL", "ana@example.com");
  try {
    const r = await run(["new", "--task", "classification", "--model", "torchvision/resnet18"]);
    assertEquals(r.code, 0, r.err);
    assert(!r.out.includes("<catalog>"), r.out);
    assert(r.out.includes("/Volumes/prod/vision/assets/"), r.out);
    assert(r.out.includes("/Users/ana@example.com/"), r.out);
    const p = await run(["new", "--task", "classification", "--placeholders"]);
    assert(p.out.includes("/Volumes/<catalog>/<schema>/<volume>/"), p.out);
  } finally {
    if (before === undefined) Deno.env.delete("LAKEVISION_VOLUME");
    else Deno.env.set("LAKEVISION_VOLUME", before);
    Deno.env.delete("LAKEVISION_USER_EMAIL");
  }
});
