/**
 * Versioned training configs in Deno KV. Every save is a new immutable version (author, time);
 * the version number is claimed atomically, so two people saving at once both get their own.
 * Each saved version's YAML is also written to `<volume>/configs/<name>/v<N>.yaml` through the
 * workspace Files API, which is what training jobs read.
 *
 * Crash safety: a version is committed together with its YAML and a "pending" mark for its file;
 * the mark is cleared when the file is written, and `repair()` (run once per process) writes the
 * files of marks a crash left behind. Removing a config first swaps its meta record for a
 * tombstone in one atomic step, then purges; `repair()` finishes purges a crash interrupted.
 *
 * Keys: ["configs","meta",name] · ["configs","version",name,N] · ["configs","yaml",name,N] ·
 * ["configs","file",name,N] · ["configs","pending",name,N] · ["configs","deleting",name] ·
 * ["configs","active"] · ["configs","template",id].
 */

import { z } from "zod";
import { BadRequestError, ConflictError, NotFoundError } from "@/lib/errors.ts";
import { diffConfigs, type DiffRow, type FieldChange, lineDiff } from "@/lib/config/diff.ts";
import { configNameProblem } from "@/lib/config/names.ts";
import type { ConfigDoc } from "@/lib/config/schema.ts";
import { TASKS } from "@/lib/config/tasks.ts";
import { builtinTemplates, type Template } from "@/lib/config/templates.ts";
import { validateConfig, type ValidateOptions } from "@/lib/config/validate.ts";
import { parseConfigYaml, stringifyConfig } from "@/lib/config/yaml_io.ts";
import { withoutDeadline } from "@/lib/workspace/deadline.ts";
import type { FilesApi } from "@/lib/workspace/types.ts";
import { logActivity } from "./activity.ts";
import { checkKeyPart, getKv } from "./kv.ts";

const Task = z.enum(TASKS);

const MetaSchema = z.object({
  name: z.string(),
  task: Task,
  model: z.string(),
  latestVersion: z.number().int().min(1),
  description: z.string().default(""),
  createdAt: z.number(),
  createdBy: z.string(),
  updatedAt: z.number(),
  updatedBy: z.string(),
});
/** The summary record of one named config (its latest version). */
export type ConfigMeta = z.infer<typeof MetaSchema>;

const VersionSchema = z.object({
  name: z.string(),
  version: z.number().int().min(1),
  task: Task,
  model: z.string(),
  doc: z.record(z.string(), z.unknown()),
  author: z.string(),
  createdAt: z.number(),
  message: z.string().default(""),
  source: z.enum(["form", "import", "restore", "template", "cli", "api"]),
  /** The version the editor started from, when known. */
  baseVersion: z.number().int().nullable().default(null),
  restoredFrom: z.number().int().nullable().default(null),
  warnings: z.number().int().default(0),
});
/** One immutable saved version. */
export type ConfigVersion = z.infer<typeof VersionSchema> & { yaml: string };

const FileStatusSchema = z.object({
  path: z.string().nullable(),
  ok: z.boolean(),
  error: z.string().optional(),
  /** Committed with the version, cleared once the file is written (or `repair()` wrote it). */
  pending: z.boolean().optional(),
});
/** Where a version's YAML was written, or why it was not. */
export type FileStatus = z.infer<typeof FileStatusSchema>;

const ActiveSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  by: z.string(),
  at: z.number(),
});
/** Which config version Data EDA and Training use by default. */
export type ActiveConfig = z.infer<typeof ActiveSchema>;

const SavedTemplateSchema = z.object({
  id: z.string(),
  name: z.string(),
  task: Task,
  description: z.string(),
  doc: z.record(z.string(), z.unknown()),
  author: z.string(),
  createdAt: z.number(),
});

/** A row of the configs list. */
export interface ConfigSummary extends ConfigMeta {
  /** The active version when this config is the active one, else null. */
  activeVersion: number | null;
}

export interface SaveInput {
  author: string;
  message?: string;
  source?: ConfigVersion["source"];
  /**
   * The version the editor started from. Unless `expectedLatest` says otherwise, the save is
   * refused with a StaleVersionError when the config's latest version is no longer this one.
   */
  baseVersion?: number | null;
  /**
   * The config's latest version when the person started editing (for editing from an older
   * version): the save is refused when another version was saved since.
   */
  expectedLatest?: number | null;
  restoredFrom?: number | null;
  /** The user's YAML text, kept when it reads back to `doc` (keeps comments). */
  sourceYaml?: string;
  description?: string;
}

export interface SaveResult {
  version: ConfigVersion;
  file: FileStatus;
}

export interface ConfigStoreDeps {
  /** Writes each version's YAML; without it no file is written. */
  files?: FilesApi;
  /** `/Volumes/<catalog>/<schema>/<volume>` for `configs/...`; else derived from the data path. */
  volume?: string;
  /** Validation options applied on save (Databricks mode checks volume paths). */
  validate?: ValidateOptions;
  /** Called after each change, e.g. to append to the activity log. */
  onActivity?: (
    what: string,
    subject: string,
    who: string,
    details: Record<string, unknown>,
  ) => Promise<void>;
}

/** 409: someone saved another version since the editor opened; names both versions. */
export class StaleVersionError extends ConflictError {
  constructor(
    readonly config: string,
    /** The version the save was based on. */
    readonly baseVersion: number,
    /** The latest version now (0 when the config was deleted meanwhile). */
    readonly latestVersion: number,
  ) {
    super(
      latestVersion
        ? `"${config}" changed while you edited it: you started from v${baseVersion}, and ` +
          `v${latestVersion} is now the latest. Nothing was saved; compare v${baseVersion} ` +
          `with v${latestVersion} and edit the latest.`
        : `"${config}" was deleted while you edited it (you started from v${baseVersion}); ` +
          `nothing was saved.`,
    );
    this.name = "StaleVersionError";
  }
}

/** The largest stored YAML or document (Deno KV values are limited to 64 KiB). */
export const MAX_STORED_BYTES = 60_000;
const MAX_SAVE_ATTEMPTS = 50;
/** Config names are at most 64 characters (lib/config/names.ts); template ids are generated. */
const MAX_NAME = 64;
const MAX_TEMPLATE_ID = 100;

const key = {
  meta: (name: string) => ["configs", "meta", name],
  version: (name: string, v: number) => ["configs", "version", name, v],
  yaml: (name: string, v: number) => ["configs", "yaml", name, v],
  file: (name: string, v: number) => ["configs", "file", name, v],
  pending: (name: string, v: number) => ["configs", "pending", name, v],
  deleting: (name: string) => ["configs", "deleting", name],
  active: () => ["configs", "active"],
  template: (id: string) => ["configs", "template", id],
};

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** The config repository. Construct with an open KV (tests: `Deno.openKv(":memory:")`). */
export class ConfigStore {
  constructor(private readonly kv: Deno.Kv, private readonly deps: ConfigStoreDeps = {}) {}

  /**
   * Saves `doc` as the next version of `name` (creating the config if new). Refuses documents
   * with validation errors; warnings are kept as a count. Concurrent saves retry until each
   * claims its own version number.
   */
  async save(name: string, doc: ConfigDoc, input: SaveInput): Promise<SaveResult> {
    const problem = configNameProblem(name);
    if (problem) {
      throw new BadRequestError(`Config name ${problem}.`, [{ path: "name", message: problem }]);
    }
    const result = validateConfig(doc, this.deps.validate);
    if (!result.ok || !result.task) {
      throw new BadRequestError(
        `The config has ${result.errors.length} error(s); nothing was saved.`,
        result.errors,
      );
    }
    const yaml = this.chooseYaml(doc, input.sourceYaml);
    if (byteLength(yaml) > MAX_STORED_BYTES || byteLength(JSON.stringify(doc)) > MAX_STORED_BYTES) {
      throw new BadRequestError(
        `The config is larger than ${MAX_STORED_BYTES / 1000} KB; nothing was saved.`,
      );
    }
    const model = String((doc.model as Record<string, unknown>).model_name);
    const expected = input.expectedLatest ?? input.baseVersion ?? null;
    for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
      const [metaEntry, tombstone] = await this.kv.getMany<[ConfigMeta, unknown]>([
        key.meta(name),
        key.deleting(name),
      ]);
      if (tombstone.value !== null) {
        // A removal of this name was interrupted (or is running): finish it first.
        await this.#purge(name);
        continue;
      }
      const prev = metaEntry.value;
      if (expected !== null && (prev?.latestVersion ?? 0) !== expected) {
        throw new StaleVersionError(name, expected, prev?.latestVersion ?? 0);
      }
      const now = Date.now();
      const n = (prev?.latestVersion ?? 0) + 1;
      const record = VersionSchema.parse({
        name,
        version: n,
        task: result.task,
        model,
        doc,
        author: input.author,
        createdAt: now,
        message: input.message ?? "",
        source: input.source ?? "form",
        baseVersion: input.baseVersion ?? null,
        restoredFrom: input.restoredFrom ?? null,
        warnings: result.warnings.length,
      });
      const meta: ConfigMeta = {
        name,
        task: result.task,
        model,
        latestVersion: n,
        description: input.description ?? prev?.description ?? "",
        createdAt: prev?.createdAt ?? now,
        createdBy: prev?.createdBy ?? input.author,
        updatedAt: now,
        updatedBy: input.author,
      };
      const path = this.filePath(name, n, doc);
      const unwritable = !path
        ? "no volume to write to"
        : !this.deps.files
        ? "no workspace files API"
        : null;
      const op = this.kv.atomic()
        .check(metaEntry)
        .check(tombstone)
        .check({ key: key.version(name, n), versionstamp: null })
        .set(key.meta(name), meta)
        .set(key.version(name, n), record)
        .set(key.yaml(name, n), yaml);
      if (unwritable) op.set(key.file(name, n), { path, ok: false, error: unwritable });
      else {
        op.set(key.file(name, n), { path, ok: false, pending: true, error: "being written" })
          .set(key.pending(name, n), path);
      }
      const res = await op.commit();
      if (!res.ok) {
        await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
        continue;
      }
      const file: FileStatus = unwritable
        ? { path, ok: false, error: unwritable }
        : await this.#writeFile(name, n, path!, yaml);
      await this.deps.onActivity?.(
        input.source === "restore" ? "restored config" : "saved config",
        `config:${name}@v${n}`,
        input.author,
        {
          task: result.task,
          model,
          ...(input.restoredFrom ? { restoredFrom: input.restoredFrom } : {}),
        },
      );
      return { version: { ...record, yaml }, file };
    }
    throw new ConflictError(`Could not save "${name}": too many saves at once. Try again.`);
  }

  private chooseYaml(doc: ConfigDoc, sourceYaml?: string): string {
    if (sourceYaml) {
      const back = parseConfigYaml(sourceYaml);
      if (back.ok && JSON.stringify(back.doc) === JSON.stringify(doc)) return sourceYaml;
    }
    return stringifyConfig(doc);
  }

  /** The file path a version is written to, or null when no volume is known. */
  filePath(name: string, version: number, doc: ConfigDoc): string | null {
    const volume = this.deps.volume?.replace(/\/+$/, "") ?? volumeOf(doc);
    return volume ? `${volume}/configs/${name}/v${version}.yaml` : null;
  }

  /**
   * Writes a committed version's file and records how it went, clearing its pending mark. A file
   * already there with the same YAML counts as written (a repair and a save both got to it).
   */
  async #writeFile(name: string, n: number, path: string, yaml: string): Promise<FileStatus> {
    const files = this.deps.files!;
    let status: FileStatus;
    try {
      await files.write(path, yaml, { overwrite: false });
      status = { path, ok: true };
    } catch (e) {
      const same = await files.readText(path).then((t) => t === yaml, () => false);
      status = same ? { path, ok: true } : { path, ok: false, error: (e as Error).message };
    }
    await this.kv.atomic()
      .set(key.file(name, n), status)
      .delete(key.pending(name, n))
      .commit();
    return status;
  }

  /**
   * Finishes what a crash interrupted: removals that left a tombstone are purged, and versions
   * whose file was never written get it now (from the YAML stored with them). Safe to run while
   * saves are in flight. Returns how many of each it did.
   */
  async repair(): Promise<{ files: number; removed: number }> {
    let removed = 0;
    for await (const e of this.kv.list<unknown>({ prefix: ["configs", "deleting"] })) {
      await this.#purge(String(e.key[2]));
      removed++;
    }
    let files = 0;
    for await (const e of this.kv.list<string>({ prefix: ["configs", "pending"] })) {
      const [, , name, n] = e.key as [string, string, string, number];
      const y = await this.kv.get<string>(key.yaml(name, n));
      if (y.value === null || !this.deps.files) {
        await this.kv.delete(e.key);
        continue;
      }
      await this.#writeFile(name, n, e.value, y.value);
      files++;
    }
    return { files, removed };
  }

  /** All configs, most recently changed first, optionally filtered by a search string. */
  async list(opts: { search?: string; task?: string } = {}): Promise<ConfigSummary[]> {
    const active = await this.getActive();
    const q = opts.search?.trim().toLowerCase();
    const out: ConfigSummary[] = [];
    for await (const e of this.kv.list<ConfigMeta>({ prefix: ["configs", "meta"] })) {
      const m = MetaSchema.parse(e.value);
      if (opts.task && m.task !== opts.task) continue;
      if (
        q &&
        ![m.name, m.model, m.task, m.description, m.updatedBy].some((s) =>
          s.toLowerCase().includes(q)
        )
      ) continue;
      out.push({ ...m, activeVersion: active?.name === m.name ? active.version : null });
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt || a.name.localeCompare(b.name));
  }

  /** Whether a config with this name exists. */
  async exists(name: string): Promise<boolean> {
    checkKeyPart("name", name, MAX_NAME);
    return (await this.kv.get(key.meta(name))).value !== null;
  }

  /** One config's summary; NotFoundError when it does not exist. */
  async get(name: string): Promise<ConfigSummary> {
    checkKeyPart("name", name, MAX_NAME);
    const e = await this.kv.get(key.meta(name));
    if (!e.value) throw new NotFoundError(`No config named "${name}".`);
    const active = await this.getActive();
    return {
      ...MetaSchema.parse(e.value),
      activeVersion: active?.name === name ? active.version : null,
    };
  }

  /** One version with its YAML; NotFoundError when it does not exist. */
  async getVersion(name: string, version: number): Promise<ConfigVersion> {
    checkKeyPart("name", name, MAX_NAME);
    const [v, y] = await this.kv.getMany([key.version(name, version), key.yaml(name, version)]);
    if (!v.value) throw new NotFoundError(`Config "${name}" has no version ${version}.`);
    return {
      ...VersionSchema.parse(v.value),
      yaml: String(y.value ?? stringifyConfig(v.value as ConfigDoc)),
    };
  }

  /** The latest version of a config. */
  async latest(name: string): Promise<ConfigVersion> {
    return this.getVersion(name, (await this.get(name)).latestVersion);
  }

  /** Every version of a config, newest first, each with where its file was written. */
  async history(name: string): Promise<Array<ConfigVersion & { file: FileStatus | null }>> {
    await this.get(name);
    const out: Array<ConfigVersion & { file: FileStatus | null }> = [];
    for await (
      const e of this.kv.list({ prefix: ["configs", "version", name] }, { reverse: true })
    ) {
      const v = VersionSchema.parse(e.value);
      const [y, f] = await this.kv.getMany([key.yaml(name, v.version), key.file(name, v.version)]);
      out.push({
        ...v,
        yaml: String(y.value ?? ""),
        file: f.value ? FileStatusSchema.parse(f.value) : null,
      });
    }
    return out;
  }

  /** Field-level and line-level differences between two versions (a = older side). */
  async diff(name: string, a: number, b: number): Promise<{
    a: ConfigVersion;
    b: ConfigVersion;
    fields: FieldChange[];
    lines: DiffRow[];
  }> {
    const [va, vb] = await Promise.all([this.getVersion(name, a), this.getVersion(name, b)]);
    return { a: va, b: vb, fields: diffConfigs(va.doc, vb.doc), lines: lineDiff(va.yaml, vb.yaml) };
  }

  /** Saves an old version's content as a new version; history is never rewritten. */
  async restore(name: string, version: number, author: string): Promise<SaveResult> {
    const old = await this.getVersion(name, version);
    return this.save(name, old.doc, {
      author,
      source: "restore",
      restoredFrom: version,
      message: `Restored from v${version}`,
      sourceYaml: old.yaml,
    });
  }

  /** Makes a version (default: the latest) the one Data EDA and Training use by default. */
  async activate(name: string, version: number | undefined, author: string): Promise<ActiveConfig> {
    const v = version ?? (await this.get(name)).latestVersion;
    await this.getVersion(name, v);
    const active = ActiveSchema.parse({ name, version: v, by: author, at: Date.now() });
    await this.kv.set(key.active(), active);
    await this.deps.onActivity?.("activated config", `config:${name}@v${v}`, author, {});
    return active;
  }

  /** The active config pointer, or null. */
  async getActive(): Promise<ActiveConfig | null> {
    const e = await this.kv.get(key.active());
    return e.value ? ActiveSchema.parse(e.value) : null;
  }

  /** The active config's version (what other pages use by default), or null. */
  async activeVersion(): Promise<ConfigVersion | null> {
    const a = await this.getActive();
    return a ? await this.getVersion(a.name, a.version).catch(() => null) : null;
  }

  /**
   * Deletes a whole config: every version, its records and (optionally) the YAML files written
   * for it. History is otherwise never rewritten; this is for removing a config entirely. The
   * config disappears atomically (its meta record becomes a tombstone); the purge that follows
   * is finished by `repair()` or the next save of the name if the process dies midway.
   */
  async remove(
    name: string,
    opts: { deleteFiles?: boolean; author?: string } = {},
  ): Promise<number> {
    checkKeyPart("name", name, MAX_NAME);
    for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
      const [meta, active] = await this.kv.getMany<[ConfigMeta, ActiveConfig]>([
        key.meta(name),
        key.active(),
      ]);
      if (!meta.value) throw new NotFoundError(`No config named "${name}".`);
      const op = this.kv.atomic().check(meta).check(active)
        .delete(key.meta(name))
        .set(key.deleting(name), { at: Date.now(), deleteFiles: !!opts.deleteFiles });
      if (active.value?.name === name) op.delete(key.active());
      if (!(await op.commit()).ok) continue;
      const versions = await this.#purge(name);
      await this.deps.onActivity?.("deleted config", `config:${name}`, opts.author ?? "system", {});
      return versions;
    }
    throw new ConflictError(`Could not delete "${name}": too many changes at once. Try again.`);
  }

  /** Deletes a tombstoned config's records (and files, when asked); returns the version count. */
  async #purge(name: string): Promise<number> {
    const stone = await this.kv.get<{ deleteFiles?: boolean }>(key.deleting(name));
    if (!stone.value) return 0;
    let versions = 0;
    const keys: Deno.KvKey[] = [];
    for (const part of ["version", "yaml", "file", "pending"]) {
      for await (const e of this.kv.list({ prefix: ["configs", part, name] })) {
        keys.push(e.key);
        if (part === "version") versions++;
        if (part === "file" && stone.value.deleteFiles && this.deps.files) {
          const f = FileStatusSchema.safeParse(e.value);
          if (f.success && f.data.ok && f.data.path) {
            await this.deps.files.delete(f.data.path).catch(() => {});
          }
        }
      }
    }
    // KV allows at most 10 mutations per atomic operation; the tombstone goes last.
    for (let i = 0; i < keys.length; i += 10) {
      const op = this.kv.atomic();
      for (const k of keys.slice(i, i + 10)) op.delete(k);
      await op.commit();
    }
    await this.kv.atomic().check(stone).delete(key.deleting(name)).commit();
    return versions;
  }

  /** Built-in templates (one per task) followed by saved ones, newest first. */
  async listTemplates(): Promise<Template[]> {
    const saved: Template[] = [];
    for await (const e of this.kv.list({ prefix: ["configs", "template"] })) {
      const t = SavedTemplateSchema.parse(e.value);
      saved.push({
        id: t.id,
        name: t.name,
        task: t.task,
        description: t.description,
        doc: t.doc,
        builtin: false,
      });
    }
    // Built-in templates start from models that run on this workspace.
    return [...builtinTemplates({ compute: this.deps.validate?.target }), ...saved.reverse()];
  }

  /** One template by id; NotFoundError when absent. */
  async getTemplate(id: string): Promise<Template> {
    const t = (await this.listTemplates()).find((x) => x.id === id);
    if (!t) throw new NotFoundError(`No template "${id}".`);
    return t;
  }

  /** Saves a config version's content as a reusable template. */
  async saveAsTemplate(
    name: string,
    version: number,
    input: { title: string; description?: string; author: string },
  ): Promise<Template> {
    const v = await this.getVersion(name, version);
    const title = input.title.trim();
    if (!title || title.length > 100) {
      throw new BadRequestError("Template name must be 1–100 characters.");
    }
    const now = Date.now();
    const id = `t-${now.toString(36)}-${crypto.randomUUID().slice(0, 6)}`;
    const t = SavedTemplateSchema.parse({
      id,
      name: title,
      task: v.task,
      description: input.description?.trim() || `From ${name} v${version}`,
      doc: v.doc,
      author: input.author,
      createdAt: now,
    });
    await this.kv.set(key.template(id), t);
    await this.deps.onActivity?.("saved template", `template:${id}`, input.author, {
      from: `${name}@v${version}`,
    });
    return {
      id,
      name: t.name,
      task: t.task,
      description: t.description,
      doc: t.doc,
      builtin: false,
    };
  }

  /** Deletes a saved template (built-in ones cannot be deleted). */
  async deleteTemplate(id: string): Promise<void> {
    checkKeyPart("id", id, MAX_TEMPLATE_ID);
    if (id.startsWith("builtin-")) {
      throw new BadRequestError("Built-in templates cannot be deleted.");
    }
    await this.kv.delete(key.template(id));
  }
}

/** `/Volumes/<c>/<s>/<v>` from the config's training data path, when it is a real volume path. */
export function volumeOf(doc: ConfigDoc): string | null {
  const data = doc.data as Record<string, unknown> | undefined;
  const p = typeof data?.train_data_path === "string" ? data.train_data_path : "";
  const m = p.match(/^\/Volumes\/([^/<>]+)\/([^/<>]+)\/([^/<>]+)\//);
  return m ? `/Volumes/${m[1]}/${m[2]}/${m[3]}` : null;
}

/**
 * The store for a request: the app's KV, the workspace's files, the app volume, and the
 * activity log. Databricks mode validates volume paths on save.
 */
export async function configStoreFor(state: {
  workspace: { files: FilesApi; kind?: string };
  settings: { volume: string; workspace: "local" | "databricks" };
}): Promise<ConfigStore> {
  const kv = await getKv();
  const store = new ConfigStore(kv, {
    files: state.workspace.files,
    volume: state.settings.volume,
    validate: { target: state.settings.workspace },
    onActivity: async (what, subject, who, details) => {
      await logActivity({ who, what, subject, details });
    },
  });
  if (!repaired.has(kv)) {
    // Once per store per process, in the background and outside any page deadline.
    repaired.add(kv);
    withoutDeadline(() => store.repair()).catch((e) => {
      repaired.delete(kv);
      console.error(`config store repair failed: ${e instanceof Error ? e.message : e}`);
    });
  }
  return store;
}

const repaired = new WeakSet<Deno.Kv>();
