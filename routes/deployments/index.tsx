import { EndpointForm } from "@/components/deployments/EndpointForm.tsx";
import { EndpointTable } from "@/components/deployments/EndpointTable.tsx";
import { changing, endpointHref } from "@/components/deployments/parts.tsx";
import { ReviewRequest } from "@/components/deployments/ReviewRequest.tsx";
import { Page } from "@/components/Page.tsx";
import { Notice } from "@/components/registry/parts.tsx";
import { HttpError } from "@/lib/errors.ts";
import { registryContext } from "@/lib/registry/service.ts";
import type { CostEstimate } from "@/lib/serving/cost.ts";
import {
  deployFieldErrors,
  deployInputFromForm,
  formFromEndpoint,
  newEndpointForm,
  scaleToZeroByDefault,
  type VersionChoice,
  versionChoices,
} from "@/lib/serving/deploy_form.ts";
import {
  deploy,
  type DeployPlan,
  findEndpoint,
  listEndpoints,
  planDeploy,
} from "@/lib/serving/service.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps, RouteContext } from "@/lib/web/types.ts";
import type { Endpoint } from "@/lib/workspace/types.ts";

interface Data {
  rows: { endpoint: Endpoint; cost: CostEstimate }[];
  listError?: string;
  choices: VersionChoice[];
  /** The form's values: what was sent, or the endpoint being changed. */
  form: Record<string, string>;
  editing?: string;
  /** The name in the form was made from the model (a new form, not what someone typed). */
  nameSuggested?: boolean;
  error?: string;
  /** Problems by form field (`name`, `ref`, `ref2`, `traffic`, ...), shown beside each. */
  fieldErrors?: Record<string, string>;
  /** Set on the review step. */
  plan?: DeployPlan;
  notice?: string;
}

async function pageData(ctx: RouteContext<Data>, extra: Partial<Data> = {}): Promise<Data> {
  const sc = registryContext(ctx.state);
  const [list, choices] = await Promise.all([
    listEndpoints(sc).then((rows) => ({ rows }), (e) => ({ rows: [], listError: e.message })),
    versionChoices(sc).catch(() => []),
  ]);
  let form = extra.form;
  let editing: string | undefined;
  const edit = ctx.url.searchParams.get("edit");
  if (!form && edit) {
    const current = await findEndpoint(sc, edit.slice(0, 200));
    if (current) ({ form, editing } = { form: formFromEndpoint(current), editing: current.name });
  }
  const nameSuggested = !form;
  form ??= newEndpointForm(choices, {
    existing: list.rows.map((r) => r.endpoint.name),
    model: ctx.url.searchParams.get("model")?.slice(0, 300) ?? undefined,
    scaleToZero: scaleToZeroByDefault(sc.ws.traits),
  });
  const notice = ctx.url.searchParams.get("notice")?.slice(0, 300);
  return { ...list, choices, editing, notice, nameSuggested, ...extra, form };
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    return ctx.render(await pageData(ctx));
  },
  /** `review` shows the exact request; `deploy` sends it (PRG); `edit` goes back to the form. */
  async POST(req, ctx) {
    const body = await readForm(req);
    const form: Record<string, string> = {};
    for (const [k, v] of body.entries()) if (typeof v === "string") form[k] = v.slice(0, 2000);
    const action = form.action ?? "review";
    const sc = registryContext(ctx.state);
    if (action === "edit") return ctx.render(await pageData(ctx, { form }));
    let plan: DeployPlan | undefined;
    try {
      const input = deployInputFromForm(form);
      if (action !== "deploy") {
        plan = await planDeploy(sc, input);
        return ctx.render(await pageData(ctx, { form, plan }));
      }
      const r = await deploy(sc, input, { digest: form.digest || undefined });
      const notice = `${r.mode === "create" ? "Created" : "Updated"} ${r.endpoint.name}.`;
      return ctx.redirect(endpointHref(r.endpoint.name, `?notice=${encodeURIComponent(notice)}`));
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      // A refused send goes back to the review with the fresh request; other errors to the form.
      if (action === "deploy" && e.status === 409) {
        plan = await planDeploy(sc, deployInputFromForm(form)).catch(() => undefined);
      }
      const details = Array.isArray(e.details) ? e.details : [];
      return ctx.render(
        await pageData(ctx, {
          form,
          plan,
          error: e.message,
          fieldErrors: deployFieldErrors(details),
        }),
        { status: e.status },
      );
    }
  },
};

/** Endpoints and the form that creates or changes one. */
export default function DeploymentsPage({ data }: PageProps<Data>) {
  const refresh = data.rows.some((r) => changing(r.endpoint));
  return (
    <Page
      title="Deployment"
      description="Serve registered model versions on Model Serving endpoints (on this machine in the local workspace): traffic splits, scale to zero, smoke tests, monitoring and cost."
      actions={
        <>
          <a class="text-sm text-blue-700 hover:underline self-center" href="/deployments/batch">
            Batch inference
          </a>
          <a class="text-sm text-blue-700 hover:underline self-center" href="/settings/rates">
            Cost rates
          </a>
        </>
      }
    >
      {refresh && !data.plan && <meta http-equiv="refresh" content="5" />}
      <Notice text={data.notice} />
      <Notice text={data.listError} tone="red" />
      <section class="mb-8" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title" class="text-lg font-semibold text-slate-900 mb-2">Endpoints</h2>
        <EndpointTable rows={data.rows} />
        {refresh && (
          <p class="text-xs text-slate-500 mt-1">
            An endpoint is changing; this page refreshes every 5 s.
          </p>
        )}
      </section>
      <div id="deploy">
        {data.plan
          ? <ReviewRequest plan={data.plan} form={data.form} error={data.error} />
          : (
            <EndpointForm
              choices={data.choices}
              form={data.form}
              error={data.error}
              fieldErrors={data.fieldErrors}
              editing={data.editing}
              nameSuggested={data.nameSuggested}
            />
          )}
      </div>
    </Page>
  );
}
