/**
 * model.json: how to run a model.onnx without knowing its architecture, as jobs/ writes it
 * (jobs/lakevision_jobs/export_onnx.py, jobs/README.md "model.json") and as people write it for a
 * model they bring. Every object is loose: fields this reader does not know (exporter, opset,
 * torch_version, ...) are kept, so a file read and written back loses nothing.
 */
import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";

/** The tasks a model.json can declare (the app's five). */
export const MODEL_TASKS = [
  "classification",
  "detection",
  "instance_segmentation",
  "semantic_segmentation",
  "panoptic_segmentation",
] as const;

import { OUTPUT_ACTIVATIONS } from "./model_json_read.ts";

export {
  labelNames,
  OUTPUT_ACTIVATIONS,
  type OutputActivation,
  outputActivation,
} from "./model_json_read.ts";

const name = z.string().min(1, "must be a non-empty output name");
const rgb = z.array(z.number()).length(3, "must list 3 numbers (R, G, B)");

const InputSchema = z.looseObject({
  name: z.string().min(1, "must be the graph input's name"),
  layout: z.enum(["NCHW", "NHWC"]).default("NCHW"),
  color: z.enum(["RGB", "BGR"]).default("RGB"),
  dtype: z.enum(["float32"]).default("float32"),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  batch: z.union([z.literal(1), z.literal("dynamic")]).default("dynamic"),
  resize: z.enum(["stretch"]).default("stretch"),
  /** Multiplies the 0–255 pixel before mean/std; jobs/ always writes 1/255. */
  scale: z.number().positive().default(1 / 255),
  mean: rgb,
  std: z.array(z.number().positive("must be > 0 (it divides)")).length(
    3,
    "must list 3 numbers (R, G, B)",
  ),
});

const ClassificationDecoding = z.looseObject({
  type: z.literal("classification"),
  output: name,
  /** jobs/ writes "softmax"; `output_activation` at the top level overrides it. */
  activation: z.enum(OUTPUT_ACTIVATIONS).optional(),
});

const detectionFields = {
  batch: z.literal(1).optional(),
  boxes: name,
  scores: name,
  labels: name,
  box_format: z.enum(["xyxy"]).default("xyxy"),
  coordinates: z.enum(["input_pixels"]).default("input_pixels"),
};

const DetectionDecoding = z.looseObject({ type: z.literal("detection"), ...detectionFields });

const InstanceDecoding = z.looseObject({
  type: z.literal("instance_segmentation"),
  ...detectionFields,
  masks: name,
  mask_threshold: z.number().min(0).max(1).default(0.5),
});

const SemanticDecoding = z.looseObject({
  type: z.literal("semantic_segmentation"),
  output: name,
  /**
   * class_index: [N, H, W] class ids (what jobs/ exports). scores: [N, C, H, W] per-class scores,
   * argmax over C; with C = 1 a binary mask, class 1 where the score ≥ `threshold`.
   */
  format: z.enum(["class_index", "scores"]).default("class_index"),
  threshold: z.number().default(0.5),
  size: z.string().optional(),
});

const MaskClassificationDecoding = z.looseObject({
  type: z.literal("mask_classification"),
  task: z.enum(["semantic_segmentation", "instance_segmentation", "panoptic_segmentation"]),
  class_probs: name,
  mask_probs: name,
  no_object_last: z.literal(true).default(true),
  size: z.string().optional(),
});

const DecodingSchema = z.discriminatedUnion("type", [
  ClassificationDecoding,
  DetectionDecoding,
  InstanceDecoding,
  SemanticDecoding,
  MaskClassificationDecoding,
]);

/** Which decodings may serve each task. */
const DECODINGS_FOR_TASK: Record<typeof MODEL_TASKS[number], string[]> = {
  classification: ["classification"],
  detection: ["detection"],
  instance_segmentation: ["instance_segmentation", "mask_classification"],
  semantic_segmentation: ["semantic_segmentation", "mask_classification"],
  panoptic_segmentation: ["mask_classification"],
};

/** The zod schema of model.json; unknown fields are kept. */
export const ModelJsonSchema = z.looseObject({
  format: z.string().optional(),
  task: z.enum(MODEL_TASKS),
  model_name: z.string().optional(),
  backend: z.string().optional(),
  /** Class names by 0-based label; or `id2label` ({"0": "cat", ...}) as Hugging Face writes it. */
  labels: z.array(z.string()).min(1, "must list at least one class name").optional(),
  id2label: z.record(z.string().regex(/^\d+$/, "keys must be 0-based label numbers"), z.string())
    .optional(),
  /** Dataset category id per label (COCO ids); null when the dataset has none. */
  category_ids: z.array(z.number().int()).nullable().optional(),
  input: InputSchema,
  /** What the graph does itself (informational; `input.mean`/`std` is what the client applies). */
  graph_normalization: z.looseObject({ mean: z.array(z.number()), std: z.array(z.number()) })
    .optional(),
  /** Graph output names in the graph's order. */
  outputs: z.array(name).optional(),
  decoding: DecodingSchema,
  output_activation: z.enum(OUTPUT_ACTIVATIONS).optional(),
  defaults: z.looseObject({
    confidence_threshold: z.number().min(0).max(1).optional(),
    max_detections: z.number().int().positive().optional(),
    top_k: z.number().int().positive().optional(),
  }).optional(),
  verification: z.looseObject({ verified: z.boolean().optional() }).optional(),
  opset: z.number().int().optional(),
}).superRefine((m, ctx) => {
  if (!m.labels && !m.id2label) {
    ctx.addIssue({
      code: "custom",
      path: ["labels"],
      message: "is required (class names by label), or give id2label",
    });
  }
  if (m.id2label && !m.labels) {
    const n = Object.keys(m.id2label).length;
    for (let i = 0; i < n; i++) {
      if (!(String(i) in m.id2label)) {
        ctx.addIssue({
          code: "custom",
          path: ["id2label"],
          message: `must number labels 0..${n - 1} without gaps; ${i} is missing`,
        });
        break;
      }
    }
  }
  const allowed = DECODINGS_FOR_TASK[m.task];
  if (!allowed.includes(m.decoding.type)) {
    ctx.addIssue({
      code: "custom",
      path: ["decoding", "type"],
      message: `is ${m.decoding.type}, which cannot serve task ${m.task} (use ${
        allowed.join(" or ")
      })`,
    });
  }
  if (m.decoding.type === "mask_classification" && m.decoding.task !== m.task) {
    ctx.addIssue({
      code: "custom",
      path: ["decoding", "task"],
      message: `is ${m.decoding.task} but task is ${m.task}; they must agree`,
    });
  }
  const names = labelCount(m);
  if (m.category_ids && names !== undefined && m.category_ids.length !== names) {
    ctx.addIssue({
      code: "custom",
      path: ["category_ids"],
      message: `has ${m.category_ids.length} ids for ${names} labels`,
    });
  }
});

/** A parsed model.json (defaults filled in). */
export type ModelJson = z.infer<typeof ModelJsonSchema>;
/** The `decoding` part of a parsed model.json. */
export type Decoding = ModelJson["decoding"];

/**
 * Parses and validates model.json text (or an already-parsed value). Throws BadRequestError
 * naming `where`, the field path and what is wrong; malformed JSON says the line and column.
 */
export function parseModelJson(input: string | unknown, where = "model.json"): ModelJson {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new BadRequestError(`${where} is not valid JSON: ${jsonErrorWhere(e, input)}`);
    }
  }
  const parsed = ModelJsonSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((i) => ({
    path: formatPath(i.path),
    message: plainMessage(i.message),
  }));
  const shown = details.slice(0, 8).map((d) => `${d.path || "(top level)"}: ${d.message}`);
  const more = details.length > 8 ? ` (and ${details.length - 8} more)` : "";
  throw new BadRequestError(`${where} is not valid: ${shown.join("; ")}${more}`, details);
}

function labelCount(m: { labels?: string[]; id2label?: Record<string, string> }) {
  return m.labels?.length ?? (m.id2label ? Object.keys(m.id2label).length : undefined);
}

/** zod's "Invalid input: expected string, received undefined" as "is missing (a string)". */
function plainMessage(msg: string): string {
  const missing = /^Invalid input: expected (\w+), received undefined$/.exec(msg);
  if (missing) return `is missing (expected ${missing[1]})`;
  return msg.replace(/^Invalid input: /, "");
}

function formatPath(path: readonly PropertyKey[]): string {
  let s = "";
  for (const p of path) {
    s += typeof p === "number" ? `[${p}]` : s ? `.${String(p)}` : String(p);
  }
  return s;
}

/** V8's message plus line/column computed from "at position N" when V8 did not say them. */
function jsonErrorWhere(e: unknown, text: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/line \d+ column \d+/.test(msg)) return msg;
  const pos = /at position (\d+)/.exec(msg);
  if (!pos) return msg;
  const offset = Number(pos[1]);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const col = offset - before.lastIndexOf("\n");
  return `${msg} (line ${line} column ${col})`;
}
