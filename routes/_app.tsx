import type { LayoutProps } from "@/lib/web/types.ts";

/** The body shell around every page (the kernel writes `<head>`: title, CSS, scripts). */
export default function App({ Component, state }: LayoutProps) {
  // Dark theme (a preference): the page's colour classes get dark counterparts in its CSS
  // (lib/web/dark.ts), so no page needs dark: variants and images keep their true colours.
  const dark = state.theme === "dark";
  return (
    <div
      class="min-h-screen bg-slate-50 text-slate-800 font-sans antialiased"
      data-theme={dark ? "dark" : "light"}
    >
      <a
        href="#main"
        class="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 bg-white px-3 py-1 rounded shadow"
      >
        Skip to content
      </a>
      <Component />
    </div>
  );
}
