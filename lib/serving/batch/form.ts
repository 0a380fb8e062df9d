/**
 * The batch page's form: its fields as a BatchRequest, and a refused request's problems placed
 * beside the fields they are about. Browser-safe.
 *
 * The version comes from the `ref` select (`model@version`) or, as a plain form post may send
 * them, `model` and `version`; an endpoint chosen in `endpoint` is used instead of either.
 */
import type { BatchRequest } from "./types.ts";

/** The request the form's fields describe. */
export function batchRequestFromForm(f: Record<string, string>): BatchRequest {
  const opt = (k: string) => f[k]?.trim() || undefined;
  // A number as typed; text that is not one is passed on, so the message shows what was typed.
  const num = (k: string) => {
    const v = opt(k);
    return v === undefined ? undefined : Number.isFinite(Number(v)) ? Number(v) : v;
  };
  const endpoint = opt("endpoint");
  const ref = /^(.+)@(\d+)$/.exec(opt("ref") ?? "");
  return {
    model: endpoint ? undefined : ref?.[1] ?? opt("model"),
    version: endpoint ? undefined : ref?.[2] ?? opt("version"),
    endpoint,
    input: opt("input_table")
      ? {
        kind: "table",
        table: opt("input_table")!,
        pathColumn: opt("path_column") ?? "path",
        contentColumn: opt("content_column"),
      }
      : { kind: "folder", path: f.input_path ?? "" },
    output: opt("output_table")
      ? { kind: "table", table: opt("output_table")! }
      : opt("output_path")
      ? { kind: "file", path: opt("output_path")! }
      : undefined,
    runner: (opt("runner") ?? "auto") as "auto",
    params: {
      confidence_threshold: num("confidence_threshold") as number | undefined,
      top_k: num("top_k") as number | undefined,
    },
    cluster: {
      existingClusterId: opt("cluster_id"),
      nodeType: opt("node_type"),
      runtime: opt("runtime"),
    },
  };
}

/** The form field each request field is typed in. */
const FIELD: Record<string, string> = {
  model: "ref",
  version: "ref",
  endpoint: "endpoint",
  input: "input_path",
  "input.kind": "input_path",
  "input.path": "input_path",
  "input.table": "input_table",
  "input.pathColumn": "path_column",
  "input.contentColumn": "content_column",
  output: "output_path",
  "output.kind": "output_path",
  "output.path": "output_path",
  "output.table": "output_table",
  runner: "runner",
  "params.confidence_threshold": "confidence_threshold",
  "params.top_k": "top_k",
  "cluster.existingClusterId": "cluster_id",
  "cluster.nodeType": "node_type",
  "cluster.runtime": "runtime",
};

/**
 * Problems (`details` of a refused request, paths as the request names them) by form field; the
 * first problem of a field is kept. Ones no field matches are left out (the page's banner says
 * them).
 */
export function batchFieldErrors(
  details: readonly { path: string; message: string }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of details ?? []) {
    const field = FIELD[d.path];
    if (field && !(field in out)) out[field] = d.message;
  }
  return out;
}
