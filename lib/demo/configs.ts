/**
 * One saved configuration per demo dataset, built from lib/config's templates and pointed at
 * the generated data, with a torchvision model sized so a local CPU run finishes in a few
 * minutes (panoptic has no torchvision model: its config is not runnable on the local workspace
 * and needs a Databricks GPU).
 */
import type { ConfigDoc } from "@/lib/config/schema.ts";
import { newConfig, setPath } from "@/lib/config/templates.ts";
import type { Task } from "@/lib/config/tasks.ts";
import { DEMO_VOLUME } from "./datasets.ts";
import type { DataPaths } from "./types.ts";

/** A demo configuration: which dataset it trains on and what to change from the template. */
export interface DemoConfigSpec {
  name: string;
  dataset: string;
  task: Task;
  model: string;
  /** True when the model trains on a laptop CPU (torchvision, no downloads). */
  local: boolean;
  description: string;
  /** Dotted path → value, applied on top of the template. */
  set: Record<string, unknown>;
}

/** The demo configurations, in the order the home page lists them. */
export const DEMO_CONFIGS: readonly DemoConfigSpec[] = [
  {
    name: "demo-detection",
    dataset: "shapes-detection",
    task: "detection",
    model: "torchvision/fcos_tiny",
    local: true,
    description:
      "Demo: find circles, rectangles, triangles and stars. A tiny FCOS trained from scratch: about two CPU minutes to boxes that fit.",
    set: {
      "model.num_classes": 4,
      "model.image_size": 160,
      "model.learning_rate": 0.002,
      "data.batch_size": 8,
      "training.max_epochs": 12,
    },
  },
  {
    name: "demo-classification",
    dataset: "shapes-classification",
    task: "classification",
    model: "torchvision/resnet18",
    local: true,
    description: "Demo: tell the four shapes apart (ResNet-18 from scratch, CPU-sized).",
    set: {
      "model.num_classes": 4,
      "model.image_size": 96,
      "data.batch_size": 16,
      "training.max_epochs": 6,
    },
  },
  {
    name: "demo-semantic-segmentation",
    dataset: "shapes-semantic",
    task: "semantic_segmentation",
    model: "torchvision/lraspp_mobilenet_v3_large",
    local: true,
    description: "Demo: label every pixel as background or a shape (LR-ASPP, CPU-sized).",
    set: {
      "model.num_classes": 5,
      "model.image_size": 128,
      "model.learning_rate": 0.003,
      "data.batch_size": 8,
      "training.max_epochs": 12,
    },
  },
  {
    name: "demo-instance-segmentation",
    dataset: "shapes-instances",
    task: "instance_segmentation",
    model: "torchvision/maskrcnn_tiny",
    local: true,
    description:
      "Demo: outline each shape separately. A tiny Mask R-CNN trained from scratch (the slowest local demo).",
    set: {
      "model.num_classes": 4,
      "model.image_size": 160,
      "model.learning_rate": 0.002,
      "data.batch_size": 4,
      "training.max_epochs": 3,
    },
  },
  {
    name: "demo-panoptic-segmentation",
    dataset: "shapes-panoptic",
    task: "panoptic_segmentation",
    model: "facebook/mask2former-swin-small-coco-panoptic",
    local: false,
    description:
      "Demo: shapes over sky and ground, every pixel labelled (Mask2Former). Not runnable on the local workspace: it needs Hugging Face transformers and a Databricks GPU.",
    set: {
      "model.num_classes": 6,
      "data.batch_size": 2,
      "training.max_epochs": 2,
    },
  },
];

/** The config document for a demo spec, with data paths under the dataset's folder. */
export function demoConfigDoc(
  spec: DemoConfigSpec,
  data: DataPaths,
  volume = DEMO_VOLUME,
): ConfigDoc {
  let doc = newConfig(spec.task, spec.model, { volume });
  const root = `${volume}/${spec.dataset}`;
  const d = doc.data as Record<string, unknown>;
  delete d.train_annotation_file;
  delete d.val_annotation_file;
  for (const [k, v] of Object.entries(data)) if (v) d[k] = `${root}/${v}`;
  doc = setPath(doc, "data.num_workers", 0);
  doc = setPath(doc, "training.log_every_n_steps", 2);

  doc = setPath(doc, "mlflow.experiment_name", `/Shared/lakevision-demo/${spec.name}`);
  doc = setPath(doc, "mlflow.run_name", `${spec.name}-run`);
  // Runs keep checkpoints in their own folder; the template's local path would only warn.
  doc = setPath(doc, "training.checkpoint_dir", undefined);
  if (spec.local) doc = setPath(doc, "model.pretrained", false);
  for (const [k, v] of Object.entries(spec.set)) doc = setPath(doc, k, v);
  // A demo run is a few epochs: the template's patience would only warn, and a patience of
  // one would stop a longer run the first time the metric stalls. The job's default applies.
  doc = setPath(doc, "training.early_stopping_patience", undefined);
  return doc;
}
