import { EmptyState } from "@/components/EmptyState.tsx";
import { Page } from "@/components/Page.tsx";
import { Aliases, BUTTON, modelHref, Notice, When } from "@/components/registry/parts.tsx";
import { RegisterForms } from "@/components/registry/RegisterForms.tsx";
import { HttpError } from "@/lib/errors.ts";
import { listModels } from "@/lib/registry/browse.ts";
import { STAGE_ALIASES } from "@/lib/registry/names.ts";
import {
  importModel,
  parseTags,
  registerRun,
  type RegistrationRecord,
  runningRegistrations,
} from "@/lib/registry/register.ts";
import { type RegistrableRun, registrableRuns, registryContext } from "@/lib/registry/service.ts";
import type { RegisteredModelInfo } from "@/lib/workspace/types.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps, RouteContext } from "@/lib/web/types.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import { preferencesFor } from "@/lib/store/preferences.ts";

interface Data {
  models: RegisteredModelInfo[];
  runs: RegistrableRun[];
  running: RegistrationRecord[];
  q: string;
  /** Values of the form that was sent, so an error loses nothing. */
  form: Record<string, string>;
  error?: string;
  /** Which form the error belongs to. */
  errorFor?: "register" | "import";
  registryError?: string;
  defaultCatalog: string;
}

async function pageData(
  ctx: RouteContext<Data>,
  extra: Partial<Data> = {},
): Promise<Data> {
  const rc = registryContext(ctx.state);
  const q = (ctx.url.searchParams.get("q") ?? "").trim().slice(0, 200);
  let models: RegisteredModelInfo[] = [];
  let registryError: string | undefined;
  try {
    models = await listModels(rc, { search: q });
  } catch (e) {
    registryError = (e as Error).message;
  }
  const store = await configStoreFor(ctx.state);
  const [runs, running] = await Promise.all([
    registrableRuns(100, (name, version) => store.getVersion(name, version)),
    runningRegistrations(),
  ]);
  // The person's preferred catalog and schema first, else the app volume's.
  const prefs = await preferencesFor(ctx.state);
  const vol =
    (prefs.catalog && prefs.schema
      ? `/Volumes/${prefs.catalog}/${prefs.schema}`
      : prefs.effectiveVolume).split("/");
  const form = { run: ctx.url.searchParams.get("run") ?? "", ...(extra.form ?? {}) };
  return {
    models,
    runs,
    running,
    q,
    registryError,
    defaultCatalog: `${vol[2] ?? "main"}.${vol[3] ?? "default"}`,
    ...extra,
    form,
  };
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    return ctx.render(await pageData(ctx));
  },
  /** Register a run or import an ONNX model; errors re-render the form with what was sent. */
  async POST(req, ctx) {
    const body = await readForm(req);
    const action = String(body.get("action") ?? "");
    const form: Record<string, string> = {};
    for (const [k, v] of body.entries()) if (typeof v === "string") form[k] = v.slice(0, 20_000);
    const rc = registryContext(ctx.state);
    try {
      const opts = {
        name: form.name ?? "",
        aliases: (form.aliases ?? "").split(/[\s,]+/).filter(Boolean),
        description: form.description,
        tags: parseTags(form.tags ?? ""),
      };
      let rec: RegistrationRecord;
      if (action === "register") {
        if (!form.run) throw new HttpError(400, "Choose the run to register.");
        rec = await registerRun(rc, form.run, opts);
      } else if (action === "import") {
        const onnx = body.get("onnx"), json = body.get("model_json");
        if (!(onnx instanceof File) || onnx.size === 0) {
          throw new HttpError(400, "Choose the model's .onnx file.");
        }
        if (!(json instanceof File) || json.size === 0) {
          throw new HttpError(400, "Choose the model.json that describes it.");
        }
        if (json.size > 1_000_000) throw new HttpError(413, "model.json is over 1 MB.");
        rec = await importModel(
          rc,
          new Uint8Array(await onnx.arrayBuffer()),
          await json.text(),
          opts,
        );
      } else {
        throw new HttpError(400, 'action must be "register" or "import".');
      }
      const r = rec.registration;
      if (r.state === "succeeded" && r.version) {
        return ctx.redirect(
          `${modelHref(r.request.name, r.version)}?notice=${
            encodeURIComponent(`Registered ${r.request.name} version ${r.version}.`)
          }`,
        );
      }
      return ctx.redirect(`/models/registrations/${rec.id}`);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      const errorFor = action === "import" ? "import" : "register";
      return ctx.render(await pageData(ctx, { form, error: e.message, errorFor }), {
        status: e.status,
      });
    }
  },
};

/** Registered models with their aliases, and the forms to register a run or import a model. */
export default function ModelsPage({ data }: PageProps<Data>) {
  return (
    <Page
      title="Model Registry"
      description="Versions of your models with aliases, model cards, lineage and comparisons — in Unity Catalog on Databricks, in the app's own registry locally."
    >
      <Notice text={data.registryError} tone="red" />
      <p class="mb-4 rounded-md border border-slate-200 bg-white px-3 py-2 text-sm text-slate-600">
        Unity Catalog has aliases, not stages: {STAGE_ALIASES.map((s, i) => (
          <span key={s.alias}>
            {i > 0 && "; "}
            <strong>{s.stage}</strong> is the alias <code>@{s.alias}</code> ({s.meaning})
          </span>
        ))}. Move an alias to promote a version; every move can be undone from History.
      </p>
      {data.running.length > 0 && (
        <section class="mb-6">
          <h2 class="text-lg font-semibold text-slate-900 mb-2">Registrations in progress</h2>
          <ul class="text-sm">
            {data.running.map((r) => (
              <li key={r.id}>
                <a class="text-blue-700 hover:underline" href={`/models/registrations/${r.id}`}>
                  {r.registration.request.name}
                </a>{" "}
                — {r.registration.message ?? "running"}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="mb-8">
        <div class="flex flex-wrap items-end justify-between gap-2 mb-2">
          <h2 class="text-lg font-semibold text-slate-900">Models</h2>
          <form method="get" role="search" class="flex gap-2">
            <label class="sr-only" for="q">Search models</label>
            <input
              id="q"
              name="q"
              value={data.q}
              placeholder="Search by name or description"
              class="rounded-md border border-slate-300 px-2 py-1 text-sm"
            />
            <button type="submit" class={BUTTON}>Search</button>
          </form>
        </div>
        {data.models.length === 0
          ? (
            <EmptyState
              title={data.q ? "No model matches this search" : "No registered models yet"}
            >
              Register a finished training run below, or import an ONNX model you trained elsewhere.
            </EmptyState>
          )
          : (
            <div class="overflow-x-auto rounded-lg border border-slate-200 bg-white">
              <table class="w-full text-sm">
                <thead class="bg-slate-50 text-left text-slate-600">
                  <tr>
                    <th class="px-3 py-2 font-medium">Model</th>
                    <th class="px-3 py-2 font-medium">Aliases</th>
                    <th class="px-3 py-2 font-medium">Description</th>
                    <th class="px-3 py-2 font-medium">Owner</th>
                    <th class="px-3 py-2 font-medium">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {data.models.map((m) => (
                    <tr key={m.name} class="border-t border-slate-100">
                      <td class="px-3 py-2 font-mono text-xs">
                        <a class="text-blue-700 hover:underline" href={modelHref(m.name)}>
                          {m.name}
                        </a>
                      </td>
                      <td class="px-3 py-2">
                        <span class="inline-flex flex-wrap gap-1">
                          {m.aliases.length === 0 && <span class="text-slate-400">—</span>}
                          {m.aliases.map((a) => (
                            <a key={a.alias} href={modelHref(m.name, a.version)}>
                              <Aliases aliases={[`${a.alias} → v${a.version}`]} />
                            </a>
                          ))}
                        </span>
                      </td>
                      <td class="px-3 py-2 text-slate-600 [overflow-wrap:anywhere]">
                        {m.description ?? ""}
                      </td>
                      <td class="px-3 py-2">{m.owner ?? "—"}</td>
                      <td class="px-3 py-2 whitespace-nowrap text-slate-500">
                        <When ms={m.updatedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </section>
      <RegisterForms
        runs={data.runs}
        form={data.form}
        error={data.error}
        errorFor={data.errorFor}
        defaultCatalog={data.defaultCatalog}
      />
    </Page>
  );
}
