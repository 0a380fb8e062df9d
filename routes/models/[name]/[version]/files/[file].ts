import { downloadFile } from "@/lib/registry/browse.ts";
import { registryContext } from "@/lib/registry/service.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** Downloads one of a version's files, checked against its registered checksum. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const { name, version, file } = ctx.params;
    const f = await downloadFile(registryContext(ctx.state), name, version, file);
    return new Response(f.bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": f.type,
        "content-disposition": `attachment; filename="${f.filename}"`,
        "cache-control": "no-store",
      },
    });
  },
};
