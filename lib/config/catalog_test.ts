import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { getModel, imageSizeProblem, MODEL_CATALOG, modelsForTask } from "./catalog.ts";
import { TASKS } from "./tasks.ts";

const ISSUE_MODELS = [
  "facebook/detr-resnet-50",
  "facebook/detr-resnet-101",
  "microsoft/conditional-detr-resnet-50",
  "SenseTime/deformable-detr",
  "jozhang97/deta-swin-large",
  "PekingU/rtdetr_r50vd",
  "hustvl/yolos-tiny",
  "hustvl/yolos-small",
  "hustvl/yolos-base",
  "microsoft/resnet-50",
  "google/vit-base-patch16-224",
  "facebook/convnext-base-224",
  "microsoft/swin-base-patch4-window7-224",
  "nvidia/segformer-b0-finetuned-ade-512-512",
  "nvidia/segformer-b1-finetuned-ade-512-512",
  "nvidia/segformer-b3-finetuned-ade-512-512",
  "nvidia/mit-b0",
  "facebook/mask2former-swin-base-ade-semantic",
  "facebook/mask2former-swin-base-coco-instance",
  "facebook/mask2former-swin-base-coco-panoptic",
  "facebook/mask2former-swin-small-coco-instance",
  "facebook/mask2former-swin-small-coco-panoptic",
];

Deno.test("[catalog] holds every Hugging Face model the seed offered", () => {
  for (const id of ISSUE_MODELS) assert(getModel(id), id);
  assert(MODEL_CATALOG.filter((m) => m.source === "huggingface").length >= 15);
});

Deno.test("[catalog] torchvision models are named torchvision/<builder> and run locally; HF ones do not", () => {
  const tv = MODEL_CATALOG.filter((m) => m.id.startsWith("torchvision/"));
  assert(tv.length >= 6);
  for (const m of tv) {
    assert(m.runsLocally, m.id);
    assert(/^torchvision\/[a-z0-9_]+$/.test(m.id), m.id);
  }
  for (const m of MODEL_CATALOG.filter((m) => m.source === "huggingface")) assert(!m.runsLocally);
  for (
    const id of [
      "torchvision/resnet18",
      "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn",
      "torchvision/ssdlite320_mobilenet_v3_large",
      "torchvision/lraspp_mobilenet_v3_large",
      "torchvision/maskrcnn_resnet50_fpn",
    ]
  ) {
    assert(getModel(id), id);
  }
});

Deno.test("[catalog] every task has models, and each model's default image size passes its own rule", () => {
  for (const t of TASKS) assert(modelsForTask(t).length > 0, t);
  for (const m of MODEL_CATALOG) {
    assertEquals(imageSizeProblem(m, m.imageSize.default), null, m.id);
    assert(["Small", "Medium", "Large"].includes(m.sizeClass));
    assert(m.defaults.batchSize > 0 && m.defaults.learningRate > 0);
  }
});

Deno.test("[catalog] ViT-224 refuses 640 and SSDlite refuses anything but 320", () => {
  assert(imageSizeProblem(getModel("google/vit-base-patch16-224")!, 640)?.includes("224"));
  assert(imageSizeProblem(getModel("torchvision/ssdlite320_mobilenet_v3_large")!, 640));
  assertEquals(imageSizeProblem(getModel("facebook/detr-resnet-50")!, 640), null);
});

Deno.test("[catalog] models pretrained for a task come first in its list", () => {
  const inst = modelsForTask("instance_segmentation");
  const firstOther = inst.findIndex((m) => m.tasks[0] !== "instance_segmentation");
  assert(inst.slice(0, firstOther).every((m) => m.tasks[0] === "instance_segmentation"));
  assert(inst.some((m) => m.id === "facebook/mask2former-swin-base-coco-panoptic"));
});
