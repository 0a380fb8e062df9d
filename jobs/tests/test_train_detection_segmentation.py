"""End to end on CPU for detection (Faster R-CNN MobileNetV3-320) and semantic segmentation (LRASPP)."""

import os
import tempfile
import unittest

import numpy as np
from PIL import Image

import os as _os
import sys as _sys

_sys.path.insert(0, _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__))))  # jobs/

from tests.helpers import make_coco, make_mask_folder, read_metrics, read_status, read_json, run_job, write_config

# Keeps the box head small: Debian's torch uses the reference BLAS, where Faster R-CNN's
# 12544x1024 box-head matmuls dominate a CPU step.
SMALL_RCNN = {"min_size": 96, "max_size": 96, "box_batch_size_per_image": 32, "rpn_pre_nms_top_n_train": 200,
              "rpn_post_nms_top_n_train": 100, "rpn_pre_nms_top_n_test": 100, "rpn_post_nms_top_n_test": 20}


class DetectionRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.d = cls.tmp.name
        make_coco(d, "train", n=4)
        make_coco(d, "val", n=2, seed=1)
        cfg = write_config(
            f"{d}/det.yaml",
            {"model_name": "torchvision/fasterrcnn_mobilenet_v3_large_320_fpn", "task_type": "detection",
             "num_classes": 2, "pretrained": False, "image_size": 96, "learning_rate": 1e-3,
             "builder_kwargs": SMALL_RCNN},
            {"train_data_path": f"{d}/train", "train_annotation_file": f"{d}/instances_train.json",
             "val_data_path": f"{d}/val", "val_annotation_file": f"{d}/instances_val.json", "batch_size": 2,
             "num_workers": 0, "augmentations": {"horizontal_flip": True, "rotation": 5, "brightness_contrast": 0.2}},
            {"max_epochs": 1, "monitor_metric": "val_map", "monitor_mode": "max", "log_every_n_steps": 1})
        cls.run_dir = f"{d}/run"
        cls.proc = run_job("train.py", "--config", cfg, "--run-dir", cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_succeeds_with_coco_metrics(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stdout[-2000:] + self.proc.stderr[-3000:])
        self.assertEqual(read_status(self.run_dir)["phase"], "succeeded")
        names = {r["name"] for r in read_metrics(self.run_dir)}
        for n in ("loss", "eval_map", "eval_map_50", "eval_map_75", "eval_mar_100", "eval_map_small"):
            self.assertIn(n, names)

    def test_predictions_are_coco_results_with_the_datasets_category_ids(self):
        preds = read_json(f"{self.run_dir}/predictions/val.json")
        self.assertIsInstance(preds, list)
        for p in preds:
            self.assertEqual(set(p), {"image_id", "category_id", "bbox", "score"})
            self.assertIn(p["category_id"], (1, 3))
            self.assertIn(p["image_id"], (1, 2))
            x, y, w, h = p["bbox"]
            self.assertTrue(-0.5 <= x <= 96.5 and -0.5 <= y <= 80.5 and w >= 0 and h >= 0, p)

    def test_model_json_describes_box_decoding(self):
        meta = read_json(f"{self.run_dir}/model.json")
        self.assertEqual(meta["decoding"]["type"], "detection")
        self.assertEqual(meta["outputs"], ["boxes", "scores", "labels"])
        self.assertEqual(meta["category_ids"], [1, 3])
        self.assertEqual(meta["labels"], ["red", "green"])
        self.assertEqual(meta["input"]["batch"], 1)
        self.assertTrue(os.path.isfile(f"{self.run_dir}/model.onnx"))


class SemanticRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.d = cls.tmp.name
        make_mask_folder(f"{d}/train", n=4, size=(48, 40))
        make_mask_folder(f"{d}/val", n=2, size=(48, 40), seed=1)
        cfg = write_config(
            f"{d}/seg.yaml",
            {"model_name": "torchvision/lraspp_mobilenet_v3_large", "task_type": "segmentation", "num_classes": 3,
             "pretrained": False, "image_size": 64, "learning_rate": 1e-3},
            {"train_data_path": f"{d}/train", "val_data_path": f"{d}/val", "batch_size": 2, "num_workers": 0,
             "augmentations": {"horizontal_flip": True, "random_crop": True, "color_jitter": 0.2}},
            {"max_epochs": 2, "monitor_metric": "val_miou", "monitor_mode": "max", "log_every_n_steps": 1})
        cls.run_dir = f"{d}/run"
        cls.proc = run_job("train.py", "--config", cfg, "--run-dir", cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_succeeds_with_segmentation_metrics(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stdout[-2000:] + self.proc.stderr[-3000:])
        self.assertIn("segmentation was mapped to semantic_segmentation", self.proc.stdout)
        names = {r["name"] for r in read_metrics(self.run_dir)}
        self.assertTrue({"eval_miou", "eval_pixel_accuracy", "eval_loss"} <= names)

    def test_predictions_are_class_index_pngs_at_original_size(self):
        preds = read_json(f"{self.run_dir}/predictions/val.json")
        self.assertEqual(len(preds), 2)
        for p in preds:
            im = Image.open(os.path.join(self.run_dir, "predictions", p["mask_png"]))
            self.assertEqual(im.mode, "L")
            self.assertEqual(im.size, (48, 40))
            self.assertEqual((p["width"], p["height"]), (48, 40))
            self.assertLessEqual(int(np.array(im).max()), 2)
        meta = read_json(f"{self.run_dir}/model.json")
        self.assertEqual(meta["decoding"]["type"], "semantic_segmentation")
        self.assertEqual(meta["labels"], ["class_0", "class_1", "class_2"])


if __name__ == "__main__":
    unittest.main()


class InstanceSegmentationRun(unittest.TestCase):
    def test_mask_rcnn_writes_rle_predictions_and_mask_metrics(self):
        with tempfile.TemporaryDirectory() as d:
            make_coco(d, "train", n=4)
            make_coco(d, "val", n=2, seed=1)
            kw = dict(SMALL_RCNN, min_size=64, max_size=64, rpn_post_nms_top_n_test=10)
            cfg = write_config(
                f"{d}/inst.yaml",
                {"model_name": "torchvision/maskrcnn_resnet50_fpn", "task_type": "segmentation", "num_classes": 2,
                 "pretrained": False, "image_size": 64, "learning_rate": 1e-4, "builder_kwargs": kw},
                {"train_data_path": f"{d}/train", "train_annotation_file": f"{d}/instances_train.json",
                 "val_data_path": f"{d}/val", "val_annotation_file": f"{d}/instances_val.json", "batch_size": 4,
                 "num_workers": 0, "augmentations": {"horizontal_flip": True, "rotation": 10}},
                {"max_epochs": 1, "monitor_metric": "val_map", "monitor_mode": "max"})
            p = run_job("train.py", "--config", cfg, "--run-dir", f"{d}/run", "--no-export")
            self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-3000:])
            self.assertIn("segmentation was mapped to instance_segmentation", p.stdout)
            names = {r["name"] for r in read_metrics(f"{d}/run")}
            self.assertTrue({"eval_map", "eval_bbox_map", "eval_miou"} <= names)
            for r in read_json(f"{d}/run/predictions/val.json"):
                self.assertEqual(r["segmentation"]["size"], [80, 96])
                self.assertIsInstance(r["segmentation"]["counts"], str)
