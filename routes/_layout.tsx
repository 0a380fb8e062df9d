import type { LayoutProps } from "@/lib/web/types.ts";
import { STAGES } from "@/lib/stages.ts";

/** Left navigation with every stage; it becomes a top bar on narrow screens. */
export default function Layout({ Component, url, state }: LayoutProps) {
  const active = (path: string) =>
    path === "/"
      ? url.pathname === "/"
      : url.pathname === path || url.pathname.startsWith(path + "/");
  const link = (path: string) =>
    `flex items-center gap-2 rounded-md px-3 py-1.5 text-sm whitespace-nowrap ${
      active(path)
        ? "bg-slate-800 text-white font-medium"
        : "text-slate-300 hover:bg-slate-800 hover:text-white"
    }`;
  return (
    <div class="md:flex">
      <aside class="bg-slate-900 md:w-60 md:min-h-screen md:flex-shrink-0">
        <div class="px-4 py-4 flex items-center justify-between md:block">
          <a href="/" class="text-white font-semibold tracking-tight text-lg">
            <span class="text-sky-400">◈</span> Lakevision
          </a>
          <p class="hidden md:block text-xs text-slate-400 mt-1">
            CV models, dataset to production
          </p>
        </div>
        <nav aria-label="Stages" class="px-2 pb-3 flex md:flex-col gap-1 overflow-x-auto">
          <a class={link("/")} href="/">
            <span aria-hidden="true" class="w-4 text-center">⌂</span>Overview
          </a>
          {STAGES.map((s) => (
            <a
              key={s.id}
              class={link(s.path)}
              href={s.path}
              aria-current={active(s.path) ? "page" : undefined}
            >
              <span aria-hidden="true" class="w-4 text-center">{s.icon}</span>
              {s.title}
            </a>
          ))}
          <a class={link("/settings")} href="/settings">
            <span aria-hidden="true" class="w-4 text-center">⚒</span>Settings
          </a>
        </nav>
        <div class="hidden md:block px-4 py-3 border-t border-slate-800 text-xs text-slate-400">
          <div>
            Workspace: <span class="text-slate-200">{state.workspace.kind}</span>
          </div>
          <div class="truncate" title={state.user.name}>User: {state.user.name}</div>
        </div>
      </aside>
      <main id="main" class="flex-1 min-w-0">
        <Component />
      </main>
    </div>
  );
}
