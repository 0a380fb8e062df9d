import { Page } from "@/components/Page.tsx";
import { Delta, fmtMetric, modelHref } from "@/components/registry/parts.tsx";
import {
  compareVersions,
  type MetricDelta,
  type VersionComparison,
} from "@/lib/registry/compare.ts";
import { registryContext } from "@/lib/registry/service.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

export const handler: Handlers<VersionComparison> = {
  async GET(_req, ctx) {
    const q = ctx.url.searchParams;
    const store = await configStoreFor(ctx.state);
    const c = await compareVersions(
      registryContext(ctx.state),
      ctx.params.name,
      q.get("a") ?? "",
      q.get("b") ?? "",
      (name, version) => store.getVersion(name, version),
    );
    return ctx.render(c);
  },
};

function DeltaTable(
  { rows, a, b, first }: { rows: MetricDelta[]; a: string; b: string; first: string },
) {
  return (
    <table class="w-full text-sm">
      <thead class="bg-slate-50 text-left text-slate-600">
        <tr>
          <th class="px-3 py-2 font-medium">{first}</th>
          <th class="px-3 py-2 font-medium text-right">v{a}</th>
          <th class="px-3 py-2 font-medium text-right">v{b}</th>
          <th class="px-3 py-2 font-medium text-right">Δ (v{b} − v{a})</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} class="border-t border-slate-100">
            <td class="px-3 py-1.5">{r.label}</td>
            <td class="px-3 py-1.5 text-right tabular-nums">{fmtMetric(r.a)}</td>
            <td class="px-3 py-1.5 text-right tabular-nums">{fmtMetric(r.b)}</td>
            <td class="px-3 py-1.5 text-right tabular-nums">
              <Delta value={r.delta} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const show = (v: unknown) => (v === undefined ? "—" : JSON.stringify(v));

/** The config fields and launch overrides that differ, or why there is nothing to compare. */
function SettingsDiff({ c }: { c: VersionComparison }) {
  const cfg = c.config;
  const rows = [...(cfg.changes ?? []), ...(c.launch ?? [])];
  const label = (s?: { name: string; version: number }) => s ? `${s.name} v${s.version}` : "—";
  if (cfg.changes === null && !rows.length) {
    return <p class="p-3 text-sm text-slate-600">{cfg.note}</p>;
  }
  if (!rows.length) {
    return (
      <p class="p-3 text-sm text-slate-600" data-testid="same-settings">
        Both were trained with the same settings: {cfg.a?.name} v{cfg.a?.version}
        {cfg.b?.version !== cfg.a?.version ? ` and v${cfg.b?.version}` : ""}
        {c.launch === null
          ? ". How their runs were launched is not known."
          : ", launched the same way."}
      </p>
    );
  }
  return (
    <>
      {cfg.changes === null && <p class="p-3 text-sm text-slate-600">{cfg.note}</p>}
      {c.launch === null && (
        <p class="p-3 text-sm text-slate-600">
          How the runs were launched (step or epoch limits, compute) is not known for both.
        </p>
      )}
      <table class="w-full text-sm" data-testid="settings-diff">
        <thead class="bg-slate-50 text-left text-slate-600">
          <tr>
            <th class="px-3 py-2 font-medium">Field</th>
            <th class="px-3 py-2 font-medium">v{c.a} · {label(cfg.a)}</th>
            <th class="px-3 py-2 font-medium">v{c.b} · {label(cfg.b)}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((ch) => (
            <tr key={ch.path} class="border-t border-slate-100 font-mono text-xs">
              <td class="px-3 py-1.5 break-all">
                {ch.path}
                {ch.path.startsWith("launch.") && (
                  <span class="ml-1 font-sans text-slate-500">(launch override)</span>
                )}
              </td>
              <td class="px-3 py-1.5 text-red-700 break-all">{show(ch.before)}</td>
              <td class="px-3 py-1.5 text-green-700 break-all">{show(ch.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** Two versions side by side: metrics with deltas and the config diff. */
export default function ComparePage({ data: c }: PageProps<VersionComparison>) {
  const box = "rounded-lg border border-slate-200 bg-white overflow-x-auto mb-6";
  return (
    <Page
      title={`Compare v${c.a} and v${c.b}`}
      crumbs={[{ label: "Model Registry", href: "/models" }, {
        label: c.name,
        href: modelHref(c.name),
      }]}
      description="Validation metrics frozen at registration, and what changed in the training config and launch."
    >
      <h2 class="text-lg font-semibold text-slate-900 mb-2">Headline metrics</h2>
      <div class={box}>
        {c.headline.length
          ? <DeltaTable rows={c.headline} a={c.a} b={c.b} first="Metric" />
          : <p class="p-3 text-sm text-slate-600">Neither version has recorded metrics.</p>}
      </div>
      {c.classes.length > 0 && (
        <>
          <h2 class="text-lg font-semibold text-slate-900 mb-2">Per class ({c.classMetric})</h2>
          <div class={box}>
            <DeltaTable rows={c.classes} a={c.a} b={c.b} first="Class" />
          </div>
        </>
      )}
      <h2 class="text-lg font-semibold text-slate-900 mb-2">Config and launch diff</h2>
      <div class={box}>
        <SettingsDiff c={c} />
      </div>
    </Page>
  );
}
