import { z } from "zod";
import { Page } from "@/components/Page.tsx";
import { BUTTON, BUTTON2, Notice, When } from "@/components/registry/parts.tsx";
import { HOURS_PER_MONTH } from "@/lib/serving/cost.ts";
import {
  DEFAULT_RATES,
  getRates,
  ratesFromForm,
  resetRates,
  saveRates,
  type ServingRates,
} from "@/lib/store/rates.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";
import { WORKLOAD_SIZES, WORKLOAD_TYPES } from "@/lib/workspace/types.ts";

interface Data {
  rates: ServingRates & { isDefault?: boolean };
  /** Values as sent, when the form had an error. */
  form?: Record<string, string>;
  /** Field name → problem. */
  problems: Record<string, string>;
  notice?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    return ctx.render({
      rates: await getRates(),
      problems: {},
      notice: ctx.url.searchParams.get("notice")?.slice(0, 200),
    });
  },
  /** Saves the edited rates, or resets them (PRG); a bad figure is shown next to its field. */
  async POST(req, ctx) {
    const body = await readForm(req);
    const form: Record<string, string> = {};
    for (const [k, v] of body.entries()) if (typeof v === "string") form[k] = v.slice(0, 100);
    const who = ctx.state.user.name;
    if (form.action === "reset") {
      await resetRates(who);
      return ctx.redirect(
        `/settings/rates?notice=${encodeURIComponent("Rates reset to the defaults.")}`,
      );
    }
    try {
      await saveRates(ratesFromForm(form), who);
    } catch (e) {
      if (!(e instanceof z.ZodError)) throw e;
      const problems: Record<string, string> = {};
      for (const i of e.issues) {
        const p = i.path.map(String);
        const field = p[0] === "dbuPerHour"
          ? `dbu.${p[1]}.${p[2]}`
          : p[0] === "pricePerDbu"
          ? "price_per_dbu"
          : p[0];
        problems[field] = i.message;
      }
      return ctx.render({ rates: await getRates(), form, problems }, { status: 400 });
    }
    return ctx.redirect(`/settings/rates?notice=${encodeURIComponent("Rates saved.")}`);
  },
};

/** The Model Serving rates cost estimates use: editable estimates, not contract prices. */
export default function RatesPage({ data }: PageProps<Data>) {
  const r = data.rates;
  const val = (k: string, v: number | string) => data.form?.[k] ?? String(v);
  const bad = Object.keys(data.problems).length > 0;
  const cell = (k: string, v: number) => (
    <td class="px-2 py-1">
      <input
        name={k}
        aria-label={k.replace("dbu.", "DBU per hour, ").replace(".", " ")}
        inputMode="decimal"
        value={val(k, v)}
        class={field(!!data.problems[k])}
        aria-invalid={data.problems[k] ? "true" : undefined}
        title={data.problems[k]}
      />
      {data.problems[k] && <span class="block text-xs text-red-700">{data.problems[k]}</span>}
    </td>
  );
  return (
    <Page
      title="Cost rates"
      crumbs={[{ label: "Settings", href: "/settings" }]}
      description="The rates the Deployment pages use to estimate what an endpoint costs. They are editable estimates, not your contract prices."
    >
      <Notice text={data.notice} />
      {bad && <Notice text="Some figures are not valid; see the marked fields." tone="red" />}
      <form
        method="post"
        class="rounded-lg border border-slate-200 bg-white p-4 space-y-4 max-w-3xl"
      >
        <p class="text-sm text-slate-600">
          {r.isDefault
            ? "These are the defaults: plausible public list prices for Model Serving (serverless real-time inference). Replace them with your own."
            : (
              <>
                Last changed <When ms={r.updatedAt} /> by {r.updatedBy ?? "—"}.
              </>
            )}{" "}
          Estimates multiply DBU per hour by the price per DBU and the hours an endpoint is up
          ({HOURS_PER_MONTH} h for a month always on); scale-to-zero makes them upper bounds.
        </p>
        <div class="flex flex-wrap gap-4">
          <label class="text-sm">
            <span class="block text-slate-700 mb-1">Price per DBU</span>
            <input
              name="price_per_dbu"
              inputMode="decimal"
              value={val("price_per_dbu", r.pricePerDbu)}
              class={field(!!data.problems.price_per_dbu)}
              aria-invalid={data.problems.price_per_dbu ? "true" : undefined}
            />
            {data.problems.price_per_dbu && (
              <span class="block text-xs text-red-700">{data.problems.price_per_dbu}</span>
            )}
          </label>
          <label class="text-sm">
            <span class="block text-slate-700 mb-1">Currency</span>
            <input
              name="currency"
              value={val("currency", r.currency)}
              maxLength={3}
              class={`${field(!!data.problems.currency)} uppercase`}
              aria-invalid={data.problems.currency ? "true" : undefined}
            />
            {data.problems.currency && (
              <span class="block text-xs text-red-700">{data.problems.currency}</span>
            )}
          </label>
        </div>
        <table class="text-sm" aria-label="DBU per hour">
          <caption class="text-left text-slate-700 mb-1">DBU per hour (estimate)</caption>
          <thead>
            <tr class="text-left text-slate-600">
              <th class="px-2 py-1 font-medium">Workload type</th>
              {WORKLOAD_SIZES.map((s) => <th key={s} class="px-2 py-1 font-medium">{s}</th>)}
            </tr>
          </thead>
          <tbody>
            {WORKLOAD_TYPES.map((t) => (
              <tr key={t} class="border-t border-slate-100">
                <th scope="row" class="px-2 py-1 text-left font-mono text-xs font-normal">{t}</th>
                {WORKLOAD_SIZES.map((s) => cell(`dbu.${t}.${s}`, r.dbuPerHour[t][s]))}
              </tr>
            ))}
          </tbody>
        </table>
        <p class="text-xs text-slate-500">
          Defaults: {DEFAULT_RATES.currency} {DEFAULT_RATES.pricePerDbu} per DBU; CPU Small{" "}
          {DEFAULT_RATES.dbuPerHour.CPU.Small} DBU/h, GPU_SMALL Small{" "}
          {DEFAULT_RATES.dbuPerHour.GPU_SMALL.Small}{" "}
          DBU/h. Local endpoints cost no money; they show CPU hours.
        </p>
        <div class="flex gap-2">
          <button type="submit" name="action" value="save" class={BUTTON}>Save rates</button>
          <button type="submit" name="action" value="reset" class={BUTTON2} formNoValidate>
            Reset to defaults
          </button>
        </div>
      </form>
    </Page>
  );
}

/** A short number field, red when its figure is not valid. */
function field(bad: boolean): string {
  return `w-28 rounded-md border px-2 py-1.5 text-sm bg-white tabular-nums ${
    bad ? "border-red-500 ring-1 ring-red-300" : "border-slate-300"
  }`;
}
