/**
 * SQL Statement Execution for reading Delta tables through a SQL warehouse: submit, poll, then
 * stream the result chunk by chunk with values cast by the manifest's column types.
 */
import { z } from "zod";
import { BadRequestError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import type { HttpClient } from "./http.ts";

const ChunkSchema = z.looseObject({
  chunk_index: z.number().optional().default(0),
  row_offset: z.number().optional(),
  row_count: z.number().optional(),
  data_array: z.array(z.array(z.union([z.string(), z.null()]))).optional().default([]),
  next_chunk_index: z.number().optional(),
});

/** A statement's status, manifest and first result chunk. */
export const StatementSchema = z.looseObject({
  statement_id: z.string(),
  status: z.looseObject({
    state: z.enum(["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "CLOSED"]),
    error: z.looseObject({
      error_code: z.string().optional(),
      message: z.string().optional(),
    }).optional(),
  }),
  manifest: z.looseObject({
    format: z.string().optional(),
    schema: z.looseObject({
      columns: z.array(z.looseObject({
        name: z.string(),
        type_name: z.string().optional().default("STRING"),
        position: z.number().optional(),
      })).optional().default([]),
    }).optional(),
    total_row_count: z.number().optional(),
    total_chunk_count: z.number().optional(),
    truncated: z.boolean().optional(),
  }).optional(),
  result: ChunkSchema.optional(),
});
export type Statement = z.infer<typeof StatementSchema>;

/** A query parameter, referenced as `:name` in the statement. */
export interface SqlParam {
  name: string;
  value: string | number | boolean | null;
  type?: string;
}

/** A cell after casting by its column type. */
export type SqlValue = string | number | boolean | null;

/** Casts one JSON_ARRAY cell (always a string or null) by its SQL type. */
export function castValue(v: string | null, typeName: string): SqlValue {
  if (v === null) return null;
  switch (typeName.toUpperCase()) {
    case "BYTE":
    case "SHORT":
    case "INT":
    case "FLOAT":
    case "DOUBLE":
    case "DECIMAL":
      return Number(v);
    case "LONG": {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    }
    case "BOOLEAN":
      return v === "true";
    default:
      return v;
  }
}

/** Low-level SQL calls. */
export class SqlClient {
  constructor(readonly http: HttpClient) {}

  /**
   * Runs one statement and yields its rows as objects. Only read-only statements should pass
   * `readOnly` (then a lost answer is retried instead of reported).
   */
  async *query(
    warehouseId: string,
    statement: string,
    opts: {
      params?: SqlParam[];
      catalog?: string;
      schema?: string;
      readOnly?: boolean;
      signal?: AbortSignal;
      /** Give up polling after this long (default 10 min). */
      maxWaitMs?: number;
    } = {},
  ): AsyncGenerator<Record<string, SqlValue>> {
    if (!warehouseId) {
      throw new BadRequestError(
        "No SQL warehouse is configured (DATABRICKS_WAREHOUSE_ID); reading Delta tables needs one.",
      );
    }
    let st = await this.http.json({
      method: "POST",
      path: "/api/2.0/sql/statements",
      body: {
        warehouse_id: warehouseId,
        statement,
        catalog: opts.catalog,
        schema: opts.schema,
        parameters: opts.params?.map((p) => ({
          name: p.name,
          value: p.value === null ? null : String(p.value),
          type: p.type,
        })),
        wait_timeout: "30s",
        on_wait_timeout: "CONTINUE",
        disposition: "INLINE",
        format: "JSON_ARRAY",
      },
      idempotent: opts.readOnly ?? false,
      signal: opts.signal,
      what: "Running a SQL statement",
    }, StatementSchema);
    const deadline = this.http.clock.now() + (opts.maxWaitMs ?? 600_000);
    let wait = 500;
    while (st.status.state === "PENDING" || st.status.state === "RUNNING") {
      if (this.http.clock.now() > deadline) {
        await this.cancel(st.statement_id);
        throw new DatabricksError(
          `Running a SQL statement failed: still ${st.status.state} after ${
            (opts.maxWaitMs ?? 600_000) / 1000
          } s; cancelled.`,
          "DEADLINE_EXCEEDED",
          504,
          undefined,
          "The warehouse may be starting or overloaded; try again, or use a larger warehouse.",
        );
      }
      await this.http.clock.sleep(wait, opts.signal);
      wait = Math.min(wait * 2, 5000);
      st = await this.get(st.statement_id);
    }
    if (st.status.state !== "SUCCEEDED") {
      const e = st.status.error;
      throw new DatabricksError(
        `Running a SQL statement failed: ${st.status.state} (Databricks said: ${
          JSON.stringify(e?.message ?? "no reason given")
        }).`,
        e?.error_code ?? st.status.state,
        st.status.state === "CANCELED" ? 409 : 400,
        undefined,
        /TABLE_OR_VIEW_NOT_FOUND/.test(e?.message ?? "")
          ? "Check the table name, and that you have USE CATALOG, USE SCHEMA and SELECT on it."
          : "Check the statement and your SELECT privileges on the tables.",
        e?.message,
      );
    }
    const cols = st.manifest?.schema?.columns ?? [];
    let chunk = st.result;
    while (chunk) {
      for (const row of chunk.data_array) {
        const o: Record<string, SqlValue> = {};
        cols.forEach((c, i) => o[c.name] = castValue(row[i] ?? null, c.type_name));
        yield o;
      }
      if (chunk.next_chunk_index === undefined) break;
      chunk = await this.http.json({
        method: "GET",
        path: `/api/2.0/sql/statements/${st.statement_id}/result/chunks/${chunk.next_chunk_index}`,
        signal: opts.signal,
        what: `Reading result chunk ${chunk.next_chunk_index}`,
      }, ChunkSchema);
    }
  }

  get(statementId: string): Promise<Statement> {
    return this.http.json({
      method: "GET",
      path: `/api/2.0/sql/statements/${encodeURIComponent(statementId)}`,
      what: "Checking a SQL statement",
    }, StatementSchema);
  }

  async cancel(statementId: string): Promise<void> {
    await this.http.json({
      method: "POST",
      path: `/api/2.0/sql/statements/${encodeURIComponent(statementId)}/cancel`,
      idempotent: true,
      what: "Cancelling a SQL statement",
    }, z.unknown());
  }
}
