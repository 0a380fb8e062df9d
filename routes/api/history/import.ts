import { importHistory, parseExport } from "@/lib/history/transfer.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

/**
 * Imports an export document (JSON body); answers `{added, skipped, runs, preferences}`. Not
 * logged as an event itself, so an import into an empty data dir reproduces the timeline exactly.
 */
export const handler: Handlers = {
  async POST(req) {
    return Response.json(await importHistory(parseExport(await readJson(req))));
  },
};
