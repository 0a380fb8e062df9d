import { endpointHref } from "@/components/deployments/parts.tsx";
import { Page } from "@/components/Page.tsx";
import { BUTTON2, INPUT } from "@/components/registry/parts.tsx";
import { HttpError } from "@/lib/errors.ts";
import { registryContext } from "@/lib/registry/service.ts";
import { deleteEndpoint } from "@/lib/serving/service.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";
import type { Endpoint } from "@/lib/workspace/types.ts";

interface Data {
  endpoint: Endpoint;
  confirm: string;
  error?: string;
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const endpoint = await ctx.state.workspace.serving.get(ctx.params.name);
    return ctx.render({ endpoint, confirm: "" });
  },
  /** Deletes when the typed name matches; otherwise the confirmation again, with the message. */
  async POST(req, ctx) {
    const name = ctx.params.name;
    const confirm = String((await readForm(req)).get("confirm") ?? "").slice(0, 200);
    try {
      await deleteEndpoint(registryContext(ctx.state), name, confirm);
    } catch (e) {
      if (!(e instanceof HttpError) || e.status !== 400) throw e;
      const endpoint = await ctx.state.workspace.serving.get(name);
      return ctx.render({ endpoint, confirm, error: e.message }, { status: 400 });
    }
    return ctx.redirect(`/deployments?notice=${encodeURIComponent(`Deleted ${name}.`)}`);
  },
};

/** The delete confirmation: type the endpoint's name. */
export default function DeleteEndpointPage({ data }: PageProps<Data>) {
  const e = data.endpoint;
  return (
    <Page
      title={`Delete ${e.name}?`}
      crumbs={[
        { label: "Deployment", href: "/deployments" },
        { label: e.name, href: endpointHref(e.name) },
      ]}
    >
      <form
        method="post"
        class="max-w-xl rounded-lg border-2 border-red-200 bg-white p-4 space-y-3"
      >
        <p class="text-sm text-slate-700">
          Deleting <strong class="font-mono">{e.name}</strong> stops it serving{" "}
          {e.entities.map((s) => `${s.model} v${s.version}`).join(" and ")}{" "}
          at once; clients calling it get errors. The model versions stay in the registry.
        </p>
        <label class="block text-sm">
          <span class="block text-slate-700 mb-1">
            Type <strong class="font-mono">{e.name}</strong> to confirm
          </span>
          <input
            name="confirm"
            value={data.confirm}
            autocomplete="off"
            required
            class={`${INPUT} font-mono`}
            aria-invalid={data.error ? "true" : undefined}
            aria-describedby={data.error ? "confirm-error" : undefined}
          />
        </label>
        {data.error && (
          <p id="confirm-error" role="alert" class="text-sm text-red-700">{data.error}</p>
        )}
        <div class="flex gap-2">
          <button
            type="submit"
            class="rounded-md bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-600"
          >
            Delete {e.name}
          </button>
          <a class={BUTTON2} href={endpointHref(e.name)}>Cancel</a>
        </div>
      </form>
    </Page>
  );
}
