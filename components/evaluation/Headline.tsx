import type { Headline } from "@/lib/evaluation/types.ts";
import { fmtMetric } from "@/lib/evaluation/types.ts";

/** Headline numbers as cards, each with its one-line definition. */
export function HeadlineCards({ items }: { items: Headline[] }) {
  return (
    <dl class="grid gap-3 grid-cols-2 md:grid-cols-4" data-testid="headline">
      {items.map((h) => (
        <div
          key={h.key}
          class="rounded-lg border border-slate-200 bg-white p-3 break-inside-avoid"
          data-metric={h.key}
        >
          <dt class="text-xs font-medium text-slate-500">{h.label}</dt>
          <dd class="text-2xl font-semibold tabular-nums text-slate-900">{fmtMetric(h.value)}</dd>
          <dd class="text-xs text-slate-500 mt-1">{h.definition}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The statement that COCO numbers are pycocotools' own. */
export function TrustNote() {
  return (
    <p
      class="rounded border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900"
      data-testid="trust"
    >
      COCO numbers here match pycocotools exactly: the evaluator reproduces pycocotools' 12 summary
      statistics to within 1e-6 on reference data, for boxes and masks, and a test fails if it ever
      stops doing so.
    </p>
  );
}

/** A section with a heading (keeps the page's rhythm in one place). */
export function Section(
  { title, id, children, note }: {
    title: string;
    id: string;
    children: preact.ComponentChildren;
    note?: string;
  },
) {
  return (
    <section id={id} class="mt-8 break-inside-avoid-page">
      <h2 class="text-lg font-semibold text-slate-900 mb-1">{title}</h2>
      {note && <p class="text-sm text-slate-600 mb-3">{note}</p>}
      {children}
    </section>
  );
}
