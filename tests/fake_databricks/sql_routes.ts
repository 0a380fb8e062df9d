/**
 * SQL Statement Execution for the fake workspace: statements answered from registered tables,
 * PENDING → SUCCEEDED, results split into chunks fetched separately. With `linkBase` set (see
 * startFakeStorage), EXTERNAL_LINKS statements answer with presigned-style links instead.
 */
import { apiError, badRequest, json, notFound, readJson } from "./util.ts";
import type { FakeDatabricks } from "./server.ts";

export interface FakeTable {
  columns: { name: string; type_name: string }[];
  rows: (string | null)[][];
}

interface Statement {
  id: string;
  /** The statement text as submitted (tests assert on quoting). */
  text?: string;
  state: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELED";
  polls?: number;
  table?: FakeTable;
  error?: { error_code: string; message: string };
  /** Asked for EXTERNAL_LINKS while a storage server is set: chunks are links. */
  external?: boolean;
}

export class FakeSql {
  /** Table name (as written after FROM) → contents. */
  readonly tables = new Map<string, FakeTable>();
  readonly statements = new Map<string, Statement>();
  /** Rows per result chunk. */
  chunkRows = 2;
  /** How many status reads a new statement stays RUNNING for (a slow warehouse). */
  runningPolls = 0;
  /** Base URL of a fake cloud storage (startFakeStorage); enables EXTERNAL_LINKS results. */
  linkBase?: string;
  /** Headers a client must send with each external link (`http_headers`, e.g. an SSE key). */
  linkHeaders: Record<string, string> = {};
  constructor(readonly fake: FakeDatabricks) {}

  /** The rows of chunk `i` of a statement, as the storage behind an external link holds them. */
  chunkData(statementId: string, i: number): (string | null)[][] | undefined {
    const s = this.statements.get(statementId);
    if (!s?.table || s.state !== "SUCCEEDED") return undefined;
    const chunks = Math.max(1, Math.ceil(s.table.rows.length / this.chunkRows));
    if (!(i >= 0 && i < chunks)) return undefined;
    return s.table.rows.slice(i * this.chunkRows, (i + 1) * this.chunkRows);
  }

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
    const next = i + 1 < chunks
      ? {
        next_chunk_index: i + 1,
        next_chunk_internal_link: `/api/2.0/sql/statements/${s.id}/result/chunks/${i + 1}`,
      }
      : {};
    if (s.external && this.linkBase) {
      return {
        external_links: [{
          chunk_index: i,
          row_offset: i * this.chunkRows,
          row_count: rows.length,
          byte_count: JSON.stringify(rows).length,
          external_link: `${this.linkBase}/${s.id}/${i}?X-Sig=${crypto.randomUUID()}`,
          expiration: new Date(Date.now() + 15 * 60_000).toISOString(),
          ...(Object.keys(this.linkHeaders).length ? { http_headers: this.linkHeaders } : {}),
          ...next,
        }],
      };
    }
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
      const describe = /^\s*describe\s+(?:table\s+)?([\w.`-]+)\s*;?\s*$/i.exec(b.statement)?.[1];
      const from = describe?.replaceAll("`", "") ??
        /\bfrom\s+([\w.`-]+)/i.exec(b.statement)?.[1]?.replaceAll("`", "");
      let table = from ? this.tables.get(from) : undefined;
      let error: Statement["error"];
      if (table && describe) table = describeTable(table);
      else if (table) {
        const shaped = project(b.statement, table);
        if ("error" in shaped) error = shaped.error;
        else table = shaped.table;
      }
      const s: Statement = {
        id,
        text: b.statement,
        external: b.disposition === "EXTERNAL_LINKS" && !!this.linkBase,
        state: b.wait_timeout === "0s" ? "PENDING" : this.runningPolls ? "RUNNING" : "SUCCEEDED",
        polls: this.runningPolls,
        table,
      };
      if (error) {
        s.state = "FAILED";
        s.error = error;
      } else if (!table) {
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

/** What `DESCRIBE TABLE` answers: one row per column (name, lower-case type, comment). */
function describeTable(t: FakeTable): FakeTable {
  return {
    columns: [
      { name: "col_name", type_name: "STRING" },
      { name: "data_type", type_name: "STRING" },
      { name: "comment", type_name: "STRING" },
    ],
    rows: t.columns.map((c) => [c.name, c.type_name.toLowerCase(), null]),
  };
}

/** Splits a select list at top-level commas (outside backticks and parentheses). */
function splitList(list: string): string[] {
  const out: string[] = [];
  let depth = 0, quoted = false, cur = "";
  for (const ch of list) {
    if (ch === "`") quoted = !quoted;
    else if (!quoted && ch === "(") depth++;
    else if (!quoted && ch === ")") depth--;
    if (ch === "," && !quoted && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

const NAME = "(`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)";
const unquote = (n: string) => n.startsWith("`") ? n.slice(1, -1).replaceAll("``", "`") : n;

/**
 * `SELECT a, \`b c\`, octet_length(\`img\`) AS \`img\` FROM t` (nothing after the table):
 * only the listed columns, in that order. Other statements get the whole table, as before.
 */
function project(
  statement: string,
  t: FakeTable,
): { table: FakeTable } | { error: { error_code: string; message: string } } {
  const m = /^\s*select\s+([\s\S]+?)\s+from\s+[\w.`-]+\s*;?\s*$/i.exec(statement);
  if (!m || m[1].trim() === "*") return { table: t };
  const item = new RegExp(
    `^(?:${NAME}|octet_length\\(\\s*${NAME}\\s*\\)(?:\\s+as\\s+${NAME})?)$`,
    "i",
  );
  const picks: { index: number; name: string; length: boolean }[] = [];
  for (const part of splitList(m[1])) {
    const p = item.exec(part);
    if (!p) {
      return {
        error: {
          error_code: "BAD_REQUEST",
          message: `[PARSE_SYNTAX_ERROR] Syntax error at or near '${part.slice(0, 40)}'.`,
        },
      };
    }
    const col = unquote(p[1] ?? p[2]);
    const index = t.columns.findIndex((c) => c.name === col);
    if (index < 0) {
      return {
        error: {
          error_code: "BAD_REQUEST",
          message:
            `[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name \`${col}\` cannot be resolved.`,
        },
      };
    }
    picks.push({
      index,
      name: p[3] ? unquote(p[3]) : p[1] ? col : `octet_length(${col})`,
      length: !p[1],
    });
  }
  return {
    table: {
      columns: picks.map((p) => ({
        name: p.name,
        type_name: p.length ? "INT" : t.columns[p.index].type_name,
      })),
      rows: t.rows.map((r) =>
        picks.map((p) => {
          const v = r[p.index];
          return p.length && v !== null ? String(new TextEncoder().encode(v).length) : v;
        })
      ),
    },
  };
}

/** A request the fake storage received. */
export interface StorageRequest {
  path: string;
  authorization: string | null;
  headers: Record<string, string>;
}

/**
 * A stand-in for the cloud storage behind EXTERNAL_LINKS: serves `/<statement>/<chunk>` as a
 * JSON array of rows, refuses a Databricks Authorization header (as presigned URLs do), and
 * requires the link's `http_headers`. `expireNext` answers that many downloads 403 "expired".
 */
export function startFakeStorage(sql: FakeSql): {
  url: string;
  requests: StorageRequest[];
  expireNext: number;
  close(): Promise<void>;
} {
  const state = {
    url: "",
    requests: [] as StorageRequest[],
    expireNext: 0,
    close: () => server.shutdown(),
  };
  const xml = (status: number, code: string, message: string) =>
    new Response(
      `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
      {
        status,
        headers: { "content-type": "application/xml" },
      },
    );
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    state.requests.push({
      path,
      authorization: req.headers.get("authorization"),
      headers: Object.fromEntries(req.headers),
    });
    if (req.headers.get("authorization")) {
      return xml(400, "InvalidArgument", "Only one auth mechanism allowed");
    }
    for (const [k, v] of Object.entries(sql.linkHeaders)) {
      if (req.headers.get(k) !== v) return xml(400, "InvalidArgument", `Missing header ${k}`);
    }
    if (state.expireNext > 0) {
      state.expireNext--;
      return xml(403, "AccessDenied", "Request has expired");
    }
    const [, id, i] = path.split("/");
    const rows = sql.chunkData(id, Number(i));
    if (!rows) return xml(404, "NoSuchKey", "The specified key does not exist.");
    return new Response(JSON.stringify(rows), { headers: { "content-type": "application/json" } });
  });
  state.url = `http://127.0.0.1:${server.addr.port}`;
  return state;
}
