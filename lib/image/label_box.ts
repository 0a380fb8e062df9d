/**
 * Where a box's caption goes on an image: just above the box when there is room, else inside
 * its top edge, and always within the picture — a box at the right edge has its caption start
 * further left instead of running off. Used by the Playground's canvas and the Data EDA sample
 * view, so a label is never cut by the image's edge.
 */

/** The caption's top-left corner for a box at (`x`, `y`) and a `labelW` × `labelH` caption. */
export function labelBox(
  x: number,
  y: number,
  labelW: number,
  labelH: number,
  imageW: number,
  imageH: number,
): { x: number; y: number } {
  const top = y - labelH >= 0 ? y - labelH : Math.max(0, y);
  return {
    x: Math.max(0, Math.min(x, imageW - labelW)),
    y: Math.min(top, Math.max(0, imageH - labelH)),
  };
}
