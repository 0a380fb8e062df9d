/**
 * Unity Catalog registered models for the fake workspace: models, versions (PENDING_REGISTRATION
 * → READY), aliases, and version tags via MLflow's UC endpoint.
 */
import { apiError, badRequest, json, notFound, page, readJson } from "./util.ts";
import type { FakeDatabricks } from "./server.ts";

interface Version {
  version: number;
  status: string;
  source: string;
  run_id?: string;
  comment?: string;
  created_at: number;
  tags: Record<string, string>;
}

interface Model {
  full_name: string;
  comment?: string;
  updated_at: number;
  versions: Map<number, Version>;
  aliases: Map<string, number>;
}

const BASE = "/api/2.1/unity-catalog/models";

export class FakeUcModels {
  readonly models = new Map<string, Model>();
  constructor(readonly fake: FakeDatabricks) {}

  /** Adds a version (creating the model); READY unless `pending`. Returns the version number. */
  addVersion(
    fullName: string,
    v: { source?: string; runId?: string; comment?: string; pending?: boolean } = {},
  ): number {
    let m = this.models.get(fullName);
    if (!m) {
      m = { full_name: fullName, updated_at: Date.now(), versions: new Map(), aliases: new Map() };
      this.models.set(fullName, m);
    }
    const n = m.versions.size + 1;
    m.versions.set(n, {
      version: n,
      status: v.pending ? "PENDING_REGISTRATION" : "READY",
      source: v.source ?? `dbfs:/databricks/mlflow-tracking/1/${v.runId ?? "r"}/artifacts/model`,
      run_id: v.runId,
      comment: v.comment,
      created_at: Date.now(),
      tags: {},
    });
    m.updated_at = Date.now();
    return n;
  }

  /** Moves a version to a status, e.g. PENDING_REGISTRATION → READY or FAILED_REGISTRATION. */
  setStatus(fullName: string, version: number, status: string): void {
    const v = this.models.get(fullName)?.versions.get(version);
    if (!v) throw new Error(`no version ${fullName}/${version}`);
    v.status = status;
  }

  #model(m: Model) {
    const [catalog_name, schema_name, name] = m.full_name.split(".");
    return {
      full_name: m.full_name,
      name,
      catalog_name,
      schema_name,
      owner: "dev@example.com",
      ...(m.comment ? { comment: m.comment } : {}),
      aliases: [...m.aliases].map(([alias_name, version_num]) => ({ alias_name, version_num })),
      created_at: m.updated_at,
      updated_at: m.updated_at,
    };
  }

  #version(m: Model, v: Version) {
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
      aliases: [...m.aliases].filter(([, n]) => n === v.version)
        .map(([alias_name, version_num]) => ({ alias_name, version_num })),
      created_at: v.created_at,
      created_by: "dev@example.com",
    };
    if (this.fake.autoAdvance && v.status === "PENDING_REGISTRATION") v.status = "READY";
    return view;
  }

  async route(req: Request, url: URL, path: string): Promise<Response | undefined> {
    if (path === "/api/2.0/mlflow/unity-catalog/model-versions/set-tag" && req.method === "POST") {
      const b = await readJson(req);
      if (!b?.name || !b.version || typeof b.key !== "string") {
        return badRequest("name, version and key are required.");
      }
      const v = this.models.get(String(b.name))?.versions.get(Number(b.version));
      if (!v) return notFound(`Model version ${b.name}/${b.version}`);
      v.tags[b.key] = String(b.value ?? "");
      return json({});
    }
    if (path === "/api/2.0/mlflow/unity-catalog/model-versions/get" && req.method === "GET") {
      const m = this.models.get(url.searchParams.get("name") ?? "");
      const v = m?.versions.get(Number(url.searchParams.get("version")));
      if (!m || !v) {
        return notFound(
          `Model version ${url.searchParams.get("name")}/${url.searchParams.get("version")}`,
        );
      }
      const tags = Object.entries(v.tags).map(([key, value]) => ({ key, value }));
      const [, , model] = m.full_name.split(".");
      return json({
        model_version: {
          name: m.full_name,
          version: String(v.version),
          status: v.status,
          source: v.source,
          ...(v.run_id ? { run_id: v.run_id } : {}),
          ...(tags.length ? { tags } : {}),
          model_name: model,
        },
      });
    }
    if (!path.startsWith(BASE)) return undefined;
    const q = url.searchParams;
    const rest = path.slice(BASE.length).split("/").filter(Boolean);
    if (rest.length === 0 && req.method === "GET") {
      const cat = q.get("catalog_name");
      const sch = q.get("schema_name");
      if (sch && !cat) return badRequest("schema_name requires catalog_name.");
      const all = [...this.models.values()].filter((m) =>
        (!cat || m.full_name.startsWith(`${cat}.`)) &&
        (!sch || m.full_name.startsWith(`${cat}.${sch}.`))
      ).map((m) => this.#model(m));
      const { slice, next } = page(all, q.get("page_token"), Number(q.get("max_results")) || 100);
      return json({ registered_models: slice, ...(next ? { next_page_token: next } : {}) });
    }
    const m = this.models.get(rest[0]);
    if (!m) return notFound(`Registered model '${rest[0]}'`);
    if (rest.length === 1 && req.method === "GET") return json(this.#model(m));
    if (rest[1] === "versions" && rest.length === 2 && req.method === "GET") {
      const all = [...m.versions.values()].sort((a, b) => b.version - a.version)
        .map((v) => this.#version(m, v));
      const { slice, next } = page(all, q.get("page_token"), Number(q.get("max_results")) || 100);
      return json({ model_versions: slice, ...(next ? { next_page_token: next } : {}) });
    }
    if (rest[1] === "versions" && rest.length === 3 && req.method === "GET") {
      const v = m.versions.get(Number(rest[2]));
      return v ? json(this.#version(m, v)) : notFound(`Model version ${rest[0]}/${rest[2]}`);
    }
    if (rest[1] === "aliases" && rest.length === 3) {
      const alias = rest[2];
      if (req.method === "PUT") {
        const b = await readJson(req);
        const n = Number(b?.version_num);
        if (!m.versions.has(n)) return notFound(`Model version ${rest[0]}/${b?.version_num}`);
        m.aliases.set(alias, n);
        return json({ alias_name: alias, version_num: n });
      }
      if (req.method === "DELETE") {
        m.aliases.delete(alias);
        return json({});
      }
      if (req.method === "GET") {
        const n = m.aliases.get(alias);
        return n ? json(this.#version(m, m.versions.get(n)!)) : notFound(`Alias ${alias}`);
      }
    }
    return apiError(404, "ENDPOINT_NOT_FOUND", `No API found for '${req.method} ${path}'`);
  }
}
