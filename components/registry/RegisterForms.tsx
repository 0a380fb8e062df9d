import { BUTTON, INPUT, Notice } from "@/components/registry/parts.tsx";
import type { RegistrableRun } from "@/lib/registry/service.ts";

interface Props {
  runs: RegistrableRun[];
  /** What was sent last (kept on error). */
  form: Record<string, string>;
  error?: string;
  errorFor?: "register" | "import";
  /** `catalog.schema` of the app's volume, suggested for new names. */
  defaultCatalog: string;
}

function Common(
  { form, defaultCatalog, id, suggested, names }: Pick<Props, "form" | "defaultCatalog"> & {
    id: string;
    /** The chosen run's config's registered model name, filled in when nothing was typed. */
    suggested?: string;
    /** Names the listed runs' configs register under, offered as choices. */
    names?: string[];
  },
) {
  const list = names?.length ? `${id}-names` : undefined;
  return (
    <>
      <label class="block text-sm text-slate-700" for={`${id}-name`}>
        Model name <span class="text-slate-500">(catalog.schema.model)</span>
        <input
          id={`${id}-name`}
          name="name"
          required
          value={form.name ?? suggested ?? ""}
          list={list}
          placeholder={`${defaultCatalog}.my_detector`}
          pattern="[A-Za-z0-9_][A-Za-z0-9_\-]*\.[A-Za-z0-9_][A-Za-z0-9_\-]*\.[A-Za-z0-9_][A-Za-z0-9_\-]*"
          title="three parts: letters, digits, _ or -"
          class={`${INPUT} font-mono mt-1`}
        />
        {list && (
          <datalist id={list}>
            {names!.map((n) => <option key={n} value={n} />)}
          </datalist>
        )}
        {suggested && form.name === undefined && (
          <span class="mt-1 block text-xs text-slate-500" data-testid="name-from-config">
            From the run's config (serving.registered_model_name).
          </span>
        )}
      </label>
      <label class="block text-sm text-slate-700" for={`${id}-aliases`}>
        Aliases to set <span class="text-slate-500">(e.g. champion, challenger)</span>
        <input
          id={`${id}-aliases`}
          name="aliases"
          value={form.aliases ?? ""}
          class={`${INPUT} mt-1`}
        />
      </label>
      <label class="block text-sm text-slate-700" for={`${id}-description`}>
        Description
        <textarea id={`${id}-description`} name="description" rows={2} class={`${INPUT} mt-1`}>
          {form.description ?? ""}
        </textarea>
      </label>
      <label class="block text-sm text-slate-700" for={`${id}-tags`}>
        Tags <span class="text-slate-500">(key=value, one per line)</span>
        <textarea id={`${id}-tags`} name="tags" rows={2} class={`${INPUT} font-mono mt-1`}>
          {form.tags ?? ""}
        </textarea>
      </label>
    </>
  );
}

/** The two ways to add a version: register a finished run, or import an ONNX model. */
export function RegisterForms(p: Props) {
  const registerForm = p.errorFor === "register" ? p.form : { run: p.form.run };
  const importForm = p.errorFor === "import" ? p.form : {};
  return (
    <div class="grid items-start gap-6 md:grid-cols-2">
      <section id="register" class="rounded-lg border border-slate-200 bg-white p-4">
        <h2 class="text-lg font-semibold text-slate-900 mb-1">Register a run</h2>
        <p class="text-sm text-slate-600 mb-3">
          The run's <code>model.onnx</code> and <code>model.json</code>{" "}
          become a new version, with its validation metrics, config version and datasets recorded as
          lineage.
        </p>
        {p.errorFor === "register" && <Notice text={p.error} tone="red" />}
        {p.runs.length === 0
          ? (
            <p class="text-sm text-slate-600">
              No finished run yet:{" "}
              <a class="text-blue-700 hover:underline" href="/training/new">train one</a>.
            </p>
          )
          : (
            <form method="post" class="space-y-3">
              <input type="hidden" name="action" value="register" />
              <label class="block text-sm text-slate-700" for="reg-run">
                Run
                <select id="reg-run" name="run" required class={`${INPUT} mt-1`}>
                  {p.runs.map((r) => (
                    <option key={r.id} value={r.id} selected={registerForm.run === r.id}>
                      {r.name} · {r.id} · {r.task} · {r.metric.value === null
                        ? "no metric"
                        : `${r.metric.name} ${r.metric.value.toFixed(3)}`}
                    </option>
                  ))}
                </select>
              </label>
              <Common
                form={registerForm}
                defaultCatalog={p.defaultCatalog}
                id="reg"
                suggested={(p.runs.find((r) => r.id === registerForm.run) ?? p.runs[0])
                  ?.registeredName}
                names={[
                  ...new Set(p.runs.flatMap((r) => r.registeredName ? [r.registeredName] : [])),
                ]}
              />
              <button type="submit" class={BUTTON}>Register</button>
            </form>
          )}
      </section>
      <section id="import" class="rounded-lg border border-slate-200 bg-white p-4">
        <h2 class="text-lg font-semibold text-slate-900 mb-1">Import an ONNX model</h2>
        <p class="text-sm text-slate-600 mb-3">
          Bring a model trained elsewhere: its <code>.onnx</code> file and a <code>model.json</code>
          {" "}
          that says how to feed and decode it. Both are checked against each other before anything
          is stored.
        </p>
        {p.errorFor === "import" && <Notice text={p.error} tone="red" />}
        <form method="post" enctype="multipart/form-data" class="space-y-3">
          <input type="hidden" name="action" value="import" />
          <label class="block text-sm text-slate-700" for="imp-onnx">
            ONNX model
            <input
              id="imp-onnx"
              type="file"
              name="onnx"
              accept=".onnx"
              required
              class="block mt-1 text-sm"
            />
          </label>
          <label class="block text-sm text-slate-700" for="imp-json">
            model.json
            <input
              id="imp-json"
              type="file"
              name="model_json"
              accept=".json,application/json"
              required
              class="block mt-1 text-sm"
            />
          </label>
          <Common form={importForm} defaultCatalog={p.defaultCatalog} id="imp" />
          <button type="submit" class={BUTTON}>Import</button>
        </form>
      </section>
    </div>
  );
}
