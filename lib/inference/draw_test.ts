import { assertEquals } from "@/tests/assert.ts";
import { classRgb } from "@/lib/data/colors.ts";
import { drawPrediction, drawScale } from "./draw.ts";

Deno.test("[inference/draw] a small image is drawn a whole number of times larger; a large one as it is", () => {
  assertEquals(drawScale(160, 120), 4);
  assertEquals(drawScale(640, 480), 1);
  assertEquals(drawScale(4000, 3000), 1);
  assertEquals(drawScale(300, 20), 3);
  assertEquals(drawScale(8, 8), 8, "at most 8×");
  assertEquals(drawScale(0, 0), 1);
});

/** A 2D context that records boxes and keeps real pixels for getImageData/putImageData. */
function recordingCanvas() {
  const rects: number[][] = [];
  const texts: [string, number, number][] = [];
  let pixels = new Uint8ClampedArray(0);
  const canvas = { width: 0, height: 0, getContext: () => ctx };
  const ctx = {
    imageSmoothingEnabled: true,
    drawImage() {
      pixels = new Uint8ClampedArray(canvas.width * canvas.height * 4); // a black picture
    },
    strokeRect: (x: number, y: number, w: number, h: number) => rects.push([x, y, w, h]),
    fillRect() {},
    fillText: (t: string, x: number, y: number) => texts.push([t, x, y]),
    measureText: () => ({ width: 10 }),
    getImageData: (_x: number, _y: number, w: number, h: number) => ({
      data: new Uint8ClampedArray(pixels.subarray(0, w * h * 4)),
    }),
    putImageData: (img: { data: Uint8ClampedArray }) => pixels.set(img.data),
    strokeStyle: "",
    fillStyle: "",
    lineWidth: 1,
    font: "",
    textBaseline: "",
  };
  return {
    canvas: canvas as unknown as HTMLCanvasElement,
    ctx,
    rects,
    texts,
    px: () => pixels,
  };
}

Deno.test("[inference/draw] boxes and masks of a small image are drawn at the enlarged size, pixel for pixel", () => {
  const r = recordingCanvas();
  const image = { width: 160, height: 120 } as unknown as HTMLImageElement;
  drawPrediction(r.canvas, image, {
    boxes: [[10, 20, 50, 60]],
    scores: [0.9],
    labels: [1],
    label_names: ["disc"],
  });
  assertEquals([r.canvas.width, r.canvas.height], [640, 480]);
  assertEquals(r.ctx.imageSmoothingEnabled, false, "pixels stay sharp");
  assertEquals(r.rects, [[40, 80, 160, 160]]);

  // a 4×2 class mask on a 4×2 image (drawn 8× larger): class 2 in the top-right pixel only
  const m = recordingCanvas();
  const mask = new Uint8Array([255, 255, 255, 2, 255, 255, 255, 255]);
  drawPrediction(m.canvas, { width: 4, height: 2 } as unknown as HTMLImageElement, {
    mask,
    width: 4,
    height: 2,
  } as never, { opacity: 1 });
  assertEquals([m.canvas.width, m.canvas.height], [32, 16]);
  const at = (x: number, y: number) => [...m.px().subarray((y * 32 + x) * 4, (y * 32 + x) * 4 + 3)];
  assertEquals(at(24, 0), classRgb(2));
  assertEquals(at(31, 7), classRgb(2));
  assertEquals(at(23, 0), [0, 0, 0]);
  assertEquals(at(24, 8), [0, 0, 0]);
});

Deno.test("[inference/draw] captions of boxes on one spot are stacked, the best score's where it belongs", () => {
  const r = recordingCanvas();
  drawPrediction(r.canvas, { width: 800, height: 600 } as unknown as HTMLImageElement, {
    boxes: [[100, 200, 300, 400], [102, 201, 298, 405], [500, 100, 600, 200]],
    scores: [0.6, 0.9, 0.8],
    labels: [0, 1, 0],
    label_names: ["box", "disc", "box"],
  });
  const font = Math.round(600 / 32); // 19 px on a 600 px high picture
  const [first, second, third] = r.texts;
  assertEquals(first, ["disc 0.90", 105, 201 - (font + 4) + 2]);
  assertEquals(third, ["box 0.60", 103, 200 - (font + 4) + 2 + (font + 5)]);
  assertEquals(second, ["box 0.80", 503, 100 - (font + 4) + 2]);
});
