import { apiFilter, toQuery } from "@/lib/history/timeline.ts";
import { queryActivity } from "@/lib/store/activity.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** One page of the timeline as JSON: `{items, next}`; pass `next` back as `cursor`. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const page = await queryActivity(toQuery(apiFilter(ctx.url.searchParams)));
    return Response.json({ items: page.items, next: page.next });
  },
};
