/**
 * SQL Statement Execution for the fake workspace: statements answered from registered tables,
 * PENDING → SUCCEEDED, results split into chunks fetched separately.
 */
import { apiError, badRequest, json, notFound, readJson } from "./util.ts";
import type { FakeDatabricks } from "./server.ts";

export interface FakeTable {
  columns: { name: string; type_name: string }[];
  rows: (string | null)[][];
}

interface Statement {
  id: string;
  state: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELED";
  polls?: number;
  table?: FakeTable;
  error?: { error_code: string; message: string };
}

export class FakeSql {
  /** Table name (as written after FROM) → contents. */
  readonly tables = new Map<string, FakeTable>();
  readonly statements = new Map<string, Statement>();
  /** Rows per result chunk. */
  chunkRows = 2;
  /** How many status reads a new statement stays RUNNING for (a slow warehouse). */
  runningPolls = 0;
  constructor(readonly fake: FakeDatabricks) {}

  #view(s: Statement) {
    const base = {
      statement_id: s.id,
      status: { state: s.state, ...(s.error ? { error: s.error } : {}) },
    };
    if (s.state !== "SUCCEEDED" || !s.table) return base;
    const t = s.table;
    const chunks = Math.max(1, Math.ceil(t.rows.length / this.chunkRows));
    return {
      ...base,
      manifest: {
        format: "JSON_ARRAY",
        schema: {
          column_count: t.columns.length,
          columns: t.columns.map((c, i) => ({ ...c, position: i, type_text: c.type_name })),
        },
        total_row_count: t.rows.length,
        total_chunk_count: chunks,
        truncated: false,
      },
      result: this.#chunk(s, 0),
    };
  }

  #chunk(s: Statement, i: number) {
    const t = s.table!;
    const chunks = Math.max(1, Math.ceil(t.rows.length / this.chunkRows));
    const rows = t.rows.slice(i * this.chunkRows, (i + 1) * this.chunkRows);
    return {
      chunk_index: i,
      row_offset: i * this.chunkRows,
      row_count: rows.length,
      data_array: rows,
      ...(i + 1 < chunks
        ? {
          next_chunk_index: i + 1,
          next_chunk_internal_link: `/api/2.0/sql/statements/${s.id}/result/chunks/${i + 1}`,
        }
        : {}),
    };
  }

  async route(req: Request, _url: URL, path: string): Promise<Response | undefined> {
    if (!path.startsWith("/api/2.0/sql/statements")) return undefined;
    const rest = path.slice("/api/2.0/sql/statements".length).split("/").filter(Boolean);
    if (rest.length === 0 && req.method === "POST") {
      const b = await readJson(req);
      if (!b?.warehouse_id) return badRequest("warehouse_id is required.");
      if (typeof b.statement !== "string" || !b.statement.trim()) {
        return badRequest("statement is required.");
      }
      const id = crypto.randomUUID();
      const from = /\bfrom\s+([\w.`]+)/i.exec(b.statement)?.[1]?.replaceAll("`", "");
      const table = from ? this.tables.get(from) : undefined;
      const s: Statement = {
        id,
        state: b.wait_timeout === "0s" ? "PENDING" : this.runningPolls ? "RUNNING" : "SUCCEEDED",
        polls: this.runningPolls,
        table,
      };
      if (!table) {
        s.state = "FAILED";
        s.error = {
          error_code: "BAD_REQUEST",
          message: `[TABLE_OR_VIEW_NOT_FOUND] The table or view \`${
            from ?? "?"
          }\` cannot be found.`,
        };
      }
      this.statements.set(id, s);
      return json(this.#view(s));
    }
    const s = this.statements.get(rest[0]);
    if (!s) return notFound(`Statement '${rest[0]}'`);
    if (rest.length === 1 && req.method === "GET") {
      if (s.state === "PENDING" || s.state === "RUNNING") {
        const view = this.#view(s);
        s.polls = (s.polls ?? 1) - 1;
        if (s.polls <= 0) s.state = "SUCCEEDED";
        return json(view);
      }
      return json(this.#view(s));
    }
    if (rest[1] === "cancel" && req.method === "POST") {
      if (s.state === "PENDING" || s.state === "RUNNING") s.state = "CANCELED";
      return json({});
    }
    if (rest[1] === "result" && rest[2] === "chunks" && req.method === "GET") {
      if (s.state !== "SUCCEEDED") {
        return apiError(400, "BAD_REQUEST", "The statement has no result.");
      }
      const i = Number(rest[3]);
      const chunks = Math.ceil(s.table!.rows.length / this.chunkRows);
      if (!(i >= 0 && i < Math.max(chunks, 1))) return badRequest(`No chunk ${rest[3]}.`);
      return json(this.#chunk(s, i));
    }
    return undefined;
  }
}
