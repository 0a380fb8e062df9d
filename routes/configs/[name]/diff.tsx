import { Page } from "@/components/Page.tsx";
import type { DiffRow, FieldChange } from "@/lib/config/diff.ts";
import { formatNumber } from "@/lib/config/form.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { configStoreFor } from "@/lib/store/configs.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  name: string;
  a: number;
  b: number;
  fields: FieldChange[];
  lines: DiffRow[];
}

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    const a = Number(ctx.url.searchParams.get("a")), b = Number(ctx.url.searchParams.get("b"));
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < 1) {
      throw new BadRequestError("Choose two versions to compare (?a=1&b=2).");
    }
    const store = await configStoreFor(ctx.state);
    const d = await store.diff(ctx.params.name, a, b);
    return ctx.render({ name: ctx.params.name, a, b, fields: d.fields, lines: d.lines });
  },
};

const ROW: Record<DiffRow["kind"], [string, string]> = {
  same: ["", ""],
  changed: ["bg-red-50", "bg-green-50"],
  removed: ["bg-red-50", "bg-slate-50"],
  added: ["bg-slate-50", "bg-green-50"],
};

function show(v: unknown): string {
  if (v === undefined) return "—";
  return typeof v === "number" ? formatNumber(v) : JSON.stringify(v);
}

/** Side-by-side YAML of two versions, with the changed fields listed first. */
export default function DiffPage({ data }: PageProps<Data>) {
  const enc = encodeURIComponent(data.name);
  return (
    <Page
      title={`v${data.a} → v${data.b}`}
      crumbs={[{ label: "Configs", href: "/configs" }, {
        label: data.name,
        href: `/configs/${enc}`,
      }]}
      description={`${data.fields.length} field${data.fields.length === 1 ? "" : "s"} changed.`}
    >
      <table
        class="w-full text-sm bg-white rounded-lg border border-slate-200 mb-6"
        data-testid="field-changes"
      >
        <thead class="text-left text-slate-500">
          <tr>
            <th class="p-2">Field</th>
            <th class="p-2">v{data.a}</th>
            <th class="p-2">v{data.b}</th>
          </tr>
        </thead>
        <tbody>
          {data.fields.map((f) => (
            <tr
              key={f.path}
              class="border-t border-slate-100"
              data-change={f.kind}
              data-path={f.path}
            >
              <td class="p-2 font-mono text-xs">{f.path}</td>
              <td class="p-2 font-mono text-xs text-red-700">{show(f.before)}</td>
              <td class="p-2 font-mono text-xs text-green-700">{show(f.after)}</td>
            </tr>
          ))}
          {data.fields.length === 0 && (
            <tr>
              <td colSpan={3} class="p-2 text-slate-500">The two versions hold the same values.</td>
            </tr>
          )}
        </tbody>
      </table>
      <div class="overflow-auto rounded-lg border border-slate-200 bg-white">
        <table class="w-full table-fixed font-mono text-xs" data-testid="side-by-side">
          <thead class="text-left text-slate-500">
            <tr>
              <th class="p-1 w-10"></th>
              <th class="p-1 w-1/2">v{data.a}</th>
              <th class="p-1 w-10"></th>
              <th class="p-1 w-1/2">v{data.b}</th>
            </tr>
          </thead>
          <tbody>
            {data.lines.map((r, i) => (
              <tr key={i} data-kind={r.kind}>
                <td class="px-1 text-right text-slate-400 select-none">{r.left?.n ?? ""}</td>
                <td class={`px-1 whitespace-pre-wrap break-all ${ROW[r.kind][0]}`}>
                  {r.left?.text ?? ""}
                </td>
                <td class="px-1 text-right text-slate-400 select-none">{r.right?.n ?? ""}</td>
                <td class={`px-1 whitespace-pre-wrap break-all ${ROW[r.kind][1]}`}>
                  {r.right?.text ?? ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Page>
  );
}
