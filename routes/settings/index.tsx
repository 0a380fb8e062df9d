import { Page } from "@/components/Page.tsx";
import WorkspaceHealth from "@/islands/WorkspaceHealth.tsx";
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
    const [health, details] = await Promise.all([ws.health(), ws.details?.() ?? []]);
    return ctx.render({ health, checkedAt: Date.now(), details });
  },
};

/** Which workspace is in use, how the app is configured, and whether each area answers. */
export default function SettingsPage({ data, state }: PageProps<Data>) {
  const s = state.settings;
  const rows: [string, string][] = [
    ["Workspace", state.workspace.kind === "local" ? "Embedded local workspace" : "Databricks"],
    ["Location", state.workspace.describe()],
    ["App volume", s.volume],
    ["Data folder", s.dataDir],
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
    </Page>
  );
}
