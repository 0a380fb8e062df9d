/**
 * Cost estimates of an endpoint: DBU per hour from each served entity's workload type and size
 * (rates from lib/store/rates.ts, editable), times the hours the endpoint has been up. Every
 * figure is an estimate: the rates are list-price guesses, scale-to-zero makes the hours an upper
 * bound, and the current config is assumed to have run since creation. Local endpoints cost no
 * money; they report the CPU hours they held instead. Browser-safe (no Deno APIs).
 */
import type { ServingRates } from "@/lib/store/rates.ts";
import type { Endpoint } from "@/lib/workspace/types.ts";

/** Hours in an average month (365 × 24 / 12), for the "if always on" projection. */
export const HOURS_PER_MONTH = 730;

/** One served entity's share of the estimate. */
export interface EntityCost {
  name: string;
  model: string;
  version: string;
  workloadSize: string;
  workloadType: string;
  scaleToZero: boolean;
  /** null when the rates have no figure for this type/size. */
  dbuPerHour: number | null;
}

/** What the page and CLI show. */
export interface CostEstimate {
  /** `money` for Model Serving, `cpu` for an endpoint the app serves itself. */
  kind: "money" | "cpu";
  /** Since creation (or the earliest time known). */
  since?: number;
  hoursUp: number;
  /** True when scale-to-zero (or idle unload) may have stopped the meter part of the time. */
  upperBound: boolean;
  entities: EntityCost[];
  /** Sum over entities (null when any is unknown). */
  dbuPerHour: number | null;
  currency: string;
  perHour: number | null;
  /** Always-on projection over HOURS_PER_MONTH hours. */
  perMonth: number | null;
  /** perHour × hoursUp. */
  total: number | null;
  /** Local: endpoint hours × served models (each holds a loaded model). */
  cpuHours?: number;
  notes: string[];
}

/** The estimate for one endpoint at `now`. */
export function estimateCost(e: Endpoint, rates: ServingRates, now = Date.now()): CostEstimate {
  const since = e.createdAt ?? e.updatedAt;
  const hoursUp = since ? Math.max(0, now - since) / 3_600_000 : 0;
  const entities: EntityCost[] = e.entities.map((s) => {
    const size = String(s.workloadSize ?? "Small");
    const type = String(s.workloadType ?? "CPU");
    const row = (rates.dbuPerHour as Record<string, Record<string, number>>)[type];
    const rate = row?.[size];
    return {
      name: s.name ?? `${s.model}-${s.version}`,
      model: s.model,
      version: s.version,
      workloadSize: size,
      workloadType: type,
      scaleToZero: !!s.scaleToZero,
      dbuPerHour: typeof rate === "number" ? rate : null,
    };
  });
  const notes: string[] = [];
  if (e.runtime) {
    const upperBound = entities.some((x) => x.scaleToZero) || !!e.runtime.idleUnloadMinutes;
    if (upperBound) {
      notes.push("The model unloads when idle, so it held the CPU for at most this long.");
    }
    notes.push("Served by this app on its own CPU: no Model Serving charges.");
    return {
      kind: "cpu",
      since,
      hoursUp,
      upperBound,
      entities,
      dbuPerHour: null,
      currency: rates.currency,
      perHour: null,
      perMonth: null,
      total: null,
      cpuHours: hoursUp * Math.max(1, entities.length),
      notes,
    };
  }
  const unknown = entities.filter((x) => x.dbuPerHour === null);
  for (const u of unknown) {
    notes.push(
      `No rate for ${u.workloadType} ${u.workloadSize} (${u.name}); add one in Settings → Cost rates.`,
    );
  }
  const dbuPerHour = unknown.length ? null : entities.reduce((a, x) => a + (x.dbuPerHour ?? 0), 0);
  const perHour = dbuPerHour === null ? null : dbuPerHour * rates.pricePerDbu;
  const upperBound = entities.some((x) => x.scaleToZero);
  if (upperBound) {
    notes.push(
      "Scale-to-zero is on: the endpoint is not billed while scaled to zero, so this is an upper bound (each restart from zero adds a small launch charge).",
    );
  }
  if (e.updatedAt && e.createdAt && e.updatedAt > e.createdAt) {
    notes.push("Assumes the current configuration ran since the endpoint was created.");
  }
  return {
    kind: "money",
    since,
    hoursUp,
    upperBound,
    entities,
    dbuPerHour,
    currency: rates.currency,
    perHour,
    perMonth: perHour === null ? null : perHour * HOURS_PER_MONTH,
    total: perHour === null ? null : perHour * hoursUp,
    notes,
  };
}

/** Money as "USD 12.34" (two decimals; four below one cent so small rates do not read as 0). */
export function formatMoney(v: number | null, currency: string): string {
  if (v === null || !Number.isFinite(v)) return "—";
  const digits = v !== 0 && Math.abs(v) < 0.01 ? 4 : 2;
  return `${currency} ${
    v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
  }`;
}

/** Hours as "3.2 h" (one decimal; minutes below an hour). */
export function formatHours(h: number): string {
  if (h < 1) return `${Math.round(h * 60)} min`;
  return `${h.toFixed(1)} h`;
}
