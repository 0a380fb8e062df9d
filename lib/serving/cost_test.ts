/** Cost estimates: DBU × price × hours, upper bounds with scale-to-zero, CPU hours locally. */
import { assertClose, assertEquals, assertStringIncludes } from "@/tests/assert.ts";
import { DEFAULT_RATES, ratesFromForm, type ServingRates } from "@/lib/store/rates.ts";
import type { Endpoint } from "@/lib/workspace/types.ts";
import { estimateCost, formatHours, formatMoney, HOURS_PER_MONTH } from "./cost.ts";

const H = 3_600_000;
const NOW = 1_700_000_000_000;
const RATES: ServingRates = {
  ...DEFAULT_RATES,
  pricePerDbu: 0.1,
  dbuPerHour: { ...DEFAULT_RATES.dbuPerHour, CPU: { Small: 2, Medium: 8, Large: 32 } },
};

function ep(over: Partial<Endpoint>): Endpoint {
  return {
    name: "e",
    state: "READY",
    createdAt: NOW - 10 * H,
    entities: [{ model: "m.s.x", version: "1", workloadSize: "Small", workloadType: "CPU" }],
    ...over,
  };
}

Deno.test("[serving cost] CPU Small for 10 hours at 2 DBU/h and 0.10 per DBU is 2.00", () => {
  const c = estimateCost(ep({}), RATES, NOW);
  assertEquals(c.kind, "money");
  assertClose(c.hoursUp, 10, 1e-9);
  assertEquals(c.dbuPerHour, 2);
  assertClose(c.perHour!, 0.2, 1e-12);
  assertClose(c.total!, 2, 1e-9);
  assertClose(c.perMonth!, 0.2 * HOURS_PER_MONTH, 1e-9);
  assertEquals(c.upperBound, false);
  assertEquals(formatMoney(c.total, c.currency), "USD 2.00");
});

Deno.test("[serving cost] an A/B split adds both entities; scale-to-zero makes it an upper bound", () => {
  const c = estimateCost(
    ep({
      entities: [
        { model: "m.s.x", version: "1", workloadSize: "Medium", workloadType: "CPU" },
        {
          model: "m.s.x",
          version: "2",
          workloadSize: "Small",
          workloadType: "GPU_SMALL",
          scaleToZero: true,
        },
      ],
    }),
    RATES,
    NOW,
  );
  assertClose(c.dbuPerHour!, 8 + 10.48, 1e-9);
  assertClose(c.total!, (8 + 10.48) * 0.1 * 10, 1e-9);
  assertEquals(c.upperBound, true);
  assertStringIncludes(c.notes.join(" "), "upper bound");
});

Deno.test("[serving cost] an unknown workload type has no figure and says where to add one", () => {
  const c = estimateCost(
    ep({ entities: [{ model: "m.s.x", version: "1", workloadType: "MULTIGPU_MEDIUM" }] }),
    RATES,
    NOW,
  );
  assertEquals([c.dbuPerHour, c.perHour, c.total], [null, null, null]);
  assertStringIncludes(c.notes[0], "No rate for MULTIGPU_MEDIUM Small");
  assertEquals(formatMoney(c.total, "USD"), "—");
});

Deno.test("[serving cost] a local endpoint shows CPU hours and no money", () => {
  const c = estimateCost(
    ep({
      runtime: { loaded: true, provider: "cpu", idleUnloadMinutes: 15 },
      entities: [
        { model: "m.s.x", version: "1", trafficPercent: 50 },
        { model: "m.s.x", version: "2", trafficPercent: 50 },
      ],
    }),
    RATES,
    NOW,
  );
  assertEquals(c.kind, "cpu");
  assertEquals([c.perHour, c.total, c.perMonth], [null, null, null]);
  assertClose(c.cpuHours!, 20, 1e-9);
  assertEquals(c.upperBound, true);
  assertStringIncludes(c.notes.join(" "), "no Model Serving charges");
});

Deno.test("[serving cost] formatting: sub-cent money keeps 4 decimals, short spans in minutes", () => {
  assertEquals(formatMoney(0.0042, "EUR"), "EUR 0.0042");
  assertEquals(formatMoney(1234.5, "USD"), "USD 1,234.50");
  assertEquals(formatHours(0.25), "15 min");
  assertEquals(formatHours(26.04), "26.0 h");
});

Deno.test("[serving cost] rates from the settings form are validated field by field", () => {
  const form: Record<string, string> = { currency: "eur", price_per_dbu: "0.09" };
  for (const t of ["CPU", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE"]) {
    for (const s of ["Small", "Medium", "Large"]) form[`dbu.${t}.${s}`] = "1.5";
  }
  const r = ratesFromForm(form);
  assertEquals([r.currency, r.pricePerDbu, r.dbuPerHour.GPU_LARGE.Large], ["EUR", 0.09, 1.5]);
  let msg = "";
  try {
    ratesFromForm({ ...form, "dbu.CPU.Medium": "-1" });
  } catch (e) {
    msg = JSON.stringify((e as { issues?: unknown }).issues);
  }
  assertStringIncludes(msg, '"CPU","Medium"');
});
