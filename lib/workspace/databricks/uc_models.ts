/**
 * Unity Catalog registered models (2.1): models, versions, aliases; version tags and the
 * registration status message go through MLflow's UC endpoint (the 2.1 API has neither).
 *
 * What the 2.1 API answers (checked against Databricks' SDK): aliases come back only when asked
 * for with `include_aliases=true` on get-model, get-version and get-by-alias; list-versions
 * never carries aliases or tags, in no guaranteed order. Setting an alias is a PUT whose body is
 * `{version_num}` alone (name and alias are in the path).
 */
import { z } from "zod";
import { BadRequestError, NotFoundError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
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
  created_by: z.string().optional(),
});
export type RegisteredModel = z.infer<typeof RegisteredModelSchema>;

/** A Unity Catalog model version (`ModelVersionInfo`). */
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
  storage_location: z.string().optional(),
});
export type UcModelVersion = z.infer<typeof ModelVersionSchema>;

/** What MLflow's UC model-version endpoint adds: tags and why a registration failed. */
export interface MlflowVersionFacts {
  tags: Record<string, string>;
  statusMessage?: string;
}

const MlflowVersionSchema = z.looseObject({
  model_version: z.looseObject({
    status: z.string().optional(),
    status_message: z.string().optional(),
    tags: z.array(z.looseObject({ key: z.string(), value: z.string().optional() })).optional(),
  }),
});

/** Checks a three-level `catalog.schema.model` name. */
export function checkModelName(name: string): string {
  if (!/^[^.\s/]+\.[^.\s/]+\.[^.\s/]+$/.test(name)) {
    throw new BadRequestError(
      `${JSON.stringify(name)} is not a Unity Catalog model name; use catalog.schema.model.`,
    );
  }
  return name;
}

/** Why an alias name is refused (MLflow's rules, which Unity Catalog applies), or undefined. */
export function aliasProblem(alias: string): string | undefined {
  if (!alias) return "An alias name cannot be empty.";
  if (!/^[\w-]+$/.test(alias)) {
    return `Invalid alias name ${
      JSON.stringify(alias)
    }: it may only hold letters, digits, _ and -.`;
  }
  if (alias.length > 255) return `Alias ${JSON.stringify(alias)} is over 255 characters.`;
  if (alias.toLowerCase() === "latest") return `The alias name "latest" is reserved.`;
  if (/^v\d+$/i.test(alias)) return `Alias ${JSON.stringify(alias)} is reserved (a version name).`;
  return undefined;
}

function checkAlias(alias: string): string {
  const problem = aliasProblem(alias);
  if (problem) throw new BadRequestError(problem);
  return alias;
}

function checkVersion(version: string | number): number {
  const n = Number(version);
  if (!Number.isInteger(n) || n < 1) {
    throw new BadRequestError(`Version ${JSON.stringify(version)} is not a version number.`);
  }
  return n;
}

/**
 * A model, version or alias Unity Catalog does not have (404 RESOURCE_DOES_NOT_EXIST): a
 * NotFoundError, as the port promises, that keeps Databricks' code and request id.
 */
export class UcNotFoundError extends NotFoundError {
  constructor(
    message: string,
    readonly errorCode: string,
    readonly requestId?: string,
    readonly hint?: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = "UcNotFoundError";
  }
}

/** Re-throws a "does not exist" answer as UcNotFoundError worded for the thing asked about. */
async function found<T>(p: Promise<T>, missing: string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    // ENDPOINT_NOT_FOUND is a wrong path (our bug or an old workspace), not a missing model.
    if (e instanceof DatabricksError && e.status === 404 && e.errorCode !== "ENDPOINT_NOT_FOUND") {
      const said = e.databricksMessage ? ` (Databricks said: ${e.databricksMessage})` : "";
      throw new UcNotFoundError(
        `${missing}${said}.`,
        e.errorCode,
        e.requestId,
        "Check the name; the acting identity also needs EXECUTE (or BROWSE) on the model and " +
          "USE CATALOG / USE SCHEMA on its catalog and schema to see it.",
        e,
      );
    }
    throw e;
  }
}

const enc = encodeURIComponent;

/** Low-level UC model calls. */
export class UcModelsClient {
  constructor(readonly http: HttpClient) {}

  /**
   * Models, optionally within one schema (list answers carry no aliases). The API takes a
   * catalog only together with a schema; a catalog alone lists the metastore's models and
   * keeps that catalog's.
   */
  models(opts: { catalog?: string; schema?: string; pageSize?: number } = {}) {
    const scoped = !!(opts.catalog && opts.schema);
    const keep = (m: RegisteredModel) =>
      scoped || !opts.catalog || m.catalog_name === opts.catalog ||
      m.full_name.startsWith(`${opts.catalog}.`);
    return paginate(async (token) => {
      const r = await this.http.json(
        {
          method: "GET",
          path: "/api/2.1/unity-catalog/models",
          query: {
            catalog_name: scoped ? opts.catalog : undefined,
            schema_name: scoped ? opts.schema : undefined,
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
      return { items: r.registered_models.filter(keep), next: r.next_page_token };
    });
  }

  /** A model with its aliases; UcNotFoundError when there is none. */
  getModel(name: string): Promise<RegisteredModel> {
    return found(
      this.http.json({
        method: "GET",
        path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}`,
        query: { include_aliases: true },
        what: `Reading model ${name}`,
      }, RegisteredModelSchema),
      `Unity Catalog has no model ${name}`,
    );
  }

  /** Versions of a model, in the API's order (none guaranteed), without aliases or tags. */
  versions(name: string, pageSize = 100) {
    const full = checkModelName(name);
    return paginate(async (token) => {
      const r = await found(
        this.http.json(
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
        ),
        `Unity Catalog has no model ${full}`,
      );
      return { items: r.model_versions, next: r.next_page_token };
    });
  }

  /** One version with its aliases; UcNotFoundError when there is none. */
  getVersion(name: string, version: string | number): Promise<UcModelVersion> {
    const n = checkVersion(version);
    return found(
      this.http.json({
        method: "GET",
        path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}/versions/${n}`,
        query: { include_aliases: true },
        what: `Reading ${name} version ${n}`,
      }, ModelVersionSchema),
      `Unity Catalog has no version ${n} of model ${name}`,
    );
  }

  /** The version an alias points to, with all its aliases. */
  byAlias(name: string, alias: string): Promise<UcModelVersion> {
    return found(
      this.http.json({
        method: "GET",
        path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}/aliases/${
          enc(checkAlias(alias))
        }`,
        query: { include_aliases: true },
        what: `Resolving alias @${alias} of ${name}`,
      }, ModelVersionSchema),
      `Model ${name} has no alias @${alias}`,
    );
  }

  /** Points an alias at a version (moving it when it pointed elsewhere). */
  async setAlias(name: string, alias: string, version: string | number): Promise<void> {
    checkAlias(alias);
    const n = checkVersion(version);
    await found(
      this.http.json({
        method: "PUT",
        path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}/aliases/${enc(alias)}`,
        body: { version_num: n },
        what: `Pointing @${alias} of ${name} at version ${n}`,
      }, AliasSchema),
      `Unity Catalog has no version ${n} of model ${name}`,
    );
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await found(
      this.http.json({
        method: "DELETE",
        path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}/aliases/${
          enc(checkAlias(alias))
        }`,
        what: `Removing alias @${alias} of ${name}`,
      }, z.unknown()),
      `Model ${name} has no alias @${alias}`,
    );
  }

  /** Changes a version's comment, the one field the API lets a client update. */
  async updateVersion(
    name: string,
    version: string | number,
    patch: { comment: string },
  ): Promise<void> {
    const n = checkVersion(version);
    await found(
      this.http.json({
        method: "PATCH",
        path: `/api/2.1/unity-catalog/models/${enc(checkModelName(name))}/versions/${n}`,
        body: { comment: patch.comment },
        // Setting the same comment twice is harmless.
        idempotent: true,
        what: `Updating the description of ${name} version ${n}`,
      }, ModelVersionSchema),
      `Unity Catalog has no version ${n} of model ${name}`,
    );
  }

  /** A version's tags and status message, from MLflow's UC endpoint (tags omitted when none). */
  async mlflowVersion(name: string, version: string | number): Promise<MlflowVersionFacts> {
    const n = checkVersion(version);
    const r = await found(
      this.http.json(
        {
          method: "GET",
          path: "/api/2.0/mlflow/unity-catalog/model-versions/get",
          query: { name: checkModelName(name), version: String(n) },
          what: `Reading the tags of ${name} version ${n}`,
        },
        MlflowVersionSchema,
      ),
      `Unity Catalog has no version ${n} of model ${name}`,
    );
    const mv = r.model_version;
    return {
      tags: Object.fromEntries((mv.tags ?? []).map((t) => [t.key, t.value ?? ""])),
      statusMessage: mv.status_message || undefined,
    };
  }

  /** Sets a tag on a version; setting the same value twice is harmless. */
  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    const n = checkVersion(version);
    if (!key) throw new BadRequestError("A tag needs a key.");
    await found(
      this.http.json({
        method: "POST",
        path: "/api/2.0/mlflow/unity-catalog/model-versions/set-tag",
        body: { name: checkModelName(name), version: String(n), key, value },
        idempotent: true,
        what: `Tagging ${name} version ${n} with ${key}`,
      }, z.unknown()),
      `Unity Catalog has no version ${n} of model ${name}`,
    );
  }
}
