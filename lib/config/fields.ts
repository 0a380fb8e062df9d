/**
 * One description of every config field (type, range, default, help with units, which
 * tasks show it, whether the training job ignores it). The zod schema, the form pages and the
 * validator are all built from it, so they cannot drift apart. Browser-safe.
 */

import { DATA_SECTION, MODEL_SECTION } from "./fields_inputs.ts";
import {
  MLFLOW_SECTION,
  MONITORING_SECTION,
  OUTPUT_SECTION,
  SERVING_SECTION,
  TRAINING_SECTION,
} from "./fields_run.ts";
import type { Task } from "./tasks.ts";

export const SECTION_KEYS = [
  "model",
  "data",
  "training",
  "mlflow",
  "output",
  "serving",
  "monitoring",
] as const;
export type SectionKey = typeof SECTION_KEYS[number];

export type FieldType =
  | "string"
  | "path"
  | "int"
  | "number"
  | "boolean"
  | "enum"
  | "image_size"
  | "number_list"
  | "string_list"
  | "string_map"
  | "any";

export interface FieldSpec {
  key: string;
  label: string;
  type: FieldType;
  /** One or two sentences, with units. */
  help: string;
  default?: unknown;
  /** Required always (true) or only for these tasks. */
  required?: boolean | readonly Task[];
  /** `null` is accepted (the accelerator's Optional fields). */
  nullable?: boolean;
  min?: number;
  max?: number;
  /** Step for number inputs. */
  step?: number;
  /** Allowed values for `enum` fields. */
  options?: readonly string[];
  /** Only shown for these tasks. */
  tasks?: readonly Task[];
  /** Set when the training job never reads this field: why. */
  ignored?: string;
  /** Kind of path: data on a volume, scratch space on the cluster, or a workspace path. */
  pathKind?: "volume" | "scratch" | "workspace";
  /** Other spellings an enum also accepts (case-insensitive), e.g. scheduler `constant`. */
  accepts?: readonly string[];
  /** Valid and read by the training job, but not shown in the form (kept from the file). */
  advanced?: boolean;
  /** Booleans also accept "true"/"false"/"yes"/"no"/"1"/"0" strings (accelerator coercion). */
  laxBoolean?: boolean;
}

export interface SectionSpec {
  key: SectionKey;
  title: string;
  help: string;
  required: boolean;
  fields: readonly FieldSpec[];
}

/** The seven sections in form order. */
export const SECTIONS: readonly SectionSpec[] = [
  MODEL_SECTION,
  DATA_SECTION,
  TRAINING_SECTION,
  MLFLOW_SECTION,
  OUTPUT_SECTION,
  SERVING_SECTION,
  MONITORING_SECTION,
];

/** Deprecated `training` keys the training job silently drops, and what replaced them. */
export const DEPRECATED_TRAINING_KEYS: Record<string, string> = {
  distributed: "distribution is chosen from the GPUs present",
  use_ray: "Ray is no longer used",
  num_workers: "use data.num_workers",
  resources_per_worker: "Ray is no longer used",
  master_port: "distribution is chosen from the GPUs present",
  preferred_strategy: "distribution is chosen from the GPUs present",
  preferred_devices: "distribution is chosen from the GPUs present",
  learning_rate: "use model.learning_rate",
  weight_decay: "use model.weight_decay",
  scheduler: "use model.scheduler",
  scheduler_params: "the schedule's parameters are fixed",
};

/** The section description for a key. */
export function sectionSpec(key: SectionKey): SectionSpec {
  return SECTIONS.find((s) => s.key === key)!;
}

/** A field description by dotted path (`model.image_size`), or undefined. */
export function fieldSpec(path: string): FieldSpec | undefined {
  const [section, key] = path.split(".");
  return SECTIONS.find((s) => s.key === section)?.fields.find((f) => f.key === key);
}

/** Whether a field is required for a task. */
export function isRequired(field: FieldSpec, task: Task | null): boolean {
  if (field.required === true) return true;
  if (!field.required || !task) return false;
  return field.required.includes(task);
}

/** Fields a form shows for a task: used by the training job and relevant to the task. */
export function formFields(section: SectionSpec, task: Task): FieldSpec[] {
  return section.fields.filter((f) =>
    !f.ignored && !f.advanced && (!f.tasks || f.tasks.includes(task))
  );
}
