import { Page } from "@/components/Page.tsx";
import { ProblemList } from "@/components/config/ProblemList.tsx";
import { rewriteDiskPaths } from "@/lib/config/host_paths.ts";
import { configNameProblem, slugifyName } from "@/lib/config/names.ts";
import { type Problem, validateConfig } from "@/lib/config/validate.ts";
import { MAX_YAML_BYTES, parseConfigYaml } from "@/lib/config/yaml_io.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";
import { authorOf } from "@/lib/config/author.ts";

interface Data {
  name: string;
  yaml: string;
  nameError: string | null;
  /** Syntax or size problem, with line and column when known. */
  parseError: string | null;
  errors: Problem[];
  warnings: Problem[];
}

const EMPTY: Data = {
  name: "",
  yaml: "",
  nameError: null,
  parseError: null,
  errors: [],
  warnings: [],
};

export const handler: Handlers<Data> = {
  GET(_req, ctx) {
    return ctx.render(EMPTY);
  },
  async POST(req, ctx) {
    const form = await readForm(req);
    const file = form.get("file");
    const upload = file instanceof File && file.size > 0 ? file : null;
    let yaml = String(form.get("yaml") ?? "");
    let name = String(form.get("name") ?? "").trim();
    const bad = (data: Partial<Data>) =>
      ctx.render({ ...EMPTY, name, yaml: yaml.length <= MAX_YAML_BYTES ? yaml : "", ...data }, {
        status: 422,
      });
    if (upload) {
      if (!name) name = slugifyName(upload.name.replace(/\.ya?ml$/i, ""));
      if (upload.size > MAX_YAML_BYTES) {
        return bad({
          parseError: `${upload.name} is ${
            (upload.size / 1024 / 1024).toFixed(1)
          } MB; a config may be at most ${MAX_YAML_BYTES / 1024} KB`,
        });
      }
      yaml = await upload.text();
    }
    const parsed = parseConfigYaml(yaml);
    if (!parsed.ok) {
      return bad({ parseError: (upload ? `${upload.name}: ` : "") + parsed.error.message });
    }
    // A volume named by its folder on this machine's disk reads as its volume path, and says so.
    const { doc, rewrites } = rewriteDiskPaths(parsed.doc, ctx.state.workspace.files);
    const check = validateConfig(doc, { target: ctx.state.settings.workspace });
    const nameError = configNameProblem(name);
    if (nameError || !check.ok) {
      return bad({ nameError, errors: check.errors, warnings: check.warnings });
    }
    const store = await configStoreFor(ctx.state);
    const rewritten = rewrites.map((r) => `${r.field} ${r.from} → ${r.to}`).join("; ");
    const saved = await store.save(name, doc, {
      author: authorOf(ctx.state),
      source: "import",
      sourceYaml: yaml,
      message: (upload ? `Imported ${upload.name}` : "Imported pasted YAML") +
        (rewrites.length ? `; disk paths rewritten to volume paths: ${rewritten}` : ""),
    });
    const rewrote = rewrites.length
      ? `&rewrote=${encodeURIComponent(rewrites.map((r) => r.field).join(","))}`
      : "";
    return ctx.redirect(
      `/configs/${encodeURIComponent(name)}?saved=${saved.version.version}${rewrote}`,
    );
  },
};

/** Import an accelerator YAML file (upload or paste); nothing is saved unless it is valid. */
export default function ImportPage({ data }: PageProps<Data>) {
  return (
    <Page
      title="Import YAML"
      crumbs={[{ label: "Configs", href: "/configs" }]}
      description="Accelerator configs load as they are: task_type: segmentation is mapped, deprecated and ignored keys are reported as warnings, and a path to a volume's folder on this machine's disk is rewritten to its volume path."
    >
      {data.parseError && (
        <p
          role="alert"
          class="mb-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
          data-parse-error
        >
          {data.parseError}. Nothing was saved.
        </p>
      )}
      {data.errors.length > 0 && (
        <div class="mb-4">
          <ProblemList
            title="Nothing was saved: fix these first"
            errors={data.errors}
            warnings={data.warnings}
          />
        </div>
      )}
      <form
        method="post"
        enctype="multipart/form-data"
        class="space-y-4 rounded-lg border border-slate-200 bg-white p-4"
      >
        <div>
          <label for="i-name" class="block text-sm font-medium text-slate-800">Name</label>
          <input
            id="i-name"
            name="name"
            value={data.name}
            placeholder="taken from the file name when empty"
            class={`mt-1 block w-full max-w-md rounded-md border px-2 py-1.5 text-sm font-mono ${
              data.nameError ? "border-red-400 bg-red-50" : "border-slate-300"
            }`}
          />
          {data.nameError && (
            <p class="mt-1 text-xs text-red-700" role="alert">Name {data.nameError}</p>
          )}
          <p class="mt-1 text-xs text-slate-500">
            An existing name gets the import as its next version.
          </p>
        </div>
        <div>
          <label for="i-file" class="block text-sm font-medium text-slate-800">YAML file</label>
          <input
            id="i-file"
            name="file"
            type="file"
            accept=".yaml,.yml,text/yaml,application/yaml"
            class="mt-1 text-sm"
          />
        </div>
        <div>
          <label for="i-yaml" class="block text-sm font-medium text-slate-800">…or paste it</label>
          <textarea
            id="i-yaml"
            name="yaml"
            rows={16}
            value={data.yaml}
            spellcheck={false}
            class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono text-xs"
          />
          <p class="mt-1 text-xs text-slate-500">At most {MAX_YAML_BYTES / 1024} KB.</p>
        </div>
        <button
          type="submit"
          class="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700"
        >
          Import
        </button>
      </form>
    </Page>
  );
}
