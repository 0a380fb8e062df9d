"""Metrics: COCO AP/AR identical to pycocotools on the official fake-results demo, and small exact cases."""

import json
import os
import unittest

import torch

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from tests.test_config import FIXTURES
from lakevision_jobs.datasets import mask_to_rle, rle_string_to_counts, segmentation_to_mask
from lakevision_jobs.metrics import ClassificationMeter, CocoMeter, PanopticMeter, SegmentationMeter

COCO = os.path.join(os.path.dirname(FIXTURES), "coco")


def _xyxy(b):
    return [b[0], b[1], b[0] + b[2], b[1] + b[3]]


class CocoAp(unittest.TestCase):
    def test_bbox_ap_matches_pycocotools_on_the_100_image_subset(self):
        with open(os.path.join(COCO, "instances_val2014_100.json")) as f:
            gt = json.load(f)
        with open(os.path.join(COCO, "instances_val2014_fakebbox100_results.json")) as f:
            res = json.load(f)
        with open(os.path.join(COCO, "expected.json")) as f:
            expected = json.load(f)["bbox"]["stats"]
        cats = sorted(c["id"] for c in gt["categories"])
        idx = {c: i for i, c in enumerate(cats)}
        meter = CocoMeter(len(cats))
        for im in sorted(gt["images"], key=lambda i: i["id"]):
            g = [a for a in gt["annotations"] if a["image_id"] == im["id"]]
            p = [r for r in res if r["image_id"] == im["id"]]
            meter.update(
                {"boxes": torch.tensor([_xyxy(r["bbox"]) for r in p], dtype=torch.float64).view(-1, 4),
                 "scores": torch.tensor([r["score"] for r in p]),
                 "labels": torch.tensor([idx[r["category_id"]] for r in p], dtype=torch.int64)},
                {"boxes": torch.tensor([_xyxy(a["bbox"]) for a in g], dtype=torch.float64).view(-1, 4),
                 "labels": torch.tensor([idx[a["category_id"]] for a in g], dtype=torch.int64),
                 "area": [a["area"] for a in g], "iscrowd": [a["iscrowd"] for a in g]})
        out = meter.compute()
        names = ["map", "map_50", "map_75", "map_small", "map_medium", "map_large",
                 "mar_1", "mar_10", "mar_100", "mar_small", "mar_medium", "mar_large"]
        for name, want in zip(names, expected):
            self.assertAlmostEqual(out["eval_" + name], want, places=10, msg=name)
        self.assertNotIn("eval_map_class_10", out)  # fire hydrant: no ground truth -> no value

    def test_perfect_and_missing_detections(self):
        m = CocoMeter(2)
        gt = {"boxes": torch.tensor([[0., 0., 50., 50.], [60., 60., 100., 100.]]), "labels": torch.tensor([0, 1])}
        m.update({"boxes": gt["boxes"][:1], "scores": torch.tensor([0.9]), "labels": torch.tensor([0])}, gt)
        out = m.compute()
        self.assertAlmostEqual(out["eval_map_class_0"], 1.0)
        self.assertAlmostEqual(out["eval_map_class_1"], 0.0)
        self.assertAlmostEqual(out["eval_map"], 0.5)
        self.assertAlmostEqual(out["eval_mar_100"], 0.5)

    def test_mask_ap_uses_mask_overlap(self):
        masks = torch.zeros((1, 20, 20))
        masks[0, :10, :10] = 1
        m = CocoMeter(1, "segm")
        m.update({"boxes": torch.tensor([[0., 0., 10., 10.]]), "scores": torch.tensor([0.8]),
                  "labels": torch.tensor([0]), "masks": masks},
                 {"boxes": torch.tensor([[0., 0., 10., 10.]]), "labels": torch.tensor([0]), "masks": masks})
        self.assertAlmostEqual(m.compute()["eval_map"], 1.0)


class OtherMeters(unittest.TestCase):
    def test_classification_accuracy_and_macro_f1(self):
        m = ClassificationMeter(3)
        m.update(torch.tensor([0, 0, 1, 2]), torch.tensor([0, 1, 1, 2]))
        out = m.compute()
        self.assertAlmostEqual(out["eval_accuracy"], 0.75)
        # precision: c0 1/2, c1 1, c2 1 ; recall: c0 1, c1 1/2, c2 1
        self.assertAlmostEqual(out["eval_precision"], (0.5 + 1 + 1) / 3)
        self.assertAlmostEqual(out["eval_f1_class_0"], 2 * 0.5 * 1 / 1.5)

    def test_segmentation_miou_ignores_255_and_absent_classes(self):
        m = SegmentationMeter(3)
        gt = torch.tensor([[0, 0], [1, 255]])
        pred = torch.tensor([[0, 1], [1, 2]])
        m.update(pred, gt)
        out = m.compute()
        # class 0: inter 1, union 2 ; class 1: inter 1, union 2 ; class 2 never labelled nor predicted on labelled pixels
        self.assertAlmostEqual(out["eval_miou"], 0.5)
        self.assertAlmostEqual(out["eval_pixel_accuracy"], 2 / 3)
        self.assertNotIn("eval_iou_class_2", out)

    def test_panoptic_quality(self):
        m = PanopticMeter(2)
        gt_masks = torch.zeros((2, 10, 10), dtype=torch.uint8)
        gt_masks[0, :5] = 1
        gt_masks[1, 5:] = 1
        seg = torch.zeros((10, 10), dtype=torch.int64)
        seg[:5] = 1  # exact match for class 0; the class-1 segment is missed
        m.update(seg, [{"id": 1, "label": 0, "score": 0.9}], gt_masks, torch.tensor([0, 1]))
        out = m.compute()
        self.assertAlmostEqual(out["eval_sq"], 0.5)  # class 0: 1.0, class 1: 0
        self.assertAlmostEqual(out["eval_pq"], (1.0 + 0.0) / 2)


class Rle(unittest.TestCase):
    def test_compressed_rle_round_trips_the_official_segm_results(self):
        with open(os.path.join(COCO, "instances_val2014_fakesegm100_results.json")) as f:
            res = json.load(f)
        for r in res[:25]:
            seg = r["segmentation"]
            mask = segmentation_to_mask(seg, *seg["size"])
            self.assertEqual(mask_to_rle(mask)["counts"], seg["counts"])
            self.assertEqual(int(mask.sum()), sum(rle_string_to_counts(seg["counts"])[1::2]))

    def test_polygon_fills_its_box(self):
        m = segmentation_to_mask([[2, 2, 8, 2, 8, 6, 2, 6]], 10, 10)
        self.assertEqual(m.shape, (10, 10))
        self.assertTrue(bool(m[4, 5]))
        self.assertFalse(bool(m[8, 8]))


if __name__ == "__main__":
    unittest.main()
