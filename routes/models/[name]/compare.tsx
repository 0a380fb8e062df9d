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
      description="Validation metrics frozen at registration, and what changed in the training config."
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
      <h2 class="text-lg font-semibold text-slate-900 mb-2">Config diff</h2>
      <div class={box}>
        {c.config.changes === null
          ? <p class="p-3 text-sm text-slate-600">{c.config.note}</p>
          : c.config.changes.length === 0
          ? (
            <p class="p-3 text-sm text-slate-600">
              Both were trained with the same settings ({c.config.a?.name} v{c.config.a?.version}
              {" "}
              and v{c.config.b?.version}).
            </p>
          )
          : (
            <table class="w-full text-sm">
              <thead class="bg-slate-50 text-left text-slate-600">
                <tr>
                  <th class="px-3 py-2 font-medium">Field</th>
                  <th class="px-3 py-2 font-medium">{c.config.a?.name} v{c.config.a?.version}</th>
                  <th class="px-3 py-2 font-medium">{c.config.b?.name} v{c.config.b?.version}</th>
                </tr>
              </thead>
              <tbody>
                {c.config.changes.map((ch) => (
                  <tr key={ch.path} class="border-t border-slate-100 font-mono text-xs">
                    <td class="px-3 py-1.5">{ch.path}</td>
                    <td class="px-3 py-1.5 text-red-700">{show(ch.before)}</td>
                    <td class="px-3 py-1.5 text-green-700">{show(ch.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </div>
    </Page>
  );
}
