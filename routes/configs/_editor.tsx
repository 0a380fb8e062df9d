/**
 * Shared by the "new" and "edit" pages: the editor page and the Post/Redirect/Get save. Not a
 * route (the leading underscore keeps it out of the route table).
 */
import { type Crumb, Page } from "@/components/Page.tsx";
import { authorOf } from "@/lib/config/author.ts";
import ConfigEditor, { type ConfigEditorProps } from "@/islands/ConfigEditor.tsx";
import {
  docToFormValues,
  type FormValues,
  formValuesToDoc,
  readConfigForm,
} from "@/lib/config/form.ts";
import { checkDataPathsWithin, isShapeProblem, pathOptionsOf } from "@/lib/config/data_paths.ts";
import { configNameProblem } from "@/lib/config/names.ts";
import type { ConfigDoc } from "@/lib/config/schema.ts";
import type { Task } from "@/lib/config/tasks.ts";
import { type Problem, validateConfig } from "@/lib/config/validate.ts";
import { stringifyConfig } from "@/lib/config/yaml_io.ts";
import { configStoreFor, StaleVersionError } from "@/lib/store/configs.ts";
import { readForm } from "@/lib/web/body.ts";
import type { PageProps, RouteContext, State } from "@/lib/web/types.ts";

export interface EditorData extends ConfigEditorProps {
  kind: "editor";
  title: string;
  crumbs: Crumb[];
}

/** The person saving, as recorded on each version. */
/** Editor data for a starting document. */
export function editorData(
  state: State,
  init:
    & Omit<
      EditorData,
      | "kind"
      | "values"
      | "target"
      | "nameError"
      | "message"
      | "saveError"
      | "expectedLatest"
      | "pathProblems"
    >
    & {
      values?: FormValues;
      nameError?: string | null;
      message?: string;
      saveError?: string | null;
      expectedLatest?: number | null;
      pathProblems?: Problem[];
    },
): EditorData {
  return {
    kind: "editor",
    ...init,
    values: init.values ?? docToFormValues(init.base, init.task),
    nameError: init.nameError ?? null,
    message: init.message ?? "",
    saveError: init.saveError ?? null,
    expectedLatest: init.expectedLatest ?? null,
    pathProblems: init.pathProblems ?? [],
    target: state.settings.workspace,
  };
}

/** Editor data with the data paths checked in the workspace (shown beside the fields). */
export async function withPathCheck(state: State, data: EditorData): Promise<EditorData> {
  const doc = formValuesToDoc(data.base, data.values, data.task);
  const pathProblems = await checkDataPathsWithin(
    doc,
    data.task,
    state.workspace.files,
    pathOptionsOf(state.workspace),
  );
  return { ...data, pathProblems };
}

/**
 * Reads the posted form, re-renders it with errors beside the fields (422) when the name or the
 * config is invalid, else saves a new version and redirects to the config's page.
 */
export async function saveFromForm(
  req: Request,
  ctx: RouteContext<EditorData>,
  page: {
    fixedName?: string;
    fallbackTask: Task;
    fallbackBase: ConfigDoc;
    title: string;
    crumbs: Crumb[];
  },
): Promise<Response> {
  const form = await readForm(req);
  const posted = readConfigForm(form, page.fallbackTask, page.fallbackBase);
  const name = page.fixedName ?? posted.name;
  const store = await configStoreFor(ctx.state);
  let nameError = configNameProblem(name);
  if (!nameError && !page.fixedName && (await store.exists(name))) {
    nameError = "already exists: open it and save a new version instead";
  }
  const result = validateConfig(posted.doc, { target: ctx.state.settings.workspace });
  // A path outside a volume can never work: refused like any other invalid field. A volume
  // path that does not exist (yet) is saved with a warning; launching refuses it.
  const pathProblems = await checkDataPathsWithin(
    posted.doc,
    result.task ?? posted.task,
    ctx.state.workspace.files,
    pathOptionsOf(ctx.state.workspace),
  );
  const badShape = pathProblems.some((p) =>
    p.path.startsWith("data.") &&
    isShapeProblem((posted.doc.data as Record<string, unknown> | undefined)?.[p.path.slice(5)])
  );
  const again = (extra: { nameError?: string | null; saveError?: string | null }) =>
    editorData(ctx.state, {
      title: page.title,
      crumbs: page.crumbs,
      action: ctx.url.pathname + ctx.url.search,
      name,
      nameEditable: !page.fixedName,
      task: result.task ?? posted.task,
      base: posted.base,
      values: posted.values,
      baseVersion: posted.baseVersion,
      expectedLatest: posted.expectedLatest,
      message: posted.message,
      submitLabel: page.fixedName ? "Save new version" : "Save",
      pathProblems,
      ...extra,
    });
  if (nameError || !result.ok || badShape) {
    return ctx.render(again({ nameError }), { status: 422 });
  }
  let saved;
  try {
    saved = await store.save(name, posted.doc, {
      author: authorOf(ctx.state),
      message: posted.message,
      baseVersion: posted.baseVersion,
      expectedLatest: posted.expectedLatest,
      source: "form",
    });
  } catch (e) {
    // Someone saved a newer version meanwhile: keep what was typed, say so, save nothing.
    if (e instanceof StaleVersionError) {
      return ctx.render(again({ saveError: e.message }), { status: 409 });
    }
    throw e;
  }
  const version = saved.version.version;
  if (form.get("activate") === "1") await store.activate(name, version, authorOf(ctx.state));
  const activated = form.get("activate") === "1" ? "&activated=1" : "";
  return ctx.redirect(`/configs/${encodeURIComponent(name)}?saved=${version}${activated}`);
}

/** The island's props: the page data less what only the page uses. */
function editorProps({ kind: _kind, title: _title, crumbs: _crumbs, ...props }: EditorData) {
  return props;
}

/** The editor page. */
export function EditorPage({ data }: PageProps<EditorData>) {
  return (
    <Page
      title={data.title}
      crumbs={data.crumbs}
      description="Every field has its unit and default; errors appear beside the field as you type."
    >
      <ConfigEditor
        {...editorProps(data)}
        yaml={stringifyConfig(formValuesToDoc(data.base, data.values, data.task))}
      />
    </Page>
  );
}
