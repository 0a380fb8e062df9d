/**
 * What a registered version records about the run it came from: config version, datasets,
 * MLflow run, and the validation metrics frozen at registration (headline, per class, the
 * recommended confidence threshold), so the registry keeps showing what was measured even after
 * the run folder changes.
 */
import { BadRequestError, errorMessage } from "@/lib/errors.ts";
import { evaluateRun } from "@/lib/evaluation/evaluate.ts";
import { evalInputs, findEvalRun } from "@/lib/evaluation/sources.ts";
import { getRecommendedThreshold, type RecommendedThreshold } from "@/lib/evaluation/threshold.ts";
import { classRows, type Headline } from "@/lib/evaluation/types.ts";
import { PRIMARY_METRIC } from "@/lib/training/types.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { configSplits } from "@/lib/data/config_splits.ts";
import { type EdaSummary, edaSummary } from "./eda.ts";
import { type LaunchSettings, launchSettings, runDataSection } from "./launch_settings.ts";

/** A per-class row as stored in metrics.json. */
export interface ClassMetric {
  name: string;
  value: number | null;
  support: number;
}

/** Facts about a run, for lineage tags, the card and metrics.json. */
export interface RunFacts {
  runId: string;
  name: string;
  runDir: string;
  status: string;
  config?: { name: string; version: number };
  model?: string;
  task: string;
  /** Training data (volume path): the annotation file of a COCO-style split, else its folder. */
  dataset?: string;
  /** The images folder of the training annotation file. */
  datasetImages?: string;
  /** Validation data (volume path): annotation file or folder, as for `dataset`. */
  valDataset?: string;
  /** The images folder of the validation annotation file. */
  valImages?: string;
  /** How the run was launched beyond its config (max steps/epochs, resumed from, compute). */
  launch?: LaunchSettings;
  mlflowRunId?: string;
  primary: { name: string; value: number | null };
  headline: Headline[];
  classMetric?: string;
  classes: ClassMetric[];
  logged: Record<string, number>;
  threshold?: RecommendedThreshold;
  evaluatedAt?: number;
  /** Why only logged metrics are recorded, when the evaluation could not run. */
  evaluationNote?: string;
  /** The training data's scan (counts, classes, problems). */
  eda?: EdaSummary;
}

const CLASS_METRIC: Record<string, [string, string]> = {
  detection: ["ap", "AP"],
  classification: ["f1", "F1"],
  semantic: ["iou", "IoU"],
  panoptic: ["pq", "PQ"],
};

/** Collects the facts; the run must exist and have finished successfully. */
export async function runFacts(ws: Workspace, runId: string): Promise<RunFacts> {
  const found = await findEvalRun(ws, runId);
  const s = found.summary;
  if (!s.runDir) {
    throw new BadRequestError(`Run ${runId} has no run folder the app can read.`);
  }
  const status = found.record?.status ?? s.status ?? "unknown";
  if (found.record && found.record.status !== "succeeded") {
    throw new BadRequestError(
      `Run ${runId} is ${found.record.status}; only a run that succeeded can be registered.`,
    );
  }
  const inputs = await evalInputs(ws, s.runDir, found.record).catch(() => null);
  const rec = found.record;
  const task = rec?.config.task ?? s.task ?? "unknown";
  const splits = configSplits(
    await runDataSection(ws, s.runDir, rec),
    (p) => ws.files.volumePathOf?.(p),
  );
  const train = splits.find((x) => x.name === "train");
  const val = splits.find((x) => x.name === "val");
  const facts: RunFacts = {
    runId: s.id,
    name: s.name,
    runDir: s.runDir,
    status,
    config: rec ? { name: rec.config.name, version: rec.config.version } : undefined,
    model: rec?.config.model ?? (s.model || undefined),
    task,
    dataset: train?.path,
    datasetImages: train?.images,
    valDataset: val?.path ?? inputs?.groundTruth ?? inputs?.imageDir,
    valImages: val ? val.images : inputs?.groundTruth ? inputs.imageDir : undefined,
    launch: await launchSettings(ws, s.runDir, rec),
    mlflowRunId: rec?.mlflowRunId,
    primary: { name: PRIMARY_METRIC[task] ?? "eval_loss", value: null },
    headline: [],
    classes: [],
    logged: { ...(rec?.lastMetrics ?? {}) },
  };
  facts.primary.value = facts.logged[facts.primary.name] ?? null;
  try {
    const { evaluation: ev } = await evaluateRun(ws, runId);
    facts.headline = ev.headline;
    facts.logged = { ...facts.logged, ...ev.logged };
    facts.evaluatedAt = ev.computedAt;
    const cm = CLASS_METRIC[ev.kind];
    if (cm) {
      facts.classMetric = cm[1];
      facts.classes = classRows(ev).map((r) => ({
        name: r.name,
        value: r.values[cm[0]] === undefined || r.values[cm[0]] < 0 ? null : r.values[cm[0]],
        support: r.support,
      }));
    }
    if (ev.note) facts.evaluationNote = ev.note;
  } catch (e) {
    facts.evaluationNote = `Evaluation could not run (${errorMessage(e)}); logged metrics only.`;
  }
  if (!facts.headline.length) {
    facts.headline = Object.entries(facts.logged)
      .filter(([k]) => k.startsWith("eval_") && !k.includes("_class_"))
      .map(([k, v]) => ({ key: k, label: k, value: v, definition: "as logged by the job" }));
  }
  const primaryHeadline = facts.headline.find((h) => h.key === facts.primary.name);
  if (primaryHeadline) facts.primary.value = primaryHeadline.value;
  facts.threshold = await getRecommendedThreshold(runId) ?? undefined;
  // every split of the config, as the Data EDA page scans them: the same scan, found in its cache
  facts.eda = await edaSummary(ws.files, splits);
  return facts;
}
