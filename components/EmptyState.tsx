import type { ComponentChildren } from "preact";

/** What a list shows when it has nothing yet: what it is, and what to do next. */
export function EmptyState(
  { title, children, action }: {
    title: string;
    children?: ComponentChildren;
    action?: { label: string; href: string };
  },
) {
  return (
    <div class="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center">
      <p class="font-medium text-slate-800">{title}</p>
      {children && <div class="text-sm text-slate-600 mt-1">{children}</div>}
      {action && (
        <a
          href={action.href}
          class="inline-block mt-4 rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700"
        >
          {action.label}
        </a>
      )}
    </div>
  );
}
