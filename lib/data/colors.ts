/**
 * Class colours shared by the server (mask overlays, batch overlays, reports) and the browser
 * (Data EDA, the Inference Playground, evaluation charts), so a class has the same colour
 * everywhere. The key is the class index: the number the trained model predicts for the class
 * (its position in the model's label list), which is also a mask's pixel value and an
 * ImageFolder class's position. COCO datasets name classes by category id instead; training
 * numbers them 0..N-1 by ascending id, and `classIndexOf` does the same, so Data EDA colours a
 * COCO category as the model's predictions of it are coloured.
 */

/** A distinct, stable colour for class index `i` as [r, g, b]. */
export function classRgb(i: number): [number, number, number] {
  const h = ((i * 137.508) % 360) / 360, s = 0.7, l = 0.5;
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** CSS colour of class index `i`. */
export function classColor(i: number): string {
  const [r, g, b] = classRgb(i);
  return `rgb(${r},${g},${b})`;
}

/** Dataset formats whose class ids are COCO category ids rather than class indices. */
const CATEGORY_ID_FORMATS: ReadonlySet<string> = new Set(["coco", "coco-panoptic"]);

/**
 * The class index of a dataset's class id: for COCO formats (`coco`, `coco-panoptic`) the id's
 * rank among the dataset's category ids, ascending, as training numbers them; for the other
 * formats (ImageFolder, masks, Delta) the id is the index already. An id that is not among
 * `ids` keeps its own value.
 */
export function classIndexOf(format: string, ids: readonly number[]): (id: number) => number {
  if (!CATEGORY_ID_FORMATS.has(format)) return (id) => id;
  const rank = new Map([...new Set(ids)].sort((a, b) => a - b).map((id, i) => [id, i]));
  return (id) => rank.get(id) ?? id;
}

/** The CSS colour of each class id of a dataset (see `classIndexOf`). */
export function datasetClassColor(format: string, ids: readonly number[]): (id: number) => string {
  const index = classIndexOf(format, ids);
  return (id) => classColor(index(id));
}
