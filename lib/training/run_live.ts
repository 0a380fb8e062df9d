/**
 * What the run page's live view works out from a run record, kept out of the islands so it can
 * be tested: the tab title, which actions apply, how streamed metric points join those shown,
 * the log tail, and when the run's outputs are worth listing again. Zod-free, like status.ts.
 */
import type { RunRecord } from "./schemas.ts";
import { type MetricPointLite, TERMINAL } from "./status.ts";

/** How the page hears about the run: the event stream, polling, or neither yet. */
export type Link = "sse" | "polling" | "connecting";

/** What the link indicator says. */
export const LINK_LABELS: Record<Link, string> = {
  sse: "live",
  polling: "live (polling)",
  connecting: "connecting…",
};

/** The browser tab's title: a mark for the state (with the percentage while running), the name. */
export function tabTitle(run: RunRecord): string {
  const p = run.progress;
  const pct = p?.totalSteps ? ` ${Math.round((p.step / p.totalSteps) * 100)}%` : "";
  const mark = run.status === "succeeded"
    ? "✓"
    : run.status === "failed"
    ? "✗"
    : run.status === "cancelled"
    ? "■"
    : `▶${pct}`;
  return `${mark} ${run.name} · Lakevision`;
}

/** The toast shown when a watched run ends. */
export function endedToast(run: RunRecord): string {
  return `Run ${run.status}${run.message ? `: ${run.message}` : ""}`;
}

/** Which controls a run offers. */
export interface RunActions {
  /** Not ended: it can be cancelled. */
  active: boolean;
  /** Cancelled or failed after its first step: a checkpoint exists to resume from. */
  canResume: boolean;
  /** Failed before its first step: nothing to resume, the config is edited and relaunched. */
  failedEarly: boolean;
}

/** The controls for `run`, given how many metric points it has logged. */
export function runActions(run: RunRecord, pointCount: number): RunActions {
  const started = (run.progress?.step ?? 0) > 0 || pointCount > 0;
  return {
    active: !TERMINAL.has(run.status),
    canResume: (run.status === "cancelled" || run.status === "failed") && started,
    failedEarly: run.status === "failed" && !started,
  };
}

/**
 * The points shown once `points` (the server's, starting at index `from`) arrive: appended when
 * they continue what is shown, the whole list when they start over at 0 (a reconnected stream's
 * snapshot), or null when they fit neither (a gap: wait for the next batch).
 */
export function mergePoints(
  shown: MetricPointLite[],
  from: number,
  points: MetricPointLite[],
): MetricPointLite[] | null {
  if (from === shown.length) return points.length ? [...shown, ...points] : shown;
  if (from === 0) return points;
  return null;
}

/** The last `lines` lines of a log. */
export function logTail(text: string, lines = 200): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** The idempotency token of resuming `runId` (one resume per run, however often it is clicked). */
export function resumeToken(runId: string): string {
  return `resume-${runId}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64);
}

/**
 * Where a run stands, for its outputs: its status and, while it runs, its phase (a phase ends
 * with files written: checkpoints after an evaluation, the model after exporting). An ended run
 * has one stage, whatever its phase says afterwards.
 */
export function outputsStage(run: RunRecord): string {
  return TERMINAL.has(run.status) ? run.status : `${run.status}:${run.phase}`;
}

/** The stages one run went through on this page. */
export interface StageTrail {
  runId: string;
  /** The latest stage. */
  stage: string;
  /** How many times the stage changed since the first record (0 for the first). */
  changes: number;
  /** True once the run has ended. */
  ended: boolean;
}

/** The trail after `run` is heard of: the first record of a run starts it, a new stage counts. */
export function advanceStage(trail: StageTrail | null, run: RunRecord): StageTrail {
  const stage = outputsStage(run);
  const ended = TERMINAL.has(run.status);
  if (!trail || trail.runId !== run.id) return { runId: run.id, stage, changes: 0, ended };
  if (trail.stage === stage) return trail;
  return { runId: run.id, stage, changes: trail.changes + 1, ended };
}

/** How often the outputs are listed without news of the run: only while the stream is down. */
export const OUTPUTS_FALLBACK_MS = 30_000;

/** The outputs' poll interval: none once the run ended or while the event stream is up. */
export function outputsPollMs(link: Link, ended: boolean): number | null {
  return ended || link === "sse" ? null : OUTPUTS_FALLBACK_MS;
}

/** The download link of one output file (its path relative to the run folder). */
export function outputHref(runId: string, path: string): string {
  return `/api/runs/${encodeURIComponent(runId)}/files?path=${encodeURIComponent(path)}`;
}
