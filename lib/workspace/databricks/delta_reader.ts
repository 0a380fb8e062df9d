/**
 * Reads Delta tables for the dataset scanner (`DeltaTableReader`) through a SQL warehouse.
 * Columns come from `DESCRIBE TABLE`; rows from a SELECT of the chosen columns, handed over one
 * result chunk at a time so a large table never sits in memory twice. Table and column names are
 * validated and backtick-quoted before they reach SQL: the table must be `catalog.schema.table`
 * of plain identifier parts, and a column must be one the table itself reports.
 */
import { z } from "zod";
import type { DeltaColumn, DeltaTableReader } from "@/lib/data/delta.ts";
import { BadRequestError, WorkspaceError } from "@/lib/errors.ts";
import { DatabricksError } from "./api_error.ts";
import { DatabricksWorkspace } from "./databricks_workspace.ts";
import { castValue, type SqlValue, type Statement, StatementSchema } from "./sql.ts";

/** One part of a three-level Unity Catalog name, as the app accepts it. */
const IDENT = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/;
/** Column names may hold spaces (column mapping) but never a backtick or a control character. */
// deno-lint-ignore no-control-regex -- control characters are exactly what it refuses
const COLUMN = /^[^`\u0000-\u001f\u007f]{1,255}$/;

const Rows = z.array(z.array(z.union([z.string(), z.null()])));

/** A presigned link to one result chunk in the workspace's cloud storage. */
const LinkSchema = z.looseObject({
  chunk_index: z.number(),
  external_link: z.string().min(1),
  expiration: z.string().optional(),
  /** Headers the download must carry (e.g. an encryption key); secret, never logged. */
  http_headers: z.record(z.string(), z.string()).optional(),
  next_chunk_index: z.number().optional(),
});
type Link = z.infer<typeof LinkSchema>;

/** One result chunk: rows inline, or links to them (EXTERNAL_LINKS). */
const ChunkSchema = z.looseObject({
  chunk_index: z.number().optional(),
  data_array: Rows.optional(),
  external_links: z.array(LinkSchema).optional(),
  next_chunk_index: z.number().optional(),
});
type Chunk = z.infer<typeof ChunkSchema>;

/** How long a statement may stay queued or running before it is cancelled. */
const MAX_WAIT_MS = 30 * 60_000;
/** How long one chunk download from cloud storage may take. */
const DOWNLOAD_TIMEOUT_MS = 120_000;

/** A validated `catalog.schema.table`. */
export interface TableName {
  catalog: string;
  schema: string;
  table: string;
  /** `` `catalog`.`schema`.`table` ``, safe to put in a statement. */
  quoted: string;
}

/**
 * Checks a table name typed by a person; refuses anything but three plain identifier parts, so
 * nothing they type can change the statement it goes into. Parts may be wrapped in backticks.
 */
export function parseTableName(name: string): TableName {
  const parts = name.trim().split(".").map((p) => p.trim().replace(/^`(.*)`$/, "$1"));
  if (parts.length !== 3 || !parts.every((p) => IDENT.test(p))) {
    throw new BadRequestError(
      `"${
        name.slice(0, 200)
      }" is not a table name: write catalog.schema.table, each part made of letters, digits, "_" or "-" (e.g. main.vision.pets)`,
    );
  }
  const [catalog, schema, table] = parts;
  return { catalog, schema, table, quoted: parts.map((p) => `\`${p}\``).join(".") };
}

/** A column name the table reported, quoted for a statement. */
export function quoteColumn(name: string): string {
  if (!COLUMN.test(name)) {
    throw new BadRequestError(
      `column name ${
        JSON.stringify(name.slice(0, 200))
      } is not allowed (backticks and control characters are refused)`,
    );
  }
  return `\`${name}\``;
}

/** Turns `DESCRIBE TABLE` rows into columns: they stop at the first blank or `#` section row. */
export function describedColumns(rows: { col_name: string | null; data_type: string | null }[]) {
  const out: DeltaColumn[] = [];
  for (const r of rows) {
    const name = r.col_name?.trim() ?? "";
    if (!name || name.startsWith("#")) break;
    out.push({ name, type: (r.data_type ?? "string").trim().toUpperCase() });
  }
  return out;
}

/**
 * The scanner's Delta reader over the workspace's SQL warehouse. Rows are fetched with the
 * EXTERNAL_LINKS disposition (chunks downloaded from cloud storage), because INLINE results are
 * aborted beyond 25 MiB; a warehouse that answers inline is read the same way. Throws at once,
 * naming DATABRICKS_WAREHOUSE_ID, when no warehouse is configured.
 */
export class DatabricksDeltaReader implements DeltaTableReader {
  readonly #ws: DatabricksWorkspace;
  readonly #warehouseId: string;
  readonly #columns = new Map<string, Promise<DeltaColumn[]>>();

  constructor(ws: DatabricksWorkspace) {
    const id = ws.defaults.warehouseId;
    if (!id) {
      throw new BadRequestError(
        "No SQL warehouse is configured, and Delta tables are read through one: set " +
          "DATABRICKS_WAREHOUSE_ID to the id of a SQL warehouse the app may use (CAN USE), then " +
          "restart the app (in a Databricks App, add the warehouse as a resource in app.yaml).",
      );
    }
    this.#ws = ws;
    this.#warehouseId = id;
  }

  /** The table's columns with their Spark SQL types (upper case), in table order. */
  columns(table: string, opts: { signal?: AbortSignal } = {}): Promise<DeltaColumn[]> {
    let t: TableName;
    try {
      t = parseTableName(table);
    } catch (e) {
      return Promise.reject(e);
    }
    let p = this.#columns.get(t.quoted);
    if (!p) {
      p = this.#describe(t, opts.signal);
      this.#columns.set(t.quoted, p);
      p.catch(() => this.#columns.delete(t.quoted));
    }
    return p;
  }

  async #describe(t: TableName, signal?: AbortSignal): Promise<DeltaColumn[]> {
    const rows: { col_name: string | null; data_type: string | null }[] = [];
    const describe = `DESCRIBE TABLE ${t.quoted}`;
    for await (const chunk of this.#run(describe, t, "INLINE", signal)) {
      for (const r of chunk.rows) {
        rows.push({ col_name: r[0] as string | null, data_type: r[1] as string | null });
      }
    }
    const cols = describedColumns(rows);
    if (!cols.length) {
      throw new BadRequestError(`${t.catalog}.${t.schema}.${t.table} has no columns`);
    }
    return cols;
  }

  /**
   * Rows of the chosen columns, one batch per result chunk. BINARY columns come back as
   * `"<n> bytes"` (or `""` when empty): the scan only needs to know an image is there, and
   * downloading every image's bytes would make the result as large as the dataset.
   */
  async *rows(
    table: string,
    columns: string[],
    opts: { signal?: AbortSignal } = {},
  ): AsyncGenerator<unknown[][]> {
    const t = parseTableName(table);
    if (!columns.length) throw new BadRequestError("choose at least one column to read");
    const known = await this.columns(table, opts);
    const select = columns.map((c) => {
      const col = known.find((k) => k.name === c);
      if (!col) {
        throw new BadRequestError(
          `${t.catalog}.${t.schema}.${t.table} has no column ${JSON.stringify(c.slice(0, 200))} ` +
            `(columns: ${known.map((k) => k.name).join(", ")})`,
        );
      }
      const q = quoteColumn(col.name);
      return col.type === "BINARY" ? `octet_length(${q}) AS ${q}` : q;
    });
    const binary = columns.map((c) => known.find((k) => k.name === c)!.type === "BINARY");
    const statement = `SELECT ${select.join(", ")} FROM ${t.quoted}`;
    for await (const chunk of this.#run(statement, t, "EXTERNAL_LINKS", opts.signal)) {
      if (binary.some(Boolean)) {
        for (const r of chunk.rows) {
          binary.forEach((b, i) => {
            if (b && r[i] !== null) r[i] = Number(r[i]) > 0 ? `${r[i]} bytes` : "";
          });
        }
      }
      yield chunk.rows;
    }
  }

  /** Runs one read-only statement; yields each result chunk's rows cast by the manifest types. */
  async *#run(
    statement: string,
    t: TableName,
    disposition: "INLINE" | "EXTERNAL_LINKS",
    signal?: AbortSignal,
  ): AsyncGenerator<{ rows: SqlValue[][] }> {
    const http = this.#ws.http;
    const what = `Reading ${t.catalog}.${t.schema}.${t.table}`;
    signal?.throwIfAborted();
    let st: Statement = await http.json({
      method: "POST",
      path: "/api/2.0/sql/statements",
      body: {
        warehouse_id: this.#warehouseId,
        statement,
        wait_timeout: "30s",
        on_wait_timeout: "CONTINUE",
        disposition,
        format: "JSON_ARRAY",
      },
      // A read: submitting it twice after a lost answer costs a little warehouse time, no harm.
      idempotent: true,
      signal,
      what,
    }, StatementSchema);
    let finished = false;
    try {
      let wait = 500;
      const deadline = http.clock.now() + MAX_WAIT_MS;
      while (st.status.state === "PENDING" || st.status.state === "RUNNING") {
        if (http.clock.now() > deadline) {
          throw new DatabricksError(
            `${what} failed: still ${st.status.state} after ${
              MAX_WAIT_MS / 60_000
            } min; cancelled.`,
            "DEADLINE_EXCEEDED",
            504,
            undefined,
            "The warehouse may be stopped, starting or overloaded; try again, or use a larger warehouse.",
          );
        }
        await http.clock.sleep(wait, signal);
        signal?.throwIfAborted();
        wait = Math.min(wait * 2, 5000);
        st = await this.#ws.sql.get(st.statement_id);
      }
      finished = true;
      if (st.status.state !== "SUCCEEDED") throw statementError(st, what);
      const types = (st.manifest?.schema?.columns ?? []).map((c) => c.type_name);
      const cast = (rows: (string | null)[][]) =>
        rows.map((r) => types.map((ty, i) => castValue(r[i] ?? null, ty)));
      const fetchChunk = (i: number) =>
        http.json({
          method: "GET",
          path: `/api/2.0/sql/statements/${encodeURIComponent(st.statement_id)}/result/chunks/${i}`,
          signal,
          what: `${what} (result chunk ${i})`,
        }, ChunkSchema);
      const first = st.result ? ChunkSchema.safeParse(st.result) : undefined;
      if (first && !first.success) {
        throw new WorkspaceError(
          `${what} failed: the statement's result has an unexpected shape (${
            first.error.issues[0]?.message
          }).`,
          "MALFORMED_RESPONSE",
          502,
        );
      }
      let chunk: Chunk | undefined = first?.data;
      while (chunk) {
        let next = chunk.next_chunk_index;
        if (chunk.external_links?.length) {
          for (const link of chunk.external_links) {
            yield { rows: cast(await download(link, fetchChunk, what, signal)) };
            next = link.next_chunk_index;
          }
        } else yield { rows: cast(chunk.data_array ?? []) };
        if (next === undefined) break;
        signal?.throwIfAborted();
        chunk = await fetchChunk(next);
      }
    } finally {
      // Stopped (cancelled, or the reader was dropped) before the warehouse finished: free it.
      if (!finished) await this.#ws.sql.cancel(st.statement_id).catch(() => {});
    }
  }
}

function statementError(st: Statement, what: string): WorkspaceError {
  const e = st.status.error;
  const said = e?.message ?? "no reason given";
  const hint = /TABLE_OR_VIEW_NOT_FOUND/.test(said)
    ? "Check the table name, and that the acting identity has USE CATALOG, USE SCHEMA and SELECT on it."
    : /UNRESOLVED_COLUMN/.test(said)
    ? "Pick the columns again: the table's columns changed."
    : /INSUFFICIENT_PERMISSIONS|PERMISSION_DENIED/.test(said)
    ? "The acting identity needs SELECT on the table, USE CATALOG and USE SCHEMA, and CAN USE on the warehouse."
    : /inline|byte limit|too large/i.test(said)
    ? "The result is too large; pick a path column instead of one with image bytes."
    : undefined;
  return new DatabricksError(
    `${what} failed: ${st.status.state} (Databricks said: ${JSON.stringify(said)}).${
      hint ? ` ${hint}` : ""
    }`,
    e?.error_code ?? st.status.state,
    st.status.state === "CANCELED" ? 409 : 400,
    undefined,
    hint,
    e?.message,
  );
}

/**
 * The Delta reader of a workspace, or null when it is not a Databricks workspace (Delta tables
 * are only read through a SQL warehouse). Throws when no warehouse is configured.
 */
export function deltaReaderFor(ws: unknown): DatabricksDeltaReader | null {
  return ws instanceof DatabricksWorkspace ? new DatabricksDeltaReader(ws) : null;
}

/** What the local app says when asked for a Delta table. */
export const DELTA_NEEDS_DATABRICKS =
  "Delta tables need a Databricks workspace: they are read through a SQL warehouse. Start the " +
  "app with LAKEVISION_WORKSPACE=databricks (DATABRICKS_HOST, credentials, and " +
  "DATABRICKS_WAREHOUSE_ID), or export the table's images and labels to a volume folder " +
  "(ImageFolder or COCO) and scan that path instead.";

/**
 * The Delta reader a request may use: a 400 naming what to do when the app runs locally, or
 * when no SQL warehouse is configured.
 */
export function requireDeltaReader(ws: unknown): DatabricksDeltaReader {
  const r = deltaReaderFor(ws);
  if (!r) throw new BadRequestError(DELTA_NEEDS_DATABRICKS);
  return r;
}

/**
 * Downloads one EXTERNAL_LINKS chunk: from the presigned URL, without the Databricks token,
 * with the link's own headers. An expired link is renewed once through the chunk endpoint;
 * network errors and 5xx are tried three times.
 */
async function download(
  link: Link,
  fetchChunk: (i: number) => Promise<Chunk>,
  what: string,
  signal?: AbortSignal,
): Promise<(string | null)[][]> {
  const renew = async () => {
    const fresh = (await fetchChunk(link.chunk_index)).external_links
      ?.find((l) => l.chunk_index === link.chunk_index);
    if (!fresh) throw new Error(`no fresh link for chunk ${link.chunk_index}`);
    return fresh;
  };
  let renewed = false;
  if (link.expiration && Date.parse(link.expiration) < Date.now() + 10_000) {
    link = await renew();
    renewed = true;
  }
  let failure = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    signal?.throwIfAborted();
    let res: Response;
    try {
      const limit = AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS);
      res = await fetch(link.external_link, {
        headers: link.http_headers ?? {},
        signal: signal ? AbortSignal.any([signal, limit]) : limit,
      });
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      failure = e instanceof Error ? e.message : String(e);
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      continue;
    }
    if (res.ok) {
      const rows = Rows.safeParse(await res.json().catch(() => null));
      if (rows.success) return rows.data;
      failure = "the chunk is not a JSON array of rows";
      continue;
    }
    const body = (await res.text().catch(() => "")).slice(0, 300);
    failure = `HTTP ${res.status}${body ? `: ${body.replace(/\s+/g, " ")}` : ""}`;
    if ((res.status === 403 || res.status === 400) && !renewed) {
      link = await renew();
      renewed = true;
      attempt--;
      continue;
    }
    if (res.status < 500) break;
    await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
  }
  throw new WorkspaceError(
    `${what} failed: result chunk ${link.chunk_index} could not be downloaded from cloud storage (${failure}).`,
    "EXTERNAL_LINK_FAILED",
    502,
    undefined,
    "The app downloads large results from the workspace's storage through presigned URLs; " +
      "check that outbound HTTPS to that storage is allowed.",
  );
}
