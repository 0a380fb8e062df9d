/**
 * Class colours shared by the server (mask overlays) and the browser (boxes, legend), so a class
 * has the same colour everywhere.
 */

/** A distinct, stable colour for class index/id `i` as [r, g, b]. */
export function classRgb(i: number): [number, number, number] {
  const h = ((i * 137.508) % 360) / 360, s = 0.7, l = 0.5;
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** CSS colour of class `i`. */
export function classColor(i: number): string {
  const [r, g, b] = classRgb(i);
  return `rgb(${r},${g},${b})`;
}
