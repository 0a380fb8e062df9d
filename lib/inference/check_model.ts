/**
 * Does a graph fit its model.json? Checked when a model is imported or registered, so a model whose
 * shapes contradict its description is refused with every mismatch named, instead of failing later
 * in the Playground or behind an endpoint.
 */
import { BadRequestError } from "@/lib/errors.ts";
import { labelNames, type ModelJson } from "@/lib/inference/model_json.ts";
import { formatDims, type OnnxGraphInfo, type TensorInfo } from "@/lib/inference/onnx_graph.ts";

/** Throws BadRequestError listing each way `graph` contradicts `meta`; returns when it fits. */
export function checkModelFits(graph: OnnxGraphInfo, meta: ModelJson): void {
  const problems = modelFitProblems(graph, meta);
  if (problems.length === 0) return;
  throw new BadRequestError(
    `model.onnx does not fit model.json: ${problems.map((p, i) => `(${i + 1}) ${p}`).join("; ")}`,
    problems,
  );
}

/** Each mismatch between graph and model.json as a sentence; empty when they fit. */
export function modelFitProblems(graph: OnnxGraphInfo, meta: ModelJson): string[] {
  const out: string[] = [];
  checkInput(graph, meta, out);
  checkOutputOrder(graph, meta, out);
  checkDecoding(graph, meta, out);
  return out;
}

function checkInput(graph: OnnxGraphInfo, meta: ModelJson, out: string[]) {
  const want = meta.input;
  const names = graph.inputs.map((t) => t.name);
  const input = graph.inputs.find((t) => t.name === want.name);
  if (!input) {
    out.push(
      `input.name is "${want.name}" but the graph's inputs are ${list(names) || "none"}`,
    );
    return;
  }
  const others = names.filter((n) => n !== want.name);
  if (others.length) {
    out.push(`the graph also needs input ${list(others)}, which model.json does not feed`);
  }
  if (input.elemType !== want.dtype) {
    out.push(`input "${input.name}" is ${input.elemType}; model.json feeds ${want.dtype}`);
  }
  if (!input.shapeKnown) return;
  if (input.dims.length !== 4) {
    out.push(
      `input "${input.name}" has rank ${input.dims.length} ${formatDims(input)}; ` +
        `model.json feeds a 4-d ${want.layout} image batch`,
    );
    return;
  }
  const [n, a, b, c] = input.dims;
  const [ch, h, w] = want.layout === "NCHW" ? [a, b, c] : [c, a, b];
  const where = `input "${input.name}" ${formatDims(input)}`;
  if (typeof ch === "number" && ch !== 3) {
    out.push(`${where} has ${ch} channels; model.json feeds 3 (${want.color}, ${want.layout})`);
  }
  if (typeof h === "number" && h !== want.height) {
    out.push(`${where} has height ${h}; model.json input.height is ${want.height}`);
  }
  if (typeof w === "number" && w !== want.width) {
    out.push(`${where} has width ${w}; model.json input.width is ${want.width}`);
  }
  if (typeof n === "number" && n !== 1) {
    out.push(`${where} has a fixed batch of ${n}; images are fed one (or N) at a time`);
  } else if (n === 1 && want.batch === "dynamic") {
    out.push(`${where} has a fixed batch of 1 but model.json input.batch is "dynamic"; set 1`);
  }
}

/** jobs/ pairs model.json `outputs` with the session's results by position. */
function checkOutputOrder(graph: OnnxGraphInfo, meta: ModelJson, out: string[]) {
  if (!meta.outputs) return;
  const actual = graph.outputs.map((t) => t.name);
  if (meta.outputs.join("\u0000") !== actual.join("\u0000")) {
    out.push(`outputs is ${list(meta.outputs)} but the graph's outputs are ${list(actual)}`);
  }
}

function checkDecoding(graph: OnnxGraphInfo, meta: ModelJson, out: string[]) {
  const d = meta.decoding;
  const classes = labelNames(meta).length;
  const byName = new Map(graph.outputs.map((t) => [t.name, t]));
  const find = (field: string, name: string): TensorInfo | undefined => {
    const t = byName.get(name);
    if (!t) {
      out.push(
        `decoding.${field} names output "${name}", which the graph does not have (it has ${
          list([...byName.keys()])
        })`,
      );
    }
    return t;
  };
  const rank = (field: string, t: TensorInfo | undefined, r: number, what: string) => {
    if (!t || !t.shapeKnown) return undefined;
    if (t.dims.length === r) return t;
    out.push(
      `output "${t.name}" (decoding.${field}) has rank ${t.dims.length} ${formatDims(t)}; ` +
        `expected ${what}`,
    );
    return undefined;
  };
  const dimIs = (t: TensorInfo | undefined, axis: number, want: number, why: string) => {
    const v = t?.dims[axis];
    if (t && typeof v === "number" && v !== want) {
      out.push(`output "${t.name}" ${formatDims(t)} has ${v} at axis ${axis}; ${why}`);
    }
  };
  const labelsWhy = (n: number) => `model.json has ${classes} labels, so expected ${n}`;

  switch (d.type) {
    case "classification": {
      const t = rank("output", find("output", d.output), 2, "[N, C] logits");
      dimIs(t, 1, classes, labelsWhy(classes));
      return;
    }
    case "detection":
    case "instance_segmentation": {
      dimIs(rank("boxes", find("boxes", d.boxes), 2, "[K, 4] xyxy boxes"), 1, 4, "boxes are xyxy");
      rank("scores", find("scores", d.scores), 1, "[K] scores");
      rank("labels", find("labels", d.labels), 1, "[K] 0-based labels");
      if (d.type === "instance_segmentation") {
        rank("masks", find("masks", d.masks), 3, "[K, H, W] mask probabilities");
      }
      return;
    }
    case "semantic_segmentation": {
      if (d.format === "class_index") {
        rank("output", find("output", d.output), 3, "[N, H, W] class indices");
        return;
      }
      const t = rank("output", find("output", d.output), 4, "[N, C, H, W] class scores");
      const c = t?.dims[1];
      if (t && typeof c === "number" && c !== classes && !(c === 1 && classes === 2)) {
        out.push(
          `output "${t.name}" ${formatDims(t)} has ${c} classes at axis 1; model.json has ` +
            `${classes} labels (a 1-channel score map needs exactly 2: background and the class)`,
        );
      }
      return;
    }
    case "mask_classification": {
      const cls = rank("class_probs", find("class_probs", d.class_probs), 3, "[N, Q, C+1]");
      const masks = rank("mask_probs", find("mask_probs", d.mask_probs), 4, "[N, Q, H, W]");
      dimIs(cls, 2, classes + 1, `${labelsWhy(classes + 1)} (the last is "no object")`);
      const qc = cls?.dims[1], qm = masks?.dims[1];
      if (typeof qc === "number" && typeof qm === "number" && qc !== qm) {
        out.push(`class_probs has ${qc} queries but mask_probs has ${qm}`);
      }
      return;
    }
  }
}

function list(names: string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}
