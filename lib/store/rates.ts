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
