/**
 * The local endpoint's settings. `LAKEVISION_ENDPOINT_IDLE_MINUTES` is read here, checked with
 * zod, until fresh.config.ts (where every other setting is read) takes it over.
 */
import { z } from "zod";

/** Idle minutes before a scale-to-zero endpoint unloads its model, when the setting is absent. */
export const DEFAULT_IDLE_MINUTES = 15;

const IdleMinutes = z.coerce.number({ error: "must be a number of minutes" })
  .min(0, "must be 0 (never unload) or more minutes")
  .max(7 * 24 * 60, "must be at most a week (10080 minutes)");

/**
 * Minutes an endpoint may sit idle before its sessions are unloaded (0: never), from
 * `LAKEVISION_ENDPOINT_IDLE_MINUTES`. A bad value throws a message naming the variable.
 */
export function idleUnloadMinutes(env: Record<string, string | undefined> = readEnv()): number {
  const raw = env.LAKEVISION_ENDPOINT_IDLE_MINUTES;
  if (raw === undefined || raw.trim() === "") return DEFAULT_IDLE_MINUTES;
  const parsed = IdleMinutes.safeParse(raw.trim());
  if (!parsed.success) {
    throw new Error(
      `LAKEVISION_ENDPOINT_IDLE_MINUTES ${parsed.error.issues[0].message}, got "${raw}".`,
    );
  }
  return parsed.data;
}

function readEnv(): Record<string, string | undefined> {
  try {
    return { LAKEVISION_ENDPOINT_IDLE_MINUTES: Deno.env.get("LAKEVISION_ENDPOINT_IDLE_MINUTES") };
  } catch {
    return {}; // no env permission: defaults
  }
}
