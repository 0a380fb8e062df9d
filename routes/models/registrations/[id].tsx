import { Page } from "@/components/Page.tsx";
import { BUTTON2, modelHref, Notice, When } from "@/components/registry/parts.tsx";
import { followRegistration, type RegistrationRecord } from "@/lib/registry/register.ts";
import { registryContext } from "@/lib/registry/service.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

export const handler: Handlers<RegistrationRecord> = {
  async GET(_req, ctx) {
    const rec = await followRegistration(registryContext(ctx.state), ctx.params.id);
    const r = rec.registration;
    if (r.state === "succeeded" && r.version) {
      return ctx.redirect(
        `${modelHref(r.request.name, r.version)}?notice=${
          encodeURIComponent(`Registered ${r.request.name} version ${r.version}.`)
        }`,
      );
    }
    return ctx.render(rec);
  },
};

/** A registration job's progress; the page reloads itself every 5 s while it runs. */
export default function RegistrationPage({ data: rec }: PageProps<RegistrationRecord>) {
  const r = rec.registration;
  return (
    <Page
      title={`Registering ${r.request.name}`}
      crumbs={[{ label: "Model Registry", href: "/models" }]}
    >
      {r.state === "running" && <meta http-equiv="refresh" content="5" />}
      <Notice
        text={r.state === "failed"
          ? `Registration failed: ${r.message ?? "no reason given"}`
          : null}
        tone="red"
      />
      <dl class="grid max-w-xl grid-cols-3 gap-y-1 text-sm rounded-lg border border-slate-200 bg-white p-4">
        <dt class="text-slate-500">State</dt>
        <dd class="col-span-2">
          {r.state}
          {r.state === "running" && r.message ? ` — ${r.message}` : ""}
        </dd>
        <dt class="text-slate-500">From</dt>
        <dd class="col-span-2 font-mono text-xs break-all">{r.request.sourceDir}</dd>
        <dt class="text-slate-500">Started</dt>
        <dd class="col-span-2">
          <When ms={r.startedAt} />
        </dd>
        {r.url && (
          <>
            <dt class="text-slate-500">Job</dt>
            <dd class="col-span-2">
              <a
                class="text-blue-700 hover:underline"
                href={r.url}
                rel="noopener noreferrer"
                target="_blank"
              >
                run {r.jobRunId} in the workspace
              </a>
            </dd>
          </>
        )}
      </dl>
      <p class="mt-4">
        <a class={BUTTON2} href="/models">Back to the registry</a>
      </p>
    </Page>
  );
}
