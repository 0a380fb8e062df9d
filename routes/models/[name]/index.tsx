import { Page } from "@/components/Page.tsx";
import {
  Aliases,
  BUTTON,
  BUTTON2,
  fmtMetric,
  INPUT,
  modelHref,
  Notice,
  VersionStatus,
  When,
} from "@/components/registry/parts.tsx";
import { modelDetail, rowMetric, type VersionRow } from "@/lib/registry/browse.ts";
import { STAGE_ALIASES } from "@/lib/registry/names.ts";
import { formatBytes } from "@/lib/format.ts";
import { registryContext } from "@/lib/registry/service.ts";
import type { RegisteredModelInfo } from "@/lib/workspace/types.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  model: RegisteredModelInfo;
  versions: VersionRow[];
  notice?: string;
  /** Activity id of the alias move just made, for its undo button. */
  undo?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const d = await modelDetail(registryContext(ctx.state), ctx.params.name);
    const q = ctx.url.searchParams;
    return ctx.render({
      ...d,
      notice: q.get("notice")?.slice(0, 300),
      undo: q.get("undo")?.slice(0, 40) || undefined,
    });
  },
};

/** One model: its versions with aliases, status, source, size; compare and promote. */
export default function ModelPage({ data }: PageProps<Data>) {
  const { model, versions } = data;
  const ready = versions.filter((v) => v.status === "READY");
  return (
    <Page
      title={model.name}
      crumbs={[{ label: "Model Registry", href: "/models" }]}
      description={model.description ?? "A registered model and its versions."}
    >
      <Notice text={data.notice} />
      {data.undo && (
        <form method="post" action="/models/undo" class="-mt-2 mb-4">
          <input type="hidden" name="activity" value={data.undo} />
          <button type="submit" class={BUTTON2}>Undo this move</button>
        </form>
      )}
      <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white mb-6">
        <table class="w-full text-sm">
          <thead class="bg-slate-50 text-left text-slate-600">
            <tr>
              <th class="px-2 py-2 font-medium">Version</th>
              <th class="px-2 py-2 font-medium">Aliases</th>
              <th class="px-2 py-2 font-medium">Status</th>
              <th class="px-2 py-2 font-medium">Validation</th>
              <th class="px-2 py-2 font-medium">Source run</th>
              <th class="px-2 py-2 font-medium">Created</th>
              <th class="px-2 py-2 font-medium text-right">Size</th>
              <th class="px-2 py-2 font-medium">Promote</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const run = v.tags["lakevision.run_id"] ?? v.runId;
              const metric = rowMetric(v.tags);
              return (
                <tr key={v.version} class="border-t border-slate-100 align-top">
                  <td class="px-2 py-2">
                    <a
                      class="text-blue-700 hover:underline"
                      href={modelHref(model.name, v.version)}
                    >
                      v{v.version}
                    </a>
                    {v.description && <div class="text-xs text-slate-500">{v.description}</div>}
                  </td>
                  <td class="px-2 py-2">
                    <Aliases aliases={v.aliases} />
                  </td>
                  <td class="px-2 py-2">
                    <VersionStatus status={v.status} />
                  </td>
                  <td class="px-2 py-2 whitespace-nowrap tabular-nums" data-metric>
                    {metric
                      ? (
                        <>
                          <span class="text-slate-500">{metric.label}</span>{" "}
                          {fmtMetric(metric.value)}
                        </>
                      )
                      : <span class="text-slate-400">—</span>}
                  </td>
                  <td class="px-2 py-2 font-mono text-xs whitespace-nowrap">
                    {run
                      ? (
                        <a
                          class="text-blue-700 hover:underline"
                          href={`/training/${encodeURIComponent(run)}`}
                        >
                          {run}
                        </a>
                      )
                      : v.tags["lakevision.source"] === "import"
                      ? "imported"
                      : "—"}
                  </td>
                  <td class="px-2 py-2 text-slate-500">
                    <div class="whitespace-nowrap">
                      <When ms={v.createdAt} />
                    </div>
                    {v.createdBy && <div class="text-xs">by {v.createdBy}</div>}
                  </td>
                  <td class="px-2 py-2 text-right tabular-nums whitespace-nowrap">
                    {formatBytes(v.bytes)}
                  </td>
                  <td class="px-2 py-2">
                    {v.status === "READY" && (
                      <form
                        method="get"
                        action={`${modelHref(model.name)}/alias`}
                        class="flex gap-1"
                      >
                        <input type="hidden" name="version" value={v.version} />
                        <label class="sr-only" for={`alias-${v.version}`}>
                          Alias for v{v.version}
                        </label>
                        <select
                          id={`alias-${v.version}`}
                          name="alias"
                          class="rounded-md border border-slate-300 px-1 py-1 text-xs bg-white"
                        >
                          {STAGE_ALIASES.map((s) => (
                            <option key={s.alias} value={s.alias}>@{s.alias}</option>
                          ))}
                        </select>
                        <button
                          type="submit"
                          class="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50"
                        >
                          Set…
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {ready.length >= 2 && (
        <section class="rounded-lg border border-slate-200 bg-white p-4">
          <h2 class="text-lg font-semibold text-slate-900 mb-2">Compare versions</h2>
          <form
            method="get"
            action={`${modelHref(model.name)}/compare`}
            class="flex flex-wrap items-end gap-3"
          >
            <label class="text-sm text-slate-700">
              Baseline
              <select name="a" class={`${INPUT} mt-1`}>
                {ready.map((v, i) => (
                  <option key={v.version} value={v.version} selected={i === 1}>v{v.version}</option>
                ))}
              </select>
            </label>
            <label class="text-sm text-slate-700">
              Against
              <select name="b" class={`${INPUT} mt-1`}>
                {ready.map((v, i) => (
                  <option key={v.version} value={v.version} selected={i === 0}>v{v.version}</option>
                ))}
              </select>
            </label>
            <button type="submit" class={BUTTON}>Compare</button>
            <a class={BUTTON2} href="/models">All models</a>
          </form>
        </section>
      )}
    </Page>
  );
}
