/**
 * Two versions side by side: headline and per-class metrics (as frozen at registration) with
 * deltas, and the field-level diff between the config versions that trained them.
 */
import { diffConfigs, type FieldChange } from "@/lib/config/diff.ts";
import type { ConfigDoc } from "@/lib/config/schema.ts";
import { readVersionMetrics, type VersionMetrics } from "./browse.ts";
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
  };
}
