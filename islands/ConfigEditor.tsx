import { useComputed, useSignal } from "@preact/signals";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { ConfigFields } from "@/components/config/ConfigFields.tsx";
import { ProblemList } from "@/components/config/ProblemList.tsx";
import { getModel, modelsForTask, runtimeNote } from "@/lib/config/catalog.ts";
import {
  docToFormValues,
  formatNumber,
  type FormValues,
  formValuesToDoc,
  problemsByField,
} from "@/lib/config/form.ts";
import { volumePathProblem } from "@/lib/config/volume_paths.ts";
import { configNameProblem } from "@/lib/config/names.ts";
import type { ConfigDoc } from "@/lib/config/schema.ts";
import { isTask, type Task } from "@/lib/config/tasks.ts";
import { plural } from "@/lib/format.ts";
import { type Problem, validateConfig } from "@/lib/config/validate.ts";

/** The editor's props; also the shape of the editor page's data. */
export interface ConfigEditorProps {
  /** Where the form posts (Post/Redirect/Get). */
  action: string;
  /** The config name; editable only when `nameEditable`. */
  name: string;
  /** True on "new config" (the name is chosen here). */
  nameEditable: boolean;
  /** A server-side problem with the name (taken, invalid). */
  nameError: string | null;
  /** The task the form's fields are laid out for. */
  task: Task;
  /** The starting document; fields the form does not show are kept from it. */
  base: ConfigDoc;
  /** Field values to show (the posted ones after a failed save). */
  values: FormValues;
  /** The version this edit started from, if any. */
  baseVersion: number | null;
  /** The config's latest version when the editor opened (a save is refused if it changed). */
  expectedLatest: number | null;
  /** Why the server refused the last save (e.g. someone saved a newer version meanwhile). */
  saveError: string | null;
  /** The change note typed so far. */
  message: string;
  /** `databricks` also checks that data paths are under /Volumes/. */
  target: "local" | "databricks";
  /** Label of the submit button. */
  submitLabel: string;
  /**
   * What the server found checking the data in the workspace (paths, layout, classes) for the
   * values shown; later findings come with each preview from /api/configs/validate.
   */
  pathProblems: Problem[];
  /**
   * The YAML of the values shown, rendered on the server. Later previews come from
   * /api/configs/validate, so the browser never loads a YAML library.
   */
  yaml?: string;
}

const PATH_FIELDS = [
  "data.train_data_path",
  "data.val_data_path",
  "data.train_annotation_file",
  "data.val_annotation_file",
];

/** How the YAML preview stands against the values shown. */
type PreviewState = "current" | "pending" | "failed";

/** The workspace's findings on the data, and the values they were found for. */
interface DataFindings {
  problems: Problem[];
  values: FormValues;
}

/** The config form with live validation (same zod schema as the server) and a YAML preview. */
export default function ConfigEditor(props: ConfigEditorProps) {
  const valuesSig = useSignal<FormValues>(props.values);
  const taskSig = useSignal<Task>(props.task);
  const nameSig = useSignal(props.name);
  const readySig = useSignal(false);
  const blockedSig = useSignal(false);
  const nameTouchedSig = useSignal(false);
  const yamlSig = useSignal(props.yaml ?? "");
  const previewSig = useSignal<PreviewState>(props.yaml === undefined ? "pending" : "current");
  const previewErrorSig = useSignal("");
  const retrySig = useSignal(0);
  const dataSig = useSignal<DataFindings>({ problems: props.pathProblems, values: props.values });
  useEffect(() => {
    readySig.value = true;
  }, []);

  const docSig = useComputed(() => formValuesToDoc(props.base, valuesSig.value, taskSig.value));
  const resultSig = useComputed(() => validateConfig(docSig.value, { target: props.target }));
  const values = valuesSig.value, task = taskSig.value, name = nameSig.value;
  const ready = readySig.value, blocked = blockedSig.value, nameTouched = nameTouchedSig.value;
  const doc = docSig.value, result = resultSig.value, yaml = yamlSig.value;

  // The preview follows the values through the server (debounced; an answer to an older edit is
  // dropped); the server-rendered one stands until the first edit.
  const docJson = JSON.stringify(doc);
  const shownJson = useRef(props.yaml === undefined ? "" : docJson);
  useEffect(() => {
    if (docJson === shownJson.current) return;
    previewSig.value = "pending";
    let stale = false;
    const asked = values;
    const timer = setTimeout(async () => {
      try {
        const res = await fetch("/api/configs/validate", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ doc, mode: "edit" }),
        });
        const body = await res.json();
        if (stale) return;
        if (!res.ok || typeof body.yaml !== "string") {
          throw new Error(body?.error?.message ?? `the server answered ${res.status}`);
        }
        yamlSig.value = body.yaml;
        dataSig.value = { problems: Array.isArray(body.data) ? body.data : [], values: asked };
        shownJson.current = docJson;
        previewSig.value = "current";
      } catch (e) {
        if (stale) return;
        previewErrorSig.value = e instanceof Error ? e.message : String(e);
        previewSig.value = "failed";
      }
    }, 250);
    return () => {
      clearTimeout(timer);
      stale = true;
    };
  }, [docJson, retrySig.value]);
  // Data paths: a path outside a volume is an error as it is typed. What the workspace holds
  // (missing folders, layout, classes against num_classes) is the server's finding, shown while
  // the field it is on still holds the value it was found for; it blocks launching, not saving.
  // Where both speak of a path the server's words stand: they name what is on disk.
  const found = dataSig.value.problems.filter((p) =>
    !p.path || values[p.path] === dataSig.value.values[p.path]
  );
  const pathErrors: Problem[] = PATH_FIELDS.flatMap((k) => {
    const v = values[k]?.trim();
    const problem = v ? volumePathProblem(v) : null;
    if (!problem) return [];
    return [found.find((p) => p.path === k) ?? { path: k, message: problem }];
  });
  const dataProblems = found.filter((p) => !pathErrors.some((e) => e.path === p.path));
  const fixes = Object.fromEntries(
    pathErrors.filter((p) => p.fix).map((p) => [p.path, p.fix!]),
  );
  const allErrors = [...result.errors, ...pathErrors];
  const errors = problemsByField(allErrors, task);
  const warnings = problemsByField([...result.warnings, ...dataProblems], task);
  // A new form starts without a name: say so once the person has typed one or tried to save.
  // The server's verdict on the name (taken, invalid) stays until the name is changed.
  const liveNameError = props.nameEditable ? configNameProblem(name) : null;
  const serverNameError = name === props.name ? props.nameError : null;
  const nameError = ready && props.nameEditable
    ? (serverNameError ?? (nameTouched || blocked ? liveNameError : null))
    : props.nameError;
  const model = getModel(values["model.model_name"] ?? "");
  const models = useMemo(
    () =>
      modelsForTask(task).map((m) => ({
        id: m.id,
        label: `${m.displayName} · ${m.sizeClass} · ${runtimeNote(m)}`,
      })),
    [task],
  );

  function onInput(e: Event) {
    const t = e.target as HTMLInputElement;
    if (!t.name || !t.name.includes(".")) return;
    const next = { ...values, [t.name]: t.value };
    if (t.name === "model.task_type" && isTask(t.value) && t.value !== task) {
      taskSig.value = t.value;
      valuesSig.value = {
        ...docToFormValues(formValuesToDoc(props.base, next, task), t.value),
        ...next,
      };
    } else valuesSig.value = next;
    blockedSig.value = false;
  }

  function applyModelDefaults() {
    if (!model) return;
    const d = model.defaults;
    valuesSig.value = {
      ...values,
      "model.image_size": String(model.imageSize.default),
      "model.learning_rate": formatNumber(d.learningRate),
      "model.weight_decay": formatNumber(d.weightDecay),
      "data.batch_size": String(d.batchSize),
      "training.monitor_metric": d.monitorMetric,
      "training.monitor_mode": d.monitorMode,
    };
  }

  function onSubmit(e: Event) {
    if (allErrors.length === 0 && !liveNameError) return;
    e.preventDefault();
    blockedSig.value = true;
    if (liveNameError) return document.getElementById("f-name")?.focus();
    const first = document.querySelector<HTMLElement>("[aria-invalid=true]");
    first?.focus();
  }

  function download() {
    const url = URL.createObjectURL(new Blob([yaml], { type: "application/yaml" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${name || "config"}.yaml`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  const count = allErrors.length + (nameError ? 1 : 0);
  const warningCount = result.warnings.length;
  const dataCount = dataProblems.length;
  return (
    <form
      method="post"
      action={props.action}
      onInput={onInput}
      onChange={onInput}
      onSubmit={onSubmit}
      class="grid grid-cols-1 lg:grid-cols-[1fr_26rem] gap-6"
      data-ready={ready ? "true" : "false"}
    >
      <div class="space-y-6">
        <input type="hidden" name="form_task" value={task} />
        <input type="hidden" name="base" value={JSON.stringify(props.base)} />
        <input type="hidden" name="base_version" value={props.baseVersion ?? ""} />
        <input type="hidden" name="expected_latest" value={props.expectedLatest ?? ""} />
        <div class="rounded-lg border border-slate-200 bg-white p-4 grid grid-cols-1 md:grid-cols-2 gap-4">
          <div>
            <label for="f-name" class="block text-sm font-medium text-slate-800">Name</label>
            <input
              id="f-name"
              name="name"
              value={name}
              readOnly={!props.nameEditable}
              onInput={(e) => {
                nameSig.value = (e.target as HTMLInputElement).value;
                nameTouchedSig.value = true;
              }}
              aria-invalid={nameError ? true : undefined}
              class={`mt-1 block w-full rounded-md border px-2 py-1.5 text-sm font-mono ${
                nameError ? "border-red-400 bg-red-50" : "border-slate-300"
              } ${props.nameEditable ? "" : "bg-slate-50"}`}
              placeholder="detr-coco"
            />
            {nameError && (
              <p class="mt-1 text-xs text-red-700" role="alert" data-errors="name">{nameError}</p>
            )}
          </div>
          <div>
            <label for="f-message" class="block text-sm font-medium text-slate-800">
              Change note
            </label>
            <input
              id="f-message"
              name="message"
              defaultValue={props.message}
              class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
              placeholder="What changed in this version (optional)"
            />
          </div>
        </div>
        {model && (
          <p class="text-sm text-slate-600" data-model-info>
            <strong>{model.displayName}</strong> · {model.sizeClass} · {model.params}{" "}
            parameters · default {model.imageSize.default} px ·{" "}
            {model.runsLocally ? "runs locally" : "needs a GPU cluster"}
            {ready && (
              <button
                type="button"
                onClick={applyModelDefaults}
                class="ml-2 underline text-blue-700"
              >
                Use this model's defaults
              </button>
            )}
          </p>
        )}
        <ConfigFields
          task={task}
          values={values}
          errors={errors}
          warnings={warnings}
          models={models}
          fixes={fixes}
          onFix={(path, value) => {
            valuesSig.value = { ...values, [path]: value };
          }}
        />
        <ProblemList title="Other notes" errors={errors[""] ?? []} warnings={warnings[""] ?? []} />
      </div>
      <aside class="lg:sticky lg:top-4 self-start space-y-3">
        <div
          class={`rounded-lg p-3 text-sm ${
            count
              ? "bg-red-50 text-red-800"
              : dataCount
              ? "bg-amber-50 text-amber-900"
              : "bg-green-50 text-green-800"
          }`}
          aria-live="polite"
          data-status={count ? "invalid" : "valid"}
          data-launch={count || dataCount ? "blocked" : "ready"}
        >
          {count
            ? `${count} error${count > 1 ? "s" : ""} to fix${blocked ? " before saving" : ""}`
            : dataCount
            ? `Saves as a valid ${result.task ?? ""} config, but cannot launch yet`
            : `Valid ${result.task ?? ""} config`}
          {warningCount > 0 && `, ${plural(warningCount, "warning")}`}
          {dataCount > 0 && (
            <span class="block text-xs" data-path-status>
              {dataCount === 1 ? "1 problem" : `${dataCount} problems`}{" "}
              with the data in the workspace, marked below: launching is refused until{" "}
              {dataCount === 1 ? "it is" : "they are"} fixed.
            </span>
          )}
        </div>
        {props.saveError && (
          <p
            role="alert"
            class="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800"
            data-errors="save"
          >
            {props.saveError}
          </p>
        )}
        <div class="flex gap-2">
          <button
            type="submit"
            class="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700"
          >
            {props.submitLabel}
          </button>
          <button
            type="submit"
            name="activate"
            value="1"
            class="rounded-md border border-slate-900 px-3 py-2 text-sm font-medium text-slate-900 hover:bg-slate-50"
            title="Save, then make this version the one Training launches by default"
          >
            {props.submitLabel} and activate
          </button>
          <button
            type="button"
            onClick={download}
            disabled={!ready || previewSig.value !== "current"}
            title={previewSig.value === "current" ? undefined : "Waiting for the preview"}
            class="rounded-md border border-slate-300 px-3 py-2 text-sm hover:bg-slate-50 disabled:opacity-50"
          >
            Download YAML
          </button>
        </div>
        {previewSig.value === "failed" && (
          <p role="alert" class="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
            The preview could not be updated: {previewErrorSig.value}{" "}
            <button
              type="button"
              class="underline"
              onClick={() =>
                retrySig.value++}
            >
              Try again
            </button>
          </p>
        )}
        <pre
          class={`max-h-[70vh] overflow-auto rounded-lg bg-slate-900 p-3 text-xs text-slate-100 ${
            previewSig.value === "current" ? "" : "opacity-60"
          }`}
          aria-label="YAML preview"
          aria-busy={previewSig.value === "pending"}
          data-yaml-preview
          data-preview={previewSig.value}
        >{yaml}</pre>
      </aside>
    </form>
  );
}
