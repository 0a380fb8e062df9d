/**
 * Reading a model.json that has already been checked (model_json.ts parses and validates it):
 * its class names and its output activation. Kept free of the schema library so the browser's
 * inference code can use the same rules without shipping the validator.
 */
import type { ModelJson } from "./model_json.ts";

/** What turns the raw output into probabilities before decoding. */
export const OUTPUT_ACTIVATIONS = ["none", "softmax", "sigmoid"] as const;
export type OutputActivation = typeof OUTPUT_ACTIVATIONS[number];

/** Class names by 0-based label: `labels`, else `id2label` in label order. */
export function labelNames(m: Pick<ModelJson, "labels" | "id2label">): string[] {
  if (m.labels) return m.labels;
  const map = m.id2label ?? {};
  return Object.keys(map).map(Number).sort((a, b) => a - b).map((k) => map[String(k)]);
}

/**
 * The activation applied to the class scores before decoding: `output_activation` when given,
 * else the decoding's own `activation`, else softmax for classification and none otherwise
 * (detection scores, mask probabilities and class indices come out of the graph ready).
 */
export function outputActivation(m: ModelJson): OutputActivation {
  if (m.output_activation) return m.output_activation;
  if (m.decoding.type === "classification") return m.decoding.activation ?? "softmax";
  return "none";
}
