import { z } from "zod";
import { checkDataPathsWithin, isShapeProblem, pathOptionsOf } from "@/lib/config/data_paths.ts";
import { type Problem, validateConfig } from "@/lib/config/validate.ts";
import { parseConfigYaml, stringifyConfig } from "@/lib/config/yaml_io.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

const Body = z.object({
  yaml: z.string().optional(),
  doc: z.record(z.string(), z.unknown()).optional(),
  mode: z.enum(["edit", "launch"]).default("edit"),
}).refine(
  (b) => (b.yaml === undefined) !== (b.doc === undefined),
  "send exactly one of yaml or doc",
);

/**
 * POST {yaml} or {doc} → {ok, task, errors, warnings}, as `config validate --json` prints; for a
 * {doc}, also `yaml`, the file it saves as (the editor's preview, so browsers need no YAML code),
 * and `data`, what the workspace check of its data found (the editor shows it beside the fields).
 */
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
      const { data: _data, ...verdict } = await withPaths(
        parsed.doc,
        mode,
        target,
        ctx.state.workspace,
      );
      return Response.json(verdict);
    }
    return Response.json({
      ...await withPaths(doc!, mode, target, ctx.state.workspace),
      yaml: stringifyConfig(doc!),
    });
  },
};

/**
 * The rules' verdict plus the data checked in the workspace (within a page's time): a path that
 * can never be a data path is an error; one that is missing, holds the wrong layout or whose
 * classes disagree with the config is an error for launch, a warning while editing (the data
 * may be uploaded later).
 */
async function withPaths(
  doc: Record<string, unknown>,
  mode: "edit" | "launch",
  target: "local" | "databricks",
  ws: Workspace,
) {
  const r = validateConfig(doc, { mode, target });
  const errors = [...r.errors], warnings = [...r.warnings];
  const data = (doc.data ?? {}) as Record<string, unknown>;
  const found: Problem[] = await checkDataPathsWithin(doc, r.task, ws.files, pathOptionsOf(ws));
  for (const p of found) {
    const shape = p.path.startsWith("data.") && isShapeProblem(data[p.path.slice(5)]);
    if (shape || mode === "launch") {
      if (!errors.some((e) => e.path === p.path)) errors.push(p);
    } else warnings.push(p);
  }
  return { ok: errors.length === 0, task: r.task, errors, warnings, data: found };
}
