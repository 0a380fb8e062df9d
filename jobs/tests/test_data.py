"""Datasets and augmentations: targets move with the pixels, bad files are named."""

import json
import os
import random
import tempfile
import unittest

import torch

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from tests.helpers import make_coco, make_coco_panoptic, make_imagefolder, make_mask_folder, read_json
from lakevision_jobs.config import DataConfig
from lakevision_jobs.datasets import (CocoInstancesDataset, CocoPanopticDataset, ImageFolderDataset,
                                      MaskFolderDataset)
from lakevision_jobs.errors import DataError
from lakevision_jobs.transforms import (ColorJitter, RandomFlip, RandomResizedCrop, RandomRotation, Resize,
                                        build_transforms, masks_to_boxes_safe)


def _sample():
    img = torch.zeros((3, 40, 60), dtype=torch.uint8)
    masks = torch.zeros((1, 40, 60), dtype=torch.uint8)
    masks[0, 5:15, 10:30] = 1
    img[:, 5:15, 10:30] = 200
    return {"image": img, "masks": masks, "boxes": torch.tensor([[10., 5., 30., 15.]]), "labels": torch.tensor([1])}


class Augmentations(unittest.TestCase):
    def test_flip_moves_boxes_with_the_mask(self):
        s = RandomFlip(1.0, horizontal=True)(_sample())
        self.assertEqual(s["boxes"].tolist(), masks_to_boxes_safe(s["masks"], None).tolist())
        s = RandomFlip(1.0, horizontal=False)(_sample())
        self.assertEqual(s["boxes"].tolist(), masks_to_boxes_safe(s["masks"], None).tolist())

    def test_rotation_keeps_box_on_the_object(self):
        random.seed(3)
        s = RandomRotation(30)(_sample())
        ys, xs = torch.nonzero(s["image"][0] > 100, as_tuple=True)
        b = s["boxes"][0]
        self.assertLessEqual(abs(float(xs.float().mean()) - float(b[0] + b[2]) / 2), 1.5)
        self.assertLessEqual(abs(float(ys.float().mean()) - float(b[1] + b[3]) / 2), 1.5)

    def test_rotation_of_boxes_without_masks_encloses_the_object(self):
        random.seed(5)
        s = _sample()
        del s["masks"]
        s = RandomRotation(25)(s)
        ys, xs = torch.nonzero(s["image"][0] > 100, as_tuple=True)
        b = s["boxes"][0]
        self.assertGreaterEqual(float(xs.min()) + 1, float(b[0]))
        self.assertLessEqual(float(xs.max()), float(b[2]) + 1)

    def test_crop_and_resize_keep_boxes_inside_and_sized(self):
        random.seed(0)
        s = RandomResizedCrop(scale=(0.3, 0.5))(_sample())
        s = Resize((32, 32))(s)
        self.assertEqual(tuple(s["image"].shape), (3, 32, 32))
        if len(s["boxes"]):
            self.assertTrue(bool((s["boxes"] >= 0).all() and (s["boxes"] <= 32).all()))
            self.assertEqual(s["masks"].shape[-2:], (32, 32))

    def test_color_jitter_changes_pixels_not_targets(self):
        random.seed(1)
        s = _sample()
        before = s["boxes"].clone()
        s2 = ColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.1)(dict(s, image=s["image"].clone()))
        self.assertFalse(torch.equal(s2["image"], _sample()["image"]))
        self.assertTrue(torch.equal(s2["boxes"], before))

    def test_config_augmentations_are_all_applied(self):
        d = DataConfig("a", "b", augmentations={"horizontal_flip": True, "vertical_flip": 0.3, "rotation": 10,
                                                "brightness_contrast": 0.2, "hue_saturation": 0.1,
                                                "random_crop": True, "random_resize": [0.8, 1.2]})
        names = [type(o).__name__ for o in build_transforms(d, (64, 64), train=True).ops]
        self.assertEqual(names, ["RandomResizedCrop", "RandomZoom", "RandomFlip", "RandomFlip", "RandomRotation",
                                 "ColorJitter", "Resize"])
        self.assertEqual([type(o).__name__ for o in build_transforms(d, (64, 64), train=False).ops], ["Resize"])
        d.augment = False
        self.assertEqual(len(build_transforms(d, (64, 64), train=True).ops), 1)


class Readers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_coco_ids_map_to_contiguous_labels_and_masks_match_boxes(self):
        img_dir, ann = make_coco(self.d, "train", n=2)
        ds = CocoInstancesDataset(img_dir, ann, with_masks=True)
        self.assertEqual(ds.labels, ["red", "green"])
        self.assertEqual(ds.cats.ids, [1, 3])
        s, meta = ds[0]
        self.assertEqual(s["masks"].shape[0], len(s["boxes"]))
        self.assertTrue(set(s["labels"].tolist()) <= {0, 1})
        for k in range(len(s["boxes"])):  # polygon rasterisation may cover the closing edge pixel
            diff = (masks_to_boxes_safe(s["masks"][k:k + 1], None)[0] - s["boxes"][k]).abs().max()
            self.assertLessEqual(float(diff), 1.0)
        self.assertEqual((meta["width"], meta["height"]), (96, 80))

    def test_bad_annotation_is_reported_with_file_and_id(self):
        img_dir, ann = make_coco(self.d, "train", n=2)
        doc = read_json(ann)
        doc["annotations"][1]["bbox"] = [1, 2, "three"]
        with open(ann, "w") as f:
            json.dump(doc, f)
        with self.assertRaises(DataError) as cm:
            CocoInstancesDataset(img_dir, ann)
        self.assertIn(f"{ann}: annotation id 2", str(cm.exception))
        self.assertIn("bbox must be [x, y, width, height]", str(cm.exception))

    def test_broken_image_is_named(self):
        root = make_imagefolder(f"{self.d}/f", n=1)
        bad = os.path.join(root, "circle", "zz_broken.png")
        with open(bad, "wb") as f:
            f.write(b"not a png")
        ds = ImageFolderDataset(root)
        with self.assertRaises(DataError) as cm:
            ds[[p for p, _ in ds.items].index(bad)]
        self.assertIn(f"cannot read image {bad}", str(cm.exception))

    def test_mask_values_beyond_num_classes_are_named(self):
        root = make_mask_folder(f"{self.d}/m", n=1, num_classes=3)
        with self.assertRaises(DataError) as cm:
            MaskFolderDataset(root, num_classes=2)[0]
        self.assertIn("has class id 2 but model.num_classes is 2", str(cm.exception))

    def test_panoptic_gives_masks_or_a_class_map(self):
        img_dir, ann = make_coco_panoptic(self.d, "val", n=1)
        s, _ = CocoPanopticDataset(img_dir, ann)[0]
        self.assertEqual(sorted(s["labels"].tolist()), [0, 1])
        self.assertEqual(int(s["masks"].sum()), int((s["masks"].sum(0) > 0).sum()))  # segments do not overlap
        s, _ = CocoPanopticDataset(img_dir, ann, semantic=True)[0]
        self.assertEqual(sorted(s["semantic"].unique().tolist()), [0, 1, 255])

    def test_val_categories_must_exist_in_train(self):
        _, train_ann = make_coco(self.d, "train", n=1)
        img_dir, val_ann = make_coco(self.d, "val", n=1, categories=((1, "red"), (9, "blue")))
        train = CocoInstancesDataset(f"{self.d}/train", train_ann)
        with self.assertRaises(DataError) as cm:
            CocoInstancesDataset(img_dir, val_ann, categories=train.cats)
        self.assertIn("category id(s) [9] are not in the training categories", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
