import { Badge, type Tone } from "@/components/Badge.tsx";
import type { Endpoint, ServedEntity } from "@/lib/workspace/types.ts";

/** Link to an endpoint's page. */
export function endpointHref(name: string, rest = ""): string {
  return `/deployments/${encodeURIComponent(name)}${rest}`;
}

const STATE_TONE: Record<string, Tone> = {
  READY: "green",
  NOT_READY: "amber",
  UPDATING: "blue",
  FAILED: "red",
};

/** The endpoint's state, and its config update when one is running or failed. */
export function EndpointState({ e }: { e: Pick<Endpoint, "state" | "configUpdate"> }) {
  const upd = e.configUpdate && e.configUpdate !== "NOT_UPDATING" ? e.configUpdate : null;
  return (
    <span class="inline-flex flex-wrap gap-1" data-state={e.state}>
      <Badge tone={STATE_TONE[e.state] ?? "slate"}>{e.state}</Badge>
      {upd && (
        <Badge tone={upd === "UPDATE_FAILED" ? "red" : "blue"}>
          {upd === "IN_PROGRESS" ? "update IN_PROGRESS" : upd}
        </Badge>
      )}
    </span>
  );
}

/** A served entity's deployment state (Databricks words, or the local engine's). */
export function EntityState({ s }: { s: ServedEntity }) {
  const st = s.state ?? "unknown";
  const tone: Tone = /READY/i.test(st)
    ? "green"
    : /FAIL|ABORT|ERROR/i.test(st)
    ? "red"
    : /CREAT|PEND|LOAD|UPDAT/i.test(st)
    ? "amber"
    : "slate";
  return <Badge tone={tone}>{st}</Badge>;
}

/** "Small CPU, scale to zero" for one served entity. */
export function sizeLabel(s: ServedEntity): string {
  return `${s.workloadSize ?? "?"} ${s.workloadType ?? ""}${s.scaleToZero ? ", scale to zero" : ""}`
    .trim();
}

/** True while the page should refresh itself (not READY, or a config update running). */
export function changing(e: Pick<Endpoint, "state" | "configUpdate">): boolean {
  return e.state === "NOT_READY" || e.state === "UPDATING" || e.configUpdate === "IN_PROGRESS";
}
