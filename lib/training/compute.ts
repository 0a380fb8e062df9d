/**
 * From a compute choice to what runs: the distribution mode (chosen from the cluster's shape
 * unless overridden), the entrypoint and arguments, and the cluster JSON for runs/submit.
 * Browser-safe, so the launch page previews exactly what the server will send.
 */
import { gpuSingleNodeCluster } from "@/lib/workspace/databricks/cluster_spec.ts";
import type { ComputeChoice } from "./compute_choice.ts";
import type { Distribution } from "./status.ts";

/** The launchers uploaded beside `jobs/` (lib/workspace/databricks/jobs_code.ts) for the multi-GPU modes. */
export const LAUNCHERS = {
  torchrun: "launch_torchrun.py",
  distributor: "launch_distributor.py",
} as const;

/** Single GPU, torchrun over one node's GPUs, or TorchDistributor over several nodes. */
export function chooseDistribution(choice: ComputeChoice): Distribution {
  if (choice.kind === "local") return "local";
  if (choice.distribution !== "auto") return choice.distribution;
  if (choice.nodes > 1) return "distributor";
  return choice.gpusPerNode > 1 ? "torchrun" : "single";
}

/** Total training processes (one per GPU) for a Databricks choice. */
export function processCount(choice: ComputeChoice): number {
  if (choice.kind === "local") return 1;
  const d = chooseDistribution(choice);
  if (d === "single") return 1;
  if (d === "torchrun") return Math.max(1, choice.gpusPerNode);
  return Math.max(1, choice.gpusPerNode) * choice.nodes;
}

/** The cloud a node type id belongs to (by naming convention), for spot settings. */
export function cloudOf(nodeType: string): "aws" | "azure" | "gcp" {
  if (/^Standard_/i.test(nodeType)) return "azure";
  if (/^(a2|a3|g2|n1|n2)-/i.test(nodeType)) return "gcp";
  return "aws";
}

function availability(nodeType: string, spot: boolean): Record<string, unknown> {
  switch (cloudOf(nodeType)) {
    case "azure":
      return {
        azure_attributes: spot
          ? { availability: "SPOT_WITH_FALLBACK_AZURE", first_on_demand: 1, spot_bid_max_price: -1 }
          : { availability: "ON_DEMAND_AZURE" },
      };
    case "gcp":
      return {
        gcp_attributes: {
          availability: spot ? "PREEMPTIBLE_WITH_FALLBACK_GCP" : "ON_DEMAND_GCP",
        },
      };
    default:
      return {
        aws_attributes: spot
          ? { availability: "SPOT_WITH_FALLBACK", first_on_demand: 1 }
          : { availability: "ON_DEMAND" },
      };
  }
}

/**
 * The cluster part of the task: an existing cluster id, or a new job cluster (single node for
 * one machine; driver + N GPU workers for TorchDistributor). Throws a plain Error naming the
 * missing choice.
 */
export function clusterSpec(choice: ComputeChoice): Record<string, unknown> {
  if (choice.kind !== "databricks") throw new Error("clusterSpec is for Databricks compute");
  if (choice.existingClusterId) return { existing_cluster_id: choice.existingClusterId };
  if (!choice.nodeType) throw new Error("pick a GPU node type (or an existing cluster)");
  if (!choice.runtime) throw new Error("pick an ML GPU runtime");
  const extra = {
    ...availability(choice.nodeType, choice.spot),
    custom_tags: { ResourceClass: "SingleNode", lakevision: "training" },
  };
  if (chooseDistribution(choice) !== "distributor") {
    return { new_cluster: gpuSingleNodeCluster(choice.nodeType, choice.runtime, extra) };
  }
  return {
    new_cluster: {
      spark_version: choice.runtime,
      node_type_id: choice.nodeType,
      driver_node_type_id: choice.nodeType,
      num_workers: choice.nodes,
      data_security_mode: "SINGLE_USER",
      ...availability(choice.nodeType, choice.spot),
      custom_tags: { lakevision: "training" },
    },
  };
}

/** Inputs of a job plan. */
export interface PlanInput {
  choice: ComputeChoice;
  configPath: string;
  runDir: string;
  maxSteps?: number;
  maxEpochs?: number;
  /** Run dir of the run to continue from (its checkpoints/last.pt). */
  resumeFrom?: string;
  /** Where the uploaded code lives (Databricks), for the displayed command. */
  codeDir?: string;
}

/** What the workspace is asked to run. */
export interface JobPlan {
  distribution: Distribution;
  /** Relative to the code folder. */
  entrypoint: string;
  args: string[];
  /** The `JobSpec.compute` for Databricks (cluster, notifications, timeout). */
  compute?: Record<string, unknown>;
  /** The same, shown as a command line. */
  command: string[];
}

/** Builds the plan; throws a plain Error naming a missing choice. */
export function planJob(p: PlanInput): JobPlan {
  const distribution = chooseDistribution(p.choice);
  const train = ["--config", p.configPath, "--run-dir", p.runDir];
  if (p.resumeFrom) train.push("--resume", p.resumeFrom);
  if (p.maxSteps) train.push("--max-steps", String(p.maxSteps));
  if (p.maxEpochs) train.push("--max-epochs", String(p.maxEpochs));
  if (p.choice.kind === "local") {
    if (p.choice.device !== "auto") train.push("--device", p.choice.device);
    return {
      distribution,
      entrypoint: "train.py",
      args: train,
      command: ["python", "jobs/train.py", ...train],
    };
  }
  train.push("--device", "cuda");
  const c = p.choice;
  const code = (p.codeDir ?? "<jobs code>").replace(/\/+$/, "");
  const compute: Record<string, unknown> = { ...clusterSpec(c) };
  if (c.timeoutMinutes > 0) compute.timeout_seconds = c.timeoutMinutes * 60;
  if (c.emails.length) {
    compute.email_notifications = { on_success: c.emails, on_failure: c.emails };
  }
  const n = processCount(c);
  if (distribution === "single") {
    return {
      distribution,
      entrypoint: "train.py",
      args: train,
      compute,
      command: ["python", `${code}/train.py`, ...train],
    };
  }
  if (distribution === "torchrun") {
    return {
      distribution,
      entrypoint: LAUNCHERS.torchrun,
      args: ["--nproc-per-node", String(n), ...train],
      compute,
      command: ["torchrun", "--standalone", `--nproc_per_node=${n}`, `${code}/train.py`, ...train],
    };
  }
  return {
    distribution,
    entrypoint: LAUNCHERS.distributor,
    args: ["--num-processes", String(n), ...train],
    compute,
    command: [
      `TorchDistributor(num_processes=${n}, local_mode=False, use_gpu=True).run(`,
      `${code}/train.py`,
      ...train,
      ")",
    ],
  };
}
