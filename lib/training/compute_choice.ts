/**
 * The compute a person picks for a training run, as one schema for the server, the store's run
 * records, the CLI and the launch form. Browser-safe and written against zod's tree-shakable
 * `zod/mini` API, so the launch page does not ship the whole library; zod/mini has no built-in
 * messages, so every check here says in words what is wrong and what was given.
 */
import * as z from "zod/mini";

type Issue = { input?: unknown };

/** A short rendering of a bad value for a message. */
function shown(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return v.length > 40 ? `"${v.slice(0, 37)}..."` : `"${v}"`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === "object") return "a mapping";
  return String(v);
}

const wrongType = (what: string) => (iss: Issue) =>
  iss.input === undefined ? "is required" : `must be ${what}, got ${shown(iss.input)}`;

/** A whole number in [min, max], with messages that name the range. */
function wholeNumber(min: number, max: number) {
  const range = `a whole number of at least ${min}`;
  const got = (iss: Issue) => `must be ${range}, got ${shown(iss.input)}`;
  return z.number({ error: wrongType(range) }).check(
    z.int({ error: got }),
    z.minimum(min, { error: got }),
    z.maximum(max, { error: (iss: Issue) => `must be at most ${max}, got ${shown(iss.input)}` }),
  );
}

/** Optional text of at most `max` characters. */
function shortText(max: number) {
  return z.optional(
    z.string({ error: wrongType("text") }).check(
      z.maxLength(max, { error: `must be at most ${max} characters` }),
    ),
  );
}

/** One of `values`, naming them when it is not. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: wrongType(`one of ${values.join(", ")}`) });
}

export const DEVICES = ["auto", "cpu", "cuda"] as const;
export const DISTRIBUTION_CHOICES = ["auto", "single", "torchrun", "distributor"] as const;

/** Most addresses mailed about one run. */
export const MAX_EMAILS = 10;

/** Compute on this machine: a subprocess of the local workspace. */
export const LocalComputeSchema = z.object({
  kind: z.literal("local"),
  /** `auto` uses CUDA when the local torch has it. */
  device: z._default(oneOf(DEVICES), "auto"),
});

/** A Databricks job cluster (or an existing cluster) for the run. */
export const DatabricksComputeSchema = z.object({
  kind: z.literal("databricks"),
  /** GPU node type id from list-node-types (ignored with an existing cluster). */
  nodeType: shortText(100),
  /** GPUs on that node type (from list-node-types). */
  gpusPerNode: z._default(wholeNumber(0, 64), 1),
  /** ML GPU runtime key from spark-versions. */
  runtime: shortText(100),
  /** GPU nodes: 1 = single node; more = workers for TorchDistributor. */
  nodes: z._default(wholeNumber(1, 64), 1),
  existingClusterId: shortText(100),
  spot: z._default(z.boolean({ error: wrongType("true or false") }), false),
  /** Stop the run (and its job cluster) after this many minutes; 0 = no limit. */
  timeoutMinutes: z._default(wholeNumber(0, 7 * 24 * 60), 0),
  /** Override the automatic choice. */
  distribution: z._default(oneOf(DISTRIBUTION_CHOICES), "auto"),
  /** Addresses mailed on success / failure (Jobs API email_notifications). */
  emails: z._default(
    z.array(
      z.email({
        error: (iss: Issue) =>
          typeof iss.input === "string"
            ? `not an email address: ${iss.input}`
            : `must be an email address, got ${shown(iss.input)}`,
      }),
      { error: wrongType("a list of email addresses") },
    ).check(
      z.maxLength(MAX_EMAILS, {
        error: (iss: Issue) =>
          `at most ${MAX_EMAILS} addresses, got ${
            Array.isArray(iss.input) ? iss.input.length : shown(iss.input)
          }`,
      }),
    ),
    [],
  ),
});

/** The compute a person picked on the launch page (or with the CLI, or through the API). */
export const ComputeChoiceSchema = z.discriminatedUnion(
  "kind",
  [LocalComputeSchema, DatabricksComputeSchema],
  {
    error: (iss: Issue) => {
      const v = iss.input;
      if (v === undefined) return "is required";
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        return `must be a mapping with kind local or databricks, got ${shown(v)}`;
      }
      const kind = (v as { kind?: unknown }).kind;
      return `must be local or databricks, got ${kind === undefined ? "nothing" : shown(kind)}`;
    },
  },
);
export type ComputeChoice = z.infer<typeof ComputeChoiceSchema>;
