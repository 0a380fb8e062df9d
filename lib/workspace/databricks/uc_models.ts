/**
 * Unity Catalog registered models (2.1): models, versions, aliases; version tags go through
 * MLflow's UC endpoint (there is no 2.1 tag call).
 */
import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { type HttpClient, paginate } from "./http.ts";

const AliasSchema = z.looseObject({
  alias_name: z.string(),
  version_num: z.coerce.number().optional(),
});

/** A Unity Catalog registered model. */
export const RegisteredModelSchema = z.looseObject({
  full_name: z.string(),
  name: z.string().optional(),
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  comment: z.string().optional(),
  owner: z.string().optional(),
  aliases: z.array(AliasSchema).optional().default([]),
  updated_at: z.number().optional(),
  created_at: z.number().optional(),
});
export type RegisteredModel = z.infer<typeof RegisteredModelSchema>;

/** A Unity Catalog model version. */
export const ModelVersionSchema = z.looseObject({
  version: z.coerce.number(),
  model_name: z.string().optional(),
  catalog_name: z.string().optional(),
  schema_name: z.string().optional(),
  source: z.string().optional().default(""),
  run_id: z.string().optional(),
  status: z.string().optional().default("MODEL_VERSION_STATUS_UNKNOWN"),
  comment: z.string().optional(),
  aliases: z.array(AliasSchema).optional().default([]),
  created_at: z.number().optional().default(0),
  created_by: z.string().optional(),
  /** Not in every answer; kept when present. */
  tags: z.array(z.looseObject({ key: z.string(), value: z.string().optional() })).optional(),
});
export type UcModelVersion = z.infer<typeof ModelVersionSchema>;

/** Checks a three-level `catalog.schema.model` name. */
export function checkModelName(name: string): string {
  if (!/^[^.\s/]+\.[^.\s/]+\.[^.\s/]+$/.test(name)) {
    throw new BadRequestError(
      `${JSON.stringify(name)} is not a Unity Catalog model name; use catalog.schema.model.`,
    );
  }
  return name;
}

const enc = encodeURIComponent;

/** Low-level UC model calls. */
export class UcModelsClient {
  constructor(readonly http: HttpClient) {}

  /** Models, optionally within one catalog / schema. */
  models(opts: { catalog?: string; schema?: string; pageSize?: number } = {}) {
    return paginate(async (token) => {
      const r = await this.http.json(
        {
          method: "GET",
          path: "/api/2.1/unity-catalog/models",
          query: {
            catalog_name: opts.catalog,
            schema_name: opts.catalog ? opts.schema : undefined,
            max_results: opts.pageSize ?? 100,
            page_token: token,
          },
          what: "Listing registered models",
        },
        z.looseObject({
          registered_models: z.array(RegisteredModelSchema).optional().default([]),
          next_page_token: z.string().nullish(),
        }),
      );
      return { items: r.registered_models, next: r.next_page_token };
    });
  }

  getModel(name: string): Promise<RegisteredModel> {
    return this.http.json({
      method: "GET",
      path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}`,
      what: `Reading model ${name}`,
    }, RegisteredModelSchema);
  }

  /** Versions of a model, newest first as the API returns them. */
  versions(name: string, pageSize = 100) {
    const full = checkModelName(name);
    return paginate(async (token) => {
      const r = await this.http.json(
        {
          method: "GET",
          path: `/api/2.1/unity-catalog/models/${enc(full)}/versions`,
          query: { max_results: pageSize, page_token: token },
          what: `Listing versions of ${full}`,
        },
        z.looseObject({
          model_versions: z.array(ModelVersionSchema).optional().default([]),
          next_page_token: z.string().nullish(),
        }),
      );
      return { items: r.model_versions, next: r.next_page_token };
    });
  }

  getVersion(name: string, version: string | number): Promise<UcModelVersion> {
    return this.http.json({
      method: "GET",
      path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}/versions/${
        enc(String(version))
      }`,
      what: `Reading ${name} version ${version}`,
    }, ModelVersionSchema);
  }

  /** The version an alias points to. */
  byAlias(name: string, alias: string): Promise<UcModelVersion> {
    return this.http.json({
      method: "GET",
      path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}/aliases/${enc(alias)}`,
      what: `Resolving alias @${alias} of ${name}`,
    }, ModelVersionSchema);
  }

  async setAlias(name: string, alias: string, version: string | number): Promise<void> {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(alias)) {
      throw new BadRequestError(`Alias ${JSON.stringify(alias)} must start with a letter or _.`);
    }
    const n = Number(version);
    if (!Number.isInteger(n) || n < 1) {
      throw new BadRequestError(`Version ${JSON.stringify(version)} is not a version number.`);
    }
    await this.http.json({
      method: "PUT",
      path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}/aliases/${enc(alias)}`,
      body: { version_num: n },
      what: `Pointing @${alias} of ${name} at version ${n}`,
    }, AliasSchema);
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.http.json({
      method: "DELETE",
      path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}/aliases/${enc(alias)}`,
      what: `Removing alias @${alias} of ${name}`,
    }, z.unknown());
  }

  /**
   * A version's tags. The 2.1 API does not return them; MLflow's UC endpoint does (and omits
   * the field when there are none).
   */
  async versionTags(name: string, version: string | number): Promise<Record<string, string>> {
    const r = await this.http.json(
      {
        method: "GET",
        path: "/api/2.0/mlflow/unity-catalog/model-versions/get",
        query: { name: checkModelName(name), version: String(version) },
        what: `Reading the tags of ${name} version ${version}`,
      },
      z.looseObject({
        model_version: z.looseObject({
          tags: z.array(z.looseObject({ key: z.string(), value: z.string().optional() }))
            .optional(),
        }),
      }),
    );
    return Object.fromEntries((r.model_version.tags ?? []).map((t) => [t.key, t.value ?? ""]));
  }

  /** Sets a tag on a version; setting the same value twice is harmless. */
  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.http.json({
      method: "POST",
      path: "/api/2.0/mlflow/unity-catalog/model-versions/set-tag",
      body: { name: checkModelName(name), version: String(version), key, value },
      idempotent: true,
      what: `Tagging ${name} version ${version} with ${key}`,
    }, z.unknown());
  }
}
