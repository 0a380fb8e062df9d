/**
 * Turns a page component into a full HTML document: renders it inside the layouts and `_app`,
 * collects its title and islands, extracts its CSS with twind, and adds the client runtime only
 * when an island was used (pages without islands ship no JavaScript).
 */
import { type ComponentType, h, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { type RenderCollector, withCollector } from "./head.ts";
import { cssFor, darkCssFor } from "./twind.ts";
import type { BundleInfo } from "./bundle.ts";
import type { LayoutProps, State } from "./types.ts";

/** Inputs for one document render. */
export interface DocumentInput {
  // deno-lint-ignore no-explicit-any
  page: VNode<any>;
  layouts: ComponentType<LayoutProps>[];
  app?: ComponentType<LayoutProps>;
  url: URL;
  state: State;
  bundle: BundleInfo;
  /** CSP nonce for the inline style element. */
  nonce: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** Renders a complete HTML document. */
export function renderDocument(input: DocumentInput): string {
  const { url, state, bundle } = input;
  const collector: RenderCollector = {
    islands: new Set(),
    islandUrl: (name) => bundle.islands[name] ?? "",
  };
  // deno-lint-ignore no-explicit-any
  let tree: VNode<any> = input.page;
  for (const Layout of [...input.layouts].reverse()) {
    const inner = tree;
    tree = h(Layout, { Component: () => inner, url, state });
  }
  if (input.app) {
    const inner = tree;
    tree = h(input.app, { Component: () => inner, url, state });
  }
  const body = withCollector(collector, () => renderToString(tree));
  const usesIslands = collector.islands.size > 0;
  const light = cssFor(body, usesIslands ? bundle.safelist : "");
  const css = state.theme === "dark" ? light + darkCssFor(light) : light;
  const title = collector.title ? `${collector.title} · Lakevision` : "Lakevision";
  const head = [
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${esc(title)}</title>`,
    `<link rel="icon" href="/favicon.svg" type="image/svg+xml">`,
    `<style nonce="${input.nonce}">${css}</style>`,
  ];
  if (usesIslands) {
    head.push(`<link rel="modulepreload" href="${bundle.clientUrl}">`);
    for (const name of collector.islands) {
      head.push(`<link rel="modulepreload" href="${bundle.islands[name]}">`);
    }
    head.push(`<script type="module" src="${bundle.clientUrl}"></script>`);
  }
  const theme = state.theme === "dark" ? ` data-theme="dark"` : "";
  return `<!DOCTYPE html><html lang="en"${theme}><head>${
    head.join("")
  }</head><body>${body}</body></html>`;
}
