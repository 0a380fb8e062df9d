import { BadRequestError } from "@/lib/errors.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import type { Handlers } from "@/lib/web/types.ts";

/** GET the YAML of a version (`?v=N`, default latest) as a download. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const store = await configStoreFor(ctx.state);
    const name = ctx.params.name;
    const raw = ctx.url.searchParams.get("v");
    const v = raw === null ? (await store.get(name)).latestVersion : Number(raw);
    if (!Number.isInteger(v) || v < 1) throw new BadRequestError("v must be a version number.");
    const version = await store.getVersion(name, v);
    return new Response(version.yaml, {
      headers: {
        "content-type": "application/yaml; charset=utf-8",
        "content-disposition": `attachment; filename="${name}-v${v}.yaml"`,
      },
    });
  },
};
