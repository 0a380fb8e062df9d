/**
 * The island registry. A page uses an island like any component; during server rendering a
 * Preact `options.vnode` hook swaps it for a marker element that carries the island's name, its
 * bundle URL and its JSON props, so the browser hydrates exactly the islands on the page.
 */
import { type ComponentType, h, options, type VNode } from "preact";
import { currentRender } from "./head.ts";

interface IslandInfo {
  name: string;
  /** The component rendered inside the marker; an alias so the hook does not re-wrap it. */
  inner: ComponentType<Record<string, unknown>>;
}

const registry = new Map<unknown, IslandInfo>();
let hookInstalled = false;

/** Registers an island component under a name (the file name without extension). */
export function registerIsland(name: string, component: ComponentType<never>): void {
  const fn = component as unknown as (p: Record<string, unknown>) => VNode | null;
  const inner = (props: Record<string, unknown>) => fn(props);
  registry.set(component, { name, inner });
  installHook();
}

/** The names of every registered island. */
export function islandNames(): string[] {
  return [...registry.values()].map((i) => i.name);
}

function Marker(props: { island: IslandInfo; props: Record<string, unknown> }) {
  const { island, props: islandProps } = props;
  const ctx = currentRender();
  let json: string;
  try {
    json = JSON.stringify(islandProps);
  } catch (e) {
    throw new Error(`Island ${island.name}: props must be JSON-serialisable (${e})`);
  }
  ctx?.islands.add(island.name);
  return h(
    "lv-island",
    {
      "data-island": island.name,
      "data-src": ctx?.islandUrl(island.name) ?? "",
      "data-props": json,
    },
    h(island.inner, islandProps),
  );
}

function installHook() {
  if (hookInstalled) return;
  hookInstalled = true;
  const previous = options.vnode;
  options.vnode = (vnode: VNode) => {
    const island = registry.get(vnode.type);
    if (island) {
      const props = vnode.props as Record<string, unknown>;
      if (props.children !== undefined && props.children !== null) {
        throw new Error(`Island ${island.name} was given children; islands take JSON props only.`);
      }
      const { key: _k, ref: _r, ...rest } = props as Record<string, unknown>;
      vnode.type = Marker as unknown as typeof vnode.type;
      (vnode as { props: unknown }).props = { island, props: rest };
    }
    previous?.(vnode);
  };
}
