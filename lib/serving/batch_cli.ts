/**
 * `deno task cli batch ...`: batch inference over a folder of images with a registered version.
 *
 *   batch --model <catalog.schema.model> --version <N> --input <dir | /Volumes/...>
 *         --output <path.jsonl> [--wait] [--json]
 *
 * A folder on this machine is copied into the app's volume first (as `train` imports a local
 * YAML); an output outside a volume is written in the volume and copied there when the batch
 * ends, with each row's path naming the local file again. Without `--wait`, a batch the app
 * runs (see lib/serving/batch/service.ts) continues in a background process of its own.
 */
import { cliFailure } from "@/lib/cli_failure.ts";
import { parseArgs } from "node:util";
import { loadSettings } from "@/fresh.config.ts";
import { openKv } from "@/lib/store/kv.ts";
import { createWorkspace } from "@/lib/workspace/mod.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { IMAGE_RE, startHere, stopHere } from "./batch/app_runner.ts";
import { getBatch, listBatches, updateBatch } from "./batch/records.ts";
import { parseResultLines } from "./batch/result_log.ts";
import {
  type BatchContext,
  batchContext,
  cancelBatch,
  describeInput,
  describeOutput,
  refreshBatch,
  resumeBatch,
  startBatch,
  waitForBatch,
} from "./batch/service.ts";
import { BATCH_TERMINAL, type BatchRecord, type BatchRequest, formatEta } from "./batch/types.ts";

const USAGE = `Usage:
  batch --model <catalog.schema.model> --version <N> --input <dir | /Volumes/...>
        --output <path.jsonl | /Volumes/....jsonl> [--wait] [--json]
        [--runner auto|app|job] [--confidence-threshold X] [--max-detections N] [--top-k K]
      Predicts every JPEG / PNG under --input (recursively); one JSON line per image:
      {"path", "prediction" (the serving contract's entry), "error"}.
      --wait   follow the batch; exit 0 only if it succeeds
      --json   end with {"batch_id","status","output","done","total","errors"}
  batch list [--json]
  batch show <id> [--json]
  batch cancel <id>
  batch resume <id> [--wait] [--json]     continue where it stopped, without duplicates`;

/** Entry point used by lib/cli.ts. */
export async function main(args: string[]): Promise<number> {
  if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  try {
    const ctx = await open();
    const [cmd, ...rest] = args;
    if (cmd === "list") return await list(rest);
    if (cmd === "show") return await show(ctx, rest);
    if (cmd === "cancel") return await cancel(ctx, rest);
    if (cmd === "resume") return await resume(ctx, rest);
    if (cmd === "__run") return await runDetached(ctx, rest);
    if (!cmd.startsWith("--")) {
      console.error(`Unknown batch command "${cmd}".\n\n${USAGE}`);
      return 2;
    }
    return await start(ctx, args);
  } catch (e) {
    return cliFailure(e, USAGE);
  }
}

async function open(): Promise<BatchContext> {
  const settings = loadSettings();
  await Deno.mkdir(settings.dataDir, { recursive: true });
  await openKv(`${settings.dataDir}/kv.sqlite3`);
  const ws = await createWorkspace(settings);
  // As the app builds it: where the app may not run batches itself, neither may the CLI.
  return batchContext({ workspace: ws, settings, user: { name: Deno.env.get("USER") ?? "cli" } });
}

const RESULT_OPTIONS = {
  wait: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
} as const;

async function start(ctx: BatchContext, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      version: { type: "string" },
      endpoint: { type: "string" },
      input: { type: "string" },
      output: { type: "string" },
      runner: { type: "string", default: "auto" },
      "confidence-threshold": { type: "string" },
      "max-detections": { type: "string" },
      "top-k": { type: "string" },
      ...RESULT_OPTIONS,
    },
  });
  const missing = ["input", "output"].filter((k) => !values[k as "input"]);
  if (!values.endpoint) {
    missing.unshift(...["model", "version"].filter((k) => !values[k as "model"]));
  }
  if (missing.length) {
    console.error(`error: missing ${missing.map((m) => `--${m}`).join(", ")}\n\n${USAGE}`);
    return 2;
  }
  const output = values.output!;
  if (!/\.(jsonl|parquet)$/.test(output)) {
    console.error("error: --output must end in .jsonl (or .parquet with the job runner)");
    return 2;
  }
  if (!output.startsWith("/Volumes/") && !values.wait) {
    console.error(
      "error: an --output outside a volume is copied there when the batch ends, which needs " +
        "--wait (or give a /Volumes/... path)",
    );
    return 2;
  }
  const local = values.input!.startsWith("/Volumes/") ? null : values.input!;
  const inputPath = local ? await importLocalFolder(ctx, local) : values.input!;
  const req: BatchRequest = {
    model: values.model,
    version: values.version,
    endpoint: values.endpoint,
    input: { kind: "folder", path: inputPath },
    output: output.startsWith("/Volumes/") ? { kind: "file", path: output } : undefined,
    runner: values.runner as "auto",
    params: {
      confidence_threshold: num(values["confidence-threshold"], "--confidence-threshold"),
      max_detections: num(values["max-detections"], "--max-detections"),
      top_k: num(values["top-k"], "--top-k"),
    },
  };
  let { batch } = await startBatch(ctx, req);
  const print = values.json ? console.error : console.log;
  print(`${batch.id}  ${batch.status}  ${describeInput(batch)} -> ${describeOutput(batch)}`);
  if (batch.runner === "app" && !values.wait && !BATCH_TERMINAL.has(batch.status)) {
    // The batch started in this process; a background process of its own takes it over.
    batch = await handOver(batch);
  }
  if (values.wait) {
    batch = await waitForBatch(ctx.ws, batch.id, { everyMs: 500, onUpdate: line(print) });
    if (!output.startsWith("/Volumes/") && batch.output.kind === "file") {
      await copyOut(ctx.ws, batch, output, local ? { volume: inputPath, local } : null);
    }
  }
  return report(batch, values, output);
}

async function resume(ctx: BatchContext, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: RESULT_OPTIONS,
  });
  if (positionals.length !== 1) {
    console.error(`error: give one batch id\n\n${USAGE}`);
    return 2;
  }
  let batch = await resumeBatch(ctx, positionals[0]);
  const print = values.json ? console.error : console.log;
  if (batch.runner === "app" && !values.wait) batch = await handOver(batch);
  if (values.wait) {
    batch = await waitForBatch(ctx.ws, batch.id, { everyMs: 500, onUpdate: line(print) });
  }
  return report(batch, values);
}

function report(
  batch: BatchRecord,
  values: { wait: boolean; json: boolean },
  output?: string,
): number {
  if (values.json) {
    console.log(JSON.stringify({
      batch_id: batch.id,
      status: batch.status,
      output: output ?? describeOutput(batch),
      volume_output: describeOutput(batch),
      done: batch.progress?.done ?? 0,
      total: batch.progress?.total ?? null,
      errors: batch.progress?.errors ?? 0,
      runner: batch.runner,
      ...(batch.message ? { message: batch.message } : {}),
    }));
  } else if (values.wait) {
    console.log(
      `${batch.id}  ${batch.status}${batch.message ? `  ${batch.message}` : ""}  -> ${
        output ?? describeOutput(batch)
      }`,
    );
  }
  if (batch.status === "failed") return 1;
  if (values.wait) return batch.status === "succeeded" ? 0 : 1;
  return 0;
}

function line(print: (s: string) => void) {
  return (r: BatchRecord) => {
    const p = r.progress;
    print(
      `[${r.phase}]` +
        (p
          ? ` ${p.done}/${p.total ?? "?"} images, ${p.errors} errors, ETA ${
            formatEta(p.etaSeconds)
          }`
          : "") +
        (r.message && BATCH_TERMINAL.has(r.status) ? `  ${r.message}` : ""),
    );
  };
}

/**
 * Stops the in-process runner and starts `batch __run <id>` detached, which resumes it: rows
 * already written stay, so nothing is done twice.
 */
async function handOver(batch: BatchRecord): Promise<BatchRecord> {
  await updateBatch(
    batch.id,
    () => ({ phase: "starting", message: "handed to a background process" }),
  );
  await stopHere(batch.id).catch(() => {});
  await updateBatch(batch.id, () => ({ cancelRequestedAt: undefined }));
  const root = new URL("../../", import.meta.url).pathname;
  const cmd = new Deno.Command("/bin/sh", {
    args: [
      "-c",
      'exec setsid "$@" >>"$LV_LOG" 2>&1 </dev/null &',
      "sh",
      Deno.execPath(),
      "run",
      "-A",
      "--config",
      `${root}deno.json`,
      `${root}lib/cli.ts`,
      "batch",
      "__run",
      batch.id,
    ],
    cwd: root,
    env: { LV_LOG: `${loadSettings().dataDir}/batch-${batch.id}.log` },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  });
  await cmd.output();
  return await getBatch(batch.id);
}

/** `batch __run <id>`: the background process that runs an app batch to its end. */
async function runDetached(ctx: BatchContext, args: string[]): Promise<number> {
  const rec = await getBatch(args[0]);
  const started = await updateBatch(rec.id, () => ({
    status: "running",
    phase: "starting",
    startedAt: Date.now(),
    message: undefined,
  }));
  await startHere(ctx.ws, started, { resume: true });
  await refreshBatch(ctx.ws, await getBatch(rec.id));
  return 0;
}

async function list(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean", default: false } } });
  const batches = await listBatches({ limit: 100 });
  if (values.json) {
    console.log(JSON.stringify({ batches }));
    return 0;
  }
  for (const b of batches) {
    const p = b.progress;
    console.log(
      `${b.id}  ${b.status.padEnd(9)}  ${b.model}@v${b.version}  ${
        p ? `${p.done}/${p.total ?? "?"}` : "-"
      }  ${describeOutput(b)}`,
    );
  }
  if (!batches.length) console.log("No batch inference jobs yet.");
  return 0;
}

async function show(ctx: BatchContext, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean", default: false } },
  });
  if (positionals.length !== 1) {
    console.error(`error: give one batch id\n\n${USAGE}`);
    return 2;
  }
  const b = await refreshBatch(ctx.ws, await getBatch(positionals[0]));
  if (values.json) console.log(JSON.stringify({ batch: b }));
  else {
    line(console.log)(b);
    console.log(`model   ${b.model}@v${b.version}  (${b.runner} runner)`);
    console.log(`input   ${describeInput(b)}`);
    console.log(`output  ${describeOutput(b)}`);
    if (b.message) console.log(`note    ${b.message}`);
  }
  return 0;
}

async function cancel(ctx: BatchContext, args: string[]): Promise<number> {
  if (args.length !== 1) {
    console.error(`error: give one batch id\n\n${USAGE}`);
    return 2;
  }
  const b = await cancelBatch(ctx, args[0]);
  console.log(`${b.id}  ${b.status}${b.message ? `  ${b.message}` : ""}`);
  return 0;
}

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} must be a number ≥ 0 (got ${v})`);
  return n;
}

/**
 * Copies the JPEG / PNG files of a folder on this machine into the volume (under
 * `batch/inputs/`, named by the folder and a hash of its content, so an unchanged folder is
 * copied once); returns the volume folder.
 */
export async function importLocalFolder(ctx: BatchContext, dir: string): Promise<string> {
  const root = dir.replace(/\/+$/, "");
  const info = await Deno.stat(root).catch(() => null);
  if (!info?.isDirectory) throw new Error(`--input: ${dir} is not a folder`);
  const files: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.name.startsWith(".")) continue;
      if (e.isDirectory) await walk(`${d}/${e.name}`);
      else if (e.isFile && IMAGE_RE.test(e.name)) files.push(`${d}/${e.name}`);
    }
  };
  await walk(root);
  if (!files.length) throw new Error(`--input: no JPEG or PNG images in ${dir}`);
  files.sort();
  let listing = "";
  for (const f of files) {
    const st = await Deno.stat(f);
    listing += `${f.slice(root.length)}\0${st.size}\0${st.mtime?.getTime()}\n`;
  }
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(listing)),
  );
  const tag = [...hash.slice(0, 5)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const slug = (root.split("/").pop() || "images").replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60);
  const dest = `${ctx.volume}/batch/inputs/${slug}-${tag}`;
  if (await ctx.ws.files.stat(`${dest}/.complete`)) return dest;
  for (const f of files) {
    await ctx.ws.files.write(`${dest}${f.slice(root.length)}`, await Deno.readFile(f), {
      overwrite: true,
    });
  }
  await ctx.ws.files.write(`${dest}/.complete`, `${files.length} files from ${root}\n`, {
    overwrite: true,
  });
  return dest;
}

/** Copies a batch's JSONL result to a file on this machine, naming local images by their path. */
async function copyOut(
  ws: Workspace,
  batch: BatchRecord,
  dest: string,
  map: { volume: string; local: string } | null,
): Promise<void> {
  if (batch.output.kind !== "file") return;
  const text = await ws.files.readText(batch.output.path).catch(() => "");
  const { rows } = parseResultLines(text);
  const local = map ? map.local.replace(/\/+$/, "") : null;
  const lines = rows.map((r) =>
    JSON.stringify(
      map && r.path.startsWith(`${map.volume}/`)
        ? { ...r, path: `${local}${r.path.slice(map.volume.length)}` }
        : r,
    )
  );
  const parent = dest.replace(/\/[^/]*$/, "");
  if (parent && parent !== dest) await Deno.mkdir(parent, { recursive: true });
  await Deno.writeTextFile(dest, lines.map((l) => l + "\n").join(""));
}
