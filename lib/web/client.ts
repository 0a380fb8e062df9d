/**
 * The browser runtime: hydrates each island marker the server rendered. Pages without islands
 * never load this file.
 */
import { h, hydrate } from "preact";

async function hydrateAll() {
  const markers = [...document.querySelectorAll<HTMLElement>("lv-island[data-src]")];
  await Promise.all(markers.map(async (el) => {
    try {
      const mod = await import(el.dataset.src!);
      hydrate(h(mod.default, JSON.parse(el.dataset.props ?? "{}")), el);
      el.dataset.hydrated = "true";
    } catch (e) {
      console.error(`Island ${el.dataset.island} failed to start`, e);
      el.dataset.hydrated = "error";
    }
  }));
  document.documentElement.dataset.hydrated = "true";
}

hydrateAll();
