import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { MemoryFiles } from "@/lib/data/testing.ts";
import type { FilesApi } from "@/lib/workspace/types.ts";
import { readCocoCategories } from "./coco_categories.ts";

const CATS = [{ id: 1, name: "circle" }, { id: 2, name: "square" }, { id: 3, name: "triangle" }];
const images = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: i, file_name: `img_${i}.jpg`, width: 64 }));

/** A FilesApi whose reads count the bytes they hand out. */
function counted(files: MemoryFiles): FilesApi & { served: number } {
  const out = Object.assign(Object.create(files) as FilesApi, { served: 0 });
  out.read = async (path: string) => {
    const inner = (await files.read(path)).getReader();
    return new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        const { value, done } = await inner.read();
        if (done) return ctrl.close();
        out.served += value.length;
        ctrl.enqueue(value);
      },
    });
  };
  return out;
}

Deno.test("[coco categories] the list is found before or after images and annotations", async () => {
  const files = new MemoryFiles({
    "/Volumes/c/s/v/first.json": JSON.stringify({ categories: CATS, images: images(20000) }),
    "/Volumes/c/s/v/last.json": "\ufeff" + JSON.stringify(
      {
        info: { description: 'has "categories": [] inside a string, and {"categories": 1}' },
        images: images(50).map((im) => ({ ...im, categories: [{ id: 99, name: "nested" }] })),
        annotations: [],
        categories: CATS,
      },
      null,
      2,
    ),
  });
  for (const f of ["first", "last"]) {
    const got = await readCocoCategories(files, `/Volumes/c/s/v/${f}.json`);
    assertEquals(got, { kind: "found", categories: CATS }, f);
  }
});

Deno.test("[coco categories] reading stops once the list is read; a list past the cap is unknown", async () => {
  const big = JSON.stringify({ categories: CATS, images: images(200000) });
  const files = counted(new MemoryFiles({ "/Volumes/c/s/v/big.json": big }));
  const got = await readCocoCategories(files, "/Volumes/c/s/v/big.json");
  assertEquals(got.kind, "found");
  assert(files.served < 256 * 1024, `read ${files.served} of ${big.length} bytes`);
  const late = counted(
    new MemoryFiles({
      "/Volumes/c/s/v/late.json": JSON.stringify({ images: images(200000), categories: CATS }),
    }),
  );
  const capped = await readCocoCategories(late, "/Volumes/c/s/v/late.json", null, 1024 * 1024);
  assertEquals(capped, { kind: "unknown" });
  assert(late.served <= 1024 * 1024 + 64 * 1024, `read ${late.served}`);
});

Deno.test("[coco categories] no list, a list that is not one, bad JSON and ids", async () => {
  const files = new MemoryFiles({
    "/Volumes/c/s/v/none.json": JSON.stringify({ images: [], annotations: [] }),
    "/Volumes/c/s/v/str.json": JSON.stringify({ categories: "circle" }),
    "/Volumes/c/s/v/list.json": "[1, 2]",
    "/Volumes/c/s/v/cut.json": '{"images": [{"id": 1}, ',
    "/Volumes/c/s/v/ids.json": JSON.stringify({ categories: [{ id: "1", name: "a" }, { id: 2 }] }),
  });
  const read = (f: string) => readCocoCategories(files, `/Volumes/c/s/v/${f}.json`);
  assertEquals(await read("none"), { kind: "missing" });
  assertEquals(await read("str"), { kind: "missing" });
  assertEquals(await read("list"), { kind: "unknown" });
  assertEquals(await read("cut"), { kind: "unknown" });
  assertEquals(await read("gone"), { kind: "unknown" });
  assertEquals(await read("ids"), {
    kind: "found",
    categories: [{ id: null, name: "a" }, { id: 2, name: "2" }],
  });
});
