/** Clusters API: the node types (with their GPUs) and runtimes a training run can pick from. */
import { z } from "zod";
import type { HttpClient } from "./http.ts";

export { gpuSingleNodeCluster } from "./cluster_spec.ts";

/** One entry of list-node-types (GPUs in num_gpus). */
export const NodeTypeSchema = z.looseObject({
  node_type_id: z.string(),
  memory_mb: z.number(),
  num_cores: z.number().optional(),
  num_gpus: z.number().optional().default(0),
  description: z.string().optional(),
  category: z.string().optional(),
  is_deprecated: z.boolean().optional(),
  is_hidden: z.boolean().optional(),
});
export type NodeType = z.infer<typeof NodeTypeSchema>;

/** One runtime of spark-versions. */
export const SparkVersionSchema = z.looseObject({ key: z.string(), name: z.string() });

/** True for Databricks Runtime ML GPU keys, e.g. `15.4.x-gpu-ml-scala2.12`. */
export function isGpuMlRuntime(key: string): boolean {
  return /gpu-ml/.test(key);
}

/** Low-level clusters calls. */
export class ClustersClient {
  constructor(readonly http: HttpClient) {}

  /** Usable node types (deprecated and hidden ones dropped), GPU types first. */
  async nodeTypes(): Promise<NodeType[]> {
    const r = await this.http.json({
      method: "GET",
      path: "/api/2.1/clusters/list-node-types",
      what: "Listing node types",
    }, z.looseObject({ node_types: z.array(NodeTypeSchema).optional().default([]) }));
    return r.node_types.filter((n) => !n.is_deprecated && !n.is_hidden)
      .sort((a, b) => b.num_gpus - a.num_gpus || a.memory_mb - b.memory_mb);
  }

  /** Runtime versions, newest first. */
  async sparkVersions(): Promise<z.infer<typeof SparkVersionSchema>[]> {
    const r = await this.http.json({
      method: "GET",
      path: "/api/2.1/clusters/spark-versions",
      what: "Listing runtime versions",
    }, z.looseObject({ versions: z.array(SparkVersionSchema).optional().default([]) }));
    return r.versions.sort((a, b) => b.key.localeCompare(a.key, "en", { numeric: true }));
  }
}
