import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { newConfig, setPath } from "./templates.ts";
import { validateConfig, type ValidateOptions } from "./validate.ts";
import type { ConfigDoc } from "./schema.ts";

const VOLUME = "/Volumes/main/cv/data";

function base(
  task: Parameters<typeof newConfig>[0] = "detection",
  model = "facebook/detr-resnet-50",
) {
  return newConfig(task, model, { volume: VOLUME, email: "ana@example.com" });
}

function check(doc: unknown, opts?: ValidateOptions) {
  const r = validateConfig(doc, opts);
  return {
    ...r,
    errorAt: (path: string) => r.errors.find((e) => e.path === path),
    warningAt: (path: string) => r.warnings.find((w) => w.path === path),
  };
}

function withValue(path: string, value: unknown, doc: ConfigDoc = base()): ConfigDoc {
  return setPath(doc, path, value);
}

Deno.test("[validate] a template config with real volume paths has no errors and no warnings", () => {
  const r = check(base());
  assertEquals(r.errors, []);
  assertEquals(r.warnings, []);
  assert(r.ok);
  assertEquals(r.task, "detection");
});

Deno.test("[validate] top level that is a list is an error; a mapping passes", () => {
  const r = check([1, 2]);
  assert(!r.ok);
  assertEquals(r.errors[0].path, "");
  assert(r.errors[0].message.includes("a list of 2"));
  assert(check(base()).ok);
});

Deno.test("[validate] missing model or data section is an error; present passes", () => {
  const { model: _m, ...noModel } = base();
  assert(check(noModel).errorAt("model")?.message.includes("required"));
  const { data: _d, ...noData } = base();
  assert(check(noData).errorAt("data"));
  assert(!check(base()).errorAt("model"));
});

Deno.test("[validate] a section that is not a mapping is an error", () => {
  const r = check({ ...base(), training: 5 });
  assert(r.errorAt("training")?.message.includes("mapping"));
  assert(!check(base()).errorAt("training"));
});

Deno.test("[validate] model.model_name is required", () => {
  const r = check(withValue("model.model_name", undefined));
  assertEquals(r.errorAt("model.model_name")?.message, "is required");
  assert(!check(base()).errorAt("model.model_name"));
});

Deno.test("[validate] an unknown task_type is an error; the five tasks pass", () => {
  assert(check(withValue("model.task_type", "tracking")).errorAt("model.task_type"));
  assert(check(base()).ok);
  assert(check(base("classification", "google/vit-base-patch16-224")).ok);
  assert(check(base("semantic_segmentation", "nvidia/segformer-b0-finetuned-ade-512-512")).ok);
  assert(check(base("instance_segmentation", "facebook/mask2former-swin-base-coco-instance")).ok);
  assert(check(base("panoptic_segmentation", "facebook/mask2former-swin-base-coco-panoptic")).ok);
});

Deno.test("[validate] task_type segmentation maps by family and annotation type, as the accelerator does", () => {
  const inst = withValue(
    "model.task_type",
    "segmentation",
    base("instance_segmentation", "facebook/mask2former-swin-base-coco-instance"),
  );
  assertEquals(check(inst).task, "instance_segmentation");
  assert(check(inst).warningAt("model.task_type")?.message.includes("instance_segmentation"));
  const pan = withValue(
    "model.task_type",
    "segmentation",
    base("panoptic_segmentation", "facebook/mask2former-swin-base-coco-panoptic"),
  );
  assertEquals(check(pan).task, "panoptic_segmentation");
  let sem = withValue(
    "model.task_type",
    "segmentation",
    base("instance_segmentation", "facebook/mask2former-swin-base-coco-instance"),
  );
  sem = withValue("data.train_annotation_file", undefined, sem);
  sem = withValue("data.val_annotation_file", undefined, sem);
  assertEquals(check(sem).task, "semantic_segmentation");
  // A semantic family stays semantic even with a COCO instances file.
  const seg = withValue(
    "model.task_type",
    "segmentation",
    withValue(
      "data.train_annotation_file",
      `${VOLUME}/instances_train.json`,
      base("semantic_segmentation", "nvidia/segformer-b0-finetuned-ade-512-512"),
    ),
  );
  assertEquals(check(seg).task, "semantic_segmentation");
  assertEquals(
    check(withValue("model.task_type", "universal_segmentation", pan)).task,
    "panoptic_segmentation",
  );
});

Deno.test("[validate] num_classes must be a whole number ≥ 1", () => {
  assert(
    check(withValue("model.num_classes", "eighty")).errorAt("model.num_classes")?.message.includes(
      '"eighty"',
    ),
  );
  assert(
    check(withValue("model.num_classes", 0)).errorAt("model.num_classes")?.message.includes(
      "at least 1",
    ),
  );
  assert(check(withValue("model.num_classes", 2.5)).errorAt("model.num_classes"));
  assert(!check(withValue("model.num_classes", 3)).errorAt("model.num_classes"));
});

Deno.test("[validate] learning_rate and weight_decay must be in range", () => {
  assert(check(withValue("model.learning_rate", 0)).errorAt("model.learning_rate"));
  assert(
    check(withValue("model.learning_rate", 2)).errorAt("model.learning_rate")?.message.includes(
      "at most 1",
    ),
  );
  assert(check(withValue("model.weight_decay", -0.1)).errorAt("model.weight_decay"));
  assert(check(withValue("model.learning_rate", 3e-4)).ok);
});

Deno.test("[validate] image_size type and range are checked", () => {
  assert(check(withValue("model.image_size", 16)).errorAt("model.image_size"));
  assert(check(withValue("model.image_size", "big")).errorAt("model.image_size"));
  assert(
    check(withValue("model.image_size", [800, 800, 3])).errorAt("model.image_size")?.message
      .includes("1 or 2"),
  );
  assert(check(withValue("model.image_size", [800, "x"])).errorAt("model.image_size[1]"));
  assert(check(withValue("model.image_size", [800, 800])).ok);
});

Deno.test("[validate] ViT-224 cannot take 640; 224 passes; an unset size is a warning naming the default", () => {
  const vit = base("classification", "google/vit-base-patch16-224");
  const r = check(withValue("model.image_size", 640, vit));
  assert(r.errorAt("model.image_size")?.message.includes("only takes 224"));
  const unset = check(withValue("model.image_size", undefined, vit));
  assert(unset.ok);
  assert(unset.warningAt("model.image_size")?.message.includes("set it to 224"));
  assert(check(withValue("model.image_size", 224, vit)).ok);
});

Deno.test("[validate] image size must be a multiple of the model's stride", () => {
  assert(
    check(withValue("model.image_size", 810)).errorAt("model.image_size")?.message.includes(
      "multiple of 32",
    ),
  );
  assert(check(withValue("model.image_size", 832)).ok);
});

Deno.test("[validate] a model that cannot train the task is an error; an uncatalogued model is a warning", () => {
  const r = check(withValue("model.model_name", "nvidia/segformer-b0-finetuned-ade-512-512"));
  assert(r.errorAt("model.model_name")?.message.includes("not object detection"));
  const u = check(withValue("model.model_name", "acme/my-detr"));
  assert(u.ok);
  assert(u.warningAt("model.model_name")?.message.includes("not in the catalog"));
});

Deno.test("[validate] scheduler must be cosine, step or none (or the job's aliases)", () => {
  assert(
    check(withValue("model.scheduler", "exponential")).errorAt("model.scheduler")?.message.includes(
      "cosine, step, none",
    ),
  );
  assert(check(withValue("model.scheduler", "step")).ok);
  assert(check(withValue("model.scheduler", "Constant")).ok);
});

Deno.test("[validate] scheduler_params: known numbers pass, T_max is flagged as ignored, bad values fail", () => {
  const ok = check(
    withValue("model.scheduler_params", { warmup_ratio: 0.05, eta_min: 1e-6, T_max: 300 }),
  );
  assert(ok.ok);
  assert(ok.warningAt("model.scheduler_params.T_max")?.message.includes("ignored"));
  assert(
    check(withValue("model.scheduler_params", { gamma: -1 })).errorAt(
      "model.scheduler_params.gamma",
    ),
  );
  assert(check(withValue("model.scheduler_params", "fast")).errorAt("model.scheduler_params"));
});

Deno.test("[validate] optimiser, precision and MLflow switch accept what the training job reads", () => {
  assert(check(withValue("model.optimizer", "lion")).errorAt("model.optimizer"));
  assert(check(withValue("model.optimizer", "sgd")).ok);
  assert(check(withValue("training.precision", 32)).ok);
  assert(check(withValue("training.precision", "64")).errorAt("training.precision"));
  assert(check(withValue("mlflow.enabled", false)).ok);
  assert(check(withValue("mlflow.enabled", "sometimes")).errorAt("mlflow.enabled"));
});

Deno.test("[validate] augmentations: known ones pass; unknown names, rotation > 180 and bad resize ranges fail", () => {
  const good = {
    horizontal_flip: true,
    rotation: 10,
    color_jitter: 0.2,
    random_resize: [0.8, 1.2],
  };
  assert(check(withValue("data.augmentations", good)).ok);
  assert(
    check(withValue("data.augmentations", { mosaic: true })).errorAt("data.augmentations.mosaic"),
  );
  assert(
    check(withValue("data.augmentations", { rotation: 270 })).errorAt(
      "data.augmentations.rotation",
    ),
  );
  assert(
    check(withValue("data.augmentations", { random_resize: [1.2, 0.8] })).errorAt(
      "data.augmentations.random_resize",
    ),
  );
  assert(check(withValue("data.augment", { vertical_flip: true })).ok);
  assert(check(withValue("data.augment", 3)).errorAt("data.augment"));
});

Deno.test("[validate] normalisation lists need three numbers", () => {
  assert(check(withValue("data.normalize_mean", [0.5, 0.5])).errorAt("data.normalize_mean"));
  assert(check(withValue("data.normalize_mean", [0.485, 0.456, 0.406])).ok);
});

Deno.test("[validate] a dataset format the task cannot read is an error", () => {
  assert(
    check(withValue("data.format", "imagefolder")).errorAt("data.format")?.message.includes(
      "coco_instances",
    ),
  );
  assert(check(withValue("data.format", "coco_instances")).ok);
});

Deno.test("[validate] an uncatalogued torchvision builder must belong to the task", () => {
  assert(check(withValue("model.model_name", "torchvision/resnet50")).errorAt("model.model_name"));
  assert(check(withValue("model.model_name", "torchvision/retinanet_resnet50_fpn")).ok);
});

Deno.test("[validate] semantic segmentation with an instances JSON warns while editing and blocks launch", () => {
  const sem = withValue(
    "data.train_annotation_file",
    `${VOLUME}/instances_train.json`,
    base("semantic_segmentation", "nvidia/segformer-b0-finetuned-ade-512-512"),
  );
  assert(check(sem).ok);
  assert(check(sem).warningAt("data.train_annotation_file"));
  assert(check(sem, { mode: "launch" }).errorAt("data.train_annotation_file"));
});

Deno.test("[validate] an accelerator segmentation file monitoring val_miou for instances warns, and blocks launch", () => {
  let d = base("instance_segmentation", "facebook/mask2former-swin-base-coco-instance");
  d = withValue(
    "training.monitor_metric",
    "val_miou",
    withValue("model.task_type", "segmentation", d),
  );
  assert(check(d).ok);
  assert(check(d).warningAt("training.monitor_metric")?.message.includes("never logs eval_miou"));
  assert(check(d, { mode: "launch" }).errorAt("training.monitor_metric"));
  // Written with Lakevision's own task name it is simply wrong.
  assert(
    check(withValue("model.task_type", "instance_segmentation", d)).errorAt(
      "training.monitor_metric",
    ),
  );
});

Deno.test("[validate] class_names must match num_classes", () => {
  const cls = base("classification", "google/vit-base-patch16-224");
  assert(check(withValue("model.class_names", ["a", "b"], cls)).errorAt("model.class_names"));
  const ok = withValue("model.num_classes", 2, withValue("model.class_names", ["a", "b"], cls));
  assert(check(ok).ok);
});

Deno.test("[validate] detection needs annotation files; semantic segmentation does not", () => {
  const r = check(withValue("data.train_annotation_file", undefined));
  assert(
    r.errorAt("data.train_annotation_file")?.message.includes("required for object detection"),
  );
  assert(check(base("semantic_segmentation", "nvidia/segformer-b0-finetuned-ade-512-512")).ok);
});

Deno.test("[validate] an annotation file must be a .json file", () => {
  assert(
    check(withValue("data.val_annotation_file", `${VOLUME}/val.txt`)).errorAt(
      "data.val_annotation_file",
    ),
  );
  assert(check(withValue("data.val_annotation_file", `${VOLUME}/val.json`)).ok);
});

Deno.test("[validate] batch_size and num_workers ranges", () => {
  assert(check(withValue("data.batch_size", 0)).errorAt("data.batch_size"));
  assert(check(withValue("data.batch_size", null)).errorAt("data.batch_size"));
  assert(check(withValue("data.num_workers", -1)).errorAt("data.num_workers"));
  assert(check(withValue("data.batch_size", 2)).ok);
});

Deno.test("[validate] max_epochs must be at least 1", () => {
  assert(check(withValue("training.max_epochs", 0)).errorAt("training.max_epochs"));
  assert(check(withValue("training.max_epochs", 1)).errorAt("training.max_epochs") === undefined);
});

Deno.test("[validate] a monitor metric the task never logs is an error", () => {
  const cls = base("classification", "google/vit-base-patch16-224");
  const r = check(withValue("training.monitor_metric", "val_map", cls));
  assert(r.errorAt("training.monitor_metric")?.message.includes("never logs eval_map"));
  assert(check(withValue("training.monitor_metric", "val_f1", cls)).ok);
  const pan = base("panoptic_segmentation", "facebook/mask2former-swin-base-coco-panoptic");
  assert(
    check(withValue("training.monitor_metric", "val_accuracy", pan)).errorAt(
      "training.monitor_metric",
    ),
  );
  assert(check(withValue("training.monitor_metric", "val_pq", pan)).ok);
});

Deno.test("[validate] an eval_-prefixed monitor metric works here but warns what the accelerator needs", () => {
  const r = check(withValue("training.monitor_metric", "eval_map"));
  assert(r.ok);
  assert(r.warningAt("training.monitor_metric")?.message.includes('"val_map"'));
  assert(
    check(withValue("training.monitor_metric", "eval_accuracy")).errorAt("training.monitor_metric"),
  );
  assert(check(withValue("training.monitor_metric", "map")).ok);
});

Deno.test("[validate] a monitor mode against the metric's direction is a warning", () => {
  assert(check(withValue("training.monitor_mode", "min")).warningAt("training.monitor_mode"));
  assert(check(withValue("training.monitor_mode", "sideways")).errorAt("training.monitor_mode"));
  const loss = withValue(
    "training.monitor_mode",
    "min",
    withValue("training.monitor_metric", "val_loss"),
  );
  assert(!check(loss).warningAt("training.monitor_mode"));
});

Deno.test("[validate] patience at or above max_epochs is a warning", () => {
  const d = withValue("training.early_stopping_patience", 60);
  assert(check(d).warningAt("training.early_stopping_patience"));
  assert(!check(base()).warningAt("training.early_stopping_patience"));
});

Deno.test("[validate] placeholder paths warn while editing and block launching", () => {
  const d = withValue("data.train_data_path", "/Volumes/<catalog>/<schema>/<volume>/train/");
  assert(check(d).ok);
  assert(check(d).warningAt("data.train_data_path")?.message.includes("<catalog>"));
  const launch = check(d, { mode: "launch" });
  assert(!launch.ok);
  assert(launch.errorAt("data.train_data_path"));
  assert(check(base(), { mode: "launch" }).ok);
});

Deno.test("[validate] Databricks mode needs data under /Volumes; local mode accepts other paths", () => {
  const d = withValue("data.train_data_path", "/home/ana/coco/train/");
  const r = check(d, { target: "databricks" });
  assert(r.errorAt("data.train_data_path")?.message.includes("/Volumes/"));
  assert(check(d, { target: "local" }).ok);
  assert(check(base(), { target: "databricks" }).ok);
});

Deno.test("[validate] Databricks mode needs an absolute MLflow experiment path", () => {
  const d = withValue("mlflow.experiment_name", "cv_training");
  assert(check(d, { target: "databricks" }).errorAt("mlflow.experiment_name"));
  assert(check(d).ok);
});

Deno.test("[validate] paths with .. segments or a truncated /Volumes prefix are errors", () => {
  assert(
    check(withValue("data.val_data_path", `${VOLUME}/../other/val`)).errorAt("data.val_data_path"),
  );
  assert(check(withValue("data.val_data_path", "/Volumes/main/cv")).errorAt("data.val_data_path"));
  assert(check(withValue("data.val_data_path", `${VOLUME}/val`)).ok);
});

Deno.test("[validate] deprecated training keys are warnings, even when their values are odd", () => {
  const d = withValue("training.learning_rate", "fast", withValue("training.use_ray", true));
  const r = check(d);
  assert(r.ok);
  assert(r.warningAt("training.learning_rate")?.message.includes("model.learning_rate"));
  assert(r.warningAt("training.use_ray"));
});

Deno.test("[validate] unknown keys and sections are kept and flagged as ignored by the training job", () => {
  const r = check({ ...withValue("model.frobnicate", 1), extras: { a: 1 } });
  assert(r.ok);
  assert(r.warningAt("model.frobnicate")?.message.includes("ignored by the training job"));
  assert(r.warningAt("extras"));
});

Deno.test("[validate] known fields the training job never reads are flagged", () => {
  const r = check(withValue("data.test_data_path", `${VOLUME}/test/`));
  assert(r.warningAt("data.test_data_path")?.message.includes("ignored by the training job"));
  assert(
    check(withValue("training.checkpoint_dir", "/tmp/ck")).warningAt("training.checkpoint_dir"),
  );
  assert(!check(base()).warningAt("data.test_data_path"));
});

Deno.test("[validate] booleans accept the accelerator's yes/no strings, not anything else", () => {
  assert(check(withValue("mlflow.log_model", "yes")).ok);
  assert(check(withValue("mlflow.log_model", "maybe")).errorAt("mlflow.log_model"));
  assert(check(withValue("serving.scale_to_zero", 1)).errorAt("serving.scale_to_zero"));
});

Deno.test("[validate] mlflow tags must be text values", () => {
  assert(check(withValue("mlflow.tags", { version: 3 })).errorAt("mlflow.tags.version"));
  assert(check(withValue("mlflow.tags", { version: "3" })).ok);
});

Deno.test("[validate] serving names: three-part model name and a valid endpoint name", () => {
  assert(
    check(withValue("serving.registered_model_name", "cv.detr")).errorAt(
      "serving.registered_model_name",
    ),
  );
  assert(
    check(withValue("serving.endpoint_name", "detr endpoint!")).errorAt("serving.endpoint_name"),
  );
  assert(check(withValue("serving.workload_size", "Huge")).errorAt("serving.workload_size"));
  assert(check(withValue("serving.endpoint_name", "detr-endpoint_2")).ok);
});

Deno.test("[validate] monitoring thresholds must be in range", () => {
  assert(check(withValue("monitoring.drift_threshold", 1.5)).errorAt("monitoring.drift_threshold"));
  assert(
    check(withValue("monitoring.latency_p95_threshold_ms", 0)).errorAt(
      "monitoring.latency_p95_threshold_ms",
    ),
  );
  assert(check(withValue("monitoring.latency_p95_threshold_ms", 300)).ok);
});

Deno.test("[validate] optional fields accept null where the accelerator does", () => {
  const sem = base("semantic_segmentation", "nvidia/segformer-b0-finetuned-ade-512-512");
  assert(check(withValue("data.train_annotation_file", null, sem)).ok);
  assert(check(withValue("training.volume_checkpoint_dir", null)).ok);
  assert(check(withValue("training.save_top_k", null)).errorAt("training.save_top_k"));
});

Deno.test("[validate] ResNet/MobileNet take any image size from 32 px; a non-multiple of 32 only warns", () => {
  for (const model of ["torchvision/resnet18", "torchvision/mobilenet_v3_small"]) {
    const doc = base("classification", model);
    const odd = check(withValue("model.image_size", 100, doc));
    assertEquals(odd.errorAt("model.image_size"), undefined, model);
    assert(odd.warningAt("model.image_size")?.message.includes("not a multiple of 32"), model);
    assert(check(withValue("model.image_size", 24, doc)).errorAt("model.image_size"), model);
    assertEquals(
      check(withValue("model.image_size", 64, doc)).warningAt("model.image_size"),
      undefined,
    );
  }
  // where the architecture needs the stride, it stays an error (DETR: stride 32)
  assert(check(withValue("model.image_size", 810)).errorAt("model.image_size"));
});

Deno.test("[validate] an image size outside 32–2048 px gets the range error and no suggested size", () => {
  const doc = base("classification", "torchvision/mobilenet_v3_small");
  const huge = check(withValue("model.image_size", 99999999999, doc));
  assert(huge.errorAt("model.image_size")?.message.includes("between 32 and 2048"));
  const all = [...huge.errors, ...huge.warnings].map((p) => p.message).join(" | ");
  assert(!all.includes("uses every pixel"), all);
  assert(!all.includes("100000000000"), all);
  for (const size of [99999999999, 2049, 5000]) {
    const r = check(withValue("model.image_size", [size, 64], doc));
    assertEquals(r.warningAt("model.image_size[0]"), undefined, String(size));
  }
  // inside the range the nearest multiple of 32 is suggested, and it is itself in range
  const near = check(withValue("model.image_size", 2047, doc));
  assert(near.warningAt("model.image_size")?.message.includes("2048 px uses every pixel"));
  assertEquals(near.errorAt("model.image_size"), undefined);
  const low = check(withValue("model.image_size", 40, doc));
  assert(low.warningAt("model.image_size")?.message.includes("32 px uses every pixel"));
});
