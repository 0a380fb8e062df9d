/**
 * The run page's shared state: one module, so RunLive (which hears about the run over SSE, or
 * by polling while the stream is down) and RunOutputs (the run folder's files) read the same
 * signals — ES modules are singletons per URL, and both island bundles import this one chunk.
 *
 * Only the browser writes here (RunLive's effects and handlers); a server render reads the
 * defaults and never a run from another request.
 */
import { batch, computed, signal } from "@preact/signals";
import { advanceStage, type Link, type StageTrail } from "@/lib/training/run_live.ts";
import type { RunRecord } from "@/lib/training/schemas.ts";

export type { Link, StageTrail };

/** The watched run as last heard; null until RunLive starts watching. */
export const liveRunSig = signal<RunRecord | null>(null);
/** How RunLive hears about the run. */
export const linkSig = signal<Link>("connecting");
const trailSig = signal<StageTrail | null>(null);
/** The stages the watched run went through since the page loaded (see outputsStage). */
export const stageSig = computed(() => trailSig.value);

/** Records what was heard of the run: the record, and a new stage when it moved on. */
export function publishRun(run: RunRecord): void {
  batch(() => {
    liveRunSig.value = run;
    trailSig.value = advanceStage(trailSig.value, run);
  });
}

/** The live record of run `id`, or null when no record of it was heard yet. */
export function liveRunOf(id: string): RunRecord | null {
  const run = liveRunSig.value;
  return run && run.id === id ? run : null;
}
