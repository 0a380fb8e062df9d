import type { ComponentChildren } from "preact";
import { setTitle } from "@/lib/web/head.ts";

/** A breadcrumb: label and optional link. */
export interface Crumb {
  label: string;
  href?: string;
}

interface PageProps {
  /** Page heading and document title. */
  title: string;
  /** Trail above the heading; "Home" is added first. */
  crumbs?: Crumb[];
  /** One line under the heading. */
  description?: string;
  /** Buttons shown to the right of the heading. */
  actions?: ComponentChildren;
  children: ComponentChildren;
}

/** The frame of every page: breadcrumbs, heading, description, actions. */
export function Page({ title, crumbs = [], description, actions, children }: PageProps) {
  setTitle(title);
  const trail: Crumb[] = [{ label: "Home", href: "/" }, ...crumbs];
  return (
    <div class="max-w-6xl mx-auto px-4 sm:px-8 py-6">
      <nav aria-label="Breadcrumb" class="text-xs text-slate-500 mb-2">
        <ol class="flex flex-wrap gap-1">
          {trail.map((c, i) => (
            <li class="flex gap-1 min-w-0 [overflow-wrap:anywhere]" key={i}>
              {c.href
                ? <a class="hover:text-slate-800 hover:underline" href={c.href}>{c.label}</a>
                : <span aria-current="page" class="text-slate-700">{c.label}</span>}
              {i < trail.length - 1 && <span aria-hidden="true">/</span>}
            </li>
          ))}
          {crumbs.length === 0 || crumbs.at(-1)?.href
            ? (
              <li class="flex gap-1 min-w-0 [overflow-wrap:anywhere]">
                <span aria-hidden="true">/</span>
                <span aria-current="page" class="text-slate-700">{title}</span>
              </li>
            )
            : null}
        </ol>
      </nav>
      <header class="flex flex-wrap items-start justify-between gap-4 mb-6">
        <div class="min-w-0">
          <h1 class="text-2xl font-semibold text-slate-900 [overflow-wrap:anywhere]">{title}</h1>
          {description && <p class="text-slate-600 mt-1 max-w-3xl">{description}</p>}
        </div>
        {actions && <div class="flex gap-2">{actions}</div>}
      </header>
      {children}
    </div>
  );
}
