/**
 * The rates endpoint cost estimates use, kept in KV and edited on /settings/rates. The defaults
 * are plausible public list-price figures for Model Serving (serverless real-time inference),
 * not anyone's contract: every page that shows a figure calls it an estimate.
 *
 * Key: ["settings","serving_rates"] → ServingRates.
 */
import { z } from "zod";
import { WORKLOAD_SIZES, WORKLOAD_TYPES } from "@/lib/workspace/types.ts";
import { logActivity } from "./activity.ts";
import { getKv } from "./kv.ts";

const figure = (max: number) =>
  z.number({ error: "must be a number" }).min(0, "must be 0 or more")
    .max(max, `must be at most ${max.toLocaleString("en-US")}`);
const PerSize = z.object({
  Small: figure(100_000),
  Medium: figure(100_000),
  Large: figure(100_000),
});

/** DBU per hour for each workload type and size, and the price of one DBU. */
export const ServingRatesSchema = z.object({
  /** ISO 4217 code shown beside money figures. */
  currency: z.string().regex(/^[A-Z]{3}$/, "a three-letter currency code such as USD"),
  /** Price of one DBU of serverless real-time inference. */
  pricePerDbu: figure(1000),
  dbuPerHour: z.object({
    CPU: PerSize,
    GPU_SMALL: PerSize,
    GPU_MEDIUM: PerSize,
    GPU_LARGE: PerSize,
  }),
  updatedAt: z.number().optional(),
  updatedBy: z.string().optional(),
});
export type ServingRates = z.infer<typeof ServingRatesSchema>;

/**
 * Defaults: $0.07 per DBU (the published AWS list price of serverless real-time inference);
 * CPU at about 1 DBU/h per provisioned concurrency (Small 4, Medium 16, Large 64); GPU per
 * instance T4 ≈ 10.48, A10G ≈ 20, A100 ≈ 135 DBU/h, Medium and Large provisioning 4× and 16×
 * the instances of Small. Editable estimates, not contract prices.
 */
export const DEFAULT_RATES: ServingRates = {
  currency: "USD",
  pricePerDbu: 0.07,
  dbuPerHour: {
    CPU: { Small: 4, Medium: 16, Large: 64 },
    GPU_SMALL: { Small: 10.48, Medium: 41.92, Large: 167.68 },
    GPU_MEDIUM: { Small: 20, Medium: 80, Large: 320 },
    GPU_LARGE: { Small: 135, Medium: 540, Large: 2160 },
  },
};

const KEY = ["settings", "serving_rates"];

/** The rates in use: the saved ones, else the defaults (a damaged record falls back too). */
export async function getRates(): Promise<ServingRates & { isDefault: boolean }> {
  const kv = await getKv();
  const r = ServingRatesSchema.safeParse((await kv.get(KEY)).value);
  return r.success ? { ...r.data, isDefault: false } : { ...DEFAULT_RATES, isDefault: true };
}

/** Saves edited rates (validated by the caller's schema parse); logged. */
export async function saveRates(rates: ServingRates, who: string): Promise<ServingRates> {
  const full = ServingRatesSchema.parse({ ...rates, updatedAt: Date.now(), updatedBy: who });
  const kv = await getKv();
  await kv.set(KEY, full);
  await logActivity({
    who,
    what: "edited cost rates",
    subject: "settings:serving_rates",
    details: { currency: full.currency, pricePerDbu: full.pricePerDbu },
  });
  return full;
}

/** Back to the defaults; logged. */
export async function resetRates(who: string): Promise<void> {
  const kv = await getKv();
  await kv.delete(KEY);
  await logActivity({ who, what: "reset cost rates", subject: "settings:serving_rates" });
}

/** Rates from a flat form (`price_per_dbu`, `currency`, `dbu.<TYPE>.<Size>`); zod errors name the field. */
export function ratesFromForm(form: Record<string, string>): ServingRates {
  const dbuPerHour = Object.fromEntries(
    WORKLOAD_TYPES.map((t) => [
      t,
      Object.fromEntries(WORKLOAD_SIZES.map((s) => [s, num(form[`dbu.${t}.${s}`])])),
    ]),
  );
  return ServingRatesSchema.parse({
    currency: (form.currency ?? "").trim().toUpperCase(),
    pricePerDbu: num(form.price_per_dbu),
    dbuPerHour,
  });
}

function num(v: string | undefined): number {
  const s = (v ?? "").trim();
  return s === "" ? NaN : Number(s);
}

/**
 * Rates for training runs on Databricks: DBU per node-hour by node type (a run costs
 * nodes × hours × DBU/h × price), with a fallback for node types not listed. Local runs cost
 * no DBUs; they are shown in CPU (or GPU) hours.
 *
 * Key: ["settings","run_rates"] → RunRates.
 */
export const RunRatesSchema = z.object({
  /** Price of one DBU of Jobs Compute (currency: the serving rates' currency). */
  pricePerDbu: figure(1000),
  /** DBU per hour of a node type not listed below. */
  defaultDbuPerHour: figure(10_000),
  nodeTypes: z.array(z.object({
    nodeType: z.string().trim().min(1).max(100),
    dbuPerHour: figure(10_000),
  })).max(50),
  updatedAt: z.number().optional(),
  updatedBy: z.string().optional(),
});
export type RunRates = z.infer<typeof RunRatesSchema>;

/**
 * Defaults: $0.15 per DBU (AWS list price of Jobs Compute, Premium) and the published DBU/h of
 * common GPU instances (g4dn.xlarge T4 ≈ 0.71 … p4d.24xlarge A100 ≈ 26.7). Estimates.
 */
export const DEFAULT_RUN_RATES: RunRates = {
  pricePerDbu: 0.15,
  defaultDbuPerHour: 2,
  nodeTypes: [
    { nodeType: "g4dn.xlarge", dbuPerHour: 0.71 },
    { nodeType: "g4dn.12xlarge", dbuPerHour: 5.5 },
    { nodeType: "g5.xlarge", dbuPerHour: 1.07 },
    { nodeType: "g5.12xlarge", dbuPerHour: 7.5 },
    { nodeType: "p3.2xlarge", dbuPerHour: 4.15 },
    { nodeType: "p4d.24xlarge", dbuPerHour: 26.7 },
    { nodeType: "Standard_NC4as_T4_v3", dbuPerHour: 0.75 },
    { nodeType: "Standard_NC24ads_A100_v4", dbuPerHour: 6.5 },
  ],
};

const RUN_KEY = ["settings", "run_rates"];

/** The run rates in use: the saved ones, else the defaults. */
export async function getRunRates(): Promise<RunRates & { isDefault: boolean }> {
  const kv = await getKv();
  const r = RunRatesSchema.safeParse((await kv.get(RUN_KEY)).value);
  return r.success ? { ...r.data, isDefault: false } : { ...DEFAULT_RUN_RATES, isDefault: true };
}

/** Saves edited run rates; logged. */
export async function saveRunRates(rates: RunRates, who: string): Promise<RunRates> {
  const full = RunRatesSchema.parse({ ...rates, updatedAt: Date.now(), updatedBy: who });
  const kv = await getKv();
  await kv.set(RUN_KEY, full);
  await logActivity({
    who,
    what: "edited run cost rates",
    subject: "settings:run_rates",
    details: { pricePerDbu: full.pricePerDbu },
  });
  return full;
}

/** Run rates from a form: `price_per_dbu`, `default_dbu`, and `node_types` lines "type = DBU/h". */
export function runRatesFromForm(form: Record<string, string>): RunRates {
  const nodeTypes = (form.node_types ?? "").split("\n").map((l) => l.trim()).filter(Boolean)
    .map((l) => {
      const [t, v] = l.split("=").map((s) => s.trim());
      return { nodeType: t ?? "", dbuPerHour: num(v) };
    });
  return RunRatesSchema.parse({
    pricePerDbu: num(form.price_per_dbu),
    defaultDbuPerHour: num(form.default_dbu),
    nodeTypes,
  });
}
