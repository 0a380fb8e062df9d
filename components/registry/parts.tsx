import { Badge, type Tone } from "@/components/Badge.tsx";

/** Shared input style of the registry forms. */
export const INPUT = "w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm bg-white";
/** Primary button style. */
export const BUTTON =
  "rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700";
/** Secondary button style. */
export const BUTTON2 =
  "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50";

/** Link to a model page. */
export function modelHref(name: string, version?: string): string {
  const base = `/models/${encodeURIComponent(name)}`;
  return version ? `${base}/${encodeURIComponent(version)}` : base;
}

/** Alias badges (`@champion`). */
export function Aliases({ aliases }: { aliases: string[] }) {
  if (!aliases.length) return <span class="text-slate-400">—</span>;
  return (
    <span class="inline-flex flex-wrap gap-1">
      {aliases.map((a) => (
        <Badge key={a} tone={a === "champion" ? "green" : a === "challenger" ? "blue" : "slate"}>
          @{a}
        </Badge>
      ))}
    </span>
  );
}

const STATUS_TONE: Record<string, Tone> = {
  READY: "green",
  PENDING_REGISTRATION: "amber",
  FAILED_REGISTRATION: "red",
};

/** A version's registration status. */
export function VersionStatus({ status }: { status: string }) {
  return (
    <Badge tone={STATUS_TONE[status] ?? "slate"}>{status.toLowerCase().replace("_", " ")}</Badge>
  );
}

/** A metric value with 3 decimals, or "—" (COCO's -1 means "not defined"). */
export function fmtMetric(v: number | null | undefined): string {
  return v === null || v === undefined || v < 0 || !Number.isFinite(v) ? "—" : v.toFixed(3);
}

/** A signed delta, green when better (all registry metrics are higher-is-better). */
export function Delta({ value }: { value: number | null }) {
  if (value === null) return <span class="text-slate-400">—</span>;
  const tone = Math.abs(value) < 5e-4
    ? "text-slate-500"
    : value > 0
    ? "text-green-700"
    : "text-red-700";
  return <span class={tone}>{value > 0 ? "+" : ""}{value.toFixed(3)}</span>;
}

/** Date and time in UTC, compact. */
export function When({ ms }: { ms: number | undefined }) {
  if (!ms) return <span class="text-slate-400">—</span>;
  const d = new Date(ms);
  return (
    <time dateTime={d.toISOString()}>
      {d.toISOString().replace("T", " ").slice(0, 16)} UTC
    </time>
  );
}

/** A notice or error line above a page's content. */
export function Notice({ text, tone = "green" }: { text?: string | null; tone?: "green" | "red" }) {
  if (!text) return null;
  const cls = tone === "red"
    ? "border-red-200 bg-red-50 text-red-800"
    : "border-green-200 bg-green-50 text-green-800";
  return (
    <p
      role={tone === "red" ? "alert" : "status"}
      class={`mb-4 rounded-md border px-3 py-2 text-sm ${cls}`}
    >
      {text}
    </p>
  );
}
