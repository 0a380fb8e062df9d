/**
 * Unity Catalog registered models for the fake workspace, as strict as the real 2.1 API:
 * aliases only with `include_aliases=true` on get-model / get-version / get-by-alias and never
 * in list answers; alias names checked by MLflow's rules; the alias PUT body is `{version_num}`;
 * only a version's `comment` can be patched; versions go PENDING_REGISTRATION → READY (or
 * FAILED_REGISTRATION with a status message) after a poll or two; tags and the status message
 * through MLflow's UC endpoint.
 */
import { apiError, badRequest, json, notFound, page, readJson } from "./util.ts";
import type { FakeDatabricks } from "./server.ts";

interface Version {
  version: number;
  status: string;
  status_message?: string;
  source: string;
  run_id?: string;
  comment?: string;
  created_at: number;
  created_by: string;
  tags: Record<string, string>;
  /** Reads left before a pending version settles (undefined: only setStatus/autoAdvance move it). */
  pollsLeft?: number;
  /** Set: the version settles as FAILED_REGISTRATION with this message. */
  failWith?: string;
}

interface Model {
  full_name: string;
  comment?: string;
  created_at: number;
  updated_at: number;
  versions: Map<number, Version>;
  aliases: Map<string, number>;
  /** Last version number handed out (numbers are never reused). */
  seq: number;
}

/** A recorded write (alias PUT/DELETE, version PATCH, tag POST) with its body. */
export interface UcWrite {
  method: string;
  path: string;
  body?: Record<string, unknown>;
}

const BASE = "/api/2.1/unity-catalog/models";

/** Why MLflow / Unity Catalog refuse an alias name, or undefined. */
export function aliasError(alias: string): string | undefined {
  if (!alias) return "Registered model alias name cannot be empty.";
  if (!/^[\w-]+$/.test(alias)) {
    return `Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`;
  }
  if (alias.length > 255) return "Registered model alias name exceeds the maximum length of 255.";
  if (alias.toLowerCase() === "latest") {
    return "'latest' alias name (case insensitive) is reserved.";
  }
  if (/^[vV]\d+$/.test(alias)) return `Version alias name '${alias}' is reserved.`;
  return undefined;
}

/** The fields of ModelVersionInfo; PATCH may send them, but only `comment` can change. */
const VERSION_FIELDS = new Set([
  "aliases",
  "catalog_name",
  "comment",
  "created_at",
  "created_by",
  "id",
  "metastore_id",
  "model_name",
  "model_version_dependencies",
  "run_id",
  "run_workspace_id",
  "schema_name",
  "source",
  "status",
  "storage_location",
  "updated_at",
  "updated_by",
]);

export class FakeUcModels {
  readonly models = new Map<string, Model>();
  readonly writes: UcWrite[] = [];
  /** How many reads a version registered by the fake's register.py stays PENDING_REGISTRATION. */
  pollsToReady = 2;
  /** The next version registered by the fake's register.py ends FAILED_REGISTRATION with this. */
  failNextRegistration?: string;
  constructor(readonly fake: FakeDatabricks) {}

  /** Adds a version (creating the model); READY unless `pending`. Returns the version number. */
  addVersion(
    fullName: string,
    v: {
      source?: string;
      runId?: string;
      comment?: string;
      pending?: boolean;
      /** With `pending`: reads before it settles by itself. */
      pollsToReady?: number;
      /** With `pending`: settle as FAILED_REGISTRATION with this status message. */
      failWith?: string;
      createdBy?: string;
      tags?: Record<string, string>;
    } = {},
  ): number {
    const key = fullName.toLowerCase();
    let m = this.models.get(key);
    if (!m) {
      const now = Date.now();
      m = {
        full_name: key,
        created_at: now,
        updated_at: now,
        versions: new Map(),
        aliases: new Map(),
        seq: 0,
      };
      this.models.set(key, m);
    }
    const n = ++m.seq;
    m.versions.set(n, {
      version: n,
      status: v.pending ? "PENDING_REGISTRATION" : "READY",
      source: v.source ?? `dbfs:/databricks/mlflow-tracking/1/${v.runId ?? "r"}/artifacts/model`,
      run_id: v.runId,
      comment: v.comment,
      created_at: Date.now(),
      created_by: v.createdBy ?? "dev@example.com",
      tags: { ...v.tags },
      pollsLeft: v.pending ? v.pollsToReady : undefined,
      failWith: v.failWith,
    });
    m.updated_at = Date.now();
    return n;
  }

  /** Moves a version to a status, e.g. PENDING_REGISTRATION → READY or FAILED_REGISTRATION. */
  setStatus(fullName: string, version: number, status: string, message?: string): void {
    const v = this.models.get(fullName.toLowerCase())?.versions.get(version);
    if (!v) throw new Error(`no version ${fullName}/${version}`);
    v.status = status;
    v.status_message = message;
    v.pollsLeft = undefined;
  }

  /** A pending version settles after its polls (or at once on each read with autoAdvance). */
  #poll(v: Version): void {
    if (v.status !== "PENDING_REGISTRATION") return;
    if (v.pollsLeft !== undefined && --v.pollsLeft > 0) return;
    if (v.pollsLeft === undefined && !this.fake.autoAdvance) return;
    v.status = v.failWith ? "FAILED_REGISTRATION" : "READY";
    v.status_message = v.failWith;
    v.pollsLeft = undefined;
  }

  #aliasesOf(m: Model, version?: number) {
    return [...m.aliases].filter(([, n]) => version === undefined || n === version)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([alias_name, version_num]) => {
        const [catalog_name, schema_name, model_name] = m.full_name.split(".");
        return { alias_name, version_num, catalog_name, schema_name, model_name };
      });
  }

  #model(m: Model, withAliases: boolean) {
    const [catalog_name, schema_name, name] = m.full_name.split(".");
    return {
      full_name: m.full_name,
      name,
      catalog_name,
      schema_name,
      owner: "dev@example.com",
      ...(m.comment ? { comment: m.comment } : {}),
      ...(withAliases ? { aliases: this.#aliasesOf(m) } : {}),
      created_at: m.created_at,
      created_by: "dev@example.com",
      updated_at: m.updated_at,
      storage_location: `s3://fake-metastore/models/${m.full_name}`,
    };
  }

  #version(m: Model, v: Version, withAliases: boolean) {
    const [catalog_name, schema_name, model_name] = m.full_name.split(".");
    const view = {
      version: v.version,
      model_name,
      catalog_name,
      schema_name,
      source: v.source,
      ...(v.run_id ? { run_id: v.run_id } : {}),
      status: v.status,
      ...(v.comment ? { comment: v.comment } : {}),
      ...(withAliases ? { aliases: this.#aliasesOf(m, v.version) } : {}),
      created_at: v.created_at,
      created_by: v.created_by,
      updated_at: v.created_at,
      storage_location: `s3://fake-metastore/models/${m.full_name}/versions/${v.version}`,
    };
    this.#poll(v);
    return view;
  }

  #mlflowGet(url: URL): Response {
    const name = url.searchParams.get("name") ?? "";
    const m = this.models.get(name.toLowerCase());
    const v = m?.versions.get(Number(url.searchParams.get("version")));
    if (!m || !v) {
      return notFound(`Model version ${name}/${url.searchParams.get("version")}`);
    }
    const tags = Object.entries(v.tags).map(([key, value]) => ({ key, value }));
    const view = {
      model_version: {
        name: m.full_name,
        version: String(v.version),
        creation_timestamp: v.created_at,
        user_id: v.created_by,
        status: v.status,
        ...(v.status_message ? { status_message: v.status_message } : {}),
        source: v.source,
        ...(v.run_id ? { run_id: v.run_id } : {}),
        ...(v.comment ? { description: v.comment } : {}),
        ...(tags.length ? { tags } : {}),
      },
    };
    this.#poll(v);
    return json(view);
  }

  async route(req: Request, url: URL, path: string): Promise<Response | undefined> {
    if (path === "/api/2.0/mlflow/unity-catalog/model-versions/set-tag" && req.method === "POST") {
      const b = await readJson(req);
      this.writes.push({ method: "POST", path, body: b });
      if (!b?.name || !b.version || typeof b.key !== "string" || !b.key) {
        return badRequest("name, version and key are required.");
      }
      const v = this.models.get(String(b.name).toLowerCase())?.versions.get(Number(b.version));
      if (!v) return notFound(`Model version ${b.name}/${b.version}`);
      v.tags[b.key] = String(b.value ?? "");
      return json({});
    }
    if (path === "/api/2.0/mlflow/unity-catalog/model-versions/get" && req.method === "GET") {
      return this.#mlflowGet(url);
    }
    if (!path.startsWith(BASE)) return undefined;
    const q = url.searchParams;
    const include = q.get("include_aliases");
    if (include !== null && include !== "true" && include !== "false") {
      return badRequest(`Invalid value '${include}' for include_aliases; expected a boolean.`);
    }
    const withAliases = include === "true";
    const rest = path.slice(BASE.length).split("/").filter(Boolean);
    if (rest.length === 0 && req.method === "GET") {
      const cat = q.get("catalog_name");
      const sch = q.get("schema_name");
      if (sch && !cat) return badRequest("schema_name requires catalog_name.");
      // "If catalog_name is specified, schema_name must be specified" (SDK RegisteredModels.list).
      if (cat && !sch) return badRequest("catalog_name requires schema_name.");
      const all = [...this.models.values()].filter((m) =>
        (!cat || m.full_name.startsWith(`${cat}.`)) &&
        (!sch || m.full_name.startsWith(`${cat}.${sch}.`))
      ).map((m) => this.#model(m, false)); // list answers are summaries: no aliases
      const { slice, next } = page(all, q.get("page_token"), Number(q.get("max_results")) || 100);
      return json({ registered_models: slice, ...(next ? { next_page_token: next } : {}) });
    }
    const m = this.models.get(rest[0].toLowerCase());
    if (!m) return notFound(`Registered model '${rest[0]}'`);
    if (rest.length === 1 && req.method === "GET") return json(this.#model(m, withAliases));
    if (rest[1] === "versions" && rest.length === 2 && req.method === "GET") {
      // Newest last, as a reminder that the API promises no order; never aliases or tags.
      const all = [...m.versions.values()].sort((a, b) => a.version - b.version)
        .map((v) => this.#version(m, v, false));
      const { slice, next } = page(all, q.get("page_token"), Number(q.get("max_results")) || 100);
      return json({ model_versions: slice, ...(next ? { next_page_token: next } : {}) });
    }
    if (rest[1] === "versions" && rest.length === 3) {
      if (!/^\d+$/.test(rest[2])) return badRequest(`Invalid version '${rest[2]}'.`);
      const v = m.versions.get(Number(rest[2]));
      if (!v) return notFound(`Model version ${m.full_name}/${rest[2]}`);
      if (req.method === "GET") return json(this.#version(m, v, withAliases));
      if (req.method === "PATCH") return await this.#patchVersion(req, path, m, v);
    }
    if (rest[1] === "aliases" && rest.length === 3) {
      return await this.#alias(req, path, m, rest[2], withAliases);
    }
    return apiError(404, "ENDPOINT_NOT_FOUND", `No API found for '${req.method} ${path}'`);
  }

  async #patchVersion(req: Request, path: string, m: Model, v: Version): Promise<Response> {
    const b = await readJson(req);
    this.writes.push({ method: "PATCH", path, body: b });
    if (!b) return apiError(400, "MALFORMED_REQUEST", "Could not parse request object.");
    for (const k of Object.keys(b)) {
      if (!VERSION_FIELDS.has(k)) return badRequest(`Unknown field '${k}' in the request body.`);
      if (k !== "comment") return badRequest(`Only the comment of a model version can be updated.`);
    }
    if (typeof b.comment === "string") v.comment = b.comment || undefined;
    m.updated_at = Date.now();
    return json(this.#version(m, v, false));
  }

  async #alias(
    req: Request,
    path: string,
    m: Model,
    alias: string,
    withAliases: boolean,
  ): Promise<Response> {
    const problem = aliasError(alias);
    if (req.method === "PUT") {
      const b = await readJson(req);
      this.writes.push({ method: "PUT", path, body: b });
      if (!b) return apiError(400, "MALFORMED_REQUEST", "Could not parse request object.");
      if (problem) return badRequest(problem);
      for (const k of Object.keys(b)) {
        // full_name and alias are path parameters; the SDK sends the body {version_num} alone.
        const same = (k === "full_name" && b[k] === m.full_name) ||
          (k === "alias" && b[k] === alias);
        if (k !== "version_num" && !same) {
          return badRequest(`Unknown field '${k}' in the request body.`);
        }
      }
      const n = b.version_num;
      if (typeof n !== "number" && !(typeof n === "string" && /^\d+$/.test(n))) {
        return badRequest("version_num must be an integer.");
      }
      if (!m.versions.has(Number(n))) return notFound(`Model version ${m.full_name}/${n}`);
      m.aliases.set(alias, Number(n));
      m.updated_at = Date.now();
      const [catalog_name, schema_name, model_name] = m.full_name.split(".");
      return json({
        alias_name: alias,
        version_num: Number(n),
        catalog_name,
        schema_name,
        model_name,
      });
    }
    if (problem) return badRequest(problem);
    if (req.method === "DELETE") {
      this.writes.push({ method: "DELETE", path });
      m.aliases.delete(alias);
      m.updated_at = Date.now();
      return json({});
    }
    if (req.method === "GET") {
      const n = m.aliases.get(alias);
      const v = n === undefined ? undefined : m.versions.get(n);
      return v
        ? json(this.#version(m, v, withAliases))
        : notFound(`Alias '${alias}' of registered model '${m.full_name}'`);
    }
    return apiError(404, "ENDPOINT_NOT_FOUND", `No API found for '${req.method} ${path}'`);
  }
}
