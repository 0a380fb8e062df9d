import type { FieldSpec } from "@/lib/config/fields.ts";
import { formSections, type FormValues } from "@/lib/config/form.ts";
import { isTask, monitorOptions, type Task, TASK_LABELS, TASKS } from "@/lib/config/tasks.ts";

/** A model choice for the model field. */
export interface ModelOption {
  id: string;
  label: string;
}

interface Props {
  task: Task;
  values: FormValues;
  /** Error messages by field path (`model.image_size`). */
  errors: Record<string, string[]>;
  /** Warning messages by field path. */
  warnings: Record<string, string[]>;
  models: ModelOption[];
  /** A value that fixes a field's error, by field path (offered as a button). */
  fixes?: Record<string, string>;
  onFix?: (path: string, value: string) => void;
}

const INPUT =
  "mt-1 block w-full rounded-md border px-2 py-1.5 text-sm focus:outline-none focus:ring-2 focus:ring-blue-300";

function fieldId(path: string): string {
  return "f-" + path.replace(/[^\w-]/g, "-");
}

/** Every form section and field for a task, with errors and warnings beside each field. */
export function ConfigFields(
  { task, values, errors, warnings, models, fixes = {}, onFix }: Props,
) {
  return (
    <div class="space-y-6">
      {formSections(task).map(({ section, fields }) => (
        <fieldset key={section.key} class="rounded-lg border border-slate-200 bg-white p-4">
          <legend class="px-1 font-semibold text-slate-900">{section.title}</legend>
          <p class="text-xs text-slate-500 mb-3">{section.help}</p>
          <div class="grid grid-cols-1 md:grid-cols-2 gap-4">
            {fields.map((f) => {
              const path = `${section.key}.${f.key}`;
              return (
                <Field
                  key={path}
                  path={path}
                  field={f}
                  task={task}
                  value={values[path] ?? ""}
                  errors={errors[path] ?? []}
                  warnings={warnings[path] ?? []}
                  models={models}
                  fix={fixes[path]}
                  onFix={onFix}
                />
              );
            })}
          </div>
        </fieldset>
      ))}
    </div>
  );
}

interface FieldProps {
  path: string;
  field: FieldSpec;
  task: Task;
  value: string;
  errors: string[];
  warnings: string[];
  models: ModelOption[];
  fix?: string;
  onFix?: (path: string, value: string) => void;
}

function Field(
  { path, field: f, task, value, errors, warnings, models, fix, onFix }: FieldProps,
) {
  const id = fieldId(path);
  const bad = errors.length > 0;
  const cls = `${INPUT} ${bad ? "border-red-400 bg-red-50" : "border-slate-300"} ${
    f.type === "path" ? "font-mono text-xs" : ""
  }`;
  const describedBy = `${id}-help${bad ? ` ${id}-err` : ""}`;
  const common = {
    id,
    name: path,
    "aria-invalid": bad ? (true as const) : undefined,
    "aria-describedby": describedBy,
    class: cls,
  };
  let input;
  if (path === "model.task_type") {
    input = (
      <select {...common} value={value}>
        {value && !isTask(value) && (
          <option value={value}>{value} (read as {TASK_LABELS[task]})</option>
        )}
        {TASKS.map((t) => <option key={t} value={t}>{TASK_LABELS[t]}</option>)}
      </select>
    );
  } else if (f.type === "enum" || f.type === "boolean") {
    const opts = f.type === "boolean" ? ["true", "false"] : [...f.options!];
    if (value && !opts.includes(value)) opts.push(value);
    input = (
      <select {...common} value={value}>
        {!value && <option value="">(default: {String(f.default ?? "none")})</option>}
        {opts.map((o) => <option key={o} value={o}>{o}</option>)}
      </select>
    );
  } else if (f.type === "string_map" || f.type === "string_list") {
    input = (
      <textarea
        {...common}
        rows={3}
        value={value}
        placeholder={f.type === "string_map" ? "key: value (one per line)" : "a, b, c"}
      />
    );
  } else {
    const list = path === "model.model_name"
      ? "lv-models"
      : path === "training.monitor_metric"
      ? "lv-monitor"
      : undefined;
    input = (
      <input
        {...common}
        type="text"
        value={value}
        list={list}
        inputMode={f.type === "int" || f.type === "number" ? "decimal" : undefined}
        placeholder={f.default !== undefined && typeof f.default !== "object"
          ? `default ${String(f.default)}`
          : undefined}
        spellcheck={false}
      />
    );
  }
  return (
    <div data-field={path}>
      <label for={id} class="block text-sm font-medium text-slate-800">
        {f.label}
        {f.required === true || (Array.isArray(f.required) && f.required.includes(task))
          ? <span class="text-red-600" title="required">*</span>
          : null}
        <span class="ml-2 font-mono text-[10px] font-normal text-slate-400">{path}</span>
      </label>
      {input}
      {path === "model.model_name" && (
        <datalist id="lv-models">
          {models.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
        </datalist>
      )}
      {path === "training.monitor_metric" && (
        <datalist id="lv-monitor">
          {monitorOptions(task).map((m) => <option key={m} value={m} />)}
        </datalist>
      )}
      <p id={`${id}-help`} class="mt-1 text-xs text-slate-500">{f.help}</p>
      {bad && (
        <ul id={`${id}-err`} class="mt-1 text-xs text-red-700" role="alert" data-errors={path}>
          {errors.map((e, i) => <li key={i}>{e}</li>)}
        </ul>
      )}
      {fix && onFix && (
        <button
          type="button"
          class="mt-1 text-xs text-blue-700 underline"
          data-fix={path}
          onClick={() => onFix(path, fix)}
        >
          Use <span class="font-mono">{fix}</span>
        </button>
      )}
      {warnings.length > 0 && (
        <ul class="mt-1 text-xs text-amber-700" data-warnings={path}>
          {warnings.map((w, i) => <li key={i}>{w}</li>)}
        </ul>
      )}
    </div>
  );
}
