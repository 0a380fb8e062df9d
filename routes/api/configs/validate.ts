import { z } from "zod";
import { validateConfig } from "@/lib/config/validate.ts";
import { parseConfigYaml } from "@/lib/config/yaml_io.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

const Body = z.object({
  yaml: z.string().optional(),
  doc: z.record(z.string(), z.unknown()).optional(),
  mode: z.enum(["edit", "launch"]).default("edit"),
}).refine(
  (b) => (b.yaml === undefined) !== (b.doc === undefined),
  "send exactly one of yaml or doc",
);

/** POST {yaml} or {doc} → {ok, task, errors, warnings}, as `config validate --json` prints. */
export const handler: Handlers = {
  async POST(req, ctx) {
    const body = Body.safeParse(await readJson(req));
    if (!body.success) throw new BadRequestError(`Bad request: ${body.error.issues[0].message}`);
    const { yaml, doc, mode } = body.data;
    const target = ctx.state.settings.workspace;
    if (yaml !== undefined) {
      const parsed = parseConfigYaml(yaml);
      if (!parsed.ok) {
        const { message, line, column } = parsed.error;
        return Response.json({
          ok: false,
          task: null,
          errors: [{ path: "", message, line, column }],
          warnings: [],
        });
      }
      return Response.json(pick(validateConfig(parsed.doc, { mode, target })));
    }
    return Response.json(pick(validateConfig(doc, { mode, target })));
  },
};

function pick(r: ReturnType<typeof validateConfig>) {
  return { ok: r.ok, task: r.task, errors: r.errors, warnings: r.warnings };
}
