import { formValuesToDoc } from "@/lib/config/form.ts";
import { isTask } from "@/lib/config/tasks.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";
import {
  type EditorData,
  editorData,
  EditorPage,
  saveFromForm,
  withPathCheck,
} from "../_editor.tsx";

function crumbs(name: string) {
  return [{ label: "Configs", href: "/configs" }, {
    label: name,
    href: `/configs/${encodeURIComponent(name)}`,
  }];
}

export const handler: Handlers<EditorData> = {
  async GET(_req, ctx) {
    const store = await configStoreFor(ctx.state);
    const name = ctx.params.name;
    const config = await store.get(name);
    const from = Number(ctx.url.searchParams.get("from") ?? config.latestVersion);
    const v = await store.getVersion(name, Number.isInteger(from) ? from : config.latestVersion);
    const task = isTask(v.task) ? v.task : config.task;
    // "Re-run with changes" carries the run's launch overrides (training.max_epochs=3, ...):
    // known fields from the address start the form; anything else in it is ignored
    const overrides = Object.fromEntries(
      [...ctx.url.searchParams].filter(([k, val]) => k.includes(".") && val.trim() !== ""),
    );
    const base = isTask(task) ? formValuesToDoc(v.doc, overrides, task) : v.doc;
    return ctx.render(
      await withPathCheck(
        ctx.state,
        editorData(ctx.state, {
          title: `Edit ${name}`,
          crumbs: crumbs(name),
          action: ctx.url.pathname + ctx.url.search,
          name,
          nameEditable: false,
          task,
          base,
          baseVersion: v.version,
          expectedLatest: config.latestVersion,
          submitLabel: "Save new version",
        }),
      ),
    );
  },
  async POST(req, ctx) {
    const store = await configStoreFor(ctx.state);
    const name = ctx.params.name;
    const latest = await store.latest(name);
    return saveFromForm(req, ctx, {
      fixedName: name,
      fallbackTask: latest.task,
      fallbackBase: latest.doc,
      title: `Edit ${name}`,
      crumbs: crumbs(name),
    });
  },
};

/** Edit a config: saving creates a new version; the old one stays. */
export default function EditConfigPage(props: PageProps<EditorData>) {
  return <EditorPage {...props} />;
}
