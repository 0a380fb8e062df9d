/**
 * Events for actions that happen on page views or API calls (an evaluation computed, a report
 * downloaded, an inference session in the Playground): logged once per person and subject per
 * half hour, so reloading a page does not flood the timeline.
 */
import { logActivity } from "@/lib/store/activity.ts";

const SESSION_MS = 30 * 60_000;
const seen = new Map<string, number>();

async function once(who: string, what: string, subject: string, details = {}): Promise<boolean> {
  const k = `${who}\u0000${what}\u0000${subject}`;
  const now = Date.now();
  if ((seen.get(k) ?? 0) > now - SESSION_MS) return false;
  seen.set(k, now);
  if (seen.size > 10_000) seen.clear();
  await logActivity({ who, what, subject, details });
  return true;
}

/** A run's evaluation was computed for `who`. */
export function noteEvaluation(who: string, runId: string): Promise<boolean> {
  return once(who, "ran evaluation", `evaluation:${runId}`);
}

/** `who` downloaded an evaluation report of `runs` in `format`. */
export function noteReport(who: string, runs: string[], format: string): Promise<boolean> {
  return once(who, "exported report", `report:${runs.join(",")}`, { format });
}

/** Where a Playground session ran its model: in the browser, or on a serving endpoint. */
export type InferenceBackend = "wasm" | "webgpu" | "endpoint";

/**
 * `who` ran `model` (a Playground choice key: `version:<name>:<n>`, `run:<id>`,
 * `endpoint:<name>`) from the Playground on `backend`: one event per session, whichever backend
 * ran first in it; the backend is in the details.
 */
export function noteInferenceSession(
  who: string,
  model: string,
  backend: InferenceBackend,
): Promise<boolean> {
  return once(who, "started inference session", `inference:${model}`, { backend });
}

/** Forgets the sessions seen (tests). */
export function resetSessions(): void {
  seen.clear();
}
