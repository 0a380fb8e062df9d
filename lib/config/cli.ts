/**
 * `deno task cli config ...`: validate a YAML file, or print a new config for a task and
 * model. Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage or unreadable file.
 */

import { parseArgs } from "node:util";
import { getModel, MODEL_CATALOG, modelsForTask, runtimeNote } from "./catalog.ts";
import { isTask, TASKS } from "./tasks.ts";
import { newConfig, setPath } from "./templates.ts";
import { loadSettings } from "@/fresh.config.ts";
import { validateConfig, type ValidationResult } from "./validate.ts";
import { MAX_YAML_BYTES, parseConfigYaml, stringifyConfig } from "./yaml_io.ts";

const USAGE = `Usage:
  config validate <file.yaml> [--json] [--launch] [--databricks]
      Checks a training config. Exit 0 when valid (warnings allowed), 1 on errors.
      --json        print {"ok", "task", "errors": [{"path","message"}], "warnings": [...]}
      --launch      treat placeholders such as /Volumes/<catalog>/... as errors
      --databricks  data paths must be under /Volumes/
  config new --task <task> --model <id> [--set key.path=value ...] [--volume /Volumes/c/s/v]
             [--email you@example.com] [--placeholders]
      Prints a valid config YAML with the model's defaults, on this workspace's volume
      (LAKEVISION_VOLUME, default /Volumes/main/lakevision/data) and experiment
      (LAKEVISION_USER_EMAIL or DATABRICKS_USER); --placeholders keeps <catalog>/... instead.
      tasks: ${TASKS.join(", ")}
  config models [--task <task>]
      Lists the model catalog.`;

/** Entry point used by lib/cli.ts; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  try {
    switch (command) {
      case "validate":
        return await validateCommand(rest);
      case "new":
        return newCommand(rest);
      case "models":
        return modelsCommand(rest);
      default:
        console.error(`Unknown config command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS")) {
      console.error(`error: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      launch: { type: "boolean", default: false },
      databricks: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`error: expected one YAML file, got ${positionals.length}\n\n${USAGE}`);
    return 2;
  }
  const file = positionals[0];
  let text: string;
  try {
    const info = await Deno.stat(file);
    if (info.size > MAX_YAML_BYTES) {
      return report(
        {
          ok: false,
          task: null,
          errors: [{
            path: "",
            message: `${file} is ${
              (info.size / 1024 / 1024).toFixed(1)
            } MB; a config may be at most ${MAX_YAML_BYTES / 1024} KB`,
          }],
          warnings: [],
        },
        values.json,
        file,
      );
    }
    text = await Deno.readTextFile(file);
  } catch (e) {
    console.error(`error: cannot read ${file}: ${(e as Error).message}`);
    return 2;
  }
  const parsed = parseConfigYaml(text);
  const result: ValidationResult = parsed.ok
    ? validateConfig(parsed.doc, {
      mode: values.launch ? "launch" : "edit",
      target: values.databricks ? "databricks" : "local",
    })
    : {
      ok: false,
      task: null,
      errors: [{ path: "", message: parsed.error.message }],
      warnings: [],
    };
  return report(result, values.json, file);
}

function report(result: ValidationResult, json: boolean, file: string): number {
  if (json) {
    const { ok, task, errors, warnings } = result;
    console.log(JSON.stringify({ ok, task, errors, warnings }));
    return ok ? 0 : 1;
  }
  const where = (p: string) => (p ? `${p}: ` : "");
  for (const e of result.errors) console.log(`error    ${where(e.path)}${e.message}`);
  for (const w of result.warnings) console.log(`warning  ${where(w.path)}${w.message}`);
  console.log(
    `${file}: ${result.ok ? "valid" : "invalid"}${
      result.task ? ` (${result.task})` : ""
    }, ${result.errors.length} error(s), ${result.warnings.length} warning(s)`,
  );
  return result.ok ? 0 : 1;
}

function newCommand(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: {
      task: { type: "string" },
      model: { type: "string" },
      set: { type: "string", multiple: true, default: [] },
      volume: { type: "string" },
      email: { type: "string" },
      placeholders: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const task = values.task;
  if (!isTask(task)) {
    console.error(
      `error: --task must be one of ${TASKS.join(", ")}${task ? `, got "${task}"` : ""}`,
    );
    return 2;
  }
  const modelId = values.model ?? modelsForTask(task)[0].id;
  const model = getModel(modelId);
  if (!model || !model.tasks.includes(task)) {
    const ids = modelsForTask(task).map((m) => m.id).join(", ");
    console.error(`error: --model "${modelId}" cannot train ${task}; choose one of: ${ids}`);
    return 2;
  }
  if (values.volume && !/^\/Volumes\/[^/]+\/[^/]+\/[^/]+\/?$/.test(values.volume)) {
    console.error(
      `error: --volume must be /Volumes/<catalog>/<schema>/<volume>, got "${values.volume}"`,
    );
    return 2;
  }
  const here = values.placeholders ? {} : workspaceDefaults();
  let doc = newConfig(task, model.id, {
    volume: values.volume ?? here.volume,
    email: values.email ?? here.email,
  });
  for (const assignment of values.set ?? []) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) {
      console.error(`error: --set expects key.path=value, got "${assignment}"`);
      return 2;
    }
    doc = setPath(doc, assignment.slice(0, eq).trim(), assignment.slice(eq + 1), true);
  }
  const result = validateConfig(doc);
  for (const e of result.errors) console.error(`error    ${e.path}: ${e.message}`);
  console.log(stringifyConfig(doc).trimEnd());
  return result.ok ? 0 : 1;
}

function modelsCommand(args: string[]): number {
  const { values } = parseArgs({ args, options: { task: { type: "string" } } });
  if (values.task !== undefined && !isTask(values.task)) {
    console.error(`error: --task must be one of ${TASKS.join(", ")}`);
    return 2;
  }
  const list = values.task && isTask(values.task) ? modelsForTask(values.task) : MODEL_CATALOG;
  for (const m of list) {
    console.log(
      `${m.id.padEnd(52)} ${m.tasks[0].padEnd(22)} ${m.sizeClass.padEnd(6)} ${
        String(m.imageSize.default).padStart(4)
      }px  ${runtimeNote(m)}`,
    );
  }
  return 0;
}

/**
 * The volume and user this app is set up with, so a new config lands where the app looks; the
 * same settings the server reads. Bad settings fall back to placeholders, never to a guess.
 */
function workspaceDefaults(): { volume?: string; email?: string } {
  const env = Deno.env.toObject();
  let volume: string | undefined;
  try {
    volume = loadSettings(env).volume;
  } catch {
    volume = undefined;
  }
  const email = env.LAKEVISION_USER_EMAIL ?? env.DATABRICKS_USER;
  return { volume, email: email?.includes("@") ? email : undefined };
}
