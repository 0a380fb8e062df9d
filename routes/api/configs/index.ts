import { z } from "zod";
import { validateConfig } from "@/lib/config/validate.ts";
import { parseConfigYaml } from "@/lib/config/yaml_io.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

const Body = z.object({
  name: z.string().min(1).max(64),
  yaml: z.string().optional(),
  doc: z.record(z.string(), z.unknown()).optional(),
  message: z.string().max(500).optional(),
  baseVersion: z.number().int().positive().optional(),
}).refine(
  (b) => (b.yaml === undefined) !== (b.doc === undefined),
  "send exactly one of yaml or doc",
);

/** GET: the configs list (`?q=` searches). POST: save a new version from YAML or a document. */
export const handler: Handlers = {
  async GET(_req, ctx) {
    const store = await configStoreFor(ctx.state);
    const q = ctx.url.searchParams.get("q") ?? undefined;
    return Response.json({
      configs: await store.list({ search: q }),
      active: await store.getActive(),
    });
  },
  async POST(req, ctx) {
    const body = Body.safeParse(await readJson(req));
    if (!body.success) throw new BadRequestError(`Bad request: ${body.error.issues[0].message}`);
    const { name, yaml, message, baseVersion } = body.data;
    let doc = body.data.doc;
    if (yaml !== undefined) {
      const parsed = parseConfigYaml(yaml);
      if (!parsed.ok) {
        throw new BadRequestError(parsed.error.message, [{ path: "", ...parsed.error }]);
      }
      doc = parsed.doc;
    }
    const check = validateConfig(doc, { target: ctx.state.settings.workspace });
    if (!check.ok) {
      throw new BadRequestError(
        `The config has ${check.errors.length} error(s); nothing was saved.`,
        check.errors,
      );
    }
    const store = await configStoreFor(ctx.state);
    const who = ctx.state.user.email ?? ctx.state.user.name;
    const saved = await store.save(name, doc!, {
      author: who,
      message,
      baseVersion,
      source: yaml !== undefined ? "import" : "api",
      sourceYaml: yaml,
    });
    return Response.json({ version: saved.version, file: saved.file, warnings: check.warnings }, {
      status: 201,
    });
  },
};
