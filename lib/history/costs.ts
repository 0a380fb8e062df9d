/**
 * Cost tracking: estimated DBUs and money per run, per endpoint and per user per month. Runs use
 * the run rates (DBU per node-hour), endpoints the serving rates (lib/serving/cost.ts); local
 * runs and endpoints cost CPU hours, not money. Every figure is an estimate.
 */
import { type CostEstimate, estimateCost } from "@/lib/serving/cost.ts";
import { queryActivity } from "@/lib/store/activity.ts";
import { getRates } from "@/lib/store/rates.ts";
import type { Endpoint, Workspace } from "@/lib/workspace/types.ts";
import type { RunFacts } from "./runs.ts";

/** One endpoint's estimate with who created it. */
export interface EndpointCost {
  name: string;
  owner: string;
  cost: CostEstimate;
}

/** One user's month. */
export interface UserMonth {
  user: string;
  /** YYYY-MM (UTC). */
  month: string;
  runs: number;
  dbu: number;
  money: number;
  gpuHours: number;
  cpuHours: number;
  endpointMoney: number;
  endpointCpuHours: number;
}

/** Endpoint estimates; an unreachable serving API yields an empty list and its message. */
export async function endpointCosts(
  ws: Workspace,
  now = Date.now(),
): Promise<{ rows: EndpointCost[]; error?: string; currency: string }> {
  const rates = await getRates();
  let eps: Endpoint[];
  try {
    eps = await ws.serving.list();
  } catch (e) {
    return {
      rows: [],
      error: e instanceof Error ? e.message : String(e),
      currency: rates.currency,
    };
  }
  const rows: EndpointCost[] = [];
  for (const e of eps) {
    const created = await queryActivity({
      type: "endpoint",
      text: `endpoint:${e.name}`,
      limit: 50,
    });
    const first = created.items.findLast((a) => a.what === "created endpoint");
    rows.push({ name: e.name, owner: first?.who ?? "unknown", cost: estimateCost(e, rates, now) });
  }
  return { rows: rows.sort((a, b) => a.name.localeCompare(b.name)), currency: rates.currency };
}

const month = (ms: number) => new Date(ms).toISOString().slice(0, 7);

/** Hours of [from, to) falling in each UTC month. */
export function hoursByMonth(from: number, to: number): Map<string, number> {
  const out = new Map<string, number>();
  let t = from;
  while (t < to) {
    const d = new Date(t);
    const next = Math.min(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1), to);
    out.set(month(t), (out.get(month(t)) ?? 0) + (next - t) / 3_600_000);
    t = next;
  }
  return out;
}

/** Per user per month: runs by launch month, endpoints by the months they were up. */
export function costsByUserMonth(
  runs: RunFacts[],
  endpoints: EndpointCost[],
  now = Date.now(),
): UserMonth[] {
  const rows = new Map<string, UserMonth>();
  const row = (user: string, m: string) => {
    const k = `${user}\u0000${m}`;
    let r = rows.get(k);
    if (!r) {
      r = {
        user,
        month: m,
        runs: 0,
        dbu: 0,
        money: 0,
        gpuHours: 0,
        cpuHours: 0,
        endpointMoney: 0,
        endpointCpuHours: 0,
      };
      rows.set(k, r);
    }
    return r;
  };
  for (const f of runs) {
    const r = row(f.createdBy, month(f.createdAt));
    r.runs++;
    r.dbu += f.dbu ?? 0;
    r.money += f.cost ?? 0;
    r.gpuHours += f.gpuHours;
    r.cpuHours += f.cpuHours;
  }
  for (const e of endpoints) {
    if (!e.cost.since) continue;
    for (const [m, h] of hoursByMonth(e.cost.since, now)) {
      const r = row(e.owner, m);
      if (e.cost.kind === "money") r.endpointMoney += (e.cost.perHour ?? 0) * h;
      else r.endpointCpuHours += h * Math.max(1, e.cost.entities.length);
    }
  }
  return [...rows.values()].sort((a, b) =>
    b.month.localeCompare(a.month) || a.user.localeCompare(b.user)
  );
}
