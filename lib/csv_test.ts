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

Deno.test("[csv] text starting with = + - @ tab or CR is neutralised with a leading quote", () => {
  assertEquals(
    [
      csvCell('=HYPERLINK("http://evil","x")'),
      csvCell("+cmd|' /C calc'!A0"),
      csvCell("-2+3"),
      csvCell("@SUM(A1:A2)"),
      csvCell("\t=1"),
      csvCell("\r=1"),
      csvCell("=1,2"),
    ],
    [
      '"\'=HYPERLINK(""http://evil"",""x"")"',
      "'+cmd|' /C calc'!A0",
      "'-2+3",
      "'@SUM(A1:A2)",
      "'\t=1",
      '"\'\r=1"',
      '"\'=1,2"',
    ],
  );
});

Deno.test("[csv] negative numbers stay numeric, as numbers and as plain-number strings", () => {
  assertEquals(
    [csvCell(-0.5), csvCell(-3), csvCell("-0.25"), csvCell("+3"), csvCell("-1e-5"), csvCell("a=b")],
    ["-0.5", "-3", "-0.25", "+3", "-1e-5", "a=b"],
  );
  assertEquals(toCsv([["=cat", -1]]), "'=cat,-1\n");
});
