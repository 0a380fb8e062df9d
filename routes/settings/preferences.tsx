import { z } from "zod";
import { Page } from "@/components/Page.tsx";
import {
  PAGE_SIZES,
  type Preferences,
  preferencesFor,
  PreferencesSchema,
  savePreferences,
} from "@/lib/store/preferences.ts";
import { readForm } from "@/lib/web/body.ts";
import type { Handlers, PageProps } from "@/lib/web/types.ts";

interface Data {
  prefs: Preferences;
  user: string;
  problems: Record<string, string>;
  notice?: string;
}

const FIELDS = [
  "catalog",
  "schema",
  "volume",
  "experimentRoot",
  "compute",
  "nodeType",
  "theme",
  "pageSize",
] as const;

export const handler: Handlers<Data> = {
  async GET(_req, ctx) {
    return ctx.render({
      prefs: await preferencesFor(ctx.state),
      user: ctx.state.user.name,
      problems: {},
      notice: ctx.url.searchParams.get("notice")?.slice(0, 200),
    });
  },
  /** Saves the acting person's preferences (PRG); a bad field is shown next to it. */
  async POST(req, ctx) {
    const form = await readForm(req);
    const raw = Object.fromEntries(FIELDS.map((f) => [f, String(form.get(f) ?? "").slice(0, 500)]));
    try {
      await savePreferences(ctx.state.user.name, PreferencesSchema.parse(raw));
    } catch (e) {
      if (!(e instanceof z.ZodError)) throw e;
      const problems = Object.fromEntries(e.issues.map((i) => [String(i.path[0]), i.message]));
      return ctx.render({
        prefs: raw as unknown as Preferences,
        user: ctx.state.user.name,
        problems,
      }, {
        status: 400,
      });
    }
    return ctx.redirect(`/settings/preferences?notice=${encodeURIComponent("Preferences saved.")}`);
  },
};

const INPUT = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm";

/** The acting person's defaults for other pages, and the theme. */
export default function PreferencesPage({ data }: PageProps<Data>) {
  const p = data.prefs;
  const text = (name: keyof Preferences, label: string, hint: string) => (
    <label class="block text-sm">
      {label}
      <input
        name={name}
        value={String(p[name] ?? "")}
        class={INPUT}
        placeholder={hint}
        aria-invalid={data.problems[name] ? "true" : undefined}
      />
      {data.problems[name] && (
        <span role="alert" class="text-xs text-red-700">{data.problems[name]}</span>
      )}
    </label>
  );
  return (
    <Page
      title="Preferences"
      crumbs={[{ label: "Settings", href: "/settings" }]}
      description={`Defaults for ${data.user} on the other pages.`}
    >
      {data.notice && (
        <p role="status" class="mb-3 rounded bg-green-50 px-3 py-2 text-sm text-green-800">
          {data.notice}
        </p>
      )}
      <form method="post" class="grid max-w-2xl gap-3 sm:grid-cols-2">
        {text("catalog", "Default catalog", "main")}
        {text("schema", "Default schema", "lakevision")}
        {text("volume", "Default volume", "/Volumes/main/lakevision/data")}
        {text("experimentRoot", "Experiment root", "/Users/me/lakevision")}
        <label class="block text-sm">
          Default compute
          <select name="compute" class={INPUT}>
            {["local", "databricks"].map((c) => (
              <option key={c} value={c} selected={p.compute === c}>{c}</option>
            ))}
          </select>
        </label>
        {text("nodeType", "Default GPU node type", "g5.xlarge")}
        <label class="block text-sm">
          Theme
          <select name="theme" class={INPUT} data-pref="theme">
            <option value="light" selected={p.theme === "light"}>light</option>
            <option value="dark" selected={p.theme === "dark"}>dark</option>
          </select>
        </label>
        <label class="block text-sm">
          Rows per page
          <select name="pageSize" class={INPUT}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n} selected={Number(p.pageSize) === n}>{n}</option>
            ))}
          </select>
          {data.problems.pageSize && (
            <span role="alert" class="text-xs text-red-700">{data.problems.pageSize}</span>
          )}
        </label>
        <div class="sm:col-span-2">
          <button
            type="submit"
            class="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white"
          >
            Save preferences
          </button>
        </div>
      </form>
    </Page>
  );
}
