/**
 * Where a box's caption goes on an image: just above the box when there is room, else inside
 * its top edge, and always within the picture — a box at the right edge has its caption start
 * further left instead of running off; captions of boxes on one spot moved off each other. Used
 * by the Playground's canvas, the batch overlay, the Data EDA sample view and the evaluation's
 * images, so a label is never cut by the image's edge nor hidden under another.
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

/** A caption wanted at (`x`, `y`), its top-left corner, `w` × `h` in size. */
export interface WantedLabel {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Places captions in priority order so that none covers one placed before it: each starts at
 * its wanted corner, and one that would overlap moves a line down, then a line up, then two,
 * and so on, staying inside the picture (after 40 tries it keeps its wanted place). Boxes drawn
 * on the same spot then keep readable labels.
 */
export function placeLabels(
  wanted: readonly WantedLabel[],
  imageH: number,
): { x: number; y: number }[] {
  const taken: [number, number, number, number][] = [];
  const free = (x0: number, y0: number, x1: number, y1: number) =>
    !taken.some(([a, b, c, d]) => x0 < c && a < x1 && y0 < d && b < y1);
  return wanted.map(({ x, y: start, w, h }) => {
    const line = h + 1;
    let y = start;
    for (let k = 1; k < 40 && !free(x, y, x + w, y + h); k++) {
      const down = start + Math.ceil(k / 2) * line, up = start - Math.ceil(k / 2) * line;
      y = k % 2 ? (down + h <= imageH ? down : up) : (up >= 0 ? up : down);
    }
    if (!free(x, y, x + w, y + h)) y = start;
    taken.push([x, y, x + w, y + h]);
    return { x, y };
  });
}

/**
 * Captions over boxes: each wanted just above its box's top-left corner (`x`, `y`) as
 * `labelBox` puts it, then moved off the ones placed before it (`placeLabels`), in order.
 */
export function placeCaptions(
  boxes: readonly WantedLabel[],
  imageW: number,
  imageH: number,
): { x: number; y: number }[] {
  return placeLabels(
    boxes.map((b) => ({ ...labelBox(b.x, b.y, b.w, b.h, imageW, imageH), w: b.w, h: b.h })),
    imageH,
  );
}
