/** The tabs of the History stage. */
export function HistoryNav(
  { active }: { active: "timeline" | "analytics" | "usage" | "transfer" },
) {
  const tabs = [
    ["timeline", "/history", "Timeline"],
    ["analytics", "/history/analytics", "Analytics"],
    ["usage", "/history/usage", "Resources & cost"],
    ["transfer", "/history/transfer", "Export, import, retention"],
  ] as const;
  return (
    <nav aria-label="History" class="mb-4 flex gap-1 border-b border-slate-200 text-sm">
      {tabs.map(([id, href, label]) => (
        <a
          key={id}
          href={href}
          aria-current={id === active ? "page" : undefined}
          class={`-mb-px border-b-2 px-3 py-1.5 ${
            id === active
              ? "border-slate-900 font-medium text-slate-900"
              : "border-transparent text-slate-600 hover:text-slate-900"
          }`}
        >
          {label}
        </a>
      ))}
    </nav>
  );
}
