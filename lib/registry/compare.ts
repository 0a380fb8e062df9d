/**
 * Two versions side by side: headline and per-class metrics (as frozen at registration) with
 * deltas, and what trained them differently: the field-level diff between their config versions
 * and the launch overrides of their runs (step and epoch limits, the run resumed, compute).
 */
import { diffConfigs, type FieldChange } from "@/lib/config/diff.ts";
import type { ConfigDoc } from "@/lib/config/schema.ts";
import { getRun } from "@/lib/training/records.ts";
import { readVersionMetrics, type VersionMetrics } from "./browse.ts";
import { launchFromTags, type LaunchSettings, launchSettings } from "./launch_settings.ts";
import { normalizeModelName } from "./names.ts";
import type { RegistryContext } from "./register.ts";

/** One metric of both versions; delta = b − a. */
export interface MetricDelta {
  key: string;
  label: string;
  a: number | null;
  b: number | null;
  delta: number | null;
}

/** The comparison the page shows. */
export interface VersionComparison {
  name: string;
  a: string;
  b: string;
  headline: MetricDelta[];
  classMetric?: string;
  classes: MetricDelta[];
  config: {
    a?: { name: string; version: number };
    b?: { name: string; version: number };
    changes: FieldChange[] | null;
    /** Why no diff is shown. */
    note?: string;
  };
  /**
   * Launch overrides that differ (`launch.max_epochs`, …), null unless both versions' runs are
   * known; an override only one run had is added or removed.
   */
  launch: FieldChange[] | null;
}

/** The field each launch setting is shown as, in this order. */
const LAUNCH_FIELDS: [keyof LaunchSettings, string][] = [
  ["maxEpochs", "launch.max_epochs"],
  ["maxSteps", "launch.max_steps"],
  ["resumedFrom", "launch.resumed_from"],
  ["compute", "launch.compute"],
];

/** The launch overrides that differ between two runs. */
export function diffLaunch(a: LaunchSettings, b: LaunchSettings): FieldChange[] {
  const out: FieldChange[] = [];
  for (const [k, path] of LAUNCH_FIELDS) {
    const x = a[k], y = b[k];
    if (x === y) continue;
    if (x === undefined) out.push({ path, kind: "added", after: y });
    else if (y === undefined) out.push({ path, kind: "removed", before: x });
    else out.push({ path, kind: "changed", before: x, after: y });
  }
  return out;
}

/** A version's launch settings: its tags, else its run's record or run folder. */
async function versionLaunch(
  ctx: RegistryContext,
  tags: Record<string, string>,
): Promise<LaunchSettings | null> {
  const tagged = launchFromTags(tags);
  if (tagged) return tagged;
  const runId = tags["lakevision.run_id"];
  const record = runId ? await getRun(runId).catch(() => undefined) : undefined;
  const runDir = record?.runDir ?? tags["lakevision.run_dir"];
  if (!runDir) return null;
  return await launchSettings(ctx.ws, runDir, record);
}

/** Reads a config version's document (the route passes the config store's). */
export type ConfigReader = (name: string, version: number) => Promise<{ doc: unknown }>;

const num = (v: number | null | undefined) => (v === null || v === undefined || v < 0 ? null : v);

function deltas(
  a: { key: string; label: string; value: number | null }[],
  b: { key: string; label: string; value: number | null }[],
): MetricDelta[] {
  const keys = [...new Set([...a.map((x) => x.key), ...b.map((x) => x.key)])];
  return keys.map((key) => {
    const x = a.find((h) => h.key === key), y = b.find((h) => h.key === key);
    const va = num(x?.value), vb = num(y?.value);
    return {
      key,
      label: x?.label ?? y?.label ?? key,
      a: va,
      b: vb,
      delta: va !== null && vb !== null ? vb - va : null,
    };
  });
}

function configOf(tags: Record<string, string>) {
  const name = tags["lakevision.config"], v = Number(tags["lakevision.config_version"]);
  return name && Number.isInteger(v) && v > 0 ? { name, version: v } : undefined;
}

/** Compares version `a` (the baseline) with version `b` of model `name`. */
export async function compareVersions(
  ctx: RegistryContext,
  name: string,
  a: string,
  b: string,
  readConfig?: ConfigReader,
): Promise<VersionComparison> {
  const n = normalizeModelName(name);
  const [va, vb, ma, mb] = await Promise.all([
    ctx.ws.registry.getVersion(n, a),
    ctx.ws.registry.getVersion(n, b),
    readVersionMetrics(ctx, n, a),
    readVersionMetrics(ctx, n, b),
  ]);
  const head = (m: VersionMetrics | null) =>
    (m?.headline ?? []).map((h) => ({ key: h.key, label: h.label, value: h.value }));
  const cls = (m: VersionMetrics | null) =>
    (m?.classes ?? []).map((c) => ({ key: c.name, label: c.name, value: c.value }));
  const ca = configOf(va.tags), cb = configOf(vb.tags);
  const [la, lb] = await Promise.all([versionLaunch(ctx, va.tags), versionLaunch(ctx, vb.tags)]);
  let changes: FieldChange[] | null = null;
  let note: string | undefined;
  if (!ca || !cb) {
    note = "One of the versions has no config lineage (imported, or registered " +
      "outside Lakevision).";
  } else if (!readConfig) note = "Config versions are not readable here.";
  else {
    try {
      const [da, db] = await Promise.all([
        readConfig(ca.name, ca.version),
        readConfig(cb.name, cb.version),
      ]);
      changes = diffConfigs(da.doc as ConfigDoc, db.doc as ConfigDoc);
    } catch (e) {
      note = `The config versions could not be read (${(e as Error).message}).`;
    }
  }
  return {
    name: n,
    a: va.version,
    b: vb.version,
    headline: deltas(head(ma), head(mb)),
    classMetric: ma?.classMetric ?? mb?.classMetric,
    classes: deltas(cls(ma), cls(mb)),
    config: { a: ca, b: cb, changes, note },
    launch: la && lb ? diffLaunch(la, lb) : null,
  };
}
