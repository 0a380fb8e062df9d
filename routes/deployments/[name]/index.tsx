import { CostPanel } from "@/components/deployments/CostPanel.tsx";
import { EndpointFacts, EntityTable, LogsPanel } from "@/components/deployments/EndpointDetail.tsx";
import { changing, endpointHref } from "@/components/deployments/parts.tsx";
import { SmokeResult } from "@/components/deployments/SmokeResult.tsx";
import { Page } from "@/components/Page.tsx";
import { BUTTON, BUTTON2, Notice } from "@/components/registry/parts.tsx";
import EndpointMetrics from "@/islands/EndpointMetrics.tsx";
import { registryContext } from "@/lib/registry/service.ts";
import { type EndpointDetail, endpointDetail } from "@/lib/serving/service.ts";
import {
  getSmokeResult,
  latestSmokeResult,
  mainEntity,
  sampleImage,
  type SmokeResult as Smoke,
} from "@/lib/serving/smoke.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data extends EndpointDetail {
  smoke: Smoke | null;
  /** Why the smoke test needs an uploaded image, when the model has no validation data. */
  sampleMissing?: string;
  notice?: string;
  smokeError?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const sc = registryContext(ctx.state);
    const name = ctx.params.name;
    const detail = await endpointDetail(sc, name);
    const q = ctx.url.searchParams;
    const id = q.get("smoke");
    const target = mainEntity(detail.endpoint);
    const [smoke, sample] = await Promise.all([
      id ? getSmokeResult(sc, name, id) : latestSmokeResult(sc, name),
      target
        ? sampleImage(sc.ws, target.model, target.version).catch((e) => ({ missing: e.message }))
        : { missing: "The endpoint serves no version." },
    ]);
    return ctx.render({
      ...detail,
      smoke,
      sampleMissing: "missing" in sample ? sample.missing : undefined,
      notice: q.get("notice")?.slice(0, 300),
      smokeError: q.get("smoke_error")?.slice(0, 500),
    });
  },
};

/** One endpoint: state, served versions, smoke test, monitoring, logs, lineage and cost. */
export default function EndpointPage({ data }: PageProps<Data>) {
  const e = data.endpoint;
  const live = changing(e);
  const msgTone = e.configUpdate === "UPDATE_FAILED" || e.state === "FAILED" ? "red" : "green";
  return (
    <Page
      title={e.name}
      crumbs={[{ label: "Deployment", href: "/deployments" }]}
      description={e.entities.map((s) => `${s.model} v${s.version} (${s.trafficPercent ?? 100}%)`)
        .join(" · ")}
      actions={
        <>
          <a class={BUTTON2} href={`/deployments?edit=${encodeURIComponent(e.name)}#deploy`}>
            Change…
          </a>
          <a class={BUTTON2} href={endpointHref(e.name, "/delete")}>Delete…</a>
        </>
      }
    >
      {live && <meta http-equiv="refresh" content="3" />}
      <Notice text={data.notice} />
      {e.message && (
        <p
          role={msgTone === "red" ? "alert" : "status"}
          class={`mb-4 rounded-md border px-3 py-2 text-sm ${
            msgTone === "red"
              ? "border-red-200 bg-red-50 text-red-800"
              : "border-slate-200 bg-white text-slate-700"
          }`}
          data-endpoint-message
        >
          {e.configUpdate === "UPDATE_FAILED" ? "Config update failed: " : ""}
          {e.message}
        </p>
      )}
      {live && (
        <p class="mb-4 text-xs text-slate-500">
          The endpoint is changing; this page refreshes every 3 s.
        </p>
      )}
      <div class="grid gap-6 lg:grid-cols-3">
        <div class="lg:col-span-2 space-y-6">
          <EntityTable endpoint={e} />
          <section
            id="smoke"
            class="rounded-lg border border-slate-200 bg-white p-4"
            aria-labelledby="smoke-title"
          >
            <h2 id="smoke-title" class="text-lg font-semibold text-slate-900 mb-2">Smoke test</h2>
            <form
              method="post"
              action={endpointHref(e.name, "/smoke")}
              encType="multipart/form-data"
              class="mb-3 text-sm"
            >
              <label class="block text-slate-600 mb-1" for="smoke-image">
                {data.sampleMissing
                  ? "Image to send"
                  : "Image (optional: a validation image is sent otherwise)"}
              </label>
              <div class="flex flex-wrap items-center gap-3">
                <input id="smoke-image" type="file" name="image" accept="image/*" class="text-sm" />
                <button type="submit" class={BUTTON}>Run smoke test</button>
              </div>
            </form>
            {data.sampleMissing && <p class="text-xs text-slate-500 mb-2">{data.sampleMissing}</p>}
            <Notice text={data.smokeError} tone="red" />
            {data.smoke
              ? <SmokeResult r={data.smoke} />
              : <p class="text-sm text-slate-600">No smoke test has run yet.</p>}
          </section>
          <section
            class="rounded-lg border border-slate-200 bg-white p-4"
            aria-labelledby="mon-title"
          >
            <h2 id="mon-title" class="text-lg font-semibold text-slate-900 mb-2">Monitoring</h2>
            <EndpointMetrics name={e.name} initial={data.metrics} refreshSeconds={15} />
          </section>
          <LogsPanel logs={data.logs} />
        </div>
        <aside class="space-y-6">
          <EndpointFacts endpoint={e} lineage={data.lineage} />
          <CostPanel cost={data.cost} />
        </aside>
      </div>
    </Page>
  );
}
