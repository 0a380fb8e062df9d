/**
 * `deno task cli history ...`: list, export and import the activity history. Automated checks
 * call these names and flags; keep them.
 */
import { parseArgs } from "node:util";
import { loadSettings } from "@/fresh.config.ts";
import { errorMessage } from "@/lib/errors.ts";
import { plural } from "@/lib/format.ts";
import { ACTIVITY_TYPES, type ActivityType, queryActivity } from "@/lib/store/activity.ts";
import { openKv } from "@/lib/store/kv.ts";
import { parseTime } from "./timeline.ts";
import { exportHistory, importHistory, parseExport } from "./transfer.ts";

const USAGE = `Usage:
  history list [--type <t>] [--since <ISO date>] [--json]
      Newest events first (at most --limit, default 100). Types: ${ACTIVITY_TYPES.join(", ")}.
  history export [--out <file.json>]
      Events, preferences and run records as JSON (stdout without --out).
  history import <file.json> [--json]
      Adds what is new (events by id); prints {added, skipped}.`;

/** Entry point used by lib/cli.ts. */
export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  if (!cmd || cmd === "--help" || cmd === "-h" || rest.includes("--help")) {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  try {
    switch (cmd) {
      case "list":
        return await list(rest);
      case "export":
        return await exportCmd(rest);
      case "import":
        return await importCmd(rest);
      default:
        console.error(`Unknown history command "${cmd}".\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (String((e as { code?: string }).code).startsWith("ERR_PARSE_ARGS")) {
      console.error(`error: ${errorMessage(e)}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

async function open(): Promise<void> {
  const settings = loadSettings();
  await Deno.mkdir(settings.dataDir, { recursive: true });
  await openKv(`${settings.dataDir}/kv.sqlite3`);
}

async function list(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      type: { type: "string" },
      since: { type: "string" },
      limit: { type: "string", default: "100" },
      json: { type: "boolean", default: false },
    },
  });
  if (values.type && !(ACTIVITY_TYPES as readonly string[]).includes(values.type)) {
    console.error(`error: --type must be one of ${ACTIVITY_TYPES.join(", ")}`);
    return 2;
  }
  const since = values.since ? parseTime(values.since) : undefined;
  if (since !== undefined && Number.isNaN(since)) {
    console.error("error: --since must be an ISO date such as 2026-11-30");
    return 2;
  }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    console.error("error: --limit must be a whole number from 1 to 500");
    return 2;
  }
  await open();
  const page = await queryActivity({ type: values.type as ActivityType | undefined, since, limit });
  if (values.json) {
    console.log(JSON.stringify(page.items, null, 2));
  } else {
    for (const a of page.items) {
      const t = new Date(a.when).toISOString().replace("T", " ").slice(0, 19);
      console.log(`${t}  ${(a.type ?? "").padEnd(10)} ${a.who.padEnd(12)} ${a.what}  ${a.subject}`);
    }
    if (page.items.length === 0) console.log("No events.");
  }
  return 0;
}

async function exportCmd(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: "string" } } });
  await open();
  const text = JSON.stringify(await exportHistory(), null, 2) + "\n";
  if (values.out) {
    await Deno.writeTextFile(values.out, text);
    console.error(`wrote ${values.out}`);
  } else {
    await Deno.stdout.write(new TextEncoder().encode(text));
  }
  return 0;
}

async function importCmd(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean", default: false } },
  });
  if (positionals.length !== 1) {
    console.error(`error: history import takes one file\n\n${USAGE}`);
    return 2;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(await Deno.readTextFile(positionals[0]));
  } catch (e) {
    console.error(`error: cannot read ${positionals[0]}: ${errorMessage(e)}`);
    return 1;
  }
  const parsed = parseExport(doc);
  await open();
  const s = await importHistory(parsed);
  if (values.json) {
    console.log(
      JSON.stringify({
        added: s.added,
        skipped: s.skipped,
        runs: s.runs,
        preferences: s.preferences,
      }),
    );
  } else {
    console.log(`added ${plural(s.added, "event")}, skipped ${s.skipped} already present`);
    console.log(`runs: added ${s.runs.added}, skipped ${s.runs.skipped}`);
    const c = s.preferences.conflicts;
    console.log(
      `preferences: added ${s.preferences.added}${
        c.length ? `, kept existing for ${c.join(", ")}` : ""
      }`,
    );
  }
  return 0;
}
