import type { LayoutProps } from "@/lib/web/types.ts";

/** The body shell around every page (the kernel writes `<head>`: title, CSS, scripts). */
export default function App({ Component }: LayoutProps) {
  return (
    <div class="min-h-screen bg-slate-50 text-slate-800 font-sans antialiased">
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
