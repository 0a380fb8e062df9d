/**
 * Promotion: moving an alias (`champion`, `challenger`, …) to a version. The preview shows the
 * metric change against the version holding the alias now; every move is written to the activity
 * log with what it replaced, and can be undone from there as long as nothing moved it since.
 */
import { BadRequestError, ConflictError, NotFoundError } from "@/lib/errors.ts";
import { getActivity, logActivity, updateActivityDetails } from "@/lib/store/activity.ts";
import { aliasProblems, normalizeModelName } from "./names.ts";
import type { RegistryContext } from "./register.ts";
import { readVersionMetrics, type VersionMetrics } from "./browse.ts";

/** What moving an alias would change. */
export interface AliasPreview {
  name: string;
  alias: string;
  /** The version holding the alias now, if any. */
  from: string | null;
  to: string;
  /** The primary metric of both versions and the difference (null where unknown). */
  metric: { name: string; from: number | null; to: number | null; delta: number | null } | null;
}

function checkAlias(alias: string): string {
  const a = alias.trim();
  const p = aliasProblems(a);
  if (p.length) throw new BadRequestError(`Alias: ${p.join(" ")}`);
  return a;
}

async function holder(ctx: RegistryContext, name: string, alias: string): Promise<string | null> {
  const m = await ctx.ws.registry.getModel(name);
  return m.aliases.find((a) => a.alias === alias)?.version ?? null;
}

/** What moving `alias` of `name` to `version` would change. */
export async function previewAlias(
  ctx: RegistryContext,
  name: string,
  alias: string,
  version: string,
): Promise<AliasPreview> {
  const n = normalizeModelName(name);
  const a = checkAlias(alias);
  const target = await ctx.ws.registry.getVersion(n, version);
  if (target.status !== "READY") {
    throw new BadRequestError(
      `Version ${version} of ${n} is ${target.status}; only a READY version can hold an alias.`,
    );
  }
  const from = await holder(ctx, n, a);
  const [mTo, mFrom] = await Promise.all([
    readVersionMetrics(ctx, n, version),
    from ? readVersionMetrics(ctx, n, from) : Promise.resolve(null),
  ]);
  return { name: n, alias: a, from, to: version, metric: metricChange(mFrom, mTo) };
}

function metricChange(from: VersionMetrics | null, to: VersionMetrics | null) {
  const name = to?.primary?.name ?? from?.primary?.name;
  if (!name) return null;
  const a = from?.primary?.name === name ? from.primary.value : null;
  const b = to?.primary?.name === name ? to.primary.value : null;
  const label = [...(to?.headline ?? []), ...(from?.headline ?? [])]
    .find((h) => h.key === name || `eval_${h.key}` === name)?.label ?? name;
  return { name: label, from: a, to: b, delta: a !== null && b !== null ? b - a : null };
}

/**
 * Points `alias` at `version`. `expectFrom` (the holder the person saw in the confirmation)
 * guards against a move someone else made meanwhile: then 409.
 */
export async function moveAlias(
  ctx: RegistryContext,
  name: string,
  alias: string,
  version: string,
  expectFrom?: string | null,
): Promise<AliasPreview> {
  const p = await previewAlias(ctx, name, alias, version);
  if (expectFrom !== undefined && (expectFrom || null) !== p.from) {
    throw new ConflictError(
      `@${p.alias} of ${p.name} now points at ${p.from ? `version ${p.from}` : "no version"}, ` +
        `not ${expectFrom ? `version ${expectFrom}` : "none"} as when you looked: review again.`,
    );
  }
  if (p.from === p.to) return p;
  await ctx.ws.registry.setAlias(p.name, p.alias, p.to);
  await logActivity({
    who: ctx.user,
    what: "moved alias",
    subject: `model:${p.name}@${p.to}`,
    details: { name: p.name, alias: p.alias, from: p.from, to: p.to, metric: p.metric },
  });
  return p;
}

/** Removes an alias (logged, undoable). */
export async function deleteAlias(ctx: RegistryContext, name: string, alias: string) {
  const n = normalizeModelName(name);
  const a = checkAlias(alias);
  const from = await holder(ctx, n, a);
  if (!from) throw new NotFoundError(`Model ${n} has no alias @${a}.`);
  await ctx.ws.registry.deleteAlias(n, a);
  await logActivity({
    who: ctx.user,
    what: "removed alias",
    subject: `model:${n}@${from}`,
    details: { name: n, alias: a, from, to: null },
  });
}

/**
 * Undoes the alias move (or removal) recorded in activity entry `activityId`: the alias goes back
 * where it was, if it still points where that move left it.
 */
export async function undoAliasMove(ctx: RegistryContext, activityId: string) {
  const entry = await getActivity(activityId);
  if (!entry || (entry.what !== "moved alias" && entry.what !== "removed alias")) {
    throw new NotFoundError(`No alias move "${activityId}" in the activity log.`);
  }
  const d = entry.details as {
    name: string;
    alias: string;
    from: string | null;
    to: string | null;
  };
  if (entry.details.undoneBy) {
    throw new ConflictError(`That alias move was already undone.`);
  }
  const now = await holder(ctx, d.name, d.alias);
  if (now !== d.to) {
    throw new ConflictError(
      `@${d.alias} of ${d.name} has moved since (it points at ${
        now ? `version ${now}` : "no version"
      }); undo the later move first.`,
    );
  }
  if (d.from) await ctx.ws.registry.setAlias(d.name, d.alias, d.from);
  else await ctx.ws.registry.deleteAlias(d.name, d.alias);
  const undo = await logActivity({
    who: ctx.user,
    what: d.from ? "moved alias" : "removed alias",
    subject: `model:${d.name}@${d.from ?? d.to}`,
    details: { name: d.name, alias: d.alias, from: d.to, to: d.from, undoes: activityId },
  });
  await updateActivityDetails(activityId, { undoneBy: undo.id });
  return { name: d.name, alias: d.alias, version: d.from };
}
