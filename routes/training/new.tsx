import { cannotRunLocally } from "@/lib/config/data_ready.ts";
import { Page } from "@/components/Page.tsx";
import TrainingLaunchForm, { type ConfigOption } from "@/islands/TrainingLaunchForm.tsx";
import { assertDataReady } from "@/lib/config/data_ready.ts";
import { HttpError } from "@/lib/errors.ts";
import {
  computeDefaults,
  type ComputeKind,
  type FieldProblems,
  type LaunchForm,
  launchFromForm,
} from "@/lib/training/form.ts";
import { launchRun, newToken } from "@/lib/training/launch.ts";
import { trainingContext } from "@/lib/training/service.ts";
import { preferencesFor } from "@/lib/store/preferences.ts";
import { PAGE_DEADLINE_MS, withDeadline } from "@/lib/workspace/deadline.ts";
import type { ComputeInfo } from "@/lib/workspace/types.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps, RouteContext } from "@/lib/web/types.ts";

interface Data {
  /** The compute the form launches on. */
  kind: ComputeKind;
  configs: ConfigOption[];
  compute: ComputeInfo | null;
  computeError: string | null;
  values: LaunchForm;
  problems: FieldProblems;
  error: string | null;
}

async function load(
  ctx: RouteContext<Data>,
  values: LaunchForm,
): Promise<Omit<Data, "problems" | "error">> {
  const t = await trainingContext(ctx.state);
  const [list, active, prefs] = await Promise.all([
    t.configs.list(),
    t.configs.getActive(),
    preferencesFor(ctx.state),
  ]);
  const configs: ConfigOption[] = list.map((c) => ({
    name: c.name,
    task: c.task,
    model: c.model,
    versions: Array.from({ length: Math.min(c.latestVersion, 30) }, (_, i) => c.latestVersion - i),
    active: c.activeVersion,
    cannotRunHere: ctx.state.workspace.traits.jobsRunHere ? cannotRunLocally(c.model) : null,
  }));
  let compute: ComputeInfo | null = null;
  let computeError: string | null = null;
  try {
    compute = await withDeadline(PAGE_DEADLINE_MS, () => ctx.state.workspace.compute.info());
  } catch (e) {
    computeError = e instanceof Error ? e.message : String(e);
  }
  // Runs start on the compute the workspace runs jobs on; the person's preferred compute and node
  // type are the defaults where that compute offers them.
  const preferred = computeDefaults(prefs, [ctx.state.workspace.traits.computeKind], compute);
  const chosen = ctx.url.searchParams.get("config");
  const defaults: LaunchForm = {
    config: chosen ??
      (active
        ? `${active.name}@${active.version}`
        : configs[0]
        ? `${configs[0].name}@${configs[0].versions[0]}`
        : ""),
    device: "auto",
    ...preferred,
    nodes: "1",
    gpusPerNode: "1",
    timeoutMinutes: "0",
    distribution: "auto",
    token: newToken(),
    volume: t.volume,
  };
  return {
    kind: preferred.compute,
    configs,
    compute,
    computeError,
    values: { ...defaults, ...values, volume: t.volume },
  };
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    return ctx.render({ ...(await load(ctx, {})), problems: {}, error: null });
  },
  async POST(req, ctx) {
    const form = Object.fromEntries(
      [...(await readForm(req)).entries()].map(([k, v]) => [k, String(v)]),
    );
    const { request, problems } = launchFromForm(form);
    if (!request) {
      return ctx.render({
        ...(await load(ctx, form)),
        problems,
        error: "Fix the fields marked below.",
      }, {
        status: 400,
      });
    }
    try {
      const t = await trainingContext(ctx.state);
      await assertDataReady(t, request);
      const { run } = await launchRun(t, request);
      return ctx.redirect(`/training/${run.id}`);
    } catch (e) {
      if (!(e instanceof HttpError) || e.status >= 500) throw e;
      // A new token: the refused request did not start anything.
      return ctx.render(
        { ...(await load(ctx, { ...form, token: newToken() })), problems: {}, error: e.message },
        { status: e.status },
      );
    }
  },
};

/** Launch a config version locally or on Databricks, with a preview of what will run. */
export default function NewRunPage({ data }: PageProps<Data>) {
  return (
    <Page
      title="New training run"
      crumbs={[{ label: "Training", href: "/training" }]}
      description="Pick a config version and compute; double-clicking Launch never starts two runs."
    >
      <TrainingLaunchForm
        kind={data.kind}
        configs={data.configs}
        compute={data.compute}
        computeError={data.computeError}
        values={data.values}
        problems={data.problems}
        error={data.error}
      />
    </Page>
  );
}
