import { Page } from "@/components/Page.tsx";
import {
  Aliases,
  BUTTON,
  fmtMetric,
  INPUT,
  modelHref,
  Notice,
  VersionStatus,
  When,
} from "@/components/registry/parts.tsx";
import { BadRequestError } from "@/lib/errors.ts";
import { saveCard, type VersionDetail, versionDetail } from "@/lib/registry/browse.ts";
import { renderMarkdown } from "@/lib/registry/markdown.ts";
import { formatBytes } from "@/lib/format.ts";
import { registryContext } from "@/lib/registry/service.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data extends VersionDetail {
  cardHtml: string | null;
  notice?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const d = await versionDetail(registryContext(ctx.state), ctx.params.name, ctx.params.version);
    return ctx.render({
      ...d,
      cardHtml: d.card === null ? null : renderMarkdown(d.card),
      notice: ctx.url.searchParams.get("notice")?.slice(0, 300),
    });
  },
  /** Saves the edited model card (PRG). */
  async POST(req, ctx) {
    const form = await readForm(req);
    const card = form.get("card");
    if (typeof card !== "string") throw new BadRequestError("card must be the card's Markdown.");
    const { name, version } = ctx.params;
    await saveCard(registryContext(ctx.state), name, version, card);
    return ctx.redirect(`${modelHref(name, version)}?notice=${encodeURIComponent("Card saved.")}`);
  },
};

/** One version: card, metrics, lineage, files, aliases. */
export default function VersionPage({ data }: PageProps<Data>) {
  const { model, version: v, lineage, metrics } = data;
  const link = "text-blue-700 hover:underline";
  return (
    <Page
      title={`${model.name} v${v.version}`}
      crumbs={[
        { label: "Model Registry", href: "/models" },
        { label: model.name, href: modelHref(model.name) },
      ]}
      description={v.description}
    >
      <Notice text={data.notice} />
      <Notice text={v.statusMessage} tone="red" />
      <div class="grid gap-6 lg:grid-cols-3">
        <div class="lg:col-span-2 space-y-6 min-w-0">
          <section class="rounded-lg border border-slate-200 bg-white p-4">
            <h2 class="text-lg font-semibold text-slate-900 mb-2">Model card</h2>
            {data.cardHtml === null
              ? (
                <p class="text-sm text-slate-600">
                  {data.filesNote ?? "This version has no card."}
                </p>
              )
              : (
                <>
                  <div
                    class="model-card text-sm text-slate-800 space-y-2 [overflow-wrap:anywhere]"
                    // renderMarkdown escapes every character of the source before adding markup.
                    // deno-lint-ignore react-no-danger
                    dangerouslySetInnerHTML={{ __html: data.cardHtml }}
                  />
                  <details class="mt-4">
                    <summary class="cursor-pointer text-sm text-blue-700">Edit the card</summary>
                    <form method="post" class="mt-2 space-y-2">
                      <label class="sr-only" for="card">Card (Markdown)</label>
                      <textarea id="card" name="card" rows={18} class={`${INPUT} font-mono`}>
                        {data.card ?? ""}
                      </textarea>
                      <button type="submit" class={BUTTON}>Save card</button>
                    </form>
                  </details>
                </>
              )}
          </section>
          {metrics?.headline && metrics.headline.length > 0 && (
            <section class="rounded-lg border border-slate-200 bg-white p-4">
              <h2 class="text-lg font-semibold text-slate-900 mb-2">Validation metrics</h2>
              <p class="text-xs text-slate-500 mb-2">
                As measured when this version was registered
                {metrics.evaluatedAt
                  ? (
                    <>
                      {" "}(<When ms={metrics.evaluatedAt} />)
                    </>
                  )
                  : null}.
              </p>
              <table class="text-sm">
                <tbody>
                  {metrics.headline.map((h) => (
                    <tr key={h.key} class="border-t border-slate-100">
                      <th
                        scope="row"
                        class="pr-6 py-1 text-left font-normal text-slate-600"
                        title={h.definition}
                      >
                        {h.label}
                      </th>
                      <td class="py-1 tabular-nums">{fmtMetric(h.value)}</td>
                    </tr>
                  ))}
                  {metrics.threshold && (
                    <tr class="border-t border-slate-100">
                      <th scope="row" class="pr-6 py-1 text-left font-normal text-slate-600">
                        Recommended confidence threshold
                      </th>
                      <td class="py-1 tabular-nums">{metrics.threshold.threshold.toFixed(2)}</td>
                    </tr>
                  )}
                </tbody>
              </table>
            </section>
          )}
        </div>
        <aside class="space-y-6 min-w-0">
          <section class="rounded-lg border border-slate-200 bg-white p-4 text-sm">
            <h2 class="text-lg font-semibold text-slate-900 mb-2">Version</h2>
            <dl class="grid grid-cols-3 gap-y-1">
              <dt class="text-slate-500">Status</dt>
              <dd class="col-span-2">
                <VersionStatus status={v.status} />
              </dd>
              <dt class="text-slate-500">Aliases</dt>
              <dd class="col-span-2">
                <Aliases aliases={v.aliases} />
              </dd>
              <dt class="text-slate-500">Created</dt>
              <dd class="col-span-2">
                <When ms={v.createdAt} />
              </dd>
              <dt class="text-slate-500">By</dt>
              <dd class="col-span-2">{v.createdBy ?? "—"}</dd>
              <dt class="text-slate-500">Size</dt>
              <dd class="col-span-2">{formatBytes(v.bytes)}</dd>
            </dl>
            <form method="get" action={`${modelHref(model.name)}/alias`} class="mt-3 flex gap-2">
              <input type="hidden" name="version" value={v.version} />
              <label class="sr-only" for="alias">Alias</label>
              <input id="alias" name="alias" value="champion" class={`${INPUT} font-mono`} />
              <button type="submit" class={BUTTON}>Set alias…</button>
            </form>
          </section>
          <section class="rounded-lg border border-slate-200 bg-white p-4 text-sm">
            <h2 class="text-lg font-semibold text-slate-900 mb-2">Lineage</h2>
            <ol class="space-y-1" aria-label="Lineage">
              <li>
                Config: {lineage.config
                  ? (
                    <a
                      class={link}
                      href={`/configs/${
                        encodeURIComponent(lineage.config.name)
                      }?v=${lineage.config.version}`}
                    >
                      {lineage.config.name} v{lineage.config.version}
                    </a>
                  )
                  : "—"}
              </li>
              <li>
                Dataset: {lineage.dataset
                  ? (
                    <a
                      class={`${link} font-mono text-xs break-all`}
                      href={`/data?path=${encodeURIComponent(lineage.dataset)}`}
                    >
                      {lineage.dataset}
                    </a>
                  )
                  : "—"}
              </li>
              <li>
                Run: {lineage.runId
                  ? (
                    <a
                      class={`${link} font-mono text-xs`}
                      href={`/training/${encodeURIComponent(lineage.runId)}`}
                    >
                      {lineage.runId}
                    </a>
                  )
                  : "—"}
                {lineage.runId && (
                  <>
                    {" · "}
                    <a class={link} href={`/evaluation?runs=${encodeURIComponent(lineage.runId)}`}>
                      evaluation
                    </a>
                  </>
                )}
              </li>
              <li>This version: v{v.version}</li>
              <li>
                Endpoints: {lineage.endpoints.length
                  ? lineage.endpoints.map((e) => (
                    <a
                      key={e.name}
                      class={link}
                      href={`/deployments/${encodeURIComponent(e.name)}`}
                    >
                      {e.name} ({e.state})
                    </a>
                  ))
                  : "none serve this version"}
              </li>
            </ol>
          </section>
          <section class="rounded-lg border border-slate-200 bg-white p-4 text-sm">
            <h2 class="text-lg font-semibold text-slate-900 mb-2">Download</h2>
            {data.files.length === 0
              ? <p class="text-slate-600">{data.filesNote}</p>
              : (
                <ul class="space-y-1">
                  {data.files.map((f) => (
                    <li key={f.name}>
                      <a
                        class={link}
                        href={`${modelHref(model.name, v.version)}/files/${f.name}`}
                        download
                      >
                        {f.name}
                      </a>{" "}
                      <span class="text-slate-500">{formatBytes(f.bytes)}</span>
                    </li>
                  ))}
                </ul>
              )}
          </section>
          {Object.keys(v.tags).length > 0 && (
            <section class="rounded-lg border border-slate-200 bg-white p-4 text-sm">
              <h2 class="text-lg font-semibold text-slate-900 mb-2">Tags</h2>
              <dl class="space-y-1 font-mono text-xs break-all">
                {Object.entries(v.tags).sort().map(([k, val]) => (
                  <div key={k}>
                    <dt class="inline text-slate-500">{k}</dt> = <dd class="inline">{val}</dd>
                  </div>
                ))}
              </dl>
            </section>
          )}
        </aside>
      </div>
    </Page>
  );
}
