/**
 * Retention: events older than the configured number of days are pruned by a background timer
 * (never on a request). 0 days keeps everything.
 *
 * Key: ["settings","history_retention"] → { days, updatedAt, updatedBy }.
 */
import { z } from "zod";
import { logActivity, pruneActivity } from "@/lib/store/activity.ts";
import { getKv } from "@/lib/store/kv.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { runBus } from "@/lib/training/records.ts";
import { harvestOnFinish, harvestResources } from "./runs.ts";

/** Days kept; 0 = forever. */
export const RetentionSchema = z.object({
  days: z.coerce.number().int("a whole number of days").min(0, "0 or more")
    .max(36_500, "at most 36,500"),
  updatedAt: z.number().optional(),
  updatedBy: z.string().optional(),
});
export type Retention = z.infer<typeof RetentionSchema>;

const KEY = ["settings", "history_retention"];
/** The default: keep two years. */
export const DEFAULT_RETENTION_DAYS = 730;
const HOUR = 3_600_000;

/** The retention in force. */
export async function getRetention(): Promise<Retention> {
  const r = RetentionSchema.safeParse((await (await getKv()).get(KEY)).value);
  return r.success ? r.data : { days: DEFAULT_RETENTION_DAYS };
}

/** Saves a new retention (pruning happens in the background); logged. */
export async function saveRetention(days: number, who: string): Promise<Retention> {
  const full = RetentionSchema.parse({ days, updatedAt: Date.now(), updatedBy: who });
  await (await getKv()).set(KEY, full);
  await logActivity({
    who,
    what: "changed history retention",
    subject: "settings:history_retention",
    details: { days },
  });
  return full;
}

/** One pass: prunes expired events; returns how many went. */
export async function pruneOnce(now = Date.now()): Promise<number> {
  const { days } = await getRetention();
  if (!days) return 0;
  return await pruneActivity(now - days * 24 * HOUR);
}

/**
 * Starts the background work of the history: pruning (a minute after start, then hourly) and
 * copying run resources out of status.json — each run's as it ends, and any left over on the
 * same timer. Returns a stop function; the timer never keeps the process alive.
 */
export function startHistoryMaintenance(ws: Workspace, everyMs = HOUR): () => void {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await pruneOnce();
      await harvestResources(ws);
    } catch (e) {
      console.error(`history maintenance: ${e instanceof Error ? e.message : e}`);
    } finally {
      busy = false;
    }
  };
  const first = setTimeout(tick, 60_000);
  const timer = setInterval(tick, everyMs);
  Deno.unrefTimer(first);
  Deno.unrefTimer(timer);
  const stopHarvest = harvestOnFinish(ws, runBus);
  return () => {
    clearTimeout(first);
    clearInterval(timer);
    stopHarvest();
  };
}
