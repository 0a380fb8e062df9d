import { EmptyState } from "@/components/EmptyState.tsx";
import { BUTTON, INPUT } from "@/components/registry/parts.tsx";
import type { VersionChoice } from "@/lib/serving/deploy_form.ts";
import { WORKLOAD_SIZES, WORKLOAD_TYPES } from "@/lib/workspace/types.ts";

const TYPE_HINT: Record<string, string> = {
  CPU: "CPU",
  GPU_SMALL: "GPU_SMALL (1× T4)",
  GPU_MEDIUM: "GPU_MEDIUM (1× A10G)",
  GPU_LARGE: "GPU_LARGE (1× A100)",
};
/** A field's look, red-bordered while it has a problem. */
const FIELD = `${INPUT} aria-[invalid=true]:border-red-600`;

const SIZE_HINT: Record<string, string> = {
  Small: "Small (up to 4 concurrent requests)",
  Medium: "Medium (8–16)",
  Large: "Large (16–64)",
};

/**
 * The create-or-update form: a name that exists updates that endpoint in place. Works without
 * JavaScript; "Review request" shows the exact request before anything is sent.
 */
export function EndpointForm(
  { choices, form, error, fieldErrors = {}, editing, nameSuggested }: {
    choices: VersionChoice[];
    /** Values to show (what was sent, or the endpoint being changed). */
    form: Record<string, string>;
    error?: string;
    /** Problems by field (`name`, `ref`, `ref2`, `traffic`, `size`, `workload_type`). */
    fieldErrors?: Record<string, string>;
    /** The name of the endpoint being changed, when this is an update. */
    editing?: string;
    /** The name shown was made from the model, not typed. */
    nameSuggested?: boolean;
  },
) {
  if (choices.length === 0) {
    return (
      <EmptyState
        title="No registered models to serve"
        action={{ label: "Open the Model Registry", href: "/models" }}
      >
        Register a training run or import an ONNX model first; its READY versions appear here.
      </EmptyState>
    );
  }
  const label = "block text-sm font-medium text-slate-700 mb-1";
  /** The message of field `k`, shown under it. */
  const fieldError = (k: string) =>
    fieldErrors[k] && (
      <p id={`ep-err-${k}`} class="text-xs text-red-700 mt-1" data-field-error={k}>
        {fieldErrors[k]}
      </p>
    );
  const invalid = (k: string, help?: string) => ({
    "aria-invalid": fieldErrors[k] ? "true" as const : undefined,
    "aria-describedby": [fieldErrors[k] && `ep-err-${k}`, help].filter(Boolean).join(" ") ||
      undefined,
  });
  const marked = Object.keys(fieldErrors).length > 0;
  return (
    <form
      method="post"
      action="/deployments"
      class="rounded-lg border border-slate-200 bg-white p-4 space-y-4"
      aria-labelledby="deploy-title"
    >
      <h2 id="deploy-title" class="text-lg font-semibold text-slate-900">
        {editing ? `Change ${editing}` : "Create or update an endpoint"}
      </h2>
      <p class="text-sm text-slate-600">
        A name that already exists changes that endpoint in place (its config is replaced; it keeps
        serving while the new config deploys). Nothing is sent until you have reviewed the request.
      </p>
      {error && (
        <p
          role="alert"
          class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800"
        >
          {marked ? "Nothing was sent: see the marked field below." : error}
        </p>
      )}
      <div class="grid gap-4 md:grid-cols-2">
        <div>
          <label class={label} for="ep-name">Endpoint name</label>
          <input
            id="ep-name"
            name="name"
            required
            maxLength={63}
            pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,62}"
            title="Letters, digits, - and _, starting with a letter or digit; up to 63 characters."
            value={form.name ?? ""}
            readOnly={!!editing}
            placeholder="tiny-classifier"
            class={`${FIELD} font-mono`}
            {...invalid("name", "ep-name-help")}
          />
          {fieldError("name")}
          <p id="ep-name-help" class="text-xs text-slate-500 mt-1">
            Letters, digits, - and _; up to 63 characters.
            {nameSuggested && form.name ? " Suggested from the model; change it freely." : ""}
          </p>
        </div>
        <div>
          <label class={label} for="ep-ref">Model version</label>
          <VersionSelect
            id="ep-ref"
            name="ref"
            choices={choices}
            value={form.ref ?? ""}
            error={fieldErrors.ref && "ep-err-ref"}
          />
          {fieldError("ref")}
          <p class="text-xs text-slate-500 mt-1">Starts at the version holding @champion.</p>
        </div>
        <div>
          <label class={label} for="ep-ref2">Second version (A/B split, optional)</label>
          <VersionSelect
            id="ep-ref2"
            name="ref2"
            choices={choices}
            value={form.ref2 ?? ""}
            none="— none: the version above gets all traffic —"
            error={fieldErrors.ref2 && "ep-err-ref2"}
          />
          {fieldError("ref2")}
        </div>
        <div>
          <label class={label} for="ep-traffic">Traffic to the first version (%)</label>
          <input
            id="ep-traffic"
            name="traffic"
            type="number"
            min={0}
            max={100}
            step={1}
            value={form.traffic ?? "50"}
            class={FIELD}
            {...invalid("traffic")}
          />
          {fieldError("traffic")}
          <p class="text-xs text-slate-500 mt-1">
            With a second version it gets the rest, so the two add up to 100%.
          </p>
        </div>
        <div>
          <label class={label} for="ep-size">Workload size</label>
          <select id="ep-size" name="size" class={FIELD} {...invalid("size")}>
            {WORKLOAD_SIZES.map((s) => (
              <option key={s} value={s} selected={(form.size ?? "Small") === s}>
                {SIZE_HINT[s]}
              </option>
            ))}
          </select>
          {fieldError("size")}
        </div>
        <div>
          <label class={label} for="ep-type">Workload type</label>
          <select id="ep-type" name="workload_type" class={FIELD} {...invalid("workload_type")}>
            {WORKLOAD_TYPES.map((t) => (
              <option key={t} value={t} selected={(form.workload_type ?? "CPU") === t}>
                {TYPE_HINT[t]}
              </option>
            ))}
          </select>
          {fieldError("workload_type")}
        </div>
      </div>
      <fieldset class="space-y-1 text-sm">
        <legend class="sr-only">Options</legend>
        <label class="flex items-center gap-2">
          <input type="checkbox" name="scale_to_zero" checked={form.scale_to_zero === "on"} />
          Scale to zero when idle (cheaper; the first request after idling waits for a cold start)
        </label>
        <label class="flex items-center gap-2">
          <input type="checkbox" name="inference_tables" checked={form.inference_tables === "on"} />
          Inference tables (log requests and responses through AI Gateway)
        </label>
      </fieldset>
      <button type="submit" name="action" value="review" class={BUTTON}>Review request…</button>
    </form>
  );
}

/** A select of registered versions (`model@version`), grouped by model; non-READY ones disabled. */
export function VersionSelect(
  { id, name, choices, value, none, class: cls, error }: {
    id: string;
    name: string;
    choices: VersionChoice[];
    value: string;
    /** The first option's text, meaning "none" (the select is then optional). */
    none?: string;
    class?: string;
    /** The id of the message shown for this field, when there is one. */
    error?: string;
  },
) {
  return (
    <select
      id={id}
      name={name}
      class={`${cls ?? FIELD} font-mono`}
      required={!none}
      aria-invalid={error ? "true" : undefined}
      aria-describedby={error}
    >
      {none && <option value="" selected={!value}>{none}</option>}
      {choices.map((c) => (
        <optgroup key={c.model} label={c.model}>
          {c.versions.map((v) => {
            const ref = `${c.model}@${v.version}`;
            const al = v.aliases.map((a) => ` @${a}`).join("");
            return (
              <option
                key={ref}
                value={ref}
                selected={ref === value}
                disabled={v.status !== "READY"}
              >
                {`${c.model} v${v.version}${al}${v.status === "READY" ? "" : ` (${v.status})`}`}
              </option>
            );
          })}
        </optgroup>
      ))}
    </select>
  );
}
