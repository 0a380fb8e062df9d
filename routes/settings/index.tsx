import { Page } from "@/components/Page.tsx";
import WorkspaceHealth from "@/islands/WorkspaceHealth.tsx";
import { LastKnown, PAGE_DEADLINE_MS, withDeadline } from "@/lib/workspace/deadline.ts";
import type { AreaHealth } from "@/lib/workspace/types.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  health: AreaHealth[];
  checkedAt: number;
  details: { label: string; value: string }[];
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const ws = ctx.state.workspace;
    // A silent workspace must not hold the page: each area fails at the deadline instead.
    const [health, details]: [AreaHealth[], Data["details"]] = await withDeadline(
      PAGE_DEADLINE_MS,
      () => Promise.all([ws.health(), ws.details?.() ?? []]),
    ).catch((e) => [AREAS.map((area) => failed(area, e)), []]);
    return ctx.render({ health: health.map(withLastKnown), checkedAt: Date.now(), details });
  },
};

/** Which workspace is in use, how the app is configured, and whether each area answers. */
export default function SettingsPage({ data, state }: PageProps<Data>) {
  const s = state.settings;
  const rows: [string, string][] = [
    ["Workspace", state.workspace.kind === "local" ? "Embedded local workspace" : "Databricks"],
    // Not the data folder or other server paths: pages show volume paths (the log has the rest).
    [
      "Location",
      state.workspace.kind === "local"
        ? "this server (volumes are kept in its data folder)"
        : state.workspace.describe(),
    ],
    ["App volume", s.volume],
    ["Upload limit", `${Math.round(s.maxBodyBytes / 1024 / 1024)} MB (LAKEVISION_MAX_BODY_MB)`],
    ["Acting user", state.user.name],
    ...data.details.map((d): [string, string] => [d.label, d.value]),
  ];
  return (
    <Page
      title="Settings"
      description="Which workspace Lakevision talks to, and whether each part of it answers."
    >
      <section class="rounded-lg border border-slate-200 bg-white p-5 mb-6">
        <h2 class="font-semibold text-slate-900 mb-3">Configuration</h2>
        <dl class="grid grid-cols-1 sm:grid-cols-[12rem_1fr] gap-x-4 gap-y-2 text-sm">
          {rows.map(([k, v]) => [
            <dt key={k + "k"} class="text-slate-500">{k}</dt>,
            <dd key={k + "v"} class="font-mono text-xs break-all text-slate-800">{v}</dd>,
          ])}
        </dl>
        {state.workspace.kind === "local" && (
          <p class="text-xs text-slate-500 mt-4">
            Settings come from the environment (see README). To use Databricks, set{" "}
            <code>LAKEVISION_WORKSPACE=databricks</code> with <code>DATABRICKS_HOST</code>{" "}
            and a token or OAuth client.
          </p>
        )}
      </section>
      <WorkspaceHealth initial={data.health} checkedAt={data.checkedAt} />
      <a class="block mt-6 text-sm text-blue-700" href="/settings/rates">Endpoint cost rates →</a>
      <a class="block mt-2 text-sm text-blue-700" href="/settings/run-rates">Run cost rates →</a>
      <a class="block mt-2 text-sm text-blue-700" href="/settings/preferences">
        Your preferences (defaults, theme) →
      </a>
    </Page>
  );
}

const AREAS: AreaHealth["area"][] = ["files", "jobs", "tracking", "registry", "serving", "compute"];
const LAST_OK = new LastKnown<AreaHealth>();

function failed(area: AreaHealth["area"], e: unknown): AreaHealth {
  return { area, ok: false, detail: `failed: ${e instanceof Error ? e.message : e}`, ms: 0 };
}

/** Remembers areas that answered; a failing one also says what it answered last, and when. */
function withLastKnown(a: AreaHealth): AreaHealth {
  if (a.ok) {
    LAST_OK.remember(a.area, a);
    return a;
  }
  const last = LAST_OK.recall(a.area);
  if (!last) return a;
  const when = new Date(last.at).toISOString().slice(11, 19);
  return { ...a, detail: `${a.detail} Last answer (${when} UTC): ${last.value.detail}` };
}
