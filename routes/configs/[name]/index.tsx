import { Badge } from "@/components/Badge.tsx";
import { Page } from "@/components/Page.tsx";
import { ProblemList } from "@/components/config/ProblemList.tsx";
import { getModel } from "@/lib/config/catalog.ts";
import { checkDataPathsWithin, pathOptionsOf } from "@/lib/config/data_paths.ts";
import { VOLUME_PATH_FIELDS } from "@/lib/config/host_paths.ts";
import { TASK_LABELS } from "@/lib/config/tasks.ts";
import { validateConfig, type ValidationResult } from "@/lib/config/validate.ts";
import {
  configStoreFor,
  type ConfigSummary,
  type ConfigVersion,
  type FileStatus,
} from "@/lib/store/configs.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  config: ConfigSummary;
  shown: ConfigVersion;
  check: ValidationResult;
  history: Array<ConfigVersion & { file: FileStatus | null }>;
  saved: number | null;
  notice: string | null;
  /** Fields an import rewrote from disk paths to volume paths, with what they now hold. */
  rewrote: { field: string; value: string }[];
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const store = await configStoreFor(ctx.state);
    const name = ctx.params.name;
    const config = await store.get(name);
    const history = await store.history(name);
    const v = Number(ctx.url.searchParams.get("v") ?? config.latestVersion);
    const shown = history.find((h) => h.version === v) ?? history[0];
    const rules = validateConfig(shown.doc, {
      mode: "launch",
      target: ctx.state.settings.workspace,
    });
    // "ready to launch" also means the data is there, as the launch itself will check
    const paths = await checkDataPathsWithin(
      shown.doc,
      rules.task,
      ctx.state.workspace.files,
      pathOptionsOf(ctx.state.workspace),
    );
    const check = {
      ...rules,
      ok: rules.ok && paths.length === 0,
      errors: [...rules.errors, ...paths],
    };
    const saved = Number(ctx.url.searchParams.get("saved")) || null;
    const notice = ctx.url.searchParams.get("activated") === "1" && saved
      ? `Version ${saved} is now the active version: Training launches it by default.`
      : ctx.url.searchParams.get("notice")?.slice(0, 200) ?? null;
    const rewrote = (ctx.url.searchParams.get("rewrote") ?? "").split(",")
      .filter((f) => VOLUME_PATH_FIELDS.includes(f))
      .map((field) => {
        const [section, key] = field.split(".");
        const value = (shown.doc[section] as Record<string, unknown> | undefined)?.[key];
        return { field, value: typeof value === "string" ? value : "" };
      });
    return ctx.render({ config, shown, check, history, saved, notice, rewrote });
  },
};

const BTN = "rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50";

/** One config: its versions, the YAML of one, and what can be done with it. */
export default function ConfigPage({ data }: PageProps<Data>) {
  const { config, shown, check, history } = data;
  const enc = encodeURIComponent(config.name);
  const savedFile = data.saved ? history.find((h) => h.version === data.saved)?.file : null;
  const actions = (
    <>
      <a
        class="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50"
        download={`${config.name}-v${shown.version}.yaml`}
        href={`/api/configs/${enc}/yaml?v=${shown.version}`}
      >
        Download YAML
      </a>
      <a
        class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
        href={`/configs/${enc}/edit?from=${shown.version}`}
      >
        Edit
      </a>
    </>
  );
  return (
    <Page
      title={config.name}
      crumbs={[{ label: "Configs", href: "/configs" }]}
      description={`${TASK_LABELS[config.task]} · ${
        getModel(config.model)?.displayName ?? config.model
      }`}
      actions={actions}
    >
      {data.saved && (
        <p
          role="status"
          class="mb-4 rounded-md bg-green-50 px-3 py-2 text-sm text-green-800"
          data-saved={data.saved}
        >
          Saved as version {data.saved}. {savedFile?.ok
            ? `Written to ${savedFile.path}.`
            : savedFile
            ? `The YAML file was not written: ${savedFile.error}.`
            : ""}
        </p>
      )}
      {data.rewrote.length > 0 && (
        <p
          role="status"
          class="mb-4 rounded-md bg-blue-50 px-3 py-2 text-sm text-blue-800"
          data-rewrote
        >
          The file gave {data.rewrote.length === 1 ? "this path" : "these paths"}{" "}
          as folders on this machine's disk; the import saved{" "}
          {data.rewrote.length === 1 ? "its volume path" : "their volume paths"} instead:{" "}
          {data.rewrote.map((r, i) => (
            <span key={r.field}>
              {i > 0 && "; "}
              <span class="font-mono">{r.field}</span> → <span class="font-mono">{r.value}</span>
            </span>
          ))}. The version's note in History keeps what the file said.
        </p>
      )}
      {data.notice && (
        <p role="status" class="mb-4 rounded-md bg-blue-50 px-3 py-2 text-sm text-blue-800">
          {data.notice}
        </p>
      )}
      <div class="grid grid-cols-1 lg:grid-cols-[1fr_24rem] gap-6">
        <section>
          <div class="flex items-center gap-2 mb-2">
            <h2 class="font-semibold text-slate-900">Version {shown.version}</h2>
            {config.activeVersion === shown.version && <Badge tone="green">active</Badge>}
            {check.ok
              ? <Badge tone="green">ready to launch</Badge>
              : <Badge tone="amber">{check.errors.length} to fix before launch</Badge>}
          </div>
          <ProblemList errors={check.errors} warnings={check.warnings} />
          <pre
            class="mt-3 max-h-[70vh] overflow-auto rounded-lg bg-slate-900 p-3 text-xs text-slate-100"
            data-yaml
          >{shown.yaml}</pre>
        </section>
        <section class="space-y-4">
          <form
            method="get"
            action={`/configs/${enc}/diff`}
            class="rounded-lg border border-slate-200 bg-white p-3 text-sm"
          >
            <h2 class="font-semibold text-slate-900 mb-2">Compare versions</h2>
            <div class="flex items-center gap-2">
              <VersionSelect
                name="a"
                versions={history}
                selected={Math.max(1, config.latestVersion - 1)}
              />
              <span>→</span>
              <VersionSelect name="b" versions={history} selected={config.latestVersion} />
              <button type="submit" class={BTN}>Diff</button>
            </div>
          </form>
          <form
            method="post"
            action={`/configs/${enc}/actions`}
            class="rounded-lg border border-slate-200 bg-white p-3 text-sm"
          >
            <h2 class="font-semibold text-slate-900 mb-2">Save v{shown.version} as a template</h2>
            <input type="hidden" name="action" value="template" />
            <input type="hidden" name="version" value={shown.version} />
            <label for="t-title" class="sr-only">Template name</label>
            <div class="flex gap-2">
              <input
                id="t-title"
                name="title"
                required
                maxLength={100}
                placeholder="Template name"
                class="flex-1 rounded-md border border-slate-300 px-2 py-1"
              />
              <button type="submit" class={BTN}>Save as template</button>
            </div>
          </form>
          <div class="rounded-lg border border-slate-200 bg-white p-3 text-sm">
            <h2 class="font-semibold text-slate-900 mb-2">History</h2>
            <ol class="divide-y divide-slate-100" data-testid="history">
              {history.map((h) => (
                <li key={h.version} class="py-2" data-version={h.version}>
                  <div class="flex items-center gap-2">
                    <a
                      class="font-medium text-blue-700 hover:underline"
                      href={`/configs/${enc}?v=${h.version}`}
                    >
                      v{h.version}
                    </a>
                    {config.activeVersion === h.version && <Badge tone="green">active</Badge>}
                    {h.restoredFrom && <Badge>restored from v{h.restoredFrom}</Badge>}
                    <span class="text-xs text-slate-500">
                      {new Date(h.createdAt).toISOString().slice(0, 16).replace("T", " ")} UTC ·
                      {" "}
                      {h.author} · {h.source}
                    </span>
                  </div>
                  {h.message && <p class="text-xs text-slate-700 mt-0.5">{h.message}</p>}
                  {h.file && (
                    <p
                      class={`font-mono text-[10px] mt-0.5 ${
                        h.file.ok ? "text-slate-500" : "text-amber-700"
                      }`}
                    >
                      {h.file.ok ? h.file.path : `file not written: ${h.file.error}`}
                    </p>
                  )}
                  <form method="post" action={`/configs/${enc}/actions`} class="mt-1 flex gap-1">
                    <input type="hidden" name="version" value={h.version} />
                    {config.activeVersion !== h.version && (
                      <button type="submit" name="action" value="activate" class={BTN}>
                        Activate
                      </button>
                    )}
                    {h.version !== config.latestVersion && (
                      <button type="submit" name="action" value="restore" class={BTN}>
                        Restore
                      </button>
                    )}
                    <a
                      class={BTN}
                      download={`${config.name}-v${h.version}.yaml`}
                      href={`/api/configs/${enc}/yaml?v=${h.version}`}
                    >
                      YAML
                    </a>
                  </form>
                </li>
              ))}
            </ol>
          </div>
        </section>
      </div>
    </Page>
  );
}

function VersionSelect(
  { name, versions, selected }: { name: string; versions: ConfigVersion[]; selected: number },
) {
  return (
    <select
      name={name}
      aria-label={name === "a" ? "Older version" : "Newer version"}
      class="rounded-md border border-slate-300 px-1 py-1"
    >
      {versions.map((v) => (
        <option key={v.version} value={v.version} selected={v.version === selected}>
          v{v.version}
        </option>
      ))}
    </select>
  );
}
