/**
 * The recommended confidence threshold of a detection run: the F1-optimal score cut from its
 * evaluation's confidence sweep (overall and per class). Evaluating a run stores it here, so
 * Deployment and the Inference Playground can default to it:
 *
 * ```ts
 * import { getRecommendedThreshold } from "@/lib/evaluation/threshold.ts";
 * const rec = await getRecommendedThreshold(runId); // null until the run was evaluated
 * const confidence = rec?.threshold ?? 0.5;
 * ```
 *
 * Key: ["evaluation","threshold",runId] → RecommendedThreshold.
 */
import { getKv } from "@/lib/store/kv.ts";

/** What is stored per run. */
export interface RecommendedThreshold {
  runId: string;
  /** F1-optimal confidence over all classes. */
  threshold: number;
  /** Precision, recall and F1 at that threshold. */
  precision: number;
  recall: number;
  f1: number;
  /** IoU at which detections count as correct for the sweep. */
  iou: number;
  /** Category id -> F1-optimal confidence of that class. */
  perClass: Record<string, number>;
  /** SHA-256 of the files it was computed from. */
  contentHash: string;
  computedAt: number;
}

const key = (runId: string) => ["evaluation", "threshold", runId];

/** Stores (or replaces) a run's recommended threshold. */
export async function saveRecommendedThreshold(rec: RecommendedThreshold): Promise<void> {
  const kv = await getKv();
  await kv.set(key(rec.runId), rec);
}

/**
 * A run's recommended confidence threshold, or null when the run has not been evaluated (open
 * it on /evaluation, or call `evaluateRun`). Deployment and the Inference Playground use
 * `threshold` as their default confidence.
 */
export async function getRecommendedThreshold(runId: string): Promise<RecommendedThreshold | null> {
  // No run has an id this long, and a longer one would not fit in a KV key.
  if (new TextEncoder().encode(runId).byteLength > 512) return null;
  const kv = await getKv();
  return (await kv.get<RecommendedThreshold>(key(runId))).value;
}
