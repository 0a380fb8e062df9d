/**
 * Per-render state collected while a page renders: its title and the islands it used.
 * Server rendering is synchronous, so one "current render" slot is enough.
 */

/** What a page render collects. */
export interface RenderCollector {
  title?: string;
  islands: Set<string>;
  /** Maps an island name to its browser bundle URL. */
  islandUrl(name: string): string;
}

let current: RenderCollector | null = null;

/** The collector of the render in progress, if any. */
export function currentRender(): RenderCollector | null {
  return current;
}

/** Runs a synchronous render with a fresh collector. */
export function withCollector<T>(c: RenderCollector, fn: () => T): T {
  const prev = current;
  current = c;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

/** Sets the document title from inside a component. */
export function setTitle(title: string): void {
  if (current) current.title = title;
}
