import { exportHistory } from "@/lib/history/transfer.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** The whole history (events, preferences, run records) as a JSON download. */
export const handler: Handlers = {
  async GET() {
    const doc = await exportHistory();
    const day = doc.exportedAt.slice(0, 10);
    return new Response(JSON.stringify(doc, null, 2), {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="lakevision-history-${day}.json"`,
      },
    });
  },
};
