import { z } from "zod";
import { Page } from "@/components/Page.tsx";
import {
  getRates,
  getRunRates,
  type RunRates,
  runRatesFromForm,
  saveRunRates,
} from "@/lib/store/rates.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  rates: RunRates & { isDefault?: boolean };
  currency: string;
  form?: Record<string, string>;
  problem?: string;
  notice?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const [rates, serving] = await Promise.all([getRunRates(), getRates()]);
    return ctx.render({
      rates,
      currency: serving.currency,
      notice: ctx.url.searchParams.get("notice")?.slice(0, 200),
    });
  },
  /** Saves edited run rates (PRG); a bad figure is named. */
  async POST(req, ctx) {
    const body = await readForm(req);
    const form: Record<string, string> = {};
    for (const [k, v] of body.entries()) if (typeof v === "string") form[k] = v.slice(0, 5000);
    try {
      await saveRunRates(runRatesFromForm(form), ctx.state.user.name);
    } catch (e) {
      if (!(e instanceof z.ZodError)) throw e;
      const i = e.issues[0];
      const [rates, serving] = await Promise.all([getRunRates(), getRates()]);
      return ctx.render({
        rates,
        currency: serving.currency,
        form,
        problem: `${i.path.join(".")}: ${i.message}`,
      }, { status: 400 });
    }
    return ctx.redirect(`/settings/run-rates?notice=${encodeURIComponent("Run rates saved.")}`);
  },
};

const INPUT = "mt-1 block rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm";

/** DBU per node-hour by node type and the price of a DBU, used for run cost estimates. */
export default function RunRatesPage({ data }: PageProps<Data>) {
  const r = data.rates;
  const lines = data.form?.node_types ??
    r.nodeTypes.map((n) => `${n.nodeType} = ${n.dbuPerHour}`).join("\n");
  return (
    <Page
      title="Run cost rates"
      crumbs={[{ label: "Settings", href: "/settings" }]}
      description="Estimates only: list prices, not your contract."
    >
      {data.notice && (
        <p role="status" class="mb-3 rounded bg-green-50 px-3 py-2 text-sm text-green-800">
          {data.notice}
        </p>
      )}
      {data.problem && (
        <p role="alert" class="mb-3 rounded bg-red-50 px-3 py-2 text-sm text-red-800">
          {data.problem}
        </p>
      )}
      <form method="post" class="grid max-w-xl gap-3">
        <label class="text-sm">
          Price of one Jobs Compute DBU ({data.currency})
          <input
            name="price_per_dbu"
            value={data.form?.price_per_dbu ?? String(r.pricePerDbu)}
            class={INPUT}
            inputMode="decimal"
          />
        </label>
        <label class="text-sm">
          DBU per hour of a node type not listed
          <input
            name="default_dbu"
            value={data.form?.default_dbu ?? String(r.defaultDbuPerHour)}
            class={INPUT}
            inputMode="decimal"
          />
        </label>
        <label class="text-sm">
          DBU per node-hour, one node type a line (<code>type = DBU/h</code>)
          <textarea name="node_types" rows={8} class={`${INPUT} w-full font-mono`}>
            {lines}
          </textarea>
        </label>
        <div>
          <button
            type="submit"
            class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white"
          >
            Save rates
          </button>
        </div>
      </form>
      <p class="mt-3 text-xs text-slate-500">
        A run costs nodes × hours × DBU/h × price. Local runs cost no DBUs and show CPU hours.
      </p>
    </Page>
  );
}
