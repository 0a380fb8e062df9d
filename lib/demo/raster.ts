/**
 * Drawing for generated images: muted backgrounds, shapes as polygons, and the one scanline
 * rasteriser used both for the photo and for its labels, so every mask, box and area in the
 * annotations matches the pixels exactly.
 */
import type { Rng } from "./rng.ts";

/** An 8-bit colour. */
export type Rgb = [number, number, number];

/** The shape classes the demo datasets use, in category order. */
export const SHAPES = ["circle", "rectangle", "triangle", "star"] as const;
/** One of the shape classes. */
export type ShapeKind = typeof SHAPES[number];

/** A placed object: its class, its outline (flat x,y list, 2 decimals) and its colour. */
export interface Shape {
  kind: ShapeKind;
  /** Flat `[x0, y0, x1, y1, ...]`, rounded to 2 decimals as written to JSON. */
  polygon: number[];
  color: Rgb;
  cx: number;
  cy: number;
  r: number;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Colours each class tends to have (so tiny models learn fast), jittered per object. */
const PALETTE: Record<ShapeKind, Rgb[]> = {
  circle: [[220, 60, 50], [235, 120, 40], [200, 40, 110]],
  rectangle: [[40, 110, 220], [30, 160, 200], [90, 80, 210]],
  triangle: [[40, 170, 70], [120, 190, 40], [20, 140, 110]],
  star: [[240, 200, 30], [250, 170, 60], [230, 220, 90]],
};

function clamp255(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** The outline of a shape of `kind` centred at (cx, cy) with radius r. */
export function shapePolygon(
  kind: ShapeKind,
  cx: number,
  cy: number,
  r: number,
  rng: Rng,
): number[] {
  const pts: number[] = [];
  const rot = rng.range(0, Math.PI * 2);
  const push = (x: number, y: number) => pts.push(round2(x), round2(y));
  switch (kind) {
    case "circle": {
      const n = 24;
      for (let i = 0; i < n; i++) {
        const a = (i / n) * Math.PI * 2;
        push(cx + r * Math.cos(a), cy + r * Math.sin(a));
      }
      break;
    }
    case "rectangle": {
      const aspect = rng.range(0.55, 1);
      const hw = r * 0.7, hh = r * 0.7 * aspect;
      const tilt = rng.range(-0.35, 0.35);
      const c = Math.cos(tilt), s = Math.sin(tilt);
      for (const [dx, dy] of [[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]]) {
        push(cx + dx * c - dy * s, cy + dx * s + dy * c);
      }
      break;
    }
    case "triangle": {
      for (let i = 0; i < 3; i++) {
        const a = rot + (i / 3) * Math.PI * 2 + rng.range(-0.15, 0.15);
        push(cx + r * Math.cos(a), cy + r * Math.sin(a));
      }
      break;
    }
    case "star": {
      for (let i = 0; i < 10; i++) {
        const a = rot + (i / 10) * Math.PI * 2;
        const rr = i % 2 === 0 ? r : r * 0.45;
        push(cx + rr * Math.cos(a), cy + rr * Math.sin(a));
      }
      break;
    }
  }
  return pts;
}

/**
 * Visits every pixel whose centre lies inside the polygon (even-odd rule), clipped to the
 * image. The same rule makes the photo, the masks and the areas, so they always agree.
 */
export function rasterizePolygon(
  poly: number[],
  width: number,
  height: number,
  visit: (x: number, y: number) => void,
): void {
  const n = poly.length / 2;
  if (n < 3) return;
  let minY = Infinity, maxY = -Infinity;
  for (let i = 1; i < poly.length; i += 2) {
    minY = Math.min(minY, poly[i]);
    maxY = Math.max(maxY, poly[i]);
  }
  const y0 = Math.max(0, Math.floor(minY)), y1 = Math.min(height - 1, Math.ceil(maxY));
  const xs: number[] = [];
  for (let y = y0; y <= y1; y++) {
    const sy = y + 0.5;
    xs.length = 0;
    for (let i = 0; i < n; i++) {
      const ax = poly[2 * i], ay = poly[2 * i + 1];
      const j = (i + 1) % n;
      const bx = poly[2 * j], by = poly[2 * j + 1];
      if ((ay <= sy && by > sy) || (by <= sy && ay > sy)) {
        xs.push(ax + ((sy - ay) / (by - ay)) * (bx - ax));
      }
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k] - 0.5));
      const to = Math.min(width - 1, Math.floor(xs[k + 1] - 0.5));
      for (let x = from; x <= to; x++) visit(x, y);
    }
  }
}

/** [x, y, w, h] of a polygon's extent, 2 decimals (COCO's bbox for a polygon). */
export function polygonBox(poly: number[]): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < poly.length; i += 2) {
    x0 = Math.min(x0, poly[i]);
    x1 = Math.max(x1, poly[i]);
    y0 = Math.min(y0, poly[i + 1]);
    y1 = Math.max(y1, poly[i + 1]);
  }
  return [round2(x0), round2(y0), round2(x1 - x0), round2(y1 - y0)];
}

/** An RGB image being drawn. */
export class Canvas {
  readonly rgb: Uint8Array;

  constructor(readonly width: number, readonly height: number) {
    this.rgb = new Uint8Array(width * height * 3);
  }

  private set(i: number, r: number, g: number, b: number): void {
    this.rgb[i * 3] = clamp255(r);
    this.rgb[i * 3 + 1] = clamp255(g);
    this.rgb[i * 3 + 2] = clamp255(b);
  }

  /**
   * Paints one of six muted backgrounds (gradient, radial, stripes, checker, clouds, tiles),
   * chosen by `rng` unless `style` is given.
   */
  background(rng: Rng, style?: BackgroundStyle): BackgroundStyle {
    const s = style ?? rng.pick(BACKGROUNDS);
    const muted = (): Rgb => {
      const base = rng.range(70, 200);
      return [base + rng.range(-35, 35), base + rng.range(-35, 35), base + rng.range(-35, 35)];
    };
    const a = muted(), b = muted();
    const { width: W, height: H } = this;
    const ang = rng.range(0, Math.PI);
    const ca = Math.cos(ang), sa = Math.sin(ang);
    const period = rng.range(10, 28);
    const cell = rng.int(12, 28);
    const grid = this.valueGrid(rng, 6);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let t: number;
        switch (s) {
          case "gradient":
            t = ((x - W / 2) * ca + (y - H / 2) * sa) / Math.max(W, H) + 0.5;
            break;
          case "radial":
            t = Math.hypot(x - W / 2, y - H / 2) / Math.hypot(W / 2, H / 2);
            break;
          case "stripes":
            t = Math.floor((x * ca + y * sa) / period) % 2 === 0 ? 0.15 : 0.85;
            break;
          case "checker":
            t = (Math.floor(x / cell) + Math.floor(y / cell)) % 2 === 0 ? 0.2 : 0.8;
            break;
          case "tiles":
            t = (x % cell < 2 || y % cell < 2) ? 1 : 0.1 + 0.2 * ((Math.floor(x / cell) * 7 +
                  Math.floor(y / cell) * 3) % 3);
            break;
          default:
            t = this.sampleGrid(grid, 6, x / W, y / H);
        }
        t = Math.min(1, Math.max(0, t));
        this.set(
          y * W + x,
          a[0] + (b[0] - a[0]) * t,
          a[1] + (b[1] - a[1]) * t,
          a[2] + (b[2] - a[2]) * t,
        );
      }
    }
    return s;
  }

  private valueGrid(rng: Rng, n: number): number[] {
    const g: number[] = [];
    for (let i = 0; i < (n + 1) * (n + 1); i++) g.push(rng.next());
    return g;
  }

  private sampleGrid(g: number[], n: number, u: number, v: number): number {
    const x = u * n, y = v * n;
    const x0 = Math.min(n - 1, Math.floor(x)), y0 = Math.min(n - 1, Math.floor(y));
    const fx = x - x0, fy = y - y0;
    const sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy);
    const at = (i: number, j: number) => g[j * (n + 1) + i];
    const top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * sx;
    const bot = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * sx;
    return top + (bot - top) * sy;
  }

  /** Fills `rows` (a per-pixel predicate) with a vertical blend of two colours. */
  fillWhere(inside: (x: number, y: number) => boolean, top: Rgb, bottom: Rgb): void {
    const { width: W, height: H } = this;
    for (let y = 0; y < H; y++) {
      const t = y / Math.max(1, H - 1);
      for (let x = 0; x < W; x++) {
        if (!inside(x, y)) continue;
        this.set(
          y * W + x,
          top[0] + (bottom[0] - top[0]) * t,
          top[1] + (bottom[1] - top[1]) * t,
          top[2] + (bottom[2] - top[2]) * t,
        );
      }
    }
  }

  /**
   * Paints a shape with soft directional shading; `visit` sees each painted pixel (for masks).
   * Returns the number of pixels painted (the mask area).
   */
  drawShape(shape: Shape, rng: Rng, visit?: (x: number, y: number) => void): number {
    const [r, g, b] = shape.color;
    const ang = rng.range(0, Math.PI * 2);
    const lx = Math.cos(ang), ly = Math.sin(ang);
    let area = 0;
    rasterizePolygon(shape.polygon, this.width, this.height, (x, y) => {
      const d = ((x - shape.cx) * lx + (y - shape.cy) * ly) / Math.max(1, shape.r);
      const k = 1 + 0.22 * d;
      this.set(y * this.width + x, r * k, g * k, b * k);
      area++;
      visit?.(x, y);
    });
    return area;
  }

  /** Adds sensor-like noise (±amount), so files look like photos rather than flat art. */
  noise(rng: Rng, amount: number): void {
    const px = this.rgb;
    for (let i = 0; i < px.length; i += 3) {
      const r = rng.next();
      // Mostly luminance noise, with a little independent colour noise from the same draw.
      const v = (r - 0.5) * 2 * amount;
      const u = ((r * 97) % 1 - 0.5) * amount * 0.5;
      px[i] = clamp255(px[i] + v + u);
      px[i + 1] = clamp255(px[i + 1] + v);
      px[i + 2] = clamp255(px[i + 2] + v - u);
    }
  }
}

/** The background styles, so pictures differ in more than the objects. */
export const BACKGROUNDS = ["gradient", "radial", "stripes", "checker", "clouds", "tiles"] as const;
/** One background style. */
export type BackgroundStyle = typeof BACKGROUNDS[number];

/** A colour for a shape of this class: the class palette, jittered. */
export function shapeColor(kind: ShapeKind, rng: Rng): Rgb {
  const [r, g, b] = rng.pick(PALETTE[kind]);
  const j = () => rng.range(-25, 25);
  return [clamp255(r + j()), clamp255(g + j()), clamp255(b + j())];
}

/**
 * Places up to `count` shapes that do not touch each other (so a polygon is exactly the visible
 * object) and stay `margin` pixels inside the image.
 */
export function placeShapes(
  rng: Rng,
  width: number,
  height: number,
  count: number,
  radius: [number, number],
  kinds: readonly ShapeKind[] = SHAPES,
  margin = 2,
): Shape[] {
  const out: Shape[] = [];
  for (let tries = 0; out.length < count && tries < count * 60; tries++) {
    const r = rng.range(radius[0], radius[1]);
    const cx = rng.range(r + margin, width - r - margin);
    const cy = rng.range(r + margin, height - r - margin);
    if (r * 2 + margin * 2 > Math.min(width, height)) continue;
    if (out.some((o) => Math.hypot(o.cx - cx, o.cy - cy) < o.r + r + 3)) continue;
    const kind = rng.pick(kinds);
    out.push({
      kind,
      cx,
      cy,
      r,
      color: shapeColor(kind, rng),
      polygon: shapePolygon(kind, cx, cy, r, rng),
    });
  }
  return out;
}
