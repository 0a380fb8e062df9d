import { z } from "zod";
import { HttpError, UnprocessableError } from "@/lib/errors.ts";
import { noteInferenceSession } from "@/lib/history/events.ts";
import { browserChoice } from "@/lib/inference/playground_models.ts";
import { registryContext } from "@/lib/registry/service.ts";
import { readJson } from "@/lib/web/body.ts";
import type { Handlers } from "@/lib/web/types.ts";

const KEY_SHAPE = "version:<name>:<n> or run:<id>";

const Body = z.object({
  model: z.string({ error: `give the model's Playground key (${KEY_SHAPE})` })
    .min(1, `give the model's Playground key (${KEY_SHAPE})`)
    .max(600, "is longer than any model key (600 characters at most)"),
  backend: z.enum(["wasm", "webgpu"], {
    error: 'must be "wasm" or "webgpu": where the model ran in the browser',
  }),
});

/**
 * Logs to History that this person ran a model in the browser: `{ model, backend }`, sent by the
 * Playground after the first successful in-browser inference of a model. The key must name a
 * model the Playground offers here to run in the browser; History keeps one event per person and
 * model per half hour, and the answer says whether this one was new.
 */
export const handler: Handlers = {
  async POST(req, ctx) {
    const { model, backend } = await readJson(req, Body);
    const choice = await browserChoice(registryContext(ctx.state), model).catch((e) => {
      // A key that names nothing here is the request's fault: say which field.
      if (e instanceof HttpError && [400, 404, 422].includes(e.status)) {
        throw new UnprocessableError(`The request is not valid: model: ${e.message}`, [
          { path: "model", message: e.message },
        ]);
      }
      throw e;
    });
    const logged = await noteInferenceSession(ctx.state.user.name, choice.key, backend);
    return Response.json({ logged, model: choice.key, backend }, {
      headers: { "cache-control": "no-store" },
    });
  },
};
