/**
 * Test-only: writes small ONNX ModelProto bytes (no nodes that compute anything) so tests of the
 * reader and of model checks need no binary fixtures. The field numbers are onnx.proto3's.
 */

/** A graph input or output to write. */
export interface TensorSpec {
  name: string;
  /** TensorProto.DataType number or name ("float32", "int64", ...); default float32. */
  elemType?: number | string;
  /** Fixed sizes, symbolic names, or null for a dim with neither; omit for no shape at all. */
  dims?: (number | string | null)[];
}

/** An initializer (weight) to write, with optional raw bytes. */
export interface InitializerSpec {
  name: string;
  dims: number[];
  /** raw_data; default: 4 bytes per element of zeros. */
  raw?: Uint8Array;
  /** Also list it as a graph input, as IR < 4 exporters did. */
  alsoInput?: boolean;
}

/** What buildOnnxModel writes. */
export interface OnnxModelSpec {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  initializers?: InitializerSpec[];
  irVersion?: number;
  opsets?: { domain?: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  graphName?: string;
  /** How many (empty-bodied Identity) nodes to write. */
  nodes?: number;
  metadata?: Record<string, string>;
}

const ELEM: Record<string, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

/** ONNX ModelProto bytes for the spec. */
export function buildOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const graph: Uint8Array[] = [];
  for (let i = 0; i < (spec.nodes ?? 1); i++) {
    graph.push(bytesField(1, concat(strField(4, "Identity"), strField(3, `node${i}`))));
  }
  graph.push(strField(2, spec.graphName ?? "test_graph"));
  for (const init of spec.initializers ?? []) {
    const n = init.dims.reduce((a, b) => a * b, 1);
    const t = concat(
      ...init.dims.map((d) => varintField(1, d)),
      varintField(2, 1),
      strField(8, init.name),
      bytesField(9, init.raw ?? new Uint8Array(4 * n)),
    );
    graph.push(bytesField(5, t));
  }
  for (const t of spec.inputs) graph.push(bytesField(11, valueInfo(t)));
  for (const init of spec.initializers ?? []) {
    if (init.alsoInput) {
      graph.push(bytesField(11, valueInfo({ name: init.name, dims: init.dims })));
    }
  }
  for (const t of spec.outputs) graph.push(bytesField(12, valueInfo(t)));
  const model: Uint8Array[] = [
    varintField(1, spec.irVersion ?? 8),
    strField(2, spec.producerName ?? "lakevision-test"),
    strField(3, spec.producerVersion ?? "1"),
    bytesField(7, concat(...graph)),
  ];
  for (const o of spec.opsets ?? [{ version: 17 }]) {
    model.push(bytesField(8, concat(strField(1, o.domain ?? ""), varintField(2, o.version))));
  }
  for (const [k, v] of Object.entries(spec.metadata ?? {})) {
    model.push(bytesField(14, concat(strField(1, k), strField(2, v))));
  }
  return concat(...model);
}

function valueInfo(t: TensorSpec): Uint8Array {
  const code = typeof t.elemType === "number" ? t.elemType : ELEM[t.elemType ?? "float32"];
  if (code === undefined) throw new Error(`unknown elemType ${t.elemType}`);
  const parts = [varintField(1, code)];
  if (t.dims) {
    const dims = t.dims.map((d) =>
      bytesField(
        1,
        d === null ? new Uint8Array() : typeof d === "number" ? varintField(1, d) : strField(2, d),
      )
    );
    parts.push(bytesField(2, concat(...dims)));
  }
  const type = bytesField(1, concat(...parts));
  return concat(strField(1, t.name), bytesField(2, type));
}

/** Protobuf varint bytes (non-negative, below 2^53). */
export function varint(v: number): Uint8Array {
  const out: number[] = [];
  let n = v;
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return new Uint8Array(out);
}

function varintField(field: number, v: number): Uint8Array {
  return concat(varint(field * 8), varint(v));
}

function bytesField(field: number, body: Uint8Array): Uint8Array {
  return concat(varint(field * 8 + 2), varint(body.length), body);
}

function strField(field: number, s: string): Uint8Array {
  return bytesField(field, new TextEncoder().encode(s));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** A classification model.json (3 labels, 8×6 input) the way jobs/ writes it; `over` replaces top-level fields. */
export function sampleModelJson(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: "lakevision.onnx/1",
    task: "classification",
    labels: ["cat", "dog", "bird"],
    input: {
      name: "images",
      layout: "NCHW",
      color: "RGB",
      dtype: "float32",
      height: 8,
      width: 6,
      batch: "dynamic",
      resize: "stretch",
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
    outputs: ["logits"],
    decoding: { type: "classification", output: "logits", activation: "softmax" },
    ...over,
  };
}
