/**
 * Reads what an ONNX file promises (inputs, outputs, opsets, producer) straight from the
 * ModelProto's protobuf bytes, without onnxruntime and without decoding weights: nodes and tensor
 * data are skipped by their length prefix, so a 100 MB model costs a walk over a few thousand
 * field headers. Works in Deno and the browser alike.
 */
import { BadRequestError } from "@/lib/errors.ts";

/** One graph input or output. */
export interface TensorInfo {
  name: string;
  /** ONNX element type in numpy-style words: "float32", "int64", "uint8", ... */
  elemType: string;
  /** Per dimension: a fixed size, a symbolic name ("batch"), or null when neither is given. */
  dims: (number | string | null)[];
  /** False when the file gives no shape at all (rank unknown; `dims` is then empty). */
  shapeKnown: boolean;
}

/** What readOnnxGraph finds in a ModelProto. */
export interface OnnxGraphInfo {
  irVersion: number;
  opsetVersions: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graphName: string;
  /** Graph inputs the caller must feed (inputs that are also initializers are left out). */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  initializerNames: string[];
  nodeCount: number;
  /** ModelProto.metadata_props. */
  metadata: Record<string, string>;
}

/** TensorProto.DataType numbers to names. */
export const ONNX_ELEM_TYPES: Record<number, string> = {
  0: "undefined",
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  14: "complex64",
  15: "complex128",
  16: "bfloat16",
  17: "float8e4m3fn",
  18: "float8e4m3fnuz",
  19: "float8e5m2",
  20: "float8e5m2fnuz",
  21: "uint4",
  22: "int4",
  23: "float4e2m1",
};

class Corrupt extends Error {
  constructor(reason: string, readonly at: number) {
    super(reason);
  }
}

const TEXT = new TextDecoder("utf-8", { fatal: false });

/** A protobuf cursor over bytes[pos, end). */
class Reader {
  constructor(readonly bytes: Uint8Array, public pos: number, readonly end: number) {}

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    const start = this.pos;
    let result = 0, mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Corrupt("a number runs past the end of its field", start);
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        // int64 fields store negatives as 2^64 + v.
        return result >= 2 ** 63 ? result - 2 ** 64 : result;
      }
      mul *= 128;
    }
    throw new Corrupt("a number is longer than 10 bytes", start);
  }

  /** Field number and wire type of the next field. */
  tag(): [number, number] {
    const at = this.pos;
    const t = this.varint();
    const field = Math.floor(t / 8), wire = t & 7;
    if (field === 0) throw new Corrupt("field number 0", at);
    return [field, wire];
  }

  /** A sub-reader over a length-delimited field's body. */
  sub(): Reader {
    const at = this.pos;
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) {
      const left = this.end - this.pos;
      throw new Corrupt(
        `a field of ${len} bytes runs past the end of ${
          this.end === this.bytes.length ? "the file" : "its message"
        } (${left} bytes left)`,
        at,
      );
    }
    const r = new Reader(this.bytes, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  string(): string {
    const r = this.sub();
    return TEXT.decode(this.bytes.subarray(r.pos, r.end));
  }

  skip(wire: number): void {
    const at = this.pos;
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8, at);
        return;
      case 2:
        this.sub();
        return;
      case 5:
        this.advance(4, at);
        return;
      default:
        throw new Corrupt(`unknown protobuf wire type ${wire}`, at);
    }
  }

  private advance(n: number, at: number) {
    if (this.pos + n > this.end) throw new Corrupt("a fixed-size field runs past the end", at);
    this.pos += n;
  }

  expect(wire: number, want: number, what: string) {
    if (wire !== want) {
      throw new Corrupt(`${what} has wire type ${wire}, expected ${want}`, this.pos);
    }
  }
}

/**
 * The inputs, outputs, opsets and producer of an ONNX ModelProto. Throws BadRequestError
 * ("<where> is not a valid ONNX model: <reason> at byte N") for corrupt or truncated bytes.
 */
export function readOnnxGraph(bytes: Uint8Array, where = "model.onnx"): OnnxGraphInfo {
  try {
    return readModel(new Reader(bytes, 0, bytes.length));
  } catch (e) {
    if (e instanceof Corrupt) {
      throw new BadRequestError(`${where} is not a valid ONNX model: ${e.message} at byte ${e.at}`);
    }
    throw e;
  }
}

function readModel(r: Reader): OnnxGraphInfo {
  if (r.end === 0) throw new Corrupt("the file is empty", 0);
  const info: OnnxGraphInfo = {
    irVersion: 0,
    opsetVersions: [],
    producerName: "",
    producerVersion: "",
    graphName: "",
    inputs: [],
    outputs: [],
    initializerNames: [],
    nodeCount: 0,
    metadata: {},
  };
  let sawGraph = false;
  let graphAt = 0;
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1) {
      r.expect(wire, 0, "ir_version");
      info.irVersion = r.varint();
    } else if (field === 2 && wire === 2) info.producerName = r.string();
    else if (field === 3 && wire === 2) info.producerVersion = r.string();
    else if (field === 7) {
      r.expect(wire, 2, "graph");
      graphAt = r.pos;
      readGraph(r.sub(), info);
      sawGraph = true;
    } else if (field === 8) {
      r.expect(wire, 2, "opset_import");
      info.opsetVersions.push(readOpset(r.sub()));
    } else if (field === 14 && wire === 2) {
      const [k, v] = readStringPair(r.sub());
      info.metadata[k] = v;
    } else r.skip(wire);
  }
  if (info.irVersion <= 0) throw new Corrupt("no ir_version (not an ONNX ModelProto)", 0);
  if (!sawGraph) throw new Corrupt("no graph (the file may be truncated)", r.end);
  if (info.opsetVersions.length === 0) {
    throw new Corrupt("no opset_import (the file may be truncated)", r.end);
  }
  const inits = new Set(info.initializerNames);
  info.inputs = info.inputs.filter((t) => !inits.has(t.name));
  if (info.outputs.length === 0) throw new Corrupt("the graph has no outputs", graphAt);
  return info;
}

function readGraph(r: Reader, info: OnnxGraphInfo) {
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) {
      r.sub(); // NodeProto: not needed, skipped by length
      info.nodeCount++;
    } else if (field === 2 && wire === 2) info.graphName = r.string();
    else if (field === 5 && wire === 2) info.initializerNames.push(tensorName(r.sub()));
    else if (field === 15 && wire === 2) info.initializerNames.push(sparseTensorName(r.sub()));
    else if (field === 11 && wire === 2) info.inputs.push(readValueInfo(r.sub()));
    else if (field === 12 && wire === 2) info.outputs.push(readValueInfo(r.sub()));
    else r.skip(wire);
  }
}

function readOpset(r: Reader) {
  const o = { domain: "", version: 0 };
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) o.domain = r.string();
    else if (field === 2 && wire === 0) o.version = r.varint();
    else r.skip(wire);
  }
  return o;
}

function readStringPair(r: Reader): [string, string] {
  let k = "", v = "";
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) k = r.string();
    else if (field === 2 && wire === 2) v = r.string();
    else r.skip(wire);
  }
  return [k, v];
}

/** TensorProto.name (field 8); raw_data and the typed data arrays are skipped. */
function tensorName(r: Reader): string {
  let name = "";
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 8 && wire === 2) name = r.string();
    else r.skip(wire);
  }
  return name;
}

function sparseTensorName(r: Reader): string {
  let name = "";
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) name = tensorName(r.sub());
    else r.skip(wire);
  }
  return name;
}

function readValueInfo(r: Reader): TensorInfo {
  const t: TensorInfo = { name: "", elemType: "unknown", dims: [], shapeKnown: false };
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) t.name = r.string();
    else if (field === 2 && wire === 2) readType(r.sub(), t);
    else r.skip(wire);
  }
  return t;
}

/** TypeProto: tensor_type (1) and sparse_tensor_type (8) carry elem_type + shape. */
function readType(r: Reader, t: TensorInfo) {
  while (!r.done()) {
    const [field, wire] = r.tag();
    if ((field === 1 || field === 8) && wire === 2) readTensorType(r.sub(), t);
    else if (field === 4 && wire === 2) (r.sub(), t.elemType = "sequence");
    else if (field === 5 && wire === 2) (r.sub(), t.elemType = "map");
    else if (field === 9 && wire === 2) (r.sub(), t.elemType = "optional");
    else r.skip(wire);
  }
}

function readTensorType(r: Reader, t: TensorInfo) {
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 0) {
      const code = r.varint();
      t.elemType = ONNX_ELEM_TYPES[code] ?? `type${code}`;
    } else if (field === 2 && wire === 2) {
      t.shapeKnown = true;
      t.dims = readShape(r.sub());
    } else r.skip(wire);
  }
}

function readShape(r: Reader): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) dims.push(readDim(r.sub()));
    else r.skip(wire);
  }
  return dims;
}

function readDim(r: Reader): number | string | null {
  let d: number | string | null = null;
  while (!r.done()) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 0) d = r.varint();
    else if (field === 2 && wire === 2) d = r.string() || null;
    else r.skip(wire);
  }
  return d;
}

/** "[1, 3, 224, 224]" with symbolic names and "?" for unknown dims; for messages. */
export function formatDims(t: TensorInfo): string {
  if (!t.shapeKnown) return "(shape unknown)";
  return `[${t.dims.map((d) => d === null ? "?" : String(d)).join(", ")}]`;
}
