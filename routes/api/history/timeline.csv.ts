import { apiFilter, timelineCsv, toQuery } from "@/lib/history/timeline.ts";
import { type Activity, queryActivity } from "@/lib/store/activity.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Rows one download may hold; a narrower filter gets the rest. */
const MAX_ROWS = 100_000;

/** The filtered timeline as CSV, newest first, walked page by page through the index. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const q = toQuery(apiFilter(ctx.url.searchParams), 500);
    const items: Activity[] = [];
    let cursor = q.cursor;
    do {
      const page = await queryActivity({ ...q, limit: 500, cursor });
      items.push(...page.items);
      cursor = page.next ?? undefined;
    } while (cursor && items.length < MAX_ROWS);
    return new Response(timelineCsv(items.slice(0, MAX_ROWS)), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": 'attachment; filename="lakevision-timeline.csv"',
      },
    });
  },
};
