import { preferencesFor } from "@/lib/store/preferences.ts";
import { Page } from "@/components/Page.tsx";
import { Badge } from "@/components/Badge.tsx";
import {
  DATA_FORMAT_LABELS,
  getModel,
  modelsForTask,
  type ModelSpec,
  runtimeNote,
} from "@/lib/config/catalog.ts";
import { isTask, type Task, TASK_LABELS, TASKS } from "@/lib/config/tasks.ts";
import { defaultModel, newConfig } from "@/lib/config/templates.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import type { Handlers, PageProps, State } from "@/lib/web/types.ts";
import {
  type EditorData,
  editorData,
  EditorPage,
  saveFromForm,
  withPathCheck,
} from "./_editor.tsx";

type Data =
  | { kind: "choose"; task: Task | null; models: ModelSpec[] }
  | EditorData;

const CRUMBS = [{ label: "Configs", href: "/configs" }];
const TITLE = "New configuration";

function starting(
  state: State,
  url: URL,
): Promise<{ task: Task; doc: Record<string, unknown> } | null> {
  return (async () => {
    const templateId = url.searchParams.get("template");
    if (templateId) {
      const t = await (await configStoreFor(state)).getTemplate(templateId);
      const prefs = await preferencesFor(state);
      // Built-in templates carry placeholders; start them on this app's volume instead.
      const doc = t.builtin
        ? newConfig(t.task, defaultModel(t.task, state.settings.workspace), {
          volume: prefs.effectiveVolume,
          experimentRoot: prefs.experimentRoot || undefined,
          email: state.user.email,
        })
        : t.doc;
      return { task: t.task, doc };
    }
    const task = url.searchParams.get("task"), model = url.searchParams.get("model");
    if (!isTask(task) || !model || !getModel(model)?.tasks.includes(task)) return null;
    const prefs = await preferencesFor(state);
    return {
      task,
      doc: newConfig(task, model, {
        volume: prefs.effectiveVolume,
        email: state.user.email,
        experimentRoot: prefs.experimentRoot || undefined,
      }),
    };
  })();
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const start = await starting(ctx.state, ctx.url);
    if (!start) {
      const task = ctx.url.searchParams.get("task");
      const chosen = isTask(task) ? task : null;
      return ctx.render({
        kind: "choose",
        task: chosen,
        models: chosen ? modelsForTask(chosen) : [],
      });
    }
    return ctx.render(
      await withPathCheck(
        ctx.state,
        editorData(ctx.state, {
          title: TITLE,
          crumbs: CRUMBS,
          action: ctx.url.pathname + ctx.url.search,
          name: "",
          nameEditable: true,
          task: start.task,
          base: start.doc,
          baseVersion: null,
          submitLabel: "Save",
        }),
      ),
    );
  },
  async POST(req, ctx) {
    const start = await starting(ctx.state, ctx.url);
    return saveFromForm(req, ctx, {
      fallbackTask: start?.task ?? "detection",
      fallbackBase: start?.doc ??
        newConfig("detection", defaultModel("detection", ctx.state.settings.workspace)),
      title: TITLE,
      crumbs: CRUMBS,
    });
  },
};

/** New configuration: pick a task, then a model, then fill in the form. */
export default function NewConfigPage(props: PageProps<Data>) {
  const data = props.data;
  if (data.kind === "editor") return <EditorPage {...props} data={data} />;
  return (
    <Page
      title={TITLE}
      crumbs={CRUMBS}
      description="Pick a task, then a model; the form starts from the model's defaults."
    >
      <h2 class="font-semibold text-slate-900 mb-2">1. Task</h2>
      <ul class="grid grid-cols-1 md:grid-cols-5 gap-3 mb-6">
        {TASKS.map((t) => (
          <li key={t}>
            <a
              href={`/configs/new?task=${t}`}
              aria-current={data.task === t ? "true" : undefined}
              class={`block rounded-lg border p-3 text-sm hover:border-slate-500 ${
                data.task === t
                  ? "border-slate-900 bg-slate-50 font-semibold"
                  : "border-slate-200 bg-white"
              }`}
              data-task={t}
            >
              {TASK_LABELS[t]}
            </a>
          </li>
        ))}
      </ul>
      {data.task && (
        <>
          <h2 class="font-semibold text-slate-900 mb-2">2. Model</h2>
          <table class="w-full text-sm bg-white rounded-lg border border-slate-200">
            <thead class="text-left text-slate-500">
              <tr>
                <th class="p-2">Model</th>
                <th class="p-2">Size</th>
                <th class="p-2">Image</th>
                <th class="p-2">Data</th>
                <th class="p-2">Runs on</th>
                <th class="p-2"></th>
              </tr>
            </thead>
            <tbody>
              {data.models.map((m) => (
                <tr key={m.id} class="border-t border-slate-100">
                  <td class="p-2">
                    <div class="font-medium">{m.displayName}</div>
                    <div class="font-mono text-xs text-slate-500">{m.id}</div>
                  </td>
                  <td class="p-2">{m.sizeClass} · {m.params}</td>
                  <td class="p-2">
                    {m.imageSize.allowed
                      ? `${m.imageSize.default} px only`
                      : `${m.imageSize.default} px`}
                  </td>
                  <td class="p-2 text-xs">{DATA_FORMAT_LABELS[m.dataFormat]}</td>
                  <td class="p-2">
                    <Badge tone={m.runsLocally ? "green" : "blue"}>{runtimeNote(m)}</Badge>
                  </td>
                  <td class="p-2">
                    <a
                      class="rounded-md bg-slate-900 px-3 py-1 text-xs font-medium text-white hover:bg-slate-700"
                      href={`/configs/new?task=${data.task}&model=${encodeURIComponent(m.id)}`}
                      data-model={m.id}
                    >
                      Use
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p class="text-sm text-slate-600 mt-6">
        Or start from a <a class="underline" href="/configs/templates">template</a>, or{" "}
        <a class="underline" href="/configs/import">import a YAML file</a>.
      </p>
    </Page>
  );
}
