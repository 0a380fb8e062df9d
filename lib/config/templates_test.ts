import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert/strict";
import { MODEL_CATALOG } from "./catalog.ts";
import { builtinTemplates, getPath, newConfig, setPath } from "./templates.ts";
import { validateConfig } from "./validate.ts";

Deno.test("[templates] a new config for every catalog model and task is valid and carries its defaults", () => {
  for (const m of MODEL_CATALOG) {
    for (const task of m.tasks) {
      const doc = newConfig(task, m.id, { volume: "/Volumes/main/cv/data", email: "a@b.c" });
      const r = validateConfig(doc, { mode: "launch", target: "databricks" });
      assertEquals(r.errors, [], `${m.id} ${task}`);
      assertEquals(r.task, task);
      assertEquals(getPath(doc, "model.image_size"), m.imageSize.default);
      assertEquals(getPath(doc, "data.batch_size"), m.defaults.batchSize);
      assertEquals(getPath(doc, "model.learning_rate"), m.defaults.learningRate);
    }
  }
});

Deno.test("[templates] placeholders stay in a template without a volume (warnings, not errors)", () => {
  const doc = newConfig("detection", "facebook/detr-resnet-50");
  const r = validateConfig(doc);
  assert(r.ok);
  assert(r.warnings.some((w) => w.path === "data.train_data_path"));
  assert(!validateConfig(doc, { mode: "launch" }).ok);
});

Deno.test("[templates] one built-in template per task, each valid", () => {
  const list = builtinTemplates();
  assertEquals(list.map((t) => t.task).sort(), [
    "classification",
    "detection",
    "instance_segmentation",
    "panoptic_segmentation",
    "semantic_segmentation",
  ]);
  for (const t of list) assert(validateConfig(t.doc).ok, t.id);
});

Deno.test("[templates] an unknown model or a model for another task is refused", () => {
  throws(() => newConfig("detection", "acme/nope"), /unknown model/);
  throws(() => newConfig("detection", "google/vit-base-patch16-224"), /cannot train/);
});

Deno.test("[templates] setPath reads raw values as YAML scalars and never mutates its input", () => {
  const doc = newConfig("detection", "facebook/detr-resnet-50");
  const next = setPath(doc, "model.image_size", "[640, 640]", true);
  assertEquals(getPath(next, "model.image_size"), [640, 640]);
  assertEquals(getPath(doc, "model.image_size"), 800);
  assertEquals(getPath(setPath(doc, "mlflow.log_model", "no", true), "mlflow.log_model"), false);
  assertEquals(getPath(setPath(doc, "new_section.k", "v", true), "new_section.k"), "v");
  throws(() => setPath(doc, "__proto__.x", 1));
});

Deno.test("[templates] local templates start from models that run on the local workspace; panoptic says it cannot", () => {
  const list = builtinTemplates({ compute: "local" });
  for (const t of list) assert(validateConfig(t.doc).ok, t.id);
  const model = (task: string) =>
    getPath(list.find((t) => t.task === task)!.doc, "model.model_name");
  assertEquals(model("detection"), "torchvision/fcos_tiny");
  assertEquals(model("instance_segmentation"), "torchvision/maskrcnn_tiny");
  assertEquals(model("classification"), "torchvision/resnet18");
  assertEquals(model("semantic_segmentation"), "torchvision/lraspp_mobilenet_v3_large");
  for (const t of list.filter((t) => t.task !== "panoptic_segmentation")) {
    assertEquals(getPath(t.doc, "model.pretrained"), false, t.id);
    assertEquals(t.localRunnable, undefined, t.id);
  }
  const pan = list.find((t) => t.task === "panoptic_segmentation")!;
  assertEquals(pan.localRunnable, false);
  assert(pan.description.includes("Not runnable on the local workspace"));
  // Databricks (the default) keeps the catalog's headline models.
  assertEquals(
    getPath(builtinTemplates().find((t) => t.task === "detection")!.doc, "model.model_name"),
    "facebook/detr-resnet-50",
  );
});
