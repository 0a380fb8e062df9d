/**
 * Cluster JSON for runs/submit, built from plain values (no schemas, no client): browser-safe, so
 * the launch page previews exactly the cluster the server sends.
 */

/**
 * A single-node GPU cluster for one training run (classic form, accepted on every cloud): the
 * driver holds all GPUs, torchrun spreads over them. Dedicated (single-user) access mode: ML
 * runtimes need it, and it gives the run Unity Catalog volume access as the run's identity.
 */
export function gpuSingleNodeCluster(
  nodeTypeId: string,
  sparkVersion: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    spark_version: sparkVersion,
    node_type_id: nodeTypeId,
    num_workers: 0,
    spark_conf: {
      "spark.databricks.cluster.profile": "singleNode",
      "spark.master": "local[*, 4]",
    },
    custom_tags: { ResourceClass: "SingleNode" },
    data_security_mode: "SINGLE_USER",
    ...extra,
  };
}
