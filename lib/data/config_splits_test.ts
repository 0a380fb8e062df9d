import { assertEquals } from "@/tests/assert.ts";
import { configSplits } from "./config_splits.ts";

Deno.test("[data/config_splits] annotation files with their images, folders alone, disk paths mapped, others left out", () => {
  const V = "/Volumes/main/cv/data";
  const disk = "/home/me/lakevision/volumes/main/cv/data";
  const toVolume = (p: string) => p.startsWith(disk) ? V + p.slice(disk.length) : undefined;
  assertEquals(
    configSplits({
      train_data_path: `${V}/coco/train/`,
      train_annotation_file: `${V}/coco/train.json`,
      val_data_path: `${disk}/folders/val`,
      test_data_path: "relative/test",
      test_annotation_file: 7,
    }, toVolume),
    [
      { name: "train", path: `${V}/coco/train.json`, images: `${V}/coco/train` },
      { name: "val", path: `${V}/folders/val` },
    ],
  );
  // an annotation file whose images folder is not in a volume keeps the file alone
  assertEquals(
    configSplits({ val_annotation_file: `${V}/a.json`, val_data_path: "/tmp/imgs" }, toVolume),
    [{ name: "val", path: `${V}/a.json`, images: undefined }],
  );
  assertEquals(configSplits({}), []);
});
