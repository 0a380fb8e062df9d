import { deepStrictEqual } from "node:assert/strict";
import { guessColumns } from "./delta_guess.ts";

const cols = (...spec: string[]) =>
  spec.map((s) => {
    const [name, type = "STRING"] = s.split(":");
    return { name, type };
  });

Deno.test("[delta guess] path-like image column, label and split by name", () => {
  deepStrictEqual(guessColumns(cols("id:INT", "image_path", "label", "split")), {
    image: "image_path",
    label: "label",
    split: "split",
  });
  deepStrictEqual(guessColumns(cols("file_path", "category_name", "fold")), {
    image: "file_path",
    label: "category_name",
    split: "fold",
  });
  // exact names win over names that merely contain a hint
  deepStrictEqual(guessColumns(cols("thumbnail_img", "Path", "class_label", "Class")), {
    image: "Path",
    label: "Class",
    split: "",
  });
});

Deno.test("[delta guess] image bytes when no name fits; nothing guessed when nothing fits", () => {
  deepStrictEqual(guessColumns(cols("id:INT", "content:BINARY", "target")), {
    image: "content",
    label: "",
    split: "",
  });
  deepStrictEqual(guessColumns(cols("a", "b")), { image: "", label: "", split: "" });
  deepStrictEqual(guessColumns([]), { image: "", label: "", split: "" });
});

Deno.test("[delta guess] the label and split are never the image column", () => {
  // "label_file" is the only path-like name, so it is the image; the label is looked for elsewhere
  deepStrictEqual(guessColumns(cols("label_file", "class")), {
    image: "label_file",
    label: "class",
    split: "",
  });
  deepStrictEqual(guessColumns(cols("label_file")), { image: "label_file", label: "", split: "" });
});
