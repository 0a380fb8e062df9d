import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  docToFormValues,
  fieldOfPath,
  formatNumber,
  formValuesToDoc,
  problemsByField,
  readConfigForm,
} from "./form.ts";
import { newConfig } from "./templates.ts";
import { validateConfig } from "./validate.ts";

const doc = () => newConfig("detection", "facebook/detr-resnet-50", { volume: "/Volumes/m/c/d" });

Deno.test("[form] values → document → values is the identity for a template", () => {
  const d = doc();
  const values = docToFormValues(d, "detection");
  assertEquals(values["model.learning_rate"], "1e-4");
  assertEquals(values["mlflow.tags"], "framework: hf_trainer\nmodel: detr\ntask: detection");
  assertEquals(formValuesToDoc(d, values, "detection"), d);
});

Deno.test("[form] typed text becomes the YAML types; bad numbers stay text so validation names them", () => {
  const d = formValuesToDoc(doc(), {
    "model.image_size": "640, 640",
    "data.batch_size": "zero",
    "model.learning_rate": "5e-5",
    "mlflow.log_model": "false",
    "mlflow.tags": "team: vision\nstage = dev",
  }, "detection");
  const m = d.model as Record<string, unknown>, data = d.data as Record<string, unknown>;
  assertEquals(m.image_size, [640, 640]);
  assertEquals(m.learning_rate, 5e-5);
  assertEquals(data.batch_size, "zero");
  assertEquals((d.mlflow as Record<string, unknown>).log_model, false);
  assertEquals((d.mlflow as Record<string, unknown>).tags, { team: "vision", stage: "dev" });
  const r = validateConfig(d);
  assert(r.errors.some((e) => e.path === "data.batch_size"));
});

Deno.test("[form] an emptied field is removed (default applies) and hidden keys are kept", () => {
  const base = { ...doc(), model: { ...(doc().model as object), pretrained: true, custom: 1 } };
  const d = formValuesToDoc(base, { "data.num_workers": "" }, "detection");
  assert(!("num_workers" in (d.data as object)));
  assertEquals((d.model as Record<string, unknown>).pretrained, true);
  assertEquals((d.model as Record<string, unknown>).custom, 1);
});

Deno.test("[form] problems are grouped by the field they belong to", () => {
  assertEquals(fieldOfPath("model.image_size[1]"), "model.image_size");
  assertEquals(fieldOfPath("mlflow.tags.team"), "mlflow.tags");
  const g = problemsByField([
    { path: "model.image_size[0]", message: "too big" },
    { path: "model.epochs", message: "ignored" },
    { path: "", message: "whole file" },
  ], "detection");
  assertEquals(g["model.image_size"], ["too big"]);
  assertEquals(g[""], ["model.epochs: ignored", "whole file"]);
});

Deno.test("[form] a posted form is read with its hidden starting document", () => {
  const form = new FormData();
  form.set("name", " detr ");
  form.set("form_task", "detection");
  form.set("base", JSON.stringify(doc()));
  form.set("base_version", "3");
  form.set("data.batch_size", "4");
  const p = readConfigForm(form, "classification", {});
  assertEquals(p.name, "detr");
  assertEquals(p.task, "detection");
  assertEquals(p.baseVersion, 3);
  assertEquals((p.doc.data as Record<string, unknown>).batch_size, 4);
  form.set("base", "not json");
  assertEquals(readConfigForm(form, "detection", { fallback: true }).base, { fallback: true });
  assertEquals(formatNumber(0.00005), "5e-5");
  assertEquals(formatNumber(0.5), "0.5");
});
