import { Page } from "@/components/Page.tsx";
import { BUTTON, BUTTON2, Delta, fmtMetric, modelHref } from "@/components/registry/parts.tsx";
import { BadRequestError } from "@/lib/errors.ts";
import { type AliasPreview, deleteAlias, moveAlias, previewAlias } from "@/lib/registry/aliases.ts";
import { registryContext } from "@/lib/registry/service.ts";
import { listActivity } from "@/lib/store/activity.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

export const handler: Handlers<AliasPreview> = {
  /** The confirmation: what moving the alias changes. */
  async GET(_req, ctx) {
    const q = ctx.url.searchParams;
    const p = await previewAlias(
      registryContext(ctx.state),
      ctx.params.name,
      q.get("alias") ?? "",
      q.get("version") ?? "",
    );
    return ctx.render(p);
  },
  /** Moves (or removes) the alias, then back to the model with an undo button. */
  async POST(req, ctx) {
    const form = await readForm(req);
    const rc = registryContext(ctx.state);
    const name = ctx.params.name;
    const alias = String(form.get("alias") ?? "");
    if (form.get("action") === "delete") {
      await deleteAlias(rc, name, alias);
    } else {
      const version = String(form.get("version") ?? "");
      if (!version) throw new BadRequestError("version is missing.");
      const from = String(form.get("from") ?? "");
      await moveAlias(rc, name, alias, version, from || null);
    }
    const [entry] = await listActivity({ limit: 1, subjectPrefix: `model:${name}` });
    const notice = form.get("action") === "delete"
      ? `Removed @${alias}.`
      : `@${alias} now points at version ${form.get("version")}.`;
    return ctx.redirect(
      `${modelHref(name)}?notice=${encodeURIComponent(notice)}&undo=${entry?.id ?? ""}`,
    );
  },
};

/** Confirm an alias move, with the metric change against the version holding it now. */
export default function AliasPage({ data: p }: PageProps<AliasPreview>) {
  const m = p.metric;
  return (
    <Page
      title={`Point @${p.alias} at version ${p.to}?`}
      crumbs={[
        { label: "Model Registry", href: "/models" },
        { label: p.name, href: modelHref(p.name) },
      ]}
    >
      <section class="max-w-xl rounded-lg border border-slate-200 bg-white p-4 text-sm space-y-3">
        <p>
          {p.from === p.to ? <>@{p.alias} already points at version {p.to}.</> : p.from
            ? (
              <>
                @{p.alias} of <code>{p.name}</code> moves from <strong>version {p.from}</strong> to
                {" "}
                <strong>version {p.to}</strong>. Anything that loads{" "}
                <code>models:/{p.name}@{p.alias}</code> gets the new version.
              </>
            )
            : (
              <>
                @{p.alias} is new on <code>{p.name}</code>: it will point at{" "}
                <strong>version {p.to}</strong>.
              </>
            )}
        </p>
        {m && (
          <table class="text-sm">
            <thead class="text-left text-slate-600">
              <tr>
                <th class="pr-6 font-medium">{m.name}</th>
                <th class="pr-6 font-medium">{p.from ? `v${p.from} (now)` : "now"}</th>
                <th class="pr-6 font-medium">v{p.to}</th>
                <th class="font-medium">change</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <td class="pr-6 text-slate-500">validation</td>
                <td class="pr-6 tabular-nums">{fmtMetric(m.from)}</td>
                <td class="pr-6 tabular-nums">{fmtMetric(m.to)}</td>
                <td class="tabular-nums">
                  <Delta value={m.delta} />
                </td>
              </tr>
            </tbody>
          </table>
        )}
        {m && m.delta !== null && m.delta < 0 && (
          <p
            role="alert"
            class="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900"
          >
            Version {p.to} scored lower than the version holding @{p.alias} now.
          </p>
        )}
        <form method="post" class="flex gap-2">
          <input type="hidden" name="alias" value={p.alias} />
          <input type="hidden" name="version" value={p.to} />
          <input type="hidden" name="from" value={p.from ?? ""} />
          <button type="submit" class={BUTTON} disabled={p.from === p.to}>
            Move @{p.alias} to v{p.to}
          </button>
          <a class={BUTTON2} href={modelHref(p.name)}>Cancel</a>
        </form>
        {p.from && (
          <form method="post">
            <input type="hidden" name="alias" value={p.alias} />
            <input type="hidden" name="action" value="delete" />
            <button type="submit" class="text-xs text-red-700 hover:underline">
              Remove @{p.alias} instead
            </button>
          </form>
        )}
      </section>
    </Page>
  );
}
