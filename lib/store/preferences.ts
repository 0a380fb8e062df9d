/**
 * Per-user preferences: the defaults other pages start from (catalog, schema, volume,
 * experiment root, compute, page size) and the theme. The user is the forwarded identity in
 * Databricks Apps, the OS user locally (`state.user.name`).
 *
 * Key: ["preferences", user] → Preferences.
 */
import { z } from "zod";
import { checkKeyPart, getKv } from "./kv.ts";

/** Page sizes a person can pick (lists and the timeline). */
export const PAGE_SIZES = [25, 50, 100, 200] as const;

const name = z.string().trim().max(255).regex(/^[\w.-]*$/, "letters, digits, _ . - only");

/** What a person may set; empty strings mean "use the workspace default". */
export const PreferencesSchema = z.object({
  catalog: name.default(""),
  schema: name.default(""),
  /** A Unity Catalog volume path, `/Volumes/<catalog>/<schema>/<volume>`. */
  volume: z.string().trim().max(500).refine(
    (v) => v === "" || /^\/Volumes\/[^/]+\/[^/]+\/[^/]+(\/.*)?$/.test(v),
    "must look like /Volumes/<catalog>/<schema>/<volume>",
  ).default(""),
  /** The MLflow experiment folder runs go under, e.g. `/Users/me/lakevision`. */
  experimentRoot: z.string().trim().max(500).refine(
    (v) => v === "" || v.startsWith("/"),
    "must be an absolute workspace path",
  ).default(""),
  compute: z.enum(["local", "databricks"]).default("local"),
  /** GPU node type id used for Databricks runs by default. */
  nodeType: z.string().trim().max(100).default(""),
  theme: z.enum(["light", "dark"]).default("light"),
  pageSize: z.coerce.number().refine(
    (n) => (PAGE_SIZES as readonly number[]).includes(n),
    `one of ${PAGE_SIZES.join(", ")}`,
  ).default(50),
  updatedAt: z.number().optional(),
});
export type Preferences = z.infer<typeof PreferencesSchema>;

/** A user's stored preferences with the owner's name (export/import). */
export interface UserPreferences {
  user: string;
  preferences: Preferences;
}

const key = (user: string) => ["preferences", checkKeyPart("user", user, 320)];

/** The defaults every user starts with. */
export const DEFAULT_PREFERENCES: Preferences = PreferencesSchema.parse({});

/** A user's preferences (defaults when none are saved or the record is damaged). */
export async function getPreferences(user: string): Promise<Preferences> {
  const kv = await getKv();
  const r = PreferencesSchema.safeParse((await kv.get(key(user))).value);
  return r.success ? r.data : { ...DEFAULT_PREFERENCES };
}

/**
 * The acting person's preferences, with the workspace's volume filling an unset one: what a
 * page should use as its defaults (`await preferencesFor(ctx.state)`).
 */
export async function preferencesFor(
  state: { user: { name: string }; settings?: { volume?: string } },
): Promise<Preferences & { effectiveVolume: string }> {
  const p = await getPreferences(state.user.name);
  const fallback = state.settings?.volume ?? "";
  const effectiveVolume = p.volume ||
    (p.catalog && p.schema && fallback
      ? `/Volumes/${p.catalog}/${p.schema}/${fallback.split("/")[4] ?? "data"}`
      : fallback);
  return { ...p, effectiveVolume };
}

/** Saves a user's preferences (already validated). */
export async function savePreferences(user: string, p: Preferences): Promise<Preferences> {
  const full = PreferencesSchema.parse({ ...p, updatedAt: Date.now() });
  const kv = await getKv();
  await kv.set(key(user), full);
  return full;
}

/** Every user's saved preferences. */
export async function listPreferences(): Promise<UserPreferences[]> {
  const kv = await getKv();
  const out: UserPreferences[] = [];
  for await (const e of kv.list({ prefix: ["preferences"] })) {
    const r = PreferencesSchema.safeParse(e.value);
    if (r.success) out.push({ user: e.key[1] as string, preferences: r.data });
  }
  return out;
}

/**
 * Stores imported preferences only where the user has none; returns "added", "same" (identical
 * ones exist) or "conflict" (different ones exist and are kept: nothing is overwritten).
 */
export async function importPreferences(
  u: UserPreferences,
): Promise<"added" | "same" | "conflict"> {
  const kv = await getKv();
  const cur = await kv.get(key(u.user));
  const incoming = PreferencesSchema.parse(u.preferences);
  if (cur.value !== null) {
    const strip = ({ updatedAt: _, ...rest }: Preferences) => JSON.stringify(rest);
    const have = PreferencesSchema.safeParse(cur.value);
    return have.success && strip(have.data) === strip(incoming) ? "same" : "conflict";
  }
  const ok = (await kv.atomic().check(cur).set(key(u.user), incoming).commit()).ok;
  return ok ? "added" : "conflict";
}
