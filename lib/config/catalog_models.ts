/**
 * The catalog's models: ids, families, sizes, image-size rules and default overrides.
 * Browser-safe.
 */

import type { DataFormat, ImageSizeRule, ModelDefaults, SizeClass } from "./catalog.ts";
import type { Task } from "./tasks.ts";

function range(def: number, min: number, max: number, multipleOf = 32): ImageSizeRule {
  return { default: def, min, max, multipleOf };
}

function fixed(size: number, reason: string): ImageSizeRule {
  return { default: size, min: size, max: size, allowed: [size], reason };
}

/** One catalog entry as written here; `build` in catalog.ts fills in the rest. */
export interface Seed {
  id: string;
  name: string;
  tasks: Task[];
  family: string;
  size: SizeClass;
  params: string;
  image: ImageSizeRule;
  format?: DataFormat;
  over?: Partial<ModelDefaults>;
}

const VIT_REASON =
  "ViT-Base/16 at 224 has position embeddings for a 14×14 patch grid; the training job does not interpolate them";
const DET = range(800, 320, 1344);
const SEG = range(512, 256, 1024);
const CLS = range(224, 64, 512);

/** The catalog, in display order: Hugging Face models by task, then torchvision ones. */
export const MODEL_SEEDS: Seed[] = [
  // Detection, Hugging Face
  {
    id: "facebook/detr-resnet-50",
    name: "DETR ResNet-50",
    tasks: ["detection"],
    family: "detr",
    size: "Medium",
    params: "41M",
    image: DET,
  },
  {
    id: "facebook/detr-resnet-101",
    name: "DETR ResNet-101",
    tasks: ["detection"],
    family: "detr",
    size: "Large",
    params: "60M",
    image: DET,
  },
  {
    id: "microsoft/conditional-detr-resnet-50",
    name: "Conditional DETR ResNet-50",
    tasks: ["detection"],
    family: "conditional-detr",
    size: "Medium",
    params: "44M",
    image: DET,
    over: { batchSize: 8 },
  },
  {
    id: "SenseTime/deformable-detr",
    name: "Deformable DETR",
    tasks: ["detection"],
    family: "deformable-detr",
    size: "Medium",
    params: "40M",
    image: DET,
    over: { batchSize: 8 },
  },
  {
    id: "jozhang97/deta-swin-large",
    name: "DETA Swin-Large",
    tasks: ["detection"],
    family: "deta",
    size: "Large",
    params: "218M",
    image: DET,
    over: { batchSize: 4 },
  },
  {
    id: "PekingU/rtdetr_r50vd",
    name: "RT-DETR R50-vd",
    tasks: ["detection"],
    family: "rt-detr",
    size: "Medium",
    params: "43M",
    image: range(640, 320, 1280),
    over: { batchSize: 8 },
  },
  {
    id: "hustvl/yolos-tiny",
    name: "YOLOS tiny",
    tasks: ["detection"],
    family: "yolos",
    size: "Small",
    params: "6.5M",
    image: range(512, 256, 1344, 16),
  },
  {
    id: "hustvl/yolos-small",
    name: "YOLOS small",
    tasks: ["detection"],
    family: "yolos",
    size: "Medium",
    params: "31M",
    image: range(512, 256, 1344, 16),
  },
  {
    id: "hustvl/yolos-base",
    name: "YOLOS base",
    tasks: ["detection"],
    family: "yolos",
    size: "Large",
    params: "127M",
    image: range(512, 256, 1344, 16),
  },
  // Classification, Hugging Face
  {
    id: "google/vit-base-patch16-224",
    name: "ViT-Base/16 (224)",
    tasks: ["classification"],
    family: "vit",
    size: "Large",
    params: "86M",
    image: fixed(224, VIT_REASON),
    over: { batchSize: 32, weightDecay: 1e-2 },
  },
  {
    id: "microsoft/resnet-50",
    name: "ResNet-50",
    tasks: ["classification"],
    family: "resnet",
    size: "Medium",
    params: "26M",
    image: CLS,
  },
  {
    id: "facebook/convnext-base-224",
    name: "ConvNeXT Base (224)",
    tasks: ["classification"],
    family: "convnext",
    size: "Large",
    params: "89M",
    image: CLS,
    over: { weightDecay: 5e-2 },
  },
  {
    id: "microsoft/swin-base-patch4-window7-224",
    name: "Swin Base (224)",
    tasks: ["classification"],
    family: "swin",
    size: "Large",
    params: "88M",
    image: CLS,
    over: { weightDecay: 5e-2 },
  },
  // Segmentation, Hugging Face
  {
    id: "nvidia/segformer-b0-finetuned-ade-512-512",
    name: "SegFormer B0 (ADE20K)",
    tasks: ["semantic_segmentation"],
    family: "segformer",
    size: "Small",
    params: "3.8M",
    image: SEG,
    over: { batchSize: 16, learningRate: 6e-5, weightDecay: 1e-2 },
  },
  {
    id: "nvidia/segformer-b1-finetuned-ade-512-512",
    name: "SegFormer B1 (ADE20K)",
    tasks: ["semantic_segmentation"],
    family: "segformer",
    size: "Small",
    params: "14M",
    image: SEG,
    over: { batchSize: 16, learningRate: 6e-5, weightDecay: 1e-2 },
  },
  {
    id: "nvidia/segformer-b3-finetuned-ade-512-512",
    name: "SegFormer B3 (ADE20K)",
    tasks: ["semantic_segmentation"],
    family: "segformer",
    size: "Medium",
    params: "47M",
    image: SEG,
    over: { batchSize: 8, learningRate: 6e-5, weightDecay: 1e-2 },
  },
  {
    id: "nvidia/mit-b0",
    name: "MiT-B0 (SegFormer encoder, ImageNet)",
    tasks: ["semantic_segmentation"],
    family: "segformer",
    size: "Small",
    params: "3.7M",
    image: SEG,
    over: { batchSize: 16, learningRate: 6e-5, weightDecay: 1e-2 },
  },
  {
    id: "facebook/mask2former-swin-base-ade-semantic",
    name: "Mask2Former Swin-B (ADE20K semantic)",
    tasks: ["semantic_segmentation", "instance_segmentation", "panoptic_segmentation"],
    family: "mask2former",
    size: "Large",
    params: "107M",
    image: SEG,
    over: { batchSize: 4, learningRate: 1e-4, weightDecay: 5e-2 },
  },
  {
    id: "facebook/mask2former-swin-small-coco-instance",
    name: "Mask2Former Swin-S (COCO instance)",
    tasks: ["instance_segmentation", "panoptic_segmentation", "semantic_segmentation"],
    family: "mask2former",
    size: "Medium",
    params: "69M",
    image: SEG,
    over: { batchSize: 4, learningRate: 1e-4, weightDecay: 5e-2 },
  },
  {
    id: "facebook/mask2former-swin-base-coco-instance",
    name: "Mask2Former Swin-B (COCO instance)",
    tasks: ["instance_segmentation", "panoptic_segmentation", "semantic_segmentation"],
    family: "mask2former",
    size: "Large",
    params: "107M",
    image: SEG,
    over: { batchSize: 4, learningRate: 1e-4, weightDecay: 5e-2 },
  },
  {
    id: "facebook/mask2former-swin-small-coco-panoptic",
    name: "Mask2Former Swin-S (COCO panoptic)",
    tasks: ["panoptic_segmentation", "instance_segmentation", "semantic_segmentation"],
    family: "mask2former",
    size: "Medium",
    params: "69M",
    image: SEG,
    over: { batchSize: 4, learningRate: 1e-4, weightDecay: 5e-2 },
  },
  {
    id: "facebook/mask2former-swin-base-coco-panoptic",
    name: "Mask2Former Swin-B (COCO panoptic)",
    tasks: ["panoptic_segmentation", "instance_segmentation", "semantic_segmentation"],
    family: "mask2former",
    size: "Large",
    params: "107M",
    image: SEG,
    over: { batchSize: 4, learningRate: 1e-4, weightDecay: 5e-2 },
  },
  // torchvision: train on a laptop from scratch (weights=None)
  {
    id: "torchvision/resnet18",
    name: "ResNet-18 (torchvision)",
    tasks: ["classification"],
    family: "resnet",
    size: "Small",
    params: "11.7M",
    image: range(224, 32, 512),
    over: { learningRate: 1e-3 },
  },
  {
    id: "torchvision/mobilenet_v3_small",
    name: "MobileNetV3 Small (torchvision)",
    tasks: ["classification"],
    family: "mobilenet",
    size: "Small",
    params: "2.5M",
    image: range(224, 32, 512),
    over: { learningRate: 1e-3 },
  },
  {
    id: "torchvision/mobilenet_v3_large",
    name: "MobileNetV3 Large (torchvision)",
    tasks: ["classification"],
    family: "mobilenet",
    size: "Small",
    params: "5.5M",
    image: range(224, 32, 512),
    over: { learningRate: 1e-3 },
  },
  {
    id: "torchvision/fcos_tiny",
    name: "FCOS Tiny (torchvision parts, CPU)",
    tasks: ["detection"],
    family: "fcos",
    size: "Small",
    params: "0.75M",
    image: range(160, 64, 640),
    over: { batchSize: 8, learningRate: 2e-3, maxEpochs: 30 },
  },
  {
    id: "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn",
    name: "Faster R-CNN MobileNetV3-Large 320 FPN (torchvision)",
    tasks: ["detection"],
    family: "fasterrcnn",
    size: "Small",
    params: "19M",
    image: range(320, 160, 1024),
    over: { batchSize: 8, learningRate: 1e-3, maxEpochs: 20 },
  },
  {
    id: "torchvision/fasterrcnn_mobilenet_v3_large_fpn",
    name: "Faster R-CNN MobileNetV3-Large FPN (torchvision)",
    tasks: ["detection"],
    family: "fasterrcnn",
    size: "Medium",
    params: "19M",
    image: range(640, 320, 1344),
    over: { batchSize: 4, learningRate: 1e-3, maxEpochs: 20 },
  },
  {
    id: "torchvision/ssdlite320_mobilenet_v3_large",
    name: "SSDlite 320 MobileNetV3-Large (torchvision)",
    tasks: ["detection"],
    family: "ssdlite",
    size: "Small",
    params: "3.4M",
    image: fixed(320, "SSDlite320 has fixed 320×320 anchors"),
    over: { learningRate: 1e-3, maxEpochs: 20 },
  },
  {
    id: "torchvision/lraspp_mobilenet_v3_large",
    name: "LRASPP MobileNetV3-Large (torchvision)",
    tasks: ["semantic_segmentation"],
    family: "lraspp",
    size: "Small",
    params: "3.2M",
    image: range(320, 64, 1024),
    over: { batchSize: 8, learningRate: 1e-3, maxEpochs: 20 },
  },
  {
    id: "torchvision/deeplabv3_mobilenet_v3_large",
    name: "DeepLabV3 MobileNetV3-Large (torchvision)",
    tasks: ["semantic_segmentation"],
    family: "deeplab",
    size: "Small",
    params: "11M",
    image: range(320, 64, 1024),
    over: { batchSize: 8, learningRate: 1e-3, maxEpochs: 20 },
  },
  {
    id: "torchvision/maskrcnn_tiny",
    name: "Mask R-CNN Tiny (torchvision parts, CPU)",
    tasks: ["instance_segmentation"],
    family: "maskrcnn",
    size: "Small",
    params: "1.6M",
    image: range(160, 64, 640),
    over: { batchSize: 4, learningRate: 2e-3, maxEpochs: 20 },
  },
  {
    id: "torchvision/maskrcnn_resnet50_fpn",
    name: "Mask R-CNN ResNet-50 FPN (torchvision)",
    tasks: ["instance_segmentation"],
    family: "maskrcnn",
    size: "Medium",
    params: "44M",
    image: range(512, 256, 1344),
    over: { batchSize: 2, learningRate: 5e-3, maxEpochs: 20 },
  },
];
