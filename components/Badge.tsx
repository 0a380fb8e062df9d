import type { ComponentChildren } from "preact";

/** The tones a status badge can take. */
export type Tone = "green" | "red" | "amber" | "blue" | "slate";

const TONES: Record<Tone, string> = {
  green: "bg-green-100 text-green-800 ring-green-200",
  red: "bg-red-100 text-red-800 ring-red-200",
  amber: "bg-amber-100 text-amber-800 ring-amber-200",
  blue: "bg-blue-100 text-blue-800 ring-blue-200",
  slate: "bg-slate-100 text-slate-700 ring-slate-200",
};

/** A small coloured label for a status. */
export function Badge({ tone = "slate", children }: { tone?: Tone; children: ComponentChildren }) {
  return (
    <span
      class={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${
        TONES[tone]
      }`}
    >
      {children}
    </span>
  );
}
