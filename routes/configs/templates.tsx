import { Badge } from "@/components/Badge.tsx";
import { Page } from "@/components/Page.tsx";
import { getModel } from "@/lib/config/catalog.ts";
import { TASK_LABELS } from "@/lib/config/tasks.ts";
import type { Template } from "@/lib/config/templates.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  templates: Template[];
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    return ctx.render({ templates: await (await configStoreFor(ctx.state)).listTemplates() });
  },
  async POST(req, ctx) {
    const form = await readForm(req);
    await (await configStoreFor(ctx.state)).deleteTemplate(String(form.get("id") ?? ""));
    return ctx.redirect("/configs/templates");
  },
};

/** Built-in templates (one per task) and templates saved from configs. */
export default function TemplatesPage({ data }: PageProps<Data>) {
  return (
    <Page
      title="Templates"
      crumbs={[{ label: "Configs", href: "/configs" }]}
      description="Start a new configuration from a template. Save your own from any config version."
    >
      <ul class="grid grid-cols-1 md:grid-cols-2 gap-3">
        {data.templates.map((t) => {
          const model = String((t.doc.model as Record<string, unknown>)?.model_name ?? "");
          return (
            <li
              key={t.id}
              class="rounded-lg border border-slate-200 bg-white p-4"
              data-template={t.id}
            >
              <div class="flex items-center gap-2">
                <h2 class="font-semibold text-slate-900">{t.name}</h2>
                <Badge tone={t.builtin ? "slate" : "blue"}>
                  {t.builtin ? "built-in" : "saved"}
                </Badge>
              </div>
              <p class="text-sm text-slate-600 mt-1">
                {TASK_LABELS[t.task]} · {getModel(model)?.displayName ?? model}
              </p>
              <p class="text-xs text-slate-500 mt-1">{t.description}</p>
              <div class="mt-3 flex gap-2">
                <a
                  href={`/configs/new?template=${encodeURIComponent(t.id)}`}
                  class="rounded-md bg-slate-900 px-3 py-1 text-xs font-medium text-white hover:bg-slate-700"
                >
                  Use
                </a>
                {!t.builtin && (
                  <form method="post">
                    <input type="hidden" name="id" value={t.id} />
                    <button
                      type="submit"
                      class="rounded-md border border-slate-300 px-3 py-1 text-xs hover:bg-slate-50"
                    >
                      Delete
                    </button>
                  </form>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </Page>
  );
}
