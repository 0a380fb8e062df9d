import { assertEquals } from "@/tests/assert.ts";
import { labelBox, placeCaptions, placeLabels } from "./label_box.ts";

Deno.test("[image/label_box] a caption sits above its box, inside it at the top edge, and never past the right or bottom edge", () => {
  // room above: the caption's bottom touches the box's top
  assertEquals(labelBox(10, 40, 50, 16, 200, 100), { x: 10, y: 24 });
  // a box at the top edge: the caption goes inside it
  assertEquals(labelBox(10, 5, 50, 16, 200, 100), { x: 10, y: 5 });
  // a box at the right edge: the caption starts further left, its end at the edge
  assertEquals(labelBox(180, 40, 50, 16, 200, 100), { x: 150, y: 24 });
  // a box starting left of the picture (a prediction may) and one past its bottom
  assertEquals(labelBox(-8, 120, 50, 16, 200, 100), { x: 0, y: 84 });
  // a caption wider than the picture starts at its left edge
  assertEquals(labelBox(30, 40, 300, 16, 200, 100), { x: 0, y: 24 });
});

Deno.test("[image/label_box] captions wanted on one spot are stacked a line apart, inside the picture, first come first placed", () => {
  const at = { x: 10, y: 20, w: 40, h: 10 };
  assertEquals(placeLabels([at, at, at], 100), [
    { x: 10, y: 20 },
    { x: 10, y: 31 },
    { x: 10, y: 9 },
  ]);
  // apart already: left where wanted
  assertEquals(placeLabels([at, { ...at, x: 100 }], 100), [{ x: 10, y: 20 }, {
    x: 100,
    y: 20,
  }]);
  // at the bottom edge a second caption goes up, not out of the picture
  const low = { x: 0, y: 90, w: 40, h: 10 };
  assertEquals(placeLabels([low, low], 100), [{ x: 0, y: 90 }, { x: 0, y: 79 }]);
});

Deno.test("[image/label_box] captions over boxes: above each box's corner, then stacked off each other", () => {
  const box = { x: 190, y: 40, w: 30, h: 10 };
  assertEquals(placeCaptions([box, box], 200, 100), [{ x: 170, y: 30 }, { x: 170, y: 41 }]);
});
