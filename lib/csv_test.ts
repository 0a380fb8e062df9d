import { assertEquals } from "@/tests/assert.ts";
import { csvCell, toCsv } from "./csv.ts";

Deno.test("[csv] cells with quotes, commas or line breaks are quoted; null and undefined are empty", () => {
  assertEquals(
    [
      csvCell('a "b"'),
      csvCell("x,y"),
      csvCell("l1\nl2"),
      csvCell("cr\r"),
      csvCell(3),
      csvCell(null),
    ],
    ['"a ""b"""', '"x,y"', '"l1\nl2"', '"cr\r"', "3", ""],
  );
  assertEquals(csvCell(undefined), "");
});

Deno.test("[csv] rows end with the chosen line ending, the last one included", () => {
  assertEquals(toCsv([["a", "b"], [1, 2]]), "a,b\n1,2\n");
  assertEquals(toCsv([["a"], ["x,y"]], "\r\n"), 'a\r\n"x,y"\r\n');
});
