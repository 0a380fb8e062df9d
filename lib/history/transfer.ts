/**
 * Export and import of the history: events, preferences and the run records and resources the
 * analytics are computed from, as one JSON document. Import validates everything first, skips
 * events and runs whose id exists, never overwrites a preference, and says what it added.
 */
import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { type Activity, ActivitySchema, insertActivities } from "@/lib/store/activity.ts";
import { getKv } from "@/lib/store/kv.ts";
import { importPreferences, listPreferences, PreferencesSchema } from "@/lib/store/preferences.ts";
import { createRun } from "@/lib/training/records.ts";
import { RunRecordSchema } from "@/lib/training/types.ts";
import { saveResources, storedResources } from "./runs.ts";

/** Identifies the document; bump `version` when its shape changes. */
export const EXPORT_FORMAT = "lakevision-history";

const ResourcesSchema = z.object({
  peakCpuMemMb: z.number().optional(),
  peakGpuMemMb: z.number().optional(),
  imagesPerSecond: z.number().optional(),
});

/** The export document. */
export const HistoryExportSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(1),
  exportedAt: z.string(),
  events: z.array(ActivitySchema.extend({ id: z.string().regex(/^[0-9a-z]{1,12}-[0-9a-f]{8}$/) })),
  preferences: z.array(
    z.object({ user: z.string().min(1).max(320), preferences: PreferencesSchema }),
  )
    .default([]),
  runs: z.array(RunRecordSchema).default([]),
  resources: z.record(z.string(), ResourcesSchema).default({}),
});
export type HistoryExport = z.infer<typeof HistoryExportSchema>;

/** What an import did. */
export interface ImportSummary {
  added: number;
  skipped: number;
  runs: { added: number; skipped: number };
  preferences: { added: number; same: number; conflicts: string[] };
}

/** The whole history as an export document (events oldest first). */
export async function exportHistory(): Promise<HistoryExport> {
  const kv = await getKv();
  const events: Activity[] = [];
  for await (const e of kv.list({ prefix: ["activity"] })) {
    const a = ActivitySchema.safeParse(e.value);
    if (a.success) events.push(a.data);
  }
  const runs = [];
  for await (const e of kv.list({ prefix: ["training", "run"] })) {
    const r = RunRecordSchema.safeParse(e.value);
    if (r.success) runs.push(r.data);
  }
  const res = await storedResources(runs.map((r) => r.id));
  return {
    format: EXPORT_FORMAT,
    version: 1,
    exportedAt: new Date().toISOString(),
    events,
    preferences: await listPreferences(),
    runs,
    resources: Object.fromEntries(res),
  };
}

/** Validates a document; a BadRequestError says which part is wrong. */
export function parseExport(doc: unknown): HistoryExport {
  const r = HistoryExportSchema.safeParse(doc);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new BadRequestError(
    `Not a Lakevision history export: ${i.path.join(".") || "document"}: ${i.message}`,
  );
}

/** Imports a validated document. Importing the same document twice adds nothing. */
export async function importHistory(doc: HistoryExport): Promise<ImportSummary> {
  const kv = await getKv();
  const out: ImportSummary = {
    added: 0,
    skipped: 0,
    runs: { added: 0, skipped: 0 },
    preferences: { added: 0, same: 0, conflicts: [] },
  };
  out.added = await insertActivities(doc.events);
  out.skipped = doc.events.length - out.added;
  for (const r of doc.runs) {
    const exists = (await kv.get(["training", "run", r.id])).value !== null;
    const ok = !exists && !(await createRun(r)).existing;
    if (ok) out.runs.added++;
    else out.runs.skipped++;
  }
  const have = await storedResources(Object.keys(doc.resources));
  for (const [id, res] of Object.entries(doc.resources)) {
    if (!have.has(id)) await saveResources(id, res);
  }
  for (const p of doc.preferences) {
    const r = await importPreferences(p);
    if (r === "added") out.preferences.added++;
    else if (r === "same") out.preferences.same++;
    else out.preferences.conflicts.push(p.user);
  }
  return out;
}
