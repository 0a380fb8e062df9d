import { assertEquals, assertThrows } from "@/tests/assert.ts";
import { BadRequestError } from "@/lib/errors.ts";
import { joinVolumePath, parseVolumePath } from "./volume_path.ts";

Deno.test("[volume_path] parses and normalises a volume path", () => {
  const p = parseVolumePath("/Volumes/main/cv/data//coco/./train/../val.json");
  assertEquals(p.catalog, "main");
  assertEquals(p.schema, "cv");
  assertEquals(p.volume, "data");
  assertEquals(p.rest, ["coco", "val.json"]);
  assertEquals(p.path, "/Volumes/main/cv/data/coco/val.json");
  assertEquals(joinVolumePath("/Volumes/a/b/c", "x", "y.png"), "/Volumes/a/b/c/x/y.png");
});

Deno.test("[volume_path] refuses paths that escape the volume or are not volume paths", () => {
  const cases: [string, string][] = [
    ["/Volumes/main/cv/data/../other/x", "escapes its volume"],
    ["/Volumes/main/cv/data/a/../../x", "escapes its volume"],
    ["/etc/passwd", "not under /Volumes"],
    ["Volumes/main/cv/data", "not under /Volumes"],
    ["/Volumes/main/cv", "must name a catalog, a schema and a volume"],
    ["/Volumes/<catalog>/<schema>/<volume>/x", "placeholder"],
    ["/Volumes/main/cv/data/a\\b", "characters"],
    ["", "required"],
  ];
  for (const [input, msg] of cases) {
    assertThrows(() => parseVolumePath(input), BadRequestError, msg);
  }
});
