import { Page } from "@/components/Page.tsx";
import { Badge } from "@/components/Badge.tsx";
import { GettingStarted } from "@/components/GettingStarted.tsx";
import { type GettingStarted as Path, gettingStarted } from "@/lib/demo/progress.ts";
import { type DemoStatus, demoStatus } from "@/lib/demo/startup.ts";
import { STAGES } from "@/lib/stages.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  path: Path;
  demo: DemoStatus;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const [path, demo] = await Promise.all([gettingStarted(ctx.state), demoStatus()]);
    return ctx.render({ path, demo });
  },
};

/** The overview: the guided path, what Lakevision does, and every stage of the pipeline. */
export default function Home({ data, state }: PageProps<Data>) {
  return (
    <Page
      title="Overview"
      description="Take a computer-vision model from dataset to production on Databricks: configure, explore the data, train, evaluate, register, deploy and try it — no YAML, no notebooks."
    >
      <GettingStarted data={data.path} demo={data.demo} />
      <section class="rounded-lg border border-slate-200 bg-white p-5 mb-6">
        <h2 class="font-semibold text-slate-900">How it works</h2>
        <p class="text-sm text-slate-600 mt-1">
          Each stage feeds the next. You are using the{" "}
          <strong>
            {state.workspace.kind === "local" ? "embedded local workspace" : "Databricks workspace"}
          </strong>{" "}
          (the app keeps its files in <code>{state.settings.volume}</code>);{" "}
          <a class="text-sky-700 underline" href="/settings">Settings</a> shows its health.
        </p>
      </section>
      <ol class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {STAGES.map((s, i) => (
          <li key={s.id}>
            <a
              href={s.path}
              class="block h-full rounded-lg border border-slate-200 bg-white p-4 hover:border-sky-400 hover:shadow-sm"
            >
              <div class="flex items-center justify-between">
                <span class="text-xs text-slate-500">Step {i + 1}</span>
                {s.available
                  ? <Badge tone="green">ready</Badge>
                  : <Badge tone="amber">coming</Badge>}
              </div>
              <h3 class="font-semibold text-slate-900 mt-1">
                <span aria-hidden="true" class="mr-1">{s.icon}</span>
                {s.title}
              </h3>
              <p class="text-sm text-slate-600 mt-1">{s.summary}</p>
            </a>
          </li>
        ))}
      </ol>
    </Page>
  );
}
