import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { parse as parseYaml12 } from "yaml";
import { validateConfig } from "./validate.ts";
import { MAX_YAML_BYTES, parseConfigYaml, stringifyConfig } from "./yaml_io.ts";

const FIXTURES = new URL("../../tests/fixtures/accelerator-configs/", import.meta.url);

function fixtures(): Array<[string, string]> {
  return [...Deno.readDirSync(FIXTURES)]
    .filter((e) => e.name.endsWith(".yaml"))
    .map((e) => [e.name, Deno.readTextFileSync(new URL(e.name, FIXTURES))] as [string, string])
    .sort();
}

Deno.test("[yaml_io] every accelerator fixture imports without errors and resolves a task", () => {
  const list = fixtures();
  assertEquals(list.length, 14);
  for (const [name, text] of list) {
    const p = parseConfigYaml(text);
    assert(p.ok, `${name}: ${!p.ok && p.error.message}`);
    const r = validateConfig(p.doc);
    assertEquals(r.errors, [], name);
    assert(r.task !== null, name);
    assert(r.warnings.length > 0, `${name} has placeholders or ignored fields to warn about`);
  }
});

Deno.test("[yaml_io] accelerator fixtures map segmentation to the right task", () => {
  const want: Record<string, string> = {
    "segmentation_segformer_config.yaml": "semantic_segmentation",
    "segmentation_mask2former_config.yaml": "semantic_segmentation",
    "segmentation_mask2former_coco_config.yaml": "panoptic_segmentation",
    "segmentation_mask2former_coco_instances_config.yaml": "instance_segmentation",
    "sanity_segmentation_mask2former.yaml": "instance_segmentation",
    "classification_vit_config.yaml": "classification",
    "detection_rtdetr_config.yaml": "detection",
  };
  for (const [name, text] of fixtures()) {
    if (!(name in want)) continue;
    const p = parseConfigYaml(text);
    assert(p.ok);
    assertEquals(validateConfig(p.doc).task, want[name], name);
  }
});

Deno.test("[yaml_io] every fixture round-trips: parse → stringify → parse gives the same values", () => {
  for (const [name, text] of fixtures()) {
    const a = parseConfigYaml(text);
    assert(a.ok);
    const out = stringifyConfig(a.doc);
    const b = parseConfigYaml(out);
    assert(b.ok, name);
    assertEquals(b.doc, a.doc, name);
    // YAML 1.2 readers see the same values too.
    assertEquals(parseYaml12(out), a.doc, `${name} (YAML 1.2)`);
  }
});

Deno.test("[yaml_io] small floats are written the way PyYAML reads them as floats", () => {
  const out = stringifyConfig({
    model: { learning_rate: 5e-5, weight_decay: 0.01, eta: 1e-6, k: 3 },
  });
  assert(out.includes("learning_rate: 5.0e-5"), out);
  assert(out.includes("weight_decay: 0.01"));
  assert(out.includes("eta: 1.0e-6"));
  assert(out.includes("k: 3"));
});

Deno.test("[yaml_io] YAML 1.1 scalars read as the training job reads them", () => {
  const p = parseConfigYaml(
    "model:\n  learning_rate: 5e-5\n  pretrained: yes\n  model_name: 'yes'\n",
  );
  assert(p.ok);
  assertEquals(p.doc, { model: { learning_rate: 0.00005, pretrained: true, model_name: "yes" } });
  const out = stringifyConfig(p.doc);
  const back = parseConfigYaml(out);
  assert(back.ok);
  assertEquals(back.doc, p.doc);
});

Deno.test("[yaml_io] a syntax error reports line and column", () => {
  const p = parseConfigYaml("model:\n  model_name: x\n  num_classes: [1, 2\ndata: {}\n");
  assert(!p.ok);
  assert(p.error.line !== undefined && p.error.line >= 3, JSON.stringify(p.error));
  assert(p.error.column !== undefined);
  assert(p.error.message.includes(`line ${p.error.line}`));
});

Deno.test("[yaml_io] bad indentation is reported with its line", () => {
  const p = parseConfigYaml("model:\n  model_name: x\n task_type: detection\n");
  assert(!p.ok);
  assertEquals(p.error.line, 3);
});

Deno.test("[yaml_io] duplicate keys are an error naming the line", () => {
  const p = parseConfigYaml("model:\n  model_name: a\n  model_name: b\n");
  assert(!p.ok);
  assertEquals(p.error.line, 3);
});

Deno.test("[yaml_io] a list or a scalar at top level is refused with a clear message", () => {
  const l = parseConfigYaml("- model\n- data\n");
  assert(!l.ok);
  assert(
    l.error.message.includes("top level must be a mapping") && l.error.message.includes("a list"),
  );
  const s = parseConfigYaml("just text\n");
  assert(!s.ok);
  assert(s.error.message.includes("a single value"));
  const e = parseConfigYaml("  \n# only a comment\n");
  assert(!e.ok);
});

Deno.test("[yaml_io] a 10 MB paste is refused before parsing, with its size in the message", () => {
  const big = "model:\n  notes: " + "a".repeat(10 * 1024 * 1024) + "\n";
  const p = parseConfigYaml(big);
  assert(!p.ok);
  assert(p.error.message.includes("10.0 MB"), p.error.message);
  assert(p.error.message.includes("at most"));
  assert(parseConfigYaml("model:\n  notes: " + "a".repeat(MAX_YAML_BYTES / 2) + "\n").ok);
});

Deno.test("[yaml_io] alias bombs are refused", () => {
  const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 0; i < 8; i++) {
    const prev = String.fromCharCode(97 + i), next = String.fromCharCode(98 + i);
    lines.push(`${next}: &${next} [${Array(10).fill("*" + prev).join(", ")}]`);
  }
  const p = parseConfigYaml(lines.join("\n") + "\n");
  assert(!p.ok);
});

Deno.test("[yaml_io] stringify puts sections in the accelerator's order and keeps extra sections", () => {
  const out = stringifyConfig({
    extra: { a: 1 },
    training: { max_epochs: 2 },
    model: { model_name: "m" },
  });
  assert(out.indexOf("model:") < out.indexOf("training:"));
  assert(out.indexOf("training:") < out.indexOf("extra:"));
});
